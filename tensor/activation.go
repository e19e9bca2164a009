package tensor

import (
	"fmt"
	"math"
)

// The activations of the transformer layers, element by element: the
// exponentials of the attention softmax and the gates of GEGLU and ReGLU.
// As the other element-wise kernels, each has a Go loop, the reference and
// the path of every other CPU, and an AVX-512 form in assembly that does
// the same operations in the same order, so that both give bitwise the
// same results; unlike them, the assembly keeps subnormal numbers, as the
// Go loops do. The slices are walked by the calling goroutine: the layers
// share their rows between the worker pool's threads themselves.

// Expf is e^x in float32 arithmetic, within 2 units in the last place of
// float32 where the result is a normal number: the softmax of attention
// and the GELU gates take millions of exponentials a step, and the
// float64 math.Exp costs several times this. Results below about e^−87.3
// (near the smallest normal float32) are 0, as subnormals slow x86
// arithmetic.
//
// e^x = 2^n·e^r with n = round(x/ln 2) and |r| ≤ ln 2/2, r computed with
// ln 2 split in two so that it stays exact; e^r by its Taylor polynomial
// to degree 7, whose remainder is below 2⁻²⁸ on that interval.
func Expf(x float32) float32 {
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

// NormCDF returns Φ(x) and φ(x), the standard normal CDF and density, in
// float32 arithmetic with one exponential for both; Φ's absolute error is
// below 3e-7, a few float32 rounding steps near 1. GEGLU calls it per
// element, where math.Erf in float64 cost more than the layer's products
// in FT-Transformer.
//
// Φ(x) = ½(1 + erf(x/√2)), with erf(z) = 1 − t·poly(t)·e^(−z²),
// t = 1/(1 + 0.3275911·z) for z ≥ 0 (Abramowitz and Stegun, 7.1.26,
// absolute error below 1.5e-7), and e^(−z²) = √(2π)·φ(x).
func NormCDF(x float32) (cdf, pdf float32) {
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
	e := Expf(-0.5 * x * x)
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

// Exp sets x[i] = Expf(x[i] − shift): the exponentials of a softmax row,
// shift being its largest value.
func Exp(x []float32, shift float32) {
	if len(x) > 0 {
		expKernel(x, shift)
	}
}

func expGo(x []float32, shift float32) {
	for i, v := range x {
		x[i] = Expf(v - shift)
	}
}

// GEGLU computes the gated unit y = a ⊙ GELU(b), with the exact GELU
// b·Φ(b) of [NormCDF]. In training, f and df receive the gate b·Φ(b) and
// its derivative Φ(b) + b·φ(b), which [GEGLUBackward] reads, and
// y = a·f; with f and df nil, y = (a·b)·Φ(b). It panics if the lengths
// differ.
func GEGLU(a, b, y, f, df []float32) {
	n := len(a)
	train := f != nil || df != nil
	if len(b) != n || len(y) != n || train && (len(f) != n || len(df) != n) {
		panic(fmt.Sprintf("tensor: GEGLU lengths a %d, b %d, y %d, f %d, df %d", n, len(b), len(y), len(f), len(df)))
	}
	if n == 0 {
		return
	}
	if train {
		gegluTrainKernel(a, b, y, f, df)
	} else {
		gegluKernel(a, b, y)
	}
}

func gegluGo(a, b, y []float32) {
	for j, v := range b {
		c, _ := NormCDF(v)
		y[j] = a[j] * v * c
	}
}

func gegluTrainGo(a, b, y, f, df []float32) {
	for j, v := range b {
		c, pdf := NormCDF(v)
		g := v * c
		f[j], df[j] = g, c+v*pdf
		y[j] = a[j] * g
	}
}

// GEGLUBackward sets da = dy·f and db = (dy·a)·df, from the gate f and its
// derivative df that [GEGLU] kept. It panics if the lengths differ.
func GEGLUBackward(dy, a, f, df, da, db []float32) {
	n := len(dy)
	if len(a) != n || len(f) != n || len(df) != n || len(da) != n || len(db) != n {
		panic(fmt.Sprintf("tensor: GEGLUBackward lengths dy %d, a %d, f %d, df %d, da %d, db %d", n, len(a), len(f), len(df), len(da), len(db)))
	}
	if n > 0 {
		gegluBackwardKernel(dy, a, f, df, da, db)
	}
}

func gegluBackwardGo(dy, a, f, df, da, db []float32) {
	for j, g := range dy {
		da[j] = g * f[j]
		db[j] = g * a[j] * df[j]
	}
}

// ReGLU computes y = a·max(b, 0), with Go's max: NaN stays NaN. It panics
// if the lengths differ.
func ReGLU(a, b, y []float32) {
	n := len(a)
	if len(b) != n || len(y) != n {
		panic(fmt.Sprintf("tensor: ReGLU lengths a %d, b %d, y %d", n, len(b), len(y)))
	}
	if n > 0 {
		regluKernel(a, b, y)
	}
}

func regluGo(a, b, y []float32) {
	for j, v := range b {
		y[j] = a[j] * max(v, 0)
	}
}

// ReGLUBackward sets da = dy·b and db = dy·a where b > 0, and both to 0
// elsewhere (NaN included). It panics if the lengths differ.
func ReGLUBackward(dy, a, b, da, db []float32) {
	n := len(dy)
	if len(a) != n || len(b) != n || len(da) != n || len(db) != n {
		panic(fmt.Sprintf("tensor: ReGLUBackward lengths dy %d, a %d, b %d, da %d, db %d", n, len(a), len(b), len(da), len(db)))
	}
	if n > 0 {
		regluBackwardKernel(dy, a, b, da, db)
	}
}

func regluBackwardGo(dy, a, b, da, db []float32) {
	for j, v := range b {
		if v > 0 {
			da[j], db[j] = dy[j]*v, dy[j]*a[j]
		} else {
			da[j], db[j] = 0, 0
		}
	}
}
