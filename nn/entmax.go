package nn

import (
	"math"
	"slices"

	"github.com/gotabular/gotabular/tensor"
)

// Entmax15 is the row-wise 1.5-entmax (Peters, Niculae and Martins, 2019),
// between softmax and sparsemax: y = max(x/2 − τ, 0)² with τ such that the
// row sums to 1. Like sparsemax it gives exact zeros, and unlike it its
// output has a continuous derivative, so the selection it makes changes
// smoothly; TabNet offers it for its masks (mask_type "entmax").
//
// With z = x/2 sorted in decreasing order z₁ ≥ z₂ ≥ …, a support of the k
// largest has the threshold τ_k = μ_k − √((1 − k·σ²_k)/k), μ_k and σ²_k
// being the mean and variance of z₁ … z_k (the root that keeps them
// positive); the support is the largest k with τ_k ≤ z_k.
type Entmax15 struct {
	x, y, dy, dx *tensor.Mat
	sorted       *tensor.Mat // each row's copy of x/2, sorted
	fwd, bwd     rowsTask
}

// Forward implements [Module].
func (e *Entmax15) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	e.x = x
	e.y = tensor.Ensure(e.y, x.Rows, x.Cols)
	e.sorted = tensor.Ensure(e.sorted, x.Rows, x.Cols)
	if e.fwd.f == nil {
		e.fwd.f, e.bwd.f = e.forwardRows, e.backwardRows
	}
	tensor.Parallel(x.Rows, rowGrain(8*x.Cols), &e.fwd)
	e.x = nil
	return e.y
}

func (e *Entmax15) forwardRows(lo, hi int) {
	for i := lo; i < hi; i++ {
		xr, yr, z := e.x.Row(i), e.y.Row(i), e.sorted.Row(i)
		for j, v := range xr {
			z[j] = v / 2
		}
		slices.Sort(z) // increasing: z[n−1] is the largest
		n := len(z)
		// The moments are of z less its largest, which leaves τ − max
		// unchanged and keeps the sums small. The support is counted, as
		// pytorch-tabnet counts it, rather than ended at the first k that
		// fails, should rounding make the k that pass no prefix.
		top := float64(z[n-1])
		support := 0
		var sum, sumSq float64
		for k := 1; k <= n; k++ {
			v := float64(z[n-k]) - top
			sum += v
			sumSq += v * v
			if entmaxTau(sum, sumSq, k) <= v {
				support = k
			}
		}
		sum, sumSq = 0, 0
		for k := 1; k <= support; k++ {
			v := float64(z[n-k]) - top
			sum += v
			sumSq += v * v
		}
		tau := entmaxTau(sum, sumSq, support) + top
		yr = yr[:len(xr)]
		for j, v := range xr {
			d := max(float64(v)/2-tau, 0)
			yr[j] = float32(d * d)
		}
	}
}

// entmaxTau is the threshold τ_k of a support of k values whose sum and
// sum of squares are given.
func entmaxTau(sum, sumSq float64, k int) float64 {
	mean := sum / float64(k)
	ss := sumSq - float64(k)*mean*mean // Σ(v − μ)²
	return mean - math.Sqrt(max((1-ss)/float64(k), 0))
}

// Backward implements [Module]. With s = √y = max(x/2 − τ, 0), the
// Jacobian is diag(s) − s·sᵀ/Σs (the halving of x cancels the square's
// 2), so dx = (g − Σ g⊙s / Σ s)⊙s with g the output's gradient: zero
// outside the support.
func (e *Entmax15) Backward(dy *tensor.Mat) *tensor.Mat {
	e.dx = tensor.Ensure(e.dx, dy.Rows, dy.Cols)
	e.dy = dy
	tensor.Parallel(dy.Rows, rowGrain(dy.Cols), &e.bwd)
	e.dy = nil
	return e.dx
}

func (e *Entmax15) backwardRows(lo, hi int) {
	for i := lo; i < hi; i++ {
		gr, yr, dr := e.dy.Row(i), e.y.Row(i), e.dx.Row(i)
		yr, dr = yr[:len(gr)], dr[:len(gr)]
		var sumGS, sumS float64
		for j, g := range gr {
			s := math.Sqrt(float64(yr[j]))
			sumGS += float64(g) * s
			sumS += s
		}
		q := sumGS / max(sumS, math.SmallestNonzeroFloat64)
		for j, g := range gr {
			s := math.Sqrt(float64(yr[j]))
			dr[j] = float32((float64(g) - q) * s)
		}
	}
}

// Params implements [Module].
func (e *Entmax15) Params() []*Param { return nil }
