package nn_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
)

// BenchmarkBatchNorm1d is a training step's forward and backward pass of a
// batch-norm layer: the batch statistics, the normalisation and the
// gradients.
func BenchmarkBatchNorm1d(b *testing.B) {
	for _, s := range [][2]int{{256, 512}, {1024, 512}, {1024, 16}} {
		b.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			bn := nn.NewBatchNorm1d("bn", s[1])
			x, dy := nntest.Rand(rng, s[0], s[1]), nntest.Rand(rng, s[0], s[1])
			for b.Loop() {
				bn.Forward(x, true)
				bn.Backward(dy)
			}
			b.SetBytes(int64(4 * s[0] * s[1]))
		})
	}
}
