package pretext

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// Weights weigh the parts of a reconstruction loss.
type Weights struct {
	// Binary, Categorical and Continuous weigh the mean losses of the
	// features of each type.
	Binary, Categorical, Continuous float64
	// Mask weighs the mask-prediction loss.
	Mask float64
}

// ShareWeights weighs each feature type by scale times its share of the
// features, n_type/n_features (what PyTorch Tabular meant before its
// precedence bug), and the mask loss by mask. With scale 1 the weighted
// reconstruction loss is the mean over features of their losses.
func ShareWeights(s models.Schema, scale, mask float64) Weights {
	w := Weights{Mask: mask}
	nf := float64(s.NumFeatures())
	if nf == 0 {
		return w
	}
	bin, multi := 0, 0
	for _, f := range s.Categorical {
		if isBinary(f) {
			bin++
		} else {
			multi++
		}
	}
	w.Binary = scale * float64(bin) / nf
	w.Categorical = scale * float64(multi) / nf
	w.Continuous = scale * float64(len(s.Continuous)) / nf
	return w
}

// isBinary reports whether a categorical has exactly two known levels
// (besides the unknown code), so that one logit reconstructs it.
func isBinary(f models.Categorical) bool { return f.Cardinality == 3 }

// Reconstruction is the pair of tasks the denoising methods learn from a
// representation h: restore the clean value of every feature, and tell
// which features were corrupted. A categorical is restored with
// cross-entropy over its categories (one with exactly two levels with
// binary cross-entropy on one logit), a continuous value with squared
// error, so no target is a learned embedding that could collapse; the mask
// is predicted with binary cross-entropy. Each task is one linear layer on
// h.
type Reconstruction struct {
	// A nil head has no features of its type.
	cont, cat, bin, mask *nn.Linear
	multi                []catTarget // categoricals restored with cross-entropy
	binary               []int       // categoricals with two levels
	w                    Weights
	names, kinds         []string // of the features, for DiagnoseFeatures

	params []*nn.Param

	// Per-batch buffers, sized on use.
	contOut, catOut, binOut, maskOut *tensor.Mat
	gCont, gCat, gBin, gMask, dh     *tensor.Mat
	binTarget, binWeight             *tensor.Mat
	labels                           []int32
	zv, gv                           tensor.Mat // scratch views, so that steps do not allocate
	parts, metrics                   []ssl.Value
}

type catTarget struct {
	feature, offset, card int
}

// NewReconstruction builds the heads reading in columns for the features
// of s. The parameters are named reconstruction.continuous,
// reconstruction.categorical, reconstruction.binary and
// mask_reconstruction, as the DAE has always saved them.
func NewReconstruction(in int, s models.Schema, w Weights, rng *rand.Rand) *Reconstruction {
	r := &Reconstruction{w: w}
	if n := len(s.Continuous); n > 0 {
		r.cont = nn.NewLinear("reconstruction.continuous", in, n, rng)
	}
	for _, n := range s.Continuous {
		r.names, r.kinds = append(r.names, n), append(r.kinds, ssl.FeatureContinuous)
	}
	width := 0
	for i, f := range s.Categorical {
		r.names = append(r.names, f.Name)
		if isBinary(f) {
			r.kinds = append(r.kinds, ssl.FeatureBinary)
			r.binary = append(r.binary, i)
			continue
		}
		r.kinds = append(r.kinds, ssl.FeatureCategorical)
		r.multi = append(r.multi, catTarget{feature: i, offset: width, card: f.Cardinality})
		width += f.Cardinality
	}
	if width > 0 {
		r.cat = nn.NewLinear("reconstruction.categorical", in, width, rng)
	}
	if len(r.binary) > 0 {
		r.bin = nn.NewLinear("reconstruction.binary", in, len(r.binary), rng)
	}
	r.mask = nn.NewLinear("mask_reconstruction", in, s.NumFeatures(), rng)
	for _, l := range []*nn.Linear{r.cont, r.cat, r.bin, r.mask} {
		if l != nil {
			r.params = append(r.params, l.Params()...)
		}
	}
	r.parts = make([]ssl.Value, 0, 4)
	r.metrics = make([]ssl.Value, 0, 3)
	return r
}

// ReconstructionSize is the number of parameter values NewReconstruction
// allocates.
func ReconstructionSize(in int, s models.Schema) int {
	linear := func(out int) int { return in*out + out }
	n := linear(s.NumFeatures())
	if c := len(s.Continuous); c > 0 {
		n += linear(c)
	}
	width, bin := 0, 0
	for _, f := range s.Categorical {
		if isBinary(f) {
			bin++
		} else {
			width += f.Cardinality
		}
	}
	if width > 0 {
		n += linear(width)
	}
	if bin > 0 {
		n += linear(bin)
	}
	return n
}

// Params lists the heads' parameters.
func (r *Reconstruction) Params() []*nn.Param { return r.params }

// Forward computes every head's output for the representation h.
func (r *Reconstruction) Forward(h *tensor.Mat, train bool) {
	if r.cont != nil {
		r.contOut = r.cont.Forward(h, train)
	}
	if r.cat != nil {
		r.catOut = r.cat.Forward(h, train)
	}
	if r.bin != nil {
		r.binOut = r.bin.Forward(h, train)
	}
	r.maskOut = r.mask.Forward(h, train)
}

