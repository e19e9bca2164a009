package data

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// ReadOptions control how a file becomes a [Table]. The zero value
// infers every column's kind, reads the default missing tokens as missing,
// reads odd values of a numeric column as missing with a warning, and
// detects the CSV delimiter.
type ReadOptions struct {
	// Kinds forces the kind of the named columns; names the file does not
	// have are ignored, so one set of options serves files with and without
	// the target column. Other columns are inferred by the rules of
	// [MaxOddShare]. The odd fields of a forced Continuous column follow
	// Odd like those of an inferred one.
	Kinds map[string]Kind
	// MissingValues are the field values read as missing, compared after
	// trimming white space and case-sensitively; nil means
	// [DefaultMissingValues], matched ignoring case. The empty field is
	// always missing.
	MissingValues []string
	// NullValues are further missing values, added to MissingValues (or to
	// the defaults), compared case-sensitively.
	NullValues []string
	// Odd says what becomes of a field of a Continuous column that is not
	// a finite number: missing with a warning (the default) or an error.
	Odd OddPolicy
	// IntegerCategories, when positive, reads a column inferred
	// Continuous as Categorical if all its values are integers and it has
	// at most this many distinct values. 0 keeps such columns continuous.
	IntegerCategories int
	// Delimiter separates the fields of a CSV file; 0 detects it from the
	// first lines of the file among comma, semicolon, tab and pipe (see
	// [DetectDelimiter]).
	Delimiter rune
}

// ReadCSV reads the CSV file at path, which may be compressed with gzip;
// see [ParseCSV] for the format. [Read] reads Parquet files as well, and
// several files as one table.
func ReadCSV(path string, opt ReadOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError already names the path
	}
	defer f.Close()
	return ParseCSV(f, path, opt)
}

// ParseCSV reads a delimited table from r, compressed with gzip or not
// (recognised by its first bytes). The first record is the header and
// must name every column, each name once. Fields are separated by
// opt.Delimiter, or by the delimiter [DetectDelimiter] finds; a field may
// be quoted with double quotes, inside which delimiters and line breaks
// are text and "" is a quote. Surrounding white space is trimmed from
// every field (a quoted field may be preceded by spaces, but as in
// [encoding/csv] nothing may follow its closing quote), a UTF-8 byte order
// mark at the start is skipped, and blank lines are ignored. A field equal
// to a missing token is a missing value. Every record must have as many
// fields as the header, and there must be at least one. The text must be
// UTF-8.
//
// Column kinds are inferred as [MaxOddShare] describes; warnings about odd
// values are in the table's Warnings.
//
// source names r in errors; errors about a position are [*Error] values.
func ParseCSV(r io.Reader, source string, opt ReadOptions) (*Table, error) {
	b, err := newTableBuilder(opt)
	if err != nil {
		return nil, &Error{Source: source, Column: err.Column, Err: err.Err}
	}
	if err := b.readCSV(r, source); err != nil {
		return nil, err
	}
	return b.table(source)
}

// tableBuilder reads one or more CSV files with the same columns into one
// table, inferring each column's kind from all of them.
type tableBuilder struct {
	opt     ReadOptions
	missing missingSet
	names   []string
	cols    []columnBuilder
	rows    int
	files   int
}

func newTableBuilder(opt ReadOptions) (*tableBuilder, *Error) {
	for name, k := range opt.Kinds {
		if k != Continuous && k != Categorical {
			return nil, &Error{Column: name, Err: fmt.Errorf("cannot force unknown kind %v", k)}
		}
	}
	if opt.Odd != OddAsMissing && opt.Odd != OddIsError {
		return nil, &Error{Err: fmt.Errorf("unknown policy for odd values %d", opt.Odd)}
	}
	if opt.Delimiter != 0 && !validDelimiter(opt.Delimiter) {
		return nil, &Error{Err: fmt.Errorf("delimiter %q cannot separate fields", opt.Delimiter)}
	}
	return &tableBuilder{opt: opt, missing: newMissingSet(opt)}, nil
}

