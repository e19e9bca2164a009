package tensor

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// The blocked GEMM, GotoBLAS/BLIS style, for row-major matrices.
//
// A micro-kernel keeps an MR×NR tile of C in registers (AVX-512: 12×32 in 24
// zmm; AVX2: 6×16 in 12 ymm; Go: 4×4) while it runs over kc steps of the
// inner dimension: per step it loads one row of NR values of op(B) as
// vectors, broadcasts MR values of op(A) and does MR·NR/lanes fused
// multiply-adds. When the tile is done it applies alpha, beta·C, the bias
// and the activation (or zeroes it where the gate of GemmReLUGrad is not
// positive) and stores it, masking the columns past the edge.
//
// The operands reach the kernels in one of three ways (usePacking and
// readsRows decide, per thread, from the shape of its share):
//
//   - packed: op(B) is copied into NR-wide panels (kc×NR, contiguous, zero
//     padded) for a block of kc×nc that stays in L2 while the kernel sweeps
//     the micro-panels of A; op(A) is copied a micro-panel (MR×kc) at a time,
//     just before the kernel sweeps the panels of B with it (a team packs
//     a whole block of A ahead, see below), so A is read from L1 and B
//     streams from L2, both with unit stride. Read in place, B strides over
//     pages and the kernel runs at half speed or less for 512 columns and
//     more; a transposed A would be read a row of op(A) per row of A.
//     Copying a transposed operand transposes 16×16 (AVX2: 8×8) blocks in
//     registers. The packed kernels read both with constant offsets,
//     unrolled by four, and prefetch B eight steps of k ahead.
//   - rows: B packed as above, and A, when it is not transposed, read in
//     place by the row kernels: a tile's MR rows of A are each read along k
//     with unit stride, MR streams that the hardware prefetchers follow,
//     from base registers plus constants, as packed. This spares the copy
//     of A, which had taken a tenth of the time of inference. It needs a
//     stride of A that spreads the MR rows over the sets of L1 (see
//     readsRows).
//   - direct: the kernels read A and B where they lie, through strides (see
//     kernelArgs); only a transposed B is packed, as it must be. This wins
//     when the panels would be used too few times to repay packing: few
//     rows or a short k (or, when A is copied, few columns).
//
// The loops, outermost first: pc over blocks of at most KC steps of k, jc
// over NC columns of the thread's range (the B block is packed here), ir
// over MR rows (the A micro-panel, if copied, is packed here), jr over NR
// columns (one kernel call per tile). Each kernel call finishes its tile
// of C: the first pc block applies beta, the last one adds the bias and
// applies the activation or the gate, while the tile is still in
// registers.
//
// Threads split the tiles of C into a grid, over N or over M as shareCost
// estimates best, so that each packs only the panels of B it reads. When
// they split over N alone they form a team (gemmTeam): they share the
// packing of A, if A is copied, with one barrier per block of k, and with
// one block of k and of columns each they take each other's row panels
// once done with their own, reading the owner's packed B (workspace.steal).
// Split over M with one block of k, they claim row panels from a common
// counter. Otherwise nothing is shared inside a call.
//
// The assembly kernels run with MXCSR's flush-to-zero and
// denormals-are-zero bits set (see enterFlushToZero in internal/asmgen).

// kernelArgs is the argument block of a micro-kernel. The layout is fixed:
// the assembly kernels read the fields at the offsets that
// internal/asmgen declares (TestKernelArgsLayout checks them).
type kernelArgs struct {
	k     int      // steps of the inner dimension
	a     *float32 // A(0, 0) of the tile
	rsa   int      // bytes from A(r, p) to A(r+1, p)
	csa   int      // bytes from A(r, p) to A(r, p+1)
	b     *float32 // B(0, 0) of the tile
	ldb   int      // bytes from B(p, j) to B(p+1, j)
	c     *float32 // C(0, 0) of the tile
	ldc   int      // bytes from C(r, j) to C(r+1, j)
	mask  uint64   // AVX-512: bit j set for each valid column j < nr
	bias  *float32 // bias[0] for the tile's first column, or nil
	alpha float32
	beta  float32
	flags uint64
	cmask *int32   // AVX2: 16 int32 lane masks for the valid columns
	gate  *float32 // gate(0, 0) of the tile (flagGate)
	ldg   int      // bytes from gate(r, j) to gate(r+1, j)
	mr    int      // rows of the tile (pure-Go kernel)
	nr    int      // columns of the tile (pure-Go kernel)
}

