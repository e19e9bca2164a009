package gotabular

import (
	"errors"
	"fmt"
	"math"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// Predictions are a model's outputs for the rows of a table, in row order.
type Predictions struct {
	// Task is "classification", "regression", or "features" for a
	// pretrained model, whose prediction is its learned representation.
	Task string
	// Classification: Classes[j] is the label of column j of
	// Probabilities; Labels holds the most probable class of each row.
	Classes       []string
	Probabilities *tensor.Mat
	Labels        []string
	// Regression: the predicted values, in the target's original units.
	Values []float64
	// Features: the pretrained model's features of each row.
	Features *tensor.Mat
}

// encode applies the fitted preprocessing to t.
func (m *TabularModel) encode(t *data.Table) (*data.Dataset, error) {
	if m.kind == Untrained {
		return nil, fmt.Errorf("the model is untrained: call Fit or Pretrain first: %w", ErrKind)
	}
	if t == nil {
		return nil, fmt.Errorf("no table given")
	}
	return m.prep.TransformWarn(t, m.warn)
}

// Predict returns the predictions for the rows of t. The target column is
// not needed. For a pretrained self-supervised model the predictions are
// its features (as PyTorch Tabular's SSL predict would give, had it
// worked).
//
// Predict is not safe for concurrent use: the network runs in buffers the
// model owns and reuses from call to call, which is what keeps prediction
// free of allocation. To predict from several goroutines at once, give
// each its own [TabularModel.Clone] (package serve keeps a pool of them).
// The same holds for Evaluate and Featurize, and for a mix of the three.
func (m *TabularModel) Predict(t *data.Table) (*Predictions, error) {
	d, err := m.encode(t)
	if err != nil {
		return nil, err
	}
	if m.kind == Pretrained {
		f, err := m.featurize(d)
		if err != nil {
			return nil, err
		}
		if err := checkOutputs(t, f, "feature"); err != nil {
			return nil, err
		}
		return &Predictions{Task: "features", Features: f}, nil
	}
	out := newSupervisedTask(m.net, m.target).outputs(d)
	if err := checkOutputs(t, out, "prediction"); err != nil {
		return nil, err
	}
	p := &Predictions{Task: m.target.Task}
	if m.target.Task == config.Regression {
		p.Values = make([]float64, d.N)
		for i := range d.N {
			p.Values[i] = m.target.Unscale(out.At(i, 0))
			// Predictions are written as float32, the precision of the
			// network, so one beyond its range would be written +Inf.
			if v := p.Values[i]; math.IsNaN(v) || math.IsInf(float64(float32(v)), 0) {
				return nil, &data.Error{Source: source(t), Row: i + 1, Err: fmt.Errorf("the prediction %v is not finite in the target's units as a float32: %w", v, ErrNonFinite)}
			}
		}
		return p, nil
	}
	p.Classes, p.Probabilities = m.target.Classes, out
	p.Labels = make([]string, d.N)
	for i := range d.N {
		row := out.Row(i)
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		p.Labels[i] = m.target.Classes[best]
	}
	return p, nil
}

// Evaluate returns the loss and metrics on t. For supervised and
// fine-tuned models t must hold the target: classification gives loss
// (log-loss), accuracy, roc_auc and f1; regression gives loss (MSE in
// training units), rmse, mae and r2. For a pretrained model it gives the
// self-supervised loss and its parts, with corruption drawn from a fixed
// seed.
//
// Every figure is there: one that is undefined on t (ROC-AUC when t holds
// a single class) is NaN rather than left out. A model output that is not
// finite is an error naming its row, since every figure computed from it
// would be meaningless.
func (m *TabularModel) Evaluate(t *data.Table) (map[string]float64, error) {
	d, err := m.encode(t)
	if err != nil {
		return nil, err
	}
	if m.kind == Pretrained {
		f, err := m.featurize(d)
		if err != nil {
			return nil, err
		}
		if err := checkOutputs(t, f, "feature"); err != nil {
			return nil, err
		}
		return (&sslTask{m: m.ssl}).Evaluate(d)
	}
	if err := m.target.Encode(t, d); err != nil {
		return nil, err
	}
	s := newSupervisedTask(m.net, m.target)
	out := s.outputs(d)
	if err := checkOutputs(t, out, "prediction"); err != nil {
		return nil, err
	}
	figs, err := s.figures(d, out)
	if err != nil {
		return nil, err
	}
	for _, name := range append([]string{metrics.Loss}, metrics.Names(m.target.Task)...) {
		if _, ok := figs[name]; !ok {
			figs[name] = math.NaN() // undefined on these rows, and said so
		}
	}
	return figs, nil
}

// ErrNonFinite is wrapped by the error of Predict, Evaluate and Featurize
// when the network gives a NaN or an infinity for a row: a fault of the
// model or of extreme inputs, not of the request's form.
var ErrNonFinite = errors.New("the network gave a non-finite output")

// checkOutputs refuses model outputs that are not finite, naming the first
// row with one: a NaN written to a predictions file would pass for a
// number downstream.
func checkOutputs(t *data.Table, out *tensor.Mat, what string) error {
	for i := range out.Rows {
		for j, v := range out.Row(i) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return &data.Error{Source: source(t), Row: i + 1,
					Err: fmt.Errorf("the model's %s %d is %v: %w (its weights or this row's inputs are out of range)", what, j, v, ErrNonFinite)}
			}
		}
	}
	return nil
}

// source names t in errors.
func source(t *data.Table) string {
	if t.Source == "" {
		return "table"
	}
	return t.Source
}

// Featurize returns the learned features of the rows of t: the
// featurizer's output for a pretrained or fine-tuned model (with the
// embedded input appended when the config asks for it), the backbone's
// output for a supervised one.
func (m *TabularModel) Featurize(t *data.Table) (*tensor.Mat, error) {
	d, err := m.encode(t)
	if err != nil {
		return nil, err
	}
	f, err := m.featurize(d)
	if err != nil {
		return nil, err
	}
	return f, checkOutputs(t, f, "feature")
}

func (m *TabularModel) featurize(d *data.Dataset) (*tensor.Mat, error) {
	var f func(*data.Batch) *tensor.Mat
	switch n := m.net.(type) {
	case *ensemble:
		f = func(b *data.Batch) *tensor.Mat { return n.Features(b.Cont, b.Cat) }
	case *ssl.Finetune:
		f = func(b *data.Batch) *tensor.Mat { return n.Features(b.Cont, b.Cat) }
	case *models.Supervised:
		f = func(b *data.Batch) *tensor.Mat { return n.Features(b.Cont, b.Cat) }
	default:
		if m.ssl == nil {
			return nil, fmt.Errorf("featurize: no featurizer in a %s model: %w", m.kind, ErrKind)
		}
		f = func(b *data.Batch) *tensor.Mat { return m.ssl.Featurize(b.Cont, b.Cat) }
	}
	var out *tensor.Mat
	forEachBatch(d, func(lo int, b *data.Batch) {
		y := f(b)
		if out == nil {
			out = tensor.New(d.N, y.Cols)
		}
		out.RowView(lo, lo+b.N).CopyFrom(y)
	})
	if out == nil {
		return nil, fmt.Errorf("featurize: no rows")
	}
	return out, nil
}
