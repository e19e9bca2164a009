package main

// The kernels of the transformer's activations (tensor/activation.go): the
// exponentials of the attention softmax, and the gates of GEGLU and ReGLU,
// forward and backward. In FT-Transformer they were a fifth of a training
// step as scalar Go loops.
//
// They compute what the Go loops compute, operation by operation and
// without fused multiply-adds, and unlike the other element-wise kernels
// they run without flush-to-zero: e^x is meant to reach the subnormals
// just above its flush threshold as the Go loop does, and no input of the
// gates makes subnormals often enough to slow them. So every result is
// bitwise the Go loop's. They exist for AVX-512 only; other CPUs take the
// Go loops.

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

const (
	expSig          = "func(x *float32, shift float32, n int)"
	gegluSig        = "func(a, b, y, f, df *float32, n int)"
	gegluBackSig    = "func(dy, a, f, df, da, db *float32, n int)"
	regluSig        = "func(a, b, y *float32, n int)"
	regluBackSig    = "func(dy, a, b, da, db *float32, n int)"
	cmpNGEUQ        = 0x19 // not greater than or equal, true for NaN
	cmpUNORDQ       = 0x03 // either is NaN
	actConstsSymbol = "actConsts"
)

// The constants the kernels read by broadcast, each a float32 (or int32)
// at 4·index in actConsts. The float32 values are Go's conversions of the
// same constants as in tensor/activation.go, so that they round alike.
const (
	cLog2e = iota
	cMagic
	cMant    // int32 0x7fffff: the mantissa bits of kk
	cExpBias // int32 0x400000 − 127: kk's mantissa to the exponent field
	cMaxExp  // int32 254
	cLn2Hi
	cLn2Lo
	cOne
	cInv2
	cInv6
	cInv24
	cInv120
	cInv720
	cInv5040
	cExpHi     // 88.72
	cExpLo     // −87.3
	cInf       // +Inf
	cMinusHalf // −0.5
	cInvSqrt2
	cInvSqrt2Pi
	cErfP
	cErfA1
	cErfA2
	cErfA3
	cErfA4
	cErfA5
	cHalf
	cAbsMask
	nActConsts
)

var actConsts Mem

func c32(i int) Mem { return actConsts.Offset(4 * i) }

// activationConsts writes the constant table.
func activationConsts() {
	actConsts = GLOBL(actConstsSymbol, RODATA|NOPTR)
	f := func(v float32) uint32 { return math.Float32bits(v) }
	vals := [nActConsts]uint32{
		cLog2e:      f(1.44269504088896341),
		cMagic:      f(12582912),
		cMant:       0x7fffff,
		cExpBias:    0x400000 - 127,
		cMaxExp:     254,
		cLn2Hi:      f(0.693145751953125),
		cLn2Lo:      f(1.42860682030941723212e-6),
		cOne:        f(1),
		cInv2:       f(1.0 / 2),
		cInv6:       f(1.0 / 6),
		cInv24:      f(1.0 / 24),
		cInv120:     f(1.0 / 120),
		cInv720:     f(1.0 / 720),
		cInv5040:    f(1.0 / 5040),
		cExpHi:      f(88.72),
		cExpLo:      f(-87.3),
		cInf:        0x7f800000,
		cMinusHalf:  f(-0.5),
		cInvSqrt2:   f(0.70710678118654752),
		cInvSqrt2Pi: f(0.39894228040143268),
		cErfP:       f(0.3275911),
		cErfA1:      f(0.254829592),
		cErfA2:      f(-0.284496736),
		cErfA3:      f(1.421413741),
		cErfA4:      f(-1.453152027),
		cErfA5:      f(1.061405429),
		cHalf:       f(0.5),
		cAbsMask:    absMask,
	}
	for i, v := range vals {
		DATA(4*i, U32(v))
	}
}

