package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Read reads the table at spec, the one entry point every command and the
// library use for files. spec is one of
//
//   - a file: CSV (delimited text, gzip-compressed or not) or Parquet;
//   - a directory: every data file in it (names ending .csv, .tsv, .txt,
//     .parquet or .pq, optionally followed by .gz; hidden files skipped),
//     in name order;
//   - a glob pattern such as "shards/part-*.csv.gz" ([filepath.Match]
//     syntax; hidden files only if the pattern starts with a dot);
//   - a comma-separated list of any of these, if spec is not itself a
//     file.
//
// Several files are read as one table: they must have the same columns
// (in any order), their rows follow each other in the order of the files,
// and each column's kind is inferred from all of them. Each file's format
// is chosen from its first bytes, not its name: Parquet files start with
// "PAR1", gzip streams are decompressed, and anything else is CSV.
//
// The table's Source is spec; errors name the file, row and column.
func Read(spec string, opt ReadOptions) (*Table, error) {
	paths, err := Files(spec)
	if err != nil {
		return nil, err
	}
	b, berr := newTableBuilder(opt)
	if berr != nil {
		berr.Source = spec
		return nil, berr
	}
	for _, p := range paths {
		if err := b.readFile(p); err != nil {
			return nil, err
		}
	}
	return b.table(spec)
}

// dataExtensions are the names of files a directory is read for.
var dataExtensions = []string{".csv", ".tsv", ".txt", ".parquet", ".pq"}

// Files lists the files spec stands for, as [Read] describes.
func Files(spec string) ([]string, error) {
	if spec == "" {
		return nil, errors.New("no data file given")
	}
	if fi, err := os.Stat(spec); err == nil {
		if !fi.IsDir() {
			return []string{spec}, nil
		}
		entries, err := os.ReadDir(spec)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") {
				continue
			}
			if slices.Contains(dataExtensions, filepath.Ext(strings.TrimSuffix(name, ".gz"))) {
				out = append(out, filepath.Join(spec, name))
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: a directory with no data files (%s, optionally .gz)", spec, strings.Join(dataExtensions, ", "))
		}
		return out, nil
	}
	if strings.ContainsAny(spec, "*?[") {
		out, err := filepath.Glob(spec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec, err)
		}
		// As in a shell, a pattern matches hidden files only if it says
		// so.
		if !strings.HasPrefix(filepath.Base(spec), ".") {
			out = slices.DeleteFunc(out, func(p string) bool { return strings.HasPrefix(filepath.Base(p), ".") })
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: no file matches the pattern", spec)
		}
		return out, nil
	}
	if strings.Contains(spec, ",") {
		var out []string
		for _, part := range strings.Split(spec, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			files, err := Files(part)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%q names no file", spec)
		}
		return out, nil
	}
	_, err := os.Stat(spec)
	return nil, err // *fs.PathError names the path
}

// readFile adds one file, of the format its first bytes say.
func (b *tableBuilder) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(parquetMagic))
	n, _ := io.ReadFull(f, head)
	if string(head[:n]) == parquetMagic {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		return b.readParquet(f, fi.Size(), path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return b.readCSV(bufio.NewReaderSize(f, 1<<16), path)
}
