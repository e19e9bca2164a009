package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func mustParse(t testing.TB, text string, opt ReadOptions) *Table {
	t.Helper()
	tab, err := ParseCSV(strings.NewReader(text), "test.csv", opt)
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	return tab
}

// render shows a column as kind:value,value with NA for missing values, so
// that a case states its whole expected result on one line.
func render(c *Column) string {
	vals := make([]string, c.Len())
	for i := range vals {
		s, ok := c.Text(i)
		if !ok {
			s = "NA"
		}
		vals[i] = s
	}
	return c.Kind.String() + ":" + strings.Join(vals, ",")
}

func TestParseCSV(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		opt  ReadOptions
		want map[string]string // column -> render
		dict map[string][]string
	}{
		{
			name: "inference",
			in:   "a,b,c\n1,x,2.5\n2,y,-1e3\n3,x,0\n",
			want: map[string]string{"a": "continuous:1,2,3", "b": "categorical:x,y,x", "c": "continuous:2.5,-1000,0"},
			dict: map[string][]string{"b": {"x", "y"}},
		},
		{
			name: "text in more than 5% of fields makes a column categorical",
			in:   "a\n1\n2\nthree\n",
			want: map[string]string{"a": "categorical:1,2,three"},
		},
		{
			name: "infinities are odd numbers, NaN is missing",
			in:   "a,b\ninf,NaN\n1,2\n",
			want: map[string]string{"a": "continuous:NA,1", "b": "continuous:NA,2"},
		},
		{
			name: "float32 overflow is an odd number",
			in:   "a\n1e39\n1\n",
			want: map[string]string{"a": "continuous:NA,1"},
		},
		{
			name: "only text is categorical",
			in:   "a\nx\ny\n",
			want: map[string]string{"a": "categorical:x,y"},
		},
		{
			name: "only odd numbers stay continuous",
			in:   "a\ninf\n-Infinity\n",
			want: map[string]string{"a": "continuous:NA,NA"},
		},
		{
			name: "default missing tokens ignore case",
			in:   "a,b\nna,x\nNULL,?\nnan,N/A\n1,NaN\n",
			want: map[string]string{"a": "continuous:NA,NA,NA,1", "b": "categorical:x,NA,N/A,NA"},
		},
		{
			name: "own missing tokens replace the defaults",
			in:   "a,b\n-999,NA\n1,x\n",
			opt:  ReadOptions{MissingValues: []string{"-999"}},
			want: map[string]string{"a": "continuous:NA,1", "b": "categorical:NA,x"},
			dict: map[string][]string{"b": {"NA", "x"}},
		},
		{
			name: "semicolon detected",
			in:   "a;b;c\n1,5;x;\"p;q\"\n2;y;r\n",
			want: map[string]string{"a": "categorical:1,5,2", "b": "categorical:x,y", "c": "categorical:p;q,r"},
		},
		{
			name: "tab detected",
			in:   "a\tb\n1\tx y\n2\tz\n",
			want: map[string]string{"a": "continuous:1,2", "b": "categorical:x y,z"},
		},
		{
			name: "empty fields of a tab-separated file",
			in:   "a\tb\tc\n1\t\t3\n\t2\t\n",
			want: map[string]string{"a": "continuous:1,NA", "b": "continuous:NA,2", "c": "continuous:3,NA"},
		},
		{
			name: "quoted field on a tab-separated line",
			in:   "a\tb\n\"x\ty\"\t2\n",
			want: map[string]string{"a": "categorical:x\ty", "b": "continuous:2"},
		},
		{
			name: "pipe detected",
			in:   "a|b\n1|2\n",
			want: map[string]string{"a": "continuous:1", "b": "continuous:2"},
		},
		{
			name: "delimiter set",
			in:   "a;b,c\n1;2,3\n",
			opt:  ReadOptions{Delimiter: ','},
			want: map[string]string{"a;b": "categorical:1;2", "c": "continuous:3"},
		},
		{
			name: "integer categories",
			in:   "soil,x\n1,1\n2,2.5\n1,3\n3,4\n",
			opt:  ReadOptions{IntegerCategories: 3},
			want: map[string]string{"soil": "categorical:1,2,1,3", "x": "continuous:1,2.5,3,4"},
		},
		{
			name: "integer categories: too many values",
			in:   "soil\n1\n2\n3\n4\n",
			opt:  ReadOptions{IntegerCategories: 3},
			want: map[string]string{"soil": "continuous:1,2,3,4"},
		},
		{
			name: "empty fields are missing",
			in:   "a,b\n1,\n,x\n",
			want: map[string]string{"a": "continuous:1,NA", "b": "categorical:NA,x"},
		},
		{
			name: "all missing is continuous",
			in:   "a,b\n,1\n,2\n",
			want: map[string]string{"a": "continuous:NA,NA"},
		},
		{
			name: "whitespace trimmed",
			in:   " a , b \n 1 ,  x y  \n\t2\t, \"  z \"\n",
			want: map[string]string{"a": "continuous:1,2", "b": "categorical:x y,z"},
		},
		{
			name: "BOM",
			in:   "\ufeffa,b\n1,2\n",
			want: map[string]string{"a": "continuous:1", "b": "continuous:2"},
		},
		{
			name: "CRLF and blank lines",
			in:   "a,b\r\n1,x\r\n\r\n2,y\r\n",
			want: map[string]string{"a": "continuous:1,2", "b": "categorical:x,y"},
		},
		{
			name: "no final newline",
			in:   "a\n1\n2",
			want: map[string]string{"a": "continuous:1,2"},
		},
		{
			name: "quoted comma and newline",
			in:   "a,b\n\"x,y\",\"two\nlines\"\n",
			want: map[string]string{"a": "categorical:x,y", "b": "categorical:two\nlines"},
		},
		{
			name: "null values",
			in:   "a,b\n1,?\nNA,x\n3, NA \n",
			opt:  ReadOptions{MissingValues: []string{}, NullValues: []string{"NA", " ? "}},
			want: map[string]string{"a": "continuous:1,NA,3", "b": "categorical:NA,x,NA"},
			dict: map[string][]string{"b": {"x"}},
		},
		{
			name: "forced categorical",
			in:   "zip,n\n01234,1\n1234,2\n,3\n",
			opt:  ReadOptions{Kinds: map[string]Kind{"zip": Categorical, "absent": Continuous}},
			want: map[string]string{"zip": "categorical:01234,1234,NA", "n": "continuous:1,2,3"},
		},
		{
			name: "forced continuous",
			in:   "a\n1\n\n2\n",
			opt:  ReadOptions{Kinds: map[string]Kind{"a": Continuous}},
			want: map[string]string{"a": "continuous:1,2"},
		},
		{
			name: "dictionary in first-seen order",
			in:   "c\nz\na\nz\nm\n",
			want: map[string]string{"c": "categorical:z,a,z,m"},
			dict: map[string][]string{"c": {"z", "a", "m"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab := mustParse(t, tt.in, tt.opt)
			for name, want := range tt.want {
				c, err := tab.Col(name)
				if err != nil {
					t.Fatal(err)
				}
				if got := render(c); got != want {
					t.Errorf("column %q: got %q, want %q", name, got, want)
				}
				if c.Len() != tab.Rows {
					t.Errorf("column %q: %d values, table has %d rows", name, c.Len(), tab.Rows)
				}
			}
			for name, want := range tt.dict {
				c, _ := tab.Col(name)
				if !slices.Equal(c.Dict, want) {
					t.Errorf("column %q dict: got %q, want %q", name, c.Dict, want)
				}
			}
		})
	}
}

func TestParseCSVErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in       string
		opt      ReadOptions
		row      int
		line     int
		column   string
		contains []string
		is       error
	}{
		{name: "empty file", in: "", contains: []string{"test.csv", "header"}},
		{name: "BOM only", in: "\ufeff", contains: []string{"test.csv", "header"}},
		{name: "header only", in: "a,b\n", contains: []string{"test.csv has no data rows"}},
		{name: "header and blank lines", in: "a,b\n\n\n", contains: []string{"test.csv has no data rows"}},
		{name: "empty header name", in: "a,,c\n1,2,3\n", line: 1, contains: []string{"test.csv: line 1", "column 2 of the header has no name"}},
		{name: "blank header name", in: "a, \n1,2\n", line: 1, contains: []string{"column 2 of the header has no name"}},
		{name: "duplicate header", in: "a,b, a\n1,2,3\n", line: 1, column: "a", contains: []string{`test.csv: line 1, column "a": duplicate column name (columns 1 and 3)`}},
		{name: "too few fields", in: "a,b\n1,2\n3\n", row: 2, line: 3, contains: []string{"test.csv: row 2 (line 3)", "1, the header has 2"}, is: csv.ErrFieldCount},
		{name: "too many fields", in: "a,b\n1,2,3\n", row: 1, line: 2, contains: []string{"test.csv: row 1 (line 2)", "3, the header has 2"}, is: csv.ErrFieldCount},
		{name: "row and line differ", in: "a,b\n\"x\ny\",1\n\n2\n", row: 2, line: 5, contains: []string{"row 2 (line 5)"}, is: csv.ErrFieldCount},
		{name: "bare quote", in: "a,b\n1,2\n3,x\"y\n", row: 2, line: 3, column: "b", contains: []string{`test.csv: row 2 (line 3), column "b": bare " in non-quoted-field in "x\"y"`}, is: csv.ErrBareQuote},
		{name: "unterminated quote", in: "a,b\n1,\"2\n", row: 1, line: 2, column: "b", contains: []string{"test.csv: row 1", `extraneous or missing "`, `in "\"2"`}, is: csv.ErrQuote},
		{name: "space after closing quote", in: "a,b\n\"x\" ,1\n", row: 1, line: 2, column: "a", contains: []string{"row 1 (line 2)", `in "\"x\" "`}, is: csv.ErrQuote},
		{name: "bad quote after a line break", in: "a,b,c\n1,\"q\nr\"s,3\n", row: 1, line: 3, column: "b", contains: []string{`in "r\"s"`}, is: csv.ErrQuote},
		{name: "not UTF-8", in: "a,city\n1,paris\n2,caf\xe9\n", row: 2, line: 3, column: "city", contains: []string{`test.csv: row 2 (line 3), column "city": "caf\xe9" is not valid UTF-8`}},
		{name: "header not UTF-8", in: "a,\xfa\n1,2\n", line: 1, contains: []string{`test.csv: line 1: column 2 of the header: "\xfa" is not valid UTF-8`}},
		{name: "bad quote in header", in: "a,\"b\"x\n1,2\n", line: 1, contains: []string{"test.csv: line 1"}, is: csv.ErrQuote},
		{
			name: "forced continuous with text", in: "age,b\n1,x\n\n2,y\nabc,z\n",
			opt: ReadOptions{Kinds: map[string]Kind{"age": Continuous}, Odd: OddIsError},
			row: 3, line: 5, column: "age",
			contains: []string{`test.csv: row 3 (line 5), column "age": "abc" is not a finite number`},
		},
		{
			name: "forced continuous with infinity", in: "age\n1\n+Inf\n",
			opt: ReadOptions{Kinds: map[string]Kind{"age": Continuous}, Odd: OddIsError},
			row: 2, line: 3, column: "age",
			contains: []string{`"+Inf" is not a finite number`},
		},
		{
			name: "inferred continuous, odd value is an error", in: "x\n" + strings.Repeat("1\n", 30) + "1e308\n",
			opt: ReadOptions{Odd: OddIsError},
			row: 31, line: 32, column: "x",
			contains: []string{`test.csv: row 31 (line 32), column "x": "1e308" is not a finite number`},
		},
		{
			name: "bad delimiter", in: "a\n1\n",
			opt:      ReadOptions{Delimiter: '"'},
			contains: []string{"delimiter"},
		},
		{
			name: "corrupt gzip", in: "\x1f\x8bxxxxxxxxxxxxx",
			contains: []string{"test.csv", "gzip"},
		},
		{
			name: "unknown forced kind", in: "a\n1\n",
			opt:    ReadOptions{Kinds: map[string]Kind{"a": 7}},
			column: "a", contains: []string{`test.csv: column "a"`, "unknown kind Kind(7)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(tt.in), "test.csv", tt.opt)
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, want := range tt.contains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			var pe *Error
			if errors.As(err, &pe) {
				if pe.Row != tt.row || pe.Line != tt.line || pe.Column != tt.column {
					t.Errorf("position: got row %d line %d column %q, want row %d line %d column %q",
						pe.Row, pe.Line, pe.Column, tt.row, tt.line, tt.column)
				}
			} else if tt.row != 0 || tt.line != 0 || tt.column != "" {
				t.Errorf("error %q is not an *Error", err)
			}
		})
	}
}

func TestReadCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "small.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadCSV(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Source != path || tab.Rows != 1 {
		t.Errorf("got source %q, %d rows; want %q, 1 row", tab.Source, tab.Rows, path)
	}

	missing := filepath.Join(dir, "missing.csv")
	_, err = ReadCSV(missing, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadCSV(missing): got %v, want a not-exist error naming %s", err, missing)
	}

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("a\nx\n"), 0o644)
	_, err = ReadCSV(bad, ReadOptions{Kinds: map[string]Kind{"a": Continuous}, Odd: OddIsError})
	if want := bad + `: row 1 (line 2), column "a": "x" is not a finite number (float32), and the column is continuous`; err == nil || err.Error() != want {
		t.Errorf("ReadCSV(bad):\ngot  %v\nwant %s", err, want)
	}
}

// wideCSV generates rows×(4 continuous + 4 categorical) columns with some
// missing values.
func wideCSV(rows int) string {
	var b strings.Builder
	b.WriteString("n0,n1,n2,n3,c0,c1,c2,c3\n")
	for i := range rows {
		for j := range 4 {
			if (i+j)%17 == 0 {
				b.WriteString(",")
				continue
			}
			fmt.Fprintf(&b, "%.4f,", math.Sin(float64(i*(j+1))))
		}
		for j := range 4 {
			fmt.Fprintf(&b, "level%d", (i*(j+3))%(5+j*20))
			if j < 3 {
				b.WriteString(",")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestParseCSVWide(t *testing.T) {
	tab := mustParse(t, wideCSV(1000), ReadOptions{})
	for _, c := range tab.Columns {
		want := Continuous
		if strings.HasPrefix(c.Name, "c") {
			want = Categorical
		}
		if c.Kind != want || c.Len() != 1000 {
			t.Errorf("column %q: got %v with %d values, want %v with 1000", c.Name, c.Kind, c.Len(), want)
		}
	}
	if c, _ := tab.Col("c3"); len(c.Dict) != 65 {
		t.Errorf("c3: got %d levels, want 65", len(c.Dict))
	}
}

func BenchmarkParseCSV(b *testing.B) {
	const rows = 50000
	text := wideCSV(rows)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := ParseCSV(strings.NewReader(text), "bench.csv", ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
