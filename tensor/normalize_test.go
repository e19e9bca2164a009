package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// normShapes are the matrix shapes of the normalisation tests: around the
// vector widths and the blocks of the column reductions (8 vectors), and
// large enough to be split over the pool by rows or by columns.
func normShapes() [][2]int {
	s := [][2]int{{0, 7}, {300, 0}, {1, 65537}, {1024, 512}, {5000, 3}, {4096, 20}}
	for _, r := range []int{1, 3, 64, 67} {
		for _, c := range elemLengths[:len(elemLengths)-1] {
			s = append(s, [2]int{r, c})
		}
	}
	return s
}

func TestAddColumnSquaresAndProducts(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 32))
		for _, s := range normShapes() {
			for _, pad := range []int{0, 5} {
				r, c := s[0], s[1]
				// A large common offset in the columns: the deviations must
				// keep their precision.
				m, checkM := guardedMat(r, c, pad, func() float32 { return float32(100 + rng.NormFloat64()) })
				b, checkB := guardedMat(r, c, 3*pad, normal(rng, 1))
				center := make([]float32, c)
				for j := range center {
					center[j] = float32(100 + 0.1*rng.NormFloat64())
				}
				sq, checkSq := guarded(c, normal(rng, 1))
				pr, checkPr := guarded(c, normal(rng, 1))
				wantSq := append([]float32(nil), sq...)
				wantPr := append([]float32(nil), pr...)
				exactSq, exactPr := make([]float64, c), make([]float64, c)
				magSq, magPr := make([]float64, c), make([]float64, c)
				for j := range c {
					exactSq[j], magSq[j] = float64(sq[j]), math.Abs(float64(sq[j]))
					exactPr[j], magPr[j] = float64(pr[j]), math.Abs(float64(pr[j]))
				}
				for i := range r {
					for j := range c {
						e := m.At(i, j) - center[j]
						wantSq[j] += float32(e * e)
						wantPr[j] += float32(m.At(i, j) * b.At(i, j))
						e64 := float64(m.At(i, j)) - float64(center[j])
						exactSq[j] += e64 * e64
						magSq[j] += e64 * e64
						p := float64(m.At(i, j)) * float64(b.At(i, j))
						exactPr[j] += p
						magPr[j] += math.Abs(p)
					}
				}
				AddColumnSquares(sq, m, center)
				AddColumnProducts(pr, m, b)
				checkM(t)
				checkB(t)
				checkSq(t)
				checkPr(t)
				for j := range c {
					if sq[j] != wantSq[j] || pr[j] != wantPr[j] {
						t.Fatalf("%d×%d pad %d, column %d: squares %g (want %g), products %g (want %g)",
							r, c, pad, j, sq[j], wantSq[j], pr[j], wantPr[j])
					}
					// Each rounding is at most 2⁻²⁴ of the sum of magnitudes.
					if d := math.Abs(float64(sq[j]) - exactSq[j]); d > float64(r+2)*0x1p-24*magSq[j] {
						t.Fatalf("%d×%d: squares of column %d = %g, off the exact %g by %g", r, c, j, sq[j], exactSq[j], d)
					}
					if d := math.Abs(float64(pr[j]) - exactPr[j]); d > float64(r+2)*0x1p-24*magPr[j] {
						t.Fatalf("%d×%d: products of column %d = %g, off the exact %g by %g", r, c, j, pr[j], exactPr[j], d)
					}
				}
			}
		}
	})
}

func TestNormalizeColumns(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(33, 34))
		for _, s := range normShapes() {
			for _, v := range matVariants {
				r, c := s[0], s[1]
				vec := func(scale, off float64) []float32 {
					x := make([]float32, c)
					for j := range x {
						x[j] = float32(off + scale*rng.NormFloat64())
					}
					return x
				}
				mean, scale, gamma, beta := vec(1, 0), vec(0.2, 1), vec(0.3, 1), vec(1, 0)
				x, checkX := guardedMat(r, c, v.pads[0], special(rng))
				xhat, checkH := guardedMat(r, c, v.pads[1], normal(rng, 1))
				y, checkY := guardedMat(r, c, v.pads[2], normal(rng, 1))
				if v.alias {
					y = x
				}
				wantH, wantY := New(r, c), New(r, c)
				for i := range r {
					normalizeGo(x.Row(i), mean, scale, gamma, beta, wantH.Row(i), wantY.Row(i))
				}
				NormalizeColumns(x, mean, scale, gamma, beta, xhat, y)
				checkX(t)
				checkH(t)
				checkY(t)
				for i := range r {
					for j := range c {
						h := wantH.At(i, j)
						if !sameBits(xhat.At(i, j), h) || !sameBits(y.At(i, j), wantY.At(i, j)) {
							t.Fatalf("%s %d×%d at (%d, %d): xhat %g y %g, want %g %g", v.name, r, c, i, j,
								xhat.At(i, j), y.At(i, j), h, wantY.At(i, j))
						}
					}
				}
				dy, checkDy := guardedMat(r, c, v.pads[0], normal(rng, 1))
				dx, checkDx := guardedMat(r, c, v.pads[2], normal(rng, 1))
				if v.alias {
					dx = dy
				}
				md, mdx := vec(0.1, 0), vec(0.1, 0)
				wantDx := New(r, c)
				for i := range r {
					normalizeBackwardGo(dy.Row(i), xhat.Row(i), md, mdx, scale, wantDx.Row(i))
				}
				NormalizeColumnsBackward(dy, xhat, md, mdx, scale, dx)
				checkDy(t)
				checkDx(t)
				for i := range r {
					for j := range c {
						if !sameBits(dx.At(i, j), wantDx.At(i, j)) {
							t.Fatalf("%s %d×%d at (%d, %d): dx %g, want %g", v.name, r, c, i, j, dx.At(i, j), wantDx.At(i, j))
						}
					}
				}
			}
		}
	})
}