func validDelimiter(r rune) bool {
	return r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && r > 0 && utf8.ValidRune(r)
}

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// readCSV adds the rows of the CSV text r to the table. The first file
// sets the columns; each later one must have the same, in any order.
func (b *tableBuilder) readCSV(r io.Reader, source string) error {
	br := bufio.NewReaderSize(r, 1<<16)
	if m, err := br.Peek(2); err == nil && string(m) == gzipMagic {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &Error{Source: source, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	if m, err := br.Peek(3); err == nil && string(m) == "\ufeff" {
		br.Discard(3)
	}
	comma := b.opt.Delimiter
	if comma == 0 {
		sample, _ := br.Peek(sniffBytes) // a short file gives what there is
		comma = DetectDelimiter(sample)
	}
	rr := newRecordReader(br, comma)
	header, err := rr.read()
	if err == io.EOF {
		return &Error{Source: source, Err: errors.New("empty file: a header row is required")}
	}
	if err != nil {
		return readError(source, 0, err, rr, nil)
	}
	order, err := b.setHeader(header, source)
	if err != nil {
		return err
	}
	b.files++
	policy := b.opt.Odd
	rows := 0
	for {
		rec, err := rr.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return readError(source, rows+1, err, rr, b.names)
		}
		rows++
		line := rr.start
		if len(rec) != len(order) {
			return &Error{Source: source, Row: rows, Line: line,
				Err: fmt.Errorf("%w: %d, the header has %d", csv.ErrFieldCount, len(rec), len(order))}
		}
		pos := position{source: source, row: rows, line: line}
		for j, f := range rec {
			f = strings.TrimSpace(f)
			if err := b.cols[order[j]].add(f, b.missing.has(f), pos, policy); err != nil {
				return err
			}
		}
	}
	b.rows += rows
	return nil
}

// setHeader checks a file's header and returns, for each of its fields,
// the index of its column. The first header defines the columns.
func (b *tableBuilder) setHeader(header []string, source string) ([]int, error) {
	names := make([]string, len(header))
	seen := make(map[string]int, len(header))
	for j, h := range header {
		h = strings.TrimSpace(h)
		if !utf8.ValidString(h) {
			return nil, &Error{Source: source, Line: 1, Err: fmt.Errorf("column %d of the header: %w", j+1, notUTF8(h))}
		}
		if h == "" {
			return nil, &Error{Source: source, Line: 1, Err: fmt.Errorf("column %d of the header has no name", j+1)}
		}
		if k, dup := seen[h]; dup {
			return nil, &Error{Source: source, Line: 1, Column: h, Err: fmt.Errorf("duplicate column name (columns %d and %d)", k+1, j+1)}
		}
		seen[h] = j
		names[j] = h
	}
	order := make([]int, len(names))
	if b.names == nil {
		b.names = names
		b.cols = make([]columnBuilder, len(names))
		for j, name := range names {
			b.cols[j] = newColumnBuilder(name, b.opt.Kinds[name])
			order[j] = j
		}
		return order, nil
	}
	if len(names) != len(b.names) {
		return nil, &Error{Source: source, Line: 1, Err: fmt.Errorf("%d columns, the first file has %d (%s)", len(names), len(b.names), quotedList(b.names, 20))}
	}
	for j, name := range names {
		k := slices.Index(b.names, name)
		if k < 0 {
			return nil, &Error{Source: source, Line: 1, Column: name, Err: fmt.Errorf("the first file has no such column (it has %s)", quotedList(b.names, 20))}
		}
		order[j] = k
	}
	return order, nil
}

// table finishes the columns. source names the whole set of files.
func (b *tableBuilder) table(source string) (*Table, error) {
	if b.rows == 0 {
		return nil, fmt.Errorf("%s has no data rows", source)
	}
	t := &Table{Source: source, Rows: b.rows, Columns: make([]*Column, len(b.cols))}
	for j := range b.cols {
		c, warns, err := b.cols[j].finish(b.opt.Odd, b.opt.IntegerCategories)
		if err != nil {
			return nil, err
		}
		for _, w := range warns {
			if w.Source == "" {
				w.Source = source
			}
		}
		t.Columns[j] = c
		t.Warnings = append(t.Warnings, warns...)
		b.cols[j] = columnBuilder{} // let the text go
	}
	return t, nil
}

// sniffBytes is how much of a file [DetectDelimiter] looks at.
const sniffBytes = 1 << 16

// Delimiters are the field separators [DetectDelimiter] chooses from, in
// order of preference.
var Delimiters = []rune{',', ';', '\t', '|'}

// DetectDelimiter chooses the delimiter of CSV text from its first lines
// (up to 20 records, or as many as sample holds in full): the candidate of
// [Delimiters] that occurs, outside quotes, the same nonzero number of
// times on every line, the most often; failing that, the one occurring
// most often in the header; failing that (a single column), comma.
func DetectDelimiter(sample []byte) rune {
	const maxLines = 20
	counts := make([][]int, 0, maxLines) // per line, per candidate
	cur := make([]int, len(Delimiters))
	inQuote := false
	complete := false
	for i := 0; i < len(sample) && len(counts) < maxLines; i++ {
		c := sample[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\n':
			if slices.ContainsFunc(cur, func(n int) bool { return n > 0 }) || len(counts) == 0 {
				counts = append(counts, cur)
			}
			cur = make([]int, len(Delimiters))
			complete = true
		default:
			for k, d := range Delimiters {
				if rune(c) == d {
					cur[k]++
				}
			}
		}
	}
	if !complete || len(sample) < sniffBytes && !inQuote && len(counts) < maxLines {
		// The last line of a short sample is whole.
		if slices.ContainsFunc(cur, func(n int) bool { return n > 0 }) {
			counts = append(counts, cur)
		}
	}
	if len(counts) == 0 {
		return ','
	}
	best, bestN := -1, 0
	for k := range Delimiters {
		n := counts[0][k]
		if n == 0 {
			continue
		}
		same := true
		for _, line := range counts[1:] {
			if line[k] != n {
				same = false
				break
			}
		}
		if same && n > bestN {
			best, bestN = k, n
		}
	}
	if best < 0 {
		for k := range Delimiters {
			if n := counts[0][k]; n > bestN {
				best, bestN = k, n
			}
		}
	}
	if best < 0 {
		return ','
	}
	return Delimiters[best]
}

// notUTF8 is the error for text that is not UTF-8. Such text is refused
// rather than repaired: JSON, in which a fitted preprocessor is saved, would
// replace the bad bytes, so a level seen in training would no longer match
// after the model is loaded, and distinct levels could merge.
func notUTF8(s string) error {
	return fmt.Errorf("%q is not valid UTF-8 text (convert the file to UTF-8)", s)
}

// readError positions an error of the csv package, with the column and the
// text of the field at fault. row is the data row being read, 0 for the
// header; names are the columns, nil while the header is read.
func readError(source string, row int, err error, rr *recordReader, names []string) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		e := &Error{Source: source, Row: row, Line: pe.Line}
		field, value := rr.where(pe)
		if field >= 0 && field < len(names) {
			e.Column = names[field]
		}
		e.Err = fmt.Errorf("%w in %q (byte %d of the line)", pe.Err, value, pe.Column)
		return e
	}
	return fmt.Errorf("%s: %w", source, err)
}
