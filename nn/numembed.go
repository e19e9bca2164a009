package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Embeddings of numerical features, after Gorishniy, Rubachev and Babenko,
// "On Embeddings for Numerical Features in Tabular Deep Learning" (NeurIPS
// 2022) and their package rtdl_num_embeddings. Each maps a batch of n
// scalar features (B×n) to a wider matrix in which feature j owns a
// contiguous block of columns, so that an MLP sees a learned, non-linear
// view of every value instead of the value alone.

// PeriodicEmbedding is PLR, periodic → linear → ReLU: feature j's value x
// becomes
//
//	v = [cos(2π c_j1 x), …, cos(2π c_jk x), sin(2π c_j1 x), …, sin(2π c_jk x)]
//	y = ReLU(v·W_j + b_j)
//
// with k trainable frequencies c_j per feature and a Linear(2k→d). The
// Linear is one W, b shared by all features (the "lite" variant of
// rtdl_num_embeddings, whose README calls its loss of quality
// "non-critical" and suggests it as a start) or, with per-feature set, one
// per feature as in the paper.
//
// In the shared variant the B×n×2k periodic values are laid out as a
// (B·n)×2k matrix, so the Linear is one product for all features whose
// (B·n)×d result is the B×(n·d) output as it lies in memory.
type PeriodicEmbedding struct {
	// Freq holds the frequencies, n×k.
	Freq *Param
	// W and B are the Linear: 2k×d and 1×d when shared; per feature,
	// (n·2k)×d, feature j's block at rows j·2k…, and n×d.
	W, B *Param
	// SkipInputGrad saves computing dx when the input is data.
	SkipInputGrad bool

	n, k, d    int
	perFeature bool

	// The periodic part, split over the worker pool: by rows going
	// forward; by features going back, so that each worker owns its
	// features' frequency gradients and the sums keep their order.
	fwd periodicForward
	bwd periodicBackward

	x, p, y, dz, dp, dx *tensor.Mat
	// Views refreshed on every step, kept in fields so that steps do not
	// allocate.
	pv, yv, zv, dpv, wv, gv tensor.Mat
}

// NewPeriodicEmbedding returns PLR for n features with k frequencies,
// drawn from N(0, sigma²) truncated to ±3σ as rtdl_num_embeddings draws
// them, and outputs of width d per feature; the Linear gets PyTorch's
// default initialisation, U(±1/√(2k)). Parameter names start with name.
// It panics unless n, k and d are positive and sigma is positive and
// finite.
func NewPeriodicEmbedding(name string, n, k, d int, sigma float64, perFeature bool, rng *rand.Rand) *PeriodicEmbedding {
	if n < 1 || k < 1 || d < 1 || !(sigma > 0) || math.IsInf(sigma, 0) {
		panic(fmt.Sprintf("nn: NewPeriodicEmbedding(n=%d, k=%d, d=%d, sigma=%v)", n, k, d, sigma))
	}
	e := &PeriodicEmbedding{n: n, k: k, d: d, perFeature: perFeature, Freq: NewParam(name+".frequencies", n, k)}
	e.fwd.e, e.bwd.e = e, e
	for i := range e.Freq.Value.Data {
		v := rng.NormFloat64()
		for math.Abs(v) > 3 {
			v = rng.NormFloat64()
		}
		e.Freq.Value.Data[i] = float32(sigma * v)
	}
	if perFeature {
		e.W, e.B = NewParam(name+".linear.weight", n*2*k, d), NewParam(name+".linear.bias", n, d)
	} else {
		e.W, e.B = NewParam(name+".linear.weight", 2*k, d), NewParam(name+".linear.bias", 1, d)
	}
	bound := 1 / math.Sqrt(float64(2*k))
	uniform(e.W.Value.Data, bound, rng)
	uniform(e.B.Value.Data, bound, rng)
	return e
}

// PeriodicEmbeddingSize returns the number of parameter values of the
// PeriodicEmbedding that NewPeriodicEmbedding builds with the same
// arguments.
func PeriodicEmbeddingSize(n, k, d int, perFeature bool) int {
	if perFeature {
		return n*k + n*(2*k*d+d)
	}
	return n*k + 2*k*d + d
}

// Out returns the output width, n·d.
func (e *PeriodicEmbedding) Out() int { return e.n * e.d }

// flat makes v the rows×(n·c) matrix m seen as (rows·n)×c: the same
// memory, one row per row and feature.
func flat(v *tensor.Mat, m *tensor.Mat, n int) *tensor.Mat {
	c := m.Cols / n
	*v = tensor.Mat{Rows: m.Rows * n, Cols: c, Stride: c, Data: m.Data[:m.Rows*m.Cols]}
	return v
}

