package main

// The element-wise kernels of package tensor (tensor/elementwise.go), in
// AVX-512 and AVX2 forms, written by
//
//	go run . -set elementwise -out ../../elementwise_kernels_amd64.s -decl ../../elementwise_kernels_amd64.go
//
// Each kernel walks its slices with one byte index: four vectors per step
// while they last, then one, then a last partial vector through a mask
// (AVX-512: K1; AVX2: a lane mask from elemLaneMasks and VMASKMOVPS), so
// that no element past the end is read or written.
//
// The kernels compute exactly what the Go loops of tensor/elementwise.go
// compute, operation for operation, with no fused multiply-add: on normal
// numbers the results are bitwise the same on every path. (Fusing the
// three multiply-adds of the Adam update was measured within noise of this,
// 2-3%: the kernel is bound by memory and the divider.) The kernels that
// do arithmetic (Adam, column sums, axpy, scale, batch normalisation) run with flush-to-zero and
// denormals-are-zero set, as the GEMM kernels do (see enterFlushToZero);
// ReLU and its backward pass only compare and select, which x86 does at
// full speed on subnormals, and they pass subnormals through unchanged.

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the adamConsts fields (tensor/elementwise.go).
const (
	offBeta1    = 0
	offOneBeta1 = 4
	offBeta2    = 8
	offOneBeta2 = 12
	offStep     = 16
	offEps      = 20
	offL2       = 24
	offDecay    = 28
)

// VCMPPS predicates.
const (
	cmpLTOQ  = 0x11 // less than, false for NaN
	cmpGTOQ  = 0x1E // greater than, false for NaN
	cmpNEQUQ = 0x04 // not equal, true for NaN
)

const (
	absMask   = 0x7fffffff // clears the sign bit
	minNormal = 0x00800000 // 0x1p-126, the smallest normal float32
)

// vecISA is the vector width of one family of element-wise kernels.
type vecISA struct {
	name  string // "AVX512" or "AVX2", part of the function names
	lanes int    // float32 values per register
	vec   func() VecVirtual
}

var (
	isa512 = &vecISA{name: "AVX512", lanes: 16, vec: ZMM}
	isa2   = &vecISA{name: "AVX2", lanes: 8, vec: YMM}
)

func (v *vecISA) bytes() int { return 4 * v.lanes }

// slot is one vector's position in the slices being walked: base + idx +
// disp, read and written whole or, for the last partial vector, through
// the mask k (AVX-512) or ym (AVX2).
type slot struct {
	isa  *vecISA
	idx  GPVirtual
	disp int
	k    Register
	ym   VecVirtual
}

func (s slot) mem(base GPVirtual) Mem {
	return Mem{Base: base, Index: s.idx, Scale: 1, Disp: s.disp}
}

func (s slot) load(base GPVirtual) VecVirtual {
	v := s.isa.vec()
	switch {
	case s.k != nil:
		VMOVUPS_Z(s.mem(base), s.k, v)
	case s.ym != nil:
		VMASKMOVPS(s.mem(base), s.ym, v)
	default:
		VMOVUPS(s.mem(base), v)
	}
	return v
}

func (s slot) store(v VecVirtual, base GPVirtual) {
	switch {
	case s.k != nil:
		VMOVUPS(v, s.k, s.mem(base))
	case s.ym != nil:
		VMASKMOVPS(v, s.ym, s.mem(base))
	default:
		VMOVUPS(v, s.mem(base))
	}
}

// elemLaneMasks is 8 int32 -1s then 8 zeros: the AVX2 mask of the first r
// lanes is the 8 values from 8-r.
var elemLaneMasks Mem

// laneMask loads the AVX2 mask of the first n < 8 lanes.
func laneMask(n GPVirtual) VecVirtual {
	tbl, off := GP64(), GP64()
	LEAQ(elemLaneMasks, tbl)
	MOVQ(U32(8), off)
	SUBQ(n, off)
	m := YMM()
	VMOVUPS(Mem{Base: tbl, Index: off, Scale: 4}, m)
	return m
}