// Loss returns the weighted sum of the mean loss of each feature type and
// of the mask loss, for the clean batch and the corruption mask of the
// last Forward. With grad set it prepares the gradients of Backward.
func (r *Reconstruction) Loss(cont *tensor.Mat, cat *tensor.IntMat, mask *tensor.Mat, grad bool) float64 {
	rows := mask.Rows
	r.parts = r.parts[:0]
	g := func(buf **tensor.Mat, out *tensor.Mat) *tensor.Mat {
		if !grad {
			return nil
		}
		*buf = tensor.Ensure(*buf, out.Rows, out.Cols)
		return *buf
	}
	if r.cont != nil {
		gc := g(&r.gCont, r.contOut)
		r.parts = append(r.parts, ssl.Value{Name: "continuous_loss", Value: r.w.Continuous * nn.MSE(r.contOut, cont, gc)})
		scale(gc, r.w.Continuous)
	}
	if r.cat != nil {
		gc := g(&r.gCat, r.catOut)
		if cap(r.labels) < rows {
			r.labels = make([]int32, rows)
		}
		labels := r.labels[:rows]
		var sum float64
		for _, t := range r.multi {
			for i := range rows {
				labels[i] = cat.At(i, t.feature)
			}
			var gv *tensor.Mat
			if gc != nil {
				gv = r.gv.SetColView(gc, t.offset, t.offset+t.card)
			}
			sum += nn.CrossEntropy(r.zv.SetColView(r.catOut, t.offset, t.offset+t.card), labels, gv)
		}
		n := float64(len(r.multi))
		r.parts = append(r.parts, ssl.Value{Name: "categorical_loss", Value: r.w.Categorical * sum / n})
		scale(gc, r.w.Categorical/n)
	}
	if r.bin != nil {
		gb := g(&r.gBin, r.binOut)
		r.binTarget = tensor.Ensure(r.binTarget, rows, len(r.binary))
		r.binWeight = tensor.Ensure(r.binWeight, rows, len(r.binary))
		for i := range rows {
			t, w := r.binTarget.Row(i), r.binWeight.Row(i)
			for k, f := range r.binary {
				c := cat.At(i, f)
				t[k] = float32(max(c-1, 0)) // level 2 is the positive one
				w[k] = float32(min(c, 1))   // unknown or missing: left out
			}
		}
		r.parts = append(r.parts, ssl.Value{Name: "binary_loss", Value: r.w.Binary * nn.BCEWithLogits(r.binOut, r.binTarget, r.binWeight, gb)})
		scale(gb, r.w.Binary)
	}
	gm := g(&r.gMask, r.maskOut)
	r.parts = append(r.parts, ssl.Value{Name: "mask_loss", Value: r.w.Mask * nn.BCEWithLogits(r.maskOut, mask, nil, gm)})
	scale(gm, r.w.Mask)
	total := 0.0
	for _, p := range r.parts {
		total += p.Value
	}
	return total
}

// Parts returns the weighted parts of the last Loss by name.
func (r *Reconstruction) Parts() []ssl.Value { return r.parts }

// Backward propagates the gradients of the last Loss(true) into the
// heads' parameters and returns the gradient with respect to h.
func (r *Reconstruction) Backward() *tensor.Mat {
	r.dh = tensor.Ensure(r.dh, r.maskOut.Rows, r.mask.In())
	r.dh.CopyFrom(r.mask.Backward(r.gMask))
	for _, p := range []struct {
		l *nn.Linear
		g *tensor.Mat
	}{{r.cont, r.gCont}, {r.cat, r.gCat}, {r.bin, r.gBin}} {
		if p.l != nil {
			dx := p.l.Backward(p.g)
			for i := range r.dh.Rows {
				tensor.Axpy(1, dx.Row(i), r.dh.Row(i))
			}
		}
	}
	return r.dh
}

// Metrics returns diagnostics of the last Forward against the clean batch
// and the mask: the share of mask bits predicted right, the share of
// categorical values restored right, and the RMSE of the standardised
// continuous values.
func (r *Reconstruction) Metrics(cont *tensor.Mat, cat *tensor.IntMat, mask *tensor.Mat) []ssl.Value {
	rows := r.maskOut.Rows
	right, n := 0, 0
	for i := range rows {
		o, t := r.maskOut.Row(i), mask.Row(i)
		for j, v := range o {
			if (v > 0) == (t[j] > 0) {
				right++
			}
			n++
		}
	}
	r.metrics = append(r.metrics[:0], ssl.Value{Name: "mask_accuracy", Value: ratio(right, n)})
	right, n = 0, 0
	for i := range rows {
		for _, t := range r.multi {
			z := r.catOut.Row(i)[t.offset : t.offset+t.card]
			best := 0
			for k, v := range z {
				if v > z[best] {
					best = k
				}
			}
			if int32(best) == cat.At(i, t.feature) {
				right++
			}
			n++
		}
		for k, f := range r.binary {
			c := cat.At(i, f)
			if c == 0 {
				continue
			}
			if (r.binOut.At(i, k) > 0) == (c == 2) {
				right++
			}
			n++
		}
	}
	if n > 0 {
		r.metrics = append(r.metrics, ssl.Value{Name: "categorical_accuracy", Value: ratio(right, n)})
	}
	if r.cont != nil {
		r.metrics = append(r.metrics, ssl.Value{Name: "continuous_rmse", Value: math.Sqrt(nn.MSE(r.contOut, cont, nil))})
	}
	return r.metrics
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func scale(m *tensor.Mat, s float64) {
	if m == nil || s == 1 {
		return
	}
	for i := range m.Rows {
		tensor.Scale(float32(s), m.Row(i))
	}
}
