package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"unicode/utf8"
)

// ReadOptions control how a CSV file becomes a [Table].
type ReadOptions struct {
	// Kinds forces the kind of the named columns; names the file does not
	// have are ignored, so one set of options serves files with and without
	// the target column. Other columns are inferred: a column whose
	// non-missing fields all parse as finite numbers is Continuous (so is a
	// column with no values at all), otherwise it is Categorical. A forced
	// Continuous column with a field that is not a finite number is an
	// error naming the file, row and column.
	Kinds map[string]Kind
	// NullValues are extra field values read as missing, such as "NA" or
	// "?"; they are compared after trimming. The empty field is always
	// missing.
	NullValues []string
}

// ReadCSV reads the CSV file at path; see [ParseCSV] for the format.
func ReadCSV(path string, opt ReadOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError already names the path
	}
	defer f.Close()
	return ParseCSV(f, path, opt)
}

// ParseCSV reads a comma-separated table from r. The first record is the
// header and must name every column, each name once. Surrounding white
// space is trimmed from every field (a quoted field may be preceded by
// spaces, but as in [encoding/csv] nothing may follow its closing quote), a
// UTF-8 byte order mark at the start is skipped, and blank lines are
// ignored. An empty field is a missing value. Every record must have as
// many fields as the header, and there must be at least one. The text must
// be UTF-8.
//
// source names r in errors; errors about a position are [*Error] values.
func ParseCSV(r io.Reader, source string, opt ReadOptions) (*Table, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked here, to say how many fields were expected
	cr.ReuseRecord = true   // the fields are strings that outlive the slice
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{Source: source, Err: errors.New("empty file: a header row is required")}
	}
	if err != nil {
		return nil, readError(source, 0, err)
	}
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
	for name, k := range opt.Kinds {
		if k != Continuous && k != Categorical {
			return nil, &Error{Source: source, Column: name, Err: fmt.Errorf("cannot force unknown kind %v", k)}
		}
	}
	nulls := make(map[string]bool, len(opt.NullValues))
	for _, s := range opt.NullValues {
		nulls[strings.TrimSpace(s)] = true
	}

	cols := make([]columnBuilder, len(names))
	for j, name := range names {
		cols[j] = columnBuilder{name: name, forced: opt.Kinds[name], cat: opt.Kinds[name] == Categorical}
	}
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readError(source, rows+1, err)
		}
		rows++
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			return nil, &Error{Source: source, Row: rows, Line: line,
				Err: fmt.Errorf("%w: %d, the header has %d", csv.ErrFieldCount, len(rec), len(names))}
		}
		for j, f := range rec {
			f = strings.TrimSpace(f)
			if len(nulls) > 0 && nulls[f] {
				f = ""
			}
			if err := cols[j].add(f); err != nil {
				return nil, &Error{Source: source, Row: rows, Line: line, Column: names[j], Err: err}
			}
		}
	}
	if rows == 0 {
		return nil, fmt.Errorf("%s has no data rows", source)
	}
	t := &Table{Source: source, Rows: rows, Columns: make([]*Column, len(names))}
	for j := range cols {
		t.Columns[j] = cols[j].column()
	}
	return t, nil
}

// notUTF8 is the error for text that is not UTF-8. Such text is refused
// rather than repaired: JSON, in which a fitted preprocessor is saved, would
// replace the bad bytes, so a level seen in training would no longer match
// after the model is loaded, and distinct levels could merge.
func notUTF8(s string) error {
	return fmt.Errorf("%q is not valid UTF-8 text (convert the file to UTF-8)", s)
}

// readError positions an error of the csv package. row is the data row
// being read, 0 for the header.
func readError(source string, row int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Source: source, Row: row, Line: pe.Line, Err: fmt.Errorf("%w (byte %d of the line)", pe.Err, pe.Column)}
	}
	return fmt.Errorf("%s: %w", source, err)
}

// columnBuilder encodes one column while the file is read, so that the
// file's text need not be kept. A column is taken to be numeric until a
// field says otherwise: it keeps the numbers, and beside them a copy of its
// text in one byte slice. Both hold no pointers, which spares the garbage
// collector a scan of every field of the file. At the first field that is
// not a number, the column turns categorical and the text kept so far
// becomes dictionary codes; a forced kind decides from the start.
type columnBuilder struct {
	name   string
	forced Kind // 0 if inferred
	cat    bool // categorical: codes and dict are in use, not floats and text

	floats []float32
	text   []byte // the fields so far, concatenated; unused if forced continuous
	ends   []int  // where each field ends in text

	codes []int32
	dict  []string
	index map[string]int32
}

// add appends field f, trimmed, with "" for missing. The error is about f
// alone; the caller adds the position.
func (b *columnBuilder) add(f string) error {
	if b.cat {
		return b.addCode(f)
	}
	v := float32(math.NaN())
	if f != "" {
		var ok bool
		if v, ok = parseFloat32(f); !ok {
			if b.forced == Continuous {
				return fmt.Errorf("%q is not a number", f)
			}
			b.toCategorical()
			return b.addCode(f)
		}
	}
	b.floats = append(b.floats, v)
	if b.forced != Continuous {
		b.text = append(b.text, f...)
		b.ends = append(b.ends, len(b.text))
	}
	return nil
}

func (b *columnBuilder) addCode(f string) error {
	c, err := b.code(f)
	b.codes = append(b.codes, c)
	return err
}

// code returns the dictionary code of f, adding f to the dictionary if it
// is new. Only new entries are checked for UTF-8: every other field is a
// repeat or a number, and checking each field would cost a tenth of the
// reading time.
func (b *columnBuilder) code(f string) (int32, error) {
	if f == "" {
		return -1, nil
	}
	c, ok := b.index[f]
	if !ok {
		if !utf8.ValidString(f) {
			return 0, notUTF8(f)
		}
		if b.index == nil {
			b.index = make(map[string]int32)
		}
		// f shares the storage of its whole record; a copy lets the
		// record go.
		f = strings.Clone(f)
		c = int32(len(b.dict))
		b.index[f] = c
		b.dict = append(b.dict, f)
	}
	return c, nil
}

// toCategorical re-encodes the fields read so far as codes.
func (b *columnBuilder) toCategorical() {
	b.cat = true
	b.codes = make([]int32, len(b.ends), cap(b.ends))
	start := 0
	for i, end := range b.ends {
		seg := b.text[start:end]
		start = end
		if len(seg) == 0 {
			b.codes[i] = -1
			continue
		}
		c, ok := b.index[string(seg)] // no allocation for the lookup
		if !ok {
			c, _ = b.code(string(seg)) // numbers are ASCII: no error
		}
		b.codes[i] = c
	}
	b.floats, b.text, b.ends = nil, nil, nil
}

func (b *columnBuilder) column() *Column {
	if b.cat {
		return &Column{Name: b.name, Kind: Categorical, Codes: slices.Clip(b.codes), Dict: slices.Clip(b.dict)}
	}
	return &Column{Name: b.name, Kind: Continuous, Floats: slices.Clip(b.floats)}
}
