package nn

import (
	"slices"

	"github.com/gotabular/gotabular/tensor"
)

// Sparsemax is the row-wise sparsemax (Martins and Astudillo, 2016), the
// Euclidean projection of each row onto the probability simplex:
// y = max(x − τ, 0) with τ such that the row sums to 1. Unlike softmax it
// gives exact zeros, which TabNet's attentive transformer uses to select
// few features per step.
//
// With the row sorted in decreasing order z₁ ≥ z₂ ≥ …, the support has
// k = max{j : 1 + j·z_j > Σ_{i≤j} z_i} elements and τ = (Σ_{i≤k} z_i − 1)/k.
type Sparsemax struct {
	x, y, dy, dx *tensor.Mat
	sorted       *tensor.Mat // each row's copy, sorted
	fwd, bwd     rowsTask
}

// Forward implements [Module].
func (s *Sparsemax) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	s.x = x
	s.y = tensor.Ensure(s.y, x.Rows, x.Cols)
	s.sorted = tensor.Ensure(s.sorted, x.Rows, x.Cols)
	if s.fwd.f == nil {
		s.fwd.f, s.bwd.f = s.forwardRows, s.backwardRows
	}
	tensor.Parallel(x.Rows, rowGrain(8*x.Cols), &s.fwd)
	s.x = nil
	return s.y
}

func (s *Sparsemax) forwardRows(lo, hi int) {
	for i := lo; i < hi; i++ {
		xr, yr, z := s.x.Row(i), s.y.Row(i), s.sorted.Row(i)
		copy(z, xr)
		slices.Sort(z) // increasing: z[n−1] is the largest
		n := len(z)
		var cum, tauSum float32
		k := 0
		for j := 1; j <= n; j++ {
			v := z[n-j]
			cum += v
			if 1+float32(j)*v > cum {
				k, tauSum = j, cum
			}
		}
		tau := (tauSum - 1) / float32(k)
		yr = yr[:len(xr)]
		for j, v := range xr {
			yr[j] = max(v-tau, 0)
		}
	}
}

// Backward implements [Module]. Over the support S (where y > 0) the
// Jacobian is I − 11ᵀ/|S|, elsewhere zero: dx_i = dy_i − mean_S(dy) for
// i in S, 0 otherwise.
func (s *Sparsemax) Backward(dy *tensor.Mat) *tensor.Mat {
	s.dx = tensor.Ensure(s.dx, dy.Rows, dy.Cols)
	s.dy = dy
	tensor.Parallel(dy.Rows, rowGrain(dy.Cols), &s.bwd)
	s.dy = nil
	return s.dx
}

func (s *Sparsemax) backwardRows(lo, hi int) {
	for i := lo; i < hi; i++ {
		gr, yr, dr := s.dy.Row(i), s.y.Row(i), s.dx.Row(i)
		yr, dr = yr[:len(gr)], dr[:len(gr)]
		var sum float32
		k := 0
		for j, g := range gr {
			if yr[j] > 0 {
				sum += g
				k++
			}
		}
		mean := sum / float32(max(k, 1))
		for j, g := range gr {
			if yr[j] > 0 {
				dr[j] = g - mean
			} else {
				dr[j] = 0
			}
		}
	}
}

// Params implements [Module].
func (s *Sparsemax) Params() []*Param { return nil }
