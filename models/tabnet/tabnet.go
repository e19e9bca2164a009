// Package tabnet is TabNet (Arik and Pfister, 2019, "TabNet: Attentive
// Interpretable Tabular Learning"), with the config fields and defaults of
// PyTorch Tabular's TabNetModelConfig and the layers of pytorch-tabnet,
// which PyTorch Tabular wraps. With x the embedded row (n columns):
//
//	x₀ = BN(x)
//	[· | a₀] = F₋₁(x₀)                         the initial splitter
//	for each step s = 0 … S−1, with P₀ = 1:
//	  M_s = sparsemax(P_s ⊙ GBN(a_s·A_s))      the attentive transformer
//	  P_{s+1} = P_s ⊙ (γ − M_s)
//	  [d_s | a_{s+1}] = F_s(M_s ⊙ x₀)           the feature transformer
//	out = Σ_s ReLU(d_s)                        n_d columns
//
// Each feature transformer F is a chain of GLU layers, x·W → ghost batch
// norm → GLU, to n_d+n_a columns: first the n_shared layers whose weights W
// every F shares, then its own n_independent; every layer after the first
// adds its input and scales the sum by √½. The batch norms are each layer's
// own, shared weights or not, as in pytorch-tabnet. The network's head
// predicts from out where PyTorch Tabular's TabNet has a Linear map
// without bias of its own (its final_mapping), and the network's embedding
// layer embeds the row where PyTorch Tabular's TabNet embeds the
// categorical columns itself. mask_type "entmax" makes the masks with
// 1.5-entmax instead of sparsemax.
//
// The sparsity loss λ·(1/S)·Σ_s mean_rows Σ_j −M_sj·log(M_sj + 1e-15), the
// masks' entropy, pushes each step to attend to few columns; the backbone
// adds its gradient itself (see [Backbone.Backward]).
//
// Its config serves as a supervised backbone and as the encoder or decoder
// of a self-supervised model.
package tabnet

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Name is the registered backbone name.
const Name = "TabNet"

func init() {
	models.RegisterBackbone(Name, func(b []byte) (models.BackboneConfig, error) {
		var c Config
		err := json.Unmarshal(b, &c)
		return c, err
	})
}

// The defaults of PyTorch Tabular's TabNetModelConfig, and pytorch-tabnet's
// weight of the sparsity loss.
const (
	DefaultDecisionWidth    = 8
	DefaultAttentionWidth   = 8
	DefaultSteps            = 3
	DefaultGamma            = 1.3
	DefaultIndependent      = 2
	DefaultShared           = 2
	DefaultVirtualBatchSize = 128
	DefaultMaskType         = "sparsemax"
	DefaultLambdaSparse     = 1e-3
)

// The momenta of the batch norms, which no config sets: pytorch-tabnet's
// 0.01 for the input's (a plain batch norm over the whole batch, there
// too), and PyTorch Tabular's 0.02 for the ghost batch norms.
const (
	inputMomentum = 0.01
	ghostMomentum = 0.02
)

// epsilon keeps the logarithm of a zero mask weight finite in the sparsity
// loss, as pytorch-tabnet's does.
const epsilon = 1e-15

// Bounds that keep a damaged config from asking for an absurd network
// before its size is checked against the weights file.
const (
	maxWidth  = 4096
	maxSteps  = 64
	maxLayers = 64
)

// sqrtHalf scales the residual sums of the GLU layers, so that the
// variance of a sum of two about independent terms stays that of one.
const sqrtHalf = float32(math.Sqrt2 / 2)

