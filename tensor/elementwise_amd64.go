//go:build amd64 && !purego

package tensor

import "golang.org/x/sys/cpu"

// The AVX-512 kernels use AVX512DQ (VFPCLASSPS) and BMI2 (SHLX for the
// tail masks); the AVX2 ones use only AVX, but a CPU with AVX and no AVX2
// is old enough to take Go.
func init() {
	elemFamily = elemFamilies()[0]
}

// elemFamilies lists the element-wise kernel families this CPU runs, best
// first.
func elemFamilies() []int {
	var f []int
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasBMI2 {
		f = append(f, elemAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		f = append(f, elemAVX2)
	}
	return append(f, elemGo)
}

// The dispatchers take slices of equal, non-zero length (colSumsKernel: a
// non-empty column range of a matrix with rows).

func adamKernel(w, g, m, v []float32, c *adamConsts) {
	switch elemFamily {
	case elemAVX512:
		adamAVX512(&w[0], &g[0], &m[0], &v[0], len(w), c)
	case elemAVX2:
		adamAVX2(&w[0], &g[0], &m[0], &v[0], len(w), c)
	default:
		adamGo(w, g, m, v, c)
	}
}

func reluKernel(x, y []float32) {
	switch elemFamily {
	case elemAVX512:
		reluAVX512(&x[0], &y[0], len(x))
	case elemAVX2:
		reluAVX2(&x[0], &y[0], len(x))
	default:
		reluGo(x, y)
	}
}

func reluBackwardKernel(dy, y, dx []float32) {
	switch elemFamily {
	case elemAVX512:
		reluBackwardAVX512(&dy[0], &y[0], &dx[0], len(dy))
	case elemAVX2:
		reluBackwardAVX2(&dy[0], &y[0], &dx[0], len(dy))
	default:
		reluBackwardGo(dy, y, dx)
	}
}

// colSumsKernel adds the sums of columns [c0, c1) of m to dst[c0:c1].
func colSumsKernel(dst []float32, m *Mat, c0, c1 int) {
	switch elemFamily {
	case elemAVX512:
		colSumsAVX512(&dst[c0], &m.Data[c0], m.Rows, c1-c0, m.Stride)
	case elemAVX2:
		colSumsAVX2(&dst[c0], &m.Data[c0], m.Rows, c1-c0, m.Stride)
	default:
		colSumsGo(dst, m, c0, c1)
	}
}

func axpyKernel(a float32, x, y []float32) {
	switch elemFamily {
	case elemAVX512:
		axpyAVX512(a, &x[0], &y[0], len(x))
	case elemAVX2:
		axpyAVX2(a, &x[0], &y[0], len(x))
	default:
		axpyGo(a, x, y)
	}
}

func scaleKernel(a float32, x []float32) {
	switch elemFamily {
	case elemAVX512:
		scaleAVX512(a, &x[0], len(x))
	case elemAVX2:
		scaleAVX2(a, &x[0], len(x))
	default:
		scaleGo(a, x)
	}
}

// colSquaresKernel adds the squared deviations of columns [c0, c1) of m
// from center to dst[c0:c1].
func colSquaresKernel(dst []float32, m *Mat, center []float32, c0, c1 int) {
	switch elemFamily {
	case elemAVX512:
		colSquaresAVX512(&dst[c0], &m.Data[c0], &center[c0], m.Rows, c1-c0, m.Stride)
	case elemAVX2:
		colSquaresAVX2(&dst[c0], &m.Data[c0], &center[c0], m.Rows, c1-c0, m.Stride)
	default:
		colSquaresGo(dst, m, center, c0, c1)
	}
}

// colProductsKernel adds the column sums of a·b over columns [c0, c1) to
// dst[c0:c1].
func colProductsKernel(dst []float32, a, b *Mat, c0, c1 int) {
	switch elemFamily {
	case elemAVX512:
		colProductsAVX512(&dst[c0], &a.Data[c0], &b.Data[c0], a.Rows, c1-c0, a.Stride, b.Stride)
	case elemAVX2:
		colProductsAVX2(&dst[c0], &a.Data[c0], &b.Data[c0], a.Rows, c1-c0, a.Stride, b.Stride)
	default:
		colProductsGo(dst, a, b, c0, c1)
	}
}

func normalizeKernel(x, mean, scale, gamma, beta, xhat, y []float32) {
	switch elemFamily {
	case elemAVX512:
		normalizeAVX512(&x[0], &mean[0], &scale[0], &gamma[0], &beta[0], &xhat[0], &y[0], len(x))
	case elemAVX2:
		normalizeAVX2(&x[0], &mean[0], &scale[0], &gamma[0], &beta[0], &xhat[0], &y[0], len(x))
	default:
		normalizeGo(x, mean, scale, gamma, beta, xhat, y)
	}
}

func normalizeBackwardKernel(dy, xhat, meanDy, meanDyXhat, scale, dx []float32) {
	switch elemFamily {
	case elemAVX512:
		normalizeBackwardAVX512(&dy[0], &xhat[0], &meanDy[0], &meanDyXhat[0], &scale[0], &dx[0], len(dy))
	case elemAVX2:
		normalizeBackwardAVX2(&dy[0], &xhat[0], &meanDy[0], &meanDyXhat[0], &scale[0], &dx[0], len(dy))
	default:
		normalizeBackwardGo(dy, xhat, meanDy, meanDyXhat, scale, dx)
	}
}

// The activation kernels have AVX-512 forms only (activation.go).

func expKernel(x []float32, shift float32) {
	if elemFamily == elemAVX512 {
		expAVX512(&x[0], shift, len(x))
		return
	}
	expGo(x, shift)
}

func gegluKernel(a, b, y []float32) {
	if elemFamily == elemAVX512 {
		gegluAVX512(&a[0], &b[0], &y[0], nil, nil, len(a))
		return
	}
	gegluGo(a, b, y)
}

func gegluTrainKernel(a, b, y, f, df []float32) {
	if elemFamily == elemAVX512 {
		gegluTrainAVX512(&a[0], &b[0], &y[0], &f[0], &df[0], len(a))
		return
	}
	gegluTrainGo(a, b, y, f, df)
}

func gegluBackwardKernel(dy, a, f, df, da, db []float32) {
	if elemFamily == elemAVX512 {
		gegluBackwardAVX512(&dy[0], &a[0], &f[0], &df[0], &da[0], &db[0], len(dy))
		return
	}
	gegluBackwardGo(dy, a, f, df, da, db)
}

func regluKernel(a, b, y []float32) {
	if elemFamily == elemAVX512 {
		regluAVX512(&a[0], &b[0], &y[0], len(a))
		return
	}
	regluGo(a, b, y)
}

func regluBackwardKernel(dy, a, b, da, db []float32) {
	if elemFamily == elemAVX512 {
		regluBackwardAVX512(&dy[0], &a[0], &b[0], &da[0], &db[0], len(dy))
		return
	}
	regluBackwardGo(dy, a, b, da, db)
}

// The row-normalisation kernels have AVX-512 forms only (rownorm.go).

func addKernel(a, b, dst []float32) {
	if elemFamily == elemAVX512 {
		addAVX512(&a[0], &b[0], &dst[0], len(a))
		return
	}
	addGo(a, b, dst)
}

func sumKernel(x []float32) float32 {
	if elemFamily == elemAVX512 {
		return sumAVX512(&x[0], len(x))
	}
	return sumGo(x)
}

func sumSquaresKernel(x []float32, mean float32) float32 {
	if elemFamily == elemAVX512 {
		return sumSquaresAVX512(&x[0], mean, len(x))
	}
	return sumSquaresGo(x, mean)
}

func gradSumsKernel(g, gamma, h []float32) (float32, float32) {
	if elemFamily == elemAVX512 {
		return gradSumsAVX512(&g[0], &gamma[0], &h[0], len(g))
	}
	return gradSumsGo(g, gamma, h)
}

func normRowKernel(x, gamma, beta, xhat, y []float32, mean, inv float32) {
	if elemFamily == elemAVX512 {
		normRowAVX512(&x[0], &gamma[0], &beta[0], &xhat[0], &y[0], mean, inv, len(x))
		return
	}
	normRowGo(x, gamma, beta, xhat, y, mean, inv)
}

func normRowBackKernel(g, gamma, h, dx []float32, mg, mgh, inv float32) {
	if elemFamily == elemAVX512 {
		normRowBackwardAVX512(&g[0], &gamma[0], &h[0], &dx[0], mg, mgh, inv, len(g))
		return
	}
	normRowBackGo(g, gamma, h, dx, mg, mgh, inv)
}
