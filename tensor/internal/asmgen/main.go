// Command asmgen writes the GEMM micro-kernels and packing routines of
// package tensor in Go assembly, with avo; with -set elementwise, the
// element-wise kernels instead (elementwise.go). It is its own module so
// that the main module never needs avo. Run it through go generate:
//
//	go generate ./tensor
//
// Every kernel computes one register tile of C = alpha·A·B + beta·C, then
// applies the fused epilogue (bias per column, ReLU, or the ReLU gate of
// GemmReLUGrad: zero where another matrix is not > 0) before storing the
// tile. There are three kinds:
//
//   - packed kernels (gemmAVX512Px<mr>, gemmAVX2Px<mr>) read A and B from
//     the packing buffers, where each step of k is MR contiguous values of A
//     and NR of B, so every address is a base plus a constant and the loop
//     is unrolled by four;
//
//   - row kernels (gemmAVX512Rx<mr>, gemmAVX2Rx<mr>) read B packed, as the
//     packed kernels do, and A in place: mr rows of A at a stride of rsa
//     bytes, each read along k with unit stride (csa must be 4), unrolled
//     by four with constant offsets too. They spare the copy of an
//     untransposed A;
//
//   - direct kernels (gemmAVX512x<mr>, gemmAVX2x<mr>) read both operands in
//     place through strides, for products too small to repay packing:
//
//     A(r, p) = a + r·rsa + p·csa   (bytes)
//     B(p, j) = b + p·ldb + 4·j
//     C(r, j) = c + r·ldc + 4·j
//
// The arguments travel in one struct, kernelArgs in tensor/gemm_driver.go;
// the offsets below must match it (TestKernelArgsLayout checks them).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Offsets of the kernelArgs fields.
const (
	offK     = 0
	offA     = 8
	offRSA   = 16
	offCSA   = 24
	offB     = 32
	offLDB   = 40
	offC     = 48
	offLDC   = 56
	offMask  = 64
	offBias  = 72
	offAlpha = 80
	offBeta  = 84
	offFlags = 88
	offCMask = 96
	offGate  = 104
	offLDG   = 112
)

// Flag bits of kernelArgs.flags.
const (
	flagLoadC   = 1  // beta != 0: read C and add beta·C
	flagScale   = 2  // alpha != 1: multiply the product by alpha
	flagReLU    = 4  // clamp negative results to zero
	flagPartial = 8  // fewer than NR columns are valid (AVX2: store through cmask)
	flagGate    = 16 // zero the results where the gate matrix is not > 0
)

const (
	avx512MR = 12
	avx512NR = 32
	avx2MR   = 6
	avx2NR   = 16
	unroll   = 4
	// prefetchSteps is how many steps of k ahead the packed and row
	// kernels prefetch B: 1 KB for AVX-512. Interleaved medians of 16 runs
	// each, against no prefetch: 256×512×512 +5%, the products of a
	// batch-256 training step +4.5%, those of the b1024 one +5% (512 and
	// 2048 bytes ahead gained no more). Measured with two test binaries,
	// one built without the prefetches, taking turns.
	prefetchSteps = 8
)

var (
	decl = flag.String("decl", "", "write the Go declarations and kernel tables to `file`")
	set  = flag.String("set", "gemm", "the `kernels` to write: gemm, or elementwise (see elementwise.go)")
)

func main() {
	flag.Parse()
	if *set == "elementwise" {
		elementwise()
		return
	}
	ConstraintExpr("amd64,!purego")
	var d declarations
	for _, set := range []struct {
		prefix string
		mr     int
		kernel func(mr int, kind kernelKind) string
	}{{"avx512", avx512MR, avx512Kernel}, {"avx2", avx2MR, avx2Kernel}} {
		for _, kind := range []kernelKind{kindPacked, kindDirect, kindRows} {
			for mr := 1; mr <= set.mr; mr++ {
				d.add(set.prefix+kind.String(), set.kernel(mr, kind), "func(p *kernelArgs)")
			}
		}
	}
	d.add("", packTranspose("gemmPackTA", 12, avx512MR), packTransposeSig)
	d.add("", packTranspose("gemmPackTB", 16, avx512NR), packTransposeSig)
	d.add("", packCopy("gemmPackCopy12", 12), packCopySig)
	d.add("", packCopy("gemmPackCopy32", 32), packCopySig)
	d.add("", packTransposeAVX2("gemmPackTA6", avx2MR, avx2MR), packTransposeAVX2Sig)
	d.add("", packTransposeAVX2("gemmPackTB8", 8, avx2NR), packTransposeAVX2Sig)
	d.add("", packCopyAVX2("gemmPackCopy6", avx2MR), packCopyAVX2Sig)
	d.add("", packCopyAVX2("gemmPackCopy16", avx2NR), packCopyAVX2Sig)
	Generate()
	if *decl != "" {
		d.write(*decl)
	}
}

