package nn

import "math"

// expf is e^x in float32 arithmetic, within 2 units in the last place of
// float32 where the result is a normal number: the softmax of attention
// and the GELU gates take millions of exponentials a step, and the
// float64 math.Exp costs several times this. Results below the smallest
// normal float32 are flushed to 0, as subnormals slow x86 arithmetic.
//
// e^x = 2^n·e^r with n = round(x/ln 2) and |r| ≤ ln 2/2, r computed with
// ln 2 split in two so that it stays exact; e^r by its Taylor polynomial
// to degree 7, whose remainder is below 2⁻²⁸ on that interval.
func expf(x float32) float32 {
	switch {
	case x > 88.72:
		return float32(math.Inf(1))
	case !(x >= -87.3): // also NaN
		if x != x {
			return x
		}
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125 // ln 2's first 16 bits, exact in float32
		ln2lo = 1.42860682030941723212e-6
	)
	// Rounding without a branch or math.Round (float64, not inlined): adding
	// 1.5·2²³ leaves round(x/ln 2) in the low mantissa bits, offset by 2²².
	const magic = 12582912
	kk := x*log2e + magic
	ni := int32(math.Float32bits(kk)&0x7fffff) - 0x400000
	n := kk - magic
	r := (x - n*ln2hi) - n*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	e := ni + 127
	if e >= 255 {
		// 2^128 is not a float32, though e^x is just below the largest.
		return 2 * p * math.Float32frombits(uint32(e-1)<<23)
	}
	if e <= 0 {
		return 0
	}
	return p * math.Float32frombits(uint32(e)<<23)
}

// normCDFf returns Φ(x) and φ(x), the standard normal CDF and density, in
// float32 arithmetic with one exponential for both; Φ's absolute error is
// below 3e-7, a few float32 rounding steps near 1. GEGLU calls it per
// element, where math.Erf in float64 cost more than the layer's products
// in FT-Transformer. The GELU activation keeps float64: a head's few
// units, whose finite-difference checks need the smoother function.
//
// Φ(x) = ½(1 + erf(x/√2)), with erf(z) = 1 − t·poly(t)·e^(−z²),
// t = 1/(1 + 0.3275911·z) for z ≥ 0 (Abramowitz and Stegun, 7.1.26,
// absolute error below 1.5e-7), and e^(−z²) = √(2π)·φ(x).
func normCDFf(x float32) (cdf, pdf float32) {
	const (
		invSqrt2   = 0.70710678118654752
		invSqrt2Pi = 0.39894228040143268
		p          = 0.3275911
		a1         = 0.254829592
		a2         = -0.284496736
		a3         = 1.421413741
		a4         = -1.453152027
		a5         = 1.061405429
	)
	e := expf(-0.5 * x * x)
	z := x * invSqrt2
	if z < 0 {
		z = -z
	}
	t := 1 / (1 + p*z)
	tail := 0.5 * t * (a1 + t*(a2+t*(a3+t*(a4+t*a5)))) * e // 1 − Φ(|x|)
	if x < 0 {
		return tail, e * invSqrt2Pi
	}
	return 1 - tail, e * invSqrt2Pi
}