// Flag bits of kernelArgs.flags.
const (
	flagLoadC   = 1  // beta != 0: add beta·C
	flagScale   = 2  // alpha != 1: multiply the product by alpha
	flagReLU    = 4  // clamp negative results to zero
	flagPartial = 8  // fewer than NR valid columns (AVX2 kernels store through cmask)
	flagGate    = 16 // zero the results where gate is not > 0
)

// laneMasks[16-nr:32-nr] has nr leading -1s: the AVX2 column mask for nr
// valid columns.
var laneMasks = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

const (
	maxMR = 16
	maxKC = 1024 // the largest kc of any kernel set
)

// zeroRow stands in for the rows past the edge of a panel that the
// transposing packers read.
var zeroRow [maxKC + 16]float32

// kernelSet is one family of micro-kernels with its packing routines and
// blocking parameters.
type kernelSet struct {
	name   string
	mr, nr int
	// packed[r] computes a tile of r ≤ mr rows (and kernelArgs.nr ≤ nr
	// columns) from packed panels: A as groups of mr values per step of k,
	// B as rows of nr values, zero-padded.
	packed [maxMR + 1]func(*kernelArgs)
	// direct[r] does the same reading A and B in place through strides.
	direct [maxMR + 1]func(*kernelArgs)
	// rows[r] reads B packed and A in place, r rows at a stride of rsa
	// bytes, each with unit stride along k (csa = 4).
	rows [maxMR + 1]func(*kernelArgs)
	// maskB: the direct kernels mask the loads of B by column, so an edge
	// panel of fewer than nr columns can be read in place. Without it, B
	// panels must be readable for all nr columns.
	maskB bool
	// kc, nc: the packed B block (kc×nc) is sized for half the L2 cache;
	// C is read and written once per block of kc.
	kc, nc int
	// packA writes the mr×kc block of op(A) at (i0, pc) to dst as kc groups
	// of MR values (only the first mr of each are read).
	packA func(dst []float32, a *Mat, trans bool, i0, mr, pc, kc, MR int)
	// packB writes the kc×nr block of op(B) at (pc, j0) to dst as kc rows
	// of NR values, zero beyond nr.
	packB func(dst []float32, b *Mat, trans bool, pc, kc, j0, nr, NR int)
}

// workspace holds one thread's packing buffers, grown on first use and
// reused after: a steady state of GEMM calls allocates nothing.
type workspace struct {
	args  kernelArgs
	bufB  []float32
	bufA  []float32
	edgeB []float32 // one zero-padded panel, for direct kernels without maskB
	// The product of a GemmStridedBatched call being computed, and its
	// operands, views into the caller's matrices.
	batchJob               gemmJob
	batchA, batchB, batchC Mat
}

// aligned returns a slice of n floats from *buf starting on a 64-byte
// boundary, growing *buf if needed.
func aligned(buf *[]float32, n int) []float32 {
	const align = 16 // float32s per 64 bytes
	if cap(*buf) < n+align {
		*buf = make([]float32, n+align)
	}
	b := (*buf)[:cap(*buf)]
	off := int(uintptr(unsafe.Pointer(&b[0]))/4) & (align - 1)
	if off != 0 {
		off = align - off
	}
	return b[off : off+n]
}

// gemmJob is one call's operands, shared read-only by the threads.
type gemmJob struct {
	m, n, k        int
	transA, transB bool
	a, b, c        *Mat
	alpha, beta    float32
	bias           []float32
	act            Activation
	gate           *Mat // C is zeroed where gate is not > 0 (GemmReLUGrad)
	ks             *kernelSet
	packed         bool // pack B, and A unless rowsA, else read them in place where possible
	rowsA          bool // packed, but A (untransposed) read in place by the row kernels
}

// gemmTeam is the threads of a product split over N alone. Where A is
// copied they share its packing, each packing every size-th micro-panel of
// a block of k into a common buffer. Two buffers alternate between blocks,
// so that one barrier per block is enough: a thread starts to pack block
// p+1 only after all have finished packing block p, hence computing with
// block p-1. Where the row kernels read A, a team is formed only to steal,
// and (with ready set) each member publishes its packed B by raising its
// ready flag instead of at the barrier; a stealing team that packs A
// publishes B at the barrier too.
type gemmTeam struct {
	size int
	bufA [2][]float32 // 64-byte aligned views of rawA
	rawA [2][]float32
	sync spinBarrier
	// steal: the product has one block of k and each member at most one
	// block of columns, so the members share their row panels (see
	// workspace.steal).
	steal bool
	// ready: the members publish their packed B through teamPart.ready
	// alone, and skip the barrier (see gemmReadyFlags). Set once per call,
	// so that all members agree on whether to wait at the barrier.
	ready bool
	parts []teamPart // one per worker of the pool, made with it
}