// Forward implements [Module]: x (B×n) → y (B×(n·d)).
func (e *PeriodicEmbedding) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	if x.Cols != e.n {
		panic(fmt.Sprintf("nn: PeriodicEmbedding of %d features given %d columns", e.n, x.Cols))
	}
	rows, k2 := x.Rows, 2*e.k
	e.x = x
	e.p = tensor.Ensure(e.p, rows, e.n*k2)
	tensor.Parallel(rows, periodicGrain(e.n*e.k), &e.fwd)
	e.y = tensor.Ensure(e.y, rows, e.n*e.d)
	if !e.perFeature {
		tensor.GemmBias(false, false, flat(&e.pv, e.p, e.n), e.W.Value, e.B.Value.Data, tensor.ReLU, flat(&e.yv, e.y, e.n))
		return e.y
	}
	for j := range e.n {
		tensor.GemmBias(false, false, e.pv.SetColView(e.p, j*k2, (j+1)*k2), e.wv.SetRowView(e.W.Value, j*k2, (j+1)*k2),
			e.B.Value.Row(j), tensor.ReLU, e.yv.SetColView(e.y, j*e.d, (j+1)*e.d))
	}
	return e.y
}

// Backward implements [Module]. With dz = dy where y > 0 (the ReLU) and
// the periodic values v, the Linear gives dW += vᵀ·dz, db += Σ dz and
// dv = dz·Wᵀ; then with θ = 2π c x, whose cosine and sine v holds,
// dθ = −sin θ·dv_cos + cos θ·dv_sin, dc += dθ·2π x and dx = Σ_f dθ·2π c.
func (e *PeriodicEmbedding) Backward(dy *tensor.Mat) *tensor.Mat {
	rows, k2 := dy.Rows, 2*e.k
	e.dz = tensor.Ensure(e.dz, rows, e.n*e.d)
	tensor.ReLUBackward(dy, e.y, e.dz)
	e.dp = tensor.Ensure(e.dp, rows, e.n*k2)
	if !e.perFeature {
		p, dz, dp := flat(&e.pv, e.p, e.n), flat(&e.zv, e.dz, e.n), flat(&e.dpv, e.dp, e.n)
		tensor.Gemm(true, false, 1, p, dz, 1, e.W.Grad)
		tensor.AddColumnSums(e.B.Grad.Data, dz)
		tensor.Gemm(false, true, 1, dz, e.W.Value, 0, dp)
	} else {
		for j := range e.n {
			p := e.pv.SetColView(e.p, j*k2, (j+1)*k2)
			dz := e.zv.SetColView(e.dz, j*e.d, (j+1)*e.d)
			tensor.Gemm(true, false, 1, p, dz, 1, e.gv.SetRowView(e.W.Grad, j*k2, (j+1)*k2))
			tensor.AddColumnSums(e.B.Grad.Row(j), dz)
			tensor.Gemm(false, true, 1, dz, e.wv.SetRowView(e.W.Value, j*k2, (j+1)*k2), 0, e.dpv.SetColView(e.dp, j*k2, (j+1)*k2))
		}
	}
	if !e.SkipInputGrad {
		e.dx = tensor.Ensure(e.dx, rows, e.n)
	}
	tensor.Parallel(e.n, max(1, periodicGrain(rows*e.k)), &e.bwd)
	if e.SkipInputGrad {
		return nil
	}
	return e.dx
}

// periodicGrain is the number of rows (or features) of which a worker
// takes at least as many, given the sines and cosines of one: enough for
// about 16k of them, so that a small batch is not split for nothing.
func periodicGrain(perUnit int) int { return max(1, (1<<14)/max(perUnit, 1)) }

// periodicForward fills the periodic values of rows [lo, hi):
// cos and sin of 2π c x.
type periodicForward struct{ e *PeriodicEmbedding }

func (t *periodicForward) Run(lo, hi int) {
	e := t.e
	k, k2 := e.k, 2*e.k
	for i := lo; i < hi; i++ {
		pr := e.p.Row(i)
		for j, v := range e.x.Row(i) {
			cs, sn := pr[j*k2:j*k2+k], pr[j*k2+k:(j+1)*k2]
			fr := e.Freq.Value.Row(j)[:len(cs)]
			sn = sn[:len(cs)]
			x := 2 * math.Pi * float64(v)
			for f, c := range fr {
				s, co := sincos(float64(c) * x)
				cs[f], sn[f] = float32(co), float32(s)
			}
		}
	}
}

