package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Dropout zeroes each element with probability P in training and scales
// the survivors by 1/(1−P), so that evaluation is the identity.
//
// A large mask's rows are shared between the worker pool's threads:
// drawing it was a tenth of an FT-Transformer step on one thread while
// the other waited. Each row then draws from its own stream, seeded by one
// draw of rng per pass and the row's index, so that the mask does not
// depend on how the rows were shared. A small one (parallelDropout) is
// drawn from rng itself.
type Dropout struct {
	P      float64
	rng    *rand.Rand
	active bool
	mask   []float32
	x, y   *tensor.Mat
	dy, dx *tensor.Mat
	// The pass's stream seed, threshold on 32-bit draws and the scale of
	// the kept values.
	seed      uint64
	threshold uint32
	scale     float32
	fwd, bwd  rowsTask
}

// NewDropout returns a dropout layer drawing from rng.
func NewDropout(p float64, rng *rand.Rand) *Dropout { return &Dropout{P: p, rng: rng} }

// Forward implements [Module].
func (d *Dropout) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	d.active = train && d.P > 0
	if !d.active {
		return x
	}
	n := x.Rows * x.Cols
	if cap(d.mask) < n {
		d.mask = make([]float32, n)
	}
	d.mask = d.mask[:n]
	d.scale = float32(1 / (1 - d.P))
	d.threshold = uint32(min(d.P*(1<<32), math.MaxUint32))
	d.x = x
	d.y = tensor.Ensure(d.y, x.Rows, x.Cols)
	if d.fwd.f == nil {
		d.fwd.f, d.bwd.f = d.forwardRows, d.backwardRows
	}
	if n < parallelDropout {
		// One stream for the whole mask, drawn from rng itself.
		fillMask(d.mask, d.rng, d.scale, d.threshold)
		d.applyRows(0, x.Rows)
	} else {
		d.seed = d.rng.Uint64()
		tensor.Parallel(x.Rows, rowGrain(x.Cols), &d.fwd)
	}
	d.x = nil
	return d.y
}

// parallelDropout is the least number of values whose mask is drawn row by
// row from per-row streams, with the rows shared between the worker pool's
// threads. Below it one thread draws the whole mask from the layer's rng,
// as it always did: a small mask is not worth a parallel region, and the
// few-label recipe's embedding dropout, whose masks are small, keeps
// drawing exactly the masks its benchmark figures were measured with.
const parallelDropout = 1 << 16

func (d *Dropout) forwardRows(lo, hi int) {
	cols := d.x.Cols
	for i := lo; i < hi; i++ {
		var pcg rand.PCG
		pcg.Seed(d.seed, uint64(i))
		fillMaskPCG(d.mask[i*cols:(i+1)*cols], &pcg, d.scale, d.threshold)
	}
	d.applyRows(lo, hi)
}

// The masks take two 32-bit draws from each 64-bit value (the low half
// first), compared as integers (the draws were the layer's largest cost, a
// float64 each), and without a branch, which would be mispredicted at
// every drop: draw − threshold wraps below zero exactly for a dropped
// value, and its sign bit, spread, clears the scale's bits. A source
// passed as an interface or a type parameter would make a row's stream
// escape to the heap, hence the two loops.

// keep returns scale's bits, or 0 where the 32-bit draw is below th.
func keep(draw, th uint64, scale uint32) float32 {
	return math.Float32frombits(scale &^ uint32(int64(draw-th)>>63))
}

// fillMask sets each value of m to 0 with probability threshold/2³², else
// to scale, drawing from rng.
func fillMask(m []float32, rng *rand.Rand, scale float32, threshold uint32) {
	s, th := math.Float32bits(scale), uint64(threshold)
	j := 0
	for ; j+2 <= len(m); j += 2 {
		bits := rng.Uint64()
		m[j], m[j+1] = keep(bits&0xffffffff, th, s), keep(bits>>32, th, s)
	}
	if j < len(m) {
		m[j] = keep(rng.Uint64()&0xffffffff, th, s)
	}
}

// fillMaskPCG is fillMask drawing from a row's own stream.
func fillMaskPCG(m []float32, pcg *rand.PCG, scale float32, threshold uint32) {
	s, th := math.Float32bits(scale), uint64(threshold)
	j := 0
	for ; j+2 <= len(m); j += 2 {
		bits := pcg.Uint64()
		m[j], m[j+1] = keep(bits&0xffffffff, th, s), keep(bits>>32, th, s)
	}
	if j < len(m) {
		m[j] = keep(pcg.Uint64()&0xffffffff, th, s)
	}
}

// applyRows sets rows [lo, hi) of y to those of x times the mask.
func (d *Dropout) applyRows(lo, hi int) {
	cols := d.x.Cols
	for i := lo; i < hi; i++ {
		m := d.mask[i*cols : (i+1)*cols]
		yr := d.y.Row(i)[:cols]
		for j, v := range d.x.Row(i)[:cols] {
			yr[j] = v * m[j]
		}
	}
}

// Backward implements [Module].
func (d *Dropout) Backward(dy *tensor.Mat) *tensor.Mat {
	if !d.active {
		return dy
	}
	d.dx = tensor.Ensure(d.dx, dy.Rows, dy.Cols)
	d.dy = dy
	tensor.Parallel(dy.Rows, rowGrain(dy.Cols), &d.bwd)
	d.dy = nil
	return d.dx
}

func (d *Dropout) backwardRows(lo, hi int) {
	cols := d.dy.Cols
	for i := lo; i < hi; i++ {
		m := d.mask[i*cols : (i+1)*cols]
		dr := d.dx.Row(i)[:cols]
		for j, g := range d.dy.Row(i)[:cols] {
			dr[j] = g * m[j]
		}
	}
}

// Params implements [Module].
func (d *Dropout) Params() []*Param { return nil }
