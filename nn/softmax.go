package nn

import (
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// RowSoftmax is the row-wise softmax as a layer, y_ij = exp(x_ij)/Σ_k exp(x_ik): in
// attention, over the scores of one query token against every token. The
// row's largest value is subtracted before the exponentials, so that
// large scores cannot overflow (the result is the same).
type RowSoftmax struct {
	x, y, dy, dx *tensor.Mat
	fwd, bwd     rowsTask
}

// Forward implements [Module].
func (s *RowSoftmax) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	s.x = x
	s.y = tensor.Ensure(s.y, x.Rows, x.Cols)
	if s.fwd.f == nil {
		s.fwd.f, s.bwd.f = s.forwardRows, s.backwardRows
	}
	tensor.Parallel(x.Rows, rowGrain(4*x.Cols), &s.fwd)
	s.x = nil
	return s.y
}

func (s *RowSoftmax) forwardRows(lo, hi int) {
	for i := lo; i < hi; i++ {
		xr, yr := s.x.Row(i), s.y.Row(i)
		yr = yr[:len(xr)]
		m := float32(math.Inf(-1))
		for _, v := range xr {
			m = max(m, v)
		}
		// Attention takes a million exponentials a step: tensor.Exp
		// computes them a vector at a time.
		copy(yr, xr)
		tensor.Exp(yr, m)
		var sum float64
		for _, e := range yr {
			sum += float64(e)
		}
		inv := float32(1 / sum)
		for j := range yr {
			yr[j] *= inv
		}
	}
}

// Backward implements [Module]: dx = y ⊙ (dy − Σ_k dy_k·y_k), per row.
func (s *RowSoftmax) Backward(dy *tensor.Mat) *tensor.Mat {
	s.dx = tensor.Ensure(s.dx, dy.Rows, dy.Cols)
	s.dy = dy
	tensor.Parallel(dy.Rows, rowGrain(dy.Cols), &s.bwd)
	s.dy = nil
	return s.dx
}

func (s *RowSoftmax) backwardRows(lo, hi int) {
	for i := lo; i < hi; i++ {
		gr, yr, dr := s.dy.Row(i), s.y.Row(i), s.dx.Row(i)
		yr, dr = yr[:len(gr)], dr[:len(gr)]
		var dot float32
		for j, g := range gr {
			dot += g * yr[j]
		}
		for j, g := range gr {
			dr[j] = yr[j] * (g - dot)
		}
	}
}

// Params implements [Module].
func (s *RowSoftmax) Params() []*Param { return nil }
