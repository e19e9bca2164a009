package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// MultiHeadAttention is multi-head self-attention over the token layout
// (see the package comment): every token of an example attends to every
// token of the same example, the CLS token included.
//
// The input x ((B·T)×d) is projected to queries, keys and values by one
// product with a d×3d weight (QKV: the three d×d projections side by
// side), each split into Heads heads of dh = d/Heads columns. Per example
// and head, with Q, K, V the head's T×dh blocks,
//
//	S = Q·Kᵀ/√dh,  P = softmax(S) (row-wise),  O = drop(P)·V,
//
// and the heads' O, side by side, are projected back by Out (d×d). The
// dropout is on the attention probabilities (AttnDrop); the residual
// dropout belongs to the [Residual] block around the attention.
//
// The products of the heads are strided batches over the examples
// ([tensor.GemmStridedBatched]), one call per head and product, reading
// the heads where the projections wrote them: no copy into a per-head
// layout.
type MultiHeadAttention struct {
	QKV, Out *Linear
	Heads    int
	// Tokens is T, the number of tokens of each example.
	Tokens int
	// LastQuery makes only each example's last token ask (the CLS
	// token's): keys and values come from every token, the output is B×d,
	// one row per example, for a [LastResidual].
	LastQuery bool
	AttnDrop  *Dropout
	softmax   RowSoftmax
	// scores holds S for every head and example, (h·B·T)×T: head hh's
	// block of B·T rows, example b's T rows in it. dprob is the gradient
	// of drop(P) in the same layout; ctx and dqkv are token layout.
	scores, dprob, ctx, dqkv *tensor.Mat
	// qkv and prob are the projections and drop(P) of the last forward
	// pass, outputs of QKV and AttnDrop.
	qkv, prob *tensor.Mat
	a, b, c   tensor.Mat // the first product of a batch
	// The direct loops' state (see smallAttention): probBuf holds drop(P)
	// apart from P when the last forward pass dropped; direct records
	// which path the last forward pass took; useGEMM forces the batched
	// GEMM, for tests comparing the two.
	small           smallAttnTask
	probBuf         *tensor.Mat
	dropped, direct bool
	useGEMM         bool
	// With LastQuery on the batched GEMM, the outputs (and their
	// gradients) of every token, of which the last ones are kept.
	ctxAll, dctxAll *tensor.Mat
}

// NewMultiHeadAttention returns attention over tokens of width d with
// heads heads (d must be a multiple of heads), for examples of tokens
// tokens, with attention dropout p drawing from rng. The projections are
// initialised as in FT-Transformer (Gorishniy et al., 2021): queries,
// keys and values Xavier-uniform with gain 1/√2, the output projection
// PyTorch's default; all biases zero.
func NewMultiHeadAttention(name string, d, heads, tokens int, p float64, rng *rand.Rand) *MultiHeadAttention {
	if heads < 1 || d%heads != 0 || tokens < 1 {
		panic(fmt.Sprintf("nn: attention of width %d with %d heads over %d tokens", d, heads, tokens))
	}
	m := &MultiHeadAttention{
		QKV:   NewLinear(name+".qkv", d, 3*d, rng),
		Out:   NewLinear(name+".out", d, d, rng),
		Heads: heads, Tokens: tokens,
		AttnDrop: NewDropout(p, rng),
	}
	// Xavier-uniform per d×d projection: bound gain·√(6/(d+d)).
	bound := math.Sqrt(3/float64(d)) / math.Sqrt2
	uniform(m.QKV.W.Value.Data, bound, rng)
	m.QKV.B.Value.Zero()
	m.Out.B.Value.Zero()
	return m
}

// headView makes v the T×dh block of head hh of the first example in m, a
// token-layout matrix whose head columns start at column c0.
func headView(v, m *tensor.Mat, tokens, c0, dh int) *tensor.Mat {
	*v = tensor.Mat{Rows: tokens, Cols: dh, Stride: m.Stride, Data: m.Data[c0:]}
	return v
}

// scoreView makes v the T×T block of head hh of the first example in m,
// laid out as scores.
func scoreView(v, m *tensor.Mat, batch, tokens, hh int) *tensor.Mat {
	*v = tensor.Mat{Rows: tokens, Cols: tokens, Stride: tokens, Data: m.Data[hh*batch*tokens*tokens:]}
	return v
}

// batch returns B for a token-layout matrix of rows rows.
func (m *MultiHeadAttention) batch(rows int) int {
	if rows%m.Tokens != 0 {
		panic(fmt.Sprintf("nn: attention over %d tokens given %d rows", m.Tokens, rows))
	}
	return rows / m.Tokens
}

