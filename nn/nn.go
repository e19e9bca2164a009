// Package nn is the engine's layer library: each layer's forward and
// backward pass sit side by side, with hand-written gradients checked
// against finite differences in the tests.
//
// A layer owns the buffers of its outputs and input gradients. They are
// sized on the first call for a batch size and reused afterwards, so that a
// training step in steady state allocates nothing. The matrix returned by
// Forward or Backward stays valid until the next call of the same method.
//
// nn knows nothing of tables: it computes on float32 matrices (and, for
// Embedding, integer codes).
//
// # Token layout
//
// Attention models give each example T tokens of width d (one per
// feature, and the CLS token). A batch of B examples is a (B·T)×d matrix:
// rows b·T … b·T+T−1 are example b's tokens, in order, each row one token.
// Layers that work on each row alone (Linear, LayerNorm, the gated units,
// Dropout) then take tokens as they take examples, and the batch of tokens
// feeds one matrix product; only [MultiHeadAttention], [CLSToken] and
// [LastToken] need T, which they hold. The CLS token, when there is one,
// is each example's last.
package nn

import (
	"fmt"

	"github.com/gotabular/gotabular/tensor"
)

// Param is a named tensor of a model. Trained parameters have a gradient
// of the same shape; state that is saved but not trained (BatchNorm's
// running statistics) has a nil Grad.
type Param struct {
	Name  string
	Value *tensor.Mat
	Grad  *tensor.Mat
}

// NewParam returns a trainable r×c parameter with a zero gradient.
func NewParam(name string, r, c int) *Param {
	return &Param{Name: name, Value: tensor.New(r, c), Grad: tensor.New(r, c)}
}

// NewBuffer returns an r×c untrained state tensor.
func NewBuffer(name string, r, c int) *Param {
	return &Param{Name: name, Value: tensor.New(r, c)}
}

// Trainable reports whether p has a gradient.
func (p *Param) Trainable() bool { return p.Grad != nil }

// Module is a layer or a stack of layers.
type Module interface {
	// Forward computes the output for the batch x (rows are examples) and
	// caches what Backward needs. x must not change until Backward.
	// train selects training behaviour (dropout on, batch statistics).
	Forward(x *tensor.Mat, train bool) *tensor.Mat
	// Backward takes the gradient of the loss with respect to the last
	// output, accumulates parameter gradients into Param.Grad, and returns
	// the gradient with respect to the last input.
	Backward(dy *tensor.Mat) *tensor.Mat
	// Params lists parameters and state, in a fixed order.
	Params() []*Param
}

// Sequential applies its layers in order.
type Sequential struct {
	Layers []Module
}

// Forward implements [Module].
func (s *Sequential) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	for _, l := range s.Layers {
		x = l.Forward(x, train)
	}
	return x
}

// Backward implements [Module]. Where a layer whose output is a ReLU's
// (a [Linear] with Act [tensor.ReLU]) feeds a Linear, the ReLU's backward
// pass runs inside the second layer's input-gradient product
// ([tensor.GemmReLUGrad]) instead of as a pass of its own; the gradients
// are the same, bit for bit. Nested Sequentials take part at their edges.
func (s *Sequential) Backward(dy *tensor.Mat) *tensor.Mat {
	dx, _ := s.backward(dy, false, false)
	return dx
}

// gatedBackward is a module that can take part in that fusion.
type gatedBackward interface {
	Module
	// reluOutput reports whether the output is a ReLU's.
	reluOutput() bool
	// backward is Backward where gated says that dy is already zero
	// wherever the output's ReLU clamped, and gateInput asks for the input
	// gradient to be zeroed wherever the input is not > 0 (the input is a
	// ReLU's output). It reports whether it did so: only then may the
	// caller tell the input's producer that its dy is gated.
	backward(dy *tensor.Mat, gated, gateInput bool) (dx *tensor.Mat, inputGated bool)
}

// asGated returns m as a gatedBackward if it is a *Linear or a
// *Sequential. A type that embeds one has the methods too, but its own
// Forward or Backward may do something else: it runs through Backward like
// any other layer.
func asGated(m Module) (gatedBackward, bool) {
	switch m := m.(type) {
	case *Linear:
		return m, true
	case *Sequential:
		return m, true
	}
	return nil, false
}

// reluOutput implements [gatedBackward]: the last layer's output is the
// stack's.
func (s *Sequential) reluOutput() bool {
	if len(s.Layers) == 0 {
		return false
	}
	g, ok := asGated(s.Layers[len(s.Layers)-1])
	return ok && g.reluOutput()
}

// backward implements [gatedBackward]. A layer is asked to gate its input
// gradient when the layer before it has a ReLU output; the layer before
// is told its dy is gated only when that was done.
func (s *Sequential) backward(dy *tensor.Mat, gated, gateInput bool) (*tensor.Mat, bool) {
	for i := len(s.Layers) - 1; i >= 0; i-- {
		g, ok := asGated(s.Layers[i])
		if !ok {
			dy, gated = s.Layers[i].Backward(dy), false
			continue
		}
		gi := gateInput
		if i > 0 {
			prev, ok := asGated(s.Layers[i-1])
			gi = ok && prev.reluOutput()
		}
		dy, gated = g.backward(dy, gated, gi)
	}
	return dy, gated
}

// Params implements [Module].
func (s *Sequential) Params() []*Param {
	var ps []*Param
	for _, l := range s.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// ZeroGrad clears the gradients of ps.
func ZeroGrad(ps []*Param) {
	for _, p := range ps {
		if p.Grad != nil {
			p.Grad.Zero()
		}
	}
}

// Trainable returns the parameters of ps that have gradients.
func Trainable(ps []*Param) []*Param {
	var out []*Param
	for _, p := range ps {
		if p.Trainable() {
			out = append(out, p)
		}
	}
	return out
}

// Size returns the number of values in ps.
func Size(ps []*Param) int {
	n := 0
	for _, p := range ps {
		n += len(p.Value.Data)
	}
	return n
}

// CopyValues copies the values of src into dst, which must list the same
// names and shapes in the same order.
func CopyValues(dst, src []*Param) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("nn: CopyValues: %d parameters into %d", len(src), len(dst)))
	}
	for i, p := range dst {
		if p.Name != src[i].Name {
			panic(fmt.Sprintf("nn: CopyValues: parameter %d is %q, source has %q", i, p.Name, src[i].Name))
		}
		p.Value.CopyFrom(src[i].Value)
	}
}

// Snapshot returns copies of the values of ps, for restoring the best
// weights after training.
func Snapshot(ps []*Param) []*tensor.Mat {
	out := make([]*tensor.Mat, len(ps))
	for i, p := range ps {
		out[i] = p.Value.Clone()
	}
	return out
}

// SnapshotInto copies the values of ps into snap, reusing its storage.
func SnapshotInto(snap []*tensor.Mat, ps []*Param) {
	for i, p := range ps {
		snap[i].CopyFrom(p.Value)
	}
}

// Restore copies snap back into the values of ps.
func Restore(ps []*Param, snap []*tensor.Mat) {
	for i, p := range ps {
		p.Value.CopyFrom(snap[i])
	}
}
