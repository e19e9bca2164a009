package data_test

import (
	"fmt"
	"log"
	"math/rand/v2"
	"strings"

	"github.com/gotabular/gotabular/data"
)

const people = `id,zip,age,city,income
1,75001,25,paris,low
2,10115,35,berlin,high
3,75001,45,paris,high
4,00118,52,rome,low
5,10115,31,berlin,high
6,75001,29,paris,low
`

// A table is a list of typed columns. Numbers are continuous and text is
// categorical unless ReadOptions.Kinds says otherwise: a postal code is a
// category even though it looks like a number.
func ExampleTable() {
	opt := data.ReadOptions{Kinds: map[string]data.Kind{"zip": data.Categorical}}
	tab, err := data.ParseCSV(strings.NewReader(people), "people.csv", opt)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tab.Rows, "rows:", tab.Names())
	for _, c := range tab.Columns {
		fmt.Printf("%-6s %v\n", c.Name, c.Kind)
	}
	zip, err := tab.Col("zip")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("zip codes:", zip.Dict) // kept as written, leading zero too

	// An id is not a feature; a misspelt name is an error that lists the
	// columns.
	features := tab.Without("id")
	fmt.Println(features.Names())
	_, err = features.Col("incme")
	fmt.Println(err)
	// Output:
	// 6 rows: [id zip age city income]
	// id     continuous
	// zip    categorical
	// age    continuous
	// city   categorical
	// income categorical
	// zip codes: [75001 10115 00118]
	// [zip age city income]
	// people.csv: column "incme": no such column; the columns are "zip", "age", "city", "income"
}

// The target is encoded apart from the features: classes are sorted,
// and a label's code is its index.
func ExampleFitTarget() {
	tab, err := data.ParseCSV(strings.NewReader(people), "people.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	target, err := data.FitTarget(tab, "income", "classification", false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("classes:", target.Classes)

	// Two of the columns as features, fitted on this table.
	p, err := data.Fit(tab, []string{"age"}, []string{"city"})
	if err != nil {
		log.Fatal(err)
	}
	d, err := p.Transform(tab)
	if err != nil {
		log.Fatal(err)
	}
	if err := target.Encode(tab, d); err != nil {
		log.Fatal(err)
	}
	fmt.Println("labels:", d.Labels)
	fmt.Printf("inputs: %d continuous and %d categorical columns of %d rows\n", d.Cont.Cols, d.Cat.Cols, d.N)
	// Output:
	// classes: [high low]
	// labels: [1 0 0 1 0 1]
	// inputs: 1 continuous and 1 categorical columns of 6 rows
}

// A validation split that keeps each class's share, from a seeded
// generator: the same seed gives the same split.
func ExampleStratifiedSplit() {
	labels := []int32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}
	rng := rand.New(rand.NewPCG(42, 1))
	train, valid := data.StratifiedSplit(labels, 0.5, rng)
	count := func(rows []int) (n [2]int) {
		for _, r := range rows {
			n[labels[r]]++
		}
		return n
	}
	fmt.Println("train per class:", count(train), "valid per class:", count(valid))
	// Output:
	// train per class: [4 1] valid per class: [4 1]
}
