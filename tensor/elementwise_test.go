package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"
)

// elemLengths are the slice lengths every element-wise kernel is tested on:
// around the AVX2 (8) and AVX-512 (16) vector widths and the 4-vector
// steps, and large enough (65537) to be split over the pool.
var elemLengths = []int{0, 1, 7, 15, 16, 17, 31, 33, 255, 257, 1000, 65537}

// elemShapes are the matrix shapes, besides 1×n for each of elemLengths.
var elemShapes = [][2]int{{0, 5}, {5, 0}, {1, 1}, {3, 7}, {17, 33}, {33, 17}, {64, 257}, {256, 512}, {1000, 31}, {3, 65537}}

// forEachElemKernel runs f with each element-wise kernel family that this
// CPU and build can run.
func forEachElemKernel(t *testing.T, f func(t *testing.T)) {
	for _, name := range elemKernelNames() {
		t.Run(name, func(t *testing.T) {
			restore, _ := useElemKernels(name)
			defer restore()
			f(t)
		})
	}
}

// canary fills the memory around the operands; a kernel that writes past
// an edge changes it.
var canary = math.Float32frombits(0x7fedcba9)

const guardLen = 40 // more than two AVX-512 vectors

// guarded returns a slice of n values from gen inside a buffer with
// guardLen canaries on each side, and a check that they are intact.
func guarded(n int, gen func() float32) ([]float32, func(t *testing.T)) {
	buf := make([]float32, n+2*guardLen)
	for i := range buf {
		buf[i] = canary
	}
	s := buf[guardLen : guardLen+n : guardLen+n]
	for i := range s {
		s[i] = gen()
	}
	return s, func(t *testing.T) {
		t.Helper()
		for i, v := range buf {
			if (i < guardLen || i >= guardLen+n) && math.Float32bits(v) != math.Float32bits(canary) {
				t.Fatalf("value written outside the %d elements, at %d", n, i-guardLen)
			}
		}
	}
}

// guardedMat returns an r×c matrix of values from gen whose rows are pad
// values apart (a view when pad > 0), followed by guardLen more values;
// everything outside the matrix is a canary, and check tests that it is
// intact.
func guardedMat(r, c, pad int, gen func() float32) (*Mat, func(t *testing.T)) {
	stride := c + pad
	buf := make([]float32, r*stride+guardLen)
	for i := range buf {
		buf[i] = canary
	}
	m := &Mat{Rows: r, Cols: c, Stride: stride}
	if r > 0 {
		m.Data = buf[:(r-1)*stride+c]
	}
	inside := func(i int) bool { return stride > 0 && i/stride < r && i%stride < c }
	for i := range buf {
		if inside(i) {
			buf[i] = gen()
		}
	}
	return m, func(t *testing.T) {
		t.Helper()
		for i, v := range buf {
			if !inside(i) && math.Float32bits(v) != math.Float32bits(canary) {
				t.Fatalf("%d×%d (pad %d): value written outside the matrix, at %d", r, c, pad, i)
			}
		}
	}
}

// special returns N(0,1) values with, now and then, a value that a kernel
// could mishandle: ±0, ±Inf, NaN, subnormals, the smallest normal.
func special(rng *rand.Rand) func() float32 {
	odd := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, -1e-40, 0x1p-126, -0x1p-126}
	return func() float32 {
		if rng.IntN(8) == 0 {
			return odd[rng.IntN(len(odd))]
		}
		return float32(rng.NormFloat64())
	}
}

func normal(rng *rand.Rand, scale float64) func() float32 {
	return func() float32 { return float32(scale * rng.NormFloat64()) }
}

// sameBits reports whether a and b are the same float32, counting any two
// NaNs as the same (their payloads depend on operand order).
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// matVariant is how the operands of a matrix test are laid out.
type matVariant struct {
	name  string
	pads  [3]int // row padding of each operand
	alias bool   // the output is the first input
}

