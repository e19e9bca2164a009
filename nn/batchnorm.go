package nn

import (
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// BatchNorm1d normalises each column with the batch's statistics in
// training and with running averages in evaluation, then applies a learned
// scale and shift. Like PyTorch, the running variance uses the unbiased
// batch variance and momentum 0.1.
type BatchNorm1d struct {
	Gamma, Beta      *Param
	RunMean, RunVar  *Param
	Momentum, Eps    float64
	trainMode        bool
	mean, invStd     []float64
	sumDy, sumDyXhat []float64
	xhat, y, dx      *tensor.Mat
}

// NewBatchNorm1d returns a layer for n features.
func NewBatchNorm1d(name string, n int) *BatchNorm1d {
	b := &BatchNorm1d{
		Gamma:    NewParam(name+".weight", 1, n),
		Beta:     NewParam(name+".bias", 1, n),
		RunMean:  NewBuffer(name+".running_mean", 1, n),
		RunVar:   NewBuffer(name+".running_var", 1, n),
		Momentum: 0.1, Eps: 1e-5,
		mean: make([]float64, n), invStd: make([]float64, n),
		sumDy: make([]float64, n), sumDyXhat: make([]float64, n),
	}
	b.Gamma.Value.Fill(1)
	b.RunVar.Value.Fill(1)
	return b
}

// Forward implements [Module].
func (b *BatchNorm1d) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	n := x.Cols
	b.trainMode = train
	b.xhat = tensor.Ensure(b.xhat, x.Rows, n)
	b.y = tensor.Ensure(b.y, x.Rows, n)
	if train {
		clear(b.mean)
		clear(b.invStd) // holds the sum of squares until the end
		for i := range x.Rows {
			for j, v := range x.Row(i) {
				b.mean[j] += float64(v)
			}
		}
		rows := float64(x.Rows)
		for j := range b.mean {
			b.mean[j] /= rows
		}
		for i := range x.Rows {
			for j, v := range x.Row(i) {
				d := float64(v) - b.mean[j]
				b.invStd[j] += d * d
			}
		}
		rm, rv := b.RunMean.Value.Data, b.RunVar.Value.Data
		for j := range b.invStd {
			v := b.invStd[j] / rows
			unbiased := v
			if x.Rows > 1 {
				unbiased = b.invStd[j] / (rows - 1)
			}
			rm[j] = float32((1-b.Momentum)*float64(rm[j]) + b.Momentum*b.mean[j])
			rv[j] = float32((1-b.Momentum)*float64(rv[j]) + b.Momentum*unbiased)
			b.invStd[j] = 1 / math.Sqrt(v+b.Eps)
		}
	} else {
		for j, m := range b.RunMean.Value.Data {
			b.mean[j] = float64(m)
			b.invStd[j] = 1 / math.Sqrt(float64(b.RunVar.Value.Data[j])+b.Eps)
		}
	}
	g, be := b.Gamma.Value.Data, b.Beta.Value.Data
	for i := range x.Rows {
		xr, hr, yr := x.Row(i), b.xhat.Row(i), b.y.Row(i)
		for j, v := range xr {
			h := float32((float64(v) - b.mean[j]) * b.invStd[j])
			hr[j] = h
			yr[j] = g[j]*h + be[j]
		}
	}
	return b.y
}

// Backward implements [Module]. In training mode the batch statistics
// depend on every row, which gives the usual three-term gradient
// dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
func (b *BatchNorm1d) Backward(dy *tensor.Mat) *tensor.Mat {
	b.dx = tensor.Ensure(b.dx, dy.Rows, dy.Cols)
	clear(b.sumDy)
	clear(b.sumDyXhat)
	for i := range dy.Rows {
		gr, hr := dy.Row(i), b.xhat.Row(i)
		for j, g := range gr {
			b.sumDy[j] += float64(g)
			b.sumDyXhat[j] += float64(g) * float64(hr[j])
		}
	}
	gg, gb := b.Gamma.Grad.Data, b.Beta.Grad.Data
	for j := range gg {
		gg[j] += float32(b.sumDyXhat[j])
		gb[j] += float32(b.sumDy[j])
	}
	gamma := b.Gamma.Value.Data
	rows := float64(dy.Rows)
	for i := range dy.Rows {
		gr, hr, dr := dy.Row(i), b.xhat.Row(i), b.dx.Row(i)
		for j, g := range gr {
			s := float64(gamma[j]) * b.invStd[j]
			if b.trainMode {
				dr[j] = float32(s * (float64(g) - b.sumDy[j]/rows - float64(hr[j])*b.sumDyXhat[j]/rows))
			} else {
				dr[j] = float32(s * float64(g))
			}
		}
	}
	return b.dx
}

// Params implements [Module].
func (b *BatchNorm1d) Params() []*Param {
	return []*Param{b.Gamma, b.Beta, b.RunMean, b.RunVar}
}
