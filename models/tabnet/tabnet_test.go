package tabnet_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/modeltest"
	"github.com/gotabular/gotabular/models/tabnet"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

func build(t *testing.T, c tabnet.Config, in int, rng *rand.Rand) *tabnet.Backbone {
	t.Helper()
	b, err := c.Build("backbone", models.FlatInput(in), rng)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*tabnet.Backbone)
}

type gradCase struct {
	name string
	c    tabnet.Config
}

// The cases cut a batch of 23 rows into ghost batches of 8, 8 and 7 (or
// normalise it whole), and cover every arrangement of the feature
// transformers' layers.
func gradCases() []gradCase {
	return []gradCase{
		{"defaults", tabnet.Config{VirtualBatchSize: 8}},
		{"one step", tabnet.Config{Steps: 1, VirtualBatchSize: 8}},
		{"no shared layers", tabnet.Config{Steps: 2, Shared: new(0), Independent: new(2), VirtualBatchSize: 8}},
		{"shared layers only", tabnet.Config{Shared: new(2), Independent: new(0), VirtualBatchSize: 8}},
		{"one layer each", tabnet.Config{Steps: 2, Shared: new(1), Independent: new(1), DecisionWidth: 4, AttentionWidth: 6}},
		{"gamma one", tabnet.Config{Steps: 3, Gamma: 1, VirtualBatchSize: 8}},
		{"no sparsity loss", tabnet.Config{Steps: 2, LambdaSparse: new(0.0), VirtualBatchSize: 8}},
		{"entmax", tabnet.Config{MaskType: "entmax", VirtualBatchSize: 8}},
	}
}

const rows, cols = 23, 7

// gradOptions are the checks' options: nntest's defaults, a step of 1e-2
// (a smaller one drowns in float32's rounding of the loss) and a
// tolerance of 2%, which a 10% error fails (TestGradientCatchesErrors).
var gradOptions = nntest.Options{Train: true}

// setup builds a case over 7 columns with a sparsity loss heavy enough
// for its gradient to show (unless the case has none), and a batch of 23
// rows. A finite difference across a kink measures no derivative, and
// TabNet has many: sparsemax's, wherever a column enters or leaves a
// mask's support, and the decisions' ReLUs; its batch norms over a few
// rows make it steep enough that a step of the check would cross some at
// a random point. So the check runs where no step crosses one (see
// smoothPoint).
func setup(t *testing.T, c tabnet.Config) (*tabnet.Backbone, *tensor.Mat) {
	t.Helper()
	if c.LambdaSparse == nil {
		c.LambdaSparse = new(0.5)
	}
	b := build(t, c, cols, rand.New(rand.NewPCG(3, 1)))
	smoothPoint(t, b, c.WithDefaults())
	x := nntest.Rand(rand.New(rand.NewPCG(4, 4)), rows, cols)
	return b, x
}

// Each GLU layer's weights feed a batch norm, which divides their scale
// out: scaling them changes nothing forward, divides their gradient by the
// factor and the loss's curvature along them by its square. smoothPoint
// scales the feature transformers' weights up, so that a step of the
// check sees the loss bend less along them, and the initial splitter's
// own down, so that their gradients, which reach the loss only through
// the masks (which the smooth point makes little sensitive), are large
// enough for a 10% error to show.
const (
	transformerScale = 3
	splitterScale    = 0.3
)

