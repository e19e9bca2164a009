package data_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/gotabular/gotabular/data"
)

// A skewed column under the Yeo-Johnson transform, and a date column
// expanded into calendar features, with a missing-value indicator.
func ExampleFitWith_dates() {
	const train = `income,signup
1200,2024-03-05
800,2023-12-31T08:15:00Z
,2024-01-01
45000,2022-07-14
3000,not a date
`
	tab, err := data.ParseCSV(strings.NewReader(train), "train.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	p, err := data.FitWith(tab, []string{"income"}, nil, data.FitOptions{
		ContinuousTransform: data.TransformYeoJohnson,
		Dates:               []data.DateColumn{{Name: "signup"}},
		MissingIndicator:    true,
		Warn:                func(err error) { fmt.Println("warning:", err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("income: λ = %.3f (scikit-learn: -0.46421348)\n", p.Continuous[0].Lambda)
	for _, s := range p.Continuous[1:] {
		fmt.Println("continuous:", s.Name)
	}
	for _, s := range p.Categorical {
		fmt.Println("categorical:", s.Name, s.Levels)
	}

	// Output:
	// warning: train.csv: row 5, column "signup": 1 value is not a date (want RFC 3339, 2006-01-02T15:04:05, 2006-01-02 15:04:05 or 2006-01-02, or give the column's layout) and read as missing; the first is "not a date"
	// income: λ = -0.464 (scikit-learn: -0.46421348)
	// continuous: signup_year
	// continuous: signup_day_of_year
	// categorical: signup_month [1 12 3 7]
	// categorical: signup_day [1 14 31 5]
	// categorical: signup_weekday [0 1 2 4]
	// categorical: signup_hour [0 8]
	// categorical: income_missing [0 1]
}