// Config is TabNet, with PyTorch Tabular's field names. Zero fields take
// the defaults; the layer counts and the sparsity weight are pointers
// because their zero is a value one may want.
//
// PyTorch Tabular's grouped_features is not supported: the masks weigh
// each column of the embedded row, see [Backbone].
type Config struct {
	// DecisionWidth is the width of each step's decision output and of
	// the backbone's output (n_d, default 8).
	DecisionWidth int `json:"n_d,omitempty" yaml:"n_d,omitempty"`
	// AttentionWidth is the width of the output each step passes to the
	// next step's attentive transformer (n_a, default 8).
	AttentionWidth int `json:"n_a,omitempty" yaml:"n_a,omitempty"`
	// Steps is the number of decision steps (n_steps, default 3).
	Steps int `json:"n_steps,omitempty" yaml:"n_steps,omitempty"`
	// Gamma, at least 1, is how much a column a step attended to may still
	// be used by the later ones: 1 lets each column be used by one step
	// only (gamma, default 1.3).
	Gamma float64 `json:"gamma,omitempty" yaml:"gamma,omitempty"`
	// Independent is the number of GLU layers of each feature transformer
	// of its own (n_independent, default 2).
	Independent *int `json:"n_independent,omitempty" yaml:"n_independent,omitempty"`
	// Shared is the number of GLU layers whose weights the feature
	// transformers share (n_shared, default 2). Independent and Shared
	// cannot both be 0.
	Shared *int `json:"n_shared,omitempty" yaml:"n_shared,omitempty"`
	// VirtualBatchSize is the number of rows each ghost batch norm
	// normalises together (virtual_batch_size, default 128).
	VirtualBatchSize int `json:"virtual_batch_size,omitempty" yaml:"virtual_batch_size,omitempty"`
	// MaskType is the function that turns the attention into masks:
	// "sparsemax", or "entmax" for 1.5-entmax, which also gives exact
	// zeros but whose derivative is continuous (mask_type, default
	// "sparsemax").
	MaskType string `json:"mask_type,omitempty" yaml:"mask_type,omitempty"`
	// LambdaSparse weighs the sparsity loss (lambda_sparse, default 1e-3,
	// pytorch-tabnet's default). PyTorch Tabular has no such field: its
	// TabNet drops the sparsity loss that pytorch-tabnet's network
	// returns, as 0 does here.
	LambdaSparse *float64 `json:"lambda_sparse,omitempty" yaml:"lambda_sparse,omitempty"`
}

// Name implements [models.BackboneConfig].
func (c Config) Name() string { return Name }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.DecisionWidth == 0 {
		c.DecisionWidth = DefaultDecisionWidth
	}
	if c.AttentionWidth == 0 {
		c.AttentionWidth = DefaultAttentionWidth
	}
	if c.Steps == 0 {
		c.Steps = DefaultSteps
	}
	if c.Gamma == 0 {
		c.Gamma = DefaultGamma
	}
	if c.Independent == nil {
		c.Independent = new(DefaultIndependent)
	}
	if c.Shared == nil {
		c.Shared = new(DefaultShared)
	}
	if c.VirtualBatchSize == 0 {
		c.VirtualBatchSize = DefaultVirtualBatchSize
	}
	if c.MaskType == "" {
		c.MaskType = DefaultMaskType
	}
	if c.LambdaSparse == nil {
		c.LambdaSparse = new(float64(DefaultLambdaSparse))
	}
	return c
}

// Validate implements [models.BackboneConfig].
func (c Config) Validate() error {
	c = c.WithDefaults()
	for _, f := range []struct {
		name      string
		v, lo, hi int
	}{
		{"n_d", c.DecisionWidth, 1, maxWidth},
		{"n_a", c.AttentionWidth, 1, maxWidth},
		{"n_steps", c.Steps, 1, maxSteps},
		{"n_independent", *c.Independent, 0, maxLayers},
		{"n_shared", *c.Shared, 0, maxLayers},
	} {
		if f.v < f.lo || f.v > f.hi {
			return fmt.Errorf("tabnet: %s %d: want %d..%d", f.name, f.v, f.lo, f.hi)
		}
	}
	if *c.Independent == 0 && *c.Shared == 0 {
		return fmt.Errorf("tabnet: n_independent and n_shared are both 0: want at least one GLU layer per feature transformer")
	}
	if !(c.Gamma >= 1) || math.IsInf(c.Gamma, 0) {
		return fmt.Errorf("tabnet: gamma %v: want a finite number ≥ 1", c.Gamma)
	}
	if c.VirtualBatchSize < 1 {
		return fmt.Errorf("tabnet: virtual_batch_size %d: want at least 1", c.VirtualBatchSize)
	}
	if _, err := c.selector(); err != nil {
		return err
	}
	if l := *c.LambdaSparse; !(l >= 0) || math.IsInf(l, 0) {
		return fmt.Errorf("tabnet: lambda_sparse %v: want a finite weight ≥ 0", l)
	}
	return nil
}

// selector returns a new module of the mask type: the function that
// turns each row of an attentive transformer's output into a mask.
func (c Config) selector() (nn.Module, error) {
	switch strings.ToLower(c.MaskType) {
	case "sparsemax":
		return &nn.Sparsemax{}, nil
	case "entmax":
		return &nn.Entmax15{}, nil
	}
	return nil, fmt.Errorf("tabnet: mask_type %q: want \"sparsemax\" or \"entmax\"", c.MaskType)
}