// tailMask512 sets k to the mask of the first n < 16 lanes.
func tailMask512(n GPVirtual, k Register) {
	one := GP64()
	MOVQ(U32(1), one)
	SHLXQ(n, one, one)
	DECQ(one)
	KMOVW(one.As32(), k)
}

// loadGP loads the integer or pointer argument name.
func loadGP(name string) GPVirtual {
	r := GP64()
	Load(Param(name), r)
	return r
}

// paramAddr returns the frame address of a scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		log.Fatal(err)
	}
	return b.Addr
}

// stream emits the loop of an element-wise kernel over n elements (n is
// consumed): body computes the vector at a slot. The main loop does unroll
// vectors a step.
func stream(isa *vecISA, name string, n GPVirtual, unroll int, body func(s slot)) {
	idx := GP64()
	XORQ(idx, idx)
	L, B := isa.lanes, isa.bytes()
	if unroll > 1 {
		Label(name + "_loopN")
		CMPQ(n, U32(unroll*L))
		JB(LabelRef(name + "_loop1"))
		for u := range unroll {
			body(slot{isa: isa, idx: idx, disp: u * B})
		}
		ADDQ(U32(unroll*B), idx)
		SUBQ(U32(unroll*L), n)
		JMP(LabelRef(name + "_loopN"))
	}
	Label(name + "_loop1")
	CMPQ(n, U32(L))
	JB(LabelRef(name + "_tail"))
	body(slot{isa: isa, idx: idx})
	ADDQ(U32(B), idx)
	SUBQ(U32(L), n)
	JMP(LabelRef(name + "_loop1"))
	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	if isa == isa512 {
		tailMask512(n, K1)
		body(slot{isa: isa, idx: idx, k: K1})
	} else {
		body(slot{isa: isa, idx: idx, ym: laneMask(n)})
	}
	Label(name + "_done")
}

// zeroVec returns a register of zeros.
func zeroVec(isa *vecISA) VecVirtual {
	z := isa.vec()
	if isa == isa512 {
		VPXORD(z, z, z) // VXORPS on zmm would need AVX512DQ
	} else {
		VXORPS(z, z, z)
	}
	return z
}

// broadcast returns a register with the float32 at m in every lane.
func broadcast(isa *vecISA, m Mem) VecVirtual {
	v := isa.vec()
	VBROADCASTSS(m, v)
	return v
}

// elemConsts is 8 copies of absMask then 8 of minNormal, the memory
// operands of the AVX2 flush: the Adam kernel has no registers to spare
// for them.
var elemConsts Mem

// fpclassZeroOrSubnormal selects −0 (4) and subnormals (0x20) in
// VFPCLASSPS: with +0, exactly the x with |x| < 0x1p-126.
const fpclassZeroOrSubnormal = 0x24

// flush emits x = 0 where |x| < 0x1p-126, −0 included (NaN is kept), as
// package tensor's flush does.
func flush(isa *vecISA, x VecVirtual) {
	if isa == isa512 {
		// Two instructions (AVX512DQ) rather than the three of the AVX2
		// form: the Adam kernel flushes three times per vector and is
		// bound by its instruction count about as much as by memory
		// (measured: 6% faster than with the three).
		VFPCLASSPSZ(U8(fpclassZeroOrSubnormal), x, K2)
		VPXORD(x, x, K2, x) // x^x = 0 in the lanes of K2; the others keep x
		return
	}
	t := isa.vec()
	VANDPS(elemConsts, x, t)
	VCMPPS(U8(cmpLTOQ), elemConsts.Offset(32), t, t)
	VANDNPS(x, t, x) // x &^ (|x| < minNormal)
}

// arithKernel emits a kernel that does arithmetic: its declaration, body
// run with flush-to-zero set (see enterFlushToZero), and the return. It
// returns name.
func arithKernel(name, sig, doc string, body func()) string {
	TEXT(name, NOSPLIT, sig)
	Doc(doc)
	mxcsr := enterFlushToZero()
	body()
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}