var matVariants = []matVariant{
	{"contiguous", [3]int{0, 0, 0}, false},
	{"views", [3]int{3, 1, 16}, false},
	{"mixed", [3]int{0, 5, 0}, false},
	{"in-place", [3]int{0, 0, 0}, true},
	{"in-place-views", [3]int{7, 2, 7}, true},
}

func matShapes() [][2]int {
	s := append([][2]int(nil), elemShapes...)
	for _, n := range elemLengths {
		s = append(s, [2]int{1, n})
	}
	return s
}

func TestReLUForward(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, s := range matShapes() {
			for _, mv := range matVariants {
				r, c := s[0], s[1]
				x, checkX := guardedMat(r, c, mv.pads[0], special(rng))
				want := make([]float32, r*c)
				for i := range r {
					for j := range c {
						// The reference: an element below zero becomes 0.
						v := x.At(i, j)
						if v < 0 {
							v = 0
						}
						want[i*c+j] = v
					}
				}
				y, checkY := x, checkX
				if !mv.alias {
					y, checkY = guardedMat(r, c, mv.pads[1], special(rng))
				}
				ReLUForward(x, y)
				checkX(t)
				checkY(t)
				for i := range r {
					for j := range c {
						if got := y.At(i, j); !sameBits(got, want[i*c+j]) {
							t.Fatalf("%d×%d %s: y[%d,%d] = %g, want %g", r, c, mv.name, i, j, got, want[i*c+j])
						}
					}
				}
			}
		}
	})
}

func TestReLUBackward(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, s := range matShapes() {
			for _, mv := range matVariants {
				r, c := s[0], s[1]
				dy, checkDY := guardedMat(r, c, mv.pads[0], special(rng))
				y, checkY := guardedMat(r, c, mv.pads[1], special(rng))
				want := make([]float32, r*c)
				for i := range r {
					for j := range c {
						// The reference: dy where y > 0, else 0.
						if y.At(i, j) > 0 {
							want[i*c+j] = dy.At(i, j)
						}
					}
				}
				dx, checkDX := dy, checkDY
				if !mv.alias {
					dx, checkDX = guardedMat(r, c, mv.pads[2], special(rng))
				}
				ReLUBackward(dy, y, dx)
				checkDY(t)
				checkY(t)
				checkDX(t)
				for i := range r {
					for j := range c {
						if got := dx.At(i, j); !sameBits(got, want[i*c+j]) {
							t.Fatalf("%d×%d %s: dx[%d,%d] = %g, want %g (dy %g, y %g)", r, c, mv.name, i, j, got, want[i*c+j], dy.At(i, j), y.At(i, j))
						}
					}
				}
			}
		}
	})
}

// TestReLUBackwardAliasY: dx may be y itself.
func TestReLUBackwardAliasY(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		dy, y := randMat(rng, 40, 70, 3), randMat(rng, 40, 70, 3)
		want := New(40, 70)
		for i := range 40 {
			for j := range 70 {
				if y.At(i, j) > 0 {
					want.Set(i, j, dy.At(i, j))
				}
			}
		}
		ReLUBackward(dy, y, y)
		for i := range 40 {
			for j := range 70 {
				if y.At(i, j) != want.At(i, j) {
					t.Fatalf("dx[%d,%d] = %g, want %g", i, j, y.At(i, j), want.At(i, j))
				}
			}
		}
	})
}

