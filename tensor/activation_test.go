package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Expf and NormCDF against float64 math over the range that matters.
func TestExpfAndNormCDF(t *testing.T) {
	for x0 := -90.0; x0 <= 89; x0 += 0.0137 {
		x := float64(float32(x0))
		want := math.Exp(x)
		got := float64(Expf(float32(x)))
		switch {
		case x < -87.3 || want > math.MaxFloat32:
			// Flushed or overflowed: checked below.
		case math.Abs(got-want) > 3e-7*want:
			t.Fatalf("Expf(%v) = %v, want %v", x, got, want)
		}
	}
	for _, c := range []struct{ x, want float32 }{{-100, 0}, {-88, 0}, {0, 1}, {100, float32(math.Inf(1))}} {
		if got := Expf(c.x); got != c.want {
			t.Errorf("Expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := Expf(float32(math.NaN())); got == got {
		t.Errorf("Expf(NaN) = %v", got)
	}
	for x0 := -12.0; x0 <= 12; x0 += 0.001 {
		x := float64(float32(x0))
		cdf, pdf := NormCDF(float32(x))
		wantCDF := 0.5 * math.Erfc(-x/math.Sqrt2)
		wantPDF := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
		if math.Abs(float64(cdf)-wantCDF) > 3e-7 || math.Abs(float64(pdf)-wantPDF) > 1e-5*wantPDF+1e-9 {
			t.Fatalf("NormCDF(%v) = %v, %v; want %v, %v", x, cdf, pdf, wantCDF, wantPDF)
		}
	}
}

// activationInputs returns n values for the activation kernels: mostly
// normal ones of scale 4, and every few the edge cases of Expf and the
// gates: the overflow and flush thresholds and their neighbours, the
// exponent 2¹²⁸ case, zeros of both signs, subnormals, infinities, NaN.
func activationInputs(rng *rand.Rand, n int) []float32 {
	special := []float32{
		0, float32(math.Copysign(0, -1)), 1, -1, 88.72, math.Nextafter32(88.72, 100), 88.5, 88.4, 88.37,
		-87.3, math.Nextafter32(-87.3, -100), -87.29, -87, -86.9, -100, 100, 1e-40, -1e-40, 1e-30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 13.2, -13.2, 1e5, -1e5,
	}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(3) == 0 {
			x[i] = special[rng.IntN(len(special))]
		} else {
			x[i] = float32(4 * rng.NormFloat64())
		}
	}
	return x
}

// The activation kernels of every family give bitwise the Go loops'
// results (NaNs of any payload alike), write nothing outside their
// slices, and match the scalar Expf and NormCDF.
func TestActivationKernels(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, n := range elemLengths {
			in := func() []float32 { return activationInputs(rng, n) }
			gen := func(s []float32) func() float32 {
				i := 0
				return func() float32 { i++; return s[i-1] }
			}
			check := func(name string, got, want []float32) {
				t.Helper()
				for i := range want {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("%s n=%d: [%d] = %g (%#x), want %g (%#x)", name, n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}

			x0 := in()
			for _, shift := range []float32{0, 3.5, -2} {
				x, guard := guarded(n, gen(x0))
				Exp(x, shift)
				guard(t)
				want := make([]float32, n)
				for i, v := range x0 {
					want[i] = Expf(v - shift)
				}
				check("Exp", x, want)
			}

			a0, b0, dy0 := in(), in(), in()
			a, guardA := guarded(n, gen(a0))
			b, guardB := guarded(n, gen(b0))
			y, guardY := guarded(n, func() float32 { return 0 })
			f, guardF := guarded(n, func() float32 { return 0 })
			df, guardDF := guarded(n, func() float32 { return 0 })
			wantY, wantF, wantDF := make([]float32, n), make([]float32, n), make([]float32, n)
			for i, v := range b0 {
				c, pdf := NormCDF(v)
				wantF[i], wantDF[i] = v*c, c+v*pdf
				wantY[i] = a0[i] * wantF[i]
			}
			GEGLU(a, b, y, f, df)
			check("GEGLU/train y", y, wantY)
			check("GEGLU/train f", f, wantF)
			check("GEGLU/train df", df, wantDF)
			for i, v := range b0 {
				c, _ := NormCDF(v)
				wantY[i] = a0[i] * v * c
			}
			GEGLU(a, b, y, nil, nil)
			check("GEGLU y", y, wantY)

			dy, guardDY := guarded(n, gen(dy0))
			da, guardDA := guarded(n, func() float32 { return 0 })
			db, guardDB := guarded(n, func() float32 { return 0 })
			wantDA, wantDB := make([]float32, n), make([]float32, n)
			for i, g := range dy0 {
				wantDA[i], wantDB[i] = g*f[i], g*a0[i]*df[i]
			}
			GEGLUBackward(dy, a, f, df, da, db)
			check("GEGLUBackward da", da, wantDA)
			check("GEGLUBackward db", db, wantDB)

			for i, v := range b0 {
				wantY[i] = a0[i] * max(v, 0)
				wantDA[i], wantDB[i] = 0, 0
				if v > 0 {
					wantDA[i], wantDB[i] = dy0[i]*v, dy0[i]*a0[i]
				}
			}
			ReGLU(a, b, y)
			check("ReGLU", y, wantY)
			ReGLUBackward(dy, a, b, da, db)
			check("ReGLUBackward da", da, wantDA)
			check("ReGLUBackward db", db, wantDB)
			for _, g := range []func(*testing.T){guardA, guardB, guardY, guardF, guardDF, guardDY, guardDA, guardDB} {
				g(t)
			}
		}
	})
}

// ReGLU's zero is +0 for b = −0, as Go's max gives, and its NaN passes.
func TestReGLUEdges(t *testing.T) {
	forEachElemKernel(t, func(t *testing.T) {
		b := []float32{float32(math.Copysign(0, -1)), float32(math.NaN()), -3, 2}
		a := []float32{1, 1, 1, 1.5}
		y := make([]float32, len(b))
		ReGLU(a, b, y)
		if math.Signbit(float64(y[0])) || y[1] == y[1] || y[2] != 0 || y[3] != 3 {
			t.Errorf("ReGLU(%v, %v) = %v, want [0 NaN 0 3]", a, b, y)
		}
	})
}

func TestActivationPanics(t *testing.T) {
	s := make([]float32, 3)
	for name, f := range map[string]func(){
		"GEGLU":         func() { GEGLU(s, s[:2], s, nil, nil) },
		"GEGLU/train":   func() { GEGLU(s, s, s, s, s[:1]) },
		"GEGLUBackward": func() { GEGLUBackward(s, s, s, s, s, s[:2]) },
		"ReGLU":         func() { ReGLU(s, s, s[:1]) },
		"ReGLUBackward": func() { ReGLUBackward(s, s[:2], s, s, s) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic on slices of different lengths")
				}
			}()
			f()
		})
	}
}

func BenchmarkActivations(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 4096
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	a, y, f, df := append([]float32(nil), x...), make([]float32, n), make([]float32, n), make([]float32, n)
	for _, name := range elemKernelNames() {
		restore, _ := useElemKernels(name)
		b.Run("Exp/"+name, func(b *testing.B) {
			s := append([]float32(nil), x...)
			for range b.N {
				copy(s, x)
				Exp(s, 1)
			}
		})
		b.Run("GEGLU/train/"+name, func(b *testing.B) {
			for range b.N {
				GEGLU(a, x, y, f, df)
			}
		})
		restore()
	}
}
