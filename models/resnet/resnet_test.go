package resnet_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/modeltest"
	"github.com/gotabular/gotabular/models/resnet"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
)

func build(t *testing.T, c resnet.Config, in int, seed uint64) models.Backbone {
	t.Helper()
	b, err := c.Build("backbone", models.FlatInput(in), rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gradCases are small ResNets whose whole gradient, batch norms and
// dropouts included, is checked against finite differences.
func gradCases() []struct {
	name string
	c    resnet.Config
} {
	return []struct {
		name string
		c    resnet.Config
	}{
		{"no dropout", resnet.Config{Blocks: 2, Main: 6, Hidden: 9, HiddenDropout: new(0.0)}},
		{"both dropouts", resnet.Config{Blocks: 2, Main: 6, Hidden: 9, HiddenDropout: new(0.3), ResidualDropout: new(0.2)}},
		{"one block", resnet.Config{Blocks: 1, Main: 5, Hidden: 4, HiddenDropout: new(0.0)}},
	}
}

// gradOptions reseeds the dropout masks before every pass; the source is
// the one the backbone was built with. The step is small because each
// batch norm mixes all rows, so that a step crossing one ReLU's kink in
// any row spoils the differences of every weight before it; at 1e-4 the
// float32 rounding of the loss stays well within the tolerance.
func gradOptions(src *rand.PCG, seed uint64) nntest.Options {
	return nntest.Options{Train: true, Eps: 1e-4, Reset: func() { src.Seed(seed, 1) }}
}

func TestGradient(t *testing.T) {
	for _, tt := range gradCases() {
		t.Run(tt.name, func(t *testing.T) {
			src := rand.NewPCG(3, 1)
			b, err := tt.c.Build("backbone", models.FlatInput(7), rand.New(src))
			if err != nil {
				t.Fatal(err)
			}
			x := nntest.Rand(rand.New(rand.NewPCG(4, 4)), 10, 7)
			nntest.CheckModule(t, b, x, gradOptions(src, 3))
		})
	}
}

// The checks above fail a gradient made 10% too large, of the input and
// of each parameter.
func TestGradientCatchesErrors(t *testing.T) {
	for _, tt := range gradCases() {
		t.Run(tt.name, func(t *testing.T) {
			src := rand.NewPCG(3, 1)
			b, err := tt.c.Build("backbone", models.FlatInput(7), rand.New(src))
			if err != nil {
				t.Fatal(err)
			}
			x := nntest.Rand(rand.New(rand.NewPCG(4, 4)), 10, 7)
			opt := gradOptions(src, 3)
			f := nntest.ModuleFunc(b, opt)
			// The biases of the Linears that write into the residual
			// stream (the first layer's, each block's second) shift
			// columns that every later batch norm, the final one last,
			// subtracts again: their gradient is zero, and no check can
			// tell a zero made 10% larger. TestGradient checks that it is
			// zero.
			f.Params = slices.DeleteFunc(slices.Clone(f.Params), func(p *nn.Param) bool {
				return strings.HasSuffix(p.Name, "first_layer.bias") || strings.HasSuffix(p.Name, "linear_second.bias")
			})
			nntest.CheckCatches(t, f, x, opt)
		})
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    resnet.Config
		in   int
	}{
		{"defaults", resnet.Config{}, 40},
		{"small", resnet.Config{Blocks: 3, Main: 5, Hidden: 7, ResidualDropout: new(0.1)}, 3},
		{"one input", resnet.Config{Blocks: 1, Main: 2, Hidden: 2}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := build(t, tt.c, tt.in, 1)
			params, out := tt.c.Size(models.FlatInput(tt.in))
			if got := nn.Size(b.Params()); got != params {
				t.Errorf("Size says %d values, the backbone has %d", params, got)
			}
			if out != b.OutDim() {
				t.Errorf("Size says width %d, the backbone has %d", out, b.OutDim())
			}
			y := b.Forward(nntest.Rand(rand.New(rand.NewPCG(2, 2)), 4, tt.in), true)
			if y.Cols != out {
				t.Errorf("output width %d, want %d", y.Cols, out)
			}
		})
	}
}

// The stages chain from input to output: running them in turn gives the
// backbone's output, their widths are those StageWidths promises, and
// they hold the backbone's parameters.
func TestStages(t *testing.T) {
	c := resnet.Config{Blocks: 3, Main: 6, Hidden: 5}
	b := build(t, c, 4, 1)
	x := nntest.Rand(rand.New(rand.NewPCG(2, 2)), 5, 4)
	modeltest.Stages(t, b.(models.Staged), c.StageWidths(models.FlatInput(4)), x)
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    resnet.Config
		err  string // "" when valid
	}{
		{"defaults", resnet.Config{}, ""},
		{"zero dropouts", resnet.Config{HiddenDropout: new(0.0), ResidualDropout: new(0.0)}, ""},
		{"negative blocks", resnet.Config{Blocks: -1}, "n_blocks"},
		{"negative width", resnet.Config{Main: -3}, "d_main"},
		{"negative hidden", resnet.Config{Hidden: -3}, "d_hidden"},
		{"dropout one", resnet.Config{HiddenDropout: new(1.0)}, "dropout_first"},
		{"dropout NaN", resnet.Config{ResidualDropout: new(math.NaN())}, "dropout_second"},
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
	if _, err := (resnet.Config{}).Build("b", models.FlatInput(0), rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Build accepted zero input columns")
	}
}

// A config goes through the registry by name and comes back equal, zero
// dropouts included.
func TestRegistryRoundTrip(t *testing.T) {
	c := resnet.Config{Blocks: 3, Main: 16, HiddenDropout: new(0.0), ResidualDropout: new(0.1)}
	b, err := models.MarshalBackbone(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := models.UnmarshalBackbone(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	b1, _ := json.Marshal(c)
	if string(b1) != string(b2) {
		t.Errorf("round trip: %s, want %s", b2, b1)
	}
	d := c.WithDropout(0.4).(resnet.Config)
	if *d.HiddenDropout != 0.4 || *c.HiddenDropout != 0 {
		t.Errorf("WithDropout: hidden dropout %v, receiver's %v", *d.HiddenDropout, *c.HiddenDropout)
	}
}

// A training step at the default size allocates nothing once the
// buffers are sized, and neither does a smaller last batch.
func TestStepAllocations(t *testing.T) {
	const in = 40
	modeltest.StepAllocations(t, build(t, resnet.Config{ResidualDropout: new(0.1)}, in, 5), in)
}

// With every stage read by the head, the biases that the batch norms
// cancel in the backbone's own output reach the head, and every gradient
// is checked.
func TestDeepFeaturesGradient(t *testing.T) {
	src := rand.NewPCG(3, 1)
	c := resnet.Config{Blocks: 2, Main: 6, Hidden: 9, HiddenDropout: new(0.3), ResidualDropout: new(0.2)}
	b, err := c.Build("backbone", models.FlatInput(7), rand.New(src))
	if err != nil {
		t.Fatal(err)
	}
	x := nntest.Rand(rand.New(rand.NewPCG(4, 4)), 10, 7)
	m, opt := modeltest.NewDeepHead(t, b, 7, false), gradOptions(src, 3)
	nntest.CheckModule(t, m, x, opt)
	nntest.CheckCatches(t, nntest.ModuleFunc(m, opt), x, opt)
}

// A supervised network's size, known before it is built (as loading
// checks it), is what it holds, with the head reading the output or every
// stage and the input.
func TestSupervisedSize(t *testing.T) {
	modeltest.SupervisedSize(t, resnet.Config{Blocks: 2, Main: 8, Hidden: 12})
}
