package data

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// FromRecords builds a table from text held in memory: records[0] is the
// header, and each further record a row. Kinds are inferred and missing
// tokens recognised exactly as for a CSV file ([ParseCSV]); source names
// the table in errors, whose row numbers count the records after the
// header.
func FromRecords(source string, records [][]string, opt ReadOptions) (*Table, error) {
	b, berr := newTableBuilder(opt)
	if berr != nil {
		berr.Source = source
		return nil, berr
	}
	if len(records) == 0 {
		return nil, &Error{Source: source, Err: fmt.Errorf("no header record")}
	}
	order, err := b.setHeader(records[0], source)
	if err != nil {
		return nil, err
	}
	b.files++
	for i, rec := range records[1:] {
		if len(rec) != len(order) {
			return nil, &Error{Source: source, Row: i + 1, Err: fmt.Errorf("%d fields, the header has %d", len(rec), len(order))}
		}
		pos := position{source: source, row: i + 1}
		for j, f := range rec {
			f = strings.TrimSpace(f)
			if err := b.cols[order[j]].add(f, b.missing.has(f), pos, b.opt.Odd); err != nil {
				return nil, err
			}
		}
	}
	b.rows = len(records) - 1
	return b.table(source)
}

// NewContinuous returns a continuous column of vals; NaN is missing.
func NewContinuous(name string, vals []float32) *Column {
	return &Column{Name: name, Kind: Continuous, Floats: vals}
}

// NewCategorical returns a categorical column of vals, with its
// dictionary in first-seen order; "" is missing.
func NewCategorical(name string, vals []string) *Column {
	c := &Column{Name: name, Kind: Categorical, Codes: make([]int32, len(vals))}
	index := map[string]int32{}
	for i, v := range vals {
		if v == "" {
			c.Codes[i] = -1
			continue
		}
		code, ok := index[v]
		if !ok {
			code = int32(len(c.Dict))
			index[v] = code
			c.Dict = append(c.Dict, v)
		}
		c.Codes[i] = code
	}
	return c
}

// NewTable assembles a table from columns built in memory
// ([NewContinuous], [NewCategorical], or by hand) and checks it as a
// reader would: names present and distinct, every column as long as the
// first, no infinite values, codes within the dictionary, dictionary
// entries distinct, non-empty UTF-8. The first fault is an error naming
// the column and, where there is one, the row.
func NewTable(source string, cols ...*Column) (*Table, error) {
	if len(cols) == 0 {
		return nil, &Error{Source: source, Err: fmt.Errorf("a table needs at least one column")}
	}
	t := &Table{Source: source, Rows: cols[0].Len(), Columns: cols}
	seen := map[string]bool{}
	for _, c := range cols {
		if c == nil {
			return nil, &Error{Source: source, Err: fmt.Errorf("nil column")}
		}
		if c.Name == "" || seen[c.Name] || !utf8.ValidString(c.Name) {
			return nil, &Error{Source: source, Column: c.Name, Err: fmt.Errorf("empty, repeated or invalid column name")}
		}
		seen[c.Name] = true
		if c.Len() != t.Rows {
			return nil, &Error{Source: source, Column: c.Name, Err: fmt.Errorf("%d values, the first column has %d", c.Len(), t.Rows)}
		}
		switch c.Kind {
		case Continuous:
			for i, v := range c.Floats {
				if math.IsInf(float64(v), 0) {
					return nil, &Error{Source: source, Row: i + 1, Column: c.Name, Err: fmt.Errorf("%v is not a finite number", v)}
				}
			}
		case Categorical:
			dict := map[string]bool{}
			for _, s := range c.Dict {
				if s == "" || dict[s] || !utf8.ValidString(s) {
					return nil, &Error{Source: source, Column: c.Name, Err: fmt.Errorf("dictionary entry %q is empty, repeated or not UTF-8", s)}
				}
				dict[s] = true
			}
			if i := slices.IndexFunc(c.Codes, func(code int32) bool { return code < -1 || int(code) >= len(c.Dict) }); i >= 0 {
				return nil, &Error{Source: source, Row: i + 1, Column: c.Name, Err: fmt.Errorf("code %d outside the dictionary of %d entries", c.Codes[i], len(c.Dict))}
			}
		default:
			return nil, &Error{Source: source, Column: c.Name, Err: fmt.Errorf("unknown kind %v", c.Kind)}
		}
	}
	return t, nil
}
