package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/nn"
)

// minNormal is the smallest normal float32; smaller magnitudes are flushed.
const minNormal = 0x1p-126

func param(vals ...float32) *nn.Param {
	p := nn.NewParam("p", 1, len(vals))
	copy(p.Value.Data, vals)
	return p
}

// refAdam is Adam as written in the paper, in float64.
func refAdam(w, grads []float64, steps int, lr, wd float64, decoupled bool) []float64 {
	w = append([]float64(nil), w...)
	m := make([]float64, len(w))
	v := make([]float64, len(w))
	for t := 1; t <= steps; t++ {
		for j := range w {
			g := grads[j] * float64(t) // a gradient that changes over time
			if decoupled {
				w[j] *= 1 - lr*wd
			} else {
				g += wd * w[j]
			}
			m[j] = 0.9*m[j] + 0.1*g
			v[j] = 0.999*v[j] + 0.001*g*g
			mh := m[j] / (1 - math.Pow(0.9, float64(t)))
			vh := v[j] / (1 - math.Pow(0.999, float64(t)))
			w[j] -= lr * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	return w
}

func TestAdamMatchesReference(t *testing.T) {
	for _, tt := range []struct {
		name      string
		wd        float64
		decoupled bool
	}{{"adam", 0, false}, {"adam/l2", 0.1, false}, {"adamw", 0.1, true}} {
		t.Run(tt.name, func(t *testing.T) {
			w0 := []float64{0.5, -1, 2, 0}
			g := []float64{0.1, -0.3, 1e-3, 2}
			p := param(0.5, -1, 2, 0)
			a := NewAdam([]*nn.Param{p}, 0.01)
			a.WeightDecay, a.Decoupled = tt.wd, tt.decoupled
			for step := 1; step <= 20; step++ {
				for j := range g {
					p.Grad.Data[j] = float32(g[j] * float64(step))
				}
				a.Step()
			}
			want := refAdam(w0, g, 20, 0.01, tt.wd, tt.decoupled)
			for j, w := range want {
				if math.Abs(float64(p.Value.Data[j])-w) > 1e-5 {
					t.Errorf("w[%d] = %v, want %v", j, p.Value.Data[j], w)
				}
			}
		})
	}
}

// After a gradient vanishes, the moments decay geometrically; they must
// become exactly zero instead of lingering as slow subnormal numbers.
func TestAdamFlushesSubnormals(t *testing.T) {
	p := param(1)
	a := NewAdam([]*nn.Param{p}, 1e-3)
	p.Grad.Data[0] = 1e-3
	a.Step()
	p.Grad.Data[0] = 0
	for range 200000 {
		a.Step()
	}
	for name, v := range map[string]float32{"m": a.m[0][0], "v": a.v[0][0]} {
		if v != 0 && math.Abs(float64(v)) < minNormal {
			t.Errorf("%s = %g is subnormal", name, v)
		}
	}
	if a.v[0][0] != 0 {
		t.Errorf("v = %g, want it flushed to 0 after 200000 decays", a.v[0][0])
	}
}

func TestSGDMomentum(t *testing.T) {
	p := param(1)
	s := NewSGD([]*nn.Param{p}, 0.1, 0.9)
	p.Grad.Data[0] = 1
	s.Step() // buf 1, w 0.9
	s.Step() // buf 1.9, w 0.71
	if got := p.Value.Data[0]; math.Abs(float64(got)-0.71) > 1e-6 {
		t.Errorf("w = %v, want 0.71", got)
	}
}

func TestClipGradNorm(t *testing.T) {
	p := param(0, 0)
	p.Grad.Data[0], p.Grad.Data[1] = 3, 4
	if n := ClipGradNorm([]*nn.Param{p}, 1); n != 5 {
		t.Errorf("norm %v, want 5", n)
	}
	if g := p.Grad.Data; math.Abs(float64(g[0])-0.6) > 1e-6 || math.Abs(float64(g[1])-0.8) > 1e-6 {
		t.Errorf("clipped gradient %v, want [0.6 0.8]", g)
	}
}

func TestNew(t *testing.T) {
	ps := []*nn.Param{param(1)}
	for _, name := range []string{"adam", "adamw", "sgd"} {
		if _, err := New(name, ps, 1e-3, 0, 0); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, tt := range []struct {
		name string
		lr   float64
	}{{"rmsprop", 1e-3}, {"adam", 0}, {"adam", math.NaN()}, {"adam", -1}} {
		if _, err := New(tt.name, ps, tt.lr, 0, 0); err == nil {
			t.Errorf("New(%q, lr=%v) accepted", tt.name, tt.lr)
		}
	}
}

func TestStepAllocations(t *testing.T) {
	head, body := nn.NewParam("head", 64, 64), nn.NewParam("body", 64, 64)
	groups := []Group{{Params: []*nn.Param{head}, LRScale: 1}, {Params: []*nn.Param{body}, LRScale: 0.1}}
	for _, name := range []string{"adamw", "sgd"} {
		opt, err := NewGroups(name, groups, 1e-3, 0.01, 0.9)
		if err != nil {
			t.Fatal(err)
		}
		step := func() { opt.SetLearningRate(opt.LearningRate() * 0.999); opt.Step() }
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("%s: %v allocations per step, want 0", name, n)
		}
	}
}

// Each group moves at its own rate: a parameter at scale s moves as it
// would under the optimiser alone at rate s·lr, decay included, and a
// group at scale 0 does not move.
func TestGroupLearningRates(t *testing.T) {
	// train takes three steps on params from 1 with gradients 1, 2, 3.
	train := func(opt Optimizer, params ...*nn.Param) {
		for step := range 3 {
			for _, x := range params {
				x.Grad.Data[0] = float32(step + 1)
			}
			opt.Step()
		}
	}
	for _, name := range []string{"adam", "adamw", "sgd"} {
		t.Run(name, func(t *testing.T) {
			head, body, still, alone := param(1), param(1), param(1), param(1)
			opt, err := NewGroups(name, []Group{
				{Params: []*nn.Param{head}, LRScale: 1},
				{Params: []*nn.Param{body}, LRScale: 0.1},
				{Params: []*nn.Param{still}, LRScale: 0},
			}, 0.1, 0.5, 0.9)
			if err != nil {
				t.Fatal(err)
			}
			train(opt, head, body, still)
			ref, _ := New(name, []*nn.Param{alone}, 0.01, 0.5, 0.9)
			train(ref, alone)
			if h, b := head.Value.Data[0], body.Value.Data[0]; h == b {
				t.Errorf("head and body both at %v, want different values", h)
			}
			if got, want := body.Value.Data[0], alone.Value.Data[0]; math.Abs(float64(got-want)) > 1e-6 {
				t.Errorf("the group at scale 0.1 reached %v, the optimiser alone at a tenth of the rate %v", got, want)
			}
			if got := still.Value.Data[0]; got != 1 {
				t.Errorf("the group at scale 0 moved to %v", got)
			}
		})
	}
}

func TestGroupErrors(t *testing.T) {
	p := param(1)
	for _, tt := range []struct {
		name   string
		groups []Group
		want   string
	}{
		{"twice", []Group{{Params: []*nn.Param{p}, LRScale: 1}, {Params: []*nn.Param{p}, LRScale: 0.1}}, `"p" is in two groups`},
		{"negative", []Group{{Params: []*nn.Param{p}, LRScale: -1}}, "scale -1"},
		{"NaN", []Group{{Params: []*nn.Param{p}, LRScale: math.NaN()}}, "scale NaN"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewGroups("adam", tt.groups, 1e-3, 0, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
