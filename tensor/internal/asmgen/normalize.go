package main

// The kernels of batch normalisation (tensor/normalize.go): two column
// reductions for the batch statistics and the gradients of the scale, and
// the normalisation of a row forward and backward. Like the other
// element-wise kernels they compute exactly what the Go loops compute, with
// no fused multiply-add, and run with flush-to-zero set.

import (
	"fmt"

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

// colReduction describes a column reduction dst[j] += Σᵢ term(i, j): the
// matrices it reads row by row (each with its stride in bytes), the column
// vectors it reads beside dst, and the term of one vector of a row.
type colReduction struct {
	mats, strides, vecs []GPVirtual
	term                func(at func(base GPVirtual) VecVirtual, rows []GPVirtual) VecVirtual
}

// colReduceKernel emits the loops of a column reduction over cols columns
// and rows ≥ 1 rows, blocked as colSumsKernel blocks them, so that each
// column is accumulated from dst adding the rows in order.
func colReduceKernel(isa *vecISA, name string, dst, rows, cols GPVirtual, c colReduction) {
	widths := []int{8, 4, 2, 1}
	L, B := isa.lanes, isa.bytes()
	advance := func(bytes int) {
		ADDQ(U32(bytes), dst)
		for _, p := range append(append([]GPVirtual{}, c.mats...), c.vecs...) {
			ADDQ(U32(bytes), p)
		}
	}
	for _, wv := range widths {
		lbl := fmt.Sprintf("%s_w%d", name, wv)
		Label(lbl)
		CMPQ(cols, U32(wv*L))
		JB(LabelRef(fmt.Sprintf("%s_after%d", name, wv)))
		reduceBlock(isa, lbl, dst, rows, wv, slot{isa: isa}, c)
		advance(wv * B)
		SUBQ(U32(wv*L), cols)
		if wv == widths[0] {
			JMP(LabelRef(lbl))
		}
		Label(fmt.Sprintf("%s_after%d", name, wv))
	}
	TESTQ(cols, cols)
	JZ(LabelRef(name + "_done"))
	s := slot{isa: isa}
	if isa == isa512 {
		tailMask512(cols, K1)
		s.k = K1
	} else {
		s.ym = laneMask(cols)
	}
	reduceBlock(isa, name+"_part", dst, rows, 1, s, c)
	Label(name + "_done")
}

// reduceBlock emits the reduction of wv vectors of columns down all the
// rows, reading through s's mask. It leaves the pointers where they were.
func reduceBlock(isa *vecISA, lbl string, dst, rows GPVirtual, wv int, s slot, c colReduction) {
	B := isa.bytes()
	at := func(h int) slot { t := s; t.disp = h * B; return t }
	acc := make([]VecVirtual, wv)
	for h := range acc {
		acc[h] = at(h).load(dst)
	}
	ptrs := make([]GPVirtual, len(c.mats))
	for i, m := range c.mats {
		ptrs[i] = GP64()
		MOVQ(m, ptrs[i])
	}
	r := GP64()
	MOVQ(rows, r)
	Label(lbl + "_rows")
	for h := range acc {
		t := c.term(func(base GPVirtual) VecVirtual { return at(h).load(base) }, ptrs)
		VADDPS(t, acc[h], acc[h])
	}
	for i, p := range ptrs {
		ADDQ(c.strides[i], p)
	}
	DECQ(r)
	JNZ(LabelRef(lbl + "_rows"))
	for h := range acc {
		at(h).store(acc[h], dst)
	}
}

// colSquaresKernel emits name(dst, m, center, rows, cols, stride):
// dst[j] += Σᵢ (m[i,j] − center[j])², the difference and its square each
// rounded before the sum.
func colSquaresKernel(isa *vecISA) string {
	name := "colSquares" + isa.name
	TEXT(name, NOSPLIT, colSquaresSig)
	Doc(name + " adds the sums of squared deviations from center of cols columns over rows rows of m to dst.")
	dst, m, center := loadGP("dst"), loadGP("m"), loadGP("center")
	rows, cols, stride := loadGP("rows"), loadGP("cols"), loadGP("stride")
	SHLQ(U8(2), stride)
	mxcsr := enterFlushToZero()
	colReduceKernel(isa, name, dst, rows, cols, colReduction{
		mats: []GPVirtual{m}, strides: []GPVirtual{stride}, vecs: []GPVirtual{center},
		term: func(at func(GPVirtual) VecVirtual, rows []GPVirtual) VecVirtual {
			x := at(rows[0])
			VSUBPS(at(center), x, x)
			VMULPS(x, x, x)
			return x
		},
	})
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}

// colProductsKernel emits name(dst, a, b, rows, cols, strideA, strideB):
// dst[j] += Σᵢ a[i,j]·b[i,j], each product rounded before the sum.
func colProductsKernel(isa *vecISA) string {
	name := "colProducts" + isa.name
	TEXT(name, NOSPLIT, colProductsSig)
	Doc(name + " adds the sums of a[i,j]·b[i,j] over rows rows of cols columns to dst.")
	dst, a, b := loadGP("dst"), loadGP("a"), loadGP("b")
	rows, cols := loadGP("rows"), loadGP("cols")
	sa, sb := loadGP("strideA"), loadGP("strideB")
	SHLQ(U8(2), sa)
	SHLQ(U8(2), sb)
	mxcsr := enterFlushToZero()
	colReduceKernel(isa, name, dst, rows, cols, colReduction{
		mats: []GPVirtual{a, b}, strides: []GPVirtual{sa, sb},
		term: func(at func(GPVirtual) VecVirtual, rows []GPVirtual) VecVirtual {
			x := at(rows[0])
			VMULPS(at(rows[1]), x, x)
			return x
		},
	})
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}

// normalizeKernel emits name(x, mean, scale, gamma, beta, xhat, y, n) over
// one row of n columns: xhat = (x − mean)·scale, y = xhat·gamma + beta.
func normalizeKernel(isa *vecISA) string {
	name := "normalize" + isa.name
	TEXT(name, NOSPLIT, normalizeSig)
	Doc(name + " normalises n values: xhat = (x − mean)·scale, y = xhat·gamma + beta.")
	x, mean, scale := loadGP("x"), loadGP("mean"), loadGP("scale")
	gamma, beta := loadGP("gamma"), loadGP("beta")
	xhat, y, n := loadGP("xhat"), loadGP("y"), loadGP("n")
	mxcsr := enterFlushToZero()
	stream(isa, name, n, 2, func(s slot) {
		X := s.load(x)
		VSUBPS(s.load(mean), X, X)
		VMULPS(s.load(scale), X, X)
		s.store(X, xhat)
		VMULPS(s.load(gamma), X, X)
		VADDPS(s.load(beta), X, X)
		s.store(X, y)
	})
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}

// normalizeBackwardKernel emits name(dy, xhat, meanDy, meanDyXhat, scale,
// dx, n) over one row of n columns:
// dx = ((dy − meanDy) − xhat·meanDyXhat)·scale.
func normalizeBackwardKernel(isa *vecISA) string {
	name := "normalizeBackward" + isa.name
	TEXT(name, NOSPLIT, normBackSig)
	Doc(name + " sets dx = ((dy − meanDy) − xhat·meanDyXhat)·scale for n values.")
	dy, xhat := loadGP("dy"), loadGP("xhat")
	md, mdx, scale := loadGP("meanDy"), loadGP("meanDyXhat"), loadGP("scale")
	dx, n := loadGP("dx"), loadGP("n")
	mxcsr := enterFlushToZero()
	stream(isa, name, n, 2, func(s slot) {
		D := s.load(dy)
		VSUBPS(s.load(md), D, D)
		H := s.load(xhat)
		VMULPS(s.load(mdx), H, H)
		VSUBPS(H, D, D)
		VMULPS(s.load(scale), D, D)
		s.store(D, dx)
	})
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}
