package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Linear is y = x·W + b. W is stored In×Out, so the forward pass is one
// Gemm without transposes and the weight gradient is xᵀ·dy.
type Linear struct {
	W, B *Param
	// SkipInputGrad saves the dx product when the input is data, not the
	// output of another layer (the first layer of a network).
	SkipInputGrad bool

	x, y, dx *tensor.Mat
}

// NewLinear returns a layer with PyTorch's default initialisation,
// U(±1/√in) for weights and bias; models re-initialise the weights with
// [KaimingNormal] or [XavierNormal] as configured.
func NewLinear(name string, in, out int, rng *rand.Rand) *Linear {
	l := &Linear{W: NewParam(name+".weight", in, out), B: NewParam(name+".bias", 1, out)}
	bound := 1 / math.Sqrt(float64(in))
	uniform(l.W.Value.Data, bound, rng)
	uniform(l.B.Value.Data, bound, rng)
	return l
}

// In returns the input width.
func (l *Linear) In() int { return l.W.Value.Rows }

// Out returns the output width.
func (l *Linear) Out() int { return l.W.Value.Cols }

// Forward implements [Module]: y (B×Out) = x (B×In) · W + b.
func (l *Linear) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Rows, l.Out())
	tensor.Gemm(false, false, 1, x, l.W.Value, 0, l.y)
	addRowVector(l.y, l.B.Value.Data)
	return l.y
}

// Backward implements [Module]: dW += xᵀ·dy, db += Σ_rows dy, dx = dy·Wᵀ.
func (l *Linear) Backward(dy *tensor.Mat) *tensor.Mat {
	tensor.Gemm(true, false, 1, l.x, dy, 1, l.W.Grad)
	sumRowsInto(l.B.Grad.Data, dy)
	if l.SkipInputGrad {
		return nil
	}
	l.dx = tensor.Ensure(l.dx, dy.Rows, l.In())
	tensor.Gemm(false, true, 1, dy, l.W.Value, 0, l.dx)
	return l.dx
}

// Params implements [Module].
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }

// addRowVector adds v to every row of m.
func addRowVector(m *tensor.Mat, v []float32) {
	for i := range m.Rows {
		r := m.Row(i)
		for j, b := range v[:len(r)] {
			r[j] += b
		}
	}
}

// sumRowsInto adds the column sums of m to dst.
func sumRowsInto(dst []float32, m *tensor.Mat) {
	for i := range m.Rows {
		r := m.Row(i)
		for j, v := range r {
			dst[j] += v
		}
	}
}
