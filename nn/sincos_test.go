package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSincos(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var thetas []float64
	for k := -64; k <= 64; k++ {
		// Quadrant boundaries and their neighbours, where the reduction
		// switches.
		b := float64(k) * math.Pi / 4
		thetas = append(thetas, b, math.Nextafter(b, math.Inf(1)), math.Nextafter(b, math.Inf(-1)))
	}
	for range 100000 {
		thetas = append(thetas, 20*rng.NormFloat64(), 1e4*(2*rng.Float64()-1))
	}
	thetas = append(thetas, 0, math.Copysign(0, -1), 1e7, -3e8, 1e12, math.Inf(1), math.NaN())
	worst := 0.0
	for _, th := range thetas {
		s, c := sincos(th)
		ws, wc := math.Sincos(th)
		if math.IsNaN(ws) {
			if !math.IsNaN(s) || !math.IsNaN(c) {
				t.Errorf("sincos(%v) = %v, %v; want NaN", th, s, c)
			}
			continue
		}
		// The reduction's error grows with |θ| as float64's spacing does.
		tol := 3e-8 + 4e-16*math.Abs(th)
		if e := max(math.Abs(s-ws), math.Abs(c-wc)); e > tol {
			t.Errorf("sincos(%v) = %v, %v; want %v, %v", th, s, c, ws, wc)
		} else if math.Abs(th) < 100 {
			worst = max(worst, e)
		}
	}
	t.Logf("largest error for |θ| < 100: %.3g", worst)
}

func BenchmarkSincos(b *testing.B) {
	thetas := make([]float64, 1024)
	for i := range thetas {
		thetas[i] = float64(i-512) * 0.037
	}
	var s, c float64
	b.Run("sincos", func(b *testing.B) {
		for b.Loop() {
			for _, th := range thetas {
				x, y := sincos(th)
				s, c = s+x, c+y
			}
		}
	})
	b.Run("math.Sincos", func(b *testing.B) {
		for b.Loop() {
			for _, th := range thetas {
				x, y := math.Sincos(th)
				s, c = s+x, c+y
			}
		}
	})
	_, _ = s, c
}
