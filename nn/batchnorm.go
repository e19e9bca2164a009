package nn

import (
	"fmt"
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
	b.xhat = tensor.Ensure(b.xhat, x.Rows, x.Cols)
	b.y = tensor.Ensure(b.y, x.Rows, x.Cols)
	b.trainMode = b.normalize(x, train, b.mean, b.invStd, b.xhat, b.y)
	return b.y
}

// normalize is the forward pass of the batch x into xhat and y, with the
// statistics used in mean and invStd; it reports whether they were the
// batch's (see the type's comment on one-row batches), in which case the
// running averages have been updated.
func (b *BatchNorm1d) normalize(x *tensor.Mat, train bool, mean, invStd []float32, xhat, y *tensor.Mat) bool {
	trainMode := train && x.Rows > 1
	if trainMode {
		rows := float64(x.Rows)
		clear(mean)
		tensor.AddColumnSums(mean, x)
		for j := range mean {
			mean[j] = float32(float64(mean[j]) / rows)
		}
		sq := invStd // holds the sums of squares until the end
		clear(sq)
		tensor.AddColumnSquares(sq, x, mean)
		rm, rv := b.RunMean.Value.Data, b.RunVar.Value.Data
		for j, s := range sq {
			v := float64(s) / rows
			unbiased := float64(s) / (rows - 1)
			rm[j] = float32((1-b.Momentum)*float64(rm[j]) + b.Momentum*float64(mean[j]))
			rv[j] = float32((1-b.Momentum)*float64(rv[j]) + b.Momentum*unbiased)
			invStd[j] = float32(1 / math.Sqrt(v+b.Eps))
		}
	} else {
		copy(mean, b.RunMean.Value.Data)
		for j, v := range b.RunVar.Value.Data {
			invStd[j] = float32(1 / math.Sqrt(float64(v)+b.Eps))
		}
	}
	tensor.NormalizeColumns(x, mean, invStd, b.Gamma.Value.Data, b.Beta.Value.Data, xhat, y)
	return trainMode
}

// Backward implements [Module]. In training mode the batch statistics
// depend on every row, which gives the usual three-term gradient
// dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)); in evaluation mode the
// statistics are constants and dx = γ/σ·dy.
func (b *BatchNorm1d) Backward(dy *tensor.Mat) *tensor.Mat {
	b.dx = tensor.Ensure(b.dx, dy.Rows, dy.Cols)
	b.backward(dy, b.xhat, b.invStd, b.trainMode, b.dx)
	return b.dx
}

// backward is the backward pass of a batch normalised by normalize into
// xhat with invStd: it accumulates the parameter gradients and writes dx.
func (b *BatchNorm1d) backward(dy, xhat *tensor.Mat, invStd []float32, trainMode bool, dx *tensor.Mat) {
	clear(b.sumDy)
	clear(b.sumDyXhat)
	tensor.AddColumnSums(b.sumDy, dy)
	tensor.AddColumnProducts(b.sumDyXhat, dy, xhat)
	gg, gb := b.Gamma.Grad.Data, b.Beta.Grad.Data
	gamma := b.Gamma.Value.Data
	rows := float64(dy.Rows)
	for j := range gg {
		gg[j] += b.sumDyXhat[j]
		gb[j] += b.sumDy[j]
		b.scale[j] = float32(float64(gamma[j]) * float64(invStd[j]))
		// The sums are done with; in place, they become the means (zero
		// in evaluation, where the statistics are constants).
		md, mdx := float32(0), float32(0)
		if trainMode {
			md = float32(float64(b.sumDy[j]) / rows)
			mdx = float32(float64(b.sumDyXhat[j]) / rows)
		}
		b.sumDy[j], b.sumDyXhat[j] = md, mdx
	}
	tensor.NormalizeColumnsBackward(dy, xhat, b.sumDy, b.sumDyXhat, b.scale, dx)
}

// Params implements [Module].
func (b *BatchNorm1d) Params() []*Param {
	return []*Param{b.Gamma, b.Beta, b.RunMean, b.RunVar}
}

// GhostBatchNorm is batch normalisation over virtual batches (Hoffer et
// al., 2017), as TabNet uses it: the batch is cut into chunks of about
// VirtualBatch rows, each normalised with its own statistics, and the
// running averages are updated once per chunk, in order. As with
// torch.chunk, a batch of n rows makes ⌈n/VirtualBatch⌉ chunks of
// ⌈n/chunks⌉ rows, the last one shorter (or fewer chunks). Evaluation uses
// the running statistics, as [BatchNorm1d] does, and so does a chunk of one
// row in training.
type GhostBatchNorm struct {
	*BatchNorm1d
	VirtualBatch int
	// Per chunk: its statistics, whether they were its own, its rows.
	mean, invStd [][]float32
	trainMode    []bool
	xv, hv, yv   tensor.Mat // views of one chunk
	gv, dv       tensor.Mat
	xhat, y, dx  *tensor.Mat
}

// NewGhostBatchNorm returns a layer for n features normalised over
// virtual batches of vbs rows, with the given momentum (TabNet: 128 and
// 0.02).
func NewGhostBatchNorm(name string, n, vbs int, momentum float64) *GhostBatchNorm {
	if vbs < 1 {
		panic(fmt.Sprintf("nn: GhostBatchNorm virtual batch of %d rows", vbs))
	}
	b := NewBatchNorm1d(name, n)
	b.Momentum = momentum
	return &GhostBatchNorm{BatchNorm1d: b, VirtualBatch: vbs}
}

// chunks returns the number of chunks of a batch of rows, and their size.
func (g *GhostBatchNorm) chunks(rows int) (count, size int) {
	if rows == 0 {
		return 0, 0
	}
	count = (rows + g.VirtualBatch - 1) / g.VirtualBatch
	size = (rows + count - 1) / count
	return (rows + size - 1) / size, size
}

// Forward implements [Module].
func (g *GhostBatchNorm) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	count, size := g.chunks(x.Rows)
	for len(g.mean) < count {
		g.mean = append(g.mean, make([]float32, x.Cols))
		g.invStd = append(g.invStd, make([]float32, x.Cols))
		g.trainMode = append(g.trainMode, false)
	}
	g.xhat = tensor.Ensure(g.xhat, x.Rows, x.Cols)
	g.y = tensor.Ensure(g.y, x.Rows, x.Cols)
	for c := range count {
		r0, r1 := c*size, min((c+1)*size, x.Rows)
		g.trainMode[c] = g.normalize(g.xv.SetRowView(x, r0, r1), train, g.mean[c], g.invStd[c],
			g.hv.SetRowView(g.xhat, r0, r1), g.yv.SetRowView(g.y, r0, r1))
	}
	g.xv = tensor.Mat{}
	return g.y
}

// Backward implements [Module]: each chunk's, as [BatchNorm1d.Backward]
// with its statistics; the parameter gradients add up over the chunks.
func (g *GhostBatchNorm) Backward(dy *tensor.Mat) *tensor.Mat {
	g.dx = tensor.Ensure(g.dx, dy.Rows, dy.Cols)
	count, size := g.chunks(dy.Rows)
	for c := range count {
		r0, r1 := c*size, min((c+1)*size, dy.Rows)
		g.backward(g.gv.SetRowView(dy, r0, r1), g.hv.SetRowView(g.xhat, r0, r1), g.invStd[c], g.trainMode[c],
			g.dv.SetRowView(g.dx, r0, r1))
	}
	g.gv = tensor.Mat{}
	return g.dx
}
