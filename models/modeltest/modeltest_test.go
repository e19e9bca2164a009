package modeltest_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/models/modeltest"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// recorder notes that a check failed instead of failing the test; Fatal
// ends the check's goroutine, as it ends a test's.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true; runtime.Goexit() }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }

// fails reports whether check fails the t it is given.
func fails(t *testing.T, check func(testing.TB)) bool {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failed
}

// expect fails t unless check fails exactly when it should.
func expect(t *testing.T, shouldFail bool, check func(testing.TB)) {
	t.Helper()
	if got := fails(t, check); got != shouldFail {
		t.Errorf("the check failed: %v, want %v", got, shouldFail)
	}
}

// chain is a backbone of Linear layers, each a stage; the fields let a
// test break it.
type chain struct {
	*nn.Sequential
	stages []nn.Module
	out    int
	clone  bool // the output is a fresh copy, allocated every step
}

func newChain(in int, widths ...int) *chain {
	rng := rand.New(rand.NewPCG(1, 1))
	c := &chain{Sequential: &nn.Sequential{}, out: widths[len(widths)-1]}
	for _, w := range widths {
		l := nn.NewLinear("l", in, w, rng)
		c.Layers = append(c.Layers, l)
		c.stages = append(c.stages, l)
		in = w
	}
	return c
}

func (c *chain) OutDim() int         { return c.out }
func (c *chain) Stages() []nn.Module { return c.stages }

func (c *chain) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	y := c.Sequential.Forward(x, train)
	if c.clone {
		return y.Clone()
	}
	return y
}

// paramless hides a stage's parameters.
type paramless struct{ nn.Module }

func (paramless) Params() []*nn.Param { return nil }

func TestStages(t *testing.T) {
	x := nntest.Rand(rand.New(rand.NewPCG(2, 2)), 5, 4)
	for _, tt := range []struct {
		name string
		edit func(c *chain, widths []int) []int
		fail bool
	}{
		{"sound", func(_ *chain, w []int) []int { return w }, false},
		{"wrong width", func(_ *chain, w []int) []int { w[1]++; return w }, true},
		{"a stage missing", func(c *chain, w []int) []int { c.stages = c.stages[:2]; return w[:2] }, true},
		{"another last stage", func(c *chain, w []int) []int {
			c.stages[2] = nn.NewLinear("other", 6, 3, rand.New(rand.NewPCG(9, 9)))
			return w
		}, true},
		{"a stage without its parameters", func(c *chain, w []int) []int { c.stages[1] = paramless{c.stages[1]}; return w }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChain(4, 5, 6, 3)
			widths := tt.edit(c, []int{5, 6, 3})
			expect(t, tt.fail, func(t testing.TB) { modeltest.Stages(t, c, widths, x) })
		})
	}
}

func TestStepAllocations(t *testing.T) {
	for _, clone := range []bool{false, true} {
		t.Run(fmt.Sprintf("clone=%v", clone), func(t *testing.T) {
			c := newChain(4, 5, 3)
			c.clone = clone
			expect(t, clone, func(t testing.TB) { modeltest.StepAllocations(t, c, 4) })
		})
	}
}

// allocating copies a network's output, allocating every step.
type allocating struct{ models.Network }

func (n allocating) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat {
	return n.Network.Forward(cont, cat, train).Clone()
}

var schema = models.Schema{Continuous: []string{"a", "b"}, Categorical: []models.Categorical{{Name: "c", Cardinality: 6}}}

func TestSupervisedStepAllocations(t *testing.T) {
	n, err := models.NewSupervised(models.Config{Task: "classification", Backbone: categoryembedding.Config{Layers: "8"}}, schema, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	cont, cat := nntest.Rand(rng, 32, 2), tensor.NewInt(32, 1)
	for i := range cat.Data {
		cat.Data[i] = int32(rng.IntN(6))
	}
	expect(t, false, func(t testing.TB) { modeltest.SupervisedStepAllocations(t, n, cont, cat, 20) })
	expect(t, true, func(t testing.TB) { modeltest.SupervisedStepAllocations(t, allocating{n}, cont, cat, 20) })
}

// lying misstates its backbone's size by one value.
type lying struct{ categoryembedding.Config }

func (c lying) Size(in models.Input) (int, int) {
	p, out := c.Config.Size(in)
	return p + 1, out
}

func TestSupervisedSize(t *testing.T) {
	c := categoryembedding.Config{Layers: "8-6"}
	expect(t, false, func(t testing.TB) { modeltest.SupervisedSize(t, c) })
	expect(t, true, func(t testing.TB) { modeltest.SupervisedSize(t, lying{c}) })
}

// notStaged is a backbone without stages: only models.Backbone's
// methods are promoted.
type notStaged struct{ models.Backbone }

func TestNewDeepHead(t *testing.T) {
	c := newChain(4, 5, 3)
	expect(t, false, func(t testing.TB) {
		h := modeltest.NewDeepHead(t, c, 4, true)
		if h.Width() != 5+3+4 || len(h.Params()) != 4 {
			t.Errorf("width %d, %d parameters; want 12 and 4", h.Width(), len(h.Params()))
		}
	})
	expect(t, true, func(t testing.TB) { modeltest.NewDeepHead(t, notStaged{c}, 4, true) })
}
