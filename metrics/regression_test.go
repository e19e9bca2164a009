package metrics

import (
	"math"
	"testing"
)

// The scikit-learn docstring examples of mean_squared_error,
// mean_absolute_error and r2_score share these values.
var (
	sklearnY    = []float64{3, -0.5, 2, 7}
	sklearnYhat = []float64{2.5, 0.0, 2, 8}
)

func TestRMSE(t *testing.T) {
	tests := []struct {
		name    string
		y, yhat []float64
		want    float64
		tol     float64
	}{
		// Errors 0.5, -0.5, 0, -1: MSE = (0.25+0.25+0+1)/4 = 0.375, the
		// docstring's mean_squared_error.
		{name: "SklearnDocExample", y: sklearnY, yhat: sklearnYhat, want: math.Sqrt(0.375), tol: 1e-16},
		// Errors 3 and 4: √((9+16)/2) = √12.5.
		{name: "ThreeFour", y: []float64{3, 0}, yhat: []float64{0, 4}, want: math.Sqrt(12.5), tol: 1e-15},
		{name: "Perfect", y: []float64{1, 2, 3}, yhat: []float64{1, 2, 3}, want: 0},
		// Squaring 1e200 overflows; the scaled sum gives the exact answer.
		{name: "HugeErrors", y: []float64{1e200, -1e200}, yhat: []float64{0, 0}, want: 1e200, tol: 1e185},
		// Squaring 1e-200 underflows to 0; the scaled sum does not.
		{name: "TinyErrors", y: []float64{1e-200, 0}, yhat: []float64{0, 1e-200}, want: 1e-200, tol: 1e-215},
		{name: "InfiniteError", y: []float64{1, math.Inf(1)}, yhat: []float64{0, 0}, want: math.Inf(1)},
		{name: "NaN", y: []float64{1, math.NaN()}, yhat: []float64{0, 0}, want: math.NaN()},
		{name: "Empty", y: nil, yhat: nil, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RMSE(tt.y, tt.yhat); !sameFloat(got, tt.want, tt.tol) {
				t.Errorf("RMSE(%v, %v):\ngot  %v\nwant %v", tt.y, tt.yhat, got, tt.want)
			}
		})
	}
	t.Run("LengthMismatchPanics", func(t *testing.T) {
		mustPanic(t, func() { RMSE([]float64{1}, []float64{1, 2}) })
	})
}

func TestMAE(t *testing.T) {
	tests := []struct {
		name    string
		y, yhat []float64
		want    float64
	}{
		// (0.5+0.5+0+1)/4 = 0.5, the docstring's mean_absolute_error.
		{name: "SklearnDocExample", y: sklearnY, yhat: sklearnYhat, want: 0.5},
		{name: "Perfect", y: []float64{1, 2}, yhat: []float64{1, 2}, want: 0},
		// (1+2+6)/3 = 3.
		{name: "Signs", y: []float64{-1, 2, 3}, yhat: []float64{0, 0, -3}, want: 3},
		{name: "NaN", y: []float64{math.NaN()}, yhat: []float64{0}, want: math.NaN()},
		{name: "Empty", y: []float64{}, yhat: []float64{}, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MAE(tt.y, tt.yhat); !sameFloat(got, tt.want, 1e-15) {
				t.Errorf("MAE(%v, %v):\ngot  %v\nwant %v", tt.y, tt.yhat, got, tt.want)
			}
		})
	}
	t.Run("LengthMismatchPanics", func(t *testing.T) {
		mustPanic(t, func() { MAE(nil, []float64{1}) })
	})
}

func TestR2(t *testing.T) {
	tenTenths := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	tests := []struct {
		name    string
		y, yhat []float64
		want    float64
	}{
		// ȳ = 11.5/4 = 2.875; SS_tot = 0.015625 + 11.390625 + 0.765625
		// + 17.015625 = 29.1875; SS_res = 0.25+0.25+0+1 = 1.5;
		// 1 - 1.5/29.1875 = 0.94860813704..., the docstring's r2_score.
		{name: "SklearnDocExample", y: sklearnY, yhat: sklearnYhat, want: 1 - 1.5/29.1875},
		{name: "Perfect", y: []float64{1, 2, 3}, yhat: []float64{1, 2, 3}, want: 1},
		{name: "PredictMean", y: []float64{1, 2, 3}, yhat: []float64{2, 2, 2}, want: 0},
		// SS_res = 4+0+4 = 8, SS_tot = 2: 1 - 4 = -3.
		{name: "WorseThanMean", y: []float64{1, 2, 3}, yhat: []float64{3, 2, 1}, want: -3},
		// A common offset of 1e12 must not cost precision: SS_tot = 2,
		// SS_res = 1, so 0.5 (all values are exact in float64).
		{name: "LargeOffset", y: []float64{1e12 + 1, 1e12 + 2, 1e12 + 3}, yhat: []float64{1e12 + 1, 1e12 + 2, 1e12 + 4}, want: 0.5},
		// Constant targets: SS_tot = 0, so R² is undefined.
		{name: "ConstantTargetPerfect", y: []float64{4, 4, 4}, yhat: []float64{4, 4, 4}, want: math.NaN()},
		{name: "ConstantTargetImperfect", y: []float64{4, 4, 4}, yhat: []float64{4, 5, 3}, want: math.NaN()},
		// Ten copies of 0.1: a naive mean is 0.09999999999999999 and
		// leaves SS_tot ≈ 2e-33, which would make R² ≈ -5e31.
		{name: "ConstantTargetInexactMean", y: tenTenths, yhat: make([]float64, len(tenTenths)), want: math.NaN()},
		{name: "SingleRow", y: []float64{1}, yhat: []float64{2}, want: math.NaN()},
		{name: "NaNTarget", y: []float64{1, math.NaN()}, yhat: []float64{1, 2}, want: math.NaN()},
		{name: "InfTarget", y: []float64{1, math.Inf(1)}, yhat: []float64{1, 2}, want: math.NaN()},
		{name: "Empty", y: nil, yhat: nil, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := R2(tt.y, tt.yhat); !sameFloat(got, tt.want, 1e-15) {
				t.Errorf("R2(%v, %v):\ngot  %v\nwant %v", tt.y, tt.yhat, got, tt.want)
			}
		})
	}
	t.Run("LengthMismatchPanics", func(t *testing.T) {
		mustPanic(t, func() { R2([]float64{1, 2}, []float64{1}) })
	})
}
