package data

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

const trainCSV = `age,income,city,grade
20,100,paris,1
30,,london,2
40,300,paris,
,500,tokyo,10
`

func TestFit(t *testing.T) {
	tab := mustParse(t, trainCSV, ReadOptions{})
	p, err := Fit(tab, []string{"age", "income"}, []string{"city", "grade"})
	if err != nil {
		t.Fatal(err)
	}
	// age: 20, 30, 40 → mean 30, population std sqrt(200/3).
	// income: 100, 300, 500 → mean 300, std sqrt(80000/3).
	want := []ContinuousSpec{
		{Name: "age", Mean: 30, Std: math.Sqrt(200.0 / 3)},
		{Name: "income", Mean: 300, Std: math.Sqrt(80000.0 / 3)},
	}
	for i, w := range want {
		g := p.Continuous[i]
		if g.Name != w.Name || math.Abs(g.Mean-w.Mean) > 1e-9 || math.Abs(g.Std-w.Std) > 1e-9 {
			t.Errorf("continuous[%d]: got %+v, want %+v", i, g, w)
		}
	}
	wantCat := []CategoricalSpec{
		{Name: "city", Levels: []string{"london", "paris", "tokyo"}},
		{Name: "grade", Levels: []string{"1", "10", "2"}}, // a numeric column used as categorical: sorted text
	}
	for i, w := range wantCat {
		g := p.Categorical[i]
		if g.Name != w.Name || !slices.Equal(g.Levels, w.Levels) {
			t.Errorf("categorical[%d]: got %+v, want %+v", i, g, w)
		}
		if g.Cardinality() != len(w.Levels)+1 {
			t.Errorf("categorical[%d].Cardinality() = %d, want %d", i, g.Cardinality(), len(w.Levels)+1)
		}
	}
	if err := p.Validate(); err != nil {
		t.Errorf("Validate of a fitted preprocessor: %v", err)
	}
}