func TestAddColumnSums(t *testing.T) {
	shapes := [][2]int{{0, 7}, {300, 0}, {1, 65537}, {1024, 512}, {5000, 3}, {4096, 20}}
	for _, r := range []int{1, 3, 64, 67, 300} {
		for _, c := range elemLengths[:len(elemLengths)-1] {
			shapes = append(shapes, [2]int{r, c})
		}
	}
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, s := range shapes {
			for _, pad := range []int{0, 5, 16} {
				r, c := s[0], s[1]
				m, checkM := guardedMat(r, c, pad, normal(rng, 1))
				dst, checkDst := guarded(c, normal(rng, 10))
				// The float32 reference adds the rows in order; the float64 one
				// bounds its rounding error.
				want := append([]float32(nil), dst...)
				want64 := make([]float64, c)
				mag := make([]float64, c)
				for j := range c {
					want64[j], mag[j] = float64(dst[j]), math.Abs(float64(dst[j]))
				}
				for i := range r {
					for j := range c {
						want[j] += m.At(i, j)
						want64[j] += float64(m.At(i, j))
						mag[j] += math.Abs(float64(m.At(i, j)))
					}
				}
				AddColumnSums(dst, m)
				checkM(t)
				checkDst(t)
				for j := range c {
					if dst[j] != want[j] {
						t.Fatalf("%d×%d pad %d: dst[%d] = %g, want %g", r, c, pad, j, dst[j], want[j])
					}
					if d := math.Abs(float64(dst[j]) - want64[j]); d > float64(r)*0x1p-24*mag[j] {
						t.Fatalf("%d×%d pad %d: dst[%d] = %g, off the exact sum %g by %g", r, c, pad, j, dst[j], want64[j], d)
					}
				}
			}
		}
	})
}

// TestAddColumnSumsWorkers: the sums are the same whether the pool splits
// the columns or one goroutine does them all.
func TestAddColumnSumsWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m := randMat(rng, 256, 520, 3)
	split := make([]float32, 520)
	AddColumnSums(split, m)
	p := thePool()
	p.mu.Lock() // a busy pool makes the call run on this goroutine alone
	alone := make([]float32, 520)
	AddColumnSums(alone, m)
	p.mu.Unlock()
	for j := range split {
		if split[j] != alone[j] {
			t.Fatalf("column %d: %g split, %g alone", j, split[j], alone[j])
		}
	}
}

func TestAxpy(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, n := range elemLengths {
			for _, a := range []float32{0, 1, -0.37, 1e3} {
				x, checkX := guarded(n, normal(rng, 1))
				y, checkY := guarded(n, normal(rng, 1))
				want := make([]float32, n)
				for i := range n {
					want[i] = y[i] + float32(a*x[i])
				}
				y0 := append([]float32(nil), y...)
				Axpy(a, x, y)
				checkX(t)
				checkY(t)
				for i := range n {
					if y[i] != want[i] {
						t.Fatalf("n=%d a=%g: y[%d] = %g, want %g", n, a, i, y[i], want[i])
					}
					exact := float64(y0[i]) + float64(a)*float64(x[i])
					mag := math.Abs(float64(y0[i])) + math.Abs(float64(a)*float64(x[i]))
					if d := math.Abs(float64(y[i]) - exact); d > 2*0x1p-24*mag {
						t.Fatalf("n=%d a=%g: y[%d] = %g, off %g by %g", n, a, i, y[i], exact, d)
					}
				}
			}
		}
	})
}

func TestScale(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, n := range elemLengths {
			for _, a := range []float32{0, 1, -0.37, 1e3} {
				x, checkX := guarded(n, normal(rng, 1))
				want := make([]float32, n)
				for i := range n {
					want[i] = x[i] * a
				}
				x0 := append([]float32(nil), x...)
				Scale(a, x)
				checkX(t)
				for i := range n {
					if x[i] != want[i] {
						t.Fatalf("n=%d a=%g: x[%d] = %g, want %g", n, a, i, x[i], want[i])
					}
					exact := float64(x0[i]) * float64(a)
					if d := math.Abs(float64(x[i]) - exact); d > 0x1p-24*math.Abs(exact) {
						t.Fatalf("n=%d a=%g: x[%d] = %g, off %g by %g", n, a, i, x[i], exact, d)
					}
				}
			}
		}
	})
}

// adamCases are parameter sets of Adam (with L2 decay), AdamW and plain
// Adam at step 3, and an unusual set with every term large.
func adamCases() []struct {
	name string
	p    AdamParams
} {
	const lr, wd, t = 1e-3, 0.01, 3
	c1, c2 := 1-math.Pow(0.9, t), 1-math.Pow(0.999, t)
	base := AdamParams{Beta1: 0.9, Beta2: 0.999, Step: float32(lr * math.Sqrt(c2) / c1), Eps: float32(1e-8 * math.Sqrt(c2)), Decay: 1}
	adam, adamW := base, base
	adam.L2 = wd
	adamW.Decay = float32(1 - lr*wd)
	return []struct {
		name string
		p    AdamParams
	}{
		{"plain", base}, {"adam-l2", adam}, {"adamw", adamW},
		{"large", AdamParams{Beta1: 0.5, Beta2: 0.75, Step: 0.1, Eps: 1e-3, L2: 0.3, Decay: 0.97}},
	}
}

