package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// pleEdges are the bins of three features: two bins, three uneven ones,
// and a single bin, which is clamped on neither side.
var pleEdges = [][]float64{{-1, 0, 1}, {-2, -0.5, 0.5, 2}, {0, 1}}

// awayFromEdges moves the values of x within 0.05 of a bin edge of their
// feature, so that finite differences do not straddle a clamp.
func awayFromEdges(x *tensor.Mat, edges [][]float64) *tensor.Mat {
	for i := range x.Rows {
		r := x.Row(i)
		for j := range r {
			for _, b := range edges[j] {
				if d := float64(r[j]) - b; math.Abs(d) < 0.05 {
					r[j] = float32(b + math.Copysign(0.1, d))
				}
			}
		}
	}
	return x
}

type numEmbeddingCase struct {
	name string
	m    nn.Module
	x    *tensor.Mat
}

// numEmbeddings are the layers of the tests, freshly built, with inputs
// away from bin edges and biases that keep the Linears' pre-activations
// away from the ReLU's kink (see clearOfKinks).
func numEmbeddings(t *testing.T) []numEmbeddingCase {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 2))
	// A frequency scale of 0.3 turns the inputs by up to a few radians,
	// so the check sees the periodic functions bend, not their linear
	// start.
	cases := []numEmbeddingCase{
		{"PLR/shared", nn.NewPeriodicEmbedding("plr", 3, 4, 5, 0.3, false, rng), nntest.Rand(rng, 6, 3)},
		{"PLR/per feature", nn.NewPeriodicEmbedding("plr", 3, 4, 5, 0.3, true, rng), nntest.Rand(rng, 6, 3)},
		{"PLE/encoding", nn.NewPiecewiseLinearEmbedding("ple", pleEdges, 0, rng), awayFromEdges(nntest.Rand(rng, 8, 3), pleEdges)},
		{"PLE/linear", nn.NewPiecewiseLinearEmbedding("ple", pleEdges, 4, rng), awayFromEdges(nntest.Rand(rng, 8, 3), pleEdges)},
	}
	for _, c := range cases {
		clearOfKinks(t, c.m, c.x)
	}
	return cases
}

// linearInputs computes, in float64 and from the definitions rather than
// the layer's code, what m's Linear reads for the batch x: per row and
// feature, the periodic values or the bin encoding. wRow and bRow give
// the first row of feature j's weight block and its bias row. It returns
// nil for a layer without a Linear.
func linearInputs(m nn.Module, x *tensor.Mat) (in [][][]float64, wRow, bRow func(j int) int) {
	switch m := m.(type) {
	case *nn.PeriodicEmbedding:
		k := m.Freq.Value.Cols
		for i := range x.Rows {
			var row [][]float64
			for j, v := range x.Row(i) {
				seg := make([]float64, 2*k)
				for f, c := range m.Freq.Value.Row(j) {
					seg[f] = math.Cos(2 * math.Pi * float64(c) * float64(v))
					seg[k+f] = math.Sin(2 * math.Pi * float64(c) * float64(v))
				}
				row = append(row, seg)
			}
			in = append(in, row)
		}
		if m.B.Value.Rows == 1 { // shared
			return in, func(int) int { return 0 }, func(int) int { return 0 }
		}
		return in, func(j int) int { return j * 2 * k }, func(j int) int { return j }
	case *nn.PiecewiseLinearEmbedding:
		if m.W == nil {
			return nil, nil, nil
		}
		offs := []int{0}
		for j, b := range pleEdges {
			offs = append(offs, offs[j]+len(b)-1)
		}
		for i := range x.Rows {
			var row [][]float64
			for j, v := range x.Row(i) {
				b := pleEdges[j]
				t := len(b) - 1
				seg := make([]float64, t)
				for u := 1; u <= t; u++ {
					e := (float64(v) - b[u-1]) / (b[u] - b[u-1])
					if u > 1 {
						e = max(e, 0)
					}
					if u < t {
						e = min(e, 1)
					}
					seg[u-1] = e
				}
				row = append(row, seg)
			}
			in = append(in, row)
		}
		return in, func(j int) int { return offs[j] }, func(j int) int { return j }
	}
	return nil, nil, nil
}

