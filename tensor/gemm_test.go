package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// randMat returns an r×c matrix of N(0,1) values; with pad > 0 it is a view
// into a wider matrix, so that strided access is exercised.
func randMat(rng *rand.Rand, r, c, pad int) *Mat {
	w := New(r, c+pad)
	for i := range w.Data {
		w.Data[i] = float32(rng.NormFloat64())
	}
	return w.ColView(0, c)
}

// dense64 returns in float64 the first n rows, k values each, of M or, with
// trans, of Mᵀ.
func dense64(m *Mat, trans bool, n, k int) []float64 {
	d := make([]float64, n*k)
	for i := range n {
		for p := range k {
			if trans {
				d[i*k+p] = float64(m.At(p, i))
			} else {
				d[i*k+p] = float64(m.At(i, p))
			}
		}
	}
	return d
}

// refGemm computes act(alpha·op(A)·op(B) + beta·C + bias) in float64, and
// for each element the magnitude |alpha|·Σ|a·b| + |beta·c| + |bias| that
// bounds the rounding error of a float32 computation.
func refGemm(transA, transB bool, alpha float64, a, b *Mat, beta float64, c *Mat, bias []float32, act Activation) (want, mag []float64) {
	k := a.Cols
	if transA {
		k = a.Rows
	}
	// op(A) by rows and op(B) by columns, in float64: the sums below then
	// run over contiguous memory.
	opA := dense64(a, transA, c.Rows, k)
	opB := dense64(b, !transB, c.Cols, k)
	want = make([]float64, c.Rows*c.Cols)
	mag = make([]float64, c.Rows*c.Cols)
	for i := range c.Rows {
		for j := range c.Cols {
			s, sa := 0.0, 0.0
			if alpha != 0 {
				ra, rb := opA[i*k:(i+1)*k], opB[j*k:(j+1)*k]
				for p, x := range ra {
					v := x * rb[p]
					s += v
					sa += math.Abs(v)
				}
			}
			v := alpha * s
			m := math.Abs(alpha) * sa
			if beta != 0 {
				v += beta * float64(c.At(i, j))
				m += math.Abs(beta * float64(c.At(i, j)))
			}
			if bias != nil {
				v += float64(bias[j])
				m += math.Abs(float64(bias[j]))
			}
			if act == ReLU {
				v = math.Max(v, 0)
			}
			want[i*c.Cols+j], mag[i*c.Cols+j] = v, m
		}
	}
	return want, mag
}

// gemmTol is the accepted error of one element of a float32 GEMM with inner
// dimension k whose terms have magnitude mag: a few units of float32
// rounding per term, growing like sqrt(k) as independent rounding errors do.
func gemmTol(k int, mag float64) float64 {
	const eps32 = 1.0 / (1 << 24)
	return 4 * eps32 * math.Sqrt(float64(k)+1) * mag
}

// checkGemm compares c against the float64 reference.
func checkGemm(t *testing.T, c *Mat, k int, want, mag []float64) {
	t.Helper()
	bad := 0
	for i := range c.Rows {
		for j := range c.Cols {
			got, w := float64(c.At(i, j)), want[i*c.Cols+j]
			if d := math.Abs(got - w); !(d <= gemmTol(k, mag[i*c.Cols+j])) {
				if bad++; bad <= 3 {
					t.Errorf("C[%d,%d] = %v, want %v (error %.3g, tolerance %.3g)", i, j, got, w, d, gemmTol(k, mag[i*c.Cols+j]))
				}
			}
		}
	}
	if bad > 3 {
		t.Errorf("... %d elements out of tolerance", bad)
	}
}

// gemmCase is one product with its operands laid out as the transposes say.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
	a, b, c0       *Mat
	bias           []float32
	act            Activation
	gate           *Mat // set: the case is GemmReLUGrad's
}

func newGemmCase(rng *rand.Rand, m, n, k int, transA, transB bool, alpha, beta float32, strided bool) *gemmCase {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	pad := func() int {
		if strided {
			return 1 + rng.IntN(5)
		}
		return 0
	}
	return &gemmCase{m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta,
		a: randMat(rng, ar, ac, pad()), b: randMat(rng, br, bc, pad()), c0: randMat(rng, m, n, pad())}
}