// declarations collects the Go side of the generated functions. avo's own
// stubs would need the argument types to be visible to the generator, and
// the kernels take a *kernelArgs of package tensor.
type declarations struct {
	funcs  []string
	tables map[string][]string
	order  []string
}

func (d *declarations) add(table, name, sig string) {
	d.funcs = append(d.funcs, fmt.Sprintf("//go:noescape\nfunc %s%s\n", name, strings.TrimPrefix(sig, "func")))
	if table == "" {
		return
	}
	if d.tables == nil {
		d.tables = map[string][]string{}
	}
	if _, ok := d.tables[table]; !ok {
		d.order = append(d.order, table)
	}
	d.tables[table] = append(d.tables[table], name)
}

func (d *declarations) write(path string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by command: go run . %s. DO NOT EDIT.\n\n", strings.Join(os.Args[1:], " "))
	b.WriteString("//go:build amd64 && !purego\n\npackage tensor\n\n")
	for _, f := range d.funcs {
		b.WriteString(f + "\n")
	}
	for _, t := range d.order {
		fmt.Fprintf(&b, "// %s holds the kernel for each row count from 1.\n", t)
		fmt.Fprintf(&b, "var %s = [...]func(*kernelArgs){nil, %s}\n\n", t, strings.Join(d.tables[t], ", "))
	}
	fmt.Fprintf(&b, "const (\n\tavx512MR = %d\n\tavx512NR = %d\n\tavx2MR = %d\n\tavx2NR = %d\n)\n", avx512MR, avx512NR, avx2MR, avx2NR)
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// field loads the 8-byte kernelArgs field at offset off.
func field(p GPVirtual, off int) GPVirtual {
	r := GP64()
	MOVQ(Mem{Base: p, Disp: off}, r)
	return r
}

// argsPointer loads the kernel's one argument.
func argsPointer() GPVirtual {
	p := GP64()
	Load(Param("p"), p)
	return p
}

// stridedRows returns the addresses of A(r, ·) for r < mr at the current
// k, with one base register per four rows so that every address is base +
// index·scale, and the base registers to advance along k (by csa each step
// in the direct kernels, by 4 in the row kernels).
func stridedRows(a, rs GPVirtual, mr int) (addrs []Mem, bases []GPVirtual) {
	var rs3 GPVirtual
	if mr > 3 {
		rs3 = GP64()
		LEAQ(Mem{Base: rs, Index: rs, Scale: 2}, rs3)
	}
	for r0 := 0; r0 < mr; r0 += 4 {
		base := a
		if r0 > 0 {
			// base = previous base + 4·rs
			base = GP64()
			LEAQ(Mem{Base: bases[len(bases)-1], Index: rs, Scale: 4}, base)
		}
		bases = append(bases, base)
		for r := r0; r < mr && r < r0+4; r++ {
			switch r - r0 {
			case 0:
				addrs = append(addrs, Mem{Base: base})
			case 1:
				addrs = append(addrs, Mem{Base: base, Index: rs, Scale: 1})
			case 2:
				addrs = append(addrs, Mem{Base: base, Index: rs, Scale: 2})
			case 3:
				addrs = append(addrs, Mem{Base: base, Index: rs3, Scale: 1})
			}
		}
	}
	return addrs, bases
}

// cRows returns the addresses of C(r, 0) for r < mr.
func cRows(p GPVirtual, mr int) []Mem { return matRows(p, offC, offLDC, mr) }

// matRows returns the addresses of row r < mr of the tile whose first
// element and row stride in bytes are the kernelArgs fields at offPtr and
// offLd.
func matRows(p GPVirtual, offPtr, offLd, mr int) []Mem {
	c := field(p, offPtr)
	ldc := field(p, offLd)
	var ldc3 GPVirtual
	if mr > 3 {
		ldc3 = GP64()
		LEAQ(Mem{Base: ldc, Index: ldc, Scale: 2}, ldc3)
	}
	var rows []Mem
	base := c
	for r0 := 0; r0 < mr; r0 += 4 {
		if r0 > 0 {
			nb := GP64()
			LEAQ(Mem{Base: base, Index: ldc, Scale: 4}, nb)
			base = nb
		}
		for r := r0; r < mr && r < r0+4; r++ {
			switch r - r0 {
			case 0:
				rows = append(rows, Mem{Base: base})
			case 1:
				rows = append(rows, Mem{Base: base, Index: ldc, Scale: 1})
			case 2:
				rows = append(rows, Mem{Base: base, Index: ldc, Scale: 2})
			case 3:
				rows = append(rows, Mem{Base: base, Index: ldc3, Scale: 1})
			}
		}
	}
	return rows
}

// isa describes the vector registers of one instruction set.
type isa struct {
	mr, nr int
	bytes  int // bytes per vector register
	vec    func() VecVirtual
}

// fmaStep emits one step of k: load the NR values of B, then for each row
// broadcast A(r, p) and multiply-add into the row's accumulators.
func fmaStep(v isa, acc [][2]VecVirtual, loadB func(h int, dst VecVirtual), aAddr func(r int) Mem) {
	b0, b1 := v.vec(), v.vec()
	loadB(0, b0)
	loadB(1, b1)
	for r := range acc {
		t := v.vec()
		VBROADCASTSS(aAddr(r), t)
		VFMADD231PS(b0, t, acc[r][0])
		VFMADD231PS(b1, t, acc[r][1])
	}
}

// kernelKind is how a kernel reads its operands (see the package comment).
type kernelKind int

const (
	kindPacked kernelKind = iota
	kindDirect
	kindRows
)

func (k kernelKind) String() string { return [...]string{"Packed", "Direct", "Rows"}[k] }

// kernelLoop emits the k loop of a kernel and leaves it at label
// name+"_epilogue".
func kernelLoop(name string, v isa, p GPVirtual, acc [][2]VecVirtual, kind kernelKind, mask [2]Register) {
	mr := len(acc)
	k := field(p, offK)
	a := field(p, offA)
	b := field(p, offB)
	if kind != kindDirect {
		// B(p, ·) = b + 4·NR·p. Packed, A(r, p) = a + 4·(MR·p + r); by
		// rows, A(r, p) = a + r·rsa + 4·p, from a base register per four
		// rows that advances with p.
		aAddr := func(u, r int) Mem { return Mem{Base: a, Disp: 4 * (u*v.mr + r)} }
		advanceA := func(steps int) { ADDQ(U32(4*steps*v.mr), a) }
		if kind == kindRows {
			addrs, bases := stridedRows(a, field(p, offRSA), mr)
			aAddr = func(u, r int) Mem { return addrs[r].Offset(4 * u) }
			advanceA = func(steps int) {
				for _, base := range bases {
					ADDQ(U32(4*steps), base)
				}
			}
		}
		kq := GP64()
		MOVQ(k, kq)
		SHRQ(U8(2), kq)
		ANDQ(U8(unroll-1), k)
		TESTQ(kq, kq)
		JZ(LabelRef(name + "_tail"))
		Label(name + "_loop4")
		for u := range unroll {
			// B streams from L2, where the L1 prefetchers, which fetch
			// only the next line, leave each load waiting for it; ask
			// for the row prefetchSteps ahead. Past the end of a panel
			// that is the start of the next one, which the driver
			// packed right after it.
			for h := 0; h < 4*v.nr; h += 64 {
				PREFETCHT0(Mem{Base: b, Disp: 4*(u+prefetchSteps)*v.nr + h})
			}
			fmaStep(v, acc,
				func(h int, dst VecVirtual) { VMOVUPS(Mem{Base: b, Disp: 4 * (u*v.nr + h*v.nr/2)}, dst) },
				func(r int) Mem { return aAddr(u, r) })
		}
		advanceA(unroll)
		ADDQ(U32(4*unroll*v.nr), b)
		DECQ(kq)
		JNZ(LabelRef(name + "_loop4"))
		Label(name + "_tail")
		TESTQ(k, k)
		JZ(LabelRef(name + "_epilogue"))
		Label(name + "_loop1")
		fmaStep(v, acc,
			func(h int, dst VecVirtual) { VMOVUPS(Mem{Base: b, Disp: 4 * h * v.nr / 2}, dst) },
			func(r int) Mem { return aAddr(0, r) })
		advanceA(1)
		ADDQ(U32(4*v.nr), b)
		DECQ(k)
		JNZ(LabelRef(name + "_loop1"))
		Label(name + "_epilogue")
		return
	}
	rs := field(p, offRSA)
	cs := field(p, offCSA)
	ldb := field(p, offLDB)
	addrs, bases := stridedRows(a, rs, mr)
	TESTQ(k, k)
	JZ(LabelRef(name + "_epilogue"))
	Label(name + "_loop")
	fmaStep(v, acc,
		func(h int, dst VecVirtual) {
			m := Mem{Base: b, Disp: h * v.bytes}
			if mask[h] != nil {
				VMOVUPS_Z(m, mask[h], dst)
			} else {
				VMOVUPS(m, dst)
			}
		},
		func(r int) Mem { return addrs[r] })
	for _, base := range bases {
		ADDQ(cs, base)
	}
	ADDQ(ldb, b)
	DECQ(k)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_epilogue")
}

func kernelName(prefix string, mr int, kind kernelKind) string {
	return fmt.Sprintf("%s%sx%d", prefix, [...]string{"P", "", "R"}[kind], mr)
}

// enterFlushToZero saves MXCSR and sets its flush-to-zero and
// denormals-are-zero bits, returning the saved word for VLDMXCSR on the way
// out. Subnormal operands or results make x86 arithmetic a hundred times
// slower; the kernels treat them as zero instead, which changes a product
// only below the smallest normal float32. Go code never runs with these
// bits set: the runtime does not preempt a goroutine inside assembly, and a
// signal handler starts from the default MXCSR.
func enterFlushToZero() Mem {
	saved, set := AllocLocal(4), AllocLocal(4)
	VSTMXCSR(saved)
	r := GP32()
	MOVL(saved, r)
	ORL(U32(0x8040), r) // FTZ (bit 15), DAZ (bit 6)
	MOVL(r, set)
	VLDMXCSR(set)
	return saved
}

// reluEpilogue emits the ReLU of a kernel's write-back, run when flags has
// flagReLU: the accumulators become max(0, x) against the register that
// zero makes (AVX-512 and AVX2 clear registers with different
// instructions).
func reluEpilogue(name string, flags GPVirtual, acc [][2]VecVirtual, zero func() VecVirtual) {
	TESTQ(U32(flagReLU), flags)
	JZ(LabelRef(name + "_norelu"))
	z := zero()
	for r := range acc {
		for h := range 2 {
			// max(0, x) returns x when x is NaN: NaN propagates as in Go.
			VMAXPS(acc[r][h], z, acc[r][h])
		}
	}
	Label(name + "_norelu")
}

// avx512Kernel emits an mr×32 kernel in 2·mr zmm accumulators. The
// write-back masks columns with K1 (0-15) and K2 (16-31); the direct
// kernel masks its loads of B the same way, so that B and C are never
// touched outside the tile. Packed panels are zero-padded and need no mask.
func avx512Kernel(mr int, kind kernelKind) string {
	name := kernelName("gemmAVX512", mr, kind)
	TEXT(name, NOSPLIT, "func(p *byte)")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C with AVX-512; p points to a kernelArgs.", name, mr, avx512NR))
	p := argsPointer()
	v := isa{mr: avx512MR, nr: avx512NR, bytes: 64, vec: ZMM}
	mxcsr := enterFlushToZero()

	mask := field(p, offMask)
	KMOVW(mask.As32(), K1)
	SHRQ(U8(16), mask)
	KMOVW(mask.As32(), K2)

	acc := make([][2]VecVirtual, mr)
	for r := range acc {
		for h := range 2 {
			acc[r][h] = ZMM()
			VPXORD(acc[r][h], acc[r][h], acc[r][h])
		}
	}
	if kind != kindDirect {
		// Start bringing the C tile in: the write-back reads or overwrites
		// it, and the k loop hides the latency.
		for _, row := range cRows(p, mr) {
			PREFETCHT0(row)
			PREFETCHT0(row.Offset(64))
		}
	}
	kernelLoop(name, v, p, acc, kind, [2]Register{K1, K2})

	flags := field(p, offFlags)
	rows := cRows(p, mr)

	TESTQ(U32(flagScale), flags)
	JZ(LabelRef(name + "_noscale"))
	alpha := ZMM()
	VBROADCASTSS(Mem{Base: p, Disp: offAlpha}, alpha)
	for r := range mr {
		for h := range 2 {
			VMULPS(alpha, acc[r][h], acc[r][h])
		}
	}
	Label(name + "_noscale")

	TESTQ(U32(flagLoadC), flags)
	JZ(LabelRef(name + "_noloadc"))
	beta := ZMM()
	VBROADCASTSS(Mem{Base: p, Disp: offBeta}, beta)
	for r := range mr {
		for h, km := range []Register{K1, K2} {
			t := ZMM()
			VMOVUPS_Z(rows[r].Offset(64*h), km, t)
			VFMADD231PS(beta, t, acc[r][h])
		}
	}
	Label(name + "_noloadc")

	bias := field(p, offBias)
	TESTQ(bias, bias)
	JZ(LabelRef(name + "_nobias"))
	bv0, bv1 := ZMM(), ZMM()
	VMOVUPS_Z(Mem{Base: bias}, K1, bv0)
	VMOVUPS_Z(Mem{Base: bias, Disp: 64}, K2, bv1)
	for r := range mr {
		VADDPS(bv0, acc[r][0], acc[r][0])
		VADDPS(bv1, acc[r][1], acc[r][1])
	}
	Label(name + "_nobias")

	reluEpilogue(name, flags, acc, func() VecVirtual {
		zero := ZMM()
		VPXORD(zero, zero, zero)
		return zero
	})

	TESTQ(U32(flagGate), flags)
	JZ(LabelRef(name + "_store"))
	{
		// The caller's MXCSR back first: under denormals-are-zero a
		// subnormal gate would compare as 0, where ReLUBackward keeps it.
		VLDMXCSR(mxcsr)
		gates := matRows(p, offGate, offLDG, mr)
		zero := ZMM()
		VPXORD(zero, zero, zero)
		for r := range mr {
			for h, km := range []Register{K1, K2} {
				// K3 = 0 < gate, an ordered compare (false for NaN, as
				// in ReLUBackward), under the column mask: lanes past
				// the edge are not read.
				VCMPPS(U8(cmpLTOQ), gates[r].Offset(64*h), zero, km, K3)
				VMOVAPS_Z(acc[r][h], K3, acc[r][h])
			}
		}
	}
	Label(name + "_store")
	for r := range mr {
		VMOVUPS(acc[r][0], K1, rows[r])
		VMOVUPS(acc[r][1], K2, rows[r].Offset(64))
	}
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}

// avx2Kernel emits an mr×16 kernel in 2·mr ymm accumulators. With 16
// registers there is no room for load masks, so B must be readable for all
// 16 columns (the driver packs an edge panel with zero padding); the
// write-back masks columns through cmask when flagPartial is set.
func avx2Kernel(mr int, kind kernelKind) string {
	name := kernelName("gemmAVX2", mr, kind)
	TEXT(name, NOSPLIT, "func(p *byte)")
	Doc(fmt.Sprintf("%s computes a %d×%d tile of C with AVX2 and FMA; p points to a kernelArgs.", name, mr, avx2NR))
	p := argsPointer()
	v := isa{mr: avx2MR, nr: avx2NR, bytes: 32, vec: YMM}
	mxcsr := enterFlushToZero()

	acc := make([][2]VecVirtual, mr)
	for r := range acc {
		for h := range 2 {
			acc[r][h] = YMM()
			VXORPS(acc[r][h], acc[r][h], acc[r][h])
		}
	}
	kernelLoop(name, v, p, acc, kind, [2]Register{})

	flags := field(p, offFlags)
	rows := cRows(p, mr)

	TESTQ(U32(flagScale), flags)
	JZ(LabelRef(name + "_noscale"))
	alpha := YMM()
	VBROADCASTSS(Mem{Base: p, Disp: offAlpha}, alpha)
	for r := range mr {
		for h := range 2 {
			VMULPS(alpha, acc[r][h], acc[r][h])
		}
	}
	Label(name + "_noscale")

	cmask := field(p, offCMask)
	TESTQ(U32(flagLoadC), flags)
	JZ(LabelRef(name + "_noloadc"))
	beta := YMM()
	VBROADCASTSS(Mem{Base: p, Disp: offBeta}, beta)
	TESTQ(U32(flagPartial), flags)
	JNZ(LabelRef(name + "_loadc_partial"))
	for r := range mr {
		for h := range 2 {
			VFMADD231PS(rows[r].Offset(32*h), beta, acc[r][h])
		}
	}
	JMP(LabelRef(name + "_noloadc"))
	Label(name + "_loadc_partial")
	{
		m0, m1 := YMM(), YMM()
		VMOVUPS(Mem{Base: cmask}, m0)
		VMOVUPS(Mem{Base: cmask, Disp: 32}, m1)
		for r := range mr {
			for h, m := range []VecVirtual{m0, m1} {
				t := YMM()
				VMASKMOVPS(rows[r].Offset(32*h), m, t)
				VFMADD231PS(t, beta, acc[r][h])
			}
		}
	}
	Label(name + "_noloadc")

	bias := field(p, offBias)
	TESTQ(bias, bias)
	JZ(LabelRef(name + "_nobias"))
	{
		// The bias is read through the column mask too: it has only as many
		// entries as C has columns.
		m0, m1 := YMM(), YMM()
		VMOVUPS(Mem{Base: cmask}, m0)
		VMOVUPS(Mem{Base: cmask, Disp: 32}, m1)
		bv0, bv1 := YMM(), YMM()
		VMASKMOVPS(Mem{Base: bias}, m0, bv0)
		VMASKMOVPS(Mem{Base: bias, Disp: 32}, m1, bv1)
		for r := range mr {
			VADDPS(bv0, acc[r][0], acc[r][0])
			VADDPS(bv1, acc[r][1], acc[r][1])
		}
	}
	Label(name + "_nobias")

	reluEpilogue(name, flags, acc, func() VecVirtual {
		zero := YMM()
		VXORPS(zero, zero, zero)
		return zero
	})

	TESTQ(U32(flagGate), flags)
	JZ(LabelRef(name + "_store"))
	{
		// Keep the results where 0 < gate, an ordered compare (false for
		// NaN, as in ReLUBackward). A partial tile reads the gate through
		// the column mask. The caller's MXCSR comes back first: under
		// denormals-are-zero a subnormal gate would compare as 0.
		VLDMXCSR(mxcsr)
		gates := matRows(p, offGate, offLDG, mr)
		zero := YMM()
		VXORPS(zero, zero, zero)
		TESTQ(U32(flagPartial), flags)
		JNZ(LabelRef(name + "_gate_partial"))
		for r := range mr {
			for h := range 2 {
				t := YMM()
				VCMPPS(U8(cmpLTOQ), gates[r].Offset(32*h), zero, t)
				VANDPS(t, acc[r][h], acc[r][h])
			}
		}
		JMP(LabelRef(name + "_store"))
		Label(name + "_gate_partial")
		m0, m1 := YMM(), YMM()
		VMOVUPS(Mem{Base: cmask}, m0)
		VMOVUPS(Mem{Base: cmask, Disp: 32}, m1)
		for r := range mr {
			for h, m := range []VecVirtual{m0, m1} {
				t := YMM()
				VMASKMOVPS(gates[r].Offset(32*h), m, t)
				VCMPPS(U8(cmpLTOQ), t, zero, t)
				VANDPS(t, acc[r][h], acc[r][h])
			}
		}
	}
	Label(name + "_store")
	TESTQ(U32(flagPartial), flags)
	JNZ(LabelRef(name + "_store_partial"))
	for r := range mr {
		VMOVUPS(acc[r][0], rows[r])
		VMOVUPS(acc[r][1], rows[r].Offset(32))
	}
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	Label(name + "_store_partial")
	{
		m0, m1 := YMM(), YMM()
		VMOVUPS(Mem{Base: cmask}, m0)
		VMOVUPS(Mem{Base: cmask, Disp: 32}, m1)
		for r := range mr {
			VMASKMOVPS(acc[r][0], m0, rows[r])
			VMASKMOVPS(acc[r][1], m1, rows[r].Offset(32))
		}
	}
	VLDMXCSR(mxcsr)
	VZEROUPPER()
	RET()
	return name
}

const packTransposeSig = "func(dst *float32, rows *[16]*float32, kc int)"

// packTranspose emits name(dst, rows, kc): for p < kc, the values
// rows[0][p], rows[1][p], ..., rows[lanes-1][p] go to dst[p·stride:], which
// is a column block of a row-major matrix turned into the k-major layout of
// a packed panel. Unused rows point at zeros. It works on 16×16 blocks in
// registers: three rounds of shuffles (pairs of floats, pairs of pairs,
// 128-bit lanes) transpose a block, and the last block of k is loaded
// through a mask.
func packTranspose(name string, lanes, strideFloats int) string {
	TEXT(name, NOSPLIT, packTransposeSig)
	Doc(fmt.Sprintf("%s packs a %d-row panel, transposing it (see packTranspose in asmgen).", name, lanes))
	dst := Load(Param("dst"), GP64())
	rows := Load(Param("rows"), GP64())
	kc := Load(Param("kc"), GP64())
	off := GP64() // byte offset of the current block of k within each row
	XORQ(off, off)
	stride := 4 * strideFloats

	storeMask := GP32()
	MOVL(U32(1<<lanes-1), storeMask)
	KMOVW(storeMask, K2)

	Label(name + "_block")
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_done"))
	// K1 masks the loads of the last, partial block of k.
	n := GP64()
	MOVQ(U32(16), n)
	CMPQ(kc, n)
	CMOVQLT(kc, n)
	one, ones := GP64(), GP64()
	MOVQ(U32(1), one)
	SHLXQ(n, one, ones) // 1<<n, n ≤ 16
	DECQ(ones)
	KMOVW(ones.As32(), K1)

	r := make([]VecVirtual, 16)
	for i := range 16 {
		r[i] = ZMM()
		row := GP64()
		MOVQ(Mem{Base: rows, Disp: 8 * i}, row)
		VMOVUPS_Z(Mem{Base: row, Index: off, Scale: 1}, K1, r[i])
	}
	// Round 1: t[2i], t[2i+1] interleave rows 2i and 2i+1 (floats).
	t := make([]VecVirtual, 16)
	for i := 0; i < 16; i += 2 {
		t[i], t[i+1] = ZMM(), ZMM()
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	// Round 2: within each group of four rows, u[4g+c] holds in 128-bit
	// lane L the four rows' values of column 4L+c.
	u := make([]VecVirtual, 16)
	for g := range 4 {
		t0, t1, t2, t3 := t[4*g], t[4*g+1], t[4*g+2], t[4*g+3]
		for c := range 4 {
			u[4*g+c] = ZMM()
		}
		VUNPCKLPD(t2, t0, u[4*g+0])
		VUNPCKHPD(t2, t0, u[4*g+1])
		VUNPCKLPD(t3, t1, u[4*g+2])
		VUNPCKHPD(t3, t1, u[4*g+3])
	}
	// Round 3: gather lane L of the four groups: column 4L+c.
	col := make([]VecVirtual, 16)
	for c := range 4 {
		v01lo, v01hi, v23lo, v23hi := ZMM(), ZMM(), ZMM(), ZMM()
		VSHUFF32X4(U8(0x44), u[4+c], u[c], v01lo)    // g0.L0 g0.L1 g1.L0 g1.L1
		VSHUFF32X4(U8(0xEE), u[4+c], u[c], v01hi)    // g0.L2 g0.L3 g1.L2 g1.L3
		VSHUFF32X4(U8(0x44), u[12+c], u[8+c], v23lo) // g2.L0 g2.L1 g3.L0 g3.L1
		VSHUFF32X4(U8(0xEE), u[12+c], u[8+c], v23hi) // g2.L2 g2.L3 g3.L2 g3.L3
		for L, src := range [][2]VecVirtual{{v01lo, v23lo}, {v01lo, v23lo}, {v01hi, v23hi}, {v01hi, v23hi}} {
			imm := U8(0x88) // lanes 0 and 2 of each source
			if L%2 == 1 {
				imm = U8(0xDD) // lanes 1 and 3
			}
			col[4*L+c] = ZMM()
			VSHUFF32X4(imm, src[1], src[0], col[4*L+c])
		}
	}
	for j := range 16 {
		if j > 0 {
			CMPQ(n, U8(j))
			JLE(LabelRef(name + "_stored"))
		}
		VMOVUPS(col[j], K2, Mem{Base: dst, Disp: j * stride})
	}
	Label(name + "_stored")
	ADDQ(U32(16*stride), dst)
	ADDQ(U32(64), off)
	SUBQ(n, kc)
	JMP(LabelRef(name + "_block"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
	return name
}

const packCopySig = "func(dst, src *float32, lds, kc int, mask uint32)"

// packCopy emits name(dst, src, lds, kc, mask): for p < kc, copy the row of
// `width` floats at src + p·lds (bytes) to dst[p·width:], loading only the
// columns set in mask and writing zeros for the others.
func packCopy(name string, width int) string {
	TEXT(name, NOSPLIT, packCopySig)
	Doc(fmt.Sprintf("%s packs %d columns of kc rows (see packCopy in asmgen).", name, width))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	kc := Load(Param("kc"), GP64())
	mask := Load(Param("mask"), GP32())
	KMOVW(mask, K1)
	SHRL(U8(16), mask)
	KMOVW(mask, K2)
	full := GP32()
	MOVL(U32(1<<min(width, 16)-1), full)
	KMOVW(full, K3)
	vecs := (width + 15) / 16
	// The rows are far apart (a cache line or two of each), too far for
	// the hardware prefetchers: fetch the row eight ahead.
	ahead := GP64()
	LEAQ(Mem{Base: lds, Index: lds, Scale: 8}, ahead)
	SUBQ(lds, ahead)
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	for h := range vecs {
		PREFETCHT0(Mem{Base: src, Index: ahead, Scale: 1, Disp: 64 * h})
	}
	for h := range vecs {
		z := ZMM()
		km := K1
		if h == 1 {
			km = K2
		}
		VMOVUPS_Z(Mem{Base: src, Disp: 64 * h}, km, z)
		if width < 16 {
			VMOVUPS(z, K3, Mem{Base: dst, Disp: 64 * h})
		} else {
			VMOVUPS(z, Mem{Base: dst, Disp: 64 * h})
		}
	}
	ADDQ(lds, src)
	ADDQ(U32(4*width), dst)
	DECQ(kc)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
	return name
}

const packTransposeAVX2Sig = "func(dst *float32, rows *[8]*float32, kc int, masks *[16]int32)"

// packTransposeAVX2 emits name(dst, rows, kc, masks), the AVX2 form of
// packTranspose: for p < kc, rows[0][p] ... rows[lanes-1][p] go to
// dst[p·stride:], through 8×8 transposes in registers (pairs of floats,
// pairs of pairs, 128-bit halves). masks points at 8 int32 -1s followed by
// 8 zeros (laneMasks[8:24]): the load mask of a partial block of n < 8
// steps is masks[8-n:], the store mask of lanes < 8 is masks[8-lanes:].
func packTransposeAVX2(name string, lanes, strideFloats int) string {
	TEXT(name, NOSPLIT, packTransposeAVX2Sig)
	Doc(fmt.Sprintf("%s packs a %d-row panel with AVX2, transposing it (see packTransposeAVX2 in asmgen).", name, lanes))
	dst := Load(Param("dst"), GP64())
	rows := Load(Param("rows"), GP64())
	kc := Load(Param("kc"), GP64())
	masks := Load(Param("masks"), GP64())
	off := GP64()
	XORQ(off, off)
	stride := 4 * strideFloats
	var storeMask VecVirtual
	if lanes < 8 {
		storeMask = YMM()
		VMOVUPS(Mem{Base: masks, Disp: 4 * (8 - lanes)}, storeMask)
	}

	Label(name + "_block")
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_done"))
	n := GP64()
	MOVQ(U32(8), n)
	CMPQ(kc, n)
	CMOVQLT(kc, n)
	// The load mask: masks[8-n:], n lanes of -1.
	lm := GP64()
	MOVQ(U32(8), lm)
	SUBQ(n, lm)
	loadMask := YMM()
	VMOVUPS(Mem{Base: masks, Index: lm, Scale: 4}, loadMask)

	r := make([]VecVirtual, 8)
	for i := range 8 {
		r[i] = YMM()
		row := GP64()
		MOVQ(Mem{Base: rows, Disp: 8 * i}, row)
		VMASKMOVPS(Mem{Base: row, Index: off, Scale: 1}, loadMask, r[i])
	}
	t := make([]VecVirtual, 8)
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = YMM(), YMM()
		VUNPCKLPS(r[i+1], r[i], t[i])
		VUNPCKHPS(r[i+1], r[i], t[i+1])
	}
	// u[4h+c] holds, in each 128-bit half L, rows 4h..4h+3 of column 4L+c.
	u := make([]VecVirtual, 8)
	for h := range 2 {
		t0, t1, t2, t3 := t[4*h], t[4*h+1], t[4*h+2], t[4*h+3]
		for c := range 4 {
			u[4*h+c] = YMM()
		}
		VSHUFPS(U8(0x44), t2, t0, u[4*h+0])
		VSHUFPS(U8(0xEE), t2, t0, u[4*h+1])
		VSHUFPS(U8(0x44), t3, t1, u[4*h+2])
		VSHUFPS(U8(0xEE), t3, t1, u[4*h+3])
	}
	col := make([]VecVirtual, 8)
	for c := range 4 {
		col[c], col[4+c] = YMM(), YMM()
		VPERM2F128(U8(0x20), u[4+c], u[c], col[c])
		VPERM2F128(U8(0x31), u[4+c], u[c], col[4+c])
	}
	for j := range 8 {
		if j > 0 {
			CMPQ(n, U8(j))
			JLE(LabelRef(name + "_stored"))
		}
		if lanes < 8 {
			VMASKMOVPS(col[j], storeMask, Mem{Base: dst, Disp: j * stride})
		} else {
			VMOVUPS(col[j], Mem{Base: dst, Disp: j * stride})
		}
	}
	Label(name + "_stored")
	ADDQ(U32(8*stride), dst)
	ADDQ(U8(32), off)
	SUBQ(n, kc)
	JMP(LabelRef(name + "_block"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
	return name
}

const packCopyAVX2Sig = "func(dst, src *float32, lds, kc int, mask *[16]int32)"

// packCopyAVX2 emits name(dst, src, lds, kc, mask), the AVX2 form of
// packCopy: for p < kc, copy `width` floats from src + p·lds (bytes) to
// dst[p·width:], loading only the lanes that mask (16 int32, -1 for a valid
// column) allows and writing zeros for the others.
func packCopyAVX2(name string, width int) string {
	TEXT(name, NOSPLIT, packCopyAVX2Sig)
	Doc(fmt.Sprintf("%s packs %d columns of kc rows with AVX2 (see packCopyAVX2 in asmgen).", name, width))
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	kc := Load(Param("kc"), GP64())
	mask := Load(Param("mask"), GP64())
	vecs := (width + 7) / 8
	m := make([]VecVirtual, vecs)
	for h := range vecs {
		m[h] = YMM()
		VMOVUPS(Mem{Base: mask, Disp: 32 * h}, m[h])
	}
	var storeMask VecVirtual
	if width%8 != 0 {
		// A group narrower than a register (the 6 rows of an A panel):
		// store only the lanes loaded, the rows that the kernel reads.
		storeMask = m[vecs-1]
	}
	ahead := GP64()
	LEAQ(Mem{Base: lds, Index: lds, Scale: 8}, ahead)
	SUBQ(lds, ahead)
	TESTQ(kc, kc)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	PREFETCHT0(Mem{Base: src, Index: ahead, Scale: 1})
	for h := range vecs {
		y := YMM()
		VMASKMOVPS(Mem{Base: src, Disp: 32 * h}, m[h], y)
		if h == vecs-1 && storeMask != nil {
			VMASKMOVPS(y, storeMask, Mem{Base: dst, Disp: 32 * h})
		} else {
			VMOVUPS(y, Mem{Base: dst, Disp: 32 * h})
		}
	}
	ADDQ(lds, src)
	ADDQ(U32(4*width), dst)
	DECQ(kc)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
	return name
}