// expVec emits e^x of the 16 lanes of x (kept) into a new register, as
// tensor.Expf computes it: n = round(x/ln 2) by the magic-number addition,
// r = (x − n·ln2hi) − n·ln2lo, e^r by Horner's rule on its Taylor
// polynomial, times 2ⁿ built in the exponent field (with 2·p·2ⁿ⁻¹ for
// n = 128); then +Inf above 88.72, 0 below −87.3 and NaN for NaN. It uses
// the mask registers K3 to K6.
func expVec(x VecVirtual) VecVirtual {
	kk := ZMM()
	VMULPS_BCST(c32(cLog2e), x, kk)
	VADDPS_BCST(c32(cMagic), kk, kk)
	e := ZMM()
	VPANDD_BCST(c32(cMant), kk, e)
	VPSUBD_BCST(c32(cExpBias), e, e) // the biased exponent n + 127
	n := ZMM()
	VSUBPS_BCST(c32(cMagic), kk, n)
	r := ZMM()
	VMULPS_BCST(c32(cLn2Hi), n, r)
	VSUBPS(r, x, r) // x − n·ln2hi
	VMULPS_BCST(c32(cLn2Lo), n, n)
	VSUBPS(n, r, r) // … − n·ln2lo
	p := ZMM()
	VMULPS_BCST(c32(cInv5040), r, p)
	for _, k := range []int{cInv720, cInv120, cInv24, cInv6, cInv2, cOne} {
		VADDPS_BCST(c32(k), p, p)
		VMULPS(r, p, p)
	}
	VADDPS_BCST(c32(cOne), p, p)
	// e = 255 (n = 128): 2·p·2¹²⁷, as 2¹²⁸ is not a float32.
	VPCMPGTD_BCST(c32(cMaxExp), e, K3)
	VADDPS(p, p, K3, p)
	VPMINSD_BCST(c32(cMaxExp), e, e)
	VPSLLD(U8(23), e, e)
	VMULPS(e, p, p)
	VCMPPS_BCST(U8(cmpGTOQ), c32(cExpHi), x, K4)
	VBROADCASTSS(c32(cInf), K4, p)
	VCMPPS_BCST(U8(cmpNGEUQ), c32(cExpLo), x, K5)
	VPXORD(p, p, K5, p)
	VCMPPS(U8(cmpUNORDQ), x, x, K6)
	VMOVAPS(x, K6, p)
	return p
}

// expKernel emits name(x, shift, n): x[i] = e^(x[i] − shift).
func expKernel() string {
	name := "expAVX512"
	return plainKernel(name, expSig, name+" sets x = e^(x − shift) for n elements, as tensor.Expf.", func() {
		x, n := loadGP("x"), loadGP("n")
		shift := broadcast(isa512, paramAddr("shift"))
		stream(isa512, name, n, 1, func(s slot) {
			v := s.load(x)
			VSUBPS(shift, v, v)
			s.store(expVec(v), x)
		})
	})
}

// normCDFVec emits Φ(v) and φ(v) as tensor.NormCDF computes them; it uses
// K2 to K6.
func normCDFVec(v VecVirtual) (cdf, pdf VecVirtual) {
	t := ZMM()
	VMULPS_BCST(c32(cMinusHalf), v, t)
	VMULPS(v, t, t) // −0.5·v·v
	e := expVec(t)
	z := ZMM()
	VMULPS_BCST(c32(cInvSqrt2), v, z)
	VPANDD_BCST(c32(cAbsMask), z, z)
	VMULPS_BCST(c32(cErfP), z, z)
	one := ZMM()
	VBROADCASTSS(c32(cOne), one)
	VADDPS(one, z, z)
	VDIVPS(z, one, z) // t = 1/(1 + p·|z|)
	q := ZMM()
	VMULPS_BCST(c32(cErfA5), z, q)
	for _, k := range []int{cErfA4, cErfA3, cErfA2} {
		VADDPS_BCST(c32(k), q, q)
		VMULPS(z, q, q)
	}
	VADDPS_BCST(c32(cErfA1), q, q)
	VMULPS_BCST(c32(cHalf), z, z)
	VMULPS(q, z, z)
	VMULPS(e, z, z) // the tail 1 − Φ(|v|)
	cdf = ZMM()
	VSUBPS(z, one, cdf)
	VXORPS(t, t, t)
	VCMPPS(U8(cmpLTOQ), t, v, K2)
	VMOVAPS(z, K2, cdf)
	pdf = e
	VMULPS_BCST(c32(cInvSqrt2Pi), pdf, pdf)
	return cdf, pdf
}

