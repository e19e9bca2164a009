package nn

import (
	"fmt"
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// LayerNorm normalises each row (the last dimension: one token, in the
// token layout) by its own mean and variance, then applies a learned
// scale and shift per column:
//
//	y = (x − mean(x))/√(var(x) + ε)·γ + β
//
// with the biased variance and ε = 1e-5, as PyTorch's LayerNorm. Unlike
// batch normalisation it has no running statistics: training and
// evaluation compute the same.
type LayerNorm struct {
	Gamma, Beta *Param
	Eps         float64
	// Per row: 1/√(var+ε) of the last forward pass.
	invStd      []float32
	xhat, y, dx *tensor.Mat
	x, dy       *tensor.Mat
	fwd, bwd    rowsTask
}

// NewLayerNorm returns a layer for rows of n values.
func NewLayerNorm(name string, n int) *LayerNorm {
	l := &LayerNorm{Gamma: NewParam(name+".weight", 1, n), Beta: NewParam(name+".bias", 1, n), Eps: 1e-5}
	l.Gamma.Value.Fill(1)
	return l
}

// Forward implements [Module]. The row sums are float32, the mean first
// and the squared deviations from it in a second pass; 1/σ is computed in
// float64.
func (l *LayerNorm) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	if x.Cols != l.Gamma.Value.Cols {
		panic(fmt.Sprintf("nn: LayerNorm of %d values given %d columns", l.Gamma.Value.Cols, x.Cols))
	}
	l.x = x
	l.xhat = tensor.Ensure(l.xhat, x.Rows, x.Cols)
	l.y = tensor.Ensure(l.y, x.Rows, x.Cols)
	if cap(l.invStd) < x.Rows {
		l.invStd = make([]float32, x.Rows)
	}
	l.invStd = l.invStd[:x.Rows]
	if l.fwd.f == nil {
		l.fwd.f, l.bwd.f = l.forwardRows, l.backwardRows
	}
	tensor.Parallel(x.Rows, rowGrain(x.Cols), &l.fwd)
	l.x = nil
	return l.y
}

func (l *LayerNorm) forwardRows(lo, hi int) {
	n := float32(l.x.Cols)
	gamma, beta := l.Gamma.Value.Data, l.Beta.Value.Data
	for i := lo; i < hi; i++ {
		xr, hr, yr := l.x.Row(i), l.xhat.Row(i), l.y.Row(i)
		mean := tensor.Sum(xr) / n
		ss := tensor.SumSquares(xr, mean)
		inv := float32(1 / math.Sqrt(float64(ss/n)+l.Eps))
		l.invStd[i] = inv
		c := len(xr)
		tensor.NormalizeRow(xr, gamma[:c], beta[:c], hr[:c], yr[:c], mean, inv)
	}
}

// Backward implements [Module]. With g = dy·γ, per row,
// dx = (g − mean(g) − x̂·mean(g·x̂))/σ; dγ += Σ_rows dy·x̂, dβ += Σ_rows dy.
func (l *LayerNorm) Backward(dy *tensor.Mat) *tensor.Mat {
	tensor.AddColumnProducts(l.Gamma.Grad.Data, dy, l.xhat)
	tensor.AddColumnSums(l.Beta.Grad.Data, dy)
	l.dx = tensor.Ensure(l.dx, dy.Rows, dy.Cols)
	l.dy = dy
	tensor.Parallel(dy.Rows, rowGrain(dy.Cols), &l.bwd)
	l.dy = nil
	return l.dx
}

func (l *LayerNorm) backwardRows(lo, hi int) {
	n := float32(l.dy.Cols)
	gamma := l.Gamma.Value.Data
	for i := lo; i < hi; i++ {
		gr, hr, dr := l.dy.Row(i), l.xhat.Row(i), l.dx.Row(i)
		c := len(gr)
		sg, sgh := tensor.RowNormGradSums(gr, gamma[:c], hr[:c])
		tensor.NormalizeRowBackward(gr, gamma[:c], hr[:c], dr[:c], sg/n, sgh/n, l.invStd[i])
	}
}

// Params implements [Module].
func (l *LayerNorm) Params() []*Param { return []*Param{l.Gamma, l.Beta} }