// Size implements [models.BackboneConfig].
func (c Config) Size(in models.Input) (params, outDim int) {
	c = c.WithDefaults()
	n, nd, na := in.Width, c.DecisionWidth, c.AttentionWidth
	h := nd + na
	shared, indep := *c.Shared, *c.Independent
	bn := func(w int) int { return 4 * w } // weight, bias, running mean and variance
	params = bn(n)
	// The shared weights, once; each feature transformer's batch norms of
	// the shared layers, and its own layers.
	perTransformer := shared * bn(2*h)
	for k := range indep {
		in := h
		if k == 0 && shared == 0 {
			in = n
		}
		perTransformer += in*2*h + bn(2*h)
	}
	for k := range shared {
		in := h
		if k == 0 {
			in = n
		}
		params += in * 2 * h
	}
	params += (c.Steps + 1) * perTransformer
	params += c.Steps * (na*n + bn(n)) // the attentive transformers
	return params, nd
}

// StageWidths implements [models.StagedConfig]: each step is a stage,
// n_d wide.
func (c Config) StageWidths(models.Input) []int {
	c = c.WithDefaults()
	w := make([]int, c.Steps)
	for i := range w {
		w[i] = c.DecisionWidth
	}
	return w
}

// Backbone is the built TabNet.
//
// Its masks weigh the columns of the embedded row, each of a categorical
// feature's embedding columns on its own, where PyTorch Tabular's (which
// embeds inside TabNet) give a feature's columns one weight together:
// the backbone sees a row, not the features it came from.
type Backbone struct {
	InputBN *nn.BatchNorm1d
	// Shared holds the weights of the shared GLU layers.
	Shared   []*nn.Param
	splitter []*gluLayer
	steps    []*step

	n, nd, na int
	gamma     float32
	lambda    float64
	params    []*nn.Param

	// The forward pass's values: the input after its batch norm, whether
	// the pass was in training, the weighted sparsity loss, and the step
	// whose rows the row passes below work on.
	x0       *tensor.Mat
	train    bool
	sparsity float64
	cur      int

	// Backward: the gradient of x₀, which every step adds to, what the
	// step after the current one passed back (the gradient of its
	// attention input and of its prior; nil for the last step), the
	// splitter's output gradient, and the factor of the sparsity
	// gradient.
	dx0               *tensor.Mat
	dAttNext, dPriorN *tensor.Mat
	dSplit            *tensor.Mat
	sparseGrad        float32
	// What the current step's backward row passes read besides the
	// step's buffers: its decision sum's gradient and its masked input's.
	dResCur, dMasked *tensor.Mat

	// The row passes of the current step on the worker pool, made once (a
	// method value allocates).
	fwdPrior, fwdMask, bwdOut, bwdMask, bwdAtt rowFunc
}

// gluLayer is one layer of a feature transformer: x·W, ghost batch norm,
// GLU, and for all but a transformer's first the residual sum
// (x + GLU(·))·√½.
type gluLayer struct {
	w        *nn.Param
	ownsW    bool // false for a shared layer's weights, listed once by the backbone
	bn       *nn.GhostBatchNorm
	glu      *nn.GLU
	residual bool

	x, z, out  *tensor.Mat // the input, x·W, and the residual sum
	dg, dx     *tensor.Mat
	outWidth   int
	inputWidth int
}

func newGLULayer(name string, w *nn.Param, owns bool, vbs int, residual bool) *gluLayer {
	return &gluLayer{w: w, ownsW: owns, bn: nn.NewGhostBatchNorm(name+".bn", w.Value.Cols, vbs, ghostMomentum),
		glu: nn.NewGLU(), residual: residual, outWidth: w.Value.Cols / 2, inputWidth: w.Value.Rows}
}

func (l *gluLayer) params() []*nn.Param {
	var ps []*nn.Param
	if l.ownsW {
		ps = append(ps, l.w)
	}
	return append(ps, l.bn.Params()...)
}

