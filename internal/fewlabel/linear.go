package fewlabel

import (
	"context"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/linear"
)

// The reference linear baseline's penalties: scikit-learn's
// LogisticRegression(C=0.3) and Ridge(alpha=1).
const (
	linearC     = 0.3
	ridgeAlpha  = 1.0
	linearUsage = "L2 logistic regression (C 0.3) or ridge (alpha 1) on one-hot and standardised features, fitted on all labelled rows"
)

// linearMethod is the built-in linear baseline. As the reference one, it
// fits on every labelled row (fine-tuning and validation rows alike), since
// with a fixed penalty it has nothing to choose on validation rows. The
// encoding (levels, means and deviations) is fitted on all training rows,
// which needs no labels.
func linearMethod() Method {
	return Method{Name: "linear", Fit: func(ctx context.Context, c *Cell, _ *gotabular.TabularModel) ([]float64, error) {
		d := c.Data
		prep, err := data.Fit(d.Unlabelled(), d.Continuous, d.Categorical)
		if err != nil {
			return nil, err
		}
		all := c.All
		x, err := design(prep, all)
		if err != nil {
			return nil, err
		}
		test, err := design(prep, d.Test)
		if err != nil {
			return nil, err
		}
		tc, err := all.Col(d.Entry.Target)
		if err != nil {
			return nil, err
		}
		var m *linear.Model
		if d.Entry.Kind() == Binary {
			y := make([]bool, all.Rows)
			for i := range y {
				s, _ := tc.Text(i)
				y[i] = s == d.Positive
			}
			if m, err = linear.FitLogistic(x, y, linearC); err != nil {
				return nil, err
			}
		} else {
			y := make([]float64, all.Rows)
			for i := range y {
				y[i] = float64(tc.Floats[i])
			}
			if m, err = linear.FitRidge(x, y, ridgeAlpha); err != nil {
				return nil, err
			}
		}
		out := make([]float64, test.N)
		for i := range out {
			if d.Entry.Kind() == Binary {
				out[i] = m.Probability(test.Row(i))
			} else {
				out[i] = m.Predict(test.Row(i))
			}
		}
		return out, nil
	}}
}

// design encodes a table as a linear model's input: the standardised
// continuous values, then one indicator per known level of each
// categorical (an unknown level has none set).
func design(prep *data.Preprocessor, t *data.Table) (*linear.Design, error) {
	d, err := prep.Transform(t)
	if err != nil {
		return nil, err
	}
	width := len(prep.Continuous)
	offsets := make([]int, len(prep.Categorical))
	for j, c := range prep.Categorical {
		offsets[j] = width
		width += c.Cardinality() - 1
	}
	x := &linear.Design{N: d.N, D: width, X: make([]float64, d.N*width)}
	for i := range d.N {
		r := x.Row(i)
		for j, v := range d.Cont.Row(i) {
			r[j] = float64(v)
		}
		for j, code := range d.Cat.Row(i) {
			if code > 0 {
				r[offsets[j]+int(code)-1] = 1
			}
		}
	}
	return x, nil
}
