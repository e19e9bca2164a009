package metrics

import "math"

// RMSE returns the root mean squared error, √((1/N) Σᵢ (y[i] - yhat[i])²).
//
// The errors are scaled by a power of two near the largest of them before
// squaring, so the result neither overflows for errors near 1e200 nor
// underflows for errors near 1e-200; the scaling itself is exact.
//
// RMSE returns NaN if y is empty or any error is NaN, and +Inf if an error
// is infinite. It panics if y and yhat differ in length.
func RMSE(y, yhat []float64) float64 {
	checkLen("y", "yhat", len(y), len(yhat))
	if len(y) == 0 {
		return math.NaN()
	}
	var largest float64
	for i, v := range y {
		d := math.Abs(v - yhat[i])
		if math.IsNaN(d) {
			return math.NaN()
		}
		largest = max(largest, d)
	}
	if largest == 0 || math.IsInf(largest, 1) {
		return largest
	}
	_, exp := math.Frexp(largest)
	var s compensatedSum
	for i, v := range y {
		d := math.Ldexp(v-yhat[i], -exp)
		s.add(d * d)
	}
	return math.Ldexp(math.Sqrt(s.value()/float64(len(y))), exp)
}

// MAE returns the mean absolute error, (1/N) Σᵢ |y[i] - yhat[i]|.
//
// MAE returns NaN if y is empty or any error is NaN. It panics if y and yhat
// differ in length.
func MAE(y, yhat []float64) float64 {
	checkLen("y", "yhat", len(y), len(yhat))
	if len(y) == 0 {
		return math.NaN()
	}
	var s compensatedSum
	for i, v := range y {
		s.add(math.Abs(v - yhat[i]))
	}
	return s.value() / float64(len(y))
}

// R2 returns the coefficient of determination,
//
//	R² = 1 - SS_res/SS_tot,  SS_res = Σᵢ (y[i] - yhat[i])²,  SS_tot = Σᵢ (y[i] - ȳ)².
//
// It is 1 for a perfect prediction, 0 for predicting the mean of y, and
// negative for predictions worse than the mean.
//
// R² is undefined when y is constant (SS_tot = 0), and R2 then returns NaN
// whatever yhat is. scikit-learn's r2_score instead returns 1 or 0 in that
// case unless force_finite=False. A constant y is detected exactly: SS_tot
// is computed from y - y[0] in two passes, so n copies of 0.1 give
// SS_tot = 0 rather than a rounding residue, and a large common offset in y
// costs no precision.
//
// R2 returns NaN if y is empty, has one element, or holds a NaN or ±Inf. It
// panics if y and yhat differ in length.
func R2(y, yhat []float64) float64 {
	checkLen("y", "yhat", len(y), len(yhat))
	n := float64(len(y))
	if len(y) == 0 {
		return math.NaN()
	}
	y0 := y[0]
	var s compensatedSum
	for _, v := range y {
		s.add(v - y0)
	}
	mean := s.value() / n // mean of y - y0

	// SS_tot by the corrected two-pass algorithm: the second term removes
	// the rounding error left in mean.
	var tot, dev, res compensatedSum
	for i, v := range y {
		d := (v - y0) - mean
		tot.add(d * d)
		dev.add(d)
		r := v - yhat[i]
		res.add(r * r)
	}
	ssTot := tot.value() - dev.value()*dev.value()/n
	if !(ssTot > 0) {
		return math.NaN()
	}
	return 1 - res.value()/ssTot
}