// smoothPoint moves the backbone to a point where no decision's ReLU and
// no mask's support changes within a step of the check:
//
// Each GLU layer's batch norm shifts the values it gates by +4 on the
// decision channels, and by −4 on the first: the GLU outputs of those
// channels, and their residual sums, keep their sign in every row, so
// each ReLU passes its input, or blocks it, throughout.
//
// Each step's mask keeps two columns in every row: column 0, which every
// step keeps so that the prior matters, at a weight near 0.35, and column
// s+1 at a weight near 0.65. Each attentive transformer's batch norm
// outputs about −1 for the columns left out, and for the two kept
// (0.85 + 0.1·x̂)/P and (1.15 + 0.1·x̂)/P, P being the column's prior,
// about (γ−0.35)^s for column 0 and γ^s for column s+1, which it
// multiplies back. The normalised values x̂ of ghost batches of 8 rows
// are within ±2.65, and sparsemax keeps both columns while their inputs
// differ by less than 1: the gap to a kink is far wider than a step of
// the check moves them. (1.5-entmax, whose derivative is continuous, puts
// about 0.4 and 0.6 on them, and the columns left out are as far from its
// threshold.)
func smoothPoint(t *testing.T, b *tabnet.Backbone, c tabnet.Config) {
	t.Helper()
	byName := map[string]*nn.Param{}
	for _, p := range b.Params() {
		byName[p.Name] = p
		if strings.Contains(p.Name, ".glu_layers.") || strings.HasPrefix(p.Name, "backbone.shared.") {
			scale := float32(transformerScale)
			if strings.Contains(p.Name, ".initial_splitter.") {
				scale = splitterScale
			}
			if strings.HasSuffix(p.Name, ".fc.weight") {
				for i := range p.Value.Data {
					p.Value.Data[i] *= scale
				}
			}
		}
		if strings.Contains(p.Name, ".glu_layers.") && strings.HasSuffix(p.Name, ".bn.bias") {
			for j := range c.DecisionWidth {
				p.Value.Data[j] = 4
			}
			p.Value.Data[0] = -4
		}
	}
	gamma := c.Gamma
	for s := 0; ; s++ {
		name := fmt.Sprintf("backbone.att_transformers.%d", s)
		w, ok := byName[name+".bn.weight"]
		if !ok {
			if s == 0 {
				t.Fatal("no attentive transformer's batch norm")
			}
			return
		}
		bias := byName[name+".bn.bias"]
		w.Value.Fill(0.1)
		bias.Value.Fill(-1)
		for _, k := range []struct {
			col      int
			z, prior float64
		}{{0, 0.85, math.Pow(gamma-0.35, float64(s))}, {s + 1, 1.15, math.Pow(gamma, float64(s))}} {
			w.Value.Data[k.col] = float32(0.1 / k.prior)
			bias.Value.Data[k.col] = float32(k.z / k.prior)
		}
	}
}

// withSparsity is the scalar Σ y⊙r of m's output y, with r a fixed
// random matrix as in nntest.CheckModule, plus b's sparsity loss, whose
// gradient b's Backward adds: m's gradient is that of the sum. m is b or
// a module running b.
func withSparsity(b *tabnet.Backbone, m nn.Module, opt nntest.Options) nntest.Func {
	f := nntest.ModuleFunc(m, opt)
	forward := f.Forward
	f.Forward = func(x *tensor.Mat) float64 { return forward(x) + b.SparsityLoss() }
	return f
}

// sparsityOnly is the sparsity loss alone: the output's gradient is zero,
// so every gradient the check sees comes from the sparsity term.
func sparsityOnly(b *tabnet.Backbone, opt nntest.Options) nntest.Func {
	var zero *tensor.Mat
	return nntest.Func{
		Forward: func(x *tensor.Mat) float64 {
			y := b.Forward(x, opt.Train)
			zero = tensor.Ensure(zero, y.Rows, y.Cols)
			zero.Zero()
			return b.SparsityLoss()
		},
		Backward: func() *tensor.Mat { return b.Backward(zero) },
		Params:   b.Params(),
	}
}

func TestGradient(t *testing.T) {
	opt := gradOptions
	for _, tt := range gradCases() {
		t.Run(tt.name, func(t *testing.T) {
			b, x := setup(t, tt.c)
			nntest.Check(t, withSparsity(b, b, opt), x, opt)
		})
	}
	// In evaluation the batch norms use their running statistics and the
	// sparsity loss is not trained.
	t.Run("evaluation", func(t *testing.T) {
		b, x := setup(t, tabnet.Config{Steps: 2, VirtualBatchSize: 8})
		// Running statistics near the batch's, for the point to be as
		// smooth as in training.
		for range 500 {
			b.Forward(x, true)
		}
		nntest.CheckModule(t, b, x, nntest.Options{})
		if l := b.SparsityLoss(); l != 0 {
			t.Errorf("sparsity loss %v after an evaluation pass, want 0", l)
		}
	})
}

// The sparsity loss's own gradient, checked alone, with a weight of 20.
// It reaches the rest of the network through the attentive transformers'
// batch norms, which shift and scale the sparsemax inputs, scaled down 10
// times at the smooth point; theirs are the gradients large enough for a
// 10% error to show.
func TestSparsityGradient(t *testing.T) {
	for _, tt := range gradCases() {
		if tt.c.LambdaSparse != nil {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			tt.c.LambdaSparse = new(20.0)
			b, x := setup(t, tt.c)
			f := sparsityOnly(b, gradOptions)
			nntest.Check(t, f, x, gradOptions)
			if tt.name != "defaults" {
				return
			}
			f.Params = slices.DeleteFunc(nn.Trainable(f.Params), func(p *nn.Param) bool {
				return !strings.Contains(p.Name, ".att_transformers.") || !strings.Contains(p.Name, ".bn.")
			})
			backward := f.Backward
			f.Backward = func() *tensor.Mat { backward(); return nil }
			checkCatches(t, f, x)
		})
	}
}

