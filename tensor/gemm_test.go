package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// randMat returns an r×c matrix of N(0,1) values; with pad > 0 it is a view
// into a wider matrix, so that strided access is exercised.
func randMat(rng *rand.Rand, r, c, pad int) *Mat {
	w := New(r, c+pad)
	for i := range w.Data {
		w.Data[i] = float32(rng.NormFloat64())
	}
	return w.ColView(0, c)
}

// refGemm computes alpha·op(A)·op(B) + beta·C in float64.
func refGemm(transA, transB bool, alpha float64, a, b *Mat, beta float64, c *Mat) []float64 {
	at := func(i, p int) float64 {
		if transA {
			return float64(a.At(p, i))
		}
		return float64(a.At(i, p))
	}
	bt := func(p, j int) float64 {
		if transB {
			return float64(b.At(j, p))
		}
		return float64(b.At(p, j))
	}
	k := a.Cols
	if transA {
		k = a.Rows
	}
	out := make([]float64, c.Rows*c.Cols)
	for i := range c.Rows {
		for j := range c.Cols {
			s := 0.0
			for p := range k {
				s += at(i, p) * bt(p, j)
			}
			out[i*c.Cols+j] = alpha*s + beta*float64(c.At(i, j))
		}
	}
	return out
}

func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][3]int{{1, 1, 1}, {7, 15, 16}, {17, 33, 1}, {16, 7, 17}, {33, 17, 15}, {64, 65, 63}}
	for _, s := range shapes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, beta := range []float32{0, 1, 0.5} {
					m, n, k := s[0], s[1], s[2]
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/beta=%v", m, n, k, ta, tb, beta)
					t.Run(name, func(t *testing.T) {
						ar, ac := m, k
						if ta {
							ar, ac = k, m
						}
						br, bc := k, n
						if tb {
							br, bc = n, k
						}
						a := randMat(rng, ar, ac, 3)
						b := randMat(rng, br, bc, 1)
						c := randMat(rng, m, n, 2)
						want := refGemm(ta, tb, 0.7, a, b, float64(beta), c)
						Gemm(ta, tb, 0.7, a, b, beta, c)
						for i := range m {
							for j := range n {
								got, w := float64(c.At(i, j)), want[i*n+j]
								if math.Abs(got-w) > 1e-4*(1+math.Abs(w))*math.Sqrt(float64(k)) {
									t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, w)
								}
							}
						}
					})
				}
			}
		}
	}
}

func TestGemmShapePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Gemm with mismatched shapes did not panic")
		}
	}()
	Gemm(false, false, 1, New(2, 3), New(4, 5), 0, New(2, 5))
}