func (l *gluLayer) forward(x *tensor.Mat, train bool) *tensor.Mat {
	l.x = x
	l.z = tensor.Ensure(l.z, x.Rows, l.w.Value.Cols)
	tensor.Gemm(false, false, 1, x, l.w.Value, 0, l.z)
	g := l.glu.Forward(l.bn.Forward(l.z, train), train)
	if !l.residual {
		return g
	}
	l.out = tensor.Ensure(l.out, x.Rows, l.outWidth)
	for i := range x.Rows {
		xr, gr, or := x.Row(i), g.Row(i), l.out.Row(i)
		for j := range or {
			or[j] = (xr[j] + gr[j]) * sqrtHalf
		}
	}
	return l.out
}

// backward takes the output's gradient dy to the input's, adding to W's.
// The residual sum passes √½·dy to both its terms.
func (l *gluLayer) backward(dy *tensor.Mat) *tensor.Mat {
	d := dy
	if l.residual {
		l.dg = tensor.Ensure(l.dg, dy.Rows, dy.Cols)
		for i := range dy.Rows {
			yr, gr := dy.Row(i), l.dg.Row(i)
			for j, v := range yr {
				gr[j] = v * sqrtHalf
			}
		}
		d = l.dg
	}
	dz := l.bn.Backward(l.glu.Backward(d))
	tensor.Gemm(true, false, 1, l.x, dz, 1, l.w.Grad)
	l.dx = tensor.Ensure(l.dx, dy.Rows, l.inputWidth)
	beta := float32(0)
	if l.residual {
		l.dx.CopyFrom(l.dg)
		beta = 1
	}
	tensor.Gemm(false, true, 1, dz, l.w.Value, beta, l.dx)
	return l.dx
}

// transformerForward runs a feature transformer's layers over x.
func transformerForward(layers []*gluLayer, x *tensor.Mat, train bool) *tensor.Mat {
	for _, l := range layers {
		x = l.forward(x, train)
	}
	return x
}

// transformerBackward takes a feature transformer's output gradient to its
// input's.
func transformerBackward(layers []*gluLayer, d *tensor.Mat) *tensor.Mat {
	for k := len(layers) - 1; k >= 0; k-- {
		d = layers[k].backward(d)
	}
	return d
}

// step is one decision step: its attentive transformer (A, its ghost
// batch norm, prior, sparsemax or entmax) and its feature transformer.
type step struct {
	att   *nn.Param // n_a × n
	attBN *nn.GhostBatchNorm
	sel   nn.Module // sparsemax or entmax
	ft    []*gluLayer

	// The forward pass's values: the attention input a_s (a view of the
	// previous transformer's output), a_s·A_s, its batch norm g, the
	// selector's input P_s⊙g (g itself for the first step, whose prior is
	// 1), the mask, the next step's prior, the masked input, the feature
	// transformer's output [d_s | a_{s+1}], the running sum of the
	// decisions, and each row's mask entropy.
	attIn   tensor.Mat
	a, g, z *tensor.Mat
	m       *tensor.Mat
	prior   *tensor.Mat
	masked  *tensor.Mat
	out     *tensor.Mat
	res     *tensor.Mat
	entropy []float64

	// Backward: the transformer's output gradient, the mask's, the
	// selector input's (sel's), the batch norm output's, and what the
	// step passes back: its prior's gradient and its attention input's.
	dOut, dM, dz, dG *tensor.Mat
	dPrior, dAttIn   *tensor.Mat
	dRes             *tensor.Mat // a stage's copy of its output gradient
}

func (s *step) params() []*nn.Param {
	ps := []*nn.Param{s.att}
	ps = append(ps, s.attBN.Params()...)
	for _, l := range s.ft {
		ps = append(ps, l.params()...)
	}
	return ps
}

