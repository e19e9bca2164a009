package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The row kernels of every family give bitwise the Go loops' results,
// write nothing outside their slices, and sum within rounding of float64.
func TestRowNormKernels(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		for _, n := range elemLengths {
			vals := func() []float32 {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(3*rng.NormFloat64() + 0.5)
				}
				return x
			}
			gen := func(s []float32) func() float32 {
				i := 0
				return func() float32 { i++; return s[i-1] }
			}
			x0, g0, gamma0, beta0 := vals(), vals(), vals(), vals()
			x, guardX := guarded(n, gen(x0))
			g, guardG := guarded(n, gen(g0))
			gamma, guardGamma := guarded(n, gen(gamma0))
			beta, guardBeta := guarded(n, gen(beta0))
			out, guardOut := guarded(n, func() float32 { return 0 })
			xhat, guardXhat := guarded(n, func() float32 { return 0 })

			var exact, exactSq float64
			for _, v := range x0 {
				exact += float64(v)
			}
			s := Sum(x)
			if s != sumGo(x0) {
				t.Fatalf("n=%d: Sum = %g, the Go loop %g", n, s, sumGo(x0))
			}
			if math.Abs(float64(s)-exact) > 1e-5*float64(n)+1e-6 {
				t.Fatalf("n=%d: Sum = %g, exact %g", n, s, exact)
			}
			mean := float32(0.37)
			for _, v := range x0 {
				exactSq += (float64(v) - float64(mean)) * (float64(v) - float64(mean))
			}
			ss := SumSquares(x, mean)
			if ss != sumSquaresGo(x0, mean) || math.Abs(float64(ss)-exactSq) > 1e-5*exactSq+1e-6 {
				t.Fatalf("n=%d: SumSquares = %g, the Go loop %g, exact %g", n, ss, sumSquaresGo(x0, mean), exactSq)
			}
			sg, sgh := RowNormGradSums(g, gamma, x)
			wg, wgh := gradSumsGo(g0, gamma0, x0)
			if sg != wg || sgh != wgh {
				t.Fatalf("n=%d: RowNormGradSums = %g, %g; the Go loop %g, %g", n, sg, sgh, wg, wgh)
			}

			check := func(name string, got []float32, want func(j int) float32) {
				t.Helper()
				for j := range got {
					if w := want(j); !sameBits(got[j], w) {
						t.Fatalf("%s n=%d: [%d] = %g, want %g", name, n, j, got[j], w)
					}
				}
			}
			NormalizeRow(x, gamma, beta, xhat, out, mean, 1.3)
			check("NormalizeRow xhat", xhat, func(j int) float32 { return (x0[j] - mean) * 1.3 })
			check("NormalizeRow y", out, func(j int) float32 { h := (x0[j] - mean) * 1.3; return h*gamma0[j] + beta0[j] })
			NormalizeRowBackward(g, gamma, x, out, 0.2, -0.7, 1.3)
			check("NormalizeRowBackward", out, func(j int) float32 { return (g0[j]*gamma0[j] - 0.2 - x0[j]*-0.7) * 1.3 })
			Add(x, g, out)
			check("Add", out, func(j int) float32 { return x0[j] + g0[j] })
			for _, f := range []func(*testing.T){guardX, guardG, guardGamma, guardBeta, guardOut, guardXhat} {
				f(t)
			}
		}
	})
}

// Sum adds value j into lane j mod 16 and the lanes in halves: a value
// placed in each lane shows the order.
func TestSumOrder(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		// 1 in lane 0 and e = 2⁻²⁴ in lanes 1 to 15. In halves: lane 8's e
		// is lost against the 1 (a tie, to even), the others pair up
		// first: 1 + 2e, + 4e, + 8e = 1 + 7·2⁻²³. In sequence every e
		// would be lost, and the sum 1.
		x := make([]float32, 16)
		x[0] = 1
		for l := 1; l < 16; l++ {
			x[l] = 0x1p-24
		}
		if got, want := Sum(x), float32(1+7*0x1p-23); got != want {
			t.Errorf("Sum = %.9g, want %.9g (lanes added in halves)", got, want)
		}
	})
}

func TestRowNormPanics(t *testing.T) {
	s := make([]float32, 3)
	for name, f := range map[string]func(){
		"Add":                  func() { Add(s, s[:2], s) },
		"RowNormGradSums":      func() { RowNormGradSums(s, s, s[:1]) },
		"NormalizeRow":         func() { NormalizeRow(s, s, s, s[:2], s, 0, 1) },
		"NormalizeRowBackward": func() { NormalizeRowBackward(s, s[:2], s, s, 0, 0, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic on slices of different lengths")
				}
			}()
			f()
		})
	}
}

// One 192-wide row's layer normalisation, forward and backward, by each
// kernel family: the sums, the normalisation and its gradient.
func BenchmarkRowNorm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 192
	x, g, gamma, beta := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range x {
		x[i], g[i], gamma[i], beta[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), 1, 0
	}
	xhat, y, dx := make([]float32, n), make([]float32, n), make([]float32, n)
	for _, name := range elemKernelNames() {
		restore, _ := useElemKernels(name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				mean := Sum(x) / n
				inv := 1 / (SumSquares(x, mean)/n + 1e-5)
				NormalizeRow(x, gamma, beta, xhat, y, mean, inv)
				sg, sgh := RowNormGradSums(g, gamma, xhat)
				NormalizeRowBackward(g, gamma, xhat, dx, sg/n, sgh/n, inv)
			}
		})
		restore()
	}
}
