// Package gandalf is PyTorch Tabular's GANDALF (Joseph and Raj, 2022,
// "GANDALF: Gated Adaptive Network for Deep Automated Learning of
// Features"): a stack of gated feature learning units (GFLUs) over the
// embedded row. Each stage d picks features with a learned soft mask and
// updates a hidden state of the input's width with GRU-like gates:
//
//	f = t-softmax(M_d, relu(t_d))                 feature mask, 1×n
//	[z | r] = σ(W_in,d · [f⊙x, h])
//	ĥ = tanh(W_out,d · [r⊙h, x])
//	h ← Dropout((1−z)⊙h + z⊙ĥ)
//
// starting from h = x. The output has the input's width; the head that
// follows predicts from it. Its config serves as a supervised backbone and
// as the encoder or decoder of a self-supervised model.
package gandalf

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Name is the registered backbone name.
const Name = "GANDALF"

func init() {
	models.RegisterBackbone(Name, func(b []byte) (models.BackboneConfig, error) {
		var c Config
		err := json.Unmarshal(b, &c)
		return c, err
	})
}

// The defaults of PyTorch Tabular's GANDALFConfig.
const (
	DefaultStages          = 6
	DefaultFeatureSparsity = 0.3
)

// Config is GANDALF, with PyTorch Tabular's field names. Zero fields take
// the defaults; the sparsity fields are pointers because their zero is a
// value one may want.
type Config struct {
	// Stages is the number of GFLU stages (gflu_stages, default 6).
	Stages int `json:"gflu_stages,omitempty" yaml:"gflu_stages,omitempty"`
	// Dropout is applied to each stage's output (gflu_dropout, default 0).
	Dropout float64 `json:"gflu_dropout,omitempty" yaml:"gflu_dropout,omitempty"`
	// FeatureInitSparsity is the fraction of features each stage's mask
	// starts by leaving out (gflu_feature_init_sparsity, default 0.3).
	FeatureInitSparsity *float64 `json:"gflu_feature_init_sparsity,omitempty" yaml:"gflu_feature_init_sparsity,omitempty"`
	// LearnableSparsity trains the masks' thresholds t; otherwise they
	// keep their initial values (learnable_sparsity, default true).
	LearnableSparsity *bool `json:"learnable_sparsity,omitempty" yaml:"learnable_sparsity,omitempty"`
}

// Name implements [models.BackboneConfig].
func (c Config) Name() string { return Name }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Stages == 0 {
		c.Stages = DefaultStages
	}
	if c.FeatureInitSparsity == nil {
		c.FeatureInitSparsity = new(float64(DefaultFeatureSparsity))
	}
	if c.LearnableSparsity == nil {
		c.LearnableSparsity = new(true)
	}
	return c
}

// WithDropout implements [models.DropoutSetter].
func (c Config) WithDropout(p float64) models.BackboneConfig {
	c.Dropout = p
	return c
}

// Validate implements [models.BackboneConfig].
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.Stages < 1 {
		return fmt.Errorf("gandalf: gflu_stages %d: want at least 1", c.Stages)
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) {
		return fmt.Errorf("gandalf: gflu_dropout %v: want a probability in [0, 1)", c.Dropout)
	}
	if s := *c.FeatureInitSparsity; !(s >= 0 && s <= 1) {
		return fmt.Errorf("gandalf: gflu_feature_init_sparsity %v: want a fraction in [0, 1]", s)
	}
	return nil
}

// Size implements [models.BackboneConfig].
func (c Config) Size(in models.Input) (params, outDim int) {
	inDim := in.Width
	c = c.WithDefaults()
	n := inDim
	stage := (2*n*2*n + 2*n) + (2*n*n + n) + n + 1 // W_in, W_out, the mask and its threshold
	return c.Stages * stage, n
}

