package gandalf_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/gandalf"
	"github.com/gotabular/gotabular/models/modeltest"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

func build(t *testing.T, c gandalf.Config, in int, rng *rand.Rand) *gandalf.Backbone {
	t.Helper()
	b, err := c.Build("backbone", models.FlatInput(in), rng)
	if err != nil {
		t.Fatal(err)
	}
	return b.(*gandalf.Backbone)
}

// spreadMasks gives each stage's mask logits distinct values 0.3 apart, in
// a shuffled order, and sets its threshold halfway between two of them, so
// that no finite-difference step moves a logit across the threshold or
// changes which logit is the largest: t-softmax has kinks there. keep is
// the number of logits within the threshold of the largest.
func spreadMasks(b *gandalf.Backbone, rng *rand.Rand, keep int) {
	n := b.Masks.Value.Cols
	for d := range b.Masks.Value.Rows {
		row := b.Masks.Value.Row(d)
		for j, k := range rng.Perm(n) {
			row[j] = 0.3 * float32(k)
		}
		b.T.Value.Data[d] = 0.3*float32(keep) - 0.15
	}
}

type gradCase struct {
	name string
	c    gandalf.Config
	keep int
}

func gradCases() []gradCase {
	return []gradCase{
		{"defaults", gandalf.Config{Stages: 3}, 4},
		{"dropout", gandalf.Config{Stages: 2, Dropout: 0.2}, 3},
		{"fixed sparsity", gandalf.Config{Stages: 2, LearnableSparsity: new(false)}, 5},
		{"every feature", gandalf.Config{Stages: 2}, 6},
		// A threshold below zero is cut to zero: only the largest logit
		// keeps weight, and the threshold gets no gradient.
		{"one feature", gandalf.Config{Stages: 1}, 0},
	}
}

// setup builds a case over 6 columns with its masks spread, and returns
// the options that reseed its dropout before every pass.
func setup(t *testing.T, tt gradCase) (*gandalf.Backbone, *tensor.Mat, nntest.Options) {
	src := rand.NewPCG(3, 1)
	b := build(t, tt.c, 6, rand.New(src))
	spreadMasks(b, rand.New(rand.NewPCG(8, 8)), tt.keep)
	x := nntest.Rand(rand.New(rand.NewPCG(4, 4)), 5, 6)
	// Larger inputs give the mask logits gradients large enough for a
	// 10% error in them to show.
	for i := range x.Data {
		x.Data[i] *= 3
	}
	return b, x, nntest.Options{Train: true, Tol: 1e-2, Reset: func() { src.Seed(3, 1) }}
}

func TestGradient(t *testing.T) {
	for _, tt := range gradCases() {
		t.Run(tt.name, func(t *testing.T) {
			b, x, opt := setup(t, tt)
			nntest.CheckModule(t, b, x, opt)
			if tt.keep == 0 {
				nn.ZeroGrad(b.Params())
				y := b.Forward(x, true)
				b.Backward(y)
				if g := b.T.Grad.Data[0]; g != 0 {
					t.Errorf("a threshold below zero has gradient %v, want 0", g)
				}
			}
		})
	}
}

// The checks above fail a gradient made 10% too large, of the input and
// of each parameter.
func TestGradientCatchesErrors(t *testing.T) {
	for _, tt := range gradCases() {
		if tt.keep == 0 {
			continue // its threshold's gradient is zero
		}
		t.Run(tt.name, func(t *testing.T) {
			b, x, opt := setup(t, tt)
			nntest.CheckCatches(t, nntest.ModuleFunc(b, opt), x, opt)
		})
	}
}

// The initial thresholds leave out the configured fraction of the
// features: their weight is a factor 1e-8 below the others'.
func TestInitialSparsity(t *testing.T) {
	for _, r := range []float64{0, 0.3, 0.5, 0.9} {
		b := build(t, gandalf.Config{Stages: 4, FeatureInitSparsity: &r}, 40, rand.New(rand.NewPCG(1, 1)))
		off := 0
		for d := range 4 {
			m := b.Masks.Value.Row(d)
			for _, v := range m {
				if v <= 0 || v >= 1 {
					t.Fatalf("mask logit %v: want a Beta draw in (0, 1)", v)
				}
			}
			f := b.MaskWeights(d)
			for _, v := range f {
				if v < 1e-6 {
					off++
				}
			}
			var sum float64
			for _, v := range f {
				sum += v
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Errorf("sparsity %v: weights sum to %v", r, sum)
			}
		}
		frac := float64(off) / 160
		// Position r·(n−1) of the sorted logits is the cut, so about r·n
		// features, and one more where the quantile is itself a logit.
		if frac < r-0.03 || frac > r+0.05 {
			t.Errorf("sparsity %v: %.3f of the features left out", r, frac)
		}
	}
}

