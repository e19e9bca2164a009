package tensor

import "fmt"

// The kernels of batch normalisation: the column statistics of a batch,
// the normalisation of its rows, and the backward pass. Like the other
// element-wise kernels (see elementwise.go) each has a Go loop, which is
// the reference, and AVX-512 and AVX2 forms that round every operation as
// the loop does, so that the paths agree bitwise on normal numbers.

// AddColumnSquares adds the squared deviations of each column of m from
// center to dst: dst[j] += Σᵢ (m[i,j] − center[j])², the difference and
// its square each rounded to float32, the rows added in order. With center
// the column means, it is the batch variance times the number of rows,
// computed in two passes so that a column with a large mean and a small
// spread keeps its precision. Wide matrices are split over the worker pool
// by blocks of columns. It panics if len(dst) or len(center) != m.Cols.
func AddColumnSquares(dst []float32, m *Mat, center []float32) {
	if len(dst) != m.Cols || len(center) != m.Cols {
		panic(fmt.Sprintf("tensor: AddColumnSquares of %d columns into %d (center %d)", m.Cols, len(dst), len(center)))
	}
	if m.Rows == 0 || m.Cols == 0 {
		return
	}
	mustHold("AddColumnSquares", m)
	runColumns(elemTask{op: opColSquares, s: [4][]float32{dst, center}, m: [3]*Mat{m}}, m)
}

// AddColumnProducts adds the column sums of the element-wise product of a
// and b to dst: dst[j] += Σᵢ a[i,j]·b[i,j], each product rounded to float32
// and the rows added in order. It panics if the shapes differ or
// len(dst) != a.Cols.
func AddColumnProducts(dst []float32, a, b *Mat) {
	mustSameShape("AddColumnProducts", a, b)
	if len(dst) != a.Cols {
		panic(fmt.Sprintf("tensor: AddColumnProducts of %d columns into %d", a.Cols, len(dst)))
	}
	if a.Rows == 0 || a.Cols == 0 {
		return
	}
	mustHold("AddColumnProducts", a)
	mustHold("AddColumnProducts", b)
	runColumns(elemTask{op: opColProducts, s: [4][]float32{dst}, m: [3]*Mat{a, b}}, a)
}

// NormalizeColumns normalises the columns of x with given statistics and
// applies an affine map, the forward pass of batch normalisation:
//
//	xhat[i,j] = (x[i,j] − mean[j])·scale[j]
//	y[i,j]    = xhat[i,j]·gamma[j] + beta[j]
//
// each operation rounded to float32 (scale is 1/√(var+ε)). xhat and y must
// have x's shape; y may be x itself. Large matrices are split over the
// worker pool by rows. It panics if the shapes or lengths disagree.
func NormalizeColumns(x *Mat, mean, scale, gamma, beta []float32, xhat, y *Mat) {
	mustSameShape("NormalizeColumns", x, xhat)
	mustSameShape("NormalizeColumns", x, y)
	for _, v := range [][]float32{mean, scale, gamma, beta} {
		if len(v) != x.Cols {
			panic(fmt.Sprintf("tensor: NormalizeColumns of %d columns with a vector of %d", x.Cols, len(v)))
		}
	}
	if x.Rows == 0 || x.Cols == 0 {
		return
	}
	t := elemTask{op: opNormalize, s: [4][]float32{mean, scale, gamma, beta}, m: [3]*Mat{x, xhat, y}}
	runElem(t, x.Rows*x.Cols, x.Rows, reluGrain)
}

// NormalizeColumnsBackward is the backward pass of [NormalizeColumns]
// through the batch statistics, given the column means of dy and of
// dy·xhat:
//
//	dx[i,j] = ((dy[i,j] − meanDy[j]) − xhat[i,j]·meanDyXhat[j])·scale[j]
//
// each operation rounded to float32 (scale is gamma/√(var+ε); with the two
// means zero, it is the backward pass with fixed statistics). dx must have
// dy's shape and may be dy itself. It panics if the shapes or lengths
// disagree.
func NormalizeColumnsBackward(dy, xhat *Mat, meanDy, meanDyXhat, scale []float32, dx *Mat) {
	mustSameShape("NormalizeColumnsBackward", dy, xhat)
	mustSameShape("NormalizeColumnsBackward", dy, dx)
	for _, v := range [][]float32{meanDy, meanDyXhat, scale} {
		if len(v) != dy.Cols {
			panic(fmt.Sprintf("tensor: NormalizeColumnsBackward of %d columns with a vector of %d", dy.Cols, len(v)))
		}
	}
	if dy.Rows == 0 || dy.Cols == 0 {
		return
	}
	t := elemTask{op: opNormalizeBackward, s: [4][]float32{meanDy, meanDyXhat, scale}, m: [3]*Mat{dy, xhat, dx}}
	runElem(t, dy.Rows*dy.Cols, dy.Rows, reluGrain)
}