func TestFitSpecialColumns(t *testing.T) {
	tab := mustParse(t, "const,empty,textnum,c\n2.5,,1,a\n2.5,,2,b\n2.5,,3,\n", ReadOptions{
		Kinds: map[string]Kind{"textnum": Categorical},
	})
	p, err := Fit(tab, []string{"const", "empty", "textnum"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []ContinuousSpec{
		{Name: "const", Mean: 2.5, Std: 1},
		{Name: "empty", Mean: 0, Std: 1},
		{Name: "textnum", Mean: 2, Std: math.Sqrt(2.0 / 3)}, // a text column whose values are all numbers
	}
	for i, w := range want {
		if g := p.Continuous[i]; g.Name != w.Name || g.Mean != w.Mean || math.Abs(g.Std-w.Std) > 1e-12 {
			t.Errorf("continuous[%d]: got %+v, want %+v", i, g, w)
		}
	}
	// Levels come from the codes in use: a taken subset keeps its whole dictionary.
	p, err = Fit(tab.Take([]int{1, 2}), nil, []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Categorical[0].Levels; !slices.Equal(got, []string{"b"}) {
		t.Errorf("levels of a subset: got %q, want [b]", got)
	}
}

func TestFitErrors(t *testing.T) {
	tab := mustParse(t, trainCSV+"abc,1,x,1\n", ReadOptions{})
	empty := &Table{Source: "empty.csv", Columns: []*Column{{Name: "a", Kind: Continuous}}}
	for _, tt := range []struct {
		name        string
		tab         *Table
		cont, cat   []string
		contains    []string
		notContains string
	}{
		{name: "unknown continuous", tab: tab, cont: []string{"agee"}, contains: []string{"test.csv", `"agee"`, `"age", "income", "city", "grade"`}},
		{name: "unknown categorical", tab: tab, cat: []string{"town"}, contains: []string{"test.csv", `"town"`, "no such column"}},
		{name: "text listed as continuous", tab: tab, cont: []string{"age"}, contains: []string{`test.csv: row 5, column "age": "abc" is not a number`}},
		{name: "listed twice", tab: tab, cont: []string{"income"}, cat: []string{"income"}, contains: []string{`"income" is listed twice`}},
		{name: "empty table", tab: empty, cont: []string{"a"}, contains: []string{"empty.csv has no rows"}},
		{
			name: "short column",
			tab:  &Table{Source: "mem", Rows: 3, Columns: []*Column{{Name: "a", Kind: Continuous, Floats: []float32{1}}}},
			cont: []string{"a"}, contains: []string{`mem: column "a": 1 values in a table of 3 rows`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(tt.tab, tt.cont, tt.cat)
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, want := range tt.contains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestTransform(t *testing.T) {
	train := mustParse(t, "x,c,n\n1,a,5\n3,b,6\n,a,5\n", ReadOptions{})
	p, err := Fit(train, []string{"x"}, []string{"c", "n"})
	if err != nil {
		t.Fatal(err)
	}
	// Mean 2, std 1; levels c: a→1, b→2; n: 5→1, 6→2.
	for _, tt := range []struct {
		name     string
		in       string
		opt      ReadOptions
		wantCont []float32
		wantCat  []int32
	}{
		{name: "training data", in: "x,c,n\n1,a,5\n3,b,6\n,a,5\n", wantCont: []float32{-1, 1, 0}, wantCat: []int32{1, 1, 2, 2, 1, 1}},
		{name: "unseen and missing", in: "n,c,x\n7,z,2\n,,4\n", wantCont: []float32{0, 2}, wantCat: []int32{0, 0, 0, 0}},
		{name: "text continuous column", in: "x,c,n\n5,a,5\n,b,6\n", opt: ReadOptions{Kinds: map[string]Kind{"x": Categorical}}, wantCont: []float32{3, 0}, wantCat: []int32{1, 1, 2, 2}},
		{name: "numbers spelt differently", in: "x,c,n\n1,b,5.0\n1,a,x\n1,a,06\n", wantCont: []float32{-1, -1, -1}, wantCat: []int32{2, 1, 1, 0, 1, 2}},
		{name: "extra columns ignored", in: "y,x,c,n,z\n0,1,a,5,q\n", wantCont: []float32{-1}, wantCat: []int32{1, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Transform(mustParse(t, tt.in, tt.opt))
			if err != nil {
				t.Fatal(err)
			}
			if d.N != len(tt.wantCont) || d.Cont.Rows != d.N || d.Cont.Cols != 1 || d.Cat.Rows != d.N || d.Cat.Cols != 2 {
				t.Fatalf("shapes: N %d, Cont %d×%d, Cat %d×%d", d.N, d.Cont.Rows, d.Cont.Cols, d.Cat.Rows, d.Cat.Cols)
			}
			if !slices.Equal(d.Cont.Data, tt.wantCont) {
				t.Errorf("Cont: got %v, want %v", d.Cont.Data, tt.wantCont)
			}
			if !slices.Equal(d.Cat.Data, tt.wantCat) {
				t.Errorf("Cat: got %v, want %v", d.Cat.Data, tt.wantCat)
			}
			if d.Labels != nil || d.Targets != nil {
				t.Error("Transform set targets")
			}
		})
	}
}

func TestTransformErrors(t *testing.T) {
	train := mustParse(t, "x,c\n1,a\n3,b\n", ReadOptions{})
	p, err := Fit(train, []string{"x"}, []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		in       string
		contains string
	}{
		{"missing continuous column", "c\na\n", `test.csv: column "x": no such column; the columns are "c"`},
		{"missing categorical column", "x\n1\n", `test.csv: column "c": no such column`},
		{"text in continuous column", "x,c\n1,a\n2,a\nn/a,b\n", `test.csv: row 3, column "x": "n/a" is not a number`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Transform(mustParse(t, tt.in, ReadOptions{}))
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got error %v, want one containing %q", err, tt.contains)
			}
		})
	}
}

func TestPreprocessorJSONRoundTrip(t *testing.T) {
	train := mustParse(t, wideCSV(300), ReadOptions{})
	p, err := Fit(train, []string{"n0", "n1", "n2", "n3"}, []string{"c0", "c1", "c2", "c3"})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(blob), `"continuous":[{"name":"n0","mean":`) || !strings.Contains(string(blob), `"levels":["level0"`) {
		t.Errorf("unexpected JSON field names: %.120s", blob)
	}
	var back Preprocessor
	if err := json.Unmarshal(blob, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("Validate after round trip: %v", err)
	}
	test := mustParse(t, wideCSV(500), ReadOptions{})
	d1, err := p.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := back.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d1.Cont.Data, d2.Cont.Data) || !slices.Equal(d1.Cat.Data, d2.Cat.Data) {
		t.Error("Transform output differs after a JSON round trip")
	}
}

func TestPreprocessorValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		json string
		want string // "" = valid
	}{
		{"valid", `{"continuous":[{"name":"a","mean":1,"std":2}],"categorical":[{"name":"b","levels":["x","y"]}]}`, ""},
		{"empty", `{}`, ""},
		{"std 0", `{"continuous":[{"name":"a","mean":0,"std":1},{"name":"b","mean":0,"std":1},{"name":"c","mean":0,"std":1},{"name":"age","mean":1,"std":0}]}`, `preprocessing: continuous[3] "age": std is 0`},
		{"std missing", `{"continuous":[{"name":"a","mean":1}]}`, `preprocessing: continuous[0] "a": std is 0`},
		{"std negative", `{"continuous":[{"name":"a","mean":1,"std":-2}]}`, `std is -2`},
		{"empty name", `{"continuous":[{"name":"","mean":1,"std":2}]}`, `preprocessing: continuous[0]: empty name`},
		{"duplicate continuous", `{"continuous":[{"name":"a","std":1},{"name":"a","std":1}]}`, `preprocessing: continuous[1] "a": name also used by continuous[0]`},
		{"name in both lists", `{"continuous":[{"name":"a","std":1}],"categorical":[{"name":"a","levels":[]}]}`, `preprocessing: categorical[0] "a": name also used by continuous[0]`},
		{"empty categorical name", `{"categorical":[{"levels":["x"]}]}`, `preprocessing: categorical[0]: empty name`},
		{"duplicate level", `{"categorical":[{"name":"b","levels":["x","y","x"]}]}`, `preprocessing: categorical[0] "b": level "x" appears twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p Preprocessor
			if err := json.Unmarshal([]byte(tt.json), &p); err != nil {
				t.Fatal(err)
			}
			err := p.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Infinities cannot come from JSON, but can from code.
	p := &Preprocessor{Continuous: []ContinuousSpec{{Name: "a", Mean: math.Inf(1), Std: 1}}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "mean is +Inf") {
		t.Errorf("infinite mean: got %v", err)
	}
	p = &Preprocessor{Continuous: []ContinuousSpec{{Name: "a", Std: math.NaN()}}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "std is NaN") {
		t.Errorf("NaN std: got %v", err)
	}
	if err := (*Preprocessor)(nil).Validate(); err == nil {
		t.Error("nil preprocessor: got nil error")
	}
}

// Transform matches the values of a categorical column to its levels by a
// scan when they are few and through an index when they are many; both
// give the same codes, numbers spelt differently and unseen values
// included.
func TestTransformLevelLookups(t *testing.T) {
	var fit, many strings.Builder
	fit.WriteString("c\n")
	many.WriteString("c\n")
	for i := range 100 {
		fmt.Fprintf(&fit, "%d\n", i)
		fmt.Fprintf(&many, "%d.0\n", 99-i) // spelt otherwise than in fitting
	}
	many.WriteString("unseen\n")
	p, err := Fit(mustParse(t, fit.String(), ReadOptions{Kinds: map[string]Kind{"c": Categorical}}), nil, []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	all := mustParse(t, many.String(), ReadOptions{Kinds: map[string]Kind{"c": Categorical}})
	if c, _ := all.Col("c"); len(c.Dict)*len(p.Categorical[0].Levels) <= scanLevelsMax {
		t.Fatalf("%d values × %d levels: the test needs the index", len(c.Dict), len(p.Categorical[0].Levels))
	}
	d, err := p.Transform(all)
	if err != nil {
		t.Fatal(err)
	}
	for i := range all.Rows {
		one, err := p.Transform(all.Take([]int{i}))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := one.Cat.Data[0], d.Cat.Data[i]; got != want {
			t.Errorf("row %d alone: code %d; among all the rows: %d", i, got, want)
		}
	}
	if d.Cat.Data[0] == 0 || d.Cat.Data[100] != 0 {
		t.Errorf("codes %v: want a level for 99.0 and 0 for the unseen value", d.Cat.Data)
	}
}
