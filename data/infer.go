package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxOddShare and schema inference. A column of text fields becomes
// Continuous or
// Categorical by these rules, applied once the whole column (of every file
// of a dataset) has been seen, so that the decision never depends on where
// in the file an odd value sits:
//
//   - a missing token (see [DefaultMissingValues]) is a missing value and
//     counts for neither kind;
//   - a field that parses as a finite float32 is a number;
//   - a field that is a number but not a finite float32 ("Inf", "-inf",
//     "1e308", which overflows float32) is an odd number;
//   - any other field is odd text.
//
// A column with at least one number, and with odd text in at most
// [MaxOddShare] of its non-missing fields, is Continuous; its odd fields
// (odd text and odd numbers) are handled by [ReadOptions.Odd]: by default
// they become missing and the table carries a warning naming the column,
// how many there were and the first of them. Any other column is
// Categorical, holding every field as text. So a stray "Inf" or typo in a
// column of measurements neither turns it into hundreds of categories nor
// goes unreported.
//
// With [ReadOptions.IntegerCategories] n > 0, a column inferred Continuous
// whose values are all integers and which has at most n distinct values is
// read as Categorical instead (codes such as 1, 2, 3 for three kinds of
// soil), with a warning saying so.
//
// A kind forced by [ReadOptions.Kinds] is never changed; a column forced
// Continuous with odd text in more than [MaxOddShare] of its fields is an
// error, since the list of columns is more likely wrong than the values.
//
// MaxOddShare itself is the largest share of a column's non-missing fields
// that may be odd text for the column still to be inferred Continuous: a
// few typos among numbers are mistakes; more are likely labels.
const MaxOddShare = 0.05

// DefaultMissingValues are the fields read as missing when
// [ReadOptions.MissingValues] is nil. They are matched ignoring ASCII case
// ("na", "NULL" and "nan" are missing too), after trimming white space;
// the empty field is always missing.
var DefaultMissingValues = []string{"", "NA", "NaN", "null", "?"}

// OddPolicy says what happens to an odd field of a Continuous column: one
// that is not a finite float32 ("Inf", "1e308", "abc").
type OddPolicy uint8

const (
	// OddAsMissing reads odd fields as missing values and adds a warning
	// to the table naming the column, their count and the first of them.
	OddAsMissing OddPolicy = iota
	// OddIsError makes the first odd field an error naming the file, row,
	// column and value.
	OddIsError
)

// missingSet matches missing tokens: exact ones as given by the user, and
// the defaults ignoring ASCII case.
type missingSet struct {
	exact  map[string]bool
	folded map[string]bool // lower-case
	maxLen int             // longest token, to skip the lookup for longer fields
}

func newMissingSet(opt ReadOptions) missingSet {
	m := missingSet{exact: map[string]bool{}, folded: map[string]bool{}}
	add := func(set map[string]bool, s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		set[s] = true
		m.maxLen = max(m.maxLen, len(s))
	}
	if opt.MissingValues == nil {
		for _, s := range DefaultMissingValues {
			add(m.folded, strings.ToLower(s))
		}
	} else {
		for _, s := range opt.MissingValues {
			add(m.exact, s)
		}
	}
	for _, s := range opt.NullValues {
		add(m.exact, s)
	}
	return m
}