// Build implements [models.BackboneConfig]. The weights start as
// pytorch-tabnet's: Glorot-normal with its gains, which give a GLU layer
// reading k columns a standard deviation of √(2/√k), and an attentive
// transformer's Linear 1/n_a^¼; no layer has a bias, each being followed
// by a batch norm.
func (c Config) Build(prefix string, in models.Input, rng *rand.Rand) (models.Backbone, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := in.Width
	if n < 1 {
		return nil, fmt.Errorf("tabnet: %d input columns: want at least 1", n)
	}
	c = c.WithDefaults()
	nd, na := c.DecisionWidth, c.AttentionWidth
	h := nd + na
	vbs := c.VirtualBatchSize
	b := &Backbone{n: n, nd: nd, na: na, gamma: float32(c.Gamma), lambda: *c.LambdaSparse,
		InputBN: nn.NewBatchNorm1d(prefix+".initial_bn", n)}
	b.InputBN.Momentum = inputMomentum
	glorot := func(name string, rows, cols int, std float64) *nn.Param {
		p := nn.NewParam(name, rows, cols)
		for i := range p.Value.Data {
			p.Value.Data[i] = float32(rng.NormFloat64() * std)
		}
		return p
	}
	gluStd := func(in int) float64 { return math.Sqrt(2 / math.Sqrt(float64(in))) }
	for k := range *c.Shared {
		width := h
		if k == 0 {
			width = n
		}
		b.Shared = append(b.Shared, glorot(fmt.Sprintf("%s.shared.%d.fc.weight", prefix, k), width, 2*h, gluStd(width)))
	}
	transformer := func(name string) []*gluLayer {
		var layers []*gluLayer
		for k, w := range b.Shared {
			layers = append(layers, newGLULayer(fmt.Sprintf("%s.glu_layers.%d", name, k), w, false, vbs, k > 0))
		}
		for range *c.Independent {
			k := len(layers)
			width := h
			if k == 0 {
				width = n
			}
			lname := fmt.Sprintf("%s.glu_layers.%d", name, k)
			w := glorot(lname+".fc.weight", width, 2*h, gluStd(width))
			layers = append(layers, newGLULayer(lname, w, true, vbs, k > 0))
		}
		return layers
	}
	b.splitter = transformer(prefix + ".initial_splitter")
	for s := range c.Steps {
		sel, err := c.selector()
		if err != nil {
			return nil, err
		}
		st := &step{ft: transformer(fmt.Sprintf("%s.feat_transformers.%d", prefix, s)), sel: sel}
		name := fmt.Sprintf("%s.att_transformers.%d", prefix, s)
		st.att = glorot(name+".fc.weight", na, n, 1/math.Sqrt(math.Sqrt(float64(na))))
		st.attBN = nn.NewGhostBatchNorm(name+".bn", n, vbs, ghostMomentum)
		b.steps = append(b.steps, st)
	}
	b.params = append(b.InputBN.Params(), b.Shared...)
	for _, l := range b.splitter {
		b.params = append(b.params, l.params()...)
	}
	for _, st := range b.steps {
		b.params = append(b.params, st.params()...)
	}
	b.fwdPrior, b.fwdMask = b.forwardPrior, b.forwardMask
	b.bwdOut, b.bwdMask, b.bwdAtt = b.backwardOut, b.backwardMask, b.backwardAttention
	return b, nil
}

// OutDim implements [models.Backbone].
func (b *Backbone) OutDim() int { return b.nd }

// Params implements [nn.Module]: the input's batch norm, the shared
// weights, the initial splitter's layers, then each step's attentive and
// feature transformer.
func (b *Backbone) Params() []*nn.Param { return b.params }

// SparsityLoss returns the weighted sparsity loss of the last forward
// pass in training, λ·(1/S)·Σ_s mean_rows Σ_j −M_sj·log(M_sj + 1e-15): the
// term whose gradient Backward adds. It is 0 when lambda_sparse is, and
// the training loop's reported loss does not include it.
func (b *Backbone) SparsityLoss() float64 { return b.sparsity }

// Mask returns step s's mask of the last forward pass, one row per
// example and one column per input column, each row summing to 1. It is
// the backbone's buffer, overwritten by the next pass.
func (b *Backbone) Mask(s int) *tensor.Mat { return b.steps[s].m }

// rowFunc is a loop over rows [lo, hi) run on the worker pool.
type rowFunc func(lo, hi int)

// Run implements tensor.Task.
func (f rowFunc) Run(lo, hi int) { f(lo, hi) }

// grain is the least number of rows a worker takes for a pass over the
// masks: a few thousand values are worth a worker.
func (b *Backbone) grain() int { return max(1, 4096/b.n) }

// Forward implements [nn.Module].
func (b *Backbone) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	b.begin(x, train)
	var res *tensor.Mat
	for s := range b.steps {
		res = b.stepForward(s, res)
	}
	return res
}

// begin normalises the input and runs the initial splitter, whose
// attention half feeds the first step.
func (b *Backbone) begin(x *tensor.Mat, train bool) {
	if x.Cols != b.n {
		panic(fmt.Sprintf("tabnet: backbone of %d columns given %d", b.n, x.Cols))
	}
	b.train = train
	b.sparsity = 0
	b.x0 = b.InputBN.Forward(x, train)
	split := transformerForward(b.splitter, b.x0, train)
	b.steps[0].attIn.SetColView(split, b.nd, b.nd+b.na)
}

