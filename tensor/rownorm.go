package tensor

import "fmt"

// Row-wise kernels of layer normalisation and of the residual sum: the row
// sums, the normalisation of a row and its gradient, and the sum of two
// slices. As the activation kernels (activation.go) each has a Go loop and
// an AVX-512 form giving bitwise the same results, subnormals included.
// The sums accumulate in 16 lanes, value j in lane j mod 16, and add the
// lanes in halves (lane l and l+8, then l and l+4, l+2, l+1): one
// accumulator made a chain of dependent additions as long as the row.

// Add sets dst = a + b. It panics if the lengths differ.
func Add(a, b, dst []float32) {
	n := len(a)
	if len(b) != n || len(dst) != n {
		panic(fmt.Sprintf("tensor: Add lengths a %d, b %d, dst %d", n, len(b), len(dst)))
	}
	if n > 0 {
		addKernel(a, b, dst)
	}
}

func addGo(a, b, dst []float32) {
	for j, v := range a {
		dst[j] = v + b[j]
	}
}

// Sum returns the sum of x, in the order above.
func Sum(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return sumKernel(x)
}

// SumSquares returns the sum of (x − mean)², in the order above.
func SumSquares(x []float32, mean float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return sumSquaresKernel(x, mean)
}

// RowNormGradSums returns Σ g·γ and Σ (g·γ)·h, in the order above: the
// sums of a layer normalisation's backward pass, with h its normalised
// input. It panics if the lengths differ.
func RowNormGradSums(g, gamma, h []float32) (sg, sgh float32) {
	n := len(g)
	if len(gamma) != n || len(h) != n {
		panic(fmt.Sprintf("tensor: RowNormGradSums lengths g %d, gamma %d, h %d", n, len(gamma), len(h)))
	}
	if n == 0 {
		return 0, 0
	}
	return gradSumsKernel(g, gamma, h)
}

// NormalizeRow sets xhat = (x − mean)·inv and y = xhat·γ + β. It panics if
// the lengths differ.
func NormalizeRow(x, gamma, beta, xhat, y []float32, mean, inv float32) {
	n := len(x)
	if len(gamma) != n || len(beta) != n || len(xhat) != n || len(y) != n {
		panic(fmt.Sprintf("tensor: NormalizeRow lengths x %d, gamma %d, beta %d, xhat %d, y %d", n, len(gamma), len(beta), len(xhat), len(y)))
	}
	if n > 0 {
		normRowKernel(x, gamma, beta, xhat, y, mean, inv)
	}
}

// NormalizeRowBackward sets dx = ((g·γ − mg) − h·mgh)·inv, the gradient of
// a layer normalisation's input, from mg and mgh, the means of
// [RowNormGradSums]' sums, and inv, the row's inverse deviation. It panics
// if the lengths differ.
func NormalizeRowBackward(g, gamma, h, dx []float32, mg, mgh, inv float32) {
	n := len(g)
	if len(gamma) != n || len(h) != n || len(dx) != n {
		panic(fmt.Sprintf("tensor: NormalizeRowBackward lengths g %d, gamma %d, h %d, dx %d", n, len(gamma), len(h), len(dx)))
	}
	if n > 0 {
		normRowBackKernel(g, gamma, h, dx, mg, mgh, inv)
	}
}

// lanes16 adds the 16 lanes of a in halves.
func lanes16(a *[16]float32) float32 {
	for w := 8; w >= 1; w /= 2 {
		for l := range w {
			a[l] += a[l+w]
		}
	}
	return a[0]
}

func sumGo(x []float32) float32 {
	var acc [16]float32
	for j, v := range x {
		acc[j%16] += v
	}
	return lanes16(&acc)
}

func sumSquaresGo(x []float32, mean float32) float32 {
	var acc [16]float32
	for j, v := range x {
		d := v - mean
		acc[j%16] += d * d
	}
	return lanes16(&acc)
}

func gradSumsGo(g, gamma, h []float32) (sg, sgh float32) {
	var a, b [16]float32
	for j, v := range g {
		v *= gamma[j]
		a[j%16] += v
		b[j%16] += v * h[j]
	}
	return lanes16(&a), lanes16(&b)
}

func normRowGo(x, gamma, beta, xhat, y []float32, mean, inv float32) {
	for j, v := range x {
		h := (v - mean) * inv
		xhat[j] = h
		y[j] = h*gamma[j] + beta[j]
	}
}

func normRowBackGo(g, gamma, h, dx []float32, mg, mgh, inv float32) {
	for j, v := range g {
		dx[j] = (v*gamma[j] - mg - h[j]*mgh) * inv
	}
}