// The checks above fail a gradient made 10% too large, of the input and
// of each parameter, in every arrangement of the layers (the other cases
// have the same parameters as the defaults; nn's tests show that the
// entmax check catches an error in its own gradient).
func TestGradientCatchesErrors(t *testing.T) {
	for _, tt := range gradCases() {
		if !slices.Contains([]string{"defaults", "no shared layers", "shared layers only", "one layer each"}, tt.name) {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			b, x := setup(t, tt.c)
			checkCatches(t, withSparsity(b, b, gradOptions), x)
		})
	}
}

// checkCatches runs nntest.CheckCatches on f for each parameter in turn,
// as if it were f's only one: a check then compares that parameter's
// gradient and the input's, not every parameter's, which for TabNet's
// dozens of parameters is the difference between seconds and minutes.
// 16 elements of each are enough to see a 10% error.
func checkCatches(t *testing.T, f nntest.Func, x *tensor.Mat) {
	t.Helper()
	opt := gradOptions
	for _, p := range nn.Trainable(f.Params) {
		one := f
		one.Params = []*nn.Param{p}
		nntest.CheckCatches(t, one, x, opt)
	}
}

// The sparsity loss is the masks' mean entropy times lambda_sparse: it is
// positive, and it falls as the masks concentrate. With each mask a
// distribution over the columns, it is at most λ·log(columns).
func TestSparsityLoss(t *testing.T) {
	b, x := setup(t, tabnet.Config{Steps: 2, LambdaSparse: new(0.1)})
	b.Forward(x, true)
	l := b.SparsityLoss()
	if !(l > 0 && l <= 0.1*math.Log(cols)+1e-6) {
		t.Fatalf("sparsity loss %v, want in (0, λ·log %d]", l, cols)
	}
	var want float64
	for s := range 2 {
		m := b.Mask(s)
		for i := range m.Rows {
			var sum float64
			for _, v := range m.Row(i) {
				if v < 0 {
					t.Fatalf("mask weight %v", v)
				}
				sum += float64(v)
				if v > 0 {
					want -= float64(v) * math.Log(float64(v))
				}
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Errorf("step %d row %d: mask sums to %v", s, i, sum)
			}
		}
	}
	want *= 0.1 / 2 / rows
	if math.Abs(l-want) > 1e-6 {
		t.Errorf("sparsity loss %v, want %v", l, want)
	}

	// A step of gradient descent on the sparsity loss alone lowers it:
	// the sign is that of a penalty on the entropy.
	f := sparsityOnly(b, nntest.Options{Train: true})
	ps := nn.Trainable(b.Params())
	before := f.Forward(x)
	nn.ZeroGrad(ps)
	f.Backward()
	for _, p := range ps {
		for i, g := range p.Grad.Data {
			p.Value.Data[i] -= 0.5 * g
		}
	}
	if after := f.Forward(x); !(after < before) {
		t.Errorf("a descent step moved the sparsity loss from %v to %v", before, after)
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    tabnet.Config
		in   int
	}{
		{"defaults", tabnet.Config{}, 30},
		{"no shared layers", tabnet.Config{Shared: new(0), Independent: new(3)}, 5},
		{"shared layers only", tabnet.Config{Shared: new(1), Independent: new(0), Steps: 5}, 5},
		{"wide", tabnet.Config{DecisionWidth: 16, AttentionWidth: 4, Steps: 2}, 12},
		{"one input", tabnet.Config{Steps: 1}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := build(t, tt.c, tt.in, rand.New(rand.NewPCG(1, 1)))
			params, out := tt.c.Size(models.FlatInput(tt.in))
			if got := nn.Size(b.Params()); got != params {
				t.Errorf("Size says %d values, the backbone has %d", params, got)
			}
			nd := tt.c.WithDefaults().DecisionWidth
			if out != nd || b.OutDim() != nd {
				t.Errorf("widths: Size %d, backbone %d; want n_d, %d", out, b.OutDim(), nd)
			}
			y := b.Forward(nntest.Rand(rand.New(rand.NewPCG(2, 2)), 3, tt.in), true)
			if y.Rows != 3 || y.Cols != nd {
				t.Errorf("output %d×%d, want 3×%d", y.Rows, y.Cols, nd)
			}
			seen := map[string]bool{}
			for _, p := range b.Params() {
				if seen[p.Name] {
					t.Errorf("parameter %s listed twice", p.Name)
				}
				seen[p.Name] = true
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c := tabnet.Config{}.WithDefaults()
	if c.DecisionWidth != 8 || c.AttentionWidth != 8 || c.Steps != 3 || c.Gamma != 1.3 || *c.Independent != 2 || *c.Shared != 2 ||
		c.VirtualBatchSize != 128 || c.MaskType != "sparsemax" || *c.LambdaSparse != 1e-3 {
		t.Errorf("defaults %+v", c)
	}
	// Values set, zeros of the pointer fields included, are kept.
	set := tabnet.Config{DecisionWidth: 4, Steps: 5, Gamma: 1.5, Independent: new(0), Shared: new(1), LambdaSparse: new(0.0)}.WithDefaults()
	if set.DecisionWidth != 4 || set.Steps != 5 || set.Gamma != 1.5 || *set.Independent != 0 || *set.Shared != 1 || *set.LambdaSparse != 0 {
		t.Errorf("set values changed: %+v", set)
	}
	// The registry's defaults are these.
	r, err := models.NewBackbone("tabnet")
	if err != nil {
		t.Fatal(err)
	}
	if p1, _ := r.Size(models.FlatInput(9)); p1 != func() int { p, _ := c.Size(models.FlatInput(9)); return p }() {
		t.Error("the registry's TabNet is not the defaults")
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    tabnet.Config
		err  string // "" when valid
	}{
		{"defaults", tabnet.Config{}, ""},
		{"gamma one", tabnet.Config{Gamma: 1}, ""},
		{"no shared layers", tabnet.Config{Shared: new(0)}, ""},
		{"no independent layers", tabnet.Config{Independent: new(0)}, ""},
		{"no sparsity loss", tabnet.Config{LambdaSparse: new(0.0)}, ""},
		{"mask type in capitals", tabnet.Config{MaskType: "Sparsemax"}, ""},
		{"negative steps", tabnet.Config{Steps: -1}, "n_steps -1"},
		{"too many steps", tabnet.Config{Steps: 1000}, "n_steps 1000"},
		{"gamma below one", tabnet.Config{Gamma: 0.9}, "gamma 0.9"},
		{"gamma NaN", tabnet.Config{Gamma: math.NaN()}, "gamma NaN"},
		{"gamma infinite", tabnet.Config{Gamma: math.Inf(1)}, "gamma +Inf"},
		{"negative n_d", tabnet.Config{DecisionWidth: -3}, "n_d -3"},
		{"huge n_a", tabnet.Config{AttentionWidth: 1 << 20}, "n_a 1048576"},
		{"negative n_independent", tabnet.Config{Independent: new(-1)}, "n_independent -1"},
		{"negative n_shared", tabnet.Config{Shared: new(-2)}, "n_shared -2"},
		{"no layers", tabnet.Config{Shared: new(0), Independent: new(0)}, "n_independent and n_shared are both 0"},
		{"negative virtual batch", tabnet.Config{VirtualBatchSize: -5}, "virtual_batch_size -5"},
		{"entmax", tabnet.Config{MaskType: "entmax"}, ""},
		{"unknown mask type", tabnet.Config{MaskType: "softmax"}, `mask_type "softmax": want "sparsemax" or "entmax"`},
		{"negative lambda", tabnet.Config{LambdaSparse: new(-0.1)}, "lambda_sparse -0.1"},
		{"lambda NaN", tabnet.Config{LambdaSparse: new(math.NaN())}, "lambda_sparse NaN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if tt.err == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Validate: %v, want an error about %s", err, tt.err)
			}
			if _, err := tt.c.Build("b", models.FlatInput(3), rand.New(rand.NewPCG(1, 1))); err == nil {
				t.Error("Build accepted the config")
			}
		})
	}
	if _, err := (tabnet.Config{}).Build("b", models.FlatInput(0), rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Build accepted zero input columns")
	}
}

