package tensor

import (
	"fmt"
	"sync/atomic"
)

// GemmStridedBatched computes batch independent products
//
//	C_i = alpha·op(A_i)·op(B_i) + beta·C_i,  i = 0 … batch−1,
//
// where A_i is the matrix that a describes (its Rows, Cols and Stride)
// moved i·strideA values further into a.Data, and likewise B_i and C_i.
// Attention needs it: one small product per example and head, such as the
// 15×15 scores of a head's 15 tokens, far too small to split.
//
// The products are shared between the worker pool's goroutines, each
// computing whole products one after the other with Gemm's kernels, rather
// than each product being split: a split of a product this small costs
// more than the product. The threads claim the products a few at a time as
// they go, so that one slowed down by the other tenants of the machine
// takes fewer. Otherwise it behaves as [Gemm] (subnormals, beta == 0,
// alpha == 0, no allocation in steady state).
//
// The C_i must not overlap each other, A or B (with strideC at least the
// extent of one C, or interleaved views that leave each other's columns
// alone). GemmStridedBatched panics if the shapes disagree, a stride or
// batch is negative, or a matrix holds fewer values than the last product
// of the batch needs.
func GemmStridedBatched(transA, transB bool, alpha float32, a *Mat, strideA int, b *Mat, strideB int, beta float32, c *Mat, strideC int, batch int) {
	if batch < 0 || strideA < 0 || strideB < 0 || strideC < 0 {
		panic(fmt.Sprintf("tensor: GemmStridedBatched batch %d, strides %d, %d, %d", batch, strideA, strideB, strideC))
	}
	if batch == 0 {
		return
	}
	m, n, k := gemmShape("GemmStridedBatched", transA, transB, a, b, c)
	mustHoldBatch(a, strideA, batch)
	mustHoldBatch(b, strideB, batch)
	mustHoldBatch(c, strideC, batch)
	if m == 0 || n == 0 {
		return
	}
	j := gemmJob{m: m, n: n, k: k, transA: transA, transB: transB, a: a, b: b, c: c, alpha: alpha, beta: beta}
	if alpha == 0 || k == 0 {
		var cv Mat
		for i := range batch {
			batchView(&cv, c, i*strideC)
			applyEpilogue(beta, nil, Identity, nil, &cv)
		}
		return
	}
	j.ks = activeKernels
	// Every product is computed by one thread from its share of the
	// batch: the kernels are chosen for the whole product.
	j.feed(m, n)

	p := thePool()
	if !p.mu.TryLock() {
		// The pool is busy (a nested or concurrent call): run alone.
		t := &batchedTask{}
		t.set(j, strideA, strideB, strideC, batch, 1)
		ws := spareWorkspaces.Get().(*workspace)
		t.runPart(0, 1, ws)
		spareWorkspaces.Put(ws)
		return
	}
	parts := min(p.n, batch)
	if m*n*k*batch < parallelMinWork {
		parts = 1
	}
	t := &p.bt
	t.set(j, strideA, strideB, strideC, batch, parts)
	if parts == 1 {
		t.runPart(0, 1, p.ws[0])
	} else {
		p.run(parts, t)
	}
	t.job = gemmJob{}
	p.mu.Unlock()
}

// batchedClaims is about how many times each thread claims products from
// a batch: enough for a thread slowed down by another tenant to leave
// work to the others, few enough that the shared counter is not contended.
const batchedClaims = 8

// mustHoldBatch panics if m's data is too short for the last of batch
// matrices of m's shape, stride values apart.
func mustHoldBatch(m *Mat, stride, batch int) {
	if m.Rows == 0 || m.Cols == 0 {
		return
	}
	if need := (batch-1)*stride + (m.Rows-1)*m.Stride + m.Cols; len(m.Data) < need {
		panic(fmt.Sprintf("tensor: GemmStridedBatched %d matrices %d×%d (stride %d) %d apart over %d values",
			batch, m.Rows, m.Cols, m.Stride, stride, len(m.Data)))
	}
}

