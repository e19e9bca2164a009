package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A Task is work over an index range that [Parallel] splits between the
// worker pool's goroutines. Run is called concurrently with disjoint ranges.
//
// Keep a Task in a long-lived value (a field of the layer that uses it) and
// pass a pointer: converting a pointer to an interface does not allocate,
// whereas a closure handed to another goroutine would, on every call.
type Task interface {
	Run(lo, hi int)
}

// Parallel runs t.Run over [0, n) split into contiguous ranges of at least
// grain indices (grain < 1 means 1), shared between the workers of a fixed
// pool of min(GOMAXPROCS, NumCPU) goroutines (counted at first use, the
// caller included), and returns when all ranges are done. The workers
// claim the ranges a few at a time as they go, as [GemmStridedBatched]
// shares its products: on a machine shared with other jobs, a worker that
// is descheduled leaves its share to the others instead of making them
// wait for it at the end of the region. The pool is started
// once, lazily; Parallel itself allocates nothing.
//
// Only one parallel region runs at a time: a Parallel or [Gemm] call made
// while the pool is busy (from inside a Task, or from another goroutine)
// runs on the calling goroutine alone, so nesting cannot deadlock.
//
// A region costs about a microsecond when the workers are awake: after a
// region they spin briefly, yielding, before they sleep, so that the
// back-to-back calls of a training step do not pay for waking them.
func Parallel(n, grain int, t Task) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	parts := min(n/grain, workers())
	if parts <= 1 {
		t.Run(0, n)
		return
	}
	p := thePool()
	if !p.mu.TryLock() {
		t.Run(0, n)
		return
	}
	r := &p.rt
	r.n, r.t = n, t
	r.chunk = max(grain, (n+parts*rangeClaims-1)/(parts*rangeClaims))
	r.next.Store(0)
	p.run(parts, r)
	r.t = nil
	p.mu.Unlock()
}

// Workers returns the number of goroutines that [Parallel] and [Gemm]
// share work between.
func Workers() int { return workers() }

// partTask is the pool's internal unit of work: part i of parts, run by
// worker i with that worker's workspace.
type partTask interface {
	runPart(part, parts int, ws *workspace)
}

// rangeClaims is about how many ranges each worker of a Parallel region
// claims: enough for one slowed down by another tenant of the machine to
// leave work to the others, few enough that each range stays long.
const rangeClaims = 4

// rangeTask adapts a Task to partTask: the workers claim ranges of chunk
// indices from a shared counter.
type rangeTask struct {
	n, chunk int
	t        Task
	next     atomic.Int64 // the start of the next range to claim
}

func (r *rangeTask) runPart(_, _ int, _ *workspace) {
	for {
		lo := int(r.next.Add(int64(r.chunk))) - r.chunk
		if lo >= r.n {
			return
		}
		r.t.Run(lo, min(lo+r.chunk, r.n))
	}
}

// spinTime is how long an idle worker keeps polling for the next region
// before it sleeps. Waking a sleeping goroutine takes the scheduler tens of
// microseconds, as long as a whole small product.
const spinTime = 100 * time.Microsecond

// pool is a fixed set of worker goroutines. Worker 0 is whichever goroutine
// holds mu; workers 1..n-1 are started once. A region is published by
// storing the task and bumping gen; a worker that went to sleep (asleep[i]
// set) is woken through its channel by whoever clears the flag.
type pool struct {
	mu      sync.Mutex // held for the whole of one parallel region
	n       int
	task    partTask
	parts   int
	gen     atomic.Uint64 // bumped once per region
	pending atomic.Int64  // workers not yet done with the current region
	asleep  []atomic.Bool
	wake    []chan struct{}
	ws      []*workspace
	rt      rangeTask   // Parallel's adapter, kept here so that it does not allocate
	gj      gemmTask    // Gemm's parallel region
	team    gemmTeam    // the shared packing buffers of gj
	bt      batchedTask // GemmStridedBatched's parallel region
}

var (
	poolOnce sync.Once
	thePoolV *pool
	nWorkers int
)

func workers() int {
	thePool()
	return nWorkers
}

func thePool() *pool {
	poolOnce.Do(func() {
		// More workers than cores would only take turns spinning.
		n := max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
		p := &pool{n: n, asleep: make([]atomic.Bool, n), wake: make([]chan struct{}, n), ws: make([]*workspace, n)}
		for i := range n {
			p.ws[i] = new(workspace)
		}
		p.team.parts = make([]teamPart, n)
		for i := 1; i < n; i++ {
			p.wake[i] = make(chan struct{}, 1)
			go p.worker(i)
		}
		thePoolV, nWorkers = p, n
	})
	return thePoolV
}

func (p *pool) worker(i int) {
	ws := p.ws[i]
	// Regions are numbered from 1: gen is 0 when the pool starts, and the
	// first region may be published before this goroutine first runs.
	seen := uint64(0)
	for {
		seen = p.await(i, seen)
		// Every worker reports, with a part or without one, so that a
		// region cannot end (and the next one overwrite task and parts)
		// before each worker has read them.
		if i < p.parts {
			p.task.runPart(i, p.parts, ws)
		}
		p.pending.Add(-1)
	}
}

// await returns once gen has moved past seen: spinning first, then asleep.
//
// A wake-up does not prove that a region was published for this worker: a
// publisher may stall between bumping gen and clearing asleep, for longer
// than this worker takes to finish that region, spin and fall asleep again.
// Its token then wakes the next sleep, with no new region. So a woken
// worker looks at gen again, as a spinning one does, rather than run the
// region it has already run (a second time, or after its task was cleared).
func (p *pool) await(i int, seen uint64) uint64 {
	for {
		start := time.Now()
		for spins := 0; ; spins++ {
			if g := p.gen.Load(); g != seen {
				return g
			}
			if spins%64 != 63 {
				continue
			}
			runtime.Gosched()
			if time.Since(start) >= spinTime {
				break
			}
		}
		// Sleep, unless a region was published meanwhile.
		p.asleep[i].Store(true)
		if g := p.gen.Load(); g != seen && p.asleep[i].CompareAndSwap(true, false) {
			return g
		}
		// A publisher cleared the flag first and sends, or will.
		<-p.wake[i]
	}
}

// testHookPublished, when set, runs between publishing a region and waking
// the sleeping workers (tests stall the publisher there).
var testHookPublished func()

// run executes parts ≤ p.n parts of t, part 0 on the calling goroutine.
// The caller must hold p.mu.
func (p *pool) run(parts int, t partTask) {
	p.task, p.parts = t, parts
	p.pending.Store(int64(p.n - 1))
	p.gen.Add(1)
	if testHookPublished != nil {
		testHookPublished()
	}
	for i := 1; i < p.n; i++ {
		if p.asleep[i].CompareAndSwap(true, false) {
			p.wake[i] <- struct{}{}
		}
	}
	t.runPart(0, parts, p.ws[0])
	for spins := 0; p.pending.Load() != 0; spins++ {
		if spins%64 == 63 {
			runtime.Gosched()
		}
	}
	p.task = nil
}

// spareWorkspaces serves calls that run outside the pool (the pool was
// busy): each needs packing buffers of its own.
var spareWorkspaces = sync.Pool{New: func() any { return new(workspace) }}
