package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// FeatureTokenizer gives each of n numerical features its own token of
// width d, x_j·W_j + B_j, as FT-Transformer's feature tokenizer does
// (Gorishniy et al., 2021): (B×n) → (B×(n·d)), which is the (B·n)×d token
// layout (see the package comment). Each feature has its own weight and
// bias rows, so one value becomes a direction in the token space that
// attention can compare with the other features'.
type FeatureTokenizer struct {
	// W and B are n×d: feature j's weight and bias are row j.
	W, B *Param
	// SkipInputGrad saves computing dx when the input is data.
	SkipInputGrad bool

	x, y, dx *tensor.Mat
}

// NewFeatureTokenizer returns a tokenizer of n features into tokens of
// width d, weights and biases U(±1/√d) as FT-Transformer initialises them.
func NewFeatureTokenizer(name string, n, d int, rng *rand.Rand) *FeatureTokenizer {
	if n < 1 || d < 1 {
		panic(fmt.Sprintf("nn: feature tokenizer of %d features into width %d", n, d))
	}
	t := &FeatureTokenizer{W: NewParam(name+".weight", n, d), B: NewParam(name+".bias", n, d)}
	bound := 1 / math.Sqrt(float64(d))
	uniform(t.W.Value.Data, bound, rng)
	uniform(t.B.Value.Data, bound, rng)
	return t
}

// Forward implements [Module].
func (t *FeatureTokenizer) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	n, d := t.W.Value.Rows, t.W.Value.Cols
	if x.Cols != n {
		panic(fmt.Sprintf("nn: feature tokenizer of %d features given %d columns", n, x.Cols))
	}
	t.x = x
	t.y = tensor.Ensure(t.y, x.Rows, n*d)
	w, b := t.W.Value.Data, t.B.Value.Data
	for i := range x.Rows {
		xr, yr := x.Row(i), t.y.Row(i)
		for j, v := range xr {
			wj, bj, yj := w[j*d:(j+1)*d], b[j*d:(j+1)*d], yr[j*d:(j+1)*d]
			for k := range yj {
				yj[k] = v*wj[k] + bj[k]
			}
		}
	}
	return t.y
}

// Backward implements [Module]: dW_j += Σ_rows x_j·dy_j, dB_j += Σ_rows
// dy_j and dx_j = dy_j·W_jᵀ, with dy_j feature j's d columns.
func (t *FeatureTokenizer) Backward(dy *tensor.Mat) *tensor.Mat {
	n, d := t.W.Value.Rows, t.W.Value.Cols
	w, gw, gb := t.W.Value.Data, t.W.Grad.Data, t.B.Grad.Data
	if !t.SkipInputGrad {
		t.dx = tensor.Ensure(t.dx, dy.Rows, n)
	}
	for i := range dy.Rows {
		xr, gr := t.x.Row(i), dy.Row(i)
		for j, v := range xr {
			g := gr[j*d : (j+1)*d]
			tensor.Axpy(v, g, gw[j*d:(j+1)*d])
			tensor.Axpy(1, g, gb[j*d:(j+1)*d])
			if !t.SkipInputGrad {
				var s float32
				for k, gk := range g {
					s += gk * w[j*d+k]
				}
				t.dx.Row(i)[j] = s
			}
		}
	}
	if t.SkipInputGrad {
		return nil
	}
	return t.dx
}

// Params implements [Module].
func (t *FeatureTokenizer) Params() []*Param { return []*Param{t.W, t.B} }
