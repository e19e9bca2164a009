package main

import (
	"flag"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/gotabular/gotabular/data"
)

// readFlags say how every command reads its data files: the delimiter,
// the missing-value tokens, the fate of odd values in numeric columns and
// whether integer codes are categories.
type readFlags struct {
	delimiter      string
	missing        string
	defaultMissing bool
	oddValues      string
	intCategories  int
}

// dataFileHelp describes what a -data flag accepts.
const dataFileHelp = "CSV or Parquet `file` (CSV may be gzip-compressed), or a directory, glob or comma-separated list of such files read as one table"

func (f *readFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.delimiter, "delimiter", "", "field `separator` of CSV files: a character, or \"tab\" (default: detected among comma, semicolon, tab and pipe)")
	fs.StringVar(&f.missing, "missing", "", "comma-separated field `values` read as missing, besides the empty field and, unless -default-missing=false, NA, NaN, null and ? (these in any case)")
	fs.BoolVar(&f.defaultMissing, "default-missing", true, "read NA, NaN, null and ? (in any case) as missing")
	fs.StringVar(&f.oddValues, "odd-values", "missing", "`policy` for a value of a numeric column that is not a finite number (Inf, 1e308, a typo): missing (read as missing, with a warning naming the column, count and first value) or error (stop, naming the file, row, column and value)")
	fs.IntVar(&f.intCategories, "int-categories", 0, "read a column of integers with at most this many distinct `values` as categorical (0: numbers stay continuous)")
}

// options returns the reader options the flags ask for.
func (f *readFlags) options() (data.ReadOptions, error) {
	var opt data.ReadOptions
	switch f.delimiter {
	case "":
	case "tab", `\t`:
		opt.Delimiter = '\t'
	default:
		r, n := utf8.DecodeRuneInString(f.delimiter)
		if n != len(f.delimiter) {
			return opt, fmt.Errorf("-delimiter %q: want one character or \"tab\"", f.delimiter)
		}
		opt.Delimiter = r
	}
	opt.NullValues = splitList(f.missing)
	if !f.defaultMissing {
		opt.MissingValues = []string{}
	}
	switch f.oddValues {
	case "missing":
		opt.Odd = data.OddAsMissing
	case "error":
		opt.Odd = data.OddIsError
	default:
		return opt, fmt.Errorf("-odd-values %q: want missing or error", f.oddValues)
	}
	if f.intCategories < 0 {
		return opt, fmt.Errorf("-int-categories %d: must be ≥ 0", f.intCategories)
	}
	opt.IntegerCategories = f.intCategories
	return opt, nil
}

// printWarnings writes the warnings reading t gave, a line each.
func printWarnings(w io.Writer, t *data.Table) {
	for _, e := range t.Warnings {
		fmt.Fprintf(w, "warning: %v\n", e)
	}
}