const adamSig = "func(w, grad, m, v *float32, n int, c *adamConsts)" // g names a register in Go assembly

// adamKernel emits name(w, g, m, v, n, c), one Adam update of n elements
// (tensor/elementwise.go, adamGo):
//
//	g' = g + l2·w  (g' = g when l2 = 0)
//	m = flush(β1·m + (1−β1)·g')
//	v = flush(β2·v + ((1−β2)·g')·g')
//	w = flush(decay·w − (step·m)/(√v + eps))
//
// in that order of operations, each rounded; √ and ÷ are the correctly
// rounded VSQRTPS and VDIVPS.
func adamKernel(isa *vecISA) string {
	name := "adam" + isa.name
	sig := strings.Replace(adamSig, "*adamConsts", "*byte", 1)
	return arithKernel(name, sig, name+" applies one Adam update to n elements (see adamKernel in asmgen).", func() {
		w := loadGP("w")
		g := loadGP("grad")
		m := loadGP("m")
		v := loadGP("v")
		n := loadGP("n")
		c := loadGP("c")
		k := func(off int) VecVirtual { return broadcast(isa, Mem{Base: c, Disp: off}) }
		b1, c1, b2, c2 := k(offBeta1), k(offOneBeta1), k(offBeta2), k(offOneBeta2)
		step, eps, l2, decay := k(offStep), k(offEps), k(offL2), k(offDecay)
		// With l2 = 0 the term l2·w is left out, not added as 0·w: a weight
		// that is already NaN or infinite must not turn its moments into NaN
		// (optim skips the term the same way). The mask is all ones when
		// l2 ≠ 0: K3 with AVX-512, a register with AVX2.
		var useL2 VecVirtual
		zero := zeroVec(isa)
		if isa == isa512 {
			VCMPPS(U8(cmpNEQUQ), zero, l2, K3)
		} else {
			useL2 = YMM()
			VCMPPS(U8(cmpNEQUQ), zero, l2, useL2)
		}
		unroll := 2
		if isa == isa2 {
			unroll = 1 // 16 registers: nine hold constants
		}
		stream(isa, name, n, unroll, func(s slot) {
			W, G := s.load(w), s.load(g)
			t := isa.vec()
			if isa == isa512 {
				VMULPS_Z(l2, W, K3, t)
			} else {
				VMULPS(l2, W, t)
				VANDPS(useL2, t, t)
			}
			VADDPS(t, G, G)

			M := s.load(m)
			VMULPS(b1, M, M)
			VMULPS(c1, G, t)
			VADDPS(t, M, M)
			flush(isa, M)
			s.store(M, m)

			V := s.load(v)
			VMULPS(c2, G, t)
			VMULPS(G, t, t)
			VMULPS(b2, V, V)
			VADDPS(t, V, V)
			flush(isa, V)
			s.store(V, v)

			VSQRTPS(V, V)
			VADDPS(eps, V, V)
			VMULPS(step, M, M)
			VDIVPS(V, M, M) // M/V
			VMULPS(decay, W, W)
			VSUBPS(M, W, W) // W−M
			flush(isa, W)
			s.store(W, w)
		})
	})
}

const reluSig = "func(x, y *float32, n int)"

// reluKernel emits name(x, y, n): y = max(0, x) with NaN kept and −0 kept,
// as the GEMM epilogue does (VMAXPS returns its second source when either
// is NaN or both are zeros).
func reluKernel(isa *vecISA) string {
	name := "relu" + isa.name
	TEXT(name, NOSPLIT, reluSig)
	Doc(name + " sets y = max(x, 0) for n elements; NaN stays NaN.")
	x := loadGP("x")
	y := loadGP("y")
	n := loadGP("n")
	zero := zeroVec(isa)
	stream(isa, name, n, 4, func(s slot) {
		X := s.load(x)
		VMAXPS(X, zero, X)
		s.store(X, y)
	})
	VZEROUPPER()
	RET()
	return name
}

