package nn

import "math"

// π/2 split in three, after the π/4 split of the math package's sin
// (doubled, which is exact): θ − n·(π/2) computed with the three parts
// in turn loses no precision for |n| < 2²⁸.
const (
	pio2A = 2 * 7.85398125648498535156e-1
	pio2B = 2 * 3.77489470793079817668e-8
	pio2C = 2 * 2.69515142907905952645e-15
	// sincosReduceMax bounds the arguments reduced that way; larger ones
	// go to math.Sincos.
	sincosReduceMax = 1 << 28
)

// sincos returns sin θ and cos θ to within 3e-8, the precision of the
// float32 values PLR stores them in, in less time than math.Sincos takes
// for full float64 precision: PLR evaluates them for every row, feature
// and frequency, which with math.Sincos took most of a training step's
// time. θ is reduced to r ∈ [−π/4, π/4] and a quadrant, and the Taylor
// series of sin r to r⁹ and of cos r to r⁸ are evaluated by Horner's rule;
// their truncation errors there are below 2e-9 and 2.5e-8.
func sincos(theta float64) (sin, cos float64) {
	if !(math.Abs(theta) < sincosReduceMax) { // NaN and ±Inf too
		return math.Sincos(theta)
	}
	n := math.Floor(theta*(2/math.Pi) + 0.5)
	r := ((theta - n*pio2A) - n*pio2B) - n*pio2C
	r2 := r * r
	s := r * (1 + r2*(-1.0/6+r2*(1.0/120+r2*(-1.0/5040+r2*(1.0/362880)))))
	c := 1 + r2*(-1.0/2+r2*(1.0/24+r2*(-1.0/720+r2*(1.0/40320))))
	switch int64(n) & 3 {
	case 1:
		return c, -s
	case 2:
		return -s, -c
	case 3:
		return -c, s
	}
	return s, c
}
