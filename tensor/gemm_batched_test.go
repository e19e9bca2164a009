package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// batchedCase is a strided batch of products whose matrices sit gap
// matrices apart (gap = 0: back to back) inside row-padded storage.
type batchedCase struct {
	m, n, k, batch int
	transA, transB bool
	alpha, beta    float32
	a, b, c0       *Mat // the first product's operands, as passed
	sa, sb, sc     int
}

func newBatchedCase(rng *rand.Rand, m, n, k, batch int, transA, transB bool, alpha, beta float32, pad int) *batchedCase {
	g := &batchedCase{m: m, n: n, k: k, batch: batch, transA: transA, transB: transB, alpha: alpha, beta: beta}
	mk := func(r, c int) (*Mat, int) {
		stride := c + pad
		extent := r * stride
		w := New(batch*r, stride) // batch matrices of r rows, one after the other
		for i := range w.Data {
			w.Data[i] = float32(rng.NormFloat64())
		}
		return &Mat{Rows: r, Cols: c, Stride: stride, Data: w.Data}, extent
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	g.a, g.sa = mk(ar, ac)
	g.b, g.sb = mk(br, bc)
	g.c0, g.sc = mk(m, n)
	return g
}

// item returns product i's matrix of the batch that m starts.
func item(m *Mat, stride, i int) *Mat {
	v := new(Mat)
	batchView(v, m, i*stride)
	return v
}

func (g *batchedCase) check(t *testing.T) {
	t.Helper()
	c := &Mat{Rows: g.c0.Rows, Cols: g.c0.Cols, Stride: g.c0.Stride, Data: append([]float32(nil), g.c0.Data...)}
	GemmStridedBatched(g.transA, g.transB, g.alpha, g.a, g.sa, g.b, g.sb, g.beta, c, g.sc, g.batch)
	for i := range g.batch {
		want, mag := refGemm(g.transA, g.transB, float64(g.alpha), item(g.a, g.sa, i), item(g.b, g.sb, i),
			float64(g.beta), item(g.c0, g.sc, i), nil, Identity)
		checkGemm(t, item(c, g.sc, i), g.k, want, mag)
	}
	// The padding between and after the matrices of C is left alone.
	for i := range g.batch {
		for r := range g.m {
			for j := g.n; j < g.c0.Stride; j++ {
				if o := i*g.sc + r*g.c0.Stride + j; c.Data[o] != g.c0.Data[o] {
					t.Fatalf("padding of C overwritten at %d", o)
				}
			}
		}
	}
}

func TestGemmStridedBatched(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	shapes := [][4]int{ // m, n, k, batch
		{15, 15, 24, 64}, {15, 24, 15, 64}, {16, 16, 16, 33}, {1, 1, 1, 5}, {7, 33, 5, 3},
		{13, 40, 70, 9}, {50, 70, 80, 4}, {3, 5, 2, 1}, {15, 15, 24, 2048},
	}
	scalars := [][2]float32{{1, 0}, {0.5, 1}, {1, 1}, {-1.5, 0.5}}
	for si, s := range shapes {
		for tr := range 4 {
			ta, tb := tr&1 != 0, tr&2 != 0
			ab := scalars[(si+tr)%len(scalars)]
			pad := (si + tr) % 3
			g := newBatchedCase(rng, s[0], s[1], s[2], s[3], ta, tb, ab[0], ab[1], pad)
			name := fmt.Sprintf("%dx%dx%d*%d/tA=%v/tB=%v/alpha=%v/beta=%v/pad=%d", s[0], s[1], s[2], s[3], ta, tb, ab[0], ab[1], pad)
			t.Run(name, func(t *testing.T) {
				if s[3] > 100 {
					g.check(t) // the auto choice only: large
					return
				}
				forEachKernel(t, g.check)
			})
		}
	}
}

// The heads of attention: products over interleaved column blocks of
// token matrices, (B·T)×(h·dh), one batch per head, as nn's attention
// calls it: S = Q·Kᵀ and O = P·V.
func TestGemmStridedBatchedHeads(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const B, T, h, dh = 37, 15, 4, 8
	d := h * dh
	q, k := randMat(rng, B*T, d, 0), randMat(rng, B*T, d, 0)
	s := New(h*B*T, T)
	o := New(B*T, d)
	for hh := range h {
		qv, kv := q.ColView(hh*dh, (hh+1)*dh), k.ColView(hh*dh, (hh+1)*dh)
		qv.Rows, kv.Rows = T, T
		sv := s.RowView(hh*B*T, hh*B*T+T)
		sv.Data = s.Data[hh*B*T*T:]
		GemmStridedBatched(false, true, 0.25, qv, T*d, kv, T*d, 0, sv, T*T, B)
		ov := o.ColView(hh*dh, (hh+1)*dh)
		ov.Rows = T
		GemmStridedBatched(false, false, 1, sv, T*T, kv, T*d, 0, ov, T*d, B)
	}
	for b := range B {
		for hh := range h {
			qb := q.RowView(b*T, (b+1)*T).ColView(hh*dh, (hh+1)*dh)
			kb := k.RowView(b*T, (b+1)*T).ColView(hh*dh, (hh+1)*dh)
			sb := s.RowView((hh*B+b)*T, (hh*B+b+1)*T)
			want, mag := refGemm(false, true, 0.25, qb, kb, 0, sb, nil, Identity)
			checkGemm(t, sb, dh, want, mag)
			ob := o.RowView(b*T, (b+1)*T).ColView(hh*dh, (hh+1)*dh)
			want, mag = refGemm(false, false, 1, sb, kb, 0, ob, nil, Identity)
			checkGemm(t, ob, T, want, mag)
		}
	}
}

// From inside a parallel region the pool is busy: the batch runs on the
// calling goroutine, with the same results.
func TestGemmStridedBatchedNested(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	g := newBatchedCase(rng, 15, 15, 24, 40, false, true, 1, 0, 1)
	nt := &nestedBatched{g: g, t: t}
	Parallel(2, 1, nt)
}

type nestedBatched struct {
	g *batchedCase
	t *testing.T
}

func (n *nestedBatched) Run(lo, hi int) {
	for range hi - lo {
		c := &Mat{Rows: n.g.c0.Rows, Cols: n.g.c0.Cols, Stride: n.g.c0.Stride, Data: make([]float32, len(n.g.c0.Data))}
		GemmStridedBatched(n.g.transA, n.g.transB, 1, n.g.a, n.g.sa, n.g.b, n.g.sb, 0, c, n.g.sc, n.g.batch)
		for i := range n.g.batch {
			want, mag := refGemm(n.g.transA, n.g.transB, 1, item(n.g.a, n.g.sa, i), item(n.g.b, n.g.sb, i), 0, item(c, n.g.sc, i), nil, Identity)
			checkGemm(n.t, item(c, n.g.sc, i), n.g.k, want, mag)
		}
	}
}

func TestGemmStridedBatchedSpecial(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	// alpha == 0 scales C by beta, as Gemm does; batch 0 does nothing.
	g := newBatchedCase(rng, 5, 6, 7, 3, false, false, 0, 0.5, 0)
	g.check(t)
	GemmStridedBatched(false, false, 1, g.a, g.sa, g.b, g.sb, 0, g.c0, g.sc, 0)

	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	panics("short C", func() {
		GemmStridedBatched(false, false, 1, g.a, g.sa, g.b, g.sb, 0, g.c0, g.sc+1, 3)
	})
	panics("negative stride", func() {
		GemmStridedBatched(false, false, 1, g.a, -1, g.b, g.sb, 0, g.c0, g.sc, 3)
	})
	panics("shapes", func() {
		GemmStridedBatched(true, false, 1, g.a, g.sa, g.b, g.sb, 0, g.c0, g.sc, 3)
	})
}

func TestGemmStridedBatchedAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, s := range [][4]int{{15, 15, 24, 512}, {15, 24, 15, 2}, {40, 40, 40, 64}} {
		for tr := range 4 {
			g := newBatchedCase(rng, s[0], s[1], s[2], s[3], tr&1 != 0, tr&2 != 0, 1, 0, 0)
			call := func() {
				GemmStridedBatched(g.transA, g.transB, 1, g.a, g.sa, g.b, g.sb, 0, g.c0, g.sc, g.batch)
			}
			call()
			if n := testing.AllocsPerRun(20, call); n != 0 {
				t.Errorf("%v tr=%d: %v allocations per call", s, tr, n)
			}
		}
	}
}

// BenchmarkGemmStridedBatched: the products of one attention layer's head
// at FT-Transformer's shapes (15 tokens, 24 values per head, batch 256),
// scores Q·Kᵀ and context P·V.
func BenchmarkGemmStridedBatched(b *testing.B) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, c := range []struct {
		name string
		tb   bool
		k    int
		n    int
	}{{"QKt", true, 24, 15}, {"PV", false, 15, 24}} {
		g := newBatchedCase(rng, 15, c.n, c.k, 256*8, false, c.tb, 1, 0, 0)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				GemmStridedBatched(g.transA, g.transB, 1, g.a, g.sa, g.b, g.sb, 0, g.c0, g.sc, g.batch)
			}
			b.ReportMetric(float64(2*g.m*g.n*g.k*g.batch)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
