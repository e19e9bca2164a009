package tensor

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// transA and transB say. It is the one matrix multiply of the engine: every
// layer's forward and backward pass goes through it, so that a faster kernel
// speeds up all of them at once. A and B may be views; C must not overlap
// them. With beta == 0, C's previous contents are ignored (NaN included);
// with alpha == 0, A and B are not read.
//
// Gemm runs blocked micro-kernels (AVX-512 or AVX2+FMA assembly, chosen at
// run time, or portable Go) on cache-sized packed copies of op(B), and of
// op(A) where A is transposed (an untransposed A is read where it lies, as
// are both operands of a small product), split between the worker pool's
// goroutines when the product is large enough (see [Parallel]). In steady
// state it allocates nothing. Gemm may be called from several goroutines at
// once; a call that finds the pool busy runs on its own goroutine.
//
// The assembly kernels treat subnormal numbers (below 2⁻¹²⁶ ≈ 1.2e-38) as
// zero, in their inputs and in their results: x86 computes on them about a
// hundred times slower, and a layer whose values decay into them would
// otherwise slow the whole step. The portable Go kernels compute them
// exactly (and slowly).
//
// Gemm panics if the shapes do not agree, or a matrix holds fewer values
// than its shape and stride need.
func Gemm(transA, transB bool, alpha float32, a, b *Mat, beta float32, c *Mat) {
	m, n, k := gemmShape("Gemm", transA, transB, a, b, c)
	gemm(gemmJob{m: m, n: n, k: k, transA: transA, transB: transB, a: a, b: b, c: c, alpha: alpha, beta: beta})
}

// Activation is an element-wise function that [GemmBias] applies to its
// result before storing it.
type Activation uint8

const (
	Identity Activation = iota // f(x) = x
	ReLU                       // f(x) = max(x, 0); NaN stays NaN
)

// GemmBias computes C = act(op(A)·op(B) + bias), with bias[j] added to
// column j (bias may be nil), as the forward pass of a linear layer. The
// bias and the activation are applied to each tile of C while it is still
// in registers, not as a second pass over C. C's previous contents are
// ignored. It panics if the shapes disagree or len(bias) != C.Cols.
func GemmBias(transA, transB bool, a, b *Mat, bias []float32, act Activation, c *Mat) {
	m, n, k := gemmShape("GemmBias", transA, transB, a, b, c)
	if bias != nil && len(bias) != n {
		panic(fmt.Sprintf("tensor: GemmBias bias of %d for %d columns", len(bias), n))
	}
	if act > ReLU {
		panic(fmt.Sprintf("tensor: GemmBias unknown activation %d", act))
	}
	gemm(gemmJob{m: m, n: n, k: k, transA: transA, transB: transB, a: a, b: b, c: c, alpha: 1, bias: bias, act: act})
}

// GemmReLUGrad computes C = op(A)·op(B) where gate > 0, and 0 elsewhere
// (NaN in gate included): the input gradient dz·Wᵀ of a linear layer whose
// input gate is the output of a ReLU, with that ReLU's backward pass
// ([ReLUBackward]) applied to each tile of C while it is in registers
// rather than as a pass of its own. The gate is compared exactly, as
// ReLUBackward compares it: a subnormal gate counts as positive, although
// the product itself flushes subnormals as Gemm does. gate has C's shape
// and may be a view; C must not overlap it, A or B. C's previous contents
// are ignored. It panics if the shapes disagree.
func GemmReLUGrad(transA, transB bool, a, b, gate, c *Mat) {
	m, n, k := gemmShape("GemmReLUGrad", transA, transB, a, b, c)
	if gate.Rows != m || gate.Cols != n {
		panic(fmt.Sprintf("tensor: GemmReLUGrad gate %d×%d for C %d×%d", gate.Rows, gate.Cols, m, n))
	}
	mustHold("GemmReLUGrad", gate)
	gemm(gemmJob{m: m, n: n, k: k, transA: transA, transB: transB, a: a, b: b, c: c, alpha: 1, gate: gate})
}

func gemmShape(op string, transA, transB bool, a, b, c *Mat) (m, n, k int) {
	m, k = a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("tensor: %s shapes op(A) %d×%d, op(B) %d×%d, C %d×%d", op, m, k, kb, n, c.Rows, c.Cols))
	}
	// The kernels read and write through pointers: a matrix whose data is
	// shorter than its shape must stop here, not in memory beyond it.
	mustHold(op, a)
	mustHold(op, b)
	mustHold(op, c)
	return m, n, k
}

// applyEpilogue sets C = act(beta·C + bias), zeroed where gate (if not
// nil) is not > 0, without a product: the whole of Gemm when alpha == 0 or
// k == 0.
func applyEpilogue(beta float32, bias []float32, act Activation, gate, c *Mat) {
	for i := range c.Rows {
		ci := c.Row(i)
		var gi []float32
		if gate != nil {
			gi = gate.Row(i)
		}
		for j := range ci {
			var v float32
			if beta != 0 {
				v = beta * ci[j]
			}
			if bias != nil {
				v += bias[j]
			}
			if act == ReLU && v < 0 {
				v = 0
			}
			if gi != nil && !(gi[j] > 0) {
				v = 0
			}
			ci[j] = v
		}
	}
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
				axpyGo(alpha*av, b.Row(p), ci)
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
				axpyGo(alpha*ap[i], bp, c.Row(i))
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

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}
