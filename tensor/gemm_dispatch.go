package tensor

import "sync/atomic"

// gemmMode overrides the choice between packed and in-place operands
// (tests run every product every way).
var gemmMode = modeAuto

const (
	modeAuto   = iota
	modePacked // both operands packed
	modeDirect // both read in place (a transposed B is packed still)
	modeRows   // B packed, an untransposed A read in place by the row kernels
)

// activeKernels is the kernel family Gemm uses: the best one the CPU runs,
// chosen at init (gemm_amd64.go), or the portable Go kernels.
var activeKernels = &goKernels

// Kernel names the GEMM micro-kernel family in use: "avx512", "avx2" or
// "go" (the portable one, on other CPUs and with the purego build tag).
// Speed depends on it far more than on anything else, so it belongs in a
// bug report or a benchmark's output.
func Kernel() string { return activeKernels.name }

// Thresholds, tuned on a 2-core AVX-512 machine.
const (
	// Below parallelMinWork multiply-adds (m·n·k, about 2 µs of one core) a
	// product runs on the calling goroutine: handing work to another core
	// costs a microsecond or so even when it is awake.
	parallelMinWork = 128 << 10
	// With fewer rows than parallelMinRows (a prediction of a row or a
	// few) the product is a matrix-vector one, bound by reading B; a split
	// gains little there, and a server answering many such requests at once
	// keeps every core busy with requests of its own.
	parallelMinRows = 4
	// With fewer rows or steps of k than these, the operands are read in
	// place rather than packed: the packed panels of B would be used too
	// few times to repay the copy.
	packMinRows = 48
	packMinK    = 64
)

// packMinCols: where A is copied (see readsRows), a packed micro-panel of
// A serves a tile of C per NR columns, and from three tiles on (AVX-512)
// the copy pays; with fewer columns both operands are read in place.
// Against 129, taking turns call by call (at db45f72, before the row
// kernels: GEMM_TUNE=1 go test -run TestTunePaired/pack-cols -v ./tensor),
// in two sessions: 4096×128×512 1.30–1.40 times faster packed than read in
// place, 1024×128×512 1.09–1.23, 256×128×512 1.04–1.12; with 64 columns,
// packing was 7–15% slower (measured with 33).
const packMinCols = 65

// usePacking reports whether a thread's share of rows×cols of C is
// computed from packed panels: B packed, and A too unless the row kernels
// read it in place (readsRows). Then only B is copied, and the number of
// columns does not matter: with 64 columns, against reading both in place,
// taking turns call by call (TestTunePaired/rows, see readsRows):
// 256×64×512 ×1.05–1.15 forward and ×1.08–1.16 input gradient,
// 1024×64×512 ×1.04–1.15 and ×1.10.
func (j *gemmJob) usePacking(rows, cols int) bool {
	switch gemmMode {
	case modePacked, modeRows:
		return true
	case modeDirect:
		return false
	}
	return rows >= packMinRows && j.k >= packMinK && (j.transA || cols >= packMinCols || j.readsRows())
}

// gemmRowsA enables the row kernels, and gemmRowsAnyStride lets them read
// an A whose stride is a multiple of 4 KB (measurements switch them).
var gemmRowsA, gemmRowsAnyStride = true, false

// readsRows reports whether a packed product reads A in place with the row
// kernels rather than packing it. A must be untransposed, so that each row
// of a tile is read along k with unit stride. Against packing, taking turns
// call by call (GEMM_TUNE=1 go test -run TestTunePaired/rows -v ./tensor):
// 256×512×512 ×1.03–1.075 forward and ×1.04–1.07 input gradient,
// 256×128×512 ×1.09–1.11, 1024×512×512 ×1.08, the inference products at
// batch 4096 ×1.03–1.04 (k = 64), ×1.08 (4096×512×512) and ×1.12–1.16
// (4096×128×512), 1024×512×768 ×1.075 and 1024×512×1536 ×1.11 (strides of
// 3 and 6 KB); the products with a transposed A, which do not change,
// within 2%.
//
// The stride of A must not be a multiple of 4 KB: the MR rows would then
// fall in one set of the 8-way L1 cache and evict each other. Packing A
// instead made 1024×512×1024 ×1.14 and 1024×1024×1024 ×1.17 faster
// (TestTunePaired/rows-stride).
func (j *gemmJob) readsRows() bool {
	switch gemmMode {
	case modeRows:
		return !j.transA
	case modeAuto:
		return !j.transA && gemmRowsA && (gemmRowsAnyStride || j.a.Stride%1024 != 0)
	}
	return false
}

// feed decides how the kernels read j's operands, for a thread's share of
// rows×cols of C.
func (j *gemmJob) feed(rows, cols int) {
	j.packed = j.usePacking(rows, cols)
	j.rowsA = j.packed && j.readsRows()
}