// stepForward runs step s and returns the sum of the decisions up to it,
// prev being the sum before it (nil for the first step).
func (b *Backbone) stepForward(s int, prev *tensor.Mat) *tensor.Mat {
	st, rows, train := b.steps[s], b.x0.Rows, b.train
	if prev != nil && (prev.Rows != rows || prev.Cols != b.nd) {
		panic(fmt.Sprintf("tabnet: step %d given a %d×%d sum for %d rows of %d", s, prev.Rows, prev.Cols, rows, b.nd))
	}
	b.cur = s
	st.a = tensor.Ensure(st.a, rows, b.n)
	tensor.Gemm(false, false, 1, &st.attIn, st.att.Value, 0, st.a)
	st.g = st.attBN.Forward(st.a, train)
	z := st.g
	if s > 0 {
		st.z = tensor.Ensure(st.z, rows, b.n)
		tensor.Parallel(rows, b.grain(), b.fwdPrior)
		z = st.z
	}
	st.m = st.sel.Forward(z, train)
	st.masked = tensor.Ensure(st.masked, rows, b.n)
	if s < len(b.steps)-1 {
		st.prior = tensor.Ensure(st.prior, rows, b.n)
	}
	if b.sparse() {
		if cap(st.entropy) < rows {
			st.entropy = make([]float64, rows)
		}
		st.entropy = st.entropy[:rows]
	}
	tensor.Parallel(rows, b.grain(), b.fwdMask)
	if b.sparse() {
		var sum float64
		for _, e := range st.entropy {
			sum += e
		}
		b.sparsity += b.lambda * sum / float64(rows) / float64(len(b.steps))
	}
	st.out = transformerForward(st.ft, st.masked, train)
	if s < len(b.steps)-1 {
		b.steps[s+1].attIn.SetColView(st.out, b.nd, b.nd+b.na)
	}
	st.res = tensor.Ensure(st.res, rows, b.nd)
	for i := range rows {
		or, rr := st.out.Row(i)[:b.nd], st.res.Row(i)
		if prev == nil {
			for j, v := range or {
				rr[j] = max(v, 0)
			}
			continue
		}
		pr := prev.Row(i)
		for j, v := range or {
			rr[j] = pr[j] + max(v, 0)
		}
	}
	return st.res
}

// sparse reports whether the current pass trains the masks' sparsity.
func (b *Backbone) sparse() bool { return b.train && b.lambda > 0 }

// priorOf returns the prior P_s of step s, nil for the first step's 1.
func (b *Backbone) priorOf(s int) *tensor.Mat {
	if s == 0 {
		return nil
	}
	return b.steps[s-1].prior
}

// forwardPrior multiplies the current step's batch-normed attention by
// its prior: the selector's input.
func (b *Backbone) forwardPrior(lo, hi int) {
	st, p := b.steps[b.cur], b.priorOf(b.cur)
	for i := lo; i < hi; i++ {
		gr, pr, zr := st.g.Row(i), p.Row(i), st.z.Row(i)
		for j, v := range gr {
			zr[j] = v * pr[j]
		}
	}
}

// forwardMask applies the current step's mask to x₀, updates the prior
// for the next step and, in training with a sparsity loss, records each
// row's mask entropy (over the mask's support: a zero weight adds 0).
func (b *Backbone) forwardMask(lo, hi int) {
	s := b.cur
	st, p := b.steps[s], b.priorOf(s)
	last, sparse, gamma := s == len(b.steps)-1, b.sparse(), b.gamma
	for i := lo; i < hi; i++ {
		mr, xr, wr := st.m.Row(i), b.x0.Row(i), st.masked.Row(i)
		for j, m := range mr {
			wr[j] = m * xr[j]
		}
		if !last {
			nr := st.prior.Row(i)
			if p == nil {
				for j, m := range mr {
					nr[j] = gamma - m
				}
			} else {
				pr := p.Row(i)
				for j, m := range mr {
					nr[j] = (gamma - m) * pr[j]
				}
			}
		}
		if sparse {
			var e float64
			for _, m := range mr {
				if m > 0 {
					e -= float64(m) * math.Log(float64(m)+epsilon)
				}
			}
			st.entropy[i] = e
		}
	}
}

