package main

// The kernels of a row's layer normalisation (tensor/rownorm.go): the row
// sums, the normalisation and its gradient, and the sum of two rows that
// closes a residual block. Like the activation kernels they are AVX-512
// only, run without flush-to-zero, and give bitwise the Go loops'
// results: the sums accumulate in 16 lanes, value j in lane j mod 16, and
// the lanes are added in halves (l and l+8, then l and l+4, l+2, l+1), in
// the Go loops as here.

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	addSig         = "func(a, b, dst *float32, n int)"
	sumSig         = "func(x *float32, n int) float32"
	sumSquaresSig  = "func(x *float32, mean float32, n int) float32"
	gradSumsSig    = "func(dy, gamma, h *float32, n int) (sg, sgh float32)"
	normRowSig     = "func(x, gamma, beta, xhat, y *float32, mean, inv float32, n int)"
	normRowBackSig = "func(dy, gamma, h, dx *float32, mg, mgh, inv float32, n int)"
)

// addKernel emits name(a, b, dst, n): dst = a + b.
func addKernel() string {
	name := "addAVX512"
	return plainKernel(name, addSig, name+" sets dst = a + b for n elements.", func() {
		a, b, dst, n := loadGP("a"), loadGP("b"), loadGP("dst"), loadGP("n")
		stream(isa512, name, n, 4, func(s slot) {
			A := s.load(a)
			B := s.load(b)
			VADDPS(B, A, A)
			s.store(A, dst)
		})
	})
}

// accumulate adds v to acc, in a partial vector's lanes only.
func accumulate(s slot, v, acc VecVirtual) {
	if s.k != nil {
		VADDPS(v, acc, s.k, acc)
		return
	}
	VADDPS(v, acc, acc)
}

// reduceLanes adds the 16 lanes of acc in halves and returns the sum in
// the low lane of acc's XMM view.
func reduceLanes(acc VecVirtual) VecVirtual {
	y := YMM()
	VEXTRACTF32X8(U8(1), acc, y)
	VADDPS(y, acc.AsY(), y) // l + (l+8)
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	VADDPS(x, y.AsX(), x) // l + (l+4)
	t := XMM()
	VMOVHLPS(x, x, t)
	VADDPS(t, x, x) // l + (l+2)
	VMOVSHDUP(x, t)
	VADDSS(t, x, x) // l + (l+1)
	return x
}

// sumKernel emits name(x, n) = Σ x.
func sumKernel() string {
	name := "sumAVX512"
	TEXT(name, NOSPLIT, sumSig)
	Doc(name + " returns the sum of n elements, in 16 lanes added in halves.")
	x, n := loadGP("x"), loadGP("n")
	acc := zeroVec(isa512)
	stream(isa512, name, n, 1, func(s slot) {
		accumulate(s, s.load(x), acc)
	})
	r := reduceLanes(acc)
	VZEROUPPER() // before the SSE store, which would otherwise wait on the upper halves
	Store(r, ReturnIndex(0))
	RET()
	return name
}

// sumSquaresKernel emits name(x, mean, n) = Σ (x − mean)².
func sumSquaresKernel() string {
	name := "sumSquaresAVX512"
	TEXT(name, NOSPLIT, sumSquaresSig)
	Doc(name + " returns the sum of (x − mean)² over n elements, in 16 lanes added in halves.")
	x, n := loadGP("x"), loadGP("n")
	mean := broadcast(isa512, paramAddr("mean"))
	acc := zeroVec(isa512)
	stream(isa512, name, n, 1, func(s slot) {
		X := s.load(x)
		VSUBPS(mean, X, X)
		VMULPS(X, X, X)
		accumulate(s, X, acc)
	})
	r := reduceLanes(acc)
	VZEROUPPER() // before the SSE store, which would otherwise wait on the upper halves
	Store(r, ReturnIndex(0))
	RET()
	return name
}

// gradSumsKernel emits name(g, gamma, h, n) = (Σ g·γ, Σ (g·γ)·h).
func gradSumsKernel() string {
	name := "gradSumsAVX512"
	TEXT(name, NOSPLIT, gradSumsSig)
	Doc(name + " returns the sums of g·gamma and of (g·gamma)·h over n elements, in 16 lanes added in halves.")
	g, gamma, h, n := loadGP("dy"), loadGP("gamma"), loadGP("h"), loadGP("n")
	a, b := zeroVec(isa512), zeroVec(isa512)
	stream(isa512, name, n, 1, func(s slot) {
		G := s.load(g)
		VMULPS(s.load(gamma), G, G)
		accumulate(s, G, a)
		VMULPS(s.load(h), G, G)
		accumulate(s, G, b)
	})
	ra, rb := reduceLanes(a), reduceLanes(b)
	VZEROUPPER()
	Store(ra, ReturnIndex(0))
	Store(rb, ReturnIndex(1))
	RET()
	return name
}

// normRowKernel emits name(x, gamma, beta, xhat, y, mean, inv, n):
// xhat = (x − mean)·inv, y = xhat·γ + β.
func normRowKernel() string {
	name := "normRowAVX512"
	return plainKernel(name, normRowSig, name+" sets xhat = (x − mean)·inv and y = xhat·gamma + beta for n elements.", func() {
		x, gamma, beta := loadGP("x"), loadGP("gamma"), loadGP("beta")
		xhat, y, n := loadGP("xhat"), loadGP("y"), loadGP("n")
		mean := broadcast(isa512, paramAddr("mean"))
		inv := broadcast(isa512, paramAddr("inv"))
		stream(isa512, name, n, 2, func(s slot) {
			X := s.load(x)
			VSUBPS(mean, X, X)
			VMULPS(inv, X, X)
			s.store(X, xhat)
			VMULPS(s.load(gamma), X, X)
			VADDPS(s.load(beta), X, X)
			s.store(X, y)
		})
	})
}

// normRowBackKernel emits name(g, gamma, h, dx, mg, mgh, inv, n):
// dx = ((g·γ − mg) − h·mgh)·inv.
func normRowBackKernel() string {
	name := "normRowBackwardAVX512"
	return plainKernel(name, normRowBackSig, name+" sets dx = ((g·gamma − mg) − h·mgh)·inv for n elements.", func() {
		g, gamma, h, dx, n := loadGP("dy"), loadGP("gamma"), loadGP("h"), loadGP("dx"), loadGP("n")
		mg := broadcast(isa512, paramAddr("mg"))
		mgh := broadcast(isa512, paramAddr("mgh"))
		inv := broadcast(isa512, paramAddr("inv"))
		stream(isa512, name, n, 2, func(s slot) {
			G := s.load(g)
			VMULPS(s.load(gamma), G, G)
			VSUBPS(mg, G, G)
			H := s.load(h)
			VMULPS(mgh, H, H)
			VSUBPS(H, G, G)
			VMULPS(inv, G, G)
			s.store(G, dx)
		})
	})
}
