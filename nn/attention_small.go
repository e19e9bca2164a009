package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Attention over a few narrow heads (FT-Transformer's default: 15 tokens,
// heads of 4) is a great many products of 15×4 by 4×15: packing them for
// the GEMM kernels and dispatching them costs many times the arithmetic.
// For such shapes the scores, the softmax, the dropout and the weighted
// sum of each example are computed together by plain loops over the
// example's tokens, which stay in L1, with the examples shared between the
// worker pool's threads.

// smallAttention reports whether heads of width dh over tokens tokens take
// the direct loops rather than the batched GEMM: measured on both paths,
// the loops win while a head's products are this small.
func smallAttention(tokens, dh int) bool { return dh <= 8 && tokens <= 64 }

// smallAttnTask runs the direct loops over a range of examples.
type smallAttnTask struct {
	m        *MultiHeadAttention
	backward bool
	// The dropout of the attention probabilities in this pass: keep is
	// the probability of keeping one, seed the stream its draws start
	// from. Each example draws from its own stream, seeded by the pass's
	// seed and its index, so that the masks do not depend on how the
	// examples were shared between threads.
	drop       bool
	keep       float64
	seed       uint64
	scale      float32
	dctx       *tensor.Mat
	batch, dh  int
	tokens, d  int
	heads      int
	dropScaled float32
}

// Run implements tensor.Task.
func (t *smallAttnTask) Run(lo, hi int) {
	for b := lo; b < hi; b++ {
		if t.backward {
			t.backwardExample(b)
		} else {
			t.forwardExample(b)
		}
	}
}

// forwardExample computes example b's P (into scores), drop(P) (into prob,
// which is scores when there is no dropout) and its heads' outputs (into
// ctx).
func (t *smallAttnTask) forwardExample(b int) {
	m := t.m
	T, d, dh, B := t.tokens, t.d, t.dh, t.batch
	qkv := m.qkv
	var pcg rand.PCG
	if t.drop {
		pcg.Seed(t.seed, uint64(b))
	}
	threshold := uint32(t.keep * (1 << 32))
	if t.keep >= 1 {
		threshold = math.MaxUint32
	}
	for hh := range t.heads {
		qo, ko, vo := hh*dh, d+hh*dh, 2*d+hh*dh
		for i := range T {
			q := qkv.Row(b*T + i)[qo : qo+dh]
			r := (hh*B+b)*T + i
			p := m.scores.Row(r)[:T]
			mx := float32(math.Inf(-1))
			for j := range T {
				k := qkv.Row(b*T + j)[ko : ko+dh]
				var s float32
				for c, qc := range q {
					s += qc * k[c]
				}
				s *= t.scale
				p[j] = s
				mx = max(mx, s)
			}
			var sum float32
			for j, s := range p {
				e := float32(math.Exp(float64(s - mx)))
				p[j] = e
				sum += e
			}
			inv := 1 / sum
			for j := range p {
				p[j] *= inv
			}
			pd := p
			if t.drop {
				pd = m.prob.Row(r)[:T]
				var bits uint64
				for j, v := range p {
					// Two draws from each 64-bit value.
					if j%2 == 0 {
						bits = pcg.Uint64()
					} else {
						bits >>= 32
					}
					if uint32(bits) < threshold {
						pd[j] = v * t.dropScaled
					} else {
						pd[j] = 0
					}
				}
			}
			o := m.ctx.Row(b*T + i)[qo : qo+dh]
			clear(o)
			for j, w := range pd {
				if w == 0 {
					continue
				}
				v := qkv.Row(b*T + j)[vo : vo+dh]
				for c := range o {
					o[c] += w * v[c]
				}
			}
		}
	}
}

// backwardExample computes example b's gradients of Q, K and V (into
// dqkv) from the gradient of its heads' outputs (dctx). With P̃ = drop(P),
// per head: dP̃ = dO·Vᵀ, dV = P̃ᵀ·dO; dP = dP̃ where P̃ kept P (scaled as
// it was), 0 where it dropped it; dS = P ⊙ (dP − rowsum(dP ⊙ P));
// dQ = dS·K·scale, dK = dSᵀ·Q·scale. A dropped entry is told by P̃ = 0:
// where P itself is 0, dS is 0 whatever dP is, so the test is exact.
func (t *smallAttnTask) backwardExample(b int) {
	m := t.m
	T, d, dh, B := t.tokens, t.d, t.dh, t.batch
	qkv, dctx, dqkv := m.qkv, t.dctx, m.dqkv
	for i := range T {
		clear(dqkv.Row(b*T + i)[:3*d])
	}
	for hh := range t.heads {
		qo, ko, vo := hh*dh, d+hh*dh, 2*d+hh*dh
		for i := range T {
			r := (hh*B+b)*T + i
			p := m.scores.Row(r)[:T]
			pd := p
			if t.drop {
				pd = m.prob.Row(r)[:T]
			}
			do := dctx.Row(b*T + i)[qo : qo+dh]
			ds := m.dprob.Row(r)[:T]
			var dot float32
			for j := range T {
				v := qkv.Row(b*T + j)[vo : vo+dh]
				dv := dqkv.Row(b*T + j)[vo : vo+dh]
				var g float32
				w := pd[j]
				for c, x := range do {
					g += x * v[c]
					dv[c] += w * x
				}
				if t.drop {
					if w == 0 {
						g = 0
					} else {
						g *= t.dropScaled
					}
				}
				ds[j] = g
				dot += g * p[j]
			}
			q := qkv.Row(b*T + i)[qo : qo+dh]
			dq := dqkv.Row(b*T + i)[qo : qo+dh]
			for j, g := range ds {
				s := p[j] * (g - dot) * t.scale
				if s == 0 {
					continue
				}
				k := qkv.Row(b*T + j)[ko : ko+dh]
				dk := dqkv.Row(b*T + j)[ko : ko+dh]
				for c := range dq {
					dq[c] += s * k[c]
					dk[c] += s * q[c]
				}
			}
		}
	}
}

// smallForward is Forward by the direct loops; qkv is the projections.
func (m *MultiHeadAttention) smallForward(qkv *tensor.Mat, B, T, d, dh int, scale float32, train bool) {
	t := &m.small
	*t = smallAttnTask{m: m, scale: scale, batch: B, dh: dh, tokens: T, d: d, heads: m.Heads}
	m.scores = tensor.Ensure(m.scores, m.Heads*B*T, T)
	m.prob = m.scores
	if p := m.AttnDrop.P; train && p > 0 {
		t.drop, t.keep, t.dropScaled = true, 1-p, float32(1/(1-p))
		t.seed = m.AttnDrop.rng.Uint64()
		m.probBuf = tensor.Ensure(m.probBuf, m.Heads*B*T, T)
		m.prob = m.probBuf
	}
	m.dropped = t.drop
	m.ctx = tensor.Ensure(m.ctx, B*T, d)
	tensor.Parallel(B, smallGrain(T, d), t)
	t.m = nil
}

// smallBackward is Backward's part between the two projections by the
// direct loops.
func (m *MultiHeadAttention) smallBackward(dctx *tensor.Mat, B, T, d, dh int, scale float32) {
	t := &m.small
	*t = smallAttnTask{m: m, backward: true, scale: scale, dctx: dctx, batch: B, dh: dh, tokens: T, d: d, heads: m.Heads, drop: m.dropped}
	if m.dropped {
		t.dropScaled = float32(1 / (1 - m.AttnDrop.P))
	}
	m.dprob = tensor.Ensure(m.dprob, m.Heads*B*T, T)
	m.dqkv = tensor.Ensure(m.dqkv, B*T, 3*d)
	tensor.Parallel(B, smallGrain(T, d), t)
	t.m, t.dctx = nil, nil
}

// smallGrain is the least number of examples a thread takes: about 16k
// multiply-adds, so that a small batch is not split for nothing.
func smallGrain(T, d int) int { return max(1, (1<<14)/max(1, 2*T*T*d)) }