// Backward implements [nn.Module]. After a forward pass in training with
// lambda_sparse > 0 it also adds the gradient of the sparsity loss (see
// [Backbone.SparsityLoss]) to the parameters' and the input's, as if the
// loss dy is the gradient of had the sparsity loss added to it: the
// [models.Backbone] interface has no loss of a backbone's own to add it
// to. The network's losses are means over the batch, as the sparsity loss
// is, so lambda_sparse weighs it against them as pytorch-tabnet's does
// against its task loss.
func (b *Backbone) Backward(dy *tensor.Mat) *tensor.Mat {
	b.beginBackward(dy.Rows)
	for s := len(b.steps) - 1; s >= 0; s-- {
		b.stepBackward(s, dy)
	}
	return b.endBackward()
}

// beginBackward clears the gradient of x₀, which every step adds to.
func (b *Backbone) beginBackward(rows int) {
	if rows != b.x0.Rows {
		panic(fmt.Sprintf("tabnet: backward pass of %d rows after a forward pass of %d", rows, b.x0.Rows))
	}
	b.dx0 = tensor.Ensure(b.dx0, rows, b.n)
	b.dx0.Zero()
	b.dAttNext, b.dPriorN = nil, nil
	b.sparseGrad = 0
	if b.sparse() {
		b.sparseGrad = float32(b.lambda / float64(len(b.steps)) / float64(rows))
	}
}

// stepBackward takes the gradient dres of the sum of the decisions up to
// step s (which is also that of step s's own ReLU(d_s)) back through step
// s, adding to the gradient of x₀, and leaves for step s−1 the gradients
// of its attention output and of its prior.
func (b *Backbone) stepBackward(s int, dres *tensor.Mat) {
	st, rows := b.steps[s], dres.Rows
	b.cur = s
	st.dOut = tensor.Ensure(st.dOut, rows, b.nd+b.na)
	b.dResCur = dres
	tensor.Parallel(rows, b.grain(), b.bwdOut)
	b.dResCur = nil
	dMasked := transformerBackward(st.ft, st.dOut)
	st.dM = tensor.Ensure(st.dM, rows, b.n)
	if s > 0 {
		st.dPrior = tensor.Ensure(st.dPrior, rows, b.n)
	}
	b.dMasked = dMasked
	tensor.Parallel(rows, b.grain(), b.bwdMask)
	b.dMasked = nil
	st.dz = st.sel.Backward(st.dM)
	dG := st.dz
	if s > 0 {
		st.dG = tensor.Ensure(st.dG, rows, b.n)
		tensor.Parallel(rows, b.grain(), b.bwdAtt)
		dG = st.dG
	}
	da := st.attBN.Backward(dG)
	tensor.Gemm(true, false, 1, &st.attIn, da, 1, st.att.Grad)
	st.dAttIn = tensor.Ensure(st.dAttIn, rows, b.na)
	tensor.Gemm(false, true, 1, da, st.att.Value, 0, st.dAttIn)
	b.dAttNext, b.dPriorN = st.dAttIn, nil
	if s > 0 {
		b.dPriorN = st.dPrior
	}
}

// endBackward takes the first step's attention gradient back through the
// initial splitter and the input's batch norm, and returns the input's
// gradient.
func (b *Backbone) endBackward() *tensor.Mat {
	rows := b.dx0.Rows
	b.dSplit = tensor.Ensure(b.dSplit, rows, b.nd+b.na)
	for i := range rows {
		r := b.dSplit.Row(i)
		clear(r[:b.nd])
		copy(r[b.nd:], b.dAttNext.Row(i))
	}
	d := transformerBackward(b.splitter, b.dSplit)
	for i := range rows {
		tensor.Axpy(1, d.Row(i), b.dx0.Row(i))
	}
	b.dAttNext, b.dPriorN = nil, nil
	return b.InputBN.Backward(b.dx0)
}

// backwardOut fills the current step's transformer output gradient: the
// decision half through its ReLU, the attention half from the next step
// (zero for the last).
func (b *Backbone) backwardOut(lo, hi int) {
	st, nd := b.steps[b.cur], b.nd
	for i := lo; i < hi; i++ {
		or, gr, dr := st.out.Row(i), b.dResCur.Row(i), st.dOut.Row(i)
		for j, v := range or[:nd] {
			if v > 0 {
				dr[j] = gr[j]
			} else {
				dr[j] = 0
			}
		}
		if b.dAttNext == nil {
			clear(dr[nd:])
		} else {
			copy(dr[nd:], b.dAttNext.Row(i))
		}
	}
}

