package nn

import (
	"math"
	"testing"
)

// expf and normCDFf against float64 math over the range that matters.
func TestExpfAndNormCDFf(t *testing.T) {
	for x0 := -90.0; x0 <= 89; x0 += 0.0137 {
		x := float64(float32(x0))
		want := math.Exp(x)
		got := float64(expf(float32(x)))
		switch {
		case x < -87.3 || want > math.MaxFloat32:
			// Flushed or overflowed: checked below.
		case math.Abs(got-want) > 3e-7*want:
			t.Fatalf("expf(%v) = %v, want %v", x, got, want)
		}
	}
	for _, c := range []struct{ x, want float32 }{{-100, 0}, {-88, 0}, {0, 1}, {100, float32(math.Inf(1))}} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := expf(float32(math.NaN())); got == got {
		t.Errorf("expf(NaN) = %v", got)
	}
	for x0 := -12.0; x0 <= 12; x0 += 0.001 {
		x := float64(float32(x0))
		cdf, pdf := normCDFf(float32(x))
		wantCDF := 0.5 * math.Erfc(-x/math.Sqrt2)
		wantPDF := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
		if math.Abs(float64(cdf)-wantCDF) > 3e-7 || math.Abs(float64(pdf)-wantPDF) > 1e-5*wantPDF+1e-9 {
			t.Fatalf("normCDFf(%v) = %v, %v; want %v, %v", x, cdf, pdf, wantCDF, wantPDF)
		}
	}
}

func BenchmarkNormCDFf(b *testing.B) {
	var s float32
	for i := range b.N {
		c, p := normCDFf(float32(i%1000)*0.01 - 5)
		s += c + p
	}
	sink = s
}

var sink float32

func BenchmarkNormCDF64(b *testing.B) {
	var s float64
	for i := range b.N {
		x := float64(i%1000)*0.01 - 5
		s += 0.5*(1+math.Erf(x/math.Sqrt2)) + math.Exp(-x*x/2)
	}
	sink = float32(s)
}