// Forward implements [Module]: x ((B·T)×d) → y ((B·T)×d).
func (m *MultiHeadAttention) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	B, T, d := m.batch(x.Rows), m.Tokens, m.Out.Out()
	dh := d / m.Heads
	scale := float32(1 / math.Sqrt(float64(dh)))
	qkv := m.QKV.Forward(x, train)
	m.qkv = qkv
	m.direct = !m.useGEMM && smallAttention(T, dh)
	if m.direct {
		m.smallForward(qkv, B, T, d, dh, scale, train)
		return m.Out.Forward(m.ctx, train)
	}
	ctx := m.ctx
	if m.LastQuery {
		// Every token asks, and the last ones' answers are kept: the
		// batched products have no cheaper form for one query.
		m.ctxAll = tensor.Ensure(m.ctxAll, B*T, d)
		m.ctx = m.ctxAll
	}
	m.scores = tensor.Ensure(m.scores, m.Heads*B*T, T)
	for hh := range m.Heads {
		q, k, s := headView(&m.a, qkv, T, hh*dh, dh), headView(&m.b, qkv, T, d+hh*dh, dh), scoreView(&m.c, m.scores, B, T, hh)
		tensor.GemmStridedBatched(false, true, scale, q, T*qkv.Stride, k, T*qkv.Stride, 0, s, T*T, B)
	}
	p := m.softmax.Forward(m.scores, train)
	p = m.AttnDrop.Forward(p, train)
	m.prob = p
	m.ctx = tensor.Ensure(m.ctx, B*T, d)
	for hh := range m.Heads {
		pv, v, o := scoreView(&m.a, p, B, T, hh), headView(&m.b, qkv, T, 2*d+hh*dh, dh), headView(&m.c, m.ctx, T, hh*dh, dh)
		tensor.GemmStridedBatched(false, false, 1, pv, T*T, v, T*qkv.Stride, 0, o, T*d, B)
	}
	m.a, m.b, m.c = tensor.Mat{}, tensor.Mat{}, tensor.Mat{}
	if m.LastQuery {
		m.ctx = tensor.Ensure(ctx, B, d)
		for b := range B {
			copy(m.ctx.Row(b), m.ctxAll.Row(b*T+T-1))
		}
	}
	return m.Out.Forward(m.ctx, train)
}

// Backward implements [Module]. Per example and head, with dO the
// gradient of O and P̃ = drop(P): dP̃ = dO·Vᵀ and dV = P̃ᵀ·dO; back
// through the dropout and the softmax to dS; then dQ = dS·K/√dh and
// dK = dSᵀ·Q/√dh.
func (m *MultiHeadAttention) Backward(dy *tensor.Mat) *tensor.Mat {
	T, d := m.Tokens, m.Out.Out()
	B := dy.Rows
	if !m.LastQuery {
		B = m.batch(dy.Rows)
	}
	dh := d / m.Heads
	scale := float32(1 / math.Sqrt(float64(dh)))
	dctx := m.Out.Backward(dy)
	if m.direct {
		m.smallBackward(dctx, B, T, d, dh, scale)
		return m.QKV.Backward(m.dqkv)
	}
	if m.LastQuery {
		m.dctxAll = tensor.Ensure(m.dctxAll, B*T, d)
		m.dctxAll.Zero()
		for b := range B {
			copy(m.dctxAll.Row(b*T+T-1), dctx.Row(b))
		}
		dctx = m.dctxAll
	}
	qkv, p := m.qkv, m.prob
	m.dprob = tensor.Ensure(m.dprob, m.Heads*B*T, T)
	m.dqkv = tensor.Ensure(m.dqkv, B*T, 3*d)
	ld := T * qkv.Stride
	for hh := range m.Heads {
		do, v, dp := headView(&m.a, dctx, T, hh*dh, dh), headView(&m.b, qkv, T, 2*d+hh*dh, dh), scoreView(&m.c, m.dprob, B, T, hh)
		tensor.GemmStridedBatched(false, true, 1, do, T*dctx.Stride, v, ld, 0, dp, T*T, B)
		pv, dv := scoreView(&m.b, p, B, T, hh), headView(&m.c, m.dqkv, T, 2*d+hh*dh, dh)
		tensor.GemmStridedBatched(true, false, 1, pv, T*T, do, T*dctx.Stride, 0, dv, T*m.dqkv.Stride, B)
	}
	ds := m.softmax.Backward(m.AttnDrop.Backward(m.dprob))
	for hh := range m.Heads {
		dsv, k, dq := scoreView(&m.a, ds, B, T, hh), headView(&m.b, qkv, T, d+hh*dh, dh), headView(&m.c, m.dqkv, T, hh*dh, dh)
		tensor.GemmStridedBatched(false, false, scale, dsv, T*T, k, ld, 0, dq, T*m.dqkv.Stride, B)
		q, dk := headView(&m.b, qkv, T, hh*dh, dh), headView(&m.c, m.dqkv, T, d+hh*dh, dh)
		tensor.GemmStridedBatched(true, false, scale, dsv, T*T, q, ld, 0, dk, T*m.dqkv.Stride, B)
	}
	m.a, m.b, m.c = tensor.Mat{}, tensor.Mat{}, tensor.Mat{}
	return m.QKV.Backward(m.dqkv)
}

