package data

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"a,b,c\n1,x,2.5\n2,y,\n",
	"\ufeff a , b \n 1 , NA \n",
	"a\n\"x\ny\"\n\n3\n",
	"a,b\n1,2\n3\n",
	"a,a\n1,2\n",
	"a,\"b\n1,2\n",
	"x,y\n1e39,inf\nNaN,-0\n0,+0\n",
	"a,b\r\n1,\"q\"\"q\"\r\n",
	"c\nz\n\"\"\nz\n",
	"n\n0x1p3\n1_0\n.5\n",
}

// checkTable fails unless tab satisfies the invariants the rest of the
// project relies on.
func checkTable(t *testing.T, tab *Table) {
	t.Helper()
	if tab.Rows < 1 || len(tab.Columns) < 1 {
		t.Fatalf("table with %d rows and %d columns", tab.Rows, len(tab.Columns))
	}
	names := map[string]bool{}
	for _, c := range tab.Columns {
		if c.Name == "" || names[c.Name] {
			t.Fatalf("empty or duplicate column name %q", c.Name)
		}
		names[c.Name] = true
		if c.Len() != tab.Rows {
			t.Fatalf("column %q: %d values, %d rows", c.Name, c.Len(), tab.Rows)
		}
		switch c.Kind {
		case Continuous:
			for i, v := range c.Floats {
				if math.IsInf(float64(v), 0) {
					t.Fatalf("column %q row %d: %v", c.Name, i, v)
				}
			}
		case Categorical:
			dict := map[string]bool{}
			for _, s := range c.Dict {
				if s == "" || dict[s] {
					t.Fatalf("column %q: empty or duplicate dictionary entry %q", c.Name, s)
				}
				dict[s] = true
			}
			for i, code := range c.Codes {
				if code < -1 || int(code) >= len(c.Dict) {
					t.Fatalf("column %q row %d: code %d of %d", c.Name, i, code, len(c.Dict))
				}
			}
		default:
			t.Fatalf("column %q: kind %v", c.Name, c.Kind)
		}
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, err := ParseCSV(bytes.NewReader(in), "fuzz.csv", ReadOptions{NullValues: []string{"NA"}})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		checkTable(t, tab)
		// Forcing a kind either fails or gives that kind.
		first := tab.Columns[0].Name
		for _, k := range []Kind{Continuous, Categorical} {
			forced, err := ParseCSV(bytes.NewReader(in), "fuzz.csv", ReadOptions{Kinds: map[string]Kind{first: k}})
			if err != nil {
				if k == Categorical {
					t.Fatalf("forcing categorical: %v", err)
				}
				continue
			}
			checkTable(t, forced)
			if forced.Columns[0].Kind != k {
				t.Fatalf("forced %v, got %v", k, forced.Columns[0].Kind)
			}
		}
	})
}

// checkDataset fails unless d encodes rows rows with p's columns, with
// codes within each column's cardinality.
func checkDataset(t *testing.T, p *Preprocessor, d *Dataset, rows int, finite bool) {
	t.Helper()
	if d.N != rows || d.Cont.Rows != rows || d.Cont.Cols != len(p.Continuous) || d.Cat.Rows != rows || d.Cat.Cols != len(p.Categorical) {
		t.Fatalf("shapes: N %d, Cont %d×%d, Cat %d×%d for %d rows", d.N, d.Cont.Rows, d.Cont.Cols, d.Cat.Rows, d.Cat.Cols, rows)
	}
	for i := range rows {
		for j, v := range d.Cont.Row(i) {
			if math.IsNaN(float64(v)) || finite && math.IsInf(float64(v), 0) {
				t.Fatalf("row %d continuous %d: %v", i, j, v)
			}
		}
		for j, code := range d.Cat.Row(i) {
			if code < 0 || int(code) >= p.Categorical[j].Cardinality() {
				t.Fatalf("row %d categorical %d: code %d of %d", i, j, code, p.Categorical[j].Cardinality())
			}
		}
	}
}

