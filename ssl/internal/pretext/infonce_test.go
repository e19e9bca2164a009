package pretext

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// gradError compares an analytic gradient with central differences of f
// over every element of x and returns ‖analytic − numeric‖ / ‖numeric‖. A
// relative error over the whole gradient catches a gradient that is off by
// a factor even where its elements are small, which a per-element
// tolerance floored at 1 (as nntest's) would not.
func gradError(f func() float64, x []float32, analytic []float32, eps float32) float64 {
	var diff, norm float64
	for k := range x {
		old := x[k]
		x[k] = old + eps
		up := f()
		x[k] = old - eps
		down := f()
		x[k] = old
		num := (up - down) / (2 * float64(eps))
		diff += (float64(analytic[k]) - num) * (float64(analytic[k]) - num)
		norm += num * num
	}
	return math.Sqrt(diff / norm)
}

func TestInfoNCEGradient(t *testing.T) {
	for _, tt := range []struct {
		name      string
		b, d      int
		tau       float64
		symmetric bool
	}{
		{"one-directional", 5, 4, 1, false},
		{"temperature 0.3", 5, 4, 0.3, false},
		{"symmetric", 5, 4, 1, true},
		{"symmetric temperature 0.5", 6, 3, 0.5, true},
		{"one pair", 1, 3, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			z := nntest.Rand(rand.New(rand.NewPCG(uint64(tt.b), 9)), 2*tt.b, tt.d)
			l := &InfoNCE{Temperature: tt.tau, Symmetric: tt.symmetric}
			l.Loss(z, true)
			analytic := l.Backward().Clone()
			f := func() float64 { return (&InfoNCE{Temperature: tt.tau, Symmetric: tt.symmetric}).Loss(z, false) }
			if tt.b == 1 {
				// One anchor has only its positive to pick: the loss is 0
				// and so is the gradient.
				for _, g := range analytic.Data {
					if g != 0 {
						t.Fatalf("gradient %v of a constant loss", analytic.Data)
					}
				}
				return
			}
			rel := gradError(f, z.Data, analytic.Data, 5e-3)
			if rel > 0.01 {
				t.Errorf("relative gradient error %.4f, want ≤ 0.01", rel)
			}
			// The check is tight enough to see a gradient 10% off.
			off := analytic.Clone()
			tensor.Scale(1.1, off.Data)
			if rel := gradError(f, z.Data, off.Data, 5e-3); rel < 0.05 {
				t.Errorf("a gradient 10%% off passes with relative error %.4f", rel)
			}
		})
	}
}

func TestInfoNCEValues(t *testing.T) {
	// Two anchors equal to their positives and orthogonal to each other:
	// similarities 1 on the diagonal, 0 elsewhere.
	z := tensor.FromSlice(4, 2, []float32{3, 0, 0, 2, 1, 0, 0, 5})
	for _, tt := range []struct {
		name      string
		tau       float64
		symmetric bool
		want      float64
	}{
		{"τ=1", 1, false, math.Log(1 + math.Exp(-1))},
		{"τ=0.5", 0.5, false, math.Log(1 + math.Exp(-2))},
		{"symmetric", 1, true, math.Log(1 + math.Exp(-1))}, // the mirror image is the same here
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &InfoNCE{Temperature: tt.tau, Symmetric: tt.symmetric}
			if got := l.Loss(z, false); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("loss %v, want %v", got, tt.want)
			}
			if a := l.Accuracy(); a != 1 {
				t.Errorf("accuracy %v, want 1", a)
			}
		})
	}
	// Collapsed embeddings, all alike, match nothing.
	same := tensor.FromSlice(4, 2, []float32{1, 1, 1, 1, 1, 1, 1, 1})
	l := &InfoNCE{Temperature: 1}
	if got := l.Loss(same, false); math.Abs(got-math.Log(2)) > 1e-6 || l.Accuracy() != 0 {
		t.Errorf("collapsed: loss %v (want log 2), accuracy %v (want 0)", got, l.Accuracy())
	}
}

// A row of zeros (a dead projection, say) has no direction: its norm is
// clamped, and the loss and gradient stay finite.
func TestInfoNCEZeroRow(t *testing.T) {
	z := nntest.Rand(rand.New(rand.NewPCG(2, 2)), 6, 3)
	clear(z.Row(1))
	l := &InfoNCE{Temperature: 1, Symmetric: true}
	loss := l.Loss(z, true)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.Fatalf("loss %v", loss)
	}
	for _, g := range l.Backward().Data {
		if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
			t.Fatalf("gradient %v", g)
		}
	}
}

func TestInfoNCEAllocations(t *testing.T) {
	z := nntest.Rand(rand.New(rand.NewPCG(1, 1)), 32, 8)
	l := &InfoNCE{Temperature: 0.5, Symmetric: true}
	step := func() {
		l.Loss(z, true)
		l.Backward()
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
}
