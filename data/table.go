// Package data holds tables in memory and turns them into the matrices the
// models train on.
//
// A [Table] is a list of typed columns read from files by [Read] (CSV or
// Parquet, one file or several; [MaxOddShare] gives the rules by which a
// column's kind is inferred) or built in memory ([FromRecords],
// [NewTable]); [Describe] summarises its columns. A
// [Preprocessor] is fitted once on one table, the pretraining data, and then
// applied unchanged to every later table so that a model always sees its
// inputs encoded the same way; it is plain data that round-trips through JSON
// inside a saved model. A [Target] does the same for the label column.
// [Preprocessor.Transform] and [Target.Encode] produce a [Dataset], from which
// the training loop gathers [Batch]es without allocating. [Split],
// [StratifiedSplit] and [StratifiedSample] choose rows reproducibly from a
// seeded random source.
package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kind is the type of a column.
type Kind uint8

const (
	// Continuous columns hold numbers.
	Continuous Kind = iota + 1
	// Categorical columns hold labels from a finite set.
	Categorical
)

// String returns "continuous" or "categorical".
func (k Kind) String() string {
	switch k {
	case Continuous:
		return "continuous"
	case Categorical:
		return "categorical"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is one typed column of a [Table].
//
// Missing values have a single representation, chosen so that no separate
// validity bitmap has to be kept in step with the values: NaN in Floats and
// -1 in Codes.
type Column struct {
	Name   string
	Kind   Kind
	Floats []float32 // Continuous: the values, one per table row; NaN = missing
	Codes  []int32   // Categorical: index into Dict, one per table row; -1 = missing
	Dict   []string  // Categorical: the distinct values in first-seen order
}

// Len returns the number of values in c.
func (c *Column) Len() int {
	if c.Kind == Categorical {
		return len(c.Codes)
	}
	return len(c.Floats)
}

// Missing reports whether value i of c is missing.
func (c *Column) Missing(i int) bool {
	if c.Kind == Categorical {
		return c.Codes[i] < 0
	}
	return isNaN32(c.Floats[i])
}

// Text returns value i of c as text and true, or "" and false if the value
// is missing. Continuous values are formatted with the shortest
// representation that reads back as the same float32, so that "1.50" in a
// file becomes "1.5".
func (c *Column) Text(i int) (string, bool) {
	if c.Kind == Categorical {
		code := c.Codes[i]
		if code < 0 {
			return "", false
		}
		return c.Dict[code], true
	}
	v := c.Floats[i]
	if isNaN32(v) {
		return "", false
	}
	return formatFloat32(v), true
}

// Table is a set of equally long, named columns.
type Table struct {
	Source  string // where the table came from (a file path), for error messages
	Rows    int
	Columns []*Column
	// Warnings are what reading the table found that a user should hear
	// of but that did not stop it, such as odd values of a numeric column
	// read as missing; each names the column and, where there is one, the
	// file and row of the first case.
	Warnings []*Error
}

// Names returns the column names in order.
func (t *Table) Names() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Col returns the column called name. If there is none, the error names the
// table and the column and lists the columns there are, since the usual
// cause is a misspelt name in a configuration.
func (t *Table) Col(name string) (*Column, error) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, &Error{Source: t.source(), Column: name, Err: fmt.Errorf("no such column; the columns are %s", quotedList(t.Names(), 50))}
}

// Take returns a new table holding copies of the given rows, in the order
// given; a row may appear more than once. Categorical columns keep their
// whole dictionary, including values that none of the taken rows has.
// Take panics if a row is out of range.
func (t *Table) Take(rows []int) *Table {
	nt := &Table{Source: t.Source, Rows: len(rows), Columns: make([]*Column, len(t.Columns))}
	for j, c := range t.Columns {
		nc := &Column{Name: c.Name, Kind: c.Kind}
		if c.Floats != nil {
			nc.Floats = make([]float32, len(rows))
			for i, r := range rows {
				nc.Floats[i] = c.Floats[r]
			}
		}
		if c.Codes != nil {
			nc.Codes = make([]int32, len(rows))
			for i, r := range rows {
				nc.Codes[i] = c.Codes[r]
			}
		}
		nc.Dict = slices.Clone(c.Dict)
		nt.Columns[j] = nc
	}
	return nt
}

// Without returns a copy of t that lacks the named columns. The copy shares
// the remaining columns with t. Names that t does not have are ignored, so
// that dropping an optional column (a target absent from a prediction file)
// needs no check first.
func (t *Table) Without(names ...string) *Table {
	nt := &Table{Source: t.Source, Rows: t.Rows, Columns: make([]*Column, 0, len(t.Columns))}
	for _, c := range t.Columns {
		if !slices.Contains(names, c.Name) {
			nt.Columns = append(nt.Columns, c)
		}
	}
	return nt
}

// source names t in messages; a table built in memory has no file.
func (t *Table) source() string {
	if t.Source == "" {
		return "table"
	}
	return t.Source
}

// Error is an error at a position in a table or file, in the manner of
// [encoding/csv.ParseError]: it says which file, row and column so that the
// user can find the offending value.
type Error struct {
	Source string // the file or table
	Row    int    // 1-based data row (the header is not counted); 0 if not about a row
	Line   int    // 1-based line in the file (the header is line 1); 0 if unknown
	Column string // column name; "" if not about a column
	Err    error
}

// Error returns the message, for example
//
//	adult.csv: row 12 (line 13), column "age": "abc" is not a number
func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	pos := false
	switch {
	case e.Row > 0 && e.Line > 0:
		fmt.Fprintf(&b, "row %d (line %d)", e.Row, e.Line)
		pos = true
	case e.Row > 0:
		fmt.Fprintf(&b, "row %d", e.Row)
		pos = true
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d", e.Line)
		pos = true
	}
	if e.Column != "" {
		if pos {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %q", e.Column)
		pos = true
	}
	if pos {
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// quotedList formats names as "a", "b", "c", eliding the middle of very long
// lists so that an error about a wide table stays readable.
func quotedList(names []string, max int) string {
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(n))
	}
	if len(names) == 0 {
		return "(none)"
	}
	return b.String()
}

func isNaN32(v float32) bool { return v != v }

func formatFloat32(v float32) string { return strconv.FormatFloat(float64(v), 'g', -1, 32) }

// parseFloat32 parses a finite number. Infinities and NaN are refused: they
// cannot be standardised, and a file that spells them out is more likely to
// hold labels than measurements.
func parseFloat32(s string) (float32, bool) {
	v, err := strconv.ParseFloat(s, 32)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return float32(v), true
}