// backwardMask takes the masked input's gradient to the mask's and x₀'s,
// and the next step's prior gradient to this step's mask and prior:
// with W = M⊙x₀ and P' = P⊙(γ−M),
//
//	dM = dW⊙x₀ − dP'⊙P + λ/(S·B)·(−log(M+ε) − M/(M+ε)),  dx₀ += dW⊙M,
//	dP = dP'⊙(γ−M)
//
// the sparsity term on the mask's support only (sparsemax and entmax
// pass no gradient elsewhere).
func (b *Backbone) backwardMask(lo, hi int) {
	s := b.cur
	st, p := b.steps[s], b.priorOf(s)
	gamma, c := b.gamma, b.sparseGrad
	for i := lo; i < hi; i++ {
		wr, mr, xr, dxr, dmr := b.dMasked.Row(i), st.m.Row(i), b.x0.Row(i), b.dx0.Row(i), st.dM.Row(i)
		for j, g := range wr {
			dmr[j] = g * xr[j]
			dxr[j] += g * mr[j]
		}
		if b.dPriorN != nil {
			nr := b.dPriorN.Row(i)
			if p == nil {
				for j, g := range nr {
					dmr[j] -= g
				}
			} else {
				pr, dpr := p.Row(i), st.dPrior.Row(i)
				for j, g := range nr {
					dmr[j] -= g * pr[j]
					dpr[j] = g * (gamma - mr[j])
				}
			}
		} else if p != nil {
			clear(st.dPrior.Row(i))
		}
		if c != 0 {
			for j, m := range mr {
				if m > 0 {
					m64 := float64(m)
					dmr[j] += c * float32(-math.Log(m64+epsilon)-m64/(m64+epsilon))
				}
			}
		}
	}
}

// backwardAttention takes the selector input's gradient, of P⊙g, to g's
// and adds its share to the prior's.
func (b *Backbone) backwardAttention(lo, hi int) {
	st, p := b.steps[b.cur], b.priorOf(b.cur)
	for i := lo; i < hi; i++ {
		zr, pr, gr, dgr, dpr := st.dz.Row(i), p.Row(i), st.g.Row(i), st.dG.Row(i), st.dPrior.Row(i)
		for j, d := range zr {
			dgr[j] = d * pr[j]
			dpr[j] += d * gr[j]
		}
	}
}

// Stages implements [models.Staged]: stage s is decision step s, mapping
// the sum of the decisions before it to the sum up to it; the first stage
// also normalises the input and runs the initial splitter. The steps pass
// their attention and prior to the next through the backbone, so the
// stages must run as a chain, forward from the first and backward from
// the last, as a head reading them all runs them.
func (b *Backbone) Stages() []nn.Module {
	st := make([]nn.Module, len(b.steps))
	for s := range st {
		st[s] = &stage{b: b, s: s}
	}
	return st
}

// stage is one decision step of a Backbone, as a module.
type stage struct {
	b *Backbone
	s int
}

// Forward implements [nn.Module].
func (s *stage) Forward(h *tensor.Mat, train bool) *tensor.Mat {
	if s.s == 0 {
		s.b.begin(h, train)
		return s.b.stepForward(0, nil)
	}
	return s.b.stepForward(s.s, h)
}

// Backward implements [nn.Module]: the gradient of the previous sum is
// that of this one, as the sum adds to it; the first stage returns the
// input's.
func (s *stage) Backward(d *tensor.Mat) *tensor.Mat {
	b := s.b
	if s.s == len(b.steps)-1 {
		b.beginBackward(d.Rows)
	}
	b.stepBackward(s.s, d)
	if s.s == 0 {
		return b.endBackward()
	}
	st := b.steps[s.s]
	st.dRes = tensor.Ensure(st.dRes, d.Rows, d.Cols)
	st.dRes.CopyFrom(d)
	return st.dRes
}

// Params implements [nn.Module]: the step's attentive and feature
// transformers, and for the first stage the input's batch norm, the
// shared weights and the initial splitter.
func (s *stage) Params() []*nn.Param {
	var ps []*nn.Param
	if s.s == 0 {
		ps = append(ps, s.b.InputBN.Params()...)
		ps = append(ps, s.b.Shared...)
		for _, l := range s.b.splitter {
			ps = append(ps, l.params()...)
		}
	}
	return append(ps, s.b.steps[s.s].params()...)
}