// run computes the case with the active kernels on a fresh copy of C (a
// view with the same stride, padding filled with sentinels that must
// survive), and checks the result.
func (g *gemmCase) run(t *testing.T, want, mag []float64, bias bool) {
	t.Helper()
	w := New(g.c0.Rows, g.c0.Stride)
	for i := range w.Data {
		w.Data[i] = -12345
	}
	c := w.ColView(0, g.c0.Cols)
	c.CopyFrom(g.c0)
	switch {
	case g.gate != nil:
		GemmReLUGrad(g.transA, g.transB, g.a, g.b, g.gate, c)
	case bias:
		GemmBias(g.transA, g.transB, g.a, g.b, g.bias, g.act, c)
	default:
		Gemm(g.transA, g.transB, g.alpha, g.a, g.b, g.beta, c)
	}
	checkGemm(t, c, g.k, want, mag)
	for i := range w.Rows {
		for j := g.c0.Cols; j < w.Cols; j++ {
			if v := w.At(i, j); v != -12345 {
				t.Fatalf("padding C[%d,%d] overwritten with %v", i, j, v)
			}
		}
	}
}

// forEachKernel runs f once per kernel family this CPU and build offer,
// and per way of feeding the kernels (both operands packed; B packed and A
// read in place by the row kernels; both read in place).
func forEachKernel(t *testing.T, f func(t *testing.T)) {
	for _, name := range kernelNames() {
		for _, mode := range []string{"packed", "rows", "direct"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				restore, _ := useKernels(name)
				defer restore()
				defer useMode(mode)()
				f(t)
			})
		}
	}
}

var gemmDims = []int{1, 7, 15, 16, 17, 33, 255, 257, 513}

// gemmShapes: each of gemmDims in each position with small partners, a
// few products of large sizes, and sizes around the tile edges.
func gemmShapes(rng *rand.Rand) [][3]int {
	small := []int{1, 7, 16, 17, 33}
	var s [][3]int
	for pos := range 3 {
		for _, d := range gemmDims {
			sh := [3]int{small[rng.IntN(len(small))], small[rng.IntN(len(small))], small[rng.IntN(len(small))]}
			sh[pos] = d
			s = append(s, sh)
		}
	}
	return append(s,
		[3]int{255, 257, 513}, [3]int{513, 255, 257}, [3]int{257, 513, 255},
		[3]int{12, 32, 256}, [3]int{13, 33, 257}, [3]int{24, 64, 9}, [3]int{11, 31, 1},
		[3]int{6, 16, 5}, [3]int{47, 48, 300}, [3]int{49, 95, 600}, [3]int{300, 17, 40},
	)
}

func TestGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scalars := [][2]float32{{1, 0}, {1, 1}, {0.7, 0.5}, {0, 0.5}, {-1.5, 1}, {1, -2}, {0.5, 0}, {0, 0}, {2, 1}}
	for ci, s := range gemmShapes(rng) {
		for tr := range 4 {
			ta, tb := tr&1 != 0, tr&2 != 0
			ab := scalars[(ci+tr)%len(scalars)]
			strided := (ci+tr)%3 != 0
			name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/alpha=%v/beta=%v/strided=%v", s[0], s[1], s[2], ta, tb, ab[0], ab[1], strided)
			g := newGemmCase(rng, s[0], s[1], s[2], ta, tb, ab[0], ab[1], strided)
			want, mag := refGemm(ta, tb, float64(ab[0]), g.a, g.b, float64(ab[1]), g.c0, nil, Identity)
			t.Run(name, func(t *testing.T) {
				forEachKernel(t, func(t *testing.T) { g.run(t, want, mag, false) })
			})
		}
	}
}

// TestGemmGeneric checks the readable reference against the float64 one,
// so that it can serve as the reference to read.
func TestGemmGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][3]int{{1, 1, 1}, {7, 15, 16}, {17, 33, 1}, {33, 17, 255}} {
		for tr := range 4 {
			ta, tb := tr&1 != 0, tr&2 != 0
			g := newGemmCase(rng, s[0], s[1], s[2], ta, tb, 0.7, 0.5, true)
			want, mag := refGemm(ta, tb, 0.7, g.a, g.b, 0.5, g.c0, nil, Identity)
			c := g.c0.Clone()
			gemmGeneric(ta, tb, 0.7, g.a, g.b, 0.5, c)
			checkGemm(t, c, s[2], want, mag)
		}
	}
}

func TestGemmBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{{1, 1, 1}, {7, 33, 15}, {256, 64, 512}, {255, 513, 17}, {17, 257, 33}, {64, 96, 7}}
	for _, s := range shapes {
		for tr := range 4 {
			for _, act := range []Activation{Identity, ReLU} {
				for _, withBias := range []bool{false, true} {
					ta, tb := tr&1 != 0, tr&2 != 0
					g := newGemmCase(rng, s[0], s[1], s[2], ta, tb, 1, 0, tr%2 == 0)
					g.act = act
					if withBias {
						g.bias = randMat(rng, 1, s[1], 0).Data
					}
					// NaN in C must be ignored: GemmBias overwrites C.
					g.c0.Set(0, 0, float32(math.NaN()))
					want, mag := refGemm(ta, tb, 1, g.a, g.b, 0, g.c0, g.bias, act)
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/act=%d/bias=%v", s[0], s[1], s[2], ta, tb, act, withBias)
					t.Run(name, func(t *testing.T) {
						forEachKernel(t, func(t *testing.T) { g.run(t, want, mag, true) })
					})
				}
			}
		}
	}
}