// TestNormalizeGoReference checks the Go loops, which the assembly is
// tested against, with float64 arithmetic.
func TestNormalizeGoReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	const n = 1000
	v := func() []float32 {
		x := make([]float32, n)
		for j := range x {
			x[j] = float32(rng.NormFloat64())
		}
		return x
	}
	x, mean, scale, gamma, beta, dy, md, mdx := v(), v(), v(), v(), v(), v(), v(), v()
	xhat, y, dx := make([]float32, n), make([]float32, n), make([]float32, n)
	normalizeGo(x, mean, scale, gamma, beta, xhat, y)
	normalizeBackwardGo(dy, xhat, md, mdx, scale, dx)
	close := func(got float32, want, mag float64) bool { return math.Abs(float64(got)-want) <= 4*0x1p-24*mag+1e-30 }
	for j := range n {
		d := float64(x[j]) - float64(mean[j])
		h := d * float64(scale[j])
		if !close(xhat[j], h, math.Abs(h)) {
			t.Fatalf("xhat[%d] = %g, want %g", j, xhat[j], h)
		}
		w := float64(xhat[j])*float64(gamma[j]) + float64(beta[j])
		if !close(y[j], w, math.Abs(float64(xhat[j])*float64(gamma[j]))+math.Abs(float64(beta[j]))) {
			t.Fatalf("y[%d] = %g, want %g", j, y[j], w)
		}
		g := (float64(dy[j]) - float64(md[j]) - float64(xhat[j])*float64(mdx[j])) * float64(scale[j])
		mag := (math.Abs(float64(dy[j])) + math.Abs(float64(md[j])) + math.Abs(float64(xhat[j])*float64(mdx[j]))) * math.Abs(float64(scale[j]))
		if !close(dx[j], g, mag) {
			t.Fatalf("dx[%d] = %g, want %g", j, dx[j], g)
		}
	}
}

// TestNormalizeWorkers: the results are the same whether the pool splits
// the work or one goroutine does it all.
func TestNormalizeWorkers(t *testing.T) {
	rng := rand.New(rand.NewPCG(37, 38))
	x, b, v := randMat(rng, 256, 520, 3), randMat(rng, 256, 520, 0), randMat(rng, 4, 520, 0)
	run := func() (sq, pr []float32, y *Mat) {
		sq, pr, y = make([]float32, 520), make([]float32, 520), New(256, 520)
		AddColumnSquares(sq, x, v.Row(0))
		AddColumnProducts(pr, x, b)
		NormalizeColumns(x, v.Row(0), v.Row(1), v.Row(2), v.Row(3), New(256, 520), y)
		return
	}
	sq1, pr1, y1 := run()
	p := thePool()
	p.mu.Lock() // a busy pool makes the calls run on this goroutine alone
	sq2, pr2, y2 := run()
	p.mu.Unlock()
	for j := range sq1 {
		if sq1[j] != sq2[j] || pr1[j] != pr2[j] {
			t.Fatalf("column %d: %g %g split, %g %g alone", j, sq1[j], pr1[j], sq2[j], pr2[j])
		}
	}
	for i := range y1.Data {
		if !sameBits(y1.Data[i], y2.Data[i]) {
			t.Fatalf("y[%d]: %g split, %g alone", i, y1.Data[i], y2.Data[i])
		}
	}
}

func TestNormalizePanics(t *testing.T) {
	v3 := make([]float32, 3)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"AddColumnSquares", func() { AddColumnSquares(v3, New(2, 3), make([]float32, 2)) }},
		{"AddColumnSquares/short", func() {
			AddColumnSquares(v3, &Mat{Rows: 2, Cols: 3, Stride: 3, Data: make([]float32, 5)}, v3)
		}},
		{"AddColumnProducts", func() { AddColumnProducts(v3, New(2, 3), New(3, 3)) }},
		{"NormalizeColumns", func() { NormalizeColumns(New(2, 3), v3, v3, v3, make([]float32, 4), New(2, 3), New(2, 3)) }},
		{"NormalizeColumnsBackward", func() { NormalizeColumnsBackward(New(2, 3), New(2, 3), v3, v3, v3, New(2, 4)) }},
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
