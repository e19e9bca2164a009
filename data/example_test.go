package data_test

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/gotabular/gotabular/data"
)

func Example() {
	const train = `age, city,   income
25,  paris,  low
35,  london, high
45,  paris,  high
NA,  rome,   low
`
	tab, err := data.ParseCSV(strings.NewReader(train), "train.csv", data.ReadOptions{NullValues: []string{"NA"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range tab.Columns {
		fmt.Printf("%s: %v\n", c.Name, c.Kind)
	}

	// Fit on the pretraining data once; keep the JSON with the model.
	p, err := data.Fit(tab, []string{"age"}, []string{"city"})
	if err != nil {
		log.Fatal(err)
	}
	blob, _ := json.Marshal(p)
	fmt.Println(string(blob))

	// Later data is encoded the same way; an unseen city gets code 0.
	const test = "age,city\n45,rome\n,berlin\n"
	tab2, err := data.ParseCSV(strings.NewReader(test), "test.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	d, err := p.Transform(tab2)
	if err != nil {
		log.Fatal(err)
	}
	for i := range d.N {
		fmt.Printf("row %d: cont %.3f cat %v\n", i, d.Cont.Row(i), d.Cat.Row(i))
	}

	// Output:
	// age: continuous
	// city: categorical
	// income: categorical
	// {"continuous":[{"name":"age","mean":35,"std":8.16496580927726}],"categorical":[{"name":"city","levels":["london","paris","rome"]}]}
	// row 0: cont [1.225] cat [3]
	// row 1: cont [0.000] cat [0]
}

func ExampleParseCSV_error() {
	const bad = "age,city\n25,paris\nabc,rome\n"
	opt := data.ReadOptions{Kinds: map[string]data.Kind{"age": data.Continuous}, Odd: data.OddIsError}
	_, err := data.ParseCSV(strings.NewReader(bad), "people.csv", opt)
	fmt.Println(err)
	// Output:
	// people.csv: row 2 (line 3), column "age": "abc" is not a finite number (float32), and the column is continuous
}

// A stray odd value in a numeric column: the column stays numeric, the
// value is missing, and the table says so.
func ExampleParseCSV_oddValues() {
	var text strings.Builder
	text.WriteString("height;city\n")
	for i := range 40 {
		fmt.Fprintf(&text, "%d;paris\n", 150+i)
	}
	text.WriteString("1.8m;rome\nInf;oslo\n")
	tab, err := data.ParseCSV(strings.NewReader(text.String()), "people.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range tab.Columns {
		fmt.Printf("%s: %v\n", c.Name, c.Kind)
	}
	for _, w := range tab.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// height: continuous
	// city: categorical
	// warning: people.csv: row 41 (line 42), column "height": 2 of 42 values are not finite numbers and are read as missing (the first is "1.8m"); the column stays continuous
}

// The quantile-normal ("rank-gauss") transform, fitted on the pretraining
// rows, with the edges of quantile bins for a piecewise-linear encoding.
func ExampleFitWith() {
	// hours is 0 in most rows and has a long tail.
	const train = "hours\n0\n0\n0\n0\n0\n0\n2\n5\n8\n40\n"
	tab, err := data.ParseCSV(strings.NewReader(train), "train.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	p, err := data.FitWith(tab, []string{"hours"}, nil, data.FitOptions{
		ContinuousTransform: data.TransformQuantileNormal,
		Bins:                4,
	})
	if err != nil {
		log.Fatal(err)
	}
	s := p.Continuous[0]
	fmt.Println("quantiles:", s.Quantiles)
	fmt.Printf("bin edges: %.3f\n", s.BinEdges)

	// The zeros share the middle of their levels, the tail is drawn in,
	// values beyond those seen are clipped, and a missing value is the
	// median.
	const test = "hours\n0\n3\n40\n100\nNA\n"
	tab2, err := data.ParseCSV(strings.NewReader(test), "test.csv", data.ReadOptions{NullValues: []string{"NA"}})
	if err != nil {
		log.Fatal(err)
	}
	d, err := p.Transform(tab2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("encoded: %.3f\n", d.Cont.Data)

	// Output:
	// quantiles: [0 0 0 0 0 0 2 5 8 40]
	// bin edges: [-0.589 0.681 5.199]
	// encoded: [-0.589 0.535 5.199 5.199 0.000]
}

func ExampleDescribe() {
	const text = "age,city\n25,paris\n35,london\n45,paris\nNA,\n"
	tab, err := data.ParseCSV(strings.NewReader(text), "people.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range data.Describe(tab, 2) {
		fmt.Printf("%s %s: missing %.0f%%, %d distinct", s.Name, s.Kind, 100*s.MissingShare(tab.Rows), s.Distinct)
		if s.Kind == data.Continuous {
			fmt.Printf(", min %g max %g mean %g", s.Min, s.Max, s.Mean)
		}
		fmt.Println(",", s.Top)
	}
	// Output:
	// age continuous: missing 25%, 3 distinct, min 25 max 45 mean 35, []
	// city categorical: missing 25%, 2 distinct, [{paris 2} {london 1}]
}
