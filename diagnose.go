package gotabular

import (
	"fmt"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/models"
)

// Diagnostics describe a supervised or fine-tuned model's predictions on
// labelled rows in enough detail to plot them: the ROC curves and the
// confusion matrix of a classifier, the predicted against the actual
// values of a regressor. Training computes them on the validation rows
// and saves them with the model, which does not keep the rows.
type Diagnostics struct {
	// Rows is the number of rows predicted; Source says which.
	Rows   int    `json:"rows"`
	Source string `json:"source"`

	// Classification: Confusion[i][j] counts the rows of class i
	// predicted as class j; ROC holds a curve per class against the rest
	// (one, of the second class, for two classes).
	Classes   []string   `json:"classes,omitempty"`
	Confusion [][]int    `json:"confusion,omitempty"`
	ROC       []ROCCurve `json:"roc,omitempty"`

	// Regression: pairs of actual and predicted values, in the target's
	// units, at most MaxPairs rows spread evenly over the rows.
	Actual    []float64 `json:"actual,omitempty"`
	Predicted []float64 `json:"predicted,omitempty"`
}

// ROCCurve is the ROC curve of one class against the others.
type ROCCurve struct {
	Class string    `json:"class"`
	AUC   float64   `json:"auc"`
	FPR   []float64 `json:"fpr"`
	TPR   []float64 `json:"tpr"`
}

// MaxPairs bounds the regression pairs kept in Diagnostics, so that a
// large validation set does not swell model.json.
const MaxPairs = 2000

// maxROCPoints bounds the points of a saved ROC curve; a plot needs no
// more.
const maxROCPoints = 500

// Diagnose predicts the rows of t, which must hold the target, and
// describes the predictions (see [Diagnostics]).
func (m *TabularModel) Diagnose(t *data.Table) (*Diagnostics, error) {
	if m.kind != Supervised && m.kind != Finetuned {
		return nil, fmt.Errorf("Diagnose: the model is %s; it needs a supervised or fine-tuned one: %w", m.kind, ErrKind)
	}
	d, err := m.encode(t)
	if err != nil {
		return nil, err
	}
	if err := m.target.Encode(t, d); err != nil {
		return nil, err
	}
	return diagnose(m.net, m.target, d, t.Source)
}

// diagnoseValidation records the diagnostics of the first member on its
// validation rows, if it has any: for a single model these are the rows
// it was validated on; an ensemble's other members trained on some of
// them, so the first member alone is judged.
func (m *TabularModel) diagnoseValidation(parts []part) {
	m.Validation = nil
	if len(parts) == 0 || parts[0].valid == nil || parts[0].valid.N == 0 {
		return
	}
	source := "the validation rows"
	members := m.members()
	if len(members) > 1 {
		source = "the validation rows of the first member of the ensemble, predicted by that member"
	}
	if v, err := diagnose(members[0], m.target, parts[0].valid, source); err == nil {
		m.Validation = v
	}
}

func diagnose(net models.Network, target *data.Target, d *data.Dataset, source string) (*Diagnostics, error) {
	if d.N == 0 {
		return nil, fmt.Errorf("Diagnose: no rows")
	}
	out := newSupervisedTask(net, target).outputs(d)
	v := &Diagnostics{Rows: d.N, Source: source}
	if target.Task == config.Regression {
		step := max(1, (d.N+MaxPairs-1)/MaxPairs)
		for i := 0; i < d.N; i += step {
			v.Actual = append(v.Actual, target.Unscale(d.Targets.At(i, 0)))
			v.Predicted = append(v.Predicted, target.Unscale(out.At(i, 0)))
		}
		return v, nil
	}
	k := len(target.Classes)
	v.Classes = target.Classes
	v.Confusion = make([][]int, k)
	for i := range v.Confusion {
		v.Confusion[i] = make([]int, k)
	}
	for i := range d.N {
		row := out.Row(i)
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		if l := d.Labels[i]; l >= 0 && int(l) < k {
			v.Confusion[l][best]++
		}
	}
	first := 0
	if k == 2 {
		first = 1
	}
	positive := make([]bool, d.N)
	scores := make([]float64, d.N)
	for c := first; c < k; c++ {
		for i := range d.N {
			positive[i] = d.Labels[i] == int32(c)
			scores[i] = float64(out.At(i, c))
		}
		fpr, tpr := metrics.ROCCurve(positive, scores)
		if fpr == nil {
			continue // the class is absent, or alone, in these rows
		}
		auc, _ := metrics.ROCAUC(positive, scores)
		fpr, tpr = thin(fpr, tpr, maxROCPoints)
		v.ROC = append(v.ROC, ROCCurve{Class: target.Classes[c], AUC: auc, FPR: fpr, TPR: tpr})
	}
	return v, nil
}

// thin keeps at most n points of a curve, always its ends.
func thin(x, y []float64, n int) ([]float64, []float64) {
	if len(x) <= n {
		return x, y
	}
	var tx, ty []float64
	for k := range n {
		i := k * (len(x) - 1) / (n - 1)
		tx, ty = append(tx, x[i]), append(ty, y[i])
	}
	return tx, ty
}
