package metrics

import (
	"math"
	"strings"
	"testing"
)

// sameFloat reports whether got and want are equal within tol, treating
// two NaNs and two equal infinities as equal.
func sameFloat(got, want, tol float64) bool {
	switch {
	case math.IsNaN(want):
		return math.IsNaN(got)
	case math.IsInf(want, 0):
		return got == want
	}
	return math.Abs(got-want) <= tol
}

// mustPanic fails t unless f panics with a message starting with
// "metrics:".
func mustPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatal("did not panic")
		}
		msg, ok := r.(string)
		if !ok || !strings.HasPrefix(msg, "metrics:") {
			t.Fatalf("panic value %#v, want a string starting with %q", r, "metrics:")
		}
	}()
	f()
}

func TestCompensatedSum(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{name: "Empty", xs: nil, want: 0},
		// 1 + 1e-16 rounds back to 1 in float64; ten of them add 1e-15,
		// which compensation keeps and naive summation loses.
		{name: "SmallTermsKept", xs: []float64{1, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16}, want: 1 + 1e-15},
		// Neumaier's variant also handles a large term after small ones.
		{name: "Cancellation", xs: []float64{1, 1e100, 1, -1e100}, want: 2},
		{name: "PlusInf", xs: []float64{1, math.Inf(1), 2}, want: math.Inf(1)},
		{name: "MinusInf", xs: []float64{math.Inf(-1), 2}, want: math.Inf(-1)},
		{name: "Overflow", xs: []float64{math.MaxFloat64, math.MaxFloat64}, want: math.Inf(1)},
		{name: "BothInf", xs: []float64{math.Inf(1), math.Inf(-1)}, want: math.NaN()},
		{name: "NaN", xs: []float64{1, math.NaN()}, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s compensatedSum
			for _, x := range tt.xs {
				s.add(x)
			}
			if got := s.value(); !sameFloat(got, tt.want, 0) {
				t.Errorf("sum of %v:\ngot  %v\nwant %v", tt.xs, got, tt.want)
			}
		})
	}
}
