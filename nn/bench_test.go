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

// FT-Transformer's default shapes: 15 tokens (14 features and the CLS
// token) of width 192, 8 heads, a ReGLU feed-forward network of 4/3·d
// hidden units, attention dropout 0.2, feed-forward dropout 0.1, no
// residual dropout.
const (
	fttTokens = 15
	fttWidth  = 192
	fttHeads  = 8
	fttHidden = fttWidth * 4 / 3
)

// fttBlock returns one pre-norm block: LN → attention → residual, LN →
// ReGLU feed-forward → residual. The first block has no norm before its
// attention (its input is the embeddings).
func fttBlock(name string, first bool, rng *rand.Rand) []nn.Module {
	var norm nn.Module
	if !first {
		norm = nn.NewLayerNorm(name+".attention_normalization", fttWidth)
	}
	return []nn.Module{
		&nn.Residual{Norm: norm, F: nn.NewMultiHeadAttention(name+".attention", fttWidth, fttHeads, fttTokens, 0.2, rng)},
		&nn.Residual{Norm: nn.NewLayerNorm(name+".ffn_normalization", fttWidth), F: &nn.Sequential{Layers: []nn.Module{
			nn.NewLinear(name+".ffn.linear_first", fttWidth, 2*fttHidden, rng), nn.NewReGLU(),
			nn.NewDropout(0.1, rng), nn.NewLinear(name+".ffn.linear_second", fttHidden, fttWidth, rng),
		}}},
	}
}

// BenchmarkAttentionBlock is a training step (forward and backward) of one
// pre-norm attention block, LN → attention → residual, at batch 256.
func BenchmarkAttentionBlock(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 256
	m := &nn.Residual{Norm: nn.NewLayerNorm("ln", fttWidth),
		F: nn.NewMultiHeadAttention("mha", fttWidth, fttHeads, fttTokens, 0.2, rng)}
	x, dy := nntest.Rand(rng, batch*fttTokens, fttWidth), nntest.Rand(rng, batch*fttTokens, fttWidth)
	params := m.Params()
	for b.Loop() {
		nn.ZeroGrad(params)
		m.Forward(x, true)
		m.Backward(dy)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// BenchmarkFTTransformerBlocks is the stack of 3 blocks of FT-Transformer
// (without the feature tokenizer and the head): a training step at batch
// 256, and inference at batch 4096.
func BenchmarkFTTransformerBlocks(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var layers []nn.Module
	for i := range 3 {
		layers = append(layers, fttBlock(fmt.Sprintf("blocks.%d", i), i == 0, rng)...)
	}
	m := &nn.Sequential{Layers: layers}
	params := m.Params()
	b.Run("train_b256", func(b *testing.B) {
		const batch = 256
		x, dy := nntest.Rand(rng, batch*fttTokens, fttWidth), nntest.Rand(rng, batch*fttTokens, fttWidth)
		for b.Loop() {
			nn.ZeroGrad(params)
			m.Forward(x, true)
			m.Backward(dy)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	})
	b.Run("infer_b4096", func(b *testing.B) {
		const batch = 4096
		x := nntest.Rand(rng, batch*fttTokens, fttWidth)
		for b.Loop() {
			m.Forward(x, false)
		}
		b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