func TestInitialThreshold(t *testing.T) {
	for _, tt := range []struct {
		name   string
		logits []float32
		r      float64
		want   float64
	}{
		{"between values", []float32{0.5, 0.1, 0.9, 0.3}, 0.5, 0.9 - 0.4}, // quantile of {−0.8, −0.6, −0.4, 0} at 1.5 is −0.5
		{"on a value", []float32{1, 0, 0.5}, 0.5, 0.5},
		{"none left out", []float32{1, 0, 0.5}, 0, 1},
		{"one logit", []float32{0.7}, 0.3, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := gandalf.InitialThreshold(tt.logits, tt.r); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("threshold %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    gandalf.Config
		in   int
	}{
		{"defaults", gandalf.Config{}, 30},
		{"fixed sparsity", gandalf.Config{Stages: 2, LearnableSparsity: new(false), Dropout: 0.1}, 5},
		{"one input", gandalf.Config{Stages: 1}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := build(t, tt.c, tt.in, rand.New(rand.NewPCG(1, 1)))
			params, out := tt.c.Size(models.FlatInput(tt.in))
			if got := nn.Size(b.Params()); got != params {
				t.Errorf("Size says %d values, the backbone has %d", params, got)
			}
			if out != tt.in || b.OutDim() != tt.in {
				t.Errorf("widths: Size %d, backbone %d; want the input's, %d", out, b.OutDim(), tt.in)
			}
			if y := b.Forward(nntest.Rand(rand.New(rand.NewPCG(2, 2)), 3, tt.in), true); y.Cols != tt.in {
				t.Errorf("output width %d, want %d", y.Cols, tt.in)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    gandalf.Config
		err  string // "" when valid
	}{
		{"defaults", gandalf.Config{}, ""},
		{"no sparsity", gandalf.Config{FeatureInitSparsity: new(0.0)}, ""},
		{"negative stages", gandalf.Config{Stages: -2}, "gflu_stages"},
		{"dropout one", gandalf.Config{Dropout: 1}, "gflu_dropout"},
		{"sparsity above one", gandalf.Config{FeatureInitSparsity: new(1.5)}, "sparsity"},
		{"sparsity NaN", gandalf.Config{FeatureInitSparsity: new(math.NaN())}, "sparsity"},
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
	if _, err := (gandalf.Config{}).Build("b", models.FlatInput(0), rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Build accepted zero input columns")
	}
}

// A config goes through the registry by name and comes back equal, zero
// and false values included.
func TestRegistryRoundTrip(t *testing.T) {
	c := gandalf.Config{Stages: 3, Dropout: 0.1, FeatureInitSparsity: new(0.0), LearnableSparsity: new(false)}
	b, err := models.MarshalBackbone(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := models.UnmarshalBackbone(b)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(c)
	b2, _ := json.Marshal(back)
	if string(b1) != string(b2) {
		t.Errorf("round trip: %s, want %s", b2, b1)
	}
	if d := c.WithDropout(0.3).(gandalf.Config); d.Dropout != 0.3 || c.Dropout != 0.1 {
		t.Errorf("WithDropout: %v, receiver's %v", d.Dropout, c.Dropout)
	}
}

// Without LearnableSparsity the thresholds are saved but not trained.
func TestFixedSparsityIsNotTrained(t *testing.T) {
	b := build(t, gandalf.Config{Stages: 2, LearnableSparsity: new(false)}, 4, rand.New(rand.NewPCG(1, 1)))
	for _, p := range nn.Trainable(b.Params()) {
		if p == b.T {
			t.Fatal("the thresholds are trainable")
		}
	}
}

// A training step at the default size allocates nothing once the
// buffers are sized, and neither does a smaller last batch.
func TestStepAllocations(t *testing.T) {
	const in = 30
	modeltest.StepAllocations(t, build(t, gandalf.Config{Dropout: 0.1}, in, rand.New(rand.NewPCG(5, 5))), in)
}

// The stages chain from input to output: running them in turn gives the
// backbone's output, their widths are those StageWidths promises, and
// they hold the backbone's parameters.
func TestStages(t *testing.T) {
	c := gandalf.Config{Stages: 3}
	b := build(t, c, 5, rand.New(rand.NewPCG(1, 1)))
	x := nntest.Rand(rand.New(rand.NewPCG(2, 2)), 4, 5)
	widths := c.StageWidths(models.FlatInput(5))
	if len(widths) != 3 {
		t.Fatalf("StageWidths lists %d stages, want 3", len(widths))
	}
	modeltest.Stages(t, b, widths, x)
}

func TestDeepFeaturesGradient(t *testing.T) {
	tt := gradCase{"dropout", gandalf.Config{Stages: 3, Dropout: 0.2}, 4}
	b, x, opt := setup(t, tt)
	m := modeltest.NewDeepHead(t, b, 6, true)
	if m.Width() != 4*6 {
		t.Fatalf("the head reads %d columns, want 3 stages and the input of 6", m.Width())
	}
	nntest.CheckModule(t, m, x, opt)
	nntest.CheckCatches(t, nntest.ModuleFunc(m, opt), x, opt)
}

// A supervised network's size, known before it is built (as loading
// checks it), is what it holds, with the head reading the output or every
// stage and the input.
func TestSupervisedSize(t *testing.T) {
	modeltest.SupervisedSize(t, gandalf.Config{Stages: 3})
}
