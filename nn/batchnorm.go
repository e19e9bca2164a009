package nn

import (
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// BatchNorm1d normalises each column with the batch's statistics in
// training and with running averages in evaluation, then applies a learned
// scale and shift. Like PyTorch, the running variance uses the unbiased
// batch variance and momentum 0.1.
//
// A batch of one row has no variance to normalise by (PyTorch refuses it
// in training). Rather than fail, or output β whatever the input, the
// layer normalises such a batch with its running statistics, as in
// evaluation, and leaves them unchanged; the gradient is that of
// evaluation mode. So a batch size of 1, or a last batch of one row,
// trains the other layers and the affine parameters.
type BatchNorm1d struct {
	Gamma, Beta     *Param
	RunMean, RunVar *Param
	Momentum, Eps   float64
	trainMode       bool
	// Per column: the statistics of the last forward pass (in training,
	// the batch's), and the sums and factors of the backward pass (the sums
	// become the means that NormalizeColumnsBackward takes).
	mean, invStd     []float32
	sumDy, sumDyXhat []float32
	scale            []float32
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
	}
	for _, v := range []*[]float32{&b.mean, &b.invStd, &b.sumDy, &b.sumDyXhat, &b.scale} {
		*v = make([]float32, n)
	}
	b.Gamma.Value.Fill(1)
	b.RunVar.Value.Fill(1)
	return b
}

// Forward implements [Module]. The batch statistics are float32 column
// sums over the rows (tensor.AddColumnSums, then the squared deviations
// from the mean in a second pass), as PyTorch computes them in float32;
// only the per-column arithmetic (variance, running averages, 1/σ) is done
// in float64.
func (b *BatchNorm1d) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	b.trainMode = train && x.Rows > 1 // see the type's comment on one-row batches
	b.xhat = tensor.Ensure(b.xhat, x.Rows, x.Cols)
	b.y = tensor.Ensure(b.y, x.Rows, x.Cols)
	if b.trainMode {
		rows := float64(x.Rows)
		clear(b.mean)
		tensor.AddColumnSums(b.mean, x)
		for j := range b.mean {
			b.mean[j] = float32(float64(b.mean[j]) / rows)
		}
		sq := b.invStd // holds the sums of squares until the end
		clear(sq)
		tensor.AddColumnSquares(sq, x, b.mean)
		rm, rv := b.RunMean.Value.Data, b.RunVar.Value.Data
		for j, s := range sq {
			v := float64(s) / rows
			unbiased := float64(s) / (rows - 1)
			rm[j] = float32((1-b.Momentum)*float64(rm[j]) + b.Momentum*float64(b.mean[j]))
			rv[j] = float32((1-b.Momentum)*float64(rv[j]) + b.Momentum*unbiased)
			b.invStd[j] = float32(1 / math.Sqrt(v+b.Eps))
		}
	} else {
		copy(b.mean, b.RunMean.Value.Data)
		for j, v := range b.RunVar.Value.Data {
			b.invStd[j] = float32(1 / math.Sqrt(float64(v)+b.Eps))
		}
	}
	tensor.NormalizeColumns(x, b.mean, b.invStd, b.Gamma.Value.Data, b.Beta.Value.Data, b.xhat, b.y)
	return b.y
}

// Backward implements [Module]. In training mode the batch statistics
// depend on every row, which gives the usual three-term gradient
// dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)); in evaluation mode the
// statistics are constants and dx = γ/σ·dy.
func (b *BatchNorm1d) Backward(dy *tensor.Mat) *tensor.Mat {
	b.dx = tensor.Ensure(b.dx, dy.Rows, dy.Cols)
	clear(b.sumDy)
	clear(b.sumDyXhat)
	tensor.AddColumnSums(b.sumDy, dy)
	tensor.AddColumnProducts(b.sumDyXhat, dy, b.xhat)
	gg, gb := b.Gamma.Grad.Data, b.Beta.Grad.Data
	gamma := b.Gamma.Value.Data
	rows := float64(dy.Rows)
	for j := range gg {
		gg[j] += b.sumDyXhat[j]
		gb[j] += b.sumDy[j]
		b.scale[j] = float32(float64(gamma[j]) * float64(b.invStd[j]))
		// The sums are done with; in place, they become the means (zero
		// in evaluation, where the statistics are constants).
		md, mdx := float32(0), float32(0)
		if b.trainMode {
			md = float32(float64(b.sumDy[j]) / rows)
			mdx = float32(float64(b.sumDyXhat[j]) / rows)
		}
		b.sumDy[j], b.sumDyXhat[j] = md, mdx
	}
	tensor.NormalizeColumnsBackward(dy, b.xhat, b.sumDy, b.sumDyXhat, b.scale, b.dx)
	return b.dx
}

// Params implements [Module].
func (b *BatchNorm1d) Params() []*Param {
	return []*Param{b.Gamma, b.Beta, b.RunMean, b.RunVar}
}
