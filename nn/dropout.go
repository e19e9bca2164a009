package nn

import (
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Dropout zeroes each element with probability P in training and scales
// the survivors by 1/(1−P), so that evaluation is the identity.
type Dropout struct {
	P      float64
	rng    *rand.Rand
	active bool
	mask   []float32
	y, dx  *tensor.Mat
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
	scale := float32(1 / (1 - d.P))
	// Two 32-bit draws from each 64-bit value, compared as integers: the
	// draws were the layer's largest cost, a float64 each.
	threshold := uint32(min(d.P*(1<<32), math.MaxUint32))
	var bits uint64
	for i := range d.mask {
		if i%2 == 0 {
			bits = d.rng.Uint64()
		} else {
			bits >>= 32
		}
		if uint32(bits) < threshold {
			d.mask[i] = 0
		} else {
			d.mask[i] = scale
		}
	}
	d.y = tensor.Ensure(d.y, x.Rows, x.Cols)
	for i := range x.Rows {
		xr, yr, m := x.Row(i), d.y.Row(i), d.mask[i*x.Cols:]
		for j, v := range xr {
			yr[j] = v * m[j]
		}
	}
	return d.y
}

// Backward implements [Module].
func (d *Dropout) Backward(dy *tensor.Mat) *tensor.Mat {
	if !d.active {
		return dy
	}
	d.dx = tensor.Ensure(d.dx, dy.Rows, dy.Cols)
	for i := range dy.Rows {
		gr, dr, m := dy.Row(i), d.dx.Row(i), d.mask[i*dy.Cols:]
		for j, g := range gr {
			dr[j] = g * m[j]
		}
	}
	return d.dx
}

// Params implements [Module].
func (d *Dropout) Params() []*Param { return nil }