// teamPart is one member's columns in a stealing team.
type teamPart struct {
	n0, n1 int
	b      []float32    // the member's packed block of B, kc×(n1-n0)
	next   atomic.Int64 // the member's next row panel to compute
	ready  atomic.Bool  // n0, n1 and b are set, and b is packed
	_      [64]byte     // keeps two members' counters off one cache line
}

// run computes the tiles of C in rows [m0, m1) and columns [n0, n1), as
// member number member of team (team is nil for a thread on its own). A
// member of a stealing team may also compute tiles of the others' columns,
// and leave some of its own to them (see steal).
//
// With claim set, the threads that share it compute the tiles of that
// range between them: each claims its next row panel of MR×nc from the
// counter, so that a thread slowed down (by the other tenants of the
// machine, or by its packing) takes fewer panels instead of making the
// others wait at the end. Each thread packs every block of B whose panels
// it claims. The panels of one tile must not be claimed by two threads in
// two blocks of k, so claim requires k ≤ kc (one block of k).
func (ws *workspace) run(j *gemmJob, m0, m1, n0, n1 int, team *gemmTeam, member int, claim *atomic.Int64) {
	ks := j.ks
	MR, NR := ks.mr, ks.nr
	NC := j.ncBlock()
	p := &ws.args
	*p = kernelArgs{alpha: j.alpha}
	p.ldc = j.c.Stride * 4
	baseFlags := uint64(0)
	if j.alpha != 1 {
		baseFlags |= flagScale
	}
	tiles := j.tiles()
	kcEven := j.kcBlock()
	panelsM := (m1 - m0 + MR - 1) / MR
	for pc, block := 0, 0; pc < j.k; pc, block = pc+kcEven, block+1 {
		kc := min(kcEven, j.k-pc)
		first, last := pc == 0, pc+kc == j.k

		// A team packs the whole block of A once, together, unless the
		// row kernels read it in place.
		var teamA []float32
		if team != nil && j.packed {
			if !j.rowsA {
				teamA = team.bufA[block%2][:panelsM*MR*kc]
				for pi := member; pi < panelsM; pi += team.size {
					ir := m0 + pi*MR
					ks.packA(teamA[pi*MR*kc:(pi+1)*MR*kc], j.a, j.transA, ir, min(MR, m1-ir), pc, kc, MR)
				}
			}
			if team.steal {
				// B before ready (and the barrier): after it the others
				// may read it.
				if testHookReady != nil {
					testHookReady(member)
				}
				tp := &team.parts[member]
				tp.n0, tp.n1, tp.b = n0, n1, nil
				if n0 < n1 {
					var edge []float32
					ws.prepareB(j, pc, kc, n0, n1-n0, (n1-n0+NR-1)/NR, true, &tp.b, &edge)
				}
				tp.ready.Store(true)
			}
			// The barrier publishes the packed A, and B where the team
			// does not use the ready flags alone.
			if !team.ready {
				team.sync.wait()
			}
		}

		flags := baseFlags
		beta := float32(1)
		if first {
			beta = j.beta
		}
		if beta != 0 {
			flags |= flagLoadC
		}
		if last && j.act == ReLU {
			flags |= flagReLU
		}
		if last && j.gate != nil {
			flags |= flagGate
		}
		p.k, p.beta = kc, beta

		if team != nil && team.steal {
			ws.steal(j, team, member, teamA, pc, kc, panelsM, flags, last)
			continue
		}

		// The work items are the row panels of each block of columns, in
		// order: claimed from the shared counter, or taken one after the
		// other.
		blocksN := (n1 - n0 + NC - 1) / NC
		items := blocksN * panelsM
		cur := -1 // the block of columns whose B is ready
		var (
			jc, nc, panels int
			bufB, edgeB    []float32
		)
		packB := j.transB || j.packed
		for next := 0; ; next++ {
			item := next
			if claim != nil {
				item = int(claim.Add(1) - 1)
			}
			if item >= items {
				break
			}
			if jb := item / panelsM; jb != cur {
				cur = jb
				jc = n0 + jb*NC
				nc = min(NC, n1-jc)
				panels = (nc + NR - 1) / NR
				bufB, edgeB = nil, nil
				ws.prepareB(j, pc, kc, jc, nc, panels, packB, &bufB, &edgeB)
			}
			pi := item % panelsM
			ir := m0 + pi*MR
			ws.panelA(j, teamA, pi, ir, min(MR, m1-ir), pc, kc)
			ws.rowPanel(j, tiles[p.mr], pc, kc, ir, jc, nc, bufB, edgeB, packB, flags, last)
		}
	}
	// Drop the references to the caller's matrices.
	*p = kernelArgs{}
}