// randGate returns an m×n gate for GemmReLUGrad, a strided view when
// strided is set: ReLU outputs (zero about half the time, else positive),
// with a few -0, negative, NaN and +Inf entries, which the mask must treat
// as ReLUBackward does.
func randGate(rng *rand.Rand, m, n int, strided bool) *Mat {
	pad := 0
	if strided {
		pad = 1 + rng.IntN(5)
	}
	g := randMat(rng, m, n, pad)
	special := []float32{float32(math.Copysign(0, -1)), -1, float32(math.NaN()), float32(math.Inf(1)), float32(math.SmallestNonzeroFloat32)}
	for i := range m {
		row := g.Row(i)
		for j, v := range row {
			switch {
			case rng.IntN(16) == 0:
				row[j] = special[rng.IntN(len(special))]
			case v < 0:
				row[j] = 0
			}
		}
	}
	return g
}

// gateRef zeroes the reference result where gate is not > 0, as exactly
// (a zero magnitude admits no error).
func gateRef(want, mag []float64, gate *Mat) {
	for i := range gate.Rows {
		for j := range gate.Cols {
			if !(gate.At(i, j) > 0) {
				want[i*gate.Cols+j], mag[i*gate.Cols+j] = 0, 0
			}
		}
	}
}

// TestGemmReLUGrad checks the gated product against the float64 reference,
// and bit for bit against Gemm followed by ReLUBackward, which it replaces
// in the backward pass of a layer.
func TestGemmReLUGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	shapes := [][3]int{{1, 1, 1}, {7, 33, 15}, {256, 512, 128}, {255, 513, 17}, {17, 257, 1100}, {64, 96, 7}, {13, 31, 600}}
	for _, s := range shapes {
		for tr := range 4 {
			ta, tb := tr&1 != 0, tr&2 != 0
			strided := tr%2 == 0
			g := newGemmCase(rng, s[0], s[1], s[2], ta, tb, 1, 0, strided)
			g.gate = randGate(rng, s[0], s[1], rng.IntN(2) == 0)
			// NaN in C must be ignored: GemmReLUGrad overwrites C.
			g.c0.Set(0, 0, float32(math.NaN()))
			want, mag := refGemm(ta, tb, 1, g.a, g.b, 0, g.c0, nil, Identity)
			gateRef(want, mag, g.gate)
			name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v", s[0], s[1], s[2], ta, tb)
			t.Run(name, func(t *testing.T) {
				forEachKernel(t, func(t *testing.T) {
					g.run(t, want, mag, false)
					got, sep := New(s[0], s[1]), New(s[0], s[1])
					GemmReLUGrad(ta, tb, g.a, g.b, g.gate, got)
					Gemm(ta, tb, 1, g.a, g.b, 0, sep)
					ReLUBackward(sep, g.gate, sep)
					for i, v := range got.Data {
						if math.Float32bits(v) != math.Float32bits(sep.Data[i]) {
							t.Fatalf("element %d: %v, Gemm then ReLUBackward give %v", i, v, sep.Data[i])
						}
					}
				})
			})
		}
	}
	t.Run("empty k", func(t *testing.T) {
		gate := randGate(rng, 3, 4, false)
		c := New(3, 4)
		c.Fill(float32(math.NaN()))
		GemmReLUGrad(false, false, New(3, 0), New(0, 4), gate, c)
		for i, v := range c.Data {
			if v != 0 {
				t.Fatalf("C[%d] = %v, want 0", i, v)
			}
		}
	})
	t.Run("gate shape", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("GemmReLUGrad with a 2×4 gate for a 2×5 C did not panic")
			}
		}()
		GemmReLUGrad(false, false, New(2, 3), New(3, 5), New(2, 4), New(2, 5))
	})
}

