package data

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DateColumn names a column of dates to expand into calendar features, and
// the layout its values are written in (Go's reference-time notation, as
// in [time.Parse]). An empty Layout accepts RFC 3339 ("2024-03-05T14:30:00Z",
// with or without fractional seconds), "2024-03-05T14:30:00",
// "2024-03-05 14:30:00" and "2024-03-05".
type DateColumn struct {
	Name   string `json:"name"`
	Layout string `json:"layout,omitempty"`
}

// The calendar features of a date column, each a feature called
// "<column>_<part>". Year and day of year are continuous, so that a year
// not seen in fitting still falls in order and the transform of continuous
// columns applies to them; month, day of month, day of week and hour are
// categorical, because their effect is rarely monotone (December is not
// "more" than January) and they have few levels. The hour is a feature only
// when some fitted date has a time of day other than midnight.
const (
	DatePartYear      = "year"
	DatePartDayOfYear = "day_of_year"
	DatePartMonth     = "month"
	DatePartDay       = "day"
	DatePartWeekday   = "weekday" // 0 = Sunday … 6 = Saturday
	DatePartHour      = "hour"
	// PartMissing is the part of a missing-value indicator: the feature
	// "<column>_missing" of a continuous column, categorical with the
	// levels "0" (a value) and "1" (missing).
	PartMissing = "missing"
)

// continuousDateParts and categoricalDateParts are the parts of each kind,
// in the order the features are added.
var (
	continuousDateParts  = []string{DatePartYear, DatePartDayOfYear}
	categoricalDateParts = []string{DatePartMonth, DatePartDay, DatePartWeekday, DatePartHour}
)

// defaultDateLayouts are tried in order when a DateColumn has no layout.
var defaultDateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"}

// The values of [Preprocessor.BadDates].
const (
	// BadDatesMissing reads a value that is not a date as missing (the
	// default, written "").
	BadDatesMissing = "missing"
	// BadDatesError makes it an error naming the file, row, column and
	// value.
	BadDatesError = "error"
)