// Params implements [Module].
func (m *MultiHeadAttention) Params() []*Param {
	return append(m.QKV.Params(), m.Out.Params()...)
}

// CLSToken appends a learned token to each example's tokens, as the last
// one: (B·T)×d → (B·(T+1))×d. A transformer's head then reads the CLS
// token's final state ([LastToken]), which has attended to every feature.
type CLSToken struct {
	Token *Param // 1×d
	// Tokens is T, the number of tokens of each example before the CLS.
	Tokens int
	y, dx  *tensor.Mat
}

// NewCLSToken returns a CLS token of width d for examples of tokens
// tokens, initialised U(±1/√d) as FT-Transformer's.
func NewCLSToken(name string, d, tokens int, rng *rand.Rand) *CLSToken {
	c := &CLSToken{Token: NewParam(name+".weight", 1, d), Tokens: tokens}
	uniform(c.Token.Value.Data, 1/math.Sqrt(float64(d)), rng)
	return c
}

// Forward implements [Module].
func (c *CLSToken) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	T := c.Tokens
	if x.Rows%T != 0 || x.Cols != c.Token.Value.Cols {
		panic(fmt.Sprintf("nn: CLS token of width %d after %d tokens given %d×%d", c.Token.Value.Cols, T, x.Rows, x.Cols))
	}
	B := x.Rows / T
	c.y = tensor.Ensure(c.y, B*(T+1), x.Cols)
	for b := range B {
		for t := range T {
			copy(c.y.Row(b*(T+1)+t), x.Row(b*T+t))
		}
		copy(c.y.Row(b*(T+1)+T), c.Token.Value.Data)
	}
	return c.y
}

// Backward implements [Module]: the CLS rows' gradients add up into the
// token's.
func (c *CLSToken) Backward(dy *tensor.Mat) *tensor.Mat {
	T := c.Tokens
	B := dy.Rows / (T + 1)
	c.dx = tensor.Ensure(c.dx, B*T, dy.Cols)
	g := c.Token.Grad.Data
	for b := range B {
		for t := range T {
			copy(c.dx.Row(b*T+t), dy.Row(b*(T+1)+t))
		}
		for j, v := range dy.Row(b*(T+1) + T) {
			g[j] += v
		}
	}
	return c.dx
}

// Params implements [Module].
func (c *CLSToken) Params() []*Param { return []*Param{c.Token} }

// LastToken takes each example's last token (the CLS token, where
// [CLSToken] appended one): (B·T)×d → B×d.
type LastToken struct {
	// Tokens is T, the number of tokens of each example.
	Tokens int
	y, dx  *tensor.Mat
}

// Forward implements [Module].
func (l *LastToken) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	T := l.Tokens
	if T < 1 || x.Rows%T != 0 {
		panic(fmt.Sprintf("nn: last of %d tokens given %d rows", T, x.Rows))
	}
	B := x.Rows / T
	l.y = tensor.Ensure(l.y, B, x.Cols)
	for b := range B {
		copy(l.y.Row(b), x.Row(b*T+T-1))
	}
	return l.y
}

// Backward implements [Module]: the other tokens get a zero gradient.
func (l *LastToken) Backward(dy *tensor.Mat) *tensor.Mat {
	T := l.Tokens
	l.dx = tensor.Ensure(l.dx, dy.Rows*T, dy.Cols)
	l.dx.Zero()
	for b := range dy.Rows {
		copy(l.dx.Row(b*T+T-1), dy.Row(b))
	}
	return l.dx
}

// Params implements [Module].
func (l *LastToken) Params() []*Param { return nil }
