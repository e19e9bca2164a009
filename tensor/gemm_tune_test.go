package tensor

// Measurements for tuning the GEMM (blocking sizes, thresholds, the split
// between threads). They print figures and check nothing, so they run only
// with GEMM_TUNE set:
//
//	GEMM_TUNE=1 go test -run 'TestTune' -v ./tensor
//
// Most figures are the best of several runs: on a shared machine the best
// run is the one least disturbed by other processes. TestTunePaired pairs
// two policies call by call and reports medians instead.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"
)

// skipUnlessTuning skips a measurement unless GEMM_TUNE is set; with
// GEMM_KERNELS=avx2 (or go) it measures that kernel family instead of the
// best one.
func skipUnlessTuning(t *testing.T) {
	if os.Getenv("GEMM_TUNE") == "" {
		t.Skip("set GEMM_TUNE=1 to run the GEMM tuning measurements")
	}
	if name := os.Getenv("GEMM_KERNELS"); name != "" {
		restore, ok := useKernels(name)
		if !ok {
			t.Skipf("no %s kernels here", name)
		}
		t.Cleanup(restore)
	}
}

func bestOf(n int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		t := time.Now()
		f()
		if d := time.Since(t); d < best {
			best = d
		}
	}
	return best
}

func gflops(m, n, k, reps int, d time.Duration) float64 {
	return 2 * float64(m) * float64(n) * float64(k) * float64(reps) / d.Seconds() / 1e9
}

// operands returns random operands laid out for s.
func (s gemmBenchShape) operands() (a, b, c *Mat) {
	rng := rand.New(rand.NewPCG(1, 1))
	ar, ac := s.m, s.k
	if s.transA {
		ar, ac = ac, ar
	}
	br, bc := s.k, s.n
	if s.transB {
		br, bc = bc, br
	}
	return randMat(rng, ar, ac, 0), randMat(rng, br, bc, 0), New(s.m, s.n)
}

// TestTuneKernelPeak: each packed kernel on a 256-step panel in L1, and the
// AVX-512 kernel streaming a 256×512 block of B from L2, on one core and on
// all at once. This is the ceiling of everything else.
func TestTuneKernelPeak(t *testing.T) {
	skipUnlessTuning(t)
	for _, ks := range kernelSets() {
		const kc = 256
		a := make([]float32, kc*ks.mr)
		b := make([]float32, kc*ks.nr)
		c := make([]float32, ks.mr*ks.nr)
		p := &kernelArgs{k: kc, a: &a[0], rsa: 4, csa: 4 * ks.mr, b: &b[0], ldb: 4 * ks.nr, c: &c[0], ldc: 4 * ks.nr,
			mask: 1<<ks.nr - 1, alpha: 1, cmask: &laneMasks[0], mr: ks.mr, nr: ks.nr}
		kern := ks.packed[ks.mr]
		d := bestOf(20, func() {
			for range 200 {
				kern(p)
			}
		})
		fmt.Printf("%-7s %2d×%d kernel, L1: %6.1f GFLOP/s\n", ks.name, ks.mr, ks.nr, gflops(ks.mr, ks.nr, kc, 200, d))
	}
	for _, threads := range []int{1, Workers()} {
		m := &peakTask{ks: activeKernels, out: make([]time.Duration, threads)}
		Parallel(threads, 1, m)
		for w, d := range m.out {
			fmt.Printf("%s kernel streaming B from L2, %d threads, thread %d: %6.1f GFLOP/s\n",
				m.ks.name, threads, w, gflops(m.ks.mr, 16*m.ks.nr, 256, 50, d))
		}
	}
}

type peakTask struct {
	ks  *kernelSet
	out []time.Duration
}

