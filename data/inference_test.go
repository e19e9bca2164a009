package data

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// numericWithOdd is a numeric column x of n rows, a text column c, and the
// given odd field in row oddRow of x.
func numericWithOdd(n, oddRow int, odd string) string {
	var b strings.Builder
	b.WriteString("x,c\n")
	for i := 1; i <= n; i++ {
		if i == oddRow {
			fmt.Fprintf(&b, "%s,a\n", odd)
			continue
		}
		fmt.Fprintf(&b, "%d.5,b%d\n", i, i%7)
	}
	return b.String()
}

// Issue 11, "silent type change": one stray value in a numeric column
// turned it into a categorical with hundreds of levels.
func TestOddValueKeepsColumnNumeric(t *testing.T) {
	for _, odd := range []string{"NaN", "nan", "Inf", "-inf", "1e308", "12..5", "n/a", "#VALUE!"} {
		t.Run(odd, func(t *testing.T) {
			tab := mustParse(t, numericWithOdd(200, 57, odd), ReadOptions{})
			c, err := tab.Col("x")
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != Continuous {
				t.Fatalf("x is %v, want continuous", c.Kind)
			}
			if !c.Missing(56) {
				t.Errorf("row 57 (%q) is %v, want missing", odd, c.Floats[56])
			}
			if c.Missing(0) || c.Floats[0] != 1.5 {
				t.Errorf("row 1 is %v, want 1.5", c.Floats[0])
			}
		})
	}
}

// The odd values read as missing are reported with the column, their
// count and a sample; under OddIsError the first is an error naming the
// file, row, column and value. Missing tokens are not odd.
func TestOddValuePolicy(t *testing.T) {
	for _, tt := range []struct {
		odd      string
		warnings []string // substrings of the one warning, or nil for none
	}{
		{"NaN", nil},
		{"NA", nil},
		{"Inf", []string{`test.csv: row 57 (line 58), column "x"`, "1 of 200 values", `"Inf"`, "stays continuous"}},
		{"1e308", []string{`column "x"`, "1 of 200", `"1e308"`}},
		{"12..5", []string{`column "x"`, "1 of 200", `"12..5"`}},
	} {
		t.Run(tt.odd, func(t *testing.T) {
			in := numericWithOdd(200, 57, tt.odd)
			tab := mustParse(t, in, ReadOptions{})
			if tt.warnings == nil {
				if len(tab.Warnings) != 0 {
					t.Errorf("warnings %v, want none", tab.Warnings)
				}
				return
			}
			if len(tab.Warnings) != 1 {
				t.Fatalf("warnings %v, want one", tab.Warnings)
			}
			for _, want := range tt.warnings {
				if !strings.Contains(tab.Warnings[0].Error(), want) {
					t.Errorf("warning %q does not contain %q", tab.Warnings[0], want)
				}
			}
			_, err := ParseCSV(strings.NewReader(in), "test.csv", ReadOptions{Odd: OddIsError})
			var pe *Error
			if !errors.As(err, &pe) || pe.Row != 57 || pe.Column != "x" || !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.odd)) {
				t.Errorf("OddIsError: got %v, want an error at row 57, column x, quoting %q", err, tt.odd)
			}
		})
	}
}

// Where an odd value sits does not matter: the kind is decided on the
// whole column, so a typo in the first row is no different.
func TestOddValueFirstRow(t *testing.T) {
	tab := mustParse(t, numericWithOdd(100, 1, "abc"), ReadOptions{})
	if c, _ := tab.Col("x"); c.Kind != Continuous {
		t.Errorf("x is %v, want continuous", c.Kind)
	}
}

// Never silently reclassified: a column with more text than MaxOddShare
// is categorical and keeps every value.
func TestMostlyTextStaysText(t *testing.T) {
	var b strings.Builder
	b.WriteString("x\n")
	for i := range 100 {
		if i%10 == 0 {
			b.WriteString("unknown\n")
		} else {
			fmt.Fprintf(&b, "%d\n", i)
		}
	}
	tab := mustParse(t, b.String(), ReadOptions{})
	c, _ := tab.Col("x")
	if c.Kind != Categorical || len(c.Dict) != 91 || len(tab.Warnings) != 0 {
		t.Errorf("got %v with %d levels and warnings %v, want categorical with 91 levels and no warning", c.Kind, len(c.Dict), tab.Warnings)
	}
}

// Issue 11: a regression target with one NaN became a 175-class
// classification; the column holding it stays numeric.
func TestTargetWithNaNStaysNumeric(t *testing.T) {
	var b strings.Builder
	b.WriteString("f,y\n")
	for i := range 175 {
		fmt.Fprintf(&b, "%d,%d.25\n", i%3, i)
	}
	b.WriteString("1,NaN\n")
	tab := mustParse(t, b.String(), ReadOptions{})
	if c, _ := tab.Col("y"); c.Kind != Continuous {
		t.Errorf("y is %v, want continuous", c.Kind)
	}
}

