package gotabular

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// Diagnostics describe a model's outputs on some rows in enough detail to
// plot them: for a supervised or fine-tuned model its predictions on
// labelled rows (the ROC curves and the confusion matrix of a classifier,
// the predicted against the actual values of a regressor); for a
// pretrained model whose method restores its corrupted input (the DAE,
// VIME), how well it restores each feature and finds its corruption.
// Training computes them on the validation rows and saves them with the
// model, which does not keep the rows.
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

	// Pretrained models of the denoising methods: a figure per raw
	// feature, continuous then categorical as in the preprocessing, with
	// the rows corrupted by the method's own corruption drawn from a
	// fixed seed, the one of the validation loss during pretraining.
	Features []ssl.FeatureDiagnostic `json:"features,omitempty"`
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

// Diagnose describes the model's outputs on the rows of t (see
// [Diagnostics]). A supervised or fine-tuned model predicts them, and t
// must hold the target. A pretrained model restores them from a corrupted
// copy, which needs a method that restores its input (see
// [TabularModel.DiagnosesFeatures]); t needs no target.
func (m *TabularModel) Diagnose(t *data.Table) (*Diagnostics, error) {
	if m.kind == Pretrained {
		if !m.DiagnosesFeatures() {
			return nil, fmt.Errorf("Diagnose: the model's method, %s, restores no feature, so there is no reconstruction to describe: %w", m.sslName(), ErrKind)
		}
		d, err := m.encode(t)
		if err != nil {
			return nil, err
		}
		return diagnoseFeatures(m.ssl.(ssl.FeatureDiagnoser), d, t.Source)
	}
	if m.kind != Supervised && m.kind != Finetuned {
		return nil, fmt.Errorf("Diagnose: the model is %s; it needs a trained one: %w", m.kind, ErrKind)
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

// DiagnosesFeatures reports whether the model is a pretrained one whose
// method restores its corrupted input (the DAE, VIME), so that its
// diagnostics describe each feature's reconstruction. SCARF, which learns
// by telling rows apart, restores nothing.
func (m *TabularModel) DiagnosesFeatures() bool {
	if m.kind != Pretrained {
		return false
	}
	_, ok := m.ssl.(ssl.FeatureDiagnoser)
	return ok
}

// sslName names the self-supervised method in messages.
func (m *TabularModel) sslName() string {
	if sc, ok := m.sslConfig(); ok {
		return sc.Name()
	}
	return "none"
}

// diagnosePretext records the per-feature diagnostics of a pretrained
// model on its validation rows va, if it has any and its method restores
// its input. Like the supervised diagnostics, they are a by-product of
// training: a failure leaves them out rather than failing the run.
func (m *TabularModel) diagnosePretext(va *data.Dataset) {
	m.Validation = nil
	fd, ok := m.ssl.(ssl.FeatureDiagnoser)
	if !ok || va == nil || va.N == 0 {
		return
	}
	if v, err := diagnoseFeatures(fd, va, "the validation rows"); err == nil {
		m.Validation = v
	}
}

// diagnoseFeatures runs fd over d in the batches and with the noise of
// the evaluation of pretraining, so that the per-feature figures describe
// the very corrupted rows behind the validation loss and metrics: the
// mean mask accuracy over the features is the validation mask_accuracy.
func diagnoseFeatures(fd ssl.FeatureDiagnoser, d *data.Dataset, source string) (*Diagnostics, error) {
	if d.N == 0 {
		return nil, fmt.Errorf("Diagnose: no rows")
	}
	cat := d.Cat
	if cat == nil {
		cat = &tensor.IntMat{Rows: d.N}
	}
	batches := func(yield func(*tensor.Mat, *tensor.IntMat) bool) {
		var cv tensor.Mat // views into d, reused from batch to batch
		var kv tensor.IntMat
		for lo := 0; lo < d.N; lo += evalBatch {
			hi := min(lo+evalBatch, d.N)
			kv = tensor.IntMat{Rows: hi - lo, Cols: cat.Cols, Data: cat.Data[lo*cat.Cols : hi*cat.Cols]}
			if !yield(cv.SetRowView(d.Cont, lo, hi), &kv) {
				return
			}
		}
	}
	fs := fd.DiagnoseFeatures(batches, rand.New(rand.NewPCG(evalNoiseSeed, 1)))
	for _, f := range fs {
		for _, v := range []float64{f.Error, f.CorruptedError, f.MaskAccuracy} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("Diagnose: feature %q: the network gave a non-finite output (its weights or the rows' inputs are out of range)", f.Name)
			}
		}
	}
	return &Diagnostics{Rows: d.N, Source: source, Features: fs}, nil
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

// validate checks diagnostics read from a file against the model they
// came with, so that a damaged model.json is an error at load time rather
// than a panic or a wrong plot later. Files written before a field existed
// lack it, which is valid.
func (v *Diagnostics) validate(kind Kind, s models.Schema) error {
	if v == nil {
		return nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("validation: "+format, args...)
	}
	if v.Rows < 0 {
		return bad("rows %d", v.Rows)
	}
	k := len(v.Classes)
	if len(v.Confusion) != 0 && len(v.Confusion) != k {
		return bad("confusion has %d rows for %d classes", len(v.Confusion), k)
	}
	for i, row := range v.Confusion {
		if len(row) != k {
			return bad("confusion row %d has %d columns for %d classes", i, len(row), k)
		}
	}
	for _, c := range v.ROC {
		if len(c.FPR) != len(c.TPR) {
			return bad("the ROC curve of %q has %d false and %d true positive rates", c.Class, len(c.FPR), len(c.TPR))
		}
	}
	if len(v.Actual) != len(v.Predicted) {
		return bad("%d actual values but %d predicted", len(v.Actual), len(v.Predicted))
	}
	if len(v.Features) == 0 {
		return nil
	}
	if kind != Pretrained {
		return bad("features are diagnosed for pretrained models, and this one is %s", kind)
	}
	if n := s.NumFeatures(); len(v.Features) != n {
		return bad("features holds %d entries for the %d features of the preprocessing", len(v.Features), n)
	}
	for j, f := range v.Features {
		name, kinds := "", []string{ssl.FeatureContinuous}
		if j < len(s.Continuous) {
			name = s.Continuous[j]
		} else {
			name, kinds = s.Categorical[j-len(s.Continuous)].Name, []string{ssl.FeatureCategorical, ssl.FeatureBinary}
		}
		switch {
		case f.Name != name:
			return bad("feature %d is %q; the preprocessing has %q there", j, f.Name, name)
		case f.Kind != kinds[0] && (len(kinds) == 1 || f.Kind != kinds[1]):
			return bad("feature %q has kind %q", f.Name, f.Kind)
		case f.Rows != v.Rows || f.Corrupted < 0 || f.Corrupted > f.Rows:
			return bad("feature %q: %d rows, %d corrupted, of %d", f.Name, f.Rows, f.Corrupted, v.Rows)
		case !(f.Error >= 0) || !(f.CorruptedError >= 0) || math.IsInf(f.Error, 0) || math.IsInf(f.CorruptedError, 0):
			return bad("feature %q: errors %v and %v", f.Name, f.Error, f.CorruptedError)
		case !(f.MaskAccuracy >= 0 && f.MaskAccuracy <= 1):
			return bad("feature %q: mask accuracy %v", f.Name, f.MaskAccuracy)
		}
	}
	return nil
}