// refAdam is the reference: the formula of AdamUpdate in float32, each
// operation rounded in the documented order (the explicit conversions stop
// a compiler from fusing a multiply-add).
func refAdam(w, g, m, v []float32, p AdamParams) {
	for j := range w {
		gj := g[j]
		if p.L2 != 0 {
			gj += float32(p.L2 * w[j])
		}
		mj := float32(p.Beta1*m[j]) + float32((1-p.Beta1)*gj)
		vj := float32(p.Beta2*v[j]) + float32(float32((1-p.Beta2)*gj)*gj)
		if math.Abs(float64(mj)) < 0x1p-126 {
			mj = 0
		}
		if math.Abs(float64(vj)) < 0x1p-126 {
			vj = 0
		}
		wj := float32(p.Decay*w[j]) - float32(p.Step*mj)/(float32(math.Sqrt(float64(vj)))+p.Eps)
		if math.Abs(float64(wj)) < 0x1p-126 {
			wj = 0
		}
		w[j], m[j], v[j] = wj, mj, vj
	}
}

// adamInputs returns w, g, m, v of length n (guarded), with moments of a
// plausible size, and a few NaN and infinite gradients.
func adamInputs(rng *rand.Rand, n int) (s [4][]float32, check [4]func(*testing.T)) {
	gens := [4]func() float32{normal(rng, 1), normal(rng, 1), normal(rng, 0.1), func() float32 {
		x := rng.NormFloat64()
		return float32(0.01 * x * x)
	}}
	for i := range s {
		s[i], check[i] = guarded(n, gens[i])
	}
	if n > 100 {
		s[1][50] = float32(math.NaN())
		s[1][77] = float32(math.Inf(-1))
	}
	return s, check
}

func TestAdamUpdate(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		for _, tc := range adamCases() {
			rng := rand.New(rand.NewPCG(15, 16))
			for _, n := range elemLengths {
				s, check := adamInputs(rng, n)
				var want, orig [4][]float32
				for i := range s {
					want[i] = append([]float32(nil), s[i]...)
					orig[i] = append([]float32(nil), s[i]...)
				}
				refAdam(want[0], want[1], want[2], want[3], tc.p)
				AdamUpdate(s[0], s[1], s[2], s[3], tc.p)
				for _, c := range check {
					c(t)
				}
				for i, name := range []string{"w", "g", "m", "v"} {
					for j := range n {
						if !sameBits(s[i][j], want[i][j]) {
							t.Fatalf("%s n=%d: %s[%d] = %g, want %g", tc.name, n, name, j, s[i][j], want[i][j])
						}
					}
				}
				checkAdam64(t, orig, s, tc.p)
			}
		}
	})
}

// checkAdam64 compares an update with the same formula in float64: each
// result within a few float32 roundings of the magnitudes of its terms.
func checkAdam64(t *testing.T, in, out [4][]float32, p AdamParams) {
	t.Helper()
	const eps = 0x1p-24
	b1, b2, l2, decay, step := float64(p.Beta1), float64(p.Beta2), float64(p.L2), float64(p.Decay), float64(p.Step)
	for j := range in[0] {
		w, g, m, v := float64(in[0][j]), float64(in[1][j]), float64(in[2][j]), float64(in[3][j])
		if math.IsNaN(g) || math.IsInf(g, 0) {
			continue
		}
		g2 := g + l2*w
		gm := math.Abs(g) + math.Abs(l2*w)
		m2 := b1*m + (1-b1)*g2
		mm := math.Abs(b1*m) + (1-b1)*gm
		v2 := b2*v + (1-b2)*g2*g2
		vm := b2*v + (1-b2)*gm*gm
		d := math.Sqrt(v2) + float64(p.Eps)
		w2 := decay*w - step*m2/d
		// The quotient is off by the error of m, and by that of v relative
		// to v (halved by the square root).
		ratio := 1.0
		if v2 > 0 {
			ratio = vm / v2
		}
		wm := math.Abs(decay*w) + step*mm/d + step*math.Abs(m2)/d*ratio
		for _, c := range []struct {
			name           string
			got, want, mag float64
		}{{"m", float64(out[2][j]), m2, mm}, {"v", float64(out[3][j]), v2, vm}, {"w", float64(out[0][j]), w2, wm}} {
			if math.Abs(c.got-c.want) > 8*eps*c.mag+0x1p-126 {
				t.Fatalf("%s[%d] = %g, float64 formula gives %g", c.name, j, c.got, c.want)
			}
		}
	}
}

