package tabnet_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/tabnet"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// BenchmarkStep times a training step of the default TabNet at adult's
// width with the default embedding (61 columns), batch 256.
func BenchmarkStep(b *testing.B) {
	const batch, in = 256, 61
	bb, err := tabnet.Config{}.Build("b", models.FlatInput(in), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	x := nntest.Rand(rng, batch, in)
	target := nntest.Rand(rng, batch, bb.OutDim())
	grad := tensor.New(batch, bb.OutDim())
	params := bb.Params()
	for b.Loop() {
		nn.ZeroGrad(params)
		nn.MSE(bb.Forward(x, true), target, grad)
		bb.Backward(grad)
	}
}