// has reports whether the trimmed field f is missing. It allocates
// nothing: fields are checked by the million.
func (m *missingSet) has(f string) bool {
	if f == "" {
		return true
	}
	if len(f) > m.maxLen {
		return false
	}
	if len(m.exact) > 0 && m.exact[f] {
		return true
	}
	if len(m.folded) == 0 {
		return false
	}
	var buf [32]byte
	if len(f) > len(buf) {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return m.folded[string(buf[:len(f)])]
}

// position is where a field was read.
type position struct {
	source    string
	row, line int
}

func (p position) error(column string, err error) *Error {
	return &Error{Source: p.source, Row: p.row, Line: p.line, Column: column, Err: err}
}

// oddCount records the odd fields of a column: how many, and where the
// first one was.
type oddCount struct {
	n     int
	first *Error // its position, with the value in Err
}

// columnBuilder collects one column while the files are read, so that the
// text of a file need not be kept. It keeps the numbers, and beside them a
// copy of the column's text in one byte slice, both free of pointers, which
// spares the garbage collector a scan of every field. When the column ends
// Categorical the text becomes dictionary codes. A column forced Continuous
// keeps no text; one forced Categorical keeps codes from the start.
type columnBuilder struct {
	name   string
	forced Kind // 0 if inferred

	floats []float32
	text   []byte // the fields so far, concatenated; unused if forced
	// lens holds the length of each field in text, one byte a field
	// rather than an eight-byte offset, which for a numeric file is a
	// third of what reading it holds; a field of 255 bytes or more has
	// 255 here and its length in long.
	lens []uint8
	long map[int]int

	codes []int32 // forced Categorical only, until finish
	dict  []string
	index map[string]int32

	nonMissing int
	numbers    int      // fields that are finite numbers
	oddText    oddCount // fields that are not numbers
	oddNumber  oddCount // numbers that are not finite float32
	integral   bool     // every number so far is an integer
}

func newColumnBuilder(name string, forced Kind) columnBuilder {
	return columnBuilder{name: name, forced: forced, integral: true}
}

// add appends the trimmed field f, already known not to be missing, or a
// missing value if missing. pos places f for errors and warnings.
func (b *columnBuilder) add(f string, missing bool, pos position, policy OddPolicy) error {
	if b.forced == Categorical {
		if missing {
			b.codes = append(b.codes, -1)
			return nil
		}
		b.nonMissing++
		c, err := b.code(f)
		if err != nil {
			return pos.error(b.name, err)
		}
		b.codes = append(b.codes, c)
		return nil
	}
	if missing {
		b.floats = append(grow(b.floats, 1), float32(math.NaN()))
		if b.forced == 0 {
			b.lens = append(grow(b.lens, 1), 0)
		}
		return nil
	}
	b.nonMissing++
	v, kind := parseField(f)
	switch kind {
	case fieldNumber:
		b.numbers++
		if b.integral && v != float32(math.Trunc(float64(v))) {
			b.integral = false
		}
	default:
		if b.forced == Continuous && policy == OddIsError {
			return pos.error(b.name, fmt.Errorf("%q is not a finite number (float32), and the column is continuous", f))
		}
		if kind == fieldOddText && !utf8.ValidString(f) {
			return pos.error(b.name, notUTF8(f))
		}
		odd := &b.oddText
		if kind == fieldOddNumber {
			odd = &b.oddNumber
		}
		if odd.n == 0 {
			odd.first = pos.error(b.name, fmt.Errorf("%q", f)) // the value, quoted
		}
		odd.n++
		v = float32(math.NaN())
	}
	b.floats = append(grow(b.floats, 1), v)
	if b.forced == 0 {
		b.text = append(grow(b.text, len(f)), f...)
		b.addLen(len(f))
	}
	return nil
}

// addLen records the length of the field just added to text.
func (b *columnBuilder) addLen(n int) {
	if n >= 255 {
		if b.long == nil {
			b.long = map[int]int{}
		}
		b.long[len(b.lens)] = n
		n = 255
	}
	b.lens = append(grow(b.lens, 1), uint8(n))
}

// grow makes room for n more elements in s, doubling its capacity when it
// must grow. append alone grows a large slice by a quarter at a time, and
// the copies that costs were a quarter of the reading time of a big file.
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	ns := make([]T, len(s), max(2*cap(s), len(s)+n, 256))
	copy(ns, s)
	return ns
}

// The kinds of non-missing field.
const (
	fieldNumber    = iota // a finite float32
	fieldOddNumber        // a number, but infinite, NaN or beyond float32
	fieldOddText          // not a number
)

// parseField classifies f and returns its value if it is a finite
// float32.
func parseField(f string) (float32, int) {
	if v, ok := parseDecimal(f); ok {
		return v, fieldNumber
	}
	v, err := strconv.ParseFloat(f, 32)
	switch {
	case err == nil && !math.IsInf(v, 0) && !math.IsNaN(v):
		return float32(v), fieldNumber
	case err == nil:
		return 0, fieldOddNumber // "Inf", "NaN"
	}
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return 0, fieldOddNumber // "1e308", "1e-400"
	}
	return 0, fieldOddText
}