// A config goes through JSON and through the registry by name and comes
// back equal, zero values of the pointer fields included; the JSON names
// are PyTorch Tabular's.
func TestJSONRoundTrip(t *testing.T) {
	c := tabnet.Config{DecisionWidth: 16, AttentionWidth: 4, Steps: 5, Gamma: 1.5, Independent: new(0), Shared: new(1),
		VirtualBatchSize: 64, MaskType: "sparsemax", LambdaSparse: new(0.0)}
	b1, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"n_d":16`, `"n_a":4`, `"n_steps":5`, `"gamma":1.5`, `"n_independent":0`, `"n_shared":1`,
		`"virtual_batch_size":64`, `"mask_type":"sparsemax"`, `"lambda_sparse":0`} {
		if !strings.Contains(string(b1), k) {
			t.Errorf("JSON %s lacks %s", b1, k)
		}
	}
	var back tabnet.Config
	if err := json.Unmarshal(b1, &back); err != nil {
		t.Fatal(err)
	}
	if b2, _ := json.Marshal(back); string(b2) != string(b1) {
		t.Errorf("JSON round trip: %s, want %s", b2, b1)
	}
	for _, c := range []tabnet.Config{c, {}} {
		raw, err := models.MarshalBackbone(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := models.UnmarshalBackbone(raw)
		if err != nil {
			t.Fatal(err)
		}
		b1, _ := json.Marshal(c)
		b2, _ := json.Marshal(got)
		if string(b1) != string(b2) {
			t.Errorf("registry round trip: %s, want %s", b2, b1)
		}
	}
	if _, err := models.UnmarshalBackbone([]byte(`{"name":"TabNet","config":{"mask_type":"softmax"}}`)); err == nil ||
		!strings.Contains(err.Error(), "mask_type") {
		t.Errorf("a softmax config decoded with error %v", err)
	}
}

// In evaluation the batch norms use their running statistics: a row's
// output does not depend on the rows beside it, and the pass changes no
// statistic.
func TestEvaluationMode(t *testing.T) {
	b, x := setup(t, tabnet.Config{Steps: 2, VirtualBatchSize: 8})
	for range 3 {
		b.Forward(x, true)
	}
	state := map[string][]float32{}
	for _, p := range b.Params() {
		if !p.Trainable() {
			state[p.Name] = append([]float32(nil), p.Value.Data...)
		}
	}
	whole := b.Forward(x, false).Clone()
	for _, p := range b.Params() {
		if want, ok := state[p.Name]; ok {
			for i, v := range p.Value.Data {
				if v != want[i] {
					t.Fatalf("%s changed in evaluation", p.Name)
				}
			}
		}
	}
	one := b.Forward(x.RowView(3, 4), false)
	for j, v := range one.Row(0) {
		if d := math.Abs(float64(v - whole.At(3, j))); d > 1e-5 {
			t.Fatalf("row 3 alone gives %v, in the batch %v", one.Row(0), whole.Row(3))
		}
	}
}

// A training step at the default size allocates nothing once the
// buffers are sized, and neither does a smaller last batch.
func TestStepAllocations(t *testing.T) {
	const in = 30
	modeltest.StepAllocations(t, build(t, tabnet.Config{}, in, rand.New(rand.NewPCG(5, 5))), in)
}

// The stages chain from input to output: running them in turn gives the
// backbone's output, their widths are those StageWidths promises, and
// they hold the backbone's parameters.
func TestStages(t *testing.T) {
	c := tabnet.Config{Steps: 3, VirtualBatchSize: 8}
	b := build(t, c, 5, rand.New(rand.NewPCG(1, 1)))
	x := nntest.Rand(rand.New(rand.NewPCG(2, 2)), 6, 5)
	widths := c.StageWidths(models.FlatInput(5))
	if len(widths) != 3 {
		t.Fatalf("StageWidths lists %d stages, want 3", len(widths))
	}
	modeltest.Stages(t, b, widths, x)
}

func TestDeepFeaturesGradient(t *testing.T) {
	b, x := setup(t, tabnet.Config{Steps: 2, VirtualBatchSize: 8})
	m := modeltest.NewDeepHead(t, b, cols, true)
	if m.Width() != 2*8+cols {
		t.Fatalf("the head reads %d columns, want 2 steps of 8 and the input of %d", m.Width(), cols)
	}
	f := withSparsity(b, m, gradOptions)
	nntest.Check(t, f, x, gradOptions)
	checkCatches(t, f, x)
}

// A supervised network's size, known before it is built (as loading
// checks it), is what it holds, with the head reading the output or every
// stage and the input.
func TestSupervisedSize(t *testing.T) {
	modeltest.SupervisedSize(t, tabnet.Config{Steps: 2})
}
