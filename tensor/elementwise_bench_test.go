package tensor

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"
)

// The element-wise benchmarks run every kernel family this CPU has ("go"
// is the pure-Go loop) on the pool ("pool") and on one goroutine
// ("single"), at the sizes of the reference workload: its MLP
// 64→512→512→128→512→64 has 460,480 parameters, 262,144 of them in the
// 512×512 layer; batch 256 (or 1024) through 512 units. GB/s counts the
// bytes each call reads and writes once.
//
//	go test -run '^$' -bench 'AdamUpdate|ReLU|AddColumnSums|Axpy|Scale' ./tensor

// benchElem runs f as the sub-benchmarks family/pool and family/single.
func benchElem(b *testing.B, bytes int, f func()) {
	for _, name := range elemKernelNames() {
		for _, single := range []bool{false, true} {
			sub := name + "/pool"
			if single {
				sub = name + "/single"
			}
			b.Run(sub, func(b *testing.B) {
				restore, _ := useElemKernels(name)
				defer restore()
				if single {
					p := thePool()
					p.mu.Lock() // a busy pool makes the kernels run on the caller alone
					defer p.mu.Unlock()
				}
				f()
				b.SetBytes(int64(bytes))
				for b.Loop() {
					f()
				}
			})
		}
	}
}

func BenchmarkAdamUpdate(b *testing.B) {
	for _, n := range []int{262144, 460480} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			s, _ := adamInputs(rng, n)
			s[1][50], s[1][77] = 0.5, 0.5 // no NaN
			p := adamCases()[2].p         // AdamW
			// Reads w, g, m, v; writes w, m, v.
			benchElem(b, 28*n, func() { AdamUpdate(s[0], s[1], s[2], s[3], p) })
		})
	}
}

func BenchmarkReLUBackward(b *testing.B) {
	for _, r := range []int{256, 1024} {
		b.Run(fmt.Sprintf("%dx512", r), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			dy, y, dx := randMat(rng, r, 512, 0), randMat(rng, r, 512, 0), New(r, 512)
			benchElem(b, 12*r*512, func() { ReLUBackward(dy, y, dx) })
		})
	}
}

func BenchmarkReLUForward(b *testing.B) {
	for _, r := range []int{256, 1024} {
		b.Run(fmt.Sprintf("%dx512", r), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			x, y := randMat(rng, r, 512, 0), New(r, 512)
			benchElem(b, 8*r*512, func() { ReLUForward(x, y) })
		})
	}
}

func BenchmarkAddColumnSums(b *testing.B) {
	for _, c := range []int{512, 128, 64} {
		b.Run(fmt.Sprintf("256x%d", c), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			m, dst := randMat(rng, 256, c, 0), make([]float32, c)
			benchElem(b, 4*256*c, func() { AddColumnSums(dst, m) })
		})
	}
}

func BenchmarkAxpy(b *testing.B) {
	const n = 262144
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randMat(rng, 1, n, 0).Data, randMat(rng, 1, n, 0).Data
	benchElem(b, 12*n, func() { Axpy(1e-3, x, y) })
}

func BenchmarkScale(b *testing.B) {
	const n = 262144
	rng := rand.New(rand.NewPCG(1, 1))
	x := randMat(rng, 1, n, 0).Data
	a := float32(1)
	benchElem(b, 8*n, func() { a = -a; Scale(a, x) })
}

// TestTuneElementwise measures each element-wise operation at a range of
// sizes on one goroutine and split over the pool, for choosing the grains
// (the size from which the split pays is twice the grain); ELEM_KERNELS=avx2
// (or go) measures that family instead of the best:
//
//	GEMM_TUNE=1 go test -run TestTuneElementwise -v ./tensor
func TestTuneElementwise(t *testing.T) {
	skipUnlessTuning(t)
	if name := os.Getenv("ELEM_KERNELS"); name != "" {
		restore, ok := useElemKernels(name)
		if !ok {
			t.Skipf("no %s kernels here", name)
		}
		defer restore()
	}
	rng := rand.New(rand.NewPCG(1, 1))
	const maxN = 1 << 19
	s, _ := adamInputs(rng, maxN)
	s[1][50], s[1][77] = 0.5, 0.5
	p := adamCases()[2].p
	x := randMat(rng, 1, maxN, 0).Data
	t.Logf("kernels %s; µs alone / split, mean of back-to-back calls", elemNames[elemFamily])
	for _, op := range []elemOp{opAdam, opReLU, opReLUBackward, opAxpy, opScale, opColSums} {
		for n := 2 << 10; n <= maxN; n *= 2 {
			task := elemTask{op: op, c: p.consts()}
			units := blocks(n)
			switch op {
			case opAdam:
				task.s = [4][]float32{s[0][:n], s[1][:n], s[2][:n], s[3][:n]}
			case opReLU, opAxpy:
				task.s = [4][]float32{s[0][:n], x[:n]}
			case opReLUBackward:
				task.s = [4][]float32{s[0][:n], s[1][:n], x[:n]}
			case opScale:
				task.a = 1
				task.s = [4][]float32{x[:n]}
			case opColSums:
				task.s = [4][]float32{make([]float32, 512)}
				task.m = [3]*Mat{FromSlice(n/512, 512, x[:n/512*512])}
				units = 512 / colBlock
			}
			alone := meanOf(func() { task.Run(0, units) })
			split := meanOf(func() { runElem(task, n, units, 1) })
			t.Logf("%-13s n=%7d: %8.2f / %8.2f µs  (%.2fx)", opNames[op], n, us(alone), us(split), float64(alone)/float64(split))
		}
	}
}

var opNames = map[elemOp]string{opAdam: "AdamUpdate", opReLU: "ReLUForward", opReLUBackward: "ReLUBackward",
	opAxpy: "Axpy", opScale: "Scale", opColSums: "AddColumnSums"}

// meanOf returns the mean time of f over back-to-back calls (at least 2 ms
// of them, as in a training step, where the workers stay awake between
// regions), the best of five such means.
func meanOf(f func()) time.Duration {
	reps := 1
	for bestOf(1, func() {
		for range reps {
			f()
		}
	}) < 2*time.Millisecond {
		reps *= 2
	}
	return bestOf(5, func() {
		for range reps {
			f()
		}
	}) / time.Duration(reps)
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