// optimAdamStep is optim.Adam.Step as it was written before AdamUpdate
// (optim imports nn, which imports tensor, so it is copied here): the
// update that AdamUpdate must reproduce bitwise.
func optimAdamStep(w, g, m, v []float32, lr, beta1, beta2, eps, weightDecay float64, decoupled bool, t int) {
	flush := func(v float32) float32 {
		if v < 0x1p-126 && v > -0x1p-126 {
			return 0
		}
		return v
	}
	b1, b2 := float32(beta1), float32(beta2)
	c1 := 1 - math.Pow(beta1, float64(t))
	c2 := 1 - math.Pow(beta2, float64(t))
	step := float32(lr * math.Sqrt(c2) / c1)
	epsc := float32(eps * math.Sqrt(c2))
	wd := float32(weightDecay)
	decay := float32(1 - lr*weightDecay)
	for j := range w {
		gj := g[j]
		if wd != 0 {
			if decoupled {
				w[j] *= decay
			} else {
				gj += wd * w[j]
			}
		}
		mj := flush(b1*m[j] + (1-b1)*gj)
		vj := flush(b2*v[j] + (1-b2)*gj*gj)
		m[j], v[j] = mj, vj
		w[j] = flush(w[j] - step*mj/(float32(math.Sqrt(float64(vj)))+epsc))
	}
}

// TestAdamUpdateMatchesOptim runs ten steps of Adam, AdamW and plain Adam
// both ways, with the parameters derived as optim derives them.
func TestAdamUpdateMatchesOptim(t *testing.T) {
	const lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
	forEachElemKernel(t, func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			wd        float64
			decoupled bool
		}{{"adam", 0, false}, {"adam-l2", 0.01, false}, {"adamw", 0.01, true}} {
			rng := rand.New(rand.NewPCG(17, 18))
			const n = 40000 // split over the pool
			s, _ := adamInputs(rng, n)
			s[2], s[3] = make([]float32, n), make([]float32, n)
			var ref [4][]float32
			for i := range s {
				ref[i] = append([]float32(nil), s[i]...)
			}
			for step := 1; step <= 10; step++ {
				optimAdamStep(ref[0], ref[1], ref[2], ref[3], lr, b1, b2, eps, tc.wd, tc.decoupled, step)
				c1, c2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
				p := AdamParams{Beta1: b1, Beta2: b2, Step: float32(lr * math.Sqrt(c2) / c1), Eps: float32(eps * math.Sqrt(c2)), Decay: 1}
				if tc.decoupled {
					p.Decay = float32(1 - lr*tc.wd)
				} else {
					p.L2 = float32(tc.wd)
				}
				AdamUpdate(s[0], s[1], s[2], s[3], p)
				for i, name := range []string{"w", "g", "m", "v"} {
					for j := range n {
						if !sameBits(s[i][j], ref[i][j]) {
							t.Fatalf("%s step %d: %s[%d] = %g, optim gives %g", tc.name, step, name, j, s[i][j], ref[i][j])
						}
					}
				}
				for j := range s[1] {
					s[1][j] = float32(rng.NormFloat64())
					ref[1][j] = s[1][j]
				}
			}
		}
	})
}

