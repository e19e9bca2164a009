package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// The direct loops of narrow heads and the batched GEMM compute the same
// outputs and gradients, in training without dropout and in evaluation,
// for FT-Transformer's default shape (15 tokens, heads of 4) and an odd
// one.
func TestAttentionDirectMatchesGEMM(t *testing.T) {
	for _, c := range []struct{ B, T, d, h int }{{9, 15, 32, 8}, {3, 7, 10, 5}, {40, 4, 16, 2}} {
		if !nn.SmallAttention(c.T, c.d/c.h) {
			t.Fatalf("%+v: not the direct path", c)
		}
		mk := func() *nn.MultiHeadAttention {
			m := nn.NewMultiHeadAttention("mha", c.d, c.h, c.T, 0, rand.New(rand.NewPCG(1, 2)))
			for _, b := range []*nn.Param{m.QKV.B, m.Out.B} {
				for j := range b.Value.Data {
					b.Value.Data[j] = float32(j%7) * 0.05
				}
			}
			return m
		}
		direct, gemm := mk(), mk()
		nn.UseAttentionGEMM(gemm)
		rng := rand.New(rand.NewPCG(3, 4))
		x := nntest.Rand(rng, c.B*c.T, c.d)
		dy := nntest.Rand(rng, c.B*c.T, c.d)
		for _, train := range []bool{true, false} {
			y1, y2 := direct.Forward(x, train), gemm.Forward(x, train)
			close(t, "y", y1, y2)
			if !train {
				continue
			}
			close(t, "dx", direct.Backward(dy), gemm.Backward(dy))
			for i, p := range direct.Params() {
				close(t, p.Name, p.Grad, gemm.Params()[i].Grad)
			}
		}
	}
}

func close(t *testing.T, what string, a, b *tensor.Mat) {
	t.Helper()
	for i := range a.Rows {
		for j := range a.Cols {
			u, v := float64(a.At(i, j)), float64(b.At(i, j))
			if math.Abs(u-v) > 1e-5*(1+math.Abs(v)) {
				t.Fatalf("%s[%d,%d] = %v by the direct loops, %v by GEMM", what, i, j, u, v)
			}
		}
	}
}

// With dropout the direct loops drop about the share asked for, scale the
// survivors, and give the same masks for the same seed; the gradients pass
// only through the kept probabilities (checked by finite differences in
// TestEngineGradients).
func TestAttentionDirectDropout(t *testing.T) {
	const B, T, d, h, p = 64, 15, 32, 8, 0.2
	run := func() (*tensor.Mat, *nn.MultiHeadAttention) {
		m := nn.NewMultiHeadAttention("mha", d, h, T, p, rand.New(rand.NewPCG(5, 6)))
		x := nntest.Rand(rand.New(rand.NewPCG(7, 8)), B*T, d)
		return m.Forward(x, true).Clone(), m
	}
	a, m := run()
	b, _ := run()
	close(t, "y", a, b)
	probs, dropped := nn.AttentionProbs(m)
	var zeros int
	for i, v := range dropped.Data[:h*B*T*T] {
		switch want := probs.Data[i] / (1 - p); {
		case v == 0:
			zeros++
		case math.Abs(float64(v-want)) > 1e-6:
			t.Fatalf("kept probability %v, want %v", v, want)
		}
	}
	if share := float64(zeros) / float64(h*B*T*T); math.Abs(share-p) > 0.01 {
		t.Errorf("dropped %.3f of the probabilities, want %.2f", share, p)
	}
}

// With LastQuery, each path gives the last token's rows of the full
// attention, and the gradients of full attention given a gradient on those
// rows alone.
func TestAttentionLastQuery(t *testing.T) {
	const B, T, d, h = 6, 15, 32, 8
	for _, gemm := range []bool{false, true} {
		mk := func(last bool) *nn.MultiHeadAttention {
			m := nn.NewMultiHeadAttention("mha", d, h, T, 0, rand.New(rand.NewPCG(1, 2)))
			m.LastQuery = last
			if gemm {
				nn.UseAttentionGEMM(m)
			}
			return m
		}
		full, last := mk(false), mk(true)
		rng := rand.New(rand.NewPCG(3, 4))
		x := nntest.Rand(rng, B*T, d)
		dyLast := nntest.Rand(rng, B, d)
		dyFull := tensor.New(B*T, d)
		for b := range B {
			copy(dyFull.Row(b*T+T-1), dyLast.Row(b))
		}
		yf, yl := full.Forward(x, true), last.Forward(x, true)
		for b := range B {
			for j := range d {
				if u, v := yl.At(b, j), yf.At(b*T+T-1, j); math.Abs(float64(u-v)) > 1e-5 {
					t.Fatalf("gemm %v: y[%d,%d] = %v, want %v", gemm, b, j, u, v)
				}
			}
		}
		close(t, "dx", last.Backward(dyLast), full.Backward(dyFull))
		for i, p := range last.Params() {
			close(t, p.Name, p.Grad, full.Params()[i].Grad)
		}
	}
}

// The default FT-Transformer's attention (batch 256, 15 tokens, width 32,
// heads of 4), forward and backward, on each path.
func BenchmarkAttentionHeadsOf4(b *testing.B) {
	for _, gemm := range []bool{false, true} {
		name := "direct"
		if gemm {
			name = "gemm"
		}
		b.Run(name, func(b *testing.B) {
			m := nn.NewMultiHeadAttention("mha", 32, 8, 15, 0.1, rand.New(rand.NewPCG(1, 2)))
			if gemm {
				nn.UseAttentionGEMM(m)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			x, dy := nntest.Rand(rng, 256*15, 32), nntest.Rand(rng, 256*15, 32)
			for range b.N {
				m.Forward(x, true)
				m.Backward(dy)
			}
		})
	}
}