func (m *peakTask) Run(lo, hi int) {
	ks := m.ks
	const kc, panels = 256, 16
	for w := lo; w < hi; w++ {
		a := make([]float32, kc*ks.mr)
		b := make([]float32, kc*ks.nr*panels)
		c := make([]float32, ks.mr*ks.nr*panels)
		p := &kernelArgs{k: kc, a: &a[0], rsa: 4, csa: 4 * ks.mr, ldb: 4 * ks.nr, ldc: 4 * ks.nr * panels,
			mask: 1<<ks.nr - 1, alpha: 1, cmask: &laneMasks[0], mr: ks.mr, nr: ks.nr}
		kern := ks.packed[ks.mr]
		m.out[w] = bestOf(20, func() {
			for range 50 {
				for q := range panels {
					p.b = &b[q*kc*ks.nr]
					p.c = &c[q*ks.nr]
					kern(p)
				}
			}
		})
	}
}

// TestTuneShapes: the workload's shapes and a few others, on all workers
// and on one.
func TestTuneShapes(t *testing.T) {
	skipUnlessTuning(t)
	shapes := append(mlpShapes(),
		gemmBenchShape{"1x512x512", 1, 512, 512, false, false}, gemmBenchShape{"1x512x512/NT", 1, 512, 512, false, true},
		gemmBenchShape{"16x512x512", 16, 512, 512, false, false}, gemmBenchShape{"64x512x512", 64, 512, 512, false, false},
		gemmBenchShape{"256x512x16", 256, 512, 16, false, false}, gemmBenchShape{"64x64x64", 64, 64, 64, false, false},
		gemmBenchShape{"4096x512x512", 4096, 512, 512, false, false})
	for _, s := range shapes {
		a, b, c := s.operands()
		for _, single := range []bool{false, true} {
			reps := max(1, (50<<20)/(s.m*s.n*s.k))
			if single {
				thePool().mu.Lock() // a busy pool makes Gemm run on the caller alone
			}
			d := bestOf(15, func() {
				for range reps {
					Gemm(s.transA, s.transB, 1, a, b, 0, c)
				}
			})
			if single {
				thePool().mu.Unlock()
			}
			fmt.Printf("%-22s single=%-5v %6.1f GFLOP/s %9.1f µs\n", s.name, single, gflops(s.m, s.n, s.k, reps, d), d.Seconds()*1e6/float64(reps))
		}
	}
}

// TestTuneSplits compares the automatic choice with each forced way of
// feeding the kernels and each split over two threads.
func TestTuneSplits(t *testing.T) {
	skipUnlessTuning(t)
	if Workers() != 2 {
		t.Skip("written for two workers")
	}
	defer func() { splitOverride = [2]int{} }()
	type cfg struct {
		mode  string
		split [2]int
	}
	cfgs := []cfg{{"auto", [2]int{}}, {"packed", [2]int{1, 2}}, {"packed", [2]int{2, 1}}, {"rows", [2]int{1, 2}}, {"rows", [2]int{2, 1}},
		{"direct", [2]int{1, 2}}, {"direct", [2]int{2, 1}}}
	shapes := append(mlpShapes()[5:],
		gemmBenchShape{"16x512x512", 16, 512, 512, false, false}, gemmBenchShape{"48x512x512", 48, 512, 512, false, false},
		gemmBenchShape{"64x512x512/NT", 64, 512, 512, false, true})
	shapes = append(shapes, stepShapes(1024)...)
	shapes = append(shapes, inferShapes()...)
	for _, s := range shapes {
		a, b, c := s.operands()
		res := make([]float64, len(cfgs))
		for range 3 {
			for i, cf := range cfgs {
				restore := useMode(cf.mode)
				splitOverride = cf.split
				reps := max(1, (30<<20)/(s.m*s.n*s.k))
				d := bestOf(8, func() {
					for range reps {
						Gemm(s.transA, s.transB, 1, a, b, 0, c)
					}
				})
				restore()
				res[i] = max(res[i], gflops(s.m, s.n, s.k, reps, d))
			}
		}
		fmt.Printf("%-22s", s.name)
		for i, cf := range cfgs {
			fmt.Printf(" %s%v %6.1f", cf.mode, cf.split, res[i])
		}
		fmt.Println()
	}
}