// TestAdamUpdateFlush: moments and weights that decay below the smallest
// normal float32 become zero on every path; the assembly, which also
// treats subnormal intermediate results as zero, stays within the smallest
// normal of the Go loop.
func TestAdamUpdateFlush(t *testing.T) {
	const tiny = 0x1p-126
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(19, 20))
		const n = 1000
		var s [4][]float32
		for i := range s {
			s[i] = make([]float32, n)
		}
		for j := range n {
			// Magnitudes from 2⁻¹³⁵ to 2⁻¹¹⁵, gradients tiny or zero.
			e := func() float32 { return float32(math.Ldexp(rng.Float64()+0.5, -135+rng.IntN(20))) }
			s[0][j], s[2][j], s[3][j] = e(), e(), e()
			if j%2 == 0 {
				s[2][j] = -s[2][j]
				s[1][j] = float32(math.Ldexp(rng.NormFloat64(), -70))
			}
		}
		want := [4][]float32{}
		for i := range s {
			want[i] = append([]float32(nil), s[i]...)
		}
		p := AdamParams{Beta1: 0.9, Beta2: 0.999, Step: 1e-30, Eps: 1e-8, Decay: 1}
		for range 30 {
			refAdam(want[0], want[1], want[2], want[3], p)
			AdamUpdate(s[0], s[1], s[2], s[3], p)
		}
		for i, name := range []string{"w", "g", "m", "v"} {
			for j := range n {
				got := s[i][j]
				if got != 0 && math.Abs(float64(got)) < tiny {
					t.Fatalf("%s[%d] = %g is subnormal", name, j, got)
				}
				if d := math.Abs(float64(got) - float64(want[i][j])); d > tiny {
					t.Fatalf("%s[%d] = %g, want %g", name, j, got, want[i][j])
				}
			}
		}
	})
}

// TestElementwiseSubnormals: the assembly treats subnormal inputs and
// results of arithmetic as zero; the Go loops compute them. Either way a
// result is within the smallest normal of the exact one.
func TestElementwiseSubnormals(t *testing.T) {
	const tiny = 0x1p-126
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		x := make([]float32, 100)
		for i := range x {
			x[i] = float32(math.Ldexp(rng.NormFloat64(), -127))
		}
		y := append([]float32(nil), x...)
		Scale(0.5, y)
		for i := range y {
			if d := math.Abs(float64(y[i]) - float64(x[i])/2); d > tiny {
				t.Fatalf("Scale: %g, want %g", y[i], x[i]/2)
			}
		}
		y = append(y[:0], x...)
		Axpy(-0.75, x, y)
		for i := range y {
			if d := math.Abs(float64(y[i]) - float64(x[i])/4); d > 2*tiny {
				t.Fatalf("Axpy: %g, want %g", y[i], x[i]/4)
			}
		}
		sums := make([]float32, 10)
		AddColumnSums(sums, FromSlice(10, 10, x))
		for j := range sums {
			var s float64
			for i := range 10 {
				s += float64(x[i*10+j])
			}
			if d := math.Abs(float64(sums[j]) - s); d > 10*tiny {
				t.Fatalf("AddColumnSums: %g, want %g", sums[j], s)
			}
		}
	})
}

func TestElementwisePanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"AdamUpdate", func() {
			AdamUpdate(make([]float32, 3), make([]float32, 3), make([]float32, 2), make([]float32, 3), AdamParams{})
		}},
		{"ReLUForward", func() { ReLUForward(New(2, 3), New(3, 2)) }},
		{"ReLUBackward", func() { ReLUBackward(New(2, 3), New(2, 3), New(2, 4)) }},
		{"AddColumnSums", func() { AddColumnSums(make([]float32, 4), New(2, 3)) }},
		{"AddColumnSums/short", func() { AddColumnSums(make([]float32, 3), &Mat{Rows: 2, Cols: 3, Stride: 3, Data: make([]float32, 5)}) }},
		{"Axpy", func() { Axpy(1, make([]float32, 3), make([]float32, 4)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.f()
		})
	}
}

