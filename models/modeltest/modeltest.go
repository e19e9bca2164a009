// Package modeltest holds the checks every backbone package runs: that a
// training step allocates nothing, that the stages of a staged backbone
// chain into it, and that a supervised network's size is known before it
// is built. The packages differ in how they build their backbones and
// inputs, and pass what they built.
package modeltest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// StepAllocations fails t unless a training step of b (forward, MSE
// against a random target, backward) allocates nothing once its buffers
// are sized, on a batch of 256 rows of in columns, and on a smaller last
// batch of 100 rows, which the training loop gives at the end of every
// epoch.
func StepAllocations(t testing.TB, b models.Backbone, in int) {
	t.Helper()
	const batch, smaller = 256, 100
	rng := rand.New(rand.NewPCG(6, 6))
	x := nntest.Rand(rng, batch, in)
	target := nntest.Rand(rng, batch, b.OutDim())
	grad := tensor.New(batch, b.OutDim())
	params := b.Params()
	noStepAllocations(t, batch, smaller, func(rows int) func() {
		// The views are made here, outside the measured step: the
		// training loop makes its own once per batch.
		x, target, grad := x.RowView(0, rows), target.RowView(0, rows), grad.RowView(0, rows)
		return func() {
			nn.ZeroGrad(params)
			nn.MSE(b.Forward(x, true), target, grad)
			b.Backward(grad)
		}
	})
}

// SupervisedStepAllocations fails t unless a training step of the
// classifier n on the rows of cont and cat (cross-entropy, every label
// 0) allocates nothing once its buffers are sized, on the whole batch and
// on its first smaller rows.
func SupervisedStepAllocations(t testing.TB, n models.Network, cont *tensor.Mat, cat *tensor.IntMat, smaller int) {
	t.Helper()
	batch := cont.Rows
	labels := make([]int32, batch)
	grad := tensor.New(batch, n.Forward(cont, cat, false).Cols)
	params := n.Params()
	noStepAllocations(t, batch, smaller, func(rows int) func() {
		c, g := cont.RowView(0, rows), grad.RowView(0, rows)
		k := &tensor.IntMat{Rows: rows, Cols: cat.Cols, Data: cat.Data[:rows*cat.Cols]}
		return func() {
			nn.ZeroGrad(params)
			nn.CrossEntropy(n.Forward(c, k, true), labels[:rows], g)
			n.Backward(g)
		}
	})
}

// noStepAllocations runs step(batch) once to size the buffers, then fails
// t if step(batch) or step(smaller) allocates.
func noStepAllocations(t testing.TB, batch, smaller int, step func(rows int) func()) {
	t.Helper()
	full, last := step(batch), step(smaller)
	full()
	if n := testing.AllocsPerRun(5, full); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
	if n := testing.AllocsPerRun(5, last); n != 0 {
		t.Errorf("%v allocations per step of a smaller batch, want 0", n)
	}
}

// Stages fails t unless b's stages chain from input to output: run in
// turn in evaluation mode on x, they give b's output, each stage's width
// is the one widths lists (what the config's StageWidths promises: a head
// is sized by it before anything is built), and their parameters add up
// to b's.
func Stages(t testing.TB, b models.Staged, widths []int, x *tensor.Mat) {
	t.Helper()
	want := b.Forward(x, false).Clone()
	st := b.Stages()
	if len(st) != len(widths) {
		t.Fatalf("%d stages, StageWidths lists %d", len(st), len(widths))
	}
	z := x
	for i, s := range st {
		z = s.Forward(z, false)
		if z.Cols != widths[i] {
			t.Errorf("stage %d: width %d, want %d", i, z.Cols, widths[i])
		}
	}
	if z.Rows != want.Rows || z.Cols != want.Cols {
		t.Fatalf("the stages in turn give %d×%d, the backbone %d×%d", z.Rows, z.Cols, want.Rows, want.Cols)
	}
	for i, v := range z.Data {
		if v != want.Data[i] {
			t.Fatalf("the stages in turn give %v, the backbone %v", z.Data, want.Data)
		}
	}
	var n int
	for _, s := range st {
		n += nn.Size(s.Params())
	}
	if n != nn.Size(b.Params()) {
		t.Errorf("the stages hold %d values, the backbone %d", n, nn.Size(b.Params()))
	}
}

// DeepHead is what a head reading every stage of a backbone (and with
// Input, the embedded input) sees, as a module whose parameters are the
// backbone's, for a gradient check of the stages run one by one.
type DeepHead struct {
	*models.HeadInput
	Backbone models.Backbone
}

// NewDeepHead returns the DeepHead of b reading inDim columns, with the
// input beside the stages when input is set; it fails t unless b is
// [models.Staged].
func NewDeepHead(t testing.TB, b models.Backbone, inDim int, input bool) DeepHead {
	t.Helper()
	in, err := models.NewHeadInput(b, inDim, true, input)
	if err != nil {
		t.Fatal(err)
	}
	return DeepHead{in, b}
}

// Params implements [nn.Module]: a HeadInput holds no parameters of its
// own, and the backbone's are those of its stages.
func (h DeepHead) Params() []*nn.Param { return h.Backbone.Params() }

// SupervisedSize fails t unless [models.Config.Size], which loading
// checks a weights file against before building anything, is the size of
// the classifier NewSupervised builds with backbone b over a small schema,
// with the head reading the backbone's output, and reading every stage
// and the input. b must be a [models.StagedConfig].
func SupervisedSize(t testing.TB, b models.BackboneConfig) {
	t.Helper()
	s := models.Schema{Continuous: []string{"a", "b"}, Categorical: []models.Categorical{{Name: "c", Cardinality: 6}}}
	for _, deep := range []bool{false, true} {
		ConfigSize(t, models.Config{Task: "classification", Backbone: b, DeepFeatures: deep, IncludeInput: deep,
			Head: models.HeadConfig{Layers: "4"}}, s, 3)
	}
}

// ConfigSize fails t unless c.Size(s, out) is the number of values the
// network NewSupervised(c, s, out) holds.
func ConfigSize(t testing.TB, c models.Config, s models.Schema, out int) {
	t.Helper()
	want, err := c.Size(s, out)
	if err != nil {
		t.Fatal(err)
	}
	n, err := models.NewSupervised(c, s, out)
	if err != nil {
		t.Fatal(err)
	}
	if got := nn.Size(n.Params()); got != want {
		what := fmt.Sprintf("deep features %v, input %v", c.DeepFeatures, c.IncludeInput)
		if !reflect.ValueOf(c.Embedding).IsZero() {
			what += fmt.Sprintf(", embedding %+v", c.Embedding)
		}
		t.Errorf("%s: Size says %d values, the network holds %d", what, want, got)
	}
}