// TestGemmSpecialScalars checks the BLAS conventions: beta == 0 ignores NaN
// in C, alpha == 0 does not read A and B.
func TestGemmSpecialScalars(t *testing.T) {
	forEachKernel(t, func(t *testing.T) {
		nan := float32(math.NaN())
		for _, s := range [][3]int{{3, 5, 4}, {100, 70, 300}} {
			a, b, c := New(s[0], s[2]), New(s[2], s[1]), New(s[0], s[1])
			a.Fill(1)
			b.Fill(2)
			c.Fill(nan)
			Gemm(false, false, 1, a, b, 0, c)
			for _, v := range c.Data {
				if v != float32(2*s[2]) {
					t.Fatalf("beta=0: got %v, want %v", v, 2*s[2])
				}
			}
			a.Fill(nan)
			c.Fill(3)
			Gemm(false, false, 0, a, b, 0.5, c)
			for _, v := range c.Data {
				if v != 1.5 {
					t.Fatalf("alpha=0: got %v, want 1.5", v)
				}
			}
		}
	})
}

// TestGemmSubnormals: subnormal inputs and results may be flushed to zero
// (the assembly kernels do), so the error bound is absolute: k terms, each
// off by at most the smallest normal float32.
func TestGemmSubnormals(t *testing.T) {
	const tiny = 1.0 / (1 << 126) // smallest normal float32
	forEachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, scale := range []float32{1e-39, 1e-21} {
			g := newGemmCase(rng, 50, 70, 90, false, false, 1, 0, false)
			for _, m := range []*Mat{g.a, g.b} {
				for i := range m.Data {
					m.Data[i] *= scale
				}
			}
			want, _ := refGemm(false, false, 1, g.a, g.b, 0, g.c0, nil, Identity)
			c := New(50, 70)
			Gemm(false, false, 1, g.a, g.b, 0, c)
			for i, w := range want {
				if d := math.Abs(float64(c.Data[i]) - w); d > 2*90*tiny {
					t.Fatalf("scale %g: C[%d] = %g, want %g", scale, i, c.Data[i], w)
				}
			}
		}
	})
}

func TestGemmShapePanics(t *testing.T) {
	short := func(r, c int) *Mat { m := New(r, c); m.Data = m.Data[:len(m.Data)-1]; return m }
	tests := []struct {
		name string
		f    func()
	}{
		{"mismatched", func() { Gemm(false, false, 1, New(2, 3), New(4, 5), 0, New(2, 5)) }},
		{"short A", func() { Gemm(false, false, 1, short(2, 3), New(3, 5), 0, New(2, 5)) }},
		{"short B", func() { Gemm(false, true, 1, New(2, 3), short(5, 3), 0, New(2, 5)) }},
		{"short C", func() { GemmBias(false, false, New(2, 3), New(3, 5), nil, ReLU, short(2, 5)) }},
		{"short gate", func() { GemmReLUGrad(false, false, New(2, 3), New(3, 5), short(2, 5), New(2, 5)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("did not panic")
				}
			}()
			tt.f()
		})
	}
}

func TestGemmEmpty(t *testing.T) {
	// k == 0: C = beta·C.
	c := New(2, 3)
	c.Fill(4)
	Gemm(false, false, 1, New(2, 0), New(0, 3), 0.5, c)
	for _, v := range c.Data {
		if v != 2 {
			t.Fatalf("k=0: got %v, want 2", v)
		}
	}
	Gemm(false, false, 1, New(0, 4), New(4, 3), 0, New(0, 3))
	Gemm(true, true, 1, New(4, 2), New(0, 4), 0, New(2, 0))
}

// TestGemmConcurrent runs products from several goroutines at once and from
// inside a Parallel task: the callers that find the pool busy compute alone,
// with workspaces of their own.
func TestGemmConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g := newGemmCase(rng, 130, 200, 150, false, true, 1, 0, true)
	want, mag := refGemm(false, true, 1, g.a, g.b, 0, g.c0, nil, Identity)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c := New(g.m, g.n)
				Gemm(false, true, 1, g.a, g.b, 0, c)
				checkGemm(t, c, g.k, want, mag)
			}
		}()
	}
	wg.Wait()
	nt := &nestedGemm{g: g, out: make([]*Mat, 4)}
	Parallel(4, 1, nt)
	for _, c := range nt.out {
		checkGemm(t, c, g.k, want, mag)
	}
}

type nestedGemm struct {
	g   *gemmCase
	out []*Mat
}

func (n *nestedGemm) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		c := New(n.g.m, n.g.n)
		Gemm(false, true, 1, n.g.a, n.g.b, 0, c)
		n.out[i] = c
	}
}

func TestGemmAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][3]int{{256, 512, 512}, {7, 9, 5}, {256, 64, 512}, {1, 512, 512}} {
		for tr := range 4 {
			ta, tb := tr&1 != 0, tr&2 != 0
			g := newGemmCase(rng, s[0], s[1], s[2], ta, tb, 1, 0, false)
			bias := make([]float32, s[1])
			gate := randGate(rng, s[0], s[1], false)
			Gemm(ta, tb, 1, g.a, g.b, 0, g.c0) // grow the buffers
			allocs := testing.AllocsPerRun(20, func() {
				Gemm(ta, tb, 1, g.a, g.b, 0.5, g.c0)
				GemmBias(ta, tb, g.a, g.b, bias, ReLU, g.c0)
				GemmReLUGrad(ta, tb, g.a, g.b, gate, g.c0)
			})
			if allocs != 0 {
				t.Errorf("%v tA=%v tB=%v: %v allocations per call", s, ta, tb, allocs)
			}
		}
	}
}

// TestKernelTiles calls every micro-kernel of every family directly: each
// way of reading the operands, each row count, k from 1 to 9 (every
// remainder of the loops unrolled by four) and 33, a full and a partial
// tile of columns. It compares the tile with float64 sums. The operands
// are fenced with NaN wherever a kernel must not read: the unused lanes of
// each packed step of A, the columns past k and the row past mr of an A
// read in place, the columns past nr of a B read in place. C must be
// written inside the tile only.
func TestKernelTiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, ks := range kernelSets() {
		kinds := []struct {
			name  string
			tiles *[maxMR + 1]func(*kernelArgs)
		}{{"packed", &ks.packed}, {"rows", &ks.rows}, {"direct", &ks.direct}}
		for _, kind := range kinds {
			for mr := 1; mr <= ks.mr; mr++ {
				for _, k := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 33} {
					for _, nr := range []int{ks.nr, ks.nr/2 + 1} {
						name := fmt.Sprintf("%s/%s/mr=%d/k=%d/nr=%d", ks.name, kind.name, mr, k, nr)
						t.Run(name, func(t *testing.T) {
							testKernelTile(t, rng, ks, kind.name, kind.tiles[mr], mr, nr, k)
						})
					}
				}
			}
		}
	}
}

func testKernelTile(t *testing.T, rng *rand.Rand, ks *kernelSet, kind string, kern func(*kernelArgs), mr, nr, k int) {
	MR, NR := ks.mr, ks.nr
	fenced := func(n int) []float32 { return slices.Repeat([]float32{float32(math.NaN())}, n) }
	av := make([][]float32, mr)
	for r := range av {
		av[r] = make([]float32, k)
		for p := range av[r] {
			av[r][p] = float32(rng.NormFloat64())
		}
	}
	bv := make([][]float32, k)
	for p := range bv {
		bv[p] = make([]float32, nr)
		for j := range bv[p] {
			bv[p][j] = float32(rng.NormFloat64())
		}
	}
	p := &kernelArgs{k: k, alpha: 1, mr: mr, nr: nr, mask: 1<<nr - 1, cmask: &laneMasks[16-min(nr, 16)]}
	if nr < NR {
		p.flags |= flagPartial
	}
	// A: packed as k steps of MR lanes, or in place, mr rows and a fence
	// row of lda floats.
	if kind == "packed" {
		a := fenced(k * MR)
		for r := range mr {
			for q := range k {
				a[q*MR+r] = av[r][q]
			}
		}
		p.a, p.rsa, p.csa = &a[0], 4, MR*4
	} else {
		lda := k + 3
		a := fenced((mr + 1) * lda)
		for r := range mr {
			copy(a[r*lda:], av[r])
		}
		p.a, p.rsa, p.csa = &a[0], lda*4, 4
	}
	// B: packed rows of NR, zero-padded, or in place with ldb floats a row
	// and NaN past nr (the kernels without masks read all NR columns, and
	// mask only the write-back).
	if kind == "direct" {
		ldb := NR + 3
		b := fenced(k * ldb)
		for q := range k {
			copy(b[q*ldb:], bv[q])
		}
		p.b, p.ldb = &b[0], ldb*4
	} else {
		b := make([]float32, k*NR)
		for q := range k {
			copy(b[q*NR:], bv[q])
		}
		p.b, p.ldb = &b[0], NR*4
	}
	const fence = -7
	ldc := NR + 5
	c := slices.Repeat([]float32{fence}, (mr+1)*ldc)
	p.c, p.ldc = &c[0], ldc*4
	kern(p)
	for r := range mr + 1 {
		for j := range ldc {
			got := c[r*ldc+j]
			if r >= mr || j >= nr {
				if got != fence {
					t.Fatalf("C[%d,%d] outside the %d×%d tile written: %v", r, j, mr, nr, got)
				}
				continue
			}
			var want, mag float64
			for q := range k {
				want += float64(av[r][q]) * float64(bv[q][j])
				mag += math.Abs(float64(av[r][q]) * float64(bv[q][j]))
			}
			if d := math.Abs(float64(got) - want); !(d <= 1e-5*mag+1e-30) {
				t.Fatalf("C[%d,%d] = %v, want %v", r, j, got, want)
			}
		}
	}
}