// clearOfKinks shifts the bias of each output of m's Linear so that no
// pre-activation using it lies within 0.03 of 0: a finite-difference step
// across the ReLU's kink would measure a gradient half on, half off. The
// margin exceeds the largest change of a pre-activation by one step of
// any parameter or input (at most 2π·|x|·Σ|w| ≈ 0.01 for a frequency).
// It then checks m's output against the definitions.
func clearOfKinks(t *testing.T, m nn.Module, x *tensor.Mat) {
	t.Helper()
	in, wRow, bRow := linearInputs(m, x)
	if in == nil {
		return
	}
	ps := m.Params()
	w, b := ps[len(ps)-2].Value, ps[len(ps)-1].Value
	d := w.Cols
	z := func(i, j, c int) float64 {
		s := float64(b.At(bRow(j), c))
		for f, v := range in[i][j] {
			s += v * float64(w.At(wRow(j)+f, c))
		}
		return s
	}
	const margin = 0.03
	for r := range b.Rows {
		for c := range d {
			var zs []float64
			for i := range in {
				for j := range in[i] {
					if bRow(j) == r {
						zs = append(zs, z(i, j, c))
					}
				}
			}
			shift, ok := 0.0, false
			for step := 0; step < 400 && !ok; step++ {
				shift = float64((step+1)/2) * 0.01
				if step%2 == 1 {
					shift = -shift
				}
				ok = true
				for _, v := range zs {
					if math.Abs(v+shift) < margin {
						ok = false
						break
					}
				}
			}
			if !ok {
				t.Fatalf("no bias keeps the pre-activations of output (%d, %d) clear of 0: %v", r, c, zs)
			}
			b.Set(r, c, b.At(r, c)+float32(shift))
		}
	}
	y := m.Forward(x, false)
	for i := range in {
		for j := range in[i] {
			for c := range d {
				if got, want := float64(y.At(i, j*d+c)), max(z(i, j, c), 0); math.Abs(got-want) > 1e-5 {
					t.Fatalf("output [%d, feature %d, %d] = %v, want ReLU(%v)", i, j, c, got, want)
				}
			}
		}
	}
}

// The numerical embeddings are checked with a step of 1e-3, small enough
// that a step seldom crosses a ReLU's kink or a bin edge, and a tolerance
// of 1e-2 relative to max(1, |gradient|): a gradient 10% off is caught
// wherever |gradient| > 0.1, which TestNumEmbeddingGradientsCatchErrors
// shows holds for some checked element of every parameter and of the
// input.
var numEmbeddingCheck = nntest.Options{Eps: 1e-3, Tol: 1e-2, MaxChecks: 200}

func TestNumEmbeddingGradients(t *testing.T) {
	for _, tt := range numEmbeddings(t) {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckModule(t, tt.m, tt.x, numEmbeddingCheck)
		})
	}
}

func TestNumEmbeddingGradientsCatchErrors(t *testing.T) {
	for _, tt := range numEmbeddings(t) {
		t.Run(tt.name, func(t *testing.T) {
			nntest.CheckCatches(t, nntest.ModuleFunc(tt.m, numEmbeddingCheck), tt.x, numEmbeddingCheck)
		})
	}
}

func TestPeriodicEmbeddingForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	e := nn.NewPeriodicEmbedding("plr", 2, 2, 1, 0.01, true, rng)
	copy(e.Freq.Value.Data, []float32{0.25, 0.5, 1, 0})
	// Feature 0 reads cos and sin of (π/2·x, π·x), feature 1 of (2π·x, 0).
	copy(e.W.Value.Data, []float32{1, 2, 3, 4, -1, 0, 0, 5})
	copy(e.B.Value.Data, []float32{0.5, 0})
	y := e.Forward(tensor.FromSlice(1, 2, []float32{1, 0.125}), false)
	// Feature 0 at x = 1: v = [cos π/2, cos π, sin π/2, sin π] = [0, −1, 1, 0]:
	// 0·1 − 1·2 + 1·3 + 0·4 + 0.5 = 1.5.
	// Feature 1 at x = 1/8: v = [cos π/4, 1, sin π/4, 0]: −cos π/4 + 0 < 0, so ReLU gives 0.
	want := []float32{1.5, 0}
	for j, w := range want {
		if math.Abs(float64(y.Data[j]-w)) > 1e-6 {
			t.Errorf("y[%d] = %v, want %v", j, y.Data[j], w)
		}
	}
	// Frequencies start as N(0, σ) within ±3σ.
	e = nn.NewPeriodicEmbedding("plr", 50, 48, 24, 0.01, false, rng)
	var sum, sq float64
	for _, c := range e.Freq.Value.Data {
		if math.Abs(float64(c)) > 0.03 {
			t.Fatalf("frequency %v beyond 3σ", c)
		}
		sum += float64(c)
		sq += float64(c) * float64(c)
	}
	n := float64(len(e.Freq.Value.Data))
	if sd := math.Sqrt(sq/n - (sum/n)*(sum/n)); sd < 0.0090 || sd > 0.0102 {
		t.Errorf("frequencies have standard deviation %v, want about 0.0099 (σ = 0.01 truncated at 3σ)", sd)
	}
}

func TestPiecewiseLinearEncoding(t *testing.T) {
	e := nn.NewPiecewiseLinearEmbedding("ple", pleEdges, 0, nil)
	if e.Out() != 6 || e.Params() != nil {
		t.Fatalf("Out() = %d, Params() = %v; want 6 and none", e.Out(), e.Params())
	}
	for _, tt := range []struct {
		name string
		x    []float32
		want []float32 // bins of feature 0 | feature 1 | feature 2
	}{
		{"inside", []float32{-0.5, 0, 0.25}, []float32{0.5, 0, 1, 0.5, 0, 0.25}},
		{"on edges", []float32{0, 0.5, 1}, []float32{1, 0, 1, 1, 0, 1}},
		// The first bin goes on below the lowest edge, the last above the
		// highest, the single bin both ways.
		{"below", []float32{-3, -3.5, -1}, []float32{-2, 0, -1, 0, 0, -1}},
		{"above", []float32{2, 5, 3}, []float32{1, 2, 1, 1, 3, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			y := e.Forward(tensor.FromSlice(1, 3, tt.x), false)
			for k, w := range tt.want {
				if math.Abs(float64(y.Data[k]-w)) > 1e-6 {
					t.Errorf("encoding %v, want %v", y.Data, tt.want)
					break
				}
			}
		})
	}
}

func TestNumEmbeddingSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, perFeature := range []bool{false, true} {
		e := nn.NewPeriodicEmbedding("plr", 3, 4, 5, 0.01, perFeature, rng)
		if got, want := nn.PeriodicEmbeddingSize(3, 4, 5, perFeature), nn.Size(e.Params()); got != want {
			t.Errorf("per feature %v: PeriodicEmbeddingSize = %d, NewPeriodicEmbedding allocates %d", perFeature, got, want)
		}
		if e.Out() != 15 {
			t.Errorf("per feature %v: Out() = %d, want 15", perFeature, e.Out())
		}
	}
	for _, d := range []int{0, 4} {
		e := nn.NewPiecewiseLinearEmbedding("ple", pleEdges, d, rng)
		params, out := nn.PiecewiseLinearEmbeddingSize([]int{2, 3, 1}, d)
		if params != nn.Size(e.Params()) || out != e.Out() {
			t.Errorf("d %d: PiecewiseLinearEmbeddingSize = %d, %d; built %d, %d", d, params, out, nn.Size(e.Params()), e.Out())
		}
	}
}