// parseDate parses s by layout, or by the default layouts when layout is "".
// The calendar fields are those of the zone the value is written in: a
// date is expanded as its writer saw it.
func parseDate(s, layout string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if layout != "" {
		t, err := time.Parse(layout, s)
		return t, err == nil
	}
	for _, l := range defaultDateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// datePart returns part of t as a number.
func datePart(t time.Time, part string) int {
	switch part {
	case DatePartYear:
		return t.Year()
	case DatePartDayOfYear:
		return t.YearDay()
	case DatePartMonth:
		return int(t.Month())
	case DatePartDay:
		return t.Day()
	case DatePartWeekday:
		return int(t.Weekday())
	case DatePartHour:
		return t.Hour()
	}
	return 0
}

// parsedDates are the values of a date column, parsed: ok[i] is false for
// a missing value or one that is not a date.
type parsedDates struct {
	times []time.Time
	ok    []bool
	bad   int    // values present but not dates
	first string // the first of them
	row   int    // and its row, 1-based
}

// parseDates parses the date column d of t. A value that is not a date is
// an error naming the row, column and value under BadDatesError; otherwise
// it is counted and treated as missing.
func parseDates(t *Table, d DateColumn, policy string) (*parsedDates, error) {
	c, err := column(t, d.Name)
	if err != nil {
		return nil, err
	}
	p := &parsedDates{times: make([]time.Time, t.Rows), ok: make([]bool, t.Rows)}
	// A column of text is parsed once per distinct value.
	var dict []time.Time
	var dictOK []bool
	if c.Kind == Categorical {
		dict, dictOK = make([]time.Time, len(c.Dict)), make([]bool, len(c.Dict))
		for k, s := range c.Dict {
			dict[k], dictOK[k] = parseDate(s, d.Layout)
		}
	}
	for i := range t.Rows {
		s, present := c.Text(i)
		if !present {
			continue
		}
		if c.Kind == Categorical {
			p.times[i], p.ok[i] = dict[c.Codes[i]], dictOK[c.Codes[i]]
		} else {
			p.times[i], p.ok[i] = parseDate(s, d.Layout)
		}
		if p.ok[i] {
			continue
		}
		if policy == BadDatesError {
			return nil, &Error{Source: t.source(), Row: i + 1, Column: d.Name, Err: fmt.Errorf("%q is not a date%s", s, layoutHint(d.Layout))}
		}
		if p.bad == 0 {
			p.first, p.row = s, i+1
		}
		p.bad++
	}
	return p, nil
}

// warning describes the values of p that were not dates, nil if none.
func (p *parsedDates) warning(t *Table, d DateColumn) error {
	if p.bad == 0 {
		return nil
	}
	what := fmt.Sprintf("%d values are not dates", p.bad)
	if p.bad == 1 {
		what = "1 value is not a date"
	}
	return &Error{Source: t.source(), Row: p.row, Column: d.Name, Err: fmt.Errorf(
		"%s%s and read as missing; the first is %q", what, layoutHint(d.Layout), p.first)}
}

func layoutHint(layout string) string {
	if layout == "" {
		return " (want RFC 3339, 2006-01-02T15:04:05, 2006-01-02 15:04:05 or 2006-01-02, or give the column's layout)"
	}
	return fmt.Sprintf(" in the layout %q", layout)
}

// fitDerived adds to t the columns of the features derived from the date
// columns of opt and, with opt.MissingIndicator, the missing-value
// indicators of those continuous columns that have missing values in t. It
// returns the new table (sharing t's columns) and the specs of the derived
// features, naming their Source and Part, to be fitted like the others.
func fitDerived(t *Table, continuous []string, opt FitOptions, policy string) (*Table, []ContinuousSpec, []CategoricalSpec, error) {
	var cont []ContinuousSpec
	var cat []CategoricalSpec
	nt := &Table{Source: t.Source, Rows: t.Rows, Columns: slices.Clone(t.Columns)}
	for _, d := range opt.Dates {
		pd, err := parseDates(t, d, policy)
		if err != nil {
			return nil, nil, nil, err
		}
		if w := pd.warning(t, d); w != nil && opt.Warn != nil {
			opt.Warn(w)
		}
		hasTime := false
		for i, ok := range pd.ok {
			if ok {
				h, m, s := pd.times[i].Clock()
				if h != 0 || m != 0 || s != 0 || pd.times[i].Nanosecond() != 0 {
					hasTime = true
					break
				}
			}
		}
		for _, part := range continuousDateParts {
			name := d.Name + "_" + part
			nt.Columns = append(nt.Columns, dateColumn(name, part, pd, Continuous))
			cont = append(cont, ContinuousSpec{Name: name, Source: d.Name, Part: part})
		}
		for _, part := range categoricalDateParts {
			if part == DatePartHour && !hasTime {
				continue
			}
			name := d.Name + "_" + part
			nt.Columns = append(nt.Columns, dateColumn(name, part, pd, Categorical))
			cat = append(cat, CategoricalSpec{Name: name, Source: d.Name, Part: part})
		}
	}
	if opt.MissingIndicator {
		for _, name := range continuous {
			c, err := column(t, name)
			if err != nil {
				return nil, nil, nil, err
			}
			missing := false
			for i := range c.Len() {
				if c.Missing(i) {
					missing = true
					break
				}
			}
			if missing {
				ind := name + "_" + PartMissing
				nt.Columns = append(nt.Columns, missingColumn(ind, c))
				cat = append(cat, CategoricalSpec{Name: ind, Source: name, Part: PartMissing})
			}
		}
	}
	// A derived feature named like a column of the table would make the
	// two indistinguishable in the model's file and its inputs.
	for _, c := range nt.Columns[len(t.Columns):] {
		if _, err := t.Col(c.Name); err == nil {
			return nil, nil, nil, &Error{Source: t.source(), Column: c.Name, Err: errDerivedClash}
		}
	}
	return nt, cont, cat, nil
}

// errDerivedClash is the error of a derived feature named like a column
// of the data: the two would be indistinguishable in the model's file and
// its inputs.
var errDerivedClash = errors.New("the table has a column of the name of a derived feature (a calendar part of a date column, or a missing-value indicator); rename or drop it")

// dateColumn builds the column of one calendar part from parsed dates,
// missing where the date is.
func dateColumn(name, part string, pd *parsedDates, kind Kind) *Column {
	c := &Column{Name: name, Kind: kind}
	if kind == Continuous {
		c.Floats = make([]float32, len(pd.ok))
		for i, ok := range pd.ok {
			c.Floats[i] = nan32
			if ok {
				c.Floats[i] = float32(datePart(pd.times[i], part))
			}
		}
		return c
	}
	c.Codes = make([]int32, len(pd.ok))
	index := map[int]int32{}
	for i, ok := range pd.ok {
		c.Codes[i] = -1
		if !ok {
			continue
		}
		v := datePart(pd.times[i], part)
		code, seen := index[v]
		if !seen {
			code = int32(len(c.Dict))
			index[v] = code
			c.Dict = append(c.Dict, strconv.Itoa(v))
		}
		c.Codes[i] = code
	}
	return c
}

// missingColumn builds the indicator column of src: "1" where src is
// missing, "0" elsewhere.
func missingColumn(name string, src *Column) *Column {
	c := &Column{Name: name, Kind: Categorical, Dict: []string{"0", "1"}, Codes: make([]int32, src.Len())}
	for i := range c.Codes {
		if src.Missing(i) {
			c.Codes[i] = 1
		}
	}
	return c
}

var nan32 = float32(math.NaN())

// derive returns t with the columns of p's derived features added (the
// calendar parts of its date columns and the missing-value indicators),
// computed as when p was fitted, so that Transform reads them like any
// other column. It returns t itself when p has no derived features.
func (p *Preprocessor) derive(t *Table, warn func(error)) (*Table, error) {
	if len(p.Dates) == 0 && !p.hasDerived() {
		return t, nil
	}
	nt := &Table{Source: t.Source, Rows: t.Rows, Columns: slices.Clone(t.Columns)}
	parsed := make(map[string]*parsedDates, len(p.Dates))
	for _, d := range p.Dates {
		pd, err := parseDates(t, d, p.BadDates)
		if err != nil {
			return nil, err
		}
		if w := pd.warning(t, d); w != nil && warn != nil {
			warn(w)
		}
		parsed[d.Name] = pd
	}
	add := func(name, source, part string, kind Kind) error {
		if part == PartMissing {
			c, err := column(t, source)
			if err != nil {
				return err
			}
			nt.Columns = append(nt.Columns, missingColumn(name, c))
			return nil
		}
		pd, ok := parsed[source]
		if !ok { // Validate rules this out for a loaded Preprocessor
			return &Error{Source: t.source(), Column: name, Err: fmt.Errorf("derived from %q, which is not a date column", source)}
		}
		nt.Columns = append(nt.Columns, dateColumn(name, part, pd, kind))
		return nil
	}
	for _, s := range p.Continuous {
		if s.Source != "" {
			if err := add(s.Name, s.Source, s.Part, Continuous); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range p.Categorical {
		if s.Source != "" {
			if err := add(s.Name, s.Source, s.Part, Categorical); err != nil {
				return nil, err
			}
		}
	}
	// A derived column shadows an input column of the same name, which
	// the model never read.
	nt.Columns = slices.Concat(nt.Columns[len(t.Columns):], nt.Columns[:len(t.Columns)])
	return nt, nil
}

func (p *Preprocessor) hasDerived() bool {
	for _, s := range p.Continuous {
		if s.Source != "" {
			return true
		}
	}
	for _, s := range p.Categorical {
		if s.Source != "" {
			return true
		}
	}
	return false
}

// Inputs returns the columns a table must hold for [Preprocessor.Transform],
// with the kind each is read as: the feature columns that are not derived,
// and the date columns, read as text.
func (p *Preprocessor) Inputs() (names []string, kinds []Kind) {
	for _, s := range p.Continuous {
		if s.Source == "" {
			names, kinds = append(names, s.Name), append(kinds, Continuous)
		}
	}
	for _, s := range p.Categorical {
		if s.Source == "" {
			names, kinds = append(names, s.Name), append(kinds, Categorical)
		}
	}
	for _, d := range p.Dates {
		names, kinds = append(names, d.Name), append(kinds, Categorical)
	}
	return names, kinds
}

// validateDerived checks the date columns and derived features of a
// Preprocessor decoded from a file.
func (p *Preprocessor) validateDerived() error {
	if p.BadDates != "" && p.BadDates != BadDatesMissing && p.BadDates != BadDatesError {
		return fmt.Errorf("preprocessing: bad_dates %q: want %q or %q", p.BadDates, BadDatesMissing, BadDatesError)
	}
	dates := map[string]bool{}
	for i, d := range p.Dates {
		if d.Name == "" {
			return fmt.Errorf("preprocessing: dates[%d]: empty name", i)
		}
		if dates[d.Name] {
			return fmt.Errorf("preprocessing: dates[%d] %q: listed twice", i, d.Name)
		}
		if p.Has(d.Name) {
			return fmt.Errorf("preprocessing: dates[%d] %q: also a feature column", i, d.Name)
		}
		dates[d.Name] = true
	}
	rawCont := map[string]bool{}
	for _, s := range p.Continuous {
		if s.Source == "" {
			rawCont[s.Name] = true
		}
	}
	check := func(field, name, source, part string, parts []string) error {
		switch {
		case source == "" && part == "":
			return nil
		case part == PartMissing && slices.Equal(parts, categoricalDateParts):
			if !rawCont[source] {
				return fmt.Errorf("preprocessing: %s %q: a missing-value indicator of %q, which is not a continuous feature", field, name, source)
			}
			return nil
		case !dates[source]:
			return fmt.Errorf("preprocessing: %s %q: derived from %q, which is not a date column", field, name, source)
		case !slices.Contains(parts, part):
			return fmt.Errorf("preprocessing: %s %q: part %q: want one of %s", field, name, part, strings.Join(parts, ", "))
		}
		return nil
	}
	for i, s := range p.Continuous {
		if err := check(fmt.Sprintf("continuous[%d]", i), s.Name, s.Source, s.Part, continuousDateParts); err != nil {
			return err
		}
	}
	for i, s := range p.Categorical {
		if err := check(fmt.Sprintf("categorical[%d]", i), s.Name, s.Source, s.Part, categoricalDateParts); err != nil {
			return err
		}
	}
	return nil
}