const reluBackwardSig = "func(dy, y, dx *float32, n int)"

// reluBackwardKernel emits name(dy, y, dx, n): dx = dy where y > 0, else
// +0. With AVX-512, dy is read only where y > 0.
func reluBackwardKernel(isa *vecISA) string {
	name := "reluBackward" + isa.name
	TEXT(name, NOSPLIT, reluBackwardSig)
	Doc(name + " sets dx = dy where y > 0 and 0 elsewhere, for n elements.")
	dy := loadGP("dy")
	y := loadGP("y")
	dx := loadGP("dx")
	n := loadGP("n")
	zero := zeroVec(isa)
	stream(isa, name, n, 4, func(s slot) {
		Y := s.load(y)
		if isa == isa512 {
			// K3 = y > 0 (a partial vector's missing lanes were loaded as 0).
			VCMPPS(U8(cmpGTOQ), zero, Y, K3)
			D := ZMM()
			VMOVUPS_Z(s.mem(dy), K3, D)
			s.store(D, dx)
			return
		}
		VCMPPS(U8(cmpGTOQ), zero, Y, Y)
		D := s.load(dy)
		VANDPS(Y, D, D)
		s.store(D, dx)
	})
	VZEROUPPER()
	RET()
	return name
}

const axpySig = "func(a float32, x, y *float32, n int)"

// axpyKernel emits name(a, x, y, n): y += a·x, the product rounded before
// the sum (no FMA), as Go computes it.
func axpyKernel(isa *vecISA) string {
	name := "axpy" + isa.name
	return arithKernel(name, axpySig, name+" sets y += a·x for n elements.", func() {
		x := loadGP("x")
		y := loadGP("y")
		n := loadGP("n")
		a := broadcast(isa, paramAddr("a"))
		stream(isa, name, n, 4, func(s slot) {
			X := s.load(x)
			VMULPS(a, X, X)
			Y := s.load(y)
			VADDPS(X, Y, Y)
			s.store(Y, y)
		})
	})
}

const scaleSig = "func(a float32, x *float32, n int)"

// scaleKernel emits name(a, x, n): x *= a.
func scaleKernel(isa *vecISA) string {
	name := "scale" + isa.name
	return arithKernel(name, scaleSig, name+" sets x *= a for n elements.", func() {
		x := loadGP("x")
		n := loadGP("n")
		a := broadcast(isa, paramAddr("a"))
		stream(isa, name, n, 4, func(s slot) {
			X := s.load(x)
			VMULPS(a, X, X)
			s.store(X, x)
		})
	})
}

const colSumsSig = "func(dst, m *float32, rows, cols, stride int)"

// colSumsKernel emits name(dst, m, rows, cols, stride): dst[j] += Σᵢ m[i,j]
// for j < cols, with row i at m + 4·i·stride and rows ≥ 1. Each block of
// columns is summed in registers down all the rows, starting from dst and
// adding the rows in order, so every column's sum is rounded exactly as
// the Go loop rounds it, whatever the blocking. Blocks are as wide as the
// registers allow (AVX-512: 16 vectors, 256 columns; AVX2: 12 vectors) so
// that enough independent additions are in flight to keep the loads busy;
// the remaining columns go in halving widths, the last partial vector
// through a mask.
func colSumsKernel(isa *vecISA) string {
	name := "colSums" + isa.name
	doc := name + " adds the sums of cols columns over rows rows of m (stride floats apart) to dst."
	return arithKernel(name, colSumsSig, doc, func() {
		dst, m := loadGP("dst"), loadGP("m")
		rows, cols, stride := loadGP("rows"), loadGP("cols"), loadGP("stride")
		SHLQ(U8(2), stride)
		widths := []int{16, 8, 4, 2, 1}
		if isa == isa2 {
			widths = []int{12, 8, 4, 2, 1}
		}
		colReduceKernel(isa, name, widths, dst, rows, cols, colReduction{
			mats: []GPVirtual{m}, strides: []GPVirtual{stride},
		})
	})
}