// A training step of the numerical embeddings allocates nothing once
// their buffers are sized, with the output gradient a view as the
// embedding layer passes it.
func TestNumEmbeddingStepAllocations(t *testing.T) {
	for _, tt := range numEmbeddings(t) {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 3))
			x := nntest.Rand(rng, 32, 3)
			y := tt.m.Forward(x, true)
			dy := nntest.Rand(rng, 32, y.Cols+2).ColView(1, y.Cols+1)
			params := tt.m.Params()
			step := func() {
				nn.ZeroGrad(params)
				tt.m.Forward(x, true)
				tt.m.Backward(dy)
			}
			step()
			if n := testing.AllocsPerRun(10, step); n != 0 {
				t.Errorf("%v allocations per step, want 0", n)
			}
		})
	}
}

// BenchmarkNumEmbedding is a training step's forward and backward pass of
// the numerical embeddings at their defaults, for 14 features (adult's 6
// continuous ones and more) at batch 256.
func BenchmarkNumEmbedding(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	edges := make([][]float64, 14)
	for j := range edges {
		for t := range 17 {
			edges[j] = append(edges[j], float64(t)/4-2)
		}
	}
	for _, c := range []struct {
		name string
		m    nn.Module
	}{
		{"plr", nn.NewPeriodicEmbedding("plr", 14, 48, 24, 0.01, false, rng)},
		{"plr-per-feature", nn.NewPeriodicEmbedding("plr", 14, 48, 24, 0.01, true, rng)},
		{"ple", nn.NewPiecewiseLinearEmbedding("ple", edges, 0, rng)},
		{"ple-linear", nn.NewPiecewiseLinearEmbedding("ple", edges, 24, rng)},
	} {
		b.Run(c.name, func(b *testing.B) {
			x := nntest.Rand(rng, 256, 14)
			dy := nntest.Rand(rng, 256, c.m.Forward(x, true).Cols)
			for b.Loop() {
				c.m.Forward(x, true)
				c.m.Backward(dy)
			}
		})
	}
}

// A batch large enough to be split over the worker pool gives what its
// rows give one at a time (up to the rounding of the Linear's products,
// whose blocking depends on the batch size); run with -race, it also shows
// that the workers' parts do not overlap.
func TestPeriodicEmbeddingParallel(t *testing.T) {
	const rows, n = 300, 14
	rng := rand.New(rand.NewPCG(8, 8))
	e := nn.NewPeriodicEmbedding("plr", n, 48, 8, 0.3, false, rng)
	x := nntest.Rand(rng, rows, n)
	dy := nntest.Rand(rng, rows, e.Out())
	nn.ZeroGrad(e.Params())
	y := e.Forward(x, true).Clone()
	dx := e.Backward(dy).Clone()
	var grads []*tensor.Mat
	for _, p := range e.Params() {
		grads = append(grads, p.Grad.Clone())
	}

	nn.ZeroGrad(e.Params())
	var xi, dyi tensor.Mat
	for i := range rows {
		yi := e.Forward(xi.SetRowView(x, i, i+1), true)
		dxi := e.Backward(dyi.SetRowView(dy, i, i+1))
		for j, v := range yi.Row(0) {
			if d := math.Abs(float64(v - y.At(i, j))); d > 1e-5 {
				t.Fatalf("y[%d, %d] = %v in the batch, %v alone", i, j, y.At(i, j), v)
			}
		}
		for j, v := range dxi.Row(0) {
			if d := math.Abs(float64(v - dx.At(i, j))); d > 1e-4*max(1, math.Abs(float64(v))) {
				t.Fatalf("dx[%d, %d] = %v in the batch, %v alone", i, j, dx.At(i, j), v)
			}
		}
	}
	for k, p := range e.Params() {
		for i, g := range p.Grad.Data {
			if want := grads[k].Data[i]; math.Abs(float64(g-want)) > 1e-3*max(1, math.Abs(float64(want))) {
				t.Fatalf("%s[%d] = %v from the batch, %v from its rows", p.Name, i, want, g)
			}
		}
	}
}
