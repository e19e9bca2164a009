package main

// The kernels of batch normalisation (tensor/normalize.go): two column
// reductions for the batch statistics and the gradients of the scale, and
// the normalisation of a row forward and backward. Like the other
// element-wise kernels they compute exactly what the Go loops compute, with
// no fused multiply-add, and run with flush-to-zero set.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	colSquaresSig  = "func(dst, m, center *float32, rows, cols, stride int)"
	colProductsSig = "func(dst, a, b *float32, rows, cols, strideA, strideB int)"
	normalizeSig   = "func(x, mean, scale, gamma, beta, xhat, y *float32, n int)"
	normBackSig    = "func(dy, xhat, meanDy, meanDyXhat, scale, dx *float32, n int)"
)

// colSquaresKernel emits name(dst, m, center, rows, cols, stride):
// dst[j] += Σᵢ (m[i,j] − center[j])², the difference and its square each
// rounded before the sum.
func colSquaresKernel(isa *vecISA) string {
	name := "colSquares" + isa.name
	doc := name + " adds the sums of squared deviations from center of cols columns over rows rows of m to dst."
	return arithKernel(name, colSquaresSig, doc, func() {
		dst, m, center := loadGP("dst"), loadGP("m"), loadGP("center")
		rows, cols, stride := loadGP("rows"), loadGP("cols"), loadGP("stride")
		SHLQ(U8(2), stride)
		colReduceKernel(isa, name, reduceWidths, dst, rows, cols, colReduction{
			mats: []GPVirtual{m}, strides: []GPVirtual{stride}, vecs: []GPVirtual{center},
			term: func(at func(GPVirtual) VecVirtual, rows []GPVirtual) VecVirtual {
				x := at(rows[0])
				VSUBPS(at(center), x, x)
				VMULPS(x, x, x)
				return x
			},
		})
	})
}

// colProductsKernel emits name(dst, a, b, rows, cols, strideA, strideB):
// dst[j] += Σᵢ a[i,j]·b[i,j], each product rounded before the sum.
func colProductsKernel(isa *vecISA) string {
	name := "colProducts" + isa.name
	doc := name + " adds the sums of a[i,j]·b[i,j] over rows rows of cols columns to dst."
	return arithKernel(name, colProductsSig, doc, func() {
		dst, a, b := loadGP("dst"), loadGP("a"), loadGP("b")
		rows, cols := loadGP("rows"), loadGP("cols")
		sa, sb := loadGP("strideA"), loadGP("strideB")
		SHLQ(U8(2), sa)
		SHLQ(U8(2), sb)
		colReduceKernel(isa, name, reduceWidths, dst, rows, cols, colReduction{
			mats: []GPVirtual{a, b}, strides: []GPVirtual{sa, sb},
			term: func(at func(GPVirtual) VecVirtual, rows []GPVirtual) VecVirtual {
				x := at(rows[0])
				VMULPS(at(rows[1]), x, x)
				return x
			},
		})
	})
}

// reduceWidths are the block widths, in vectors, of the two reductions
// above: each term holds a temporary or two besides the accumulators, and
// AVX2 has 16 registers.
var reduceWidths = []int{8, 4, 2, 1}

// normalizeKernel emits name(x, mean, scale, gamma, beta, xhat, y, n) over
// one row of n columns: xhat = (x − mean)·scale, y = xhat·gamma + beta.
func normalizeKernel(isa *vecISA) string {
	name := "normalize" + isa.name
	doc := name + " normalises n values: xhat = (x − mean)·scale, y = xhat·gamma + beta."
	return arithKernel(name, normalizeSig, doc, func() {
		x, mean, scale := loadGP("x"), loadGP("mean"), loadGP("scale")
		gamma, beta := loadGP("gamma"), loadGP("beta")
		xhat, y, n := loadGP("xhat"), loadGP("y"), loadGP("n")
		stream(isa, name, n, 2, func(s slot) {
			X := s.load(x)
			VSUBPS(s.load(mean), X, X)
			VMULPS(s.load(scale), X, X)
			s.store(X, xhat)
			VMULPS(s.load(gamma), X, X)
			VADDPS(s.load(beta), X, X)
			s.store(X, y)
		})
	})
}

// normalizeBackwardKernel emits name(dy, xhat, meanDy, meanDyXhat, scale,
// dx, n) over one row of n columns:
// dx = ((dy − meanDy) − xhat·meanDyXhat)·scale.
func normalizeBackwardKernel(isa *vecISA) string {
	name := "normalizeBackward" + isa.name
	doc := name + " sets dx = ((dy − meanDy) − xhat·meanDyXhat)·scale for n values."
	return arithKernel(name, normBackSig, doc, func() {
		dy, xhat := loadGP("dy"), loadGP("xhat")
		md, mdx, scale := loadGP("meanDy"), loadGP("meanDyXhat"), loadGP("scale")
		dx, n := loadGP("dx"), loadGP("n")
		stream(isa, name, n, 2, func(s slot) {
			D := s.load(dy)
			VSUBPS(s.load(md), D, D)
			H := s.load(xhat)
			VMULPS(s.load(mdx), H, H)
			VSUBPS(H, D, D)
			VMULPS(s.load(scale), D, D)
			s.store(D, dx)
		})
	})
}