func FuzzTransform(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), []byte(fuzzSeeds[(i+1)%len(fuzzSeeds)]))
	}
	f.Fuzz(func(t *testing.T, train, test []byte) {
		tab, err := ParseCSV(bytes.NewReader(train), "train.csv", ReadOptions{})
		if err != nil {
			return
		}
		// Every other numeric column is continuous; the rest, numeric ones
		// included, are categorical.
		var cont, cat []string
		for j, c := range tab.Columns {
			if c.Kind == Continuous && j%2 == 0 {
				cont = append(cont, c.Name)
			} else {
				cat = append(cat, c.Name)
			}
		}
		p, err := Fit(tab, cont, cat)
		if err != nil {
			t.Fatalf("Fit: %v", err)
		}
		back := roundTrip(t, p)
		d, err := back.Transform(tab)
		if err != nil {
			t.Fatalf("Transform of the fitted table: %v", err)
		}
		checkDataset(t, p, d, tab.Rows, true)
		// The quantile-normal transform with bin edges, on the same
		// columns: its values are bounded, on any data.
		qn, err := FitWith(tab, cont, cat, FitOptions{ContinuousTransform: TransformQuantileNormal, Bins: 4})
		if err != nil {
			t.Fatalf("FitWith: %v", err)
		}
		qback := roundTrip(t, qn)
		if dq, err := qback.Transform(tab); err != nil {
			t.Fatalf("quantile-normal Transform of the fitted table: %v", err)
		} else {
			checkDataset(t, qn, dq, tab.Rows, true)
		}

		last := tab.Columns[len(tab.Columns)-1].Name
		for _, task := range []string{"classification", "regression"} {
			if g, err := FitTarget(tab, last, task, true); err == nil {
				if err := g.Validate(); err != nil {
					t.Fatalf("Validate of a fitted %s target: %v", task, err)
				}
				if err := g.Encode(tab, d); err != nil {
					t.Fatalf("Encode of the fitted table: %v", err)
				}
			}
		}

		other, err := ParseCSV(bytes.NewReader(test), "test.csv", ReadOptions{})
		if err != nil {
			return
		}
		if d, err := p.Transform(other); err == nil {
			// Values far outside the fitted range may overflow float32.
			checkDataset(t, p, d, other.Rows, false)
		}
		if d, err := qn.Transform(other); err == nil {
			checkDataset(t, qn, d, other.Rows, true)
		}
	})
}

// roundTrip checks that a fitted p validates, before and after a JSON
// round trip, and returns the decoded copy.
func roundTrip(t *testing.T, p *Preprocessor) *Preprocessor {
	t.Helper()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate of a fitted preprocessor: %v", err)
	}
	blob, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Preprocessor
	if err := json.Unmarshal(blob, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("Validate after a JSON round trip: %v", err)
	}
	return &back
}

func FuzzParseParquet(f *testing.F) {
	full := parquetBytes(f, pqRows)
	f.Add(full)
	f.Add(full[:len(full)-9])
	f.Add([]byte("PAR1PAR1"))
	f.Add(append([]byte("PAR1"), bytes.Repeat([]byte{0xff}, 40)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, err := ParseParquet(bytes.NewReader(in), int64(len(in)), "fuzz.parquet", ReadOptions{})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.parquet") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if tab.Rows > 0 {
			checkTable(t, tab)
		}
	})
}

// FuzzInference reads text under each combination of the options that
// change inference, and checks the rules: a forced kind is kept, a
// continuous column holds only finite values, and a column is never lost.
func FuzzInference(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte("x;y\n1;a\n2;b\nInf;c\n"), uint8(3))
	f.Add([]byte("x|y\n1|2\n1|3\n"), uint8(6))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opt := ReadOptions{IntegerCategories: int(mode % 4)}
		if mode&4 != 0 {
			opt.Odd = OddIsError
		}
		tab, err := ParseCSV(bytes.NewReader(in), "fuzz.csv", opt)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		checkTable(t, tab)
		header, _ := ParseCSV(bytes.NewReader(in), "fuzz.csv", ReadOptions{Kinds: map[string]Kind{tab.Columns[0].Name: Categorical}})
		if header == nil || len(header.Columns) != len(tab.Columns) {
			t.Fatalf("forcing a column categorical changed the columns or failed")
		}
		if header.Columns[0].Kind != Categorical {
			t.Fatalf("forced categorical, got %v", header.Columns[0].Kind)
		}
		for _, w := range tab.Warnings {
			if w.Column == "" {
				t.Fatalf("warning %q names no column", w)
			}
		}
	})
}