// runColumns runs a column reduction (AddColumnSums, AddColumnSquares,
// AddColumnProducts) over the columns of m, split over the pool by blocks
// of columns when m is large.
func runColumns(t elemTask, m *Mat) {
	n := m.Rows * m.Cols
	units := (m.Cols + colBlock - 1) / colBlock
	runElem(t, n, units, colSumsGrain)
}

// runNormalize runs the rows [lo, hi) of a row-wise normalisation task.
func (t *elemTask) runNormalize(lo, hi int) {
	s := t.s
	for i := lo; i < hi; i++ {
		if t.op == opNormalize {
			normalizeKernel(t.m[0].Row(i), s[0], s[1], s[2], s[3], t.m[1].Row(i), t.m[2].Row(i))
		} else {
			normalizeBackwardKernel(t.m[0].Row(i), t.m[1].Row(i), s[0], s[1], s[2], t.m[2].Row(i))
		}
	}
}

// runColumnReduction runs the column blocks [lo, hi) of a reduction task.
func (t *elemTask) runColumnReduction(lo, hi int) {
	c0, c1 := lo*colBlock, min(hi*colBlock, t.m[0].Cols)
	switch t.op {
	case opColSums:
		colSumsKernel(t.s[0], t.m[0], c0, c1)
	case opColSquares:
		colSquaresKernel(t.s[0], t.m[0], t.s[1], c0, c1)
	default:
		colProductsKernel(t.s[0], t.m[0], t.m[1], c0, c1)
	}
}

// The Go kernels. Products that feed a sum are converted to float32
// explicitly, so that no compiler fuses them into a multiply-add.

// colSquaresGo adds the squared deviations of columns [c0, c1) of m from
// center to dst.
func colSquaresGo(dst []float32, m *Mat, center []float32, c0, c1 int) {
	d, c := dst[c0:c1], center[c0:c1]
	for i := range m.Rows {
		r := m.Row(i)[c0:c1]
		r = r[:len(d)]
		for j, v := range r {
			e := v - c[j]
			d[j] += float32(e * e)
		}
	}
}

// colProductsGo adds the column sums of a·b over columns [c0, c1) to dst.
func colProductsGo(dst []float32, a, b *Mat, c0, c1 int) {
	d := dst[c0:c1]
	for i := range a.Rows {
		ra, rb := a.Row(i)[c0:c1], b.Row(i)[c0:c1]
		ra, rb = ra[:len(d)], rb[:len(d)]
		for j, v := range ra {
			d[j] += float32(v * rb[j])
		}
	}
}

// normalizeGo is one row of NormalizeColumns.
func normalizeGo(x, mean, scale, gamma, beta, xhat, y []float32) {
	n := len(x)
	mean, scale, gamma, beta = mean[:n], scale[:n], gamma[:n], beta[:n]
	xhat, y = xhat[:n], y[:n]
	for j, v := range x {
		h := float32((v - mean[j]) * scale[j])
		xhat[j] = h
		y[j] = float32(h*gamma[j]) + beta[j]
	}
}

// normalizeBackwardGo is one row of NormalizeColumnsBackward.
func normalizeBackwardGo(dy, xhat, meanDy, meanDyXhat, scale, dx []float32) {
	n := len(dy)
	xhat, meanDy, meanDyXhat, scale, dx = xhat[:n], meanDy[:n], meanDyXhat[:n], scale[:n], dx[:n]
	for j, g := range dy {
		dx[j] = ((g - meanDy[j]) - float32(xhat[j]*meanDyXhat[j])) * scale[j]
	}
}
