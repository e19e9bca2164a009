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
	opt := data.ReadOptions{Kinds: map[string]data.Kind{"age": data.Continuous}}
	_, err := data.ParseCSV(strings.NewReader(bad), "people.csv", opt)
	fmt.Println(err)
	// Output:
	// people.csv: row 2 (line 3), column "age": "abc" is not a number
}