// Backbone is the built stack of GFLUs.
type Backbone struct {
	// Masks holds each stage's feature logits M_d (stages×n), T their
	// thresholds t_d (stages×1, trained only with LearnableSparsity).
	Masks, T  *nn.Param
	WIn, WOut []*nn.Linear
	drops     []*nn.Dropout // nil without dropout
	n         int

	// The forward pass's values, kept for the backward pass: the input,
	// each stage's feature weights f (stages×n), the concatenations fed to
	// W_in and W_out, the gates σ(·) = [z | r], the candidates ĥ, and each
	// stage's output (state[d] is stage d's, the input being stage −1's).
	x          *tensor.Mat
	f          []float32
	u, v, gate []*tensor.Mat
	cand       []*tensor.Mat
	mixed      []*tensor.Mat
	state      []*tensor.Mat

	// Backward buffers.
	dh       [2]*tensor.Mat
	dpre, dg *tensor.Mat
	dx       *tensor.Mat
	df       []float32

	// The row passes of the current stage d on the worker pool, made once
	// (a method value allocates), and what they read besides the buffers
	// above: the stage's input state cur, a product's output pre, and in
	// the backward pass the gradients of the mixed state dm, of a
	// product's input dv and of the input state dhp.
	fwdIn, fwdGates, fwdMix rowFunc
	bwdMix, bwdGates, bwdIn rowFunc
	d                       int
	cur, pre                *tensor.Mat
	dm, dv, dhp             *tensor.Mat
	view                    tensor.Mat
}

// Build implements [models.BackboneConfig]. The weights start as PyTorch's
// Linear layers do; each stage's mask logits are draws of a Beta(α, β)
// with α and β uniform on [0.5, 10] for the stage, and its threshold the
// one that leaves out FeatureInitSparsity of the features, as in PyTorch
// Tabular.
func (c Config) Build(prefix string, in models.Input, rng *rand.Rand) (models.Backbone, error) {
	inDim := in.Width
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if inDim < 1 {
		return nil, fmt.Errorf("gandalf: %d input columns: want at least 1", inDim)
	}
	c = c.WithDefaults()
	n, s := inDim, c.Stages
	b := &Backbone{n: n, Masks: nn.NewParam(prefix+".feature_masks", s, n)}
	if *c.LearnableSparsity {
		b.T = nn.NewParam(prefix+".t", s, 1)
	} else {
		b.T = nn.NewBuffer(prefix+".t", s, 1)
	}
	for d := range s {
		b.WIn = append(b.WIn, nn.NewLinear(fmt.Sprintf("%s.W_in.%d", prefix, d), 2*n, 2*n, rng))
		b.WOut = append(b.WOut, nn.NewLinear(fmt.Sprintf("%s.W_out.%d", prefix, d), 2*n, n, rng))
		if c.Dropout > 0 {
			b.drops = append(b.drops, nn.NewDropout(c.Dropout, rng))
		}
	}
	for d := range s {
		alpha, beta := 0.5+9.5*rng.Float64(), 0.5+9.5*rng.Float64()
		row := b.Masks.Value.Row(d)
		for j := range row {
			row[j] = float32(betaSample(rng, alpha, beta))
		}
		b.T.Value.Data[d] = float32(InitialThreshold(row, *c.FeatureInitSparsity))
	}
	b.f = make([]float32, s*n)
	b.df = make([]float32, n)
	b.u, b.v, b.gate = make([]*tensor.Mat, s), make([]*tensor.Mat, s), make([]*tensor.Mat, s)
	b.cand, b.mixed, b.state = make([]*tensor.Mat, s), make([]*tensor.Mat, s), make([]*tensor.Mat, s)
	return b, nil
}

// InitialThreshold returns the t under which t-softmax of logits gives
// zero weight to the fraction r of them (the r-softmax of Bałazy et al.,
// 2023, which PyTorch Tabular uses to start its masks): minus the
// r-quantile of the logits less their maximum, interpolated linearly
// between order statistics, plus 1e-8.
func InitialThreshold(logits []float32, r float64) float64 {
	a := make([]float64, len(logits))
	top := float64(slices.Max(logits))
	for i, v := range logits {
		a[i] = float64(v) - top
	}
	slices.Sort(a)
	pos := r * float64(len(a)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(a)-1)
	q := a[lo] + (pos-float64(lo))*(a[hi]-a[lo])
	return -q + 1e-8
}