// TestElementwiseAllocs: none of the kernels allocates, run alone or split
// over the pool.
func TestElementwiseAllocs(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{1000, 262144} {
			for _, pad := range []int{0, 3} {
				x, y, dx := randMat(rng, n/512+1, 512, pad), randMat(rng, n/512+1, 512, pad), randMat(rng, n/512+1, 512, 0)
				s, _ := adamInputs(rng, n)
				dst := make([]float32, 512)
				p := adamCases()[2].p
				ReLUForward(x, y) // start the pool
				cases := map[string]func(){
					"AdamUpdate":               func() { AdamUpdate(s[0], s[1], s[2], s[3], p) },
					"ReLUForward":              func() { ReLUForward(x, y) },
					"ReLUBackward":             func() { ReLUBackward(x, y, dx) },
					"AddColumnSums":            func() { AddColumnSums(dst, x) },
					"Axpy":                     func() { Axpy(0.5, s[0], s[1]) },
					"Scale":                    func() { Scale(0.5, s[0]) },
					"AddColumnSquares":         func() { AddColumnSquares(dst, x, y.Row(0)) },
					"AddColumnProducts":        func() { AddColumnProducts(dst, x, y) },
					"NormalizeColumns":         func() { NormalizeColumns(x, dst, dst, dst, dst, y, dx) },
					"NormalizeColumnsBackward": func() { NormalizeColumnsBackward(x, y, dst, dst, dst, dx) },
				}
				for name, f := range cases {
					if a := testing.AllocsPerRun(20, f); a != 0 {
						t.Errorf("%s n=%d pad=%d: %v allocations per call", name, n, pad, a)
					}
				}
			}
		}
	})
}

// TestElementwiseConcurrent calls the kernels from several goroutines at
// once and from inside a Parallel task: the calls that find the pool busy
// compute alone.
func TestElementwiseConcurrent(t *testing.T) {
	const n = 100000
	rng := rand.New(rand.NewPCG(25, 26))
	in, _ := adamInputs(rng, n)
	want := [4][]float32{}
	for i := range in {
		want[i] = append([]float32(nil), in[i]...)
	}
	p := adamCases()[1].p
	refAdam(want[0], want[1], want[2], want[3], p)
	check := func(s [4][]float32) error {
		for i := range s {
			for j := range s[i] {
				if !sameBits(s[i][j], want[i][j]) {
					return fmt.Errorf("slice %d, element %d: %g, want %g", i, j, s[i][j], want[i][j])
				}
			}
		}
		return nil
	}
	copies := func() (s [4][]float32) {
		for i := range s {
			s[i] = append([]float32(nil), in[i]...)
		}
		return s
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				s := copies()
				AdamUpdate(s[0], s[1], s[2], s[3], p)
				if err := check(s); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	nt := &nestedAdam{p: p}
	for i := range nt.s {
		nt.s[i] = copies()
	}
	Parallel(len(nt.s), 1, nt)
	for _, s := range nt.s {
		if err := check(s); err != nil {
			t.Fatal(err)
		}
	}
}

type nestedAdam struct {
	s [3][4][]float32
	p AdamParams
}

func (t *nestedAdam) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		s := t.s[i]
		AdamUpdate(s[0], s[1], s[2], s[3], t.p)
	}
}

// TestAdamConstsLayout pins the offsets that the assembly kernels use
// (internal/asmgen/elementwise.go).
func TestAdamConstsLayout(t *testing.T) {
	var c adamConsts
	got := []uintptr{unsafe.Offsetof(c.beta1), unsafe.Offsetof(c.oneBeta1), unsafe.Offsetof(c.beta2), unsafe.Offsetof(c.oneBeta2),
		unsafe.Offsetof(c.step), unsafe.Offsetof(c.eps), unsafe.Offsetof(c.l2), unsafe.Offsetof(c.decay)}
	for i, off := range got {
		if off != uintptr(4*i) {
			t.Fatalf("adamConsts field %d at offset %d, asmgen says %d", i, off, 4*i)
		}
	}
}