// steal computes the row panels of a team whose members each have one
// block of columns, packed before they raise their ready flag (and before
// the barrier, where there is one), and one block of k: the
// member's own first, claimed one at a time, then whatever the others
// have not yet claimed of theirs, read from their packed B. A member slowed
// down by the other tenants of the machine thus leaves its last panels to
// the others instead of making them wait at the end.
func (ws *workspace) steal(j *gemmJob, team *gemmTeam, member int, teamA []float32, pc, kc, panelsM int, flags uint64, last bool) {
	MR := j.ks.mr
	p := &ws.args
	for o := range team.size {
		owner := (member + o) % team.size
		tp := &team.parts[owner]
		for spins := 0; !tp.ready.Load(); spins++ {
			// Its B is not packed yet (only where no barrier waits for
			// it, see run).
			if spins%64 == 63 {
				runtime.Gosched()
			}
		}
		if tp.n0 >= tp.n1 {
			continue
		}
		for {
			if testHookSteal != nil {
				testHookSteal(member, owner, false)
			}
			pi := int(tp.next.Add(1) - 1)
			if pi >= panelsM {
				break
			}
			if testHookSteal != nil {
				testHookSteal(member, owner, true)
			}
			ir := pi * MR // a team splits over N alone: its rows start at 0
			ws.panelA(j, teamA, pi, ir, min(MR, j.m-ir), pc, kc)
			ws.rowPanel(j, j.tiles()[p.mr], pc, kc, ir, tp.n0, tp.n1-tp.n0, tp.b, nil, true, flags, last)
		}
	}
}

// testHookSteal, when set, runs before a stealing team's member tries to
// claim a row panel of owner's columns (claimed false: tests slow a member
// down there) and again once it has claimed one (claimed true).
var testHookSteal func(member, owner int, claimed bool)

// testHookReady, when set, runs before a stealing team's member packs its B
// and raises its ready flag (tests slow a member down there).
var testHookReady func(member int)

// tiles returns the kernels that read j's operands the way feed chose.
func (j *gemmJob) tiles() *[maxMR + 1]func(*kernelArgs) {
	switch {
	case j.rowsA:
		return &j.ks.rows
	case j.packed:
		return &j.ks.packed
	}
	return &j.ks.direct
}

// panelA points ws.args at the panel of A of mr rows from row ir, number pi
// of the thread's (or team's) rows, and the block of k at pc, kc long: in
// the team's packed block teamA when it is set, else packed here, just
// before use while it is in L1, or read in place (the row and direct
// kernels).
func (ws *workspace) panelA(j *gemmJob, teamA []float32, pi, ir, mr, pc, kc int) {
	MR, lda := j.ks.mr, j.a.Stride
	p := &ws.args
	switch {
	case teamA != nil:
		p.a, p.rsa, p.csa = &teamA[pi*MR*kc], 4, MR*4
	case j.packed && !j.rowsA:
		bufA := aligned(&ws.bufA, kc*MR)
		j.ks.packA(bufA, j.a, j.transA, ir, mr, pc, kc, MR)
		p.a, p.rsa, p.csa = &bufA[0], 4, MR*4
	case j.transA:
		p.a, p.rsa, p.csa = &j.a.Data[pc*lda+ir], 4, lda*4
	default:
		p.a, p.rsa, p.csa = &j.a.Data[ir*lda+pc], lda*4, 4
	}
	p.mr = mr
}

// rowPanel runs kern over the tiles of one row panel, at row ir, and the
// block of B at (pc, jc), kc×nc: packed in bufB, or read in place (the last
// panel from edgeB when it is set). ws.args already points to the panel of
// A, with mr set.
func (ws *workspace) rowPanel(j *gemmJob, kern func(*kernelArgs), pc, kc, ir, jc, nc int, bufB, edgeB []float32, packB bool, flags uint64, last bool) {
	NR := j.ks.nr
	ldb := j.b.Stride
	p := &ws.args
	panels := (nc + NR - 1) / NR
	for q := range panels {
		jr := jc + q*NR
		nr := min(NR, nc-q*NR)
		switch {
		case packB:
			p.b, p.ldb = &bufB[q*kc*NR], NR*4
		case edgeB != nil && q == panels-1:
			p.b, p.ldb = &edgeB[0], NR*4
		default:
			p.b, p.ldb = &j.b.Data[pc*ldb+jr], ldb*4
		}
		p.c = &j.c.Data[ir*j.c.Stride+jr]
		if flags&flagGate != 0 {
			p.gate, p.ldg = &j.gate.Data[ir*j.gate.Stride+jr], j.gate.Stride*4
		}
		p.nr = nr
		p.mask = 1<<nr - 1
		p.cmask = &laneMasks[16-min(nr, 16)]
		p.flags = flags
		if nr < NR {
			p.flags |= flagPartial
		}
		p.bias = nil
		if last && j.bias != nil {
			p.bias = &j.bias[jr]
		}
		kern(p)
	}
}

