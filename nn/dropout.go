package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Dropout zeroes each element with probability P in training and scales
// the survivors by 1/(1−P), so that evaluation is the identity.
//
// The rows are shared between the worker pool's threads: drawing the mask
// was a tenth of an FT-Transformer step on one thread while the other
// waited. Each row draws from its own stream, seeded by one draw of rng per
// pass and the row's index, so that the mask does not depend on how the
// rows were shared.
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
	d.seed = d.rng.Uint64()
	d.x = x
	d.y = tensor.Ensure(d.y, x.Rows, x.Cols)
	if d.fwd.f == nil {
		d.fwd.f, d.bwd.f = d.forwardRows, d.backwardRows
	}
	tensor.Parallel(x.Rows, rowGrain(x.Cols), &d.fwd)
	d.x = nil
	return d.y
}

func (d *Dropout) forwardRows(lo, hi int) {
	cols := d.x.Cols
	for i := lo; i < hi; i++ {
		var pcg rand.PCG
		pcg.Seed(d.seed, uint64(i))
		// Two 32-bit draws from each 64-bit value, compared as integers
		// (the draws were the layer's largest cost, a float64 each), and
		// without a branch, which would be mispredicted at every drop:
		// draw − threshold wraps below zero exactly for a dropped value,
		// and its sign bit, spread, clears the scale's bits.
		m := d.mask[i*cols : (i+1)*cols]
		scale, th := math.Float32bits(d.scale), uint64(d.threshold)
		j := 0
		for ; j+2 <= len(m); j += 2 {
			bits := pcg.Uint64()
			lo, hi := bits&0xffffffff, bits>>32
			m[j] = math.Float32frombits(scale &^ uint32(int64(lo-th)>>63))
			m[j+1] = math.Float32frombits(scale &^ uint32(int64(hi-th)>>63))
		}
		if j < len(m) {
			lo := pcg.Uint64() & 0xffffffff
			m[j] = math.Float32frombits(scale &^ uint32(int64(lo-th)>>63))
		}
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