// Issue 11, "high cardinality": a categorical with 100,000 distinct values
// trained with no warning. Fitting caps it to the most frequent levels,
// and says so.
func TestHighCardinalityCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,c\n")
	for i := range 3000 {
		// c: "common" in half the rows, "rare" in a tenth, the rest unique.
		switch {
		case i%2 == 0:
			fmt.Fprintf(&b, "u%d,common\n", i)
		case i%10 == 1:
			fmt.Fprintf(&b, "u%d,rare\n", i)
		default:
			fmt.Fprintf(&b, "u%d,v%d\n", i, i)
		}
	}
	tab := mustParse(t, b.String(), ReadOptions{})
	for _, tt := range []struct {
		name       string
		opt        FitOptions
		wantLevels int
		warned     bool
	}{
		{"default cap", FitOptions{}, DefaultMaxLevels, true},
		{"own cap", FitOptions{MaxLevels: 2}, 2, true},
		{"no cap", FitOptions{MaxLevels: -1}, 3000, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var warns []error
			tt.opt.Warn = func(err error) { warns = append(warns, err) }
			p, err := FitWith(tab, nil, []string{"id"}, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(p.Categorical[0].Levels); n != tt.wantLevels {
				t.Errorf("id: %d levels, want %d", n, tt.wantLevels)
			}
			if tt.warned != (len(warns) == 1) || tt.warned && !strings.Contains(warns[0].Error(), `column "id": 3000 distinct values`) {
				t.Errorf("warnings %v, want one: %v", warns, tt.warned)
			}
			if err := p.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	p, err := FitWith(tab, nil, []string{"c"}, FitOptions{MaxLevels: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Categorical[0].Levels; len(got) != 2 || got[0] != "common" || got[1] != "rare" {
		t.Errorf("c: levels %q, want the two most frequent, common and rare", got)
	}
}

// Issue 11, "non-finite values": a finite float32 such as 3e38 became
// infinite once standardised, and the model answered NaN with exit status
// 0. The transform refuses it, naming the row and column.
func TestTransformRefusesOverflow(t *testing.T) {
	p, err := Fit(mustParse(t, "x,y\n0.1,1\n0.2,2\n0.3,3\n", ReadOptions{}), []string{"x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Transform(mustParse(t, "x,y\n0.2,1\n3e38,2\n", ReadOptions{}))
	var pe *Error
	if !errors.As(err, &pe) || pe.Row != 2 || pe.Column != "x" || !strings.Contains(err.Error(), "3e+38") {
		t.Errorf("got %v, want an error at row 2, column x, quoting 3e+38", err)
	}
	g, err := FitTarget(mustParse(t, "y\n0.1\n0.2\n0.3\n", ReadOptions{}), "y", "regression", true)
	if err != nil {
		t.Fatal(err)
	}
	tab := mustParse(t, "y\n0.2\n-3e38\n", ReadOptions{})
	d := &Dataset{N: 2}
	if err := g.Encode(tab, d); err == nil || !strings.Contains(err.Error(), `row 2, column "y"`) {
		t.Errorf("target: got %v, want an error at row 2", err)
	}
}

// parseDecimal must agree with strconv on every text it accepts.
func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"0", "-0", "+0", "1", "-1.5", "123.4567", ".5", "5.", "0.1", "16777215", "1677721.5", "0.0000000001",
		"16777216", "99999.99", "-1677.7216", "0000001", "1.000000"} {
		t.Run(s, func(t *testing.T) {
			got, ok := parseDecimal(s)
			want, err := strconv.ParseFloat(s, 32)
			if !ok || err != nil || got != float32(want) || math.Signbit(float64(got)) != math.Signbit(want) {
				t.Errorf("parseDecimal(%q) = %v, %v; strconv gives %v, %v", s, got, ok, float32(want), err)
			}
		})
	}
	for _, s := range []string{"", "-", ".", "1e5", "16777217", "123456789", "3.4028234", "1.0000000000", "0.00000000001", "1.2.3", "1_0", "inf", "0x10", " 1", "--1"} {
		if v, ok := parseDecimal(s); ok {
			t.Errorf("parseDecimal(%q) = %v, want it left to strconv", s, v)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"1.5", "-0.0001", "16777215", "1677721.6", ".5", "5."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDecimal(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 32)
		if err != nil || got != float32(want) {
			t.Fatalf("parseDecimal(%q) = %v; strconv gives %v, %v", s, got, float32(want), err)
		}
	})
}

// Fields of 255 bytes and more keep their text when a column turns
// categorical.
func TestLongFieldsKeepTheirText(t *testing.T) {
	long := strings.Repeat("z", 300)
	exact := strings.Repeat("y", 255)
	tab := mustParse(t, "c\n1\n"+long+"\n2\n"+exact+"\n\n", ReadOptions{})
	c, _ := tab.Col("c")
	if c.Kind != Categorical || render(c) != "categorical:1,"+long+",2,"+exact {
		t.Errorf("got %.80s", render(c))
	}
}
