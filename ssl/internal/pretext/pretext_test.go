package pretext

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/ssl/internal/ssltest"
	"github.com/gotabular/gotabular/tensor"
)

var (
	schema = ssltest.Schema
	batch  = ssltest.Rows
)

func TestSubset(t *testing.T) {
	for _, k := range []int{0, 1, 3, 6, 9} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			// Continuous features only: a draw from another row always
			// changes the value, so the mask shows what was chosen.
			cont, _ := batch(rand.New(rand.NewPCG(1, 2)), 400)
			cat := tensor.NewInt(400, 0)
			var c Corrupter
			c.Subset(cont, cat, k, rand.New(rand.NewPCG(3, 4)))
			perFeature := make([]int, 3)
			total := 0
			for i := range 400 {
				n := 0
				for j, v := range c.Mask.Row(i) {
					if v != 0 {
						n++
						perFeature[j]++
						if c.Cont.At(i, j) == cont.At(i, j) {
							t.Fatalf("row %d feature %d marked but unchanged", i, j)
						}
					} else if c.Cont.At(i, j) != cont.At(i, j) {
						t.Fatalf("row %d feature %d changed but not marked", i, j)
					}
				}
				if n > min(k, 3) {
					t.Fatalf("row %d: %d features corrupted, want at most %d", i, n, min(k, 3))
				}
				total += n
			}
			// A draw of the row itself (1 in 400) leaves a value as it was.
			want := float64(min(k, 3))
			if got := float64(total) / 400; math.Abs(got-want) > 0.02*want+1e-9 {
				t.Errorf("%v features corrupted per row, want about %v", got, want)
			}
			for j, n := range perFeature {
				if k == 1 && math.Abs(float64(n)/400-1.0/3) > 0.07 {
					t.Errorf("feature %d chosen in %d of 400 rows; want about a third", j, n)
				}
			}
		})
	}
}

func TestEach(t *testing.T) {
	cont, cat := batch(rand.New(rand.NewPCG(5, 6)), 1000)
	var c Corrupter
	p := []float64{0, 0.3, 1, 0, 0, 0}
	c.Each(cont, cat, p, rand.New(rand.NewPCG(7, 8)))
	for j, want := range p[:3] {
		n := 0
		for i := range 1000 {
			n += int(c.Mask.At(i, j))
		}
		if got := float64(n) / 1000; math.Abs(got-want) > 0.04 {
			t.Errorf("feature %d corrupted in a share %v of rows, want about %v", j, got, want)
		}
	}
	for i := range 1000 {
		if c.Cat.Row(i)[0] != cat.Row(i)[0] {
			t.Fatal("a categorical with probability 0 changed")
		}
	}
}

func TestShareWeights(t *testing.T) {
	for _, tt := range []struct {
		name        string
		s           models.Schema
		scale, mask float64
		want        Weights
	}{
		{"mixed", schema, 1, 2, Weights{Binary: 1.0 / 6, Categorical: 2.0 / 6, Continuous: 3.0 / 6, Mask: 2}},
		{"scaled", schema, 2, 1, Weights{Binary: 2.0 / 6, Categorical: 4.0 / 6, Continuous: 6.0 / 6, Mask: 1}},
		{"continuous only", models.Schema{Continuous: []string{"a"}}, 1, 0, Weights{Continuous: 1}},
		{"no features", models.Schema{}, 1, 1, Weights{Mask: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShareWeights(tt.s, tt.scale, tt.mask); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReconstructionGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    models.Schema
		w    Weights
	}{
		{"mixed", schema, Weights{Binary: 0.5, Categorical: 2, Continuous: 3, Mask: 0.7}},
		{"continuous only", models.Schema{Continuous: []string{"x1", "x2", "x3"}}, Weights{Continuous: 1, Mask: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 1))
			r := NewReconstruction(5, tt.s, tt.w, rng)
			cont, cat := batch(rng, 7)
			cat.Resize(7, len(tt.s.Categorical))
			mask := tensor.New(7, tt.s.NumFeatures())
			for i := range mask.Data {
				mask.Data[i] = float32(rng.IntN(2))
			}
			h := nntest.Rand(rng, 7, 5)
			f := nntest.Func{
				Forward: func(x *tensor.Mat) float64 {
					r.Forward(x, true)
					return r.Loss(cont, cat, mask, true)
				},
				Backward: func() *tensor.Mat { return r.Backward() },
				Params:   r.Params(),
			}
			nntest.Check(t, f, h, nntest.Options{Tol: 5e-3})
			if got, want := nn.Size(r.Params()), ReconstructionSize(5, tt.s); got != want {
				t.Errorf("ReconstructionSize %d, built %d", want, got)
			}
		})
	}
}