// colReduction describes a column reduction dst[j] += Σᵢ term(i, j): the
// matrices it reads row by row (each with its stride in bytes), the column
// vectors it reads beside dst, and the term of one vector of a row (nil:
// the values of the first matrix, a plain column sum).
type colReduction struct {
	mats, strides, vecs []GPVirtual
	term                func(at func(base GPVirtual) VecVirtual, rows []GPVirtual) VecVirtual
}

// colReduceKernel emits the loops of a column reduction over cols columns
// and rows ≥ 1 rows: blocks of widths[0] vectors of columns while they
// last, then at most one block of each smaller width, then a last partial
// vector through a mask. Each block is accumulated in registers from dst
// down all the rows in order, so every column's sum is rounded as the Go
// loop rounds it, whatever the blocking.
func colReduceKernel(isa *vecISA, name string, widths []int, dst, rows, cols GPVirtual, c colReduction) {
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
		if c.term == nil && s.k == nil && s.ym == nil {
			// A plain sum adds straight from memory, one instruction.
			VADDPS(at(h).mem(ptrs[0]), acc[h], acc[h])
			continue
		}
		load := func(base GPVirtual) VecVirtual { return at(h).load(base) }
		var t VecVirtual
		if c.term != nil {
			t = c.term(load, ptrs)
		} else {
			t = load(ptrs[0]) // a masked plain sum
		}
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

// elementwise writes the element-wise kernels instead of the GEMM.
func elementwise() {
	ConstraintExpr("amd64,!purego")
	elemLaneMasks = GLOBL("elemLaneMasks", RODATA|NOPTR)
	for i := range 16 {
		bits := uint32(0)
		if i < 8 {
			bits = 0xffffffff
		}
		DATA(4*i, U32(bits))
	}
	elemConsts = GLOBL("elemConsts", RODATA|NOPTR)
	for i := range 8 {
		DATA(4*i, U32(absMask))
	}
	for i := range 8 {
		DATA(32+4*i, U32(minNormal))
	}
	var funcs []string
	add := func(name, sig string) {
		funcs = append(funcs, fmt.Sprintf("//go:noescape\nfunc %s%s\n", name, strings.TrimPrefix(sig, "func")))
	}
	for _, isa := range []*vecISA{isa512, isa2} {
		add(adamKernel(isa), adamSig)
		add(reluKernel(isa), reluSig)
		add(reluBackwardKernel(isa), reluBackwardSig)
		add(colSumsKernel(isa), colSumsSig)
		add(axpyKernel(isa), axpySig)
		add(scaleKernel(isa), scaleSig)
		add(colSquaresKernel(isa), colSquaresSig)
		add(colProductsKernel(isa), colProductsSig)
		add(normalizeKernel(isa), normalizeSig)
		add(normalizeBackwardKernel(isa), normBackSig)
	}
	activationConsts()
	add(expKernel(), expSig)
	add(gegluKernel(false), gegluSig)
	add(gegluKernel(true), gegluSig)
	add(gegluBackwardKernel(), gegluBackSig)
	add(regluKernel(), regluSig)
	add(regluBackwardKernel(), regluBackSig)
	add(addKernel(), addSig)
	add(sumKernel(), sumSig)
	add(sumSquaresKernel(), sumSquaresSig)
	add(gradSumsKernel(), gradSumsSig)
	add(normRowKernel(), normRowSig)
	add(normRowBackKernel(), normRowBackSig)
	Generate()
	if *decl == "" {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by command: go run . %s. DO NOT EDIT.\n\n", strings.Join(os.Args[1:], " "))
	b.WriteString("//go:build amd64 && !purego\n\npackage tensor\n\n")
	for _, f := range funcs {
		b.WriteString(f + "\n")
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*decl, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
