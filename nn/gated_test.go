package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/tensor"
)

// TestSequentialFuses checks that the fusion happens, which the
// comparisons in nn_test.go cannot see: where a ReLU layer feeds a Linear,
// the ReLU layer never runs its own backward pass (its buffer for it is
// never made), and elsewhere it does.
func TestSequentialFuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	lin := func(in, out int, act tensor.Activation) *Linear {
		l := NewLinear("l", in, out, rng)
		l.Act = act
		return l
	}
	x := tensor.New(8, 5)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	a, b, c := lin(5, 16, tensor.ReLU), lin(16, 16, tensor.ReLU), lin(16, 3, tensor.ReLU)
	bn := NewBatchNorm1d("bn", 16)
	tests := []struct {
		name  string
		m     Module
		fused []*Linear // their ReLU backward pass must be skipped
		own   []*Linear // and these must run it
	}{
		{"chain", &Sequential{Layers: []Module{a, b, c}}, []*Linear{a, b}, []*Linear{c}},
		{"nested", &Sequential{Layers: []Module{&Sequential{Layers: []Module{a}}, &Sequential{Layers: []Module{b, c}}}}, []*Linear{a, b}, []*Linear{c}},
		{"batch norm between", &Sequential{Layers: []Module{a, bn, b}}, nil, []*Linear{a, b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, l := range []*Linear{a, b, c} {
				l.dz = nil
			}
			y := tt.m.Forward(x, true)
			tt.m.Backward(tensor.New(y.Rows, y.Cols))
			for _, l := range tt.fused {
				if l.dz != nil {
					t.Errorf("a fused layer ran its own ReLU backward pass")
				}
			}
			for _, l := range tt.own {
				if l.dz == nil {
					t.Errorf("a layer did not run its own ReLU backward pass")
				}
			}
		})
	}
}