// betaSample draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func betaSample(rng *rand.Rand, a, b float64) float64 {
	x, y := gammaSample(rng, a), gammaSample(rng, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// gammaSample draws from Gamma(a, 1) by Marsaglia and Tsang's method;
// a < 1 is boosted to a+1 and scaled by U^(1/a).
func gammaSample(rng *rand.Rand, a float64) float64 {
	if a < 1 {
		return gammaSample(rng, a+1) * math.Pow(rng.Float64(), 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// OutDim implements [models.Backbone].
func (b *Backbone) OutDim() int { return b.n }

// Params implements [nn.Module]: the masks and thresholds, then each
// stage's W_in and W_out.
func (b *Backbone) Params() []*nn.Param {
	ps := []*nn.Param{b.Masks, b.T}
	for d := range b.WIn {
		ps = append(ps, b.WIn[d].Params()...)
		ps = append(ps, b.WOut[d].Params()...)
	}
	return ps
}

// tsoftmaxW is the weight t-softmax gives a logit a (less the row's
// maximum) before normalising: relu(a + t) + 1e-8, where the 1e-8 keeps
// the logarithm PyTorch Tabular takes of it finite.
func tsoftmaxW(a, t float64) float64 { return max(a+t, 0) + 1e-8 }

// featureWeights computes stage d's t-softmax of the mask logits into f:
// f_j ∝ w_j·exp(a_j) with a_j = M_dj − max_k M_dk and w_j = tsoftmaxW(a_j,
// relu(t_d)), so that features whose logit is more than t below the
// largest get (almost) no weight.
func (b *Backbone) featureWeights(d int, f []float32) {
	m := b.Masks.Value.Row(d)
	t := max(float64(b.T.Value.Data[d]), 0)
	top := float64(slices.Max(m))
	var sum float64
	for j, v := range m {
		a := float64(v) - top
		e := tsoftmaxW(a, t) * math.Exp(a)
		f[j] = float32(e)
		sum += e
	}
	for j := range f {
		f[j] = float32(float64(f[j]) / sum)
	}
}

// rowFunc is a loop over rows [lo, hi) run on the worker pool.
type rowFunc func(lo, hi int)

// Run implements tensor.Task.
func (f rowFunc) Run(lo, hi int) { f(lo, hi) }

// grain is the least number of rows a worker takes: each row costs about
// 3n sigmoids and tanhs, so a few thousand values are worth a worker.
func (b *Backbone) grain() int { return max(1, 4096/b.n) }

// Forward implements [nn.Module]. Each stage is three passes over the rows
// on the worker pool around the two matrix products.
func (b *Backbone) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	b.begin(x)
	h := x
	for d := range b.WIn {
		h = b.stageForward(d, h, train)
	}
	return h
}

// begin starts a forward pass over the input x, which every stage reads.
func (b *Backbone) begin(x *tensor.Mat) {
	if x.Cols != b.n {
		panic(fmt.Sprintf("gandalf: backbone of %d columns given %d", b.n, x.Cols))
	}
	if b.fwdIn == nil {
		b.fwdIn, b.fwdGates, b.fwdMix = b.forwardIn, b.forwardGates, b.forwardMix
		b.bwdMix, b.bwdGates, b.bwdIn = b.backwardMix, b.backwardGates, b.backwardIn
	}
	b.x = x
}

// stageForward runs stage d on the state h (the input for the first).
func (b *Backbone) stageForward(d int, h *tensor.Mat, train bool) *tensor.Mat {
	n, x := b.n, b.x
	if h.Rows != x.Rows || h.Cols != n {
		panic(fmt.Sprintf("gandalf: stage %d given a %d×%d state for %d×%d inputs", d, h.Rows, h.Cols, x.Rows, n))
	}
	b.d, b.cur = d, h
	b.featureWeights(d, b.f[d*n:(d+1)*n])
	b.u[d] = tensor.Ensure(b.u[d], x.Rows, 2*n)
	tensor.Parallel(x.Rows, b.grain(), b.fwdIn)
	b.pre = b.WIn[d].Forward(b.u[d], train)
	b.gate[d] = tensor.Ensure(b.gate[d], x.Rows, 2*n)
	b.v[d] = tensor.Ensure(b.v[d], x.Rows, 2*n)
	tensor.Parallel(x.Rows, b.grain(), b.fwdGates)
	b.pre = b.WOut[d].Forward(b.v[d], train)
	b.cand[d] = tensor.Ensure(b.cand[d], x.Rows, n)
	b.mixed[d] = tensor.Ensure(b.mixed[d], x.Rows, n)
	tensor.Parallel(x.Rows, b.grain(), b.fwdMix)
	out := b.mixed[d]
	if b.drops != nil {
		out = b.drops[d].Forward(out, train) // on this goroutine: its mask draws from the seeded source in order
	}
	b.state[d], b.cur, b.pre = out, nil, nil
	return out
}

// forwardIn fills u = [f⊙x, h] for stage b.d, h being b.cur.
func (b *Backbone) forwardIn(lo, hi int) {
	n, d := b.n, b.d
	f := b.f[d*n : (d+1)*n]
	for i := lo; i < hi; i++ {
		xr, hr, ur := b.x.Row(i), b.cur.Row(i), b.u[d].Row(i)
		for j, v := range xr[:n] {
			ur[j] = f[j] * v
		}
		copy(ur[n:2*n], hr[:n])
	}
}

// forwardGates turns W_in's output b.pre into the gates [z | r] and fills
// v = [r⊙h, x].
func (b *Backbone) forwardGates(lo, hi int) {
	n, d := b.n, b.d
	for i := lo; i < hi; i++ {
		gr, sr, vr, hr, xr := b.pre.Row(i), b.gate[d].Row(i), b.v[d].Row(i), b.cur.Row(i), b.x.Row(i)
		for j, v := range gr[:2*n] {
			sr[j] = sigmoidf(v)
		}
		for j, v := range hr[:n] {
			vr[j] = sr[n+j] * v
		}
		copy(vr[n:2*n], xr[:n])
	}
}

// forwardMix turns W_out's output b.pre into the candidate ĥ = tanh(·)
// and the mixed state (1−z)⊙h + z⊙ĥ.
func (b *Backbone) forwardMix(lo, hi int) {
	n, d := b.n, b.d
	for i := lo; i < hi; i++ {
		pr, cr, mr, sr, hr := b.pre.Row(i), b.cand[d].Row(i), b.mixed[d].Row(i), b.gate[d].Row(i), b.cur.Row(i)
		for j, v := range pr[:n] {
			c := tanhf(v)
			z := sr[j]
			cr[j] = c
			mr[j] = (1-z)*hr[j] + z*c
		}
	}
}

// Backward implements [nn.Module]. Per stage, from the last, with m the
// gradient of the mixed state and h the stage's input state:
//
//	dz = m⊙(ĥ−h), dĥ = m⊙z, dh = m⊙(1−z)
//	d(W_out input) from dĥ⊙(1−ĥ²); its first half gives dr = ·⊙h and
//	dh += ·⊙r, its second half dx
//	d(W_in input) from [dz⊙z(1−z), dr⊙r(1−r)]; its first half gives
//	dx += ·⊙f and df = Σ_rows ·⊙x, its second half dh
//
// and df goes back through t-softmax to the mask logits and threshold.
// The input's gradient gathers every stage's, and the first state's.
func (b *Backbone) Backward(dy *tensor.Mat) *tensor.Mat {
	b.beginBackward(dy.Rows)
	dh := dy
	for d := len(b.WIn) - 1; d >= 0; d-- {
		dh = b.stageBackward(d, dh)
	}
	return b.endBackward(dh)
}

// beginBackward clears the input's gradient, which the stages add to.
func (b *Backbone) beginBackward(rows int) {
	n := b.n
	b.dx = tensor.Ensure(b.dx, rows, n)
	b.dx.Zero()
	b.dpre = tensor.Ensure(b.dpre, rows, n)
	b.dg = tensor.Ensure(b.dg, rows, 2*n)
	for k := range b.dh {
		b.dh[k] = tensor.Ensure(b.dh[k], rows, n)
	}
}

// stageBackward takes the gradient of stage d's output and returns that
// of its input state, adding its share of the input's gradient to b.dx.
func (b *Backbone) stageBackward(d int, dh *tensor.Mat) *tensor.Mat {
	n, rows, x := b.n, dh.Rows, b.x
	b.d, b.cur = d, x
	if d > 0 {
		b.cur = b.state[d-1]
	}
	b.dm = dh
	if b.drops != nil {
		b.dm = b.drops[d].Backward(dh)
	}
	// Stage d+1 wrote the other buffer, which may be dh.
	b.dhp = b.dh[d%2]
	tensor.Parallel(rows, b.grain(), b.bwdMix)
	b.dv = b.WOut[d].Backward(b.dpre)
	tensor.Parallel(rows, b.grain(), b.bwdGates)
	b.dv = b.WIn[d].Backward(b.dg)
	tensor.Parallel(rows, b.grain(), b.bwdIn)
	clear(b.df)
	tensor.AddColumnProducts(b.df, b.view.SetColView(b.dv, 0, n), x)
	b.featureWeightsBackward(d, b.f[d*n:(d+1)*n], b.df)
	out := b.dhp
	b.dm, b.dv, b.dhp, b.cur = nil, nil, nil, nil
	return out
}

// endBackward adds the gradient of the first state, which is the input,
// and returns the input's gradient.
func (b *Backbone) endBackward(dh *tensor.Mat) *tensor.Mat {
	for i := range dh.Rows {
		tensor.Axpy(1, dh.Row(i)[:b.n], b.dx.Row(i)[:b.n])
	}
	return b.dx
}

// StageWidths implements [models.StagedConfig]: each GFLU stage is a
// stage, of the input's width.
func (c Config) StageWidths(in models.Input) []int {
	inDim := in.Width
	w := make([]int, c.WithDefaults().Stages)
	for i := range w {
		w[i] = inDim
	}
	return w
}

// Stages implements [models.Staged]: stage d maps the state before it to
// the state after it. Every stage also reads the backbone's input, which
// the first stage's Forward records, and adds to its gradient, which the
// last stage's Backward clears and the first stage's returns; so the
// stages must run as a chain, forward from the first and backward from
// the last, as a head reading them all runs them.
func (b *Backbone) Stages() []nn.Module {
	st := make([]nn.Module, len(b.WIn))
	for d := range st {
		st[d] = &stage{b: b, d: d}
	}
	return st
}

// stage is one GFLU stage of a Backbone, as a module.
type stage struct {
	b *Backbone
	d int
}

// Forward implements [nn.Module].
func (s *stage) Forward(h *tensor.Mat, train bool) *tensor.Mat {
	if s.d == 0 {
		s.b.begin(h)
	}
	return s.b.stageForward(s.d, h, train)
}

// Backward implements [nn.Module].
func (s *stage) Backward(dh *tensor.Mat) *tensor.Mat {
	if s.d == len(s.b.WIn)-1 {
		s.b.beginBackward(dh.Rows)
	}
	g := s.b.stageBackward(s.d, dh)
	if s.d == 0 {
		return s.b.endBackward(g)
	}
	return g
}

// Params implements [nn.Module]: the stage's W_in and W_out, and for the
// first stage the masks and thresholds, whose rows the stages share.
func (s *stage) Params() []*nn.Param {
	var ps []*nn.Param
	if s.d == 0 {
		ps = append(ps, s.b.Masks, s.b.T)
	}
	return append(append(ps, s.b.WIn[s.d].Params()...), s.b.WOut[s.d].Params()...)
}

// backwardMix takes the mixed state's gradient b.dm to the first half of
// the gates' gradient (dz through σ), the candidate's (through tanh) and
// the input state's share.
func (b *Backbone) backwardMix(lo, hi int) {
	n, d := b.n, b.d
	for i := lo; i < hi; i++ {
		mr, sr, cr, hr := b.dm.Row(i), b.gate[d].Row(i), b.cand[d].Row(i), b.cur.Row(i)
		gr, pr, or := b.dg.Row(i), b.dpre.Row(i), b.dhp.Row(i)
		for j, g := range mr[:n] {
			z, c := sr[j], cr[j]
			gr[j] = g * (c - hr[j]) * z * (1 - z)
			pr[j] = g * z * (1 - c*c)
			or[j] = g * (1 - z)
		}
	}
}

// backwardGates splits W_out's input gradient b.dv: r⊙h gives dr (the
// second half of the gates' gradient, through σ) and a share of dh; x its
// share of dx.
func (b *Backbone) backwardGates(lo, hi int) {
	n, d := b.n, b.d
	for i := lo; i < hi; i++ {
		vr, sr, hr, gr, or, xr := b.dv.Row(i), b.gate[d].Row(i), b.cur.Row(i), b.dg.Row(i), b.dhp.Row(i), b.dx.Row(i)
		for j, g := range vr[:n] {
			r := sr[n+j]
			gr[n+j] = g * hr[j] * r * (1 - r)
			or[j] += g * r
		}
		tensor.Axpy(1, vr[n:2*n], xr[:n])
	}
}

// backwardIn splits W_in's input gradient b.dv: f⊙x gives dx its share
// (df is summed over the rows apart), h gives dh the rest.
func (b *Backbone) backwardIn(lo, hi int) {
	n, d := b.n, b.d
	f := b.f[d*n : (d+1)*n]
	for i := lo; i < hi; i++ {
		ur, dxr, or := b.dv.Row(i), b.dx.Row(i), b.dhp.Row(i)
		for j, g := range ur[:n] {
			dxr[j] += g * f[j]
		}
		tensor.Axpy(1, ur[n:2*n], or[:n])
	}
}

// featureWeightsBackward takes df, the gradient of stage d's feature
// weights f, back through t-softmax. With s_j = a_j + log w_j and f =
// softmax(s): ds_j = f_j(df_j − Σ_k df_k f_k); w_j has slope 1 in a_j and
// in t where a_j + t > 0 (zero elsewhere), so da_j = ds_j(1 + [a_j+t>0]/w_j)
// and dt = Σ_j ds_j[a_j+t>0]/w_j, passed on where the threshold is
// positive (its relu). a_j = M_j − max M, so the first largest logit also
// takes −Σ_j da_j.
func (b *Backbone) featureWeightsBackward(d int, f []float32, df []float32) {
	m := b.Masks.Value.Row(d)
	gm := b.Masks.Grad.Row(d)
	traw := float64(b.T.Value.Data[d])
	t := max(traw, 0)
	top := slices.Max(m)
	arg := slices.Index(m, top)
	var dot float64
	for j, g := range df {
		dot += float64(g) * float64(f[j])
	}
	var sumDa, dt float64
	for j, g := range df {
		ds := float64(f[j]) * (float64(g) - dot)
		a := float64(m[j]) - float64(top)
		da := ds
		if a+t > 0 {
			inv := 1 / tsoftmaxW(a, t)
			da += ds * inv
			dt += ds * inv
		}
		gm[j] += float32(da)
		sumDa += da
	}
	gm[arg] -= float32(sumDa)
	if b.T.Grad != nil && traw > 0 {
		b.T.Grad.Data[d] += float32(dt)
	}
}

// MaskWeights returns the weights stage d's mask gives the input columns,
// t-softmax of its logits: they sum to 1.
func (b *Backbone) MaskWeights(d int) []float64 {
	f := make([]float32, b.n)
	b.featureWeights(d, f)
	out := make([]float64, b.n)
	for j, v := range f {
		out[j] = float64(v)
	}
	return out
}

// FeatureImportance returns, per input column, the sum over the stages of
// the weight their masks give it. PyTorch Tabular's feature_importance_
// sums the same with every threshold at t-softmax's default, 0.5; the
// learned thresholds are those the model predicts with.
func (b *Backbone) FeatureImportance() []float64 {
	out := make([]float64, b.n)
	for d := range b.WIn {
		for j, v := range b.MaskWeights(d) {
			out[j] += v
		}
	}
	return out
}