// code returns the dictionary code of f, adding f to the dictionary if it
// is new. Only new entries are checked for UTF-8: every other field is a
// repeat, and checking each field would cost a tenth of the reading time.
func (b *columnBuilder) code(f string) (int32, error) {
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

// inferredKind applies the rules of inference to the whole column.
func (b *columnBuilder) inferredKind() Kind {
	if b.forced != 0 {
		return b.forced
	}
	if b.oddText.n == 0 {
		return Continuous // numbers, odd numbers and missing values only
	}
	if b.numbers == 0 || float64(b.oddText.n) > MaxOddShare*float64(b.nonMissing) {
		return Categorical
	}
	return Continuous
}

// finish returns the column, with warnings about it, or the error of the
// OddIsError policy. integerCategories is [ReadOptions.IntegerCategories].
func (b *columnBuilder) finish(policy OddPolicy, integerCategories int) (*Column, []*Error, error) {
	var warns []*Error
	switch b.inferredKind() {
	case Categorical:
		if b.forced == Categorical {
			return &Column{Name: b.name, Kind: Categorical, Codes: shrink(b.codes), Dict: slices.Clip(b.dict)}, nil, nil
		}
		return b.categoricalFromText()
	}
	if b.forced == Continuous && float64(b.oddText.n) > MaxOddShare*float64(b.nonMissing) {
		// Mostly text in a column said to hold numbers: the list of
		// columns is wrong, not the values.
		f := b.oddText.first
		return nil, nil, &Error{Source: f.Source, Row: f.Row, Line: f.Line, Column: b.name,
			Err: fmt.Errorf("%v is not a number, and %d of the %d values of this column, listed as continuous, are not numbers", f.Err, b.oddText.n, b.nonMissing)}
	}
	odd := b.oddText.n + b.oddNumber.n
	if odd > 0 {
		first := b.oddText.first
		if first == nil || b.oddNumber.first != nil && before(b.oddNumber.first, first) {
			first = b.oddNumber.first
		}
		if policy == OddIsError {
			return nil, nil, &Error{Source: first.Source, Row: first.Row, Line: first.Line, Column: b.name,
				Err: fmt.Errorf("%v is not a finite number (float32), and the column is continuous", first.Err)}
		}
		warns = append(warns, &Error{Source: first.Source, Row: first.Row, Line: first.Line, Column: b.name,
			Err: fmt.Errorf("%d of %d values are not finite numbers and are read as missing (the first is %v); the column stays continuous", odd, b.nonMissing, first.Err)})
	}
	if b.forced == 0 && integerCategories > 0 && b.numbers > 0 && b.integral {
		if n := b.distinctNumbers(integerCategories + 1); n <= integerCategories {
			c, _, err := b.categoricalFromText()
			if err != nil {
				return nil, nil, err
			}
			// Odd fields stay missing, as in a continuous column.
			for i, v := range b.floats {
				if isNaN32(v) {
					c.Codes[i] = -1
				}
			}
			c.Dict, c.Codes = compactDict(c.Dict, c.Codes)
			warns = append(warns, &Error{Column: b.name,
				Err: fmt.Errorf("%d distinct integer values (at most %d): read as categorical", n, integerCategories)})
			return c, warns, nil
		}
	}
	return &Column{Name: b.name, Kind: Continuous, Floats: shrink(b.floats)}, warns, nil
}

// shrink returns s without the spare capacity that doubling left, copied
// if that spare is large: the table keeps its columns for as long as it
// lives.
func shrink[T any](s []T) []T {
	if cap(s)-len(s) <= len(s)/16 {
		return slices.Clip(s)
	}
	return slices.Clone(s)
}

// before reports whether a was read before b.
func before(a, b *Error) bool {
	if a.Source != b.Source {
		return false // files are read in order; the first file's is kept
	}
	return a.Row < b.Row
}

// distinctNumbers counts the distinct non-missing values, stopping at
// limit.
func (b *columnBuilder) distinctNumbers(limit int) int {
	seen := make(map[float32]bool)
	for _, v := range b.floats {
		if !isNaN32(v) && !seen[v] {
			seen[v] = true
			if len(seen) >= limit {
				break
			}
		}
	}
	return len(seen)
}

// categoricalFromText encodes the kept text as codes.
func (b *columnBuilder) categoricalFromText() (*Column, []*Error, error) {
	codes := make([]int32, len(b.lens))
	start := 0
	for i, n := range b.lens {
		end := start + int(n)
		if n == 255 {
			end = start + b.long[i]
		}
		seg := b.text[start:end]
		start = end
		if len(seg) == 0 {
			codes[i] = -1
			continue
		}
		c, ok := b.index[string(seg)] // no allocation for the lookup
		if !ok {
			var err error
			if c, err = b.code(string(seg)); err != nil {
				return nil, nil, &Error{Column: b.name, Err: err} // checked when read; kept for safety
			}
		}
		codes[i] = c
	}
	b.floats, b.text, b.lens, b.long = nil, nil, nil, nil
	return &Column{Name: b.name, Kind: Categorical, Codes: codes, Dict: slices.Clip(b.dict)}, nil, nil
}

// compactDict drops the dictionary entries no code uses, keeping the order
// of the others.
func compactDict(dict []string, codes []int32) ([]string, []int32) {
	remap := make([]int32, len(dict))
	for i := range remap {
		remap[i] = -1
	}
	for _, c := range codes {
		if c >= 0 {
			remap[c] = 0
		}
	}
	var out []string
	for k, s := range dict {
		if remap[k] == 0 {
			remap[k] = int32(len(out))
			out = append(out, s)
		}
	}
	for i, c := range codes {
		if c >= 0 {
			codes[i] = remap[c]
		}
	}
	return out, codes
}

// pow10f32 are the powers of ten that float32 holds exactly.
var pow10f32 = [...]float32{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// parseDecimal parses the common case of a field, a plain decimal such as
// "-123.4567", several times faster than strconv: when its digits form an
// integer m ≤ 2^24 and it has k ≤ 10 decimals, m and 10^k are exact
// float32 values, and the one correctly rounded division m/10^k is the
// correctly rounded value of the text, the same float32 strconv returns.
// Anything else (more digits, exponents, "inf", hex) reports false and is
// left to strconv.
func parseDecimal(s string) (float32, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	digits, decimals := 0, -1
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			if m = m*10 + uint64(c-'0'); m > 1<<24 {
				return 0, false
			}
			digits++
			if decimals >= 0 {
				decimals++
			}
		case c == '.' && decimals < 0:
			decimals = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || decimals > 10 {
		return 0, false
	}
	v := float32(m)
	if decimals > 0 {
		v /= pow10f32[decimals]
	}
	if neg {
		v = -v
	}
	return v, true
}
