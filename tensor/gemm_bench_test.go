package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// gemmBenchShape is one product of the reference workload: batch 256
// through a 64→512→512→128→512→64 MLP, forward (NN) and backward (dX: NT,
// dW: TN with the batch as k).
type gemmBenchShape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

func mlpShapes() []gemmBenchShape {
	return append([]gemmBenchShape{
		{"NN/256x512x512", 256, 512, 512, false, false},
		{"NN/2048x2048x2048", 2048, 2048, 2048, false, false},
		{"dX/NT/256x512x512", 256, 512, 512, false, true},
		{"dW/TN/512x512x256", 512, 512, 256, true, false},
		{"TT/256x512x512", 256, 512, 512, true, true},
	}, stepShapes(256)...)
}

// stepLayers are the (in, out) widths of the reference workload's layers.
var stepLayers = [][2]int{{64, 512}, {512, 512}, {512, 128}, {128, 512}, {512, 64}}

// stepShapes returns the products of one training step of the reference
// workload at the given batch size: per layer the forward product (NN), the
// input gradient dX (NT) and the weight gradient dW (TN, the batch as k).
func stepShapes(batch int) []gemmBenchShape {
	var s []gemmBenchShape
	for _, l := range stepLayers {
		in, out := l[0], l[1]
		s = append(s,
			gemmBenchShape{fmt.Sprintf("mlp/fwd/%dx%dx%d", batch, out, in), batch, out, in, false, false},
			gemmBenchShape{fmt.Sprintf("mlp/dX/%dx%dx%d", batch, in, out), batch, in, out, false, true},
			gemmBenchShape{fmt.Sprintf("mlp/dW/%dx%dx%d", in, out, batch), in, out, batch, true, false},
		)
	}
	return s
}

func benchGemm(b *testing.B, s gemmBenchShape) {
	rng := rand.New(rand.NewPCG(1, 1))
	ar, ac := s.m, s.k
	if s.transA {
		ar, ac = ac, ar
	}
	br, bc := s.k, s.n
	if s.transB {
		br, bc = bc, br
	}
	x, y, c := randMat(rng, ar, ac, 0), randMat(rng, br, bc, 0), New(s.m, s.n)
	Gemm(s.transA, s.transB, 1, x, y, 0, c)
	for b.Loop() { // b.Loop starts the timer: the call before it is not counted
		Gemm(s.transA, s.transB, 1, x, y, 0, c)
	}
	b.ReportMetric(2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemm runs the workload's shapes with the kernels this CPU uses.
func BenchmarkGemm(b *testing.B) {
	for _, s := range mlpShapes() {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s) })
	}
}

// BenchmarkGemmStep1024 runs the products of a training step at batch
// 1024.
func BenchmarkGemmStep1024(b *testing.B) {
	for _, s := range stepShapes(1024) {
		b.Run(s.name, func(b *testing.B) { benchGemm(b, s) })
	}
}

// BenchmarkGemmKernels runs 256x512x512 NN with every kernel family.
func BenchmarkGemmKernels(b *testing.B) {
	for _, name := range kernelNames() {
		b.Run(name, func(b *testing.B) {
			restore, _ := useKernels(name)
			defer restore()
			benchGemm(b, gemmBenchShape{"", 256, 512, 512, false, false})
		})
	}
}

// BenchmarkGemmSingle runs 256x512x512 NN on one goroutine.
func BenchmarkGemmSingle(b *testing.B) {
	p := thePool()
	p.mu.Lock() // a busy pool makes Gemm run on the caller alone
	defer p.mu.Unlock()
	benchGemm(b, gemmBenchShape{"", 256, 512, 512, false, false})
}

func BenchmarkGemmBias(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, w, y := randMat(rng, 256, 512, 0), randMat(rng, 512, 512, 0), New(256, 512)
	bias := randMat(rng, 1, 512, 0).Data
	for b.Loop() {
		GemmBias(false, false, x, w, bias, ReLU, y)
	}
	b.ReportMetric(2*256*512*512*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

type nopTask struct{}

func (nopTask) Run(lo, hi int) {}

// BenchmarkParallel measures the cost of one parallel region with nothing
// to do: what splitting a kernel between the workers costs at least.
func BenchmarkParallel(b *testing.B) {
	t := &nopTask{}
	for b.Loop() {
		Parallel(Workers(), 1, t)
	}
}

// stepProducts holds the operands of the products of one training step of
// the reference workload, each in its own memory as in a real step.
type stepProducts struct {
	x, y, dz, dx, w, dw []*Mat
	bias                [][]float32
}

func newStepProducts(batch int) *stepProducts {
	rng := rand.New(rand.NewPCG(1, 1))
	s := &stepProducts{}
	in := randMat(rng, batch, 64, 0)
	for _, l := range stepLayers {
		s.x = append(s.x, in)
		s.w = append(s.w, randMat(rng, l[0], l[1], 0))
		s.dw = append(s.dw, New(l[0], l[1]))
		s.bias = append(s.bias, randMat(rng, 1, l[1], 0).Data)
		s.y = append(s.y, New(batch, l[1]))
		s.dz = append(s.dz, randMat(rng, batch, l[1], 0))
		s.dx = append(s.dx, New(batch, l[0]))
		in = s.y[len(s.y)-1]
	}
	return s
}

// run does the step's products: forward, then backward from the last layer.
func (s *stepProducts) run() {
	for i := range s.w {
		GemmBias(false, false, s.x[i], s.w[i], s.bias[i], ReLU, s.y[i])
	}
	for i := len(s.w) - 1; i >= 0; i-- {
		Gemm(true, false, 1, s.x[i], s.dz[i], 1, s.dw[i])
		if i > 0 {
			Gemm(false, true, 1, s.dz[i], s.w[i], 0, s.dx[i])
		}
	}
}

func (s *stepProducts) flops() float64 {
	var f float64
	for i, w := range s.w {
		n := 2 * float64(s.x[i].Rows) * float64(w.Rows) * float64(w.Cols)
		f += 2 * n
		if i > 0 {
			f += n
		}
	}
	return f
}

// BenchmarkGemmStep runs the products of a training step in sequence, as
// the step does, at batch 256 and 1024.
func BenchmarkGemmStep(b *testing.B) {
	for _, batch := range []int{256, 1024} {
		b.Run(fmt.Sprint(batch), func(b *testing.B) {
			s := newStepProducts(batch)
			s.run()
			for b.Loop() {
				s.run()
			}
			b.ReportMetric(s.flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
