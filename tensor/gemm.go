package tensor

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// transA and transB say. It is the one matrix multiply of the engine: every
// layer's forward and backward pass goes through it, so that a faster kernel
// speeds up all of them at once. A and B may be views; C must not overlap
// them. With beta == 0, C's previous contents are ignored (NaN included).
//
// Gemm panics if the shapes do not agree.
func Gemm(transA, transB bool, alpha float32, a, b *Mat, beta float32, c *Mat) {
	m, k := a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("tensor: Gemm shapes op(A) %d×%d, op(B) %d×%d, C %d×%d", m, k, kb, n, c.Rows, c.Cols))
	}
	gemmGeneric(transA, transB, alpha, a, b, beta, c)
}

// gemmGeneric is the plain reference implementation: loops ordered so that
// the innermost one walks contiguous memory.
func gemmGeneric(transA, transB bool, alpha float32, a, b *Mat, beta float32, c *Mat) {
	m, n := c.Rows, c.Cols
	k := a.Cols
	if transA {
		k = a.Rows
	}
	for i := range m {
		ci := c.Row(i)
		if beta == 0 {
			clear(ci)
		} else if beta != 1 {
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
	if alpha == 0 || k == 0 {
		return
	}
	switch {
	case !transA && !transB:
		for i := range m {
			ci := c.Row(i)
			ai := a.Row(i)
			for p, av := range ai {
				if av == 0 {
					continue
				}
				axpy(alpha*av, b.Row(p), ci)
			}
		}
	case !transA && transB:
		for i := range m {
			ci := c.Row(i)
			ai := a.Row(i)
			for j := range n {
				ci[j] += alpha * dot(ai, b.Row(j))
			}
		}
	case transA && !transB:
		for p := range k {
			ap := a.Row(p)
			bp := b.Row(p)
			for i := range m {
				if ap[i] == 0 {
					continue
				}
				axpy(alpha*ap[i], bp, c.Row(i))
			}
		}
	default:
		for i := range m {
			ci := c.Row(i)
			for j := range n {
				bj := b.Row(j)
				var s float32
				for p := range k {
					s += a.At(p, i) * bj[p]
				}
				ci[j] += alpha * s
			}
		}
	}
}

func axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