// TestTuneBlocks compares blocking sizes of the active kernels.
func TestTuneBlocks(t *testing.T) {
	skipUnlessTuning(t)
	ks := activeKernels
	kc0, nc0 := ks.kc, ks.nc
	defer func() { ks.kc, ks.nc = kc0, nc0 }()
	shapes := []gemmBenchShape{{"NN/256x512x512", 256, 512, 512, false, false}, {"NN/2048", 2048, 2048, 2048, false, false}, {"TN/512x512x256", 512, 512, 256, true, false}}
	cfgs := [][2]int{{256, 512}, {384, 512}, {512, 256}, {192, 512}, {256, 1024}, {128, 512}}
	for _, s := range shapes {
		a, b, c := s.operands()
		res := make([]float64, len(cfgs))
		for range 3 {
			for i, cf := range cfgs {
				ks.kc, ks.nc = cf[0], cf[1]
				reps := max(1, (30<<20)/(s.m*s.n*s.k))
				d := bestOf(8, func() {
					for range reps {
						Gemm(s.transA, s.transB, 1, a, b, 0, c)
					}
				})
				res[i] = max(res[i], gflops(s.m, s.n, s.k, reps, d))
			}
		}
		for i, cf := range cfgs {
			// ncBlock widens nc when k is shorter than kc.
			j := gemmJob{k: s.k, ks: &kernelSet{kc: cf[0], nc: cf[1], nr: ks.nr}}
			fmt.Printf("%-16s kc=%d nc=%d %6.1f GFLOP/s\n", s.name, cf[0], j.ncBlock(), res[i])
		}
	}
}

// TestTunePacking: nanoseconds per element of the packing routines, with
// the source in L3 as it is in a product.
func TestTunePacking(t *testing.T) {
	skipUnlessTuning(t)
	ks := activeKernels
	const n, copies = 512, 8 // 8 × 1 MB: out of L2
	var srcs []*Mat
	for range copies {
		srcs = append(srcs, randMat(rand.New(rand.NewPCG(1, 1)), n, n, 0))
	}
	dst := make([]float32, n*n+64)
	for _, trans := range []bool{false, true} {
		i := 0
		d := bestOf(20, func() {
			src := srcs[i%copies]
			i++
			for pc := 0; pc < n; pc += 256 {
				for ir := 0; ir < n; ir += ks.mr {
					ks.packA(dst[ir*256:], src, trans, ir, min(ks.mr, n-ir), pc, 256, ks.mr)
				}
			}
		})
		fmt.Printf("%s packA trans=%-5v %.2f ns/element\n", ks.name, trans, float64(d.Nanoseconds())/(n*n))
		d = bestOf(20, func() {
			src := srcs[i%copies]
			i++
			for pc := 0; pc < n; pc += 256 {
				for q := range n / ks.nr {
					ks.packB(dst[q*256*ks.nr:], src, trans, pc, 256, q*ks.nr, ks.nr, ks.nr)
				}
			}
		})
		fmt.Printf("%s packB trans=%-5v %.2f ns/element\n", ks.name, trans, float64(d.Nanoseconds())/(n*n))
	}
}

// TestTuneSubnormal: a product whose inputs or results are subnormal, next
// to the same product on normal numbers.
func TestTuneSubnormal(t *testing.T) {
	skipUnlessTuning(t)
	s := gemmBenchShape{"NN/256x512x512", 256, 512, 512, false, false}
	for _, name := range []string{"normal", "subnormal A", "subnormal results"} {
		a, b, c := s.operands()
		switch name {
		case "subnormal A":
			for i := range a.Data {
				a.Data[i] *= 1e-39
			}
		case "subnormal results":
			for i := range a.Data {
				a.Data[i] *= 1e-21
			}
			for i := range b.Data {
				b.Data[i] *= 1e-21
			}
		}
		d := bestOf(10, func() { Gemm(false, false, 1, a, b, 0, c) })
		fmt.Printf("%-18s %6.1f GFLOP/s (C[0][0] = %g)\n", name, gflops(s.m, s.n, s.k, 1, d), c.At(0, 0))
	}
}