// batchedTask is one GemmStridedBatched call: the first product as a job,
// the strides to the others.
type batchedTask struct {
	job          gemmJob
	sa, sb, sc   int
	batch        int
	parts, chunk int
	next         atomic.Int64 // the next product to claim
}

// set readies t for a call of batch products, shared by parts threads.
func (t *batchedTask) set(j gemmJob, sa, sb, sc, batch, parts int) {
	t.job, t.sa, t.sb, t.sc, t.batch, t.parts = j, sa, sb, sc, batch, parts
	t.chunk = max(1, batch/(parts*batchedClaims))
	t.next.Store(0)
}

// batchView makes v the matrix of m's shape off values further into
// m.Data.
func batchView(v, m *Mat, off int) {
	*v = Mat{Rows: m.Rows, Cols: m.Cols, Stride: m.Stride}
	v.Data = m.Data[off : off+(m.Rows-1)*m.Stride+m.Cols]
}

func (t *batchedTask) runPart(part, parts int, ws *workspace) {
	j := &ws.batchJob
	*j = t.job
	j.a, j.b, j.c = &ws.batchA, &ws.batchB, &ws.batchC
	for {
		lo := int(t.next.Add(int64(t.chunk))) - t.chunk
		if lo >= t.batch {
			break
		}
		for i := lo; i < min(lo+t.chunk, t.batch); i++ {
			batchView(j.a, t.job.a, i*t.sa)
			batchView(j.b, t.job.b, i*t.sb)
			batchView(j.c, t.job.c, i*t.sc)
			if j.small() {
				ws.runSmall(j)
			} else {
				ws.run(j, 0, j.m, 0, j.n, nil, 0, nil)
			}
		}
	}
	// Drop the references to the caller's matrices.
	*j = gemmJob{}
	ws.batchA, ws.batchB, ws.batchC = Mat{}, Mat{}, Mat{}
}

// small reports whether each product fits one block of k and one panel of
// columns (attention's heads: 15×15 by 24, say), for runSmall.
func (j *gemmJob) small() bool { return j.k <= j.ks.kc && j.n <= j.ks.nr }

// runSmall computes one small product with the direct kernels, B packed
// only when it is transposed (or the kernels cannot mask its columns), and
// without the blocking of run, whose bookkeeping cost several times the
// arithmetic of such products: FT-Transformer's heads of 24 spent a sixth
// of a training step in them. The kernels and the order of the sums are
// those of run.
func (ws *workspace) runSmall(j *gemmJob) {
	ks := j.ks
	p := &ws.args
	*p = kernelArgs{k: j.k, alpha: j.alpha, beta: j.beta, ldc: j.c.Stride * 4}
	var flags uint64
	if j.alpha != 1 {
		flags |= flagScale
	}
	if j.beta != 0 {
		flags |= flagLoadC
	}
	if j.n < ks.nr {
		flags |= flagPartial
	}
	if j.transB || !ks.maskB {
		buf := aligned(&ws.bufB, j.k*ks.nr)
		ks.packB(buf, j.b, j.transB, 0, j.k, 0, j.n, ks.nr)
		p.b, p.ldb = &buf[0], ks.nr*4
	} else {
		p.b, p.ldb = &j.b.Data[0], j.b.Stride*4
	}
	p.nr, p.mask, p.cmask = j.n, 1<<j.n-1, &laneMasks[16-min(j.n, 16)]
	lda := j.a.Stride
	for ir := 0; ir < j.m; ir += ks.mr {
		mr := min(ks.mr, j.m-ir)
		if j.transA {
			p.a, p.rsa, p.csa = &j.a.Data[ir], 4, lda*4
		} else {
			p.a, p.rsa, p.csa = &j.a.Data[ir*lda], lda*4, 4
		}
		p.c, p.mr, p.flags = &j.c.Data[ir*j.c.Stride], mr, flags
		ks.direct[mr](p)
	}
	*p = kernelArgs{}
}
