package gandalf

import (
	"math"
	"testing"
)

func TestFastMath(t *testing.T) {
	for _, tt := range []struct {
		name    string
		f       func(float32) float32
		want    func(float64) float64
		lo, hi  float64
		relTol  float64 // relative to |want|
		absTol  float64 // 1.2e-38 where results that would be subnormal are 0
		special map[float32]float32
	}{
		{"exp", expf, math.Exp, -100, 88, 4e-7, 1.2e-38, map[float32]float32{0: 1, -100: 0, 1000: float32(math.Inf(1))}},
		{"sigmoid", sigmoidf, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -100, 100, 4e-7, 1.2e-38, map[float32]float32{0: 0.5, -200: 0, 200: 1}},
		{"tanh", tanhf, math.Tanh, -30, 30, 0, 3e-7, map[float32]float32{0: 0, -50: -1, 50: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			const steps = 200001
			for i := range steps {
				x := float32(tt.lo + (tt.hi-tt.lo)*float64(i)/(steps-1))
				got, want := float64(tt.f(x)), tt.want(float64(x))
				if err := math.Abs(got - want); err > tt.relTol*math.Abs(want)+tt.absTol {
					t.Fatalf("%s(%v) = %v, want %v", tt.name, x, got, want)
				}
			}
			for x, want := range tt.special {
				if got := tt.f(x); got != want {
					t.Errorf("%s(%v) = %v, want %v", tt.name, x, got, want)
				}
			}
			if got := tt.f(float32(math.NaN())); got == got {
				t.Errorf("%s(NaN) = %v", tt.name, got)
			}
		})
	}
}