// shareCost estimates the time of one thread's share of rows×cols of C, in
// multiply-adds (the constants are measured on a 2-core AVX-512 machine).
// Packing an element costs about as much as 20 of them when it transposes
// (the source comes from L3, a row per cache line) and 12 when it copies.
// Read in place by the direct kernels, A slows the kernel by an eighth and
// comes from L3 to every thread that needs it; B costs as much as a copy
// for each row panel of A that streams it, unless the thread's columns of
// B stay in L2 after the first. Packed, A is shared by packersA threads (a
// team, see gemm) and packed again for each block of columns; read by the
// row kernels, it costs each thread rowsCostA per element and block of
// columns instead.
func (j *gemmJob) shareCost(rows, cols, packersA int) int {
	k, mr := j.k, j.ks.mr
	macs := rows * cols * k
	if !j.usePacking(rows, cols) {
		cost := macs + macs/8 + 8*rows*k
		if j.transB {
			return cost + 20*cols*k
		}
		passes := 1
		if cols*k > 128<<10 {
			passes = (rows + mr - 1) / mr
		}
		return cost + 12*cols*k*passes
	}
	costA, costB := 20, 12
	if j.transA {
		costA = 12
	}
	if j.transB {
		costB = 20
	}
	if j.readsRows() {
		costA, packersA = rowsCostA, 1
	}
	nc := j.ncBlock()
	blocks := (cols + nc - 1) / nc
	return macs + k*(costA*rows*blocks/packersA+costB*cols)
}

// rowsCostA is what reading an element of A costs the row kernels, in
// multiply-adds: a guess, as it comes from L3 ahead of the prefetchers
// (the splits it leads to, see TestTuneSplits, were the fastest or within
// a few percent of them).
const rowsCostA = 2

// gemm runs a checked product: on the calling goroutine when it is small or
// the pool is busy, else split between the pool's workers.
func gemm(j gemmJob) {
	if j.m == 0 || j.n == 0 {
		return
	}
	if j.alpha == 0 || j.k == 0 {
		applyEpilogue(j.beta, j.bias, j.act, j.gate, j.c)
		return
	}
	j.ks = activeKernels

	p := thePool()
	if !p.mu.TryLock() {
		// The pool is busy (a nested or concurrent call): run alone.
		j.feed(j.m, j.n)
		ws := spareWorkspaces.Get().(*workspace)
		ws.run(&j, 0, j.m, 0, j.n, nil, 0, nil)
		spareWorkspaces.Put(ws)
		return
	}
	if j.m*j.n*j.k < parallelMinWork || j.m < parallelMinRows || p.n == 1 {
		j.feed(j.m, j.n)
		p.ws[0].run(&j, 0, j.m, 0, j.n, nil, 0, nil)
		p.mu.Unlock()
		return
	}
	t := &p.gj
	t.job = j
	t.split(p.n)
	t.team = nil
	overN := t.pm == 1 && t.pn > 1
	if steal := overN && steals(&t.job, t.pn); overN && t.job.packed && (steal || !t.job.rowsA) {
		// Split over N: the threads pack A together (unless the row
		// kernels read it in place) and, where steals allows, take each
		// other's row panels.
		tm := &p.team
		tm.size = t.pn
		tm.sync.n = int64(t.pn)
		MR := j.ks.mr
		need := 0
		if !t.job.rowsA {
			need = (j.m + MR - 1) / MR * MR * t.job.kcBlock()
		}
		for i := range tm.bufA {
			tm.bufA[i] = aligned(&tm.rawA[i], need)
		}
		tm.steal = steal
		tm.ready = steal && t.job.rowsA && gemmReadyFlags
		for i := range tm.parts {
			tp := &tm.parts[i]
			tp.n0, tp.n1, tp.b = 0, 0, nil // nothing to take until ready
			tp.next.Store(0)
			tp.ready.Store(false)
		}
		t.team = tm
	}
	// Split over M alone with one block of k: the threads claim the row
	// panels as they go rather than taking fixed halves.
	t.dynamic = claimsRows(&t.job, t.pm, t.pn)
	t.next.Store(0)
	p.run(t.parts, t)
	t.job = gemmJob{}
	p.mu.Unlock()
}

// gemmDynamic enables the dynamic sharing of row panels in the split over
// M, and gemmSteal in the split over N (tests and measurements turn them
// off).
var gemmDynamic, gemmSteal = true, true

// gemmReadyFlags lets the members of a stealing team whose A is read in
// place start on their own row panels as soon as their B is packed, each
// raising its teamPart.ready flag for the others, rather than waiting at a
// barrier for all to have packed theirs. Taking turns with the barrier,
// call by call, in a quiet hour (GEMM_TUNE=1 go test -run
// TestTunePaired/ready -v ./tensor): ×1.00–1.02; it matters when a core is
// slowed down by the other tenants of the machine. A switch for that
// comparison.
var gemmReadyFlags = true

// gemmWideNC enables the widening of blocks of columns for short blocks of
// k (see gemmJob.ncBlock; measurements turn it off).
var gemmWideNC = true

// claimsRows reports whether the threads of a pm×pn split of j claim row
// panels as they go: split over M alone, with one block of k (see
// workspace.run).
func claimsRows(j *gemmJob, pm, pn int) bool {
	return gemmDynamic && pn == 1 && pm > 1 && j.k <= j.ks.kc
}

