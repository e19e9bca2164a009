// Package demodata ships the data set of `gotabular demo` inside the
// binary, so that the demo runs on a fresh clone with nothing to download.
// See ATTRIBUTION.md for its source and licence.
package demodata

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"

	"github.com/gotabular/gotabular/data"
)

var (
	//go:embed adult_train.csv.gz
	adultTrain []byte
	//go:embed adult_test.csv.gz
	adultTest []byte
)

// Adult target and its positive class.
const (
	AdultTarget   = "income"
	AdultPositive = ">50K"
)

// Adult returns the training (32,561 rows) and test (16,281 rows) tables
// of the UCI Adult data set.
func Adult() (train, test *data.Table, err error) {
	if train, err = parse(adultTrain, "adult_train.csv"); err != nil {
		return nil, nil, err
	}
	if test, err = parse(adultTest, "adult_test.csv"); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func parse(gz []byte, name string) (*data.Table, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("demo data %s: %w", name, err)
	}
	return data.ParseCSV(r, name, data.ReadOptions{})
}
