package linear

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The reference coefficients come from scikit-learn 1.2 on the same rows:
// LogisticRegression(C=0.3, tol=1e-12) and Ridge(alpha=1.0). Its L-BFGS
// stops within a few 1e-6 of the optimum, hence the tolerance;
// TestLogisticStationary checks our own optimum more tightly.
var (
	refX = &Design{N: 8, D: 3, X: []float64{
		0.5, 1.0, -1.2,
		1.5, -0.3, 0.4,
		-0.7, 0.8, 2.0,
		0.1, -1.1, 0.3,
		2.2, 0.4, -0.5,
		-1.3, -0.9, 1.1,
		0.9, 1.7, 0.0,
		-0.2, 0.2, -1.6,
	}}
	refLabels  = []bool{true, true, false, false, true, false, true, false}
	refTargets = []float64{2.0, 3.1, -0.5, 0.7, 4.4, -1.0, 2.9, 0.1}
)

func TestAgainstReference(t *testing.T) {
	for _, tc := range []struct {
		name string
		fit  func() (*Model, error)
		w    []float64
		b    float64
	}{
		{"logistic", func() (*Model, error) { return FitLogistic(refX, refLabels, 0.3) },
			[]float64{0.612344, 0.32034504, -0.16540811}, -0.3070572934374911},
		{"ridge", func() (*Model, error) { return FitRidge(refX, refTargets, 1) },
			[]float64{1.42584867, 0.21691907, -0.03807262}, 0.8813794976691051},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.fit()
			if err != nil {
				t.Fatal(err)
			}
			for j, w := range tc.w {
				if math.Abs(m.W[j]-w) > 1e-5 {
					t.Errorf("w[%d] = %.8f, want %.8f", j, m.W[j], w)
				}
			}
			if math.Abs(m.B-tc.b) > 1e-5 {
				t.Errorf("b = %.8f, want %.8f", m.B, tc.b)
			}
		})
	}
}

// TestLogisticStationary checks the optimality condition on random
// problems of the sizes the bench meets: the gradient of the penalised
// loss vanishes at the fitted model.
func TestLogisticStationary(t *testing.T) {
	for _, tc := range []struct{ n, d int }{{20, 3}, {200, 60}, {400, 120}} {
		t.Run(fmt.Sprintf("%dx%d", tc.n, tc.d), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.d)))
			x := &Design{N: tc.n, D: tc.d, X: make([]float64, tc.n*tc.d)}
			for i := range x.X {
				x.X[i] = rng.NormFloat64()
				if rng.IntN(3) == 0 {
					x.X[i] = 0 // one-hot designs are sparse
				}
			}
			y := make([]bool, tc.n)
			for i := range y {
				y[i] = x.Row(i)[0]+rng.NormFloat64() > 0.3
			}
			const c = 0.3
			m, err := FitLogistic(x, y, c)
			if err != nil {
				t.Fatal(err)
			}
			g := make([]float64, tc.d)
			var gb float64
			for i := range tc.n {
				r := x.Row(i)
				e := m.Probability(r)
				if y[i] {
					e--
				}
				for j, v := range r {
					g[j] += e * v
				}
				gb += e
			}
			for j := range g {
				g[j] += m.W[j] / c
			}
			if worst := max(maxAbs(g), math.Abs(gb)); worst > 1e-6 {
				t.Errorf("largest gradient component at the fit is %g", worst)
			}
		})
	}
}

func TestSeparable(t *testing.T) {
	x := &Design{N: 4, D: 1, X: []float64{-2, -1, 1, 2}}
	m, err := FitLogistic(x, []bool{false, false, true, true}, 1e6)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(m.W[0]) || math.IsInf(m.W[0], 0) || m.W[0] <= 0 {
		t.Errorf("w = %v on separable rows; want a finite positive weight", m.W[0])
	}
}

func TestErrors(t *testing.T) {
	x := &Design{N: 2, D: 1, X: []float64{0, 1}}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"one class", func() error { _, err := FitLogistic(x, []bool{true, true}, 1); return err }()},
		{"label count", func() error { _, err := FitLogistic(x, []bool{true}, 1); return err }()},
		{"zero C", func() error { _, err := FitLogistic(x, []bool{true, false}, 0); return err }()},
		{"NaN feature", func() error {
			_, err := FitRidge(&Design{N: 2, D: 1, X: []float64{0, math.NaN()}}, []float64{1, 2}, 1)
			return err
		}()},
		{"NaN target", func() error { _, err := FitRidge(x, []float64{1, math.Inf(1)}, 1); return err }()},
		{"negative alpha", func() error { _, err := FitRidge(x, []float64{1, 2}, -1); return err }()},
		{"short design", func() error {
			_, err := FitRidge(&Design{N: 3, D: 1, X: []float64{1}}, []float64{1, 2, 3}, 1)
			return err
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := FitLogistic(x, []bool{true, true}, 1); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: %v, want ErrOneClass", err)
	}
}

func ExampleFitRidge() {
	// y = 2x + 1 on three rows, with a light penalty.
	x := &Design{N: 3, D: 1, X: []float64{0, 1, 2}}
	m, _ := FitRidge(x, []float64{1, 3, 5}, 1e-9)
	fmt.Printf("w %.3f b %.3f prediction at 3: %.3f\n", m.W[0], m.B, m.Predict([]float64{3}))
	// Output: w 2.000 b 1.000 prediction at 3: 7.000
}