// TestKernelArgsLayout pins the offsets that the assembly kernels use
// (internal/asmgen/main.go).
func TestKernelArgsLayout(t *testing.T) {
	var p kernelArgs
	got := []uintptr{unsafe.Offsetof(p.k), unsafe.Offsetof(p.a), unsafe.Offsetof(p.rsa), unsafe.Offsetof(p.csa),
		unsafe.Offsetof(p.b), unsafe.Offsetof(p.ldb), unsafe.Offsetof(p.c), unsafe.Offsetof(p.ldc),
		unsafe.Offsetof(p.mask), unsafe.Offsetof(p.bias), unsafe.Offsetof(p.alpha), unsafe.Offsetof(p.beta),
		unsafe.Offsetof(p.flags), unsafe.Offsetof(p.cmask), unsafe.Offsetof(p.gate), unsafe.Offsetof(p.ldg)}
	want := []uintptr{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 84, 88, 96, 104, 112}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kernelArgs field %d at offset %d, asmgen says %d", i, got[i], want[i])
		}
	}
}

func FuzzGemm(f *testing.F) {
	f.Add(uint16(17), uint16(33), uint16(15), uint8(0), uint64(1))
	f.Add(uint16(1), uint16(1), uint16(1), uint8(3), uint64(2))
	f.Add(uint16(64), uint16(257), uint16(40), uint8(0x1d), uint64(3))
	f.Add(uint16(30), uint16(45), uint16(70), uint8(0x23), uint64(4))
	f.Fuzz(func(t *testing.T, m, n, k uint16, flags uint8, seed uint64) {
		// Keep each input quick: at most ~2M multiply-adds for the reference.
		mm, nn, kk := int(m%300), int(n%300), int(k%300)
		for mm*nn*kk > 2<<20 {
			mm, nn, kk = mm/2, nn/2, kk/2
		}
		ta, tb := flags&1 != 0, flags&2 != 0
		strided := flags&4 != 0
		rng := rand.New(rand.NewPCG(seed, 99))
		alpha, beta := float32(1), float32(0)
		if flags&8 != 0 {
			alpha, beta = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		g := newGemmCase(rng, mm, nn, kk, ta, tb, alpha, beta, strided)
		withBias := flags&16 != 0
		if withBias {
			g.alpha, g.beta = 1, 0
			g.bias = randMat(rng, 1, nn, 0).Data
			if flags&32 != 0 {
				g.act = ReLU
			}
		}
		if !withBias && flags&32 != 0 {
			g.alpha, g.beta = 1, 0
			g.gate = randGate(rng, mm, nn, strided)
		}
		want, mag := refGemm(ta, tb, float64(g.alpha), g.a, g.b, float64(g.beta), g.c0, g.bias, g.act)
		if g.gate != nil {
			gateRef(want, mag, g.gate)
		}
		forEachKernel(t, func(t *testing.T) { g.run(t, want, mag, withBias) })
	})
}

// Parallel must cover [0, n) exactly once, whatever the grain.
func TestParallel(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 1000} {
		for _, grain := range []int{0, 1, 7, 5000} {
			c := &countTask{hits: make([]int32, n)}
			Parallel(n, grain, c)
			for i, h := range c.hits {
				if h != 1 {
					t.Fatalf("n=%d grain=%d: index %d run %d times", n, grain, i, h)
				}
			}
		}
	}
	c := &countTask{hits: make([]int32, 1000)}
	if a := testing.AllocsPerRun(100, func() { Parallel(1000, 1, c) }); a != 0 {
		t.Errorf("Parallel: %v allocations per call", a)
	}
}

// TestParallelStalledPublisher stalls the publisher of each region between
// publishing it and waking sleeping workers, for longer than a worker takes
// to run its part, spin and fall asleep (as a descheduled goroutine does on
// a loaded machine). The late wake-up must not make the worker run its
// part a second time, or after the region has ended.
func TestParallelStalledPublisher(t *testing.T) {
	if Workers() < 2 {
		t.Skip("needs two workers")
	}
	testHookPublished = func() { time.Sleep(20 * spinTime) }
	defer func() { testHookPublished = nil }()
	for r := range 20 {
		c := &countTask{hits: make([]int32, 2*Workers())}
		Parallel(len(c.hits), 1, c)
		// A worker's late, second run would land here or in the next region.
		time.Sleep(2 * spinTime)
		for i, h := range c.hits {
			if h != 1 {
				t.Fatalf("region %d: index %d run %d times", r, i, h)
			}
		}
	}
}

