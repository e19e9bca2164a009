package data

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

var nan = float32(math.NaN())

// testTable is a small table built in memory: a continuous column with a
// missing value and a categorical one with a missing value.
func testTable() *Table {
	return &Table{
		Source: "mem.csv",
		Rows:   4,
		Columns: []*Column{
			{Name: "x", Kind: Continuous, Floats: []float32{1.5, nan, -2, 0.1}},
			{Name: "c", Kind: Categorical, Codes: []int32{0, 1, -1, 0}, Dict: []string{"a", "b"}},
		},
	}
}

func TestKindString(t *testing.T) {
	for _, tt := range []struct {
		k    Kind
		want string
	}{
		{Continuous, "continuous"},
		{Categorical, "categorical"},
		{0, "Kind(0)"},
		{9, "Kind(9)"},
	} {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(tt.k), got, tt.want)
		}
	}
}

func TestColumnText(t *testing.T) {
	tab := testTable()
	for _, tt := range []struct {
		col     string
		i       int
		want    string
		present bool
	}{
		{"x", 0, "1.5", true},
		{"x", 1, "", false},
		{"x", 2, "-2", true},
		{"x", 3, "0.1", true}, // shortest float32 form, not 0.10000000149011612
		{"c", 0, "a", true},
		{"c", 1, "b", true},
		{"c", 2, "", false},
	} {
		c, err := tab.Col(tt.col)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := c.Text(tt.i)
		if got != tt.want || ok != tt.present {
			t.Errorf("%s.Text(%d) = %q, %v; want %q, %v", tt.col, tt.i, got, ok, tt.want, tt.present)
		}
		if c.Missing(tt.i) == tt.present {
			t.Errorf("%s.Missing(%d) = %v, want %v", tt.col, tt.i, !tt.present, !tt.present)
		}
		if c.Len() != 4 {
			t.Errorf("%s.Len() = %d, want 4", tt.col, c.Len())
		}
	}
}

func TestTableCol(t *testing.T) {
	tab := testTable()
	if got := tab.Names(); !slices.Equal(got, []string{"x", "c"}) {
		t.Errorf("Names() = %q, want [x c]", got)
	}
	_, err := tab.Col("nope")
	if err == nil {
		t.Fatal("Col(nope): got nil error")
	}
	for _, want := range []string{"mem.csv", `"nope"`, `"x", "c"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Col(nope) error %q does not contain %q", err, want)
		}
	}
	var pe *Error
	if !errors.As(err, &pe) || pe.Column != "nope" {
		t.Errorf("Col(nope) error %#v is not an *Error about column nope", err)
	}
}

func TestTableTake(t *testing.T) {
	tab := testTable()
	sub := tab.Take([]int{3, 1, 3})
	if sub.Rows != 3 || sub.Source != "mem.csv" {
		t.Fatalf("Take: got %d rows from %q, want 3 from mem.csv", sub.Rows, sub.Source)
	}
	var got []string
	for _, c := range sub.Columns {
		for i := range sub.Rows {
			s, ok := c.Text(i)
			if !ok {
				s = "NA"
			}
			got = append(got, s)
		}
	}
	want := []string{"0.1", "NA", "0.1", "a", "b", "a"}
	if !slices.Equal(got, want) {
		t.Errorf("Take values: got %q, want %q", got, want)
	}
	sub.Columns[0].Floats[0] = 99
	sub.Columns[1].Dict[0] = "z"
	if tab.Columns[0].Floats[3] != 0.1 || tab.Columns[1].Dict[0] != "a" {
		t.Error("Take shares storage with the original table")
	}
}

func TestTableWithout(t *testing.T) {
	tab := testTable()
	for _, tt := range []struct {
		name string
		drop []string
		want []string
	}{
		{"one", []string{"x"}, []string{"c"}},
		{"unknown ignored", []string{"zz", "c"}, []string{"x"}},
		{"none", nil, []string{"x", "c"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := tab.Without(tt.drop...)
			if !slices.Equal(got.Names(), tt.want) || got.Rows != tab.Rows {
				t.Errorf("Without(%q): got %q (%d rows), want %q", tt.drop, got.Names(), got.Rows, tt.want)
			}
		})
	}
	if len(tab.Columns) != 2 {
		t.Error("Without changed the original table")
	}
}

func TestErrorMessage(t *testing.T) {
	base := errors.New("boom")
	for _, tt := range []struct {
		name string
		err  *Error
		want string
	}{
		{"full", &Error{Source: "adult.csv", Row: 12, Line: 13, Column: "age", Err: base}, `adult.csv: row 12 (line 13), column "age": boom`},
		{"row only", &Error{Source: "a.csv", Row: 2, Err: base}, `a.csv: row 2: boom`},
		{"line only", &Error{Source: "a.csv", Line: 1, Column: "h", Err: base}, `a.csv: line 1, column "h": boom`},
		{"column only", &Error{Source: "a.csv", Column: "h", Err: base}, `a.csv: column "h": boom`},
		{"source only", &Error{Source: "a.csv", Err: base}, `a.csv: boom`},
		{"nothing", &Error{Err: base}, `boom`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if !errors.Is(tt.err, base) {
				t.Error("errors.Is does not see the wrapped error")
			}
		})
	}
}
