package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Linear is y = act(x·W + b), with act the identity or ReLU. W is stored
// In×Out, so the forward pass is one matrix product without transposes
// and the weight gradient is xᵀ·dy. A ReLU is applied in the product's
// write-back, while the output is still in registers, which saves a pass
// over it; models fuse "Linear then ReLU" this way.
type Linear struct {
	W, B *Param
	// Act is tensor.Identity (the default) or tensor.ReLU.
	Act tensor.Activation
	// SkipInputGrad saves the dx product when the input is data, not the
	// output of another layer (the first layer of a network).
	SkipInputGrad bool

	x, y, dz, dx *tensor.Mat
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

// Forward implements [Module]: y (B×Out) = act(x (B×In) · W + b).
func (l *Linear) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	l.x = x
	l.y = tensor.Ensure(l.y, x.Rows, l.Out())
	tensor.GemmBias(false, false, x, l.W.Value, l.B.Value.Data, l.Act, l.y)
	return l.y
}

// Backward implements [Module]: with dz = dy masked by the ReLU (or dy),
// dW += xᵀ·dz, db += Σ_rows dz, dx = dz·Wᵀ.
func (l *Linear) Backward(dy *tensor.Mat) *tensor.Mat {
	dx, _ := l.backward(dy, false, false)
	return dx
}

// reluOutput implements [gatedBackward].
func (l *Linear) reluOutput() bool { return l.Act == tensor.ReLU }

// backward implements [gatedBackward]. With gated, dy is already zero
// where the ReLU clamped (the next layer applied its backward pass), so dz
// is dy. With gateInput, x is the output of a ReLU and dx is computed with
// that ReLU's backward pass in the product's write-back.
func (l *Linear) backward(dy *tensor.Mat, gated, gateInput bool) (*tensor.Mat, bool) {
	dz := dy
	if l.Act == tensor.ReLU && !gated {
		l.dz = tensor.Ensure(l.dz, dy.Rows, dy.Cols)
		tensor.ReLUBackward(dy, l.y, l.dz)
		dz = l.dz
	}
	tensor.Gemm(true, false, 1, l.x, dz, 1, l.W.Grad)
	tensor.AddColumnSums(l.B.Grad.Data, dz)
	if l.SkipInputGrad {
		return nil, false
	}
	l.dx = tensor.Ensure(l.dx, dy.Rows, l.In())
	if gateInput {
		tensor.GemmReLUGrad(false, true, dz, l.W.Value, l.x, l.dx)
	} else {
		tensor.Gemm(false, true, 1, dz, l.W.Value, 0, l.dx)
	}
	return l.dx, gateInput
}

// Params implements [Module].
func (l *Linear) Params() []*Param { return []*Param{l.W, l.B} }
