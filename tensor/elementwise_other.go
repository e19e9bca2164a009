//go:build !amd64 || purego

package tensor

// elemFamilies lists the element-wise kernel families this build runs.
func elemFamilies() []int { return []int{elemGo} }

func adamKernel(w, g, m, v []float32, c *adamConsts) { adamGo(w, g, m, v, c) }

func reluKernel(x, y []float32) { reluGo(x, y) }

func reluBackwardKernel(dy, y, dx []float32) { reluBackwardGo(dy, y, dx) }

// colSumsKernel adds the sums of columns [c0, c1) of m to dst[c0:c1].
func colSumsKernel(dst []float32, m *Mat, c0, c1 int) { colSumsGo(dst, m, c0, c1) }

func axpyKernel(a float32, x, y []float32) { axpyGo(a, x, y) }

func scaleKernel(a float32, x []float32) { scaleGo(a, x) }

func colSquaresKernel(dst []float32, m *Mat, center []float32, c0, c1 int) {
	colSquaresGo(dst, m, center, c0, c1)
}

func colProductsKernel(dst []float32, a, b *Mat, c0, c1 int) { colProductsGo(dst, a, b, c0, c1) }

func normalizeKernel(x, mean, scale, gamma, beta, xhat, y []float32) {
	normalizeGo(x, mean, scale, gamma, beta, xhat, y)
}

func normalizeBackwardKernel(dy, xhat, meanDy, meanDyXhat, scale, dx []float32) {
	normalizeBackwardGo(dy, xhat, meanDy, meanDyXhat, scale, dx)
}

func expKernel(x []float32, shift float32)               { expGo(x, shift) }
func gegluKernel(a, b, y []float32)                      { gegluGo(a, b, y) }
func gegluTrainKernel(a, b, y, f, df []float32)          { gegluTrainGo(a, b, y, f, df) }
func gegluBackwardKernel(dy, a, f, df, da, db []float32) { gegluBackwardGo(dy, a, f, df, da, db) }
func regluKernel(a, b, y []float32)                      { regluGo(a, b, y) }
func regluBackwardKernel(dy, a, b, da, db []float32)     { regluBackwardGo(dy, a, b, da, db) }

func addKernel(a, b, dst []float32)                           { addGo(a, b, dst) }
func sumKernel(x []float32) float32                           { return sumGo(x) }
func sumSquaresKernel(x []float32, mean float32) float32      { return sumSquaresGo(x, mean) }
func gradSumsKernel(g, gamma, h []float32) (float32, float32) { return gradSumsGo(g, gamma, h) }
func normRowKernel(x, gamma, beta, xhat, y []float32, mean, inv float32) {
	normRowGo(x, gamma, beta, xhat, y, mean, inv)
}
func normRowBackKernel(g, gamma, h, dx []float32, mg, mgh, inv float32) {
	normRowBackGo(g, gamma, h, dx, mg, mgh, inv)
}
