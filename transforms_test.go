package gotabular_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
)

// withDates is synthetic(n, seed) with a column of dates, "when", a few of
// them not dates.
func withDates(t *testing.T, n int, seed uint64) *data.Table {
	t.Helper()
	tab := synthetic(n, seed)
	when := make([]string, n)
	for i := range when {
		when[i] = fmt.Sprintf("20%02d-%02d-%02dT%02d:30:00Z", 20+i%5, 1+i%12, 1+i%28, i%24)
		if i%50 == 7 {
			when[i] = "soon"
		}
	}
	out, err := data.NewTable(tab.Source, append(slices.Clone(tab.Columns), data.NewCategorical("when", when))...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A model pretrained with a power transform, date columns and missing
// indicators keeps them: saved, loaded and applied to new rows, it gives
// the features the original gives.
func TestPreprocessingOptionsSaveLoad(t *testing.T) {
	for _, transform := range []string{config.YeoJohnsonTransform, config.RankGaussTransform, config.QuantileUniformTransform} {
		t.Run(transform, func(t *testing.T) {
			dc := config.DataConfig{ContinuousTransform: transform, DateColumns: []config.DateColumn{{Name: "when"}}, MissingIndicator: true}
			m, err := gotabular.New(dc, daeConfig(), config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 32, MaxEpochs: 1, Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Pretrain(context.Background(), withDates(t, 200, 1).Without("label", "amount"), nil); err != nil {
				t.Fatal(err)
			}
			p := m.Preprocessor()
			var names []string
			for _, c := range p.Continuous {
				names = append(names, c.Name)
			}
			for _, c := range p.Categorical {
				names = append(names, c.Name)
			}
			for _, want := range []string{"when_year", "when_day_of_year", "when_month", "when_hour", "x2_missing"} {
				if !slices.Contains(names, want) {
					t.Errorf("features %v lack %s", names, want)
				}
			}
			if slices.Contains(names, "when") {
				t.Errorf("the date column itself is a feature: %v", names)
			}
			back, _ := saveLoad(t, m)
			if !reflect.DeepEqual(back.Preprocessor(), p) {
				t.Error("preprocessing differs after a round trip")
			}
			test := withDates(t, 30, 3)
			f1, err := m.Featurize(test)
			if err != nil {
				t.Fatal(err)
			}
			f2, err := back.Featurize(test)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f1.Data, f2.Data) {
				t.Error("features differ after a round trip")
			}
		})
	}
}