// periodicBackward takes the gradient dv of the periodic values of
// features [lo, hi) to their frequencies and, unless skipped, inputs.
type periodicBackward struct{ e *PeriodicEmbedding }

func (t *periodicBackward) Run(lo, hi int) {
	e := t.e
	k, k2 := e.k, 2*e.k
	const twoPi = 2 * math.Pi
	for j := lo; j < hi; j++ {
		c, gc := e.Freq.Value.Row(j), e.Freq.Grad.Row(j)
		for i := range e.x.Rows {
			x := e.x.Row(i)[j]
			p, dp := e.p.Row(i)[j*k2:(j+1)*k2], e.dp.Row(i)[j*k2:(j+1)*k2]
			var dx float32
			for f := range k {
				dTheta := dp[k+f]*p[f] - dp[f]*p[k+f]
				gc[f] += twoPi * x * dTheta
				dx += twoPi * c[f] * dTheta
			}
			if !e.SkipInputGrad {
				e.dx.Row(i)[j] = dx
			}
		}
	}
}

// Params implements [Module].
func (e *PeriodicEmbedding) Params() []*Param { return []*Param{e.Freq, e.W, e.B} }

// PiecewiseLinearEmbedding is PLE, the piecewise-linear encoding with
// quantile bins: feature j with bin edges b_0 < … < b_T becomes T values
//
//	e_t = clamp((x − b_{t−1}) / (b_t − b_{t−1}), 0, 1)
//
// except that the first bin is not clamped below and the last not above
// (a single bin not at all), so that values beyond the edges seen in
// fitting still move the encoding, as in the paper. A value inside bin t
// encodes as 1 in the bins before it, its position within bin t, and 0
// after it. With d > 0 each feature's encoding then goes through its own
// Linear(T_j→d) and a ReLU; with d = 0 the encoding is the output, and the
// layer has no parameters. Features may have different numbers of bins
// (ties in the data leave fewer distinct edges).
type PiecewiseLinearEmbedding struct {
	// W and B are the per-feature Linears when d > 0, else nil: W is
	// (Σ_j T_j)×d, feature j's rows following feature j−1's, B is n×d.
	W, B *Param
	// SkipInputGrad saves computing dx when the input is data.
	SkipInputGrad bool

	n, d int
	offs []int // feature j's bins are [offs[j], offs[j+1])
	// Per bin: the left edge, 1/width, and the clamp bounds (−∞ or 0
	// below, 1 or +∞ above).
	left, inv, lo, hi []float32

	x, enc, y, dz, dEnc, dx *tensor.Mat
	ev, yv, zv, dv, wv, gv  tensor.Mat
}

// NewPiecewiseLinearEmbedding returns PLE for the features whose bin
// edges are given, with outputs of width d per feature (0: the encoding
// itself). The Linears get PyTorch's default initialisation, U(±1/√T_j).
// Parameter names start with name. It panics unless d ≥ 0 and every
// feature has at least two edges, finite and increasing in float32 so
// that 1/width is finite: callers validate edges that come from files.
func NewPiecewiseLinearEmbedding(name string, edges [][]float64, d int, rng *rand.Rand) *PiecewiseLinearEmbedding {
	if len(edges) == 0 || d < 0 {
		panic(fmt.Sprintf("nn: NewPiecewiseLinearEmbedding of %d features, d=%d", len(edges), d))
	}
	e := &PiecewiseLinearEmbedding{n: len(edges), d: d, offs: make([]int, len(edges)+1)}
	for j, b := range edges {
		if len(b) < 2 {
			panic(fmt.Sprintf("nn: PiecewiseLinearEmbedding feature %d: %d bin edges", j, len(b)))
		}
		t := len(b) - 1
		e.offs[j+1] = e.offs[j] + t
		for i := 1; i < len(b); i++ {
			l, r := float32(b[i-1]), float32(b[i])
			inv := float32(1 / (float64(r) - float64(l)))
			if !(r > l) || math.IsInf(float64(inv), 0) || math.IsInf(float64(l), 0) || math.IsInf(float64(r), 0) {
				panic(fmt.Sprintf("nn: PiecewiseLinearEmbedding feature %d: bin edges %v, %v", j, b[i-1], b[i]))
			}
			lo, hi := float32(0), float32(1)
			if i == 1 {
				lo = float32(math.Inf(-1))
			}
			if i == t {
				hi = float32(math.Inf(1))
			}
			e.left, e.inv, e.lo, e.hi = append(e.left, l), append(e.inv, inv), append(e.lo, lo), append(e.hi, hi)
		}
	}
	if d > 0 {
		e.W, e.B = NewParam(name+".linear.weight", e.offs[e.n], d), NewParam(name+".linear.bias", e.n, d)
		for j := range e.n {
			bound := 1 / math.Sqrt(float64(e.offs[j+1]-e.offs[j]))
			uniform(e.W.Value.Data[e.offs[j]*d:e.offs[j+1]*d], bound, rng)
			uniform(e.B.Value.Row(j), bound, rng)
		}
	}
	return e
}

