package fewlabel

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/linear"
	"github.com/gotabular/gotabular/metrics"
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
	return Method{Name: "linear", Fit: func(ctx context.Context, c *Cell, _ *gotabular.TabularModel) (Outputs, error) {
		d := c.Data
		positive := ""
		if d.Entry.Kind() == Binary {
			positive = d.Positive
		}
		test, err := Linear(d.Unlabelled(), c.All, d.Test, d.Continuous, d.Categorical, d.Entry.Target, positive)
		return Outputs{Test: test, CV: math.NaN()}, err
	}}
}

// Linear fits the linear baseline, an L2 logistic regression (C 0.3) when
// positive names the positive class or a ridge regression (alpha 1) when
// it is "", on the labelled rows, their features one-hot and standardised
// with an encoding fitted on the unlabelled rows (the continuous and
// categorical columns named, or all columns of their kinds but the target
// when both lists are nil). It returns its outputs on the test rows: the
// positive class's probability, or the predicted value.
func Linear(unlabelled, labelled, test *data.Table, cont, cat []string, target, positive string) ([]float64, error) {
	if cont == nil && cat == nil {
		for _, c := range unlabelled.Columns {
			switch {
			case c.Name == target:
			case c.Kind == data.Categorical:
				cat = append(cat, c.Name)
			default:
				cont = append(cont, c.Name)
			}
		}
	}
	prep, err := data.Fit(unlabelled, cont, cat)
	if err != nil {
		return nil, err
	}
	x, err := design(prep, labelled)
	if err != nil {
		return nil, err
	}
	tx, err := design(prep, test)
	if err != nil {
		return nil, err
	}
	tc, err := labelled.Col(target)
	if err != nil {
		return nil, err
	}
	var m *linear.Model
	if positive != "" {
		y := make([]bool, labelled.Rows)
		for i := range y {
			s, _ := tc.Text(i)
			y[i] = s == positive
		}
		if m, err = linear.FitLogistic(x, y, linearC); err != nil {
			return nil, err
		}
	} else {
		if tc.Kind != data.Continuous {
			return nil, fmt.Errorf("the target %q holds text: a regression needs numbers", target)
		}
		y := make([]float64, labelled.Rows)
		for i := range y {
			y[i] = float64(tc.Floats[i])
		}
		if m, err = linear.FitRidge(x, y, ridgeAlpha); err != nil {
			return nil, err
		}
	}
	out := make([]float64, tx.N)
	for i := range out {
		if positive != "" {
			out[i] = m.Probability(tx.Row(i))
		} else {
			out[i] = m.Predict(tx.Row(i))
		}
	}
	return out, nil
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

// probeMethod fits the linear baseline on the pretrained encoder's
// features of each labelled row beside its one-hot and standardised
// input, choosing the penalty by cross-validated ROC-AUC (binary) or RMSE.
func (r Recipe) probeFit(ctx context.Context, c *Cell, pre *gotabular.TabularModel) (Outputs, error) {
	test, cv, err := r.linearProbe(c, pre)
	return Outputs{Test: test, CV: cv}, err
}

// linearProbe fits the linear probe and returns its test outputs and the
// cross-validated ROC-AUC of the penalty it chose.
func (r Recipe) linearProbe(c *Cell, pre *gotabular.TabularModel) ([]float64, float64, error) {
	d := c.Data
	prep, err := data.Fit(d.Unlabelled(), d.Continuous, d.Categorical)
	if err != nil {
		return nil, 0, err
	}
	build := func(t *data.Table) (*linear.Design, error) {
		x, err := design(prep, t)
		if err != nil {
			return nil, err
		}
		f, err := pre.Featurize(t)
		if err != nil {
			return nil, err
		}
		// Standardise the features by their spread over the labelled
		// rows' scale: one penalty then suits both blocks.
		out := &linear.Design{N: x.N, D: x.D + f.Cols, X: make([]float64, 0, x.N*(x.D+f.Cols))}
		for i := range x.N {
			out.X = append(out.X, x.Row(i)...)
			for _, v := range f.Row(i) {
				out.X = append(out.X, float64(v))
			}
		}
		return out, nil
	}
	x, err := build(c.All)
	if err != nil {
		return nil, 0, err
	}
	test, err := build(d.Test)
	if err != nil {
		return nil, 0, err
	}
	scaleCols(x, test)
	tc, err := c.All.Col(d.Entry.Target)
	if err != nil {
		return nil, 0, err
	}
	y := make([]bool, x.N)
	for i := range y {
		s, _ := tc.Text(i)
		y[i] = s == d.Positive
	}
	folds, err := c.folds(5, uint64(c.Seed))
	if err != nil {
		return nil, 0, err
	}
	bestC, bestAUC := 0.0, -1.0
	for _, cc := range []float64{0.003, 0.01, 0.03, 0.1, 0.3, 1} {
		score := make([]float64, x.N)
		for _, f := range folds {
			in := make([]bool, x.N)
			for _, i := range f {
				in[i] = true
			}
			var tr []int
			for i := range x.N {
				if !in[i] {
					tr = append(tr, i)
				}
			}
			m, err := linear.FitLogistic(rowsOf(x, tr), pick(y, tr), cc)
			if err != nil {
				return nil, 0, err
			}
			for _, i := range f {
				score[i] = m.Predict(x.Row(i))
			}
		}
		auc, err := metrics.ROCAUC(y, score)
		if err != nil {
			return nil, 0, err
		}
		if auc > bestAUC {
			bestC, bestAUC = cc, auc
		}
	}
	m, err := linear.FitLogistic(x, y, bestC)
	if err != nil {
		return nil, 0, err
	}
	out := make([]float64, test.N)
	for i := range out {
		out[i] = m.Probability(test.Row(i))
	}
	return out, bestAUC, nil
}

func rowsOf(x *linear.Design, rows []int) *linear.Design {
	out := &linear.Design{N: len(rows), D: x.D, X: make([]float64, 0, len(rows)*x.D)}
	for _, i := range rows {
		out.X = append(out.X, x.Row(i)...)
	}
	return out
}

func pick[T any](v []T, rows []int) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = v[r]
	}
	return out
}

// scaleCols standardises each column of x by its mean and deviation over
// x's rows, and applies the same to y.
func scaleCols(x, y *linear.Design) {
	for j := range x.D {
		var s, ss float64
		for i := range x.N {
			s += x.X[i*x.D+j]
		}
		mean := s / float64(x.N)
		for i := range x.N {
			d := x.X[i*x.D+j] - mean
			ss += d * d
		}
		std := math.Sqrt(ss / float64(x.N))
		if std == 0 {
			std = 1
		}
		for _, m := range []*linear.Design{x, y} {
			for i := range m.N {
				m.X[i*m.D+j] = (m.X[i*m.D+j] - mean) / std
			}
		}
	}
}

// folds splits the cell's labelled rows into k folds, stratified for a
// binary target.
func (c *Cell) folds(k int, seed uint64) ([][]int, error) {
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	if c.Data.Entry.Kind() != Binary {
		return data.Folds(c.All.Rows, k, rng)
	}
	t, err := c.All.Col(c.Data.Entry.Target)
	if err != nil {
		return nil, err
	}
	labels := make([]int32, c.All.Rows)
	for i := range labels {
		if s, _ := t.Text(i); s == c.Data.Positive {
			labels[i] = 1
		}
	}
	return data.StratifiedFolds(labels, k, rng)
}
