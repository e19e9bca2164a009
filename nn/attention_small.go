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
// the direct loops rather than the batched GEMM. For heads of 4 the loops
// are the faster, if only by about 5% of the whole layer, projections
// included (BenchmarkAttentionHeadsOf4, batch 256); heads up to 8 are taken
// to be as well, while wider ones (24 at width 192 and 8 heads) keep the
// GEMM kernels, which win once a head's products have some width.
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
	// q0 is the first token that asks: T−1 with LastQuery, else 0.
	q0 int
}

// ctxRow is the row of the outputs (and their gradients) of example b's
// token i: one row per example with LastQuery.
func (t *smallAttnTask) ctxRow(b, i int) int {
	if t.q0 > 0 {
		return b
	}
	return b*t.tokens + i
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

// The direct loops keep P, drop(P) and the gradient of the scores in a
// layout of their own, example by example: example b's head hh's T×T block
// starts at (b·h + hh)·T·T, so that an example's values are contiguous.

// forwardExample computes example b's P (into scores), drop(P) (into prob,
// which is scores when there is no dropout) and its heads' outputs (into
// ctx). Heads other than of 4 run over token pairs outermost and over the
// heads inside, so that each pair reads its two tokens' rows once, whole.
func (t *smallAttnTask) forwardExample(b int) {
	m := t.m
	T, d, dh, H := t.tokens, t.d, t.dh, t.heads
	qkv, st := m.qkv.Data, m.qkv.Stride
	n := H * T * T
	S := m.scores.Data[b*n : (b+1)*n]
	q0 := t.q0
	if dh == 4 {
		t.scores4(b, S)
	} else {
		for i := q0; i < T; i++ {
			q := qkv[(b*T+i)*st:][:d]
			for j := range T {
				k := qkv[(b*T+j)*st+d:][:d]
				for hh := range H {
					c := hh * dh
					S[(hh*T+i)*T+j] = dotLoop(q[c:c+dh], k[c:c+dh]) * t.scale
				}
			}
		}
	}
	for hh := range H {
		for i := q0; i < T; i++ {
			r := hh*T + i
			softmaxRow(S[r*T : (r+1)*T])
		}
	}
	P := S
	if t.drop {
		P = m.prob.Data[b*n : (b+1)*n]
		var pcg rand.PCG
		pcg.Seed(t.seed, uint64(b))
		threshold := uint32(min(t.keep*(1<<32), math.MaxUint32))
		var bits uint64
		k := 0
		for hh := range H {
			for r := hh*T + q0; r < (hh+1)*T; r++ {
				for j, v := range S[r*T : (r+1)*T] {
					// Two draws from each 64-bit value.
					if k%2 == 0 {
						bits = pcg.Uint64()
					} else {
						bits >>= 32
					}
					k++
					if uint32(bits) < threshold {
						P[r*T+j] = v * t.dropScaled
					} else {
						P[r*T+j] = 0
					}
				}
			}
		}
	}
	if dh == 4 {
		t.weighted4(b, P)
		return
	}
	for i := q0; i < T; i++ {
		o := m.ctx.Data[t.ctxRow(b, i)*m.ctx.Stride:][:d]
		clear(o)
		for j := range T {
			v := qkv[(b*T+j)*st+2*d:][:d]
			for hh := range H {
				c := hh * dh
				axpyLoop(P[(hh*T+i)*T+j], v[c:c+dh], o[c:c+dh])
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
	T, d, dh, H := t.tokens, t.d, t.dh, t.heads
	qkv, st := m.qkv.Data, m.qkv.Stride
	dq, dst := m.dqkv.Data, m.dqkv.Stride
	n := H * T * T
	S := m.scores.Data[b*n : (b+1)*n]
	P := S
	if t.drop {
		P = m.prob.Data[b*n : (b+1)*n]
	}
	dS := m.dprob.Data[b*n : (b+1)*n]
	for i := range T {
		clear(dq[(b*T+i)*dst:][:3*d])
	}
	q0 := t.q0
	if dh == 4 {
		t.gradP4(b, P, dS)
	} else {
		for i := q0; i < T; i++ {
			do := t.dctx.Data[t.ctxRow(b, i)*t.dctx.Stride:][:d]
			for j := range T {
				v := qkv[(b*T+j)*st+2*d:][:d]
				dv := dq[(b*T+j)*dst+2*d:][:d]
				for hh := range H {
					r, c := (hh*T+i)*T+j, hh*dh
					dS[r] = dotLoop(do[c:c+dh], v[c:c+dh])
					axpyLoop(P[r], do[c:c+dh], dv[c:c+dh])
				}
			}
		}
	}
	for r := range H * T {
		if r%T < q0 {
			continue
		}
		p, pd, g := S[r*T:(r+1)*T], P[r*T:(r+1)*T], dS[r*T:(r+1)*T]
		if t.drop {
			for j, w := range pd {
				if w == 0 {
					g[j] = 0
				} else {
					g[j] *= t.dropScaled
				}
			}
		}
		var dot float32
		for j, x := range g {
			dot += x * p[j]
		}
		for j, x := range g {
			g[j] = p[j] * (x - dot) * t.scale
		}
	}
	if dh == 4 {
		t.gradQK4(b, dS)
		return
	}
	for i := q0; i < T; i++ {
		q := qkv[(b*T+i)*st:][:d]
		dqi := dq[(b*T+i)*dst:][:d]
		for j := range T {
			k := qkv[(b*T+j)*st+d:][:d]
			dk := dq[(b*T+j)*dst+d:][:d]
			for hh := range H {
				s, c := dS[(hh*T+i)*T+j], hh*dh
				axpyLoop(s, k[c:c+dh], dqi[c:c+dh])
				axpyLoop(s, q[c:c+dh], dk[c:c+dh])
			}
		}
	}
}

// dotLoop and axpyLoop are one head's products for widths other than 4.
func dotLoop(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1 float32
	c := 0
	for ; c+2 <= n; c += 2 {
		s0 += a[c] * b[c]
		s1 += a[c+1] * b[c+1]
	}
	if c < n {
		s0 += a[c] * b[c]
	}
	return s0 + s1
}

func axpyLoop(w float32, x, y []float32) {
	y = y[:len(x)]
	for c, v := range x {
		y[c] += w * v
	}
}

// softmaxRow replaces p by its softmax, the largest value subtracted first
// so that no exponential overflows.
func softmaxRow(p []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range p {
		mx = max(mx, v)
	}
	tensor.Exp(p, mx)
	var sum float32
	for _, e := range p {
		sum += e
	}
	inv := 1 / sum
	for j := range p {
		p[j] *= inv
	}
}

// smallForward is Forward by the direct loops; qkv is the projections.
func (m *MultiHeadAttention) smallForward(qkv *tensor.Mat, B, T, d, dh int, scale float32, train bool) {
	t := &m.small
	*t = smallAttnTask{m: m, scale: scale, batch: B, dh: dh, tokens: T, d: d, heads: m.Heads}
	rows := B * T
	if m.LastQuery {
		t.q0, rows = T-1, B
	}
	m.scores = tensor.Ensure(m.scores, m.Heads*B*T, T)
	m.prob = m.scores
	if p := m.AttnDrop.P; train && p > 0 {
		t.drop, t.keep, t.dropScaled = true, 1-p, float32(1/(1-p))
		t.seed = m.AttnDrop.rng.Uint64()
		m.probBuf = tensor.Ensure(m.probBuf, m.Heads*B*T, T)
		m.prob = m.probBuf
	}
	m.dropped = t.drop
	m.ctx = tensor.Ensure(m.ctx, rows, d)
	tensor.Parallel(B, smallGrain(T, d), t)
	t.m = nil
}

// smallBackward is Backward's part between the two projections by the
// direct loops.
func (m *MultiHeadAttention) smallBackward(dctx *tensor.Mat, B, T, d, dh int, scale float32) {
	t := &m.small
	*t = smallAttnTask{m: m, backward: true, scale: scale, dctx: dctx, batch: B, dh: dh, tokens: T, d: d, heads: m.Heads, drop: m.dropped}
	if m.LastQuery {
		t.q0 = T - 1
	}
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

// Heads of 4 (FT-Transformer's default) take loops of their own, each
// keeping one head's 4 values in registers across a row of T tokens: the
// general loops load and store a token's whole output row for every pair.

// scores4 writes example b's scaled scores Q·Kᵀ·scale into S.
func (t *smallAttnTask) scores4(b int, S []float32) {
	T, d, st := t.tokens, t.d, t.m.qkv.Stride
	qkv := t.m.qkv.Data
	for hh := range t.heads {
		c := 4 * hh
		for i := t.q0; i < T; i++ {
			q := qkv[(b*T+i)*st+c:][:4]
			q0, q1, q2, q3 := q[0]*t.scale, q[1]*t.scale, q[2]*t.scale, q[3]*t.scale
			row := S[(hh*T+i)*T:][:T]
			for j := range row {
				k := qkv[(b*T+j)*st+d+c:][:4]
				row[j] = q0*k[0] + q1*k[1] + q2*k[2] + q3*k[3]
			}
		}
	}
}

// weighted4 writes example b's outputs P·V into ctx.
func (t *smallAttnTask) weighted4(b int, P []float32) {
	T, d, st := t.tokens, t.d, t.m.qkv.Stride
	qkv, ctx := t.m.qkv.Data, t.m.ctx
	for hh := range t.heads {
		c := 4 * hh
		for i := t.q0; i < T; i++ {
			var o0, o1, o2, o3 float32
			for j, w := range P[(hh*T+i)*T:][:T] {
				v := qkv[(b*T+j)*st+2*d+c:][:4]
				o0 += w * v[0]
				o1 += w * v[1]
				o2 += w * v[2]
				o3 += w * v[3]
			}
			o := ctx.Data[t.ctxRow(b, i)*ctx.Stride+c:][:4]
			o[0], o[1], o[2], o[3] = o0, o1, o2, o3
		}
	}
}

// gradP4 writes dO·Vᵀ into dS and adds P̃ᵀ·dO to dV, for example b.
func (t *smallAttnTask) gradP4(b int, P, dS []float32) {
	T, d, st := t.tokens, t.d, t.m.qkv.Stride
	qkv, dq, dst := t.m.qkv.Data, t.m.dqkv.Data, t.m.dqkv.Stride
	dctx := t.dctx
	for hh := range t.heads {
		c := 4 * hh
		for i := t.q0; i < T; i++ {
			do := dctx.Data[t.ctxRow(b, i)*dctx.Stride+c:][:4]
			g0, g1, g2, g3 := do[0], do[1], do[2], do[3]
			row := dS[(hh*T+i)*T:][:T]
			for j := range row {
				v := qkv[(b*T+j)*st+2*d+c:][:4]
				row[j] = g0*v[0] + g1*v[1] + g2*v[2] + g3*v[3]
			}
		}
		for j := range T {
			var a0, a1, a2, a3 float32
			for i := t.q0; i < T; i++ {
				w := P[(hh*T+i)*T+j]
				do := dctx.Data[t.ctxRow(b, i)*dctx.Stride+c:][:4]
				a0 += w * do[0]
				a1 += w * do[1]
				a2 += w * do[2]
				a3 += w * do[3]
			}
			dv := dq[(b*T+j)*dst+2*d+c:][:4]
			dv[0], dv[1], dv[2], dv[3] = a0, a1, a2, a3
		}
	}
}

// gradQK4 writes dS·K (the scale is in dS) into dQ and dSᵀ·Q into dK, for
// example b.
func (t *smallAttnTask) gradQK4(b int, dS []float32) {
	T, d, st := t.tokens, t.d, t.m.qkv.Stride
	qkv, dq, dst := t.m.qkv.Data, t.m.dqkv.Data, t.m.dqkv.Stride
	for hh := range t.heads {
		c := 4 * hh
		for i := t.q0; i < T; i++ {
			var a0, a1, a2, a3 float32
			for j, s := range dS[(hh*T+i)*T:][:T] {
				k := qkv[(b*T+j)*st+d+c:][:4]
				a0 += s * k[0]
				a1 += s * k[1]
				a2 += s * k[2]
				a3 += s * k[3]
			}
			o := dq[(b*T+i)*dst+c:][:4]
			o[0], o[1], o[2], o[3] = a0, a1, a2, a3
		}
		for j := range T {
			var a0, a1, a2, a3 float32
			for i := t.q0; i < T; i++ {
				s := dS[(hh*T+i)*T+j]
				q := qkv[(b*T+i)*st+c:][:4]
				a0 += s * q[0]
				a1 += s * q[1]
				a2 += s * q[2]
				a3 += s * q[3]
			}
			o := dq[(b*T+j)*dst+d+c:][:4]
			o[0], o[1], o[2], o[3] = a0, a1, a2, a3
		}
	}
}