// PiecewiseLinearEmbeddingSize returns the number of parameter values and
// the output width of the PiecewiseLinearEmbedding for features with
// bins[j] bins each and outputs of width d.
func PiecewiseLinearEmbeddingSize(bins []int, d int) (params, out int) {
	total := 0
	for _, t := range bins {
		total += t
	}
	if d == 0 {
		return 0, total
	}
	return total*d + len(bins)*d, len(bins) * d
}

// Out returns the output width: n·d, or the total number of bins when d
// is 0.
func (e *PiecewiseLinearEmbedding) Out() int {
	if e.d == 0 {
		return e.offs[e.n]
	}
	return e.n * e.d
}

// Forward implements [Module]: x (B×n) → y (B×Out()).
func (e *PiecewiseLinearEmbedding) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	if x.Cols != e.n {
		panic(fmt.Sprintf("nn: PiecewiseLinearEmbedding of %d features given %d columns", e.n, x.Cols))
	}
	rows := x.Rows
	e.x = x
	e.enc = tensor.Ensure(e.enc, rows, e.offs[e.n])
	for i := range rows {
		er := e.enc.Row(i)
		for j, v := range x.Row(i) {
			for t := e.offs[j]; t < e.offs[j+1]; t++ {
				er[t] = min(max((v-e.left[t])*e.inv[t], e.lo[t]), e.hi[t])
			}
		}
	}
	if e.d == 0 {
		return e.enc
	}
	e.y = tensor.Ensure(e.y, rows, e.n*e.d)
	for j := range e.n {
		a, b := e.offs[j], e.offs[j+1]
		tensor.GemmBias(false, false, e.ev.SetColView(e.enc, a, b), e.wv.SetRowView(e.W.Value, a, b),
			e.B.Value.Row(j), tensor.ReLU, e.yv.SetColView(e.y, j*e.d, (j+1)*e.d))
	}
	return e.y
}

// Backward implements [Module]. With d > 0, per feature, dz = dy where
// y > 0, dW_j += e_jᵀ·dz, db_j += Σ dz and de_j = dz·W_jᵀ (with d = 0,
// de = dy); then dx = Σ_t de_t / width_t over the bins where the encoding
// is strictly inside its clamp bounds, the only ones that move with x.
func (e *PiecewiseLinearEmbedding) Backward(dy *tensor.Mat) *tensor.Mat {
	rows := dy.Rows
	dEnc := dy
	if e.d > 0 {
		e.dz = tensor.Ensure(e.dz, rows, e.n*e.d)
		tensor.ReLUBackward(dy, e.y, e.dz)
		if !e.SkipInputGrad {
			e.dEnc = tensor.Ensure(e.dEnc, rows, e.offs[e.n])
		}
		for j := range e.n {
			a, b := e.offs[j], e.offs[j+1]
			enc := e.ev.SetColView(e.enc, a, b)
			dz := e.zv.SetColView(e.dz, j*e.d, (j+1)*e.d)
			tensor.Gemm(true, false, 1, enc, dz, 1, e.gv.SetRowView(e.W.Grad, a, b))
			tensor.AddColumnSums(e.B.Grad.Row(j), dz)
			if !e.SkipInputGrad {
				tensor.Gemm(false, true, 1, dz, e.wv.SetRowView(e.W.Value, a, b), 0, e.dv.SetColView(e.dEnc, a, b))
			}
		}
		dEnc = e.dEnc
	}
	if e.SkipInputGrad {
		return nil
	}
	e.dx = tensor.Ensure(e.dx, rows, e.n)
	for i := range rows {
		er, gr, dxr := e.enc.Row(i), dEnc.Row(i), e.dx.Row(i)
		for j := range dxr {
			var s float32
			for t := e.offs[j]; t < e.offs[j+1]; t++ {
				if er[t] > e.lo[t] && er[t] < e.hi[t] {
					s += gr[t] * e.inv[t]
				}
			}
			dxr[j] = s
		}
	}
	return e.dx
}

// Params implements [Module]: the Linears' weights and biases, or none
// when d is 0.
func (e *PiecewiseLinearEmbedding) Params() []*Param {
	if e.d == 0 {
		return nil
	}
	return []*Param{e.W, e.B}
}