// gegluKernel emits name(a, b, y, f, df, n). In training (train set) it
// keeps the gate f = b·Φ(b) and its derivative df = Φ(b) + b·φ(b) and sets
// y = a·f; in evaluation it sets y = (a·b)·Φ(b) and leaves f and df alone,
// the orders of operations of package nn's GLU.
func gegluKernel(train bool) string {
	name := "gegluAVX512"
	doc := name + " sets y = (a·b)·Φ(b) for n elements."
	if train {
		name = "gegluTrainAVX512"
		doc = name + " sets f = b·Φ(b), df = Φ(b) + b·φ(b) and y = a·f for n elements."
	}
	return plainKernel(name, gegluSig, doc, func() {
		a, b, y, n := loadGP("a"), loadGP("b"), loadGP("y"), loadGP("n")
		var f, df GPVirtual
		if train {
			f, df = loadGP("f"), loadGP("df")
		}
		stream(isa512, name, n, 1, func(s slot) {
			B := s.load(b)
			cdf, pdf := normCDFVec(B)
			A := s.load(a)
			if !train {
				VMULPS(B, A, A)
				VMULPS(cdf, A, A)
				s.store(A, y)
				return
			}
			F := ZMM()
			VMULPS(cdf, B, F)
			s.store(F, f)
			VMULPS(pdf, B, pdf)
			VADDPS(pdf, cdf, cdf)
			s.store(cdf, df)
			VMULPS(F, A, A)
			s.store(A, y)
		})
	})
}

// gegluBackwardKernel emits name(dy, a, f, df, da, db, n): da = dy·f,
// db = (dy·a)·df.
func gegluBackwardKernel() string {
	name := "gegluBackwardAVX512"
	return plainKernel(name, gegluBackSig, name+" sets da = dy·f and db = (dy·a)·df for n elements.", func() {
		dy, a, f, df := loadGP("dy"), loadGP("a"), loadGP("f"), loadGP("df")
		da, db, n := loadGP("da"), loadGP("db"), loadGP("n")
		stream(isa512, name, n, 2, func(s slot) {
			G := s.load(dy)
			F := s.load(f)
			VMULPS(F, G, F)
			s.store(F, da)
			A := s.load(a)
			VMULPS(A, G, G)
			D := s.load(df)
			VMULPS(D, G, G)
			s.store(G, db)
		})
	})
}

// regluKernel emits name(a, b, y, n): y = a·max(b, 0), with Go's max: NaN
// stays NaN and −0 becomes +0 (VMAXPS keeps −0, so +0 is added).
func regluKernel() string {
	name := "regluAVX512"
	return plainKernel(name, regluSig, name+" sets y = a·max(b, 0) for n elements.", func() {
		a, b, y, n := loadGP("a"), loadGP("b"), loadGP("y"), loadGP("n")
		zero := zeroVec(isa512)
		stream(isa512, name, n, 4, func(s slot) {
			B := s.load(b)
			VMAXPS(B, zero, B)
			VADDPS(zero, B, B)
			A := s.load(a)
			VMULPS(B, A, A)
			s.store(A, y)
		})
	})
}

// regluBackwardKernel emits name(dy, a, b, da, db, n): da = dy·b and
// db = dy·a where b > 0, else 0 and 0.
func regluBackwardKernel() string {
	name := "regluBackwardAVX512"
	return plainKernel(name, regluBackSig, name+" sets da = dy·b and db = dy·a where b > 0, zeros elsewhere, for n elements.", func() {
		dy, a, b := loadGP("dy"), loadGP("a"), loadGP("b")
		da, db, n := loadGP("da"), loadGP("db"), loadGP("n")
		zero := zeroVec(isa512)
		stream(isa512, name, n, 2, func(s slot) {
			B := s.load(b)
			VCMPPS(U8(cmpGTOQ), zero, B, K3)
			G := s.load(dy)
			D := ZMM()
			VMULPS_Z(B, G, K3, D)
			s.store(D, da)
			A := s.load(a)
			VMULPS_Z(A, G, K3, A)
			s.store(A, db)
		})
	})
}

// plainKernel emits a kernel that runs without flush-to-zero, unlike
// arithKernel: its declaration, body and return. It returns name.
func plainKernel(name, sig, doc string, body func()) string {
	TEXT(name, NOSPLIT, sig)
	Doc(doc)
	body()
	VZEROUPPER()
	RET()
	return name
}