// TestTunePaired compares each policy switch of the GEMM on and off on the
// workload's shapes and on the encoder's at batch 4096 (inference). The two
// settings take turns call by call and the figures are medians: on a shared
// machine whose speed drifts from second to second, pairing the calls this
// closely is what makes a difference of a few percent visible. A shape
// that runs the same way either way shows the noise that is left, a ratio
// within a percent or two of 1. One policy at a time:
//
//	GEMM_TUNE=1 go test -run TestTunePaired/steal -v ./tensor
func TestTunePaired(t *testing.T) {
	skipUnlessTuning(t)
	policies := []struct {
		name string
		set  func(on bool) // on: the policy as shipped
	}{
		{"steal", func(on bool) { gemmSteal = on }},
		{"wide-nc", func(on bool) { gemmWideNC = on }},
		{"rows", func(on bool) { gemmRowsA = on }},
		{"rows-stride", func(on bool) { gemmRowsAnyStride = !on }},
		{"ready", func(on bool) { gemmReadyFlags = on }},
	}
	shapes := append(mlpShapes(), stepShapes(256)...)
	shapes = append(shapes, stepShapes(1024)...)
	shapes = append(shapes, inferShapes()...)
	// Strides of A of 4 KB (and 3 KB, 6 KB) for the row kernels.
	for _, k := range []int{1024, 768, 1536} {
		shapes = append(shapes, gemmBenchShape{fmt.Sprintf("NN/1024x512x%d", k), 1024, 512, k, false, false})
	}
	shapes = append(shapes, gemmBenchShape{"NN/1024x1024x1024", 1024, 1024, 1024, false, false})
	for _, pol := range policies {
		t.Run(pol.name, func(t *testing.T) {
			defer pol.set(true)
			for _, s := range shapes {
				if s.m*s.n*s.k > 1<<30 {
					continue
				}
				a, b, c := s.operands()
				reps := max(1, (4<<20)/(s.m*s.n*s.k))
				var times [2][]time.Duration // [0] on, [1] off
				var splits [2]string
				for i := range 300 {
					v := i % 2
					pol.set(v == 0)
					start := time.Now()
					for range reps {
						Gemm(s.transA, s.transB, 1, a, b, 0, c)
					}
					times[v] = append(times[v], time.Since(start))
					gj := &thePool().gj
					splits[v] = fmt.Sprintf("%d×%d", gj.pm, gj.pn)
					if gj.team != nil && gj.team.steal {
						splits[v] += "+steal"
					}
				}
				var med [2]time.Duration
				for v := range times {
					slices.Sort(times[v])
					med[v] = times[v][len(times[v])/2]
				}
				fmt.Printf("%-9s %-24s on %-9s %6.1f GFLOP/s, off %-9s %6.1f: ×%.3f\n", pol.name, s.name,
					splits[0], gflops(s.m, s.n, s.k, reps, med[0]), splits[1], gflops(s.m, s.n, s.k, reps, med[1]),
					med[1].Seconds()/med[0].Seconds())
			}
		})
	}
}

// inferShapes are the products of the reference workload's inference: the
// encoder's three layers at batch 4096.
func inferShapes() []gemmBenchShape {
	var s []gemmBenchShape
	for _, l := range stepLayers[:3] {
		s = append(s, gemmBenchShape{fmt.Sprintf("infer/4096x%dx%d", l[1], l[0]), 4096, l[1], l[0], false, false})
	}
	return s
}