// prepareB readies the block of B at (pc, jc), kc×nc in panels of NR:
// packed into *bufB when packB, else read in place, with the last panel
// packed into *edgeB when the kernels cannot mask it.
func (ws *workspace) prepareB(j *gemmJob, pc, kc, jc, nc, panels int, packB bool, bufB, edgeB *[]float32) {
	ks := j.ks
	NR := ks.nr
	if packB {
		*bufB = aligned(&ws.bufB, panels*kc*NR)
		for q := range panels {
			ks.packB((*bufB)[q*kc*NR:(q+1)*kc*NR], j.b, j.transB, pc, kc, jc+q*NR, min(NR, nc-q*NR), NR)
		}
	}
	if edge := nc - (panels-1)*NR; !packB && edge < NR && !ks.maskB {
		*edgeB = aligned(&ws.edgeB, kc*NR)
		ks.packB(*edgeB, j.b, false, pc, kc, jc+(panels-1)*NR, edge, NR)
	}
}

// kcBlock returns the length of the blocks of k: k split into equal blocks
// of at most the kernel set's kc.
func (j *gemmJob) kcBlock() int {
	blocks := (j.k + j.ks.kc - 1) / j.ks.kc
	return (j.k + blocks - 1) / blocks
}

// ncBlock returns the width of the blocks of columns: the kernel set's nc,
// widened in proportion when the blocks of k are shorter than kc, so that
// the packed block of B keeps its size in L2 and A, packed or read again
// for each block of columns, fewer times. Against nc alone, taking turns
// call by call (GEMM_TUNE=1 go test -run TestTunePaired/wide-nc -v
// ./tensor): with A packed, 4096×512×64 ×1.095, 1024×512×64 ×1.05
// (forward) and ×1.08 (input gradient), the batch-256 products with k = 64
// within 1.5%; with the row kernels, 4096×512×64 ×1.05, 1024×512×64 ×1.04
// both ways, the batch-256 products with k = 64 ×1.00–1.06.
func (j *gemmJob) ncBlock() int {
	nc := j.ks.nc
	if wide := j.ks.kc * j.ks.nc / j.kcBlock() / j.ks.nr * j.ks.nr; gemmWideNC && wide > nc {
		nc = wide
	}
	return nc
}

// spinBarrier holds the threads of a team until all have arrived. They
// run on their own cores for the length of one product, so spinning (with
// a yield now and then) is cheaper than sleeping.
type spinBarrier struct {
	n     int64
	count atomic.Int64
	gen   atomic.Int64
}

func (b *spinBarrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for spins := 0; b.gen.Load() == g; spins++ {
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
}

// packBGo copies the kc×nr block of op(B) at (pc, j0) into dst as kc rows
// of NR floats, zero beyond nr.
func packBGo(dst []float32, b *Mat, trans bool, pc, kc, j0, nr, NR int) {
	dst = dst[:kc*NR]
	if !trans {
		for p := range kc {
			row := b.Data[(pc+p)*b.Stride+j0:]
			d := dst[p*NR : p*NR+NR]
			copy(d, row[:nr])
			clear(d[nr:])
		}
		return
	}
	// op(B)(p, j) = B(j, p): column jj of the panel is row j0+jj of B.
	for jj := range nr {
		row := b.Data[(j0+jj)*b.Stride+pc:]
		row = row[:kc]
		for p, v := range row {
			dst[p*NR+jj] = v
		}
	}
	if nr < NR {
		for p := range kc {
			clear(dst[p*NR+nr : p*NR+NR])
		}
	}
}

// packAGo copies the mr×kc block of op(A) at (i0, pc) into dst as kc
// groups of MR floats (only the first mr of each group are written).
func packAGo(dst []float32, a *Mat, trans bool, i0, mr, pc, kc, MR int) {
	dst = dst[:kc*MR]
	if trans {
		for p := range kc {
			row := a.Data[(pc+p)*a.Stride+i0:]
			copy(dst[p*MR:p*MR+mr], row[:mr])
		}
		return
	}
	for r := range mr {
		row := a.Data[(i0+r)*a.Stride+pc:]
		row = row[:kc]
		for p, v := range row {
			dst[p*MR+r] = v
		}
	}
}