// steals reports whether a team of pn threads splitting j over N takes each
// other's row panels: with one block of k, and each member's columns in one
// block (split shares the tiles evenly; see workspace.steal).
func steals(j *gemmJob, pn int) bool {
	tiles := (j.n + j.ks.nr - 1) / j.ks.nr
	each := (tiles + pn - 1) / pn
	return gemmSteal && j.k <= j.ks.kc && each*j.ks.nr <= j.ncBlock() && each >= stealMinTiles
}

// stealMinTiles is the fewest tiles of columns each member of a stealing
// team must have. With fewer, split chose teams that were slower than the
// split over M: 512×128×256 and 512×64×256 (dW, A transposed) by 8%.
const stealMinTiles = 4

// splitOverride, when its product is the number of workers, replaces the
// grid that split chooses (for measurements).
var splitOverride [2]int

// gemmTask splits one product's tiles of C into a pm×pn grid of parts.
type gemmTask struct {
	job    gemmJob
	pm, pn int
	parts  int
	team   *gemmTeam // the parts, when they share the packing of A or steal
	// dynamic: the parts claim row panels from next instead of taking
	// rows of their own (see workspace.run).
	dynamic bool
	next    atomic.Int64
}

// split chooses the grid for n workers whose largest share costs least
// (see shareCost): over N each part packs only its own panels of B, over M
// all of B and, if A is copied, its own rows of A. Over N the parts also
// share the copying of A, but the cost counts that only for a stealing
// team: counted for the teams that wait at a barrier per block of k too, it
// chose them for products they ran up to 10% slower (dW 512×64×1024,
// paired call by call).
func (t *gemmTask) split(n int) {
	j := &t.job
	MR, NR := j.ks.mr, j.ks.nr
	tilesM := (j.m + MR - 1) / MR
	tilesN := (j.n + NR - 1) / NR
	best := -1
	for pn := n; pn >= 1; pn-- {
		pm := n / pn
		if pm*pn != n || pn > tilesN || pm > tilesM {
			continue
		}
		rows := min(j.m, (tilesM+pm-1)/pm*MR)
		cols := min(j.n, (tilesN+pn-1)/pn*NR)
		packed := j.usePacking(rows, cols)
		// A stealing team (see gemm) shares the packing of A, once per
		// block of k: each member has one block of columns (shareCost
		// ignores packersA when the row kernels read A in place).
		steal := pm == 1 && pn > 1 && packed && steals(j, pn)
		packersA := 1
		if steal {
			packersA = pn
		}
		cost := j.shareCost(rows, cols, packersA)
		if pn > 1 && j.k <= 64 {
			// Measured: with a short k, where writing C weighs most, whole
			// rows of C per thread beat half rows by about a tenth.
			cost += cost / 10
		}
		if claimsRows(j, pm, pn) || steal {
			// The threads share the row panels as they go: a thread
			// slowed down by the other tenants of the machine takes
			// fewer instead of being waited for. Measured on a shared
			// 2-core machine, medians of interleaved runs: counting this
			// as an eighth of the cost made training steps 4–9% faster
			// and inference 5% (over M, against the static splits). For
			// the stealing teams it made the products with 512 columns
			// and one block of k 2–6% faster than the split over M
			// (GEMM_TUNE=1 go test -run TestTunePaired/steal -v ./tensor).
			cost -= cost / 8
		}
		if best < 0 || cost < best {
			best, t.pm, t.pn = cost, pm, pn
			j.feed(rows, cols)
		}
	}
	if best < 0 {
		t.pm, t.pn = 1, 1
		j.feed(j.m, j.n)
	}
	if splitOverride[0]*splitOverride[1] == n {
		t.pm, t.pn = splitOverride[0], splitOverride[1]
		j.feed(min(j.m, (tilesM+t.pm-1)/t.pm*MR), min(j.n, (tilesN+t.pn-1)/t.pn*NR))
	}
	t.parts = t.pm * t.pn
}

func (t *gemmTask) runPart(part, parts int, ws *workspace) {
	j := &t.job
	MR, NR := j.ks.mr, j.ks.nr
	tilesM := (j.m + MR - 1) / MR
	tilesN := (j.n + NR - 1) / NR
	im, in := part/t.pn, part%t.pn
	m0 := min(j.m, im*tilesM/t.pm*MR)
	m1 := min(j.m, (im+1)*tilesM/t.pm*MR)
	n0 := min(j.n, in*tilesN/t.pn*NR)
	n1 := min(j.n, (in+1)*tilesN/t.pn*NR)
	switch {
	case t.team != nil:
		// Every member must reach the barriers, with columns or without,
		// and raise its ready flag when it steals.
		ws.run(j, m0, m1, n0, n1, t.team, part, nil)
	case t.dynamic:
		ws.run(j, 0, j.m, n0, n1, nil, 0, &t.next)
	case m0 < m1 && n0 < n1:
		ws.run(j, m0, m1, n0, n1, nil, 0, nil)
	}
}
