package tensor

import (
	"math/rand/v2"
	"time"
)

// BenchGemm measures Gemm on an m×k by k×n product (no transposes, alpha 1,
// beta 0) for about d of wall time and returns the rate in GFLOP/s,
// counting 2·m·n·k floating-point operations per product. The inputs are
// N(0,1) values from a fixed seed. A warm-up of a tenth of d (the first
// calls grow the buffers and wake the cores) is not counted.
func BenchGemm(m, n, k int, d time.Duration) (gflops float64) {
	rng := rand.New(rand.NewPCG(1, 1))
	fill := func(x *Mat) *Mat {
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, b, c := fill(New(m, k)), fill(New(k, n)), New(m, n)
	for start := time.Now(); time.Since(start) < d/10; {
		Gemm(false, false, 1, a, b, 0, c)
	}
	runs := 0
	start := time.Now()
	var elapsed time.Duration
	for elapsed < d || runs == 0 {
		Gemm(false, false, 1, a, b, 0, c)
		runs++
		elapsed = time.Since(start)
	}
	return 2 * float64(m) * float64(n) * float64(k) * float64(runs) / elapsed.Seconds() / 1e9
}