type countTask struct{ hits []int32 }

func (c *countTask) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i]++
	}
}

// TestPackers compares each kernel family's packing routines with the
// portable ones, over partial panels and partial blocks of k.
func TestPackers(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	src := randMat(rng, 300, 300, 5)
	for _, ks := range kernelSets() {
		MR, NR := ks.mr, ks.nr
		for _, kc := range []int{1, 7, 8, 15, 16, 17, 64, 255} {
			for _, trans := range []bool{false, true} {
				for mr := 1; mr <= MR; mr++ {
					got, want := make([]float32, kc*MR), make([]float32, kc*MR)
					i0, pc := 3, 20 // op(A) is src (rows i, cols p) or srcᵀ
					if trans {
						i0, pc = 20, 3
					}
					ks.packA(got, src, trans, i0, mr, pc, kc, MR)
					packAGo(want, src, trans, i0, mr, pc, kc, MR)
					for p := range kc {
						for r := range mr {
							if g, w := got[p*MR+r], want[p*MR+r]; g != w {
								t.Fatalf("%s packA trans=%v kc=%d mr=%d: [%d,%d] = %v, want %v", ks.name, trans, kc, mr, p, r, g, w)
							}
						}
					}
				}
				for nr := 1; nr <= NR; nr++ {
					got, want := make([]float32, kc*NR), make([]float32, kc*NR)
					for i := range got {
						got[i] = float32(math.NaN()) // padding must be written as zeros
					}
					j0, pc := 5, 2
					if trans {
						j0, pc = 2, 5
					}
					ks.packB(got, src, trans, pc, kc, j0, nr, NR)
					packBGo(want, src, trans, pc, kc, j0, nr, NR)
					for i := range want {
						if got[i] != want[i] {
							t.Fatalf("%s packB trans=%v kc=%d nr=%d: [%d] = %v, want %v", ks.name, trans, kc, nr, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// testSplit runs each shape, in every transpose, as Gemm, as GemmBias with
// ReLU and as GemmReLUGrad, through every kernel family and way of feeding
// them, once with *flag set and once without. before and after run around
// each product.
func testSplit(t *testing.T, seed uint64, shapes [][3]int, flag *bool, before, after func(t *testing.T, s [3]int, on bool)) {
	defer func(old bool) { *flag = old }(*flag)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for _, s := range shapes {
		for tr := range 4 {
			ta, tb := tr&1 != 0, tr&2 != 0
			g := newGemmCase(rng, s[0], s[1], s[2], ta, tb, 0.7, 0.5, tr%2 == 0)
			g.bias, g.act = randMat(rng, 1, s[1], 0).Data, ReLU
			want, mag := refGemm(ta, tb, 0.7, g.a, g.b, 0.5, g.c0, nil, Identity)
			wantB, magB := refGemm(ta, tb, 1, g.a, g.b, 0, g.c0, g.bias, ReLU)
			gated := *g
			gated.gate = randGate(rng, s[0], s[1], rng.IntN(2) == 0)
			wantG, magG := refGemm(ta, tb, 1, g.a, g.b, 0, g.c0, nil, Identity)
			gateRef(wantG, magG, gated.gate)
			for _, on := range []bool{true, false} {
				t.Run(fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/on=%v", s[0], s[1], s[2], ta, tb, on), func(t *testing.T) {
					*flag = on
					forEachKernel(t, func(t *testing.T) {
						for _, run := range []func(){
							func() { g.run(t, want, mag, false) },
							func() { g.run(t, wantB, magB, true) },
							func() { gated.run(t, wantG, magG, false) },
						} {
							if before != nil {
								before(t, s, on)
							}
							run()
							after(t, s, on)
						}
					})
				})
			}
		}
	}
}

// TestGemmDynamic runs products split over M, where the threads claim row
// panels as they go (on) or take fixed halves.
func TestGemmDynamic(t *testing.T) {
	if Workers() < 2 {
		t.Skip("needs two workers")
	}
	defer func(old [2]int) { splitOverride = old }(splitOverride)
	splitOverride = [2]int{Workers(), 1}
	// 257×255×513 and 150×70×1100 have two and three blocks of k.
	shapes := [][3]int{{1024, 512, 64}, {300, 600, 257}, {97, 33, 129}, {257, 255, 513}, {49, 600, 100}, {1030, 70, 12}, {150, 70, 1100}}
	testSplit(t, 3, shapes, &gemmDynamic, nil, func(t *testing.T, s [3]int, on bool) {
		if got := thePool().gj.dynamic; got != (on && s[2] <= activeKernels.kc) {
			t.Fatalf("dynamic = %v", got)
		}
	})
}

// TestGemmStealReady runs a stealing team whose A is read in place both
// ways its members publish their packed B: through the ready flags alone,
// and at the barrier (gemmReadyFlags off).
func TestGemmStealReady(t *testing.T) {
	if Workers() < 2 {
		t.Skip("needs two workers")
	}
	defer func(old [2]int, flags bool) { splitOverride, gemmReadyFlags = old, flags }(splitOverride, gemmReadyFlags)
	splitOverride = [2]int{1, Workers()}
	rng := rand.New(rand.NewPCG(9, 10))
	g := newGemmCase(rng, 300, 512, 255, false, false, 0.7, 0.5, true)
	want, mag := refGemm(false, false, 0.7, g.a, g.b, 0.5, g.c0, nil, Identity)
	for _, name := range kernelNames() {
		for _, flags := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/ready=%v", name, flags), func(t *testing.T) {
				restore, _ := useKernels(name)
				defer restore()
				defer useMode("rows")()
				if !steals(&gemmJob{m: g.m, n: g.n, k: g.k, ks: activeKernels}, Workers()) {
					t.Skip("the product does not steal with these kernels")
				}
				gemmReadyFlags = flags
				g.run(t, want, mag, false)
				if tm := thePool().gj.team; tm == nil || !tm.steal || tm.ready != flags {
					t.Fatalf("no stealing team with ready = %v", flags)
				}
			})
		}
	}
}

// TestGemmSteal runs products split over N, where the threads share the
// packing of A (when it is copied) and, with one block of k and of columns
// each, take each other's row panels when they are done with their own
// (on). The last thread is held back until another has taken one of its
// row panels, so that the taking is tested on every product that allows
// it, and it publishes its packed B late, so that the others wait for it.
func TestGemmSteal(t *testing.T) {
	if Workers() < 2 {
		t.Skip("needs two workers")
	}
	defer func(old [2]int) { splitOverride, testHookSteal, testHookReady = old, nil, nil }(splitOverride)
	splitOverride = [2]int{1, Workers()}
	// Depending on the kernel set and the number of workers, some of these
	// have more than one block of k, more columns a thread than one block,
	// or too few: they do not steal. 12×1000×100 and 5×2000×100 have one
	// row panel.
	shapes := [][3]int{{300, 512, 257}, {400, 512, 64}, {97, 300, 129}, {13, 70, 300}, {100, 400, 513},
		{150, 900, 500}, {600, 300, 257}, {12, 1000, 100}, {5, 2000, 100}}
	// stealing says whether the product steals; steals, the rule itself,
	// is what split and gemm follow.
	stealing := func(s [3]int) bool {
		return (gemmMode == modePacked || gemmMode == modeRows) && steals(&gemmJob{m: s[0], n: s[1], k: s[2], ks: activeKernels}, Workers())
	}
	last := Workers() - 1
	var stolen, fromLast atomic.Int64
	var held atomic.Bool // the last thread has been held back once
	testSplit(t, 5, shapes, &gemmSteal, func(t *testing.T, s [3]int, on bool) {
		stolen.Store(0)
		fromLast.Store(0)
		held.Store(false)
		wait := stealing(s)
		// The last thread publishes its B late, so that the others must
		// wait for it before they take its row panels.
		testHookReady = func(member int) {
			if wait && member == last {
				time.Sleep(time.Millisecond)
			}
		}
		testHookSteal = func(member, owner int, claimed bool) {
			switch {
			case claimed && member != owner:
				stolen.Add(1)
				if owner == last {
					fromLast.Add(1)
				}
			case !claimed && wait && member == last && owner == last && held.CompareAndSwap(false, true):
				for start := time.Now(); fromLast.Load() == 0 && time.Since(start) < 10*time.Second; {
					runtime.Gosched()
				}
			}
		}
	}, func(t *testing.T, s [3]int, on bool) {
		want := stealing(s)
		tm := thePool().gj.team
		if got := tm != nil && tm.steal; got != want {
			t.Fatalf("steal = %v, want %v", got, want)
		}
		if want && fromLast.Load() == 0 {
			t.Fatalf("no row panel of the last thread's columns was taken by another")
		}
		if n := stolen.Load(); !want && n != 0 {
			t.Fatalf("%d row panels taken by other threads without stealing", n)
		}
	})
}
