package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// awayFromKinks moves values out of (−0.1, 0.1) so that finite differences
// of piecewise-linear activations do not straddle the kink at 0.
func awayFromKinks(m *tensor.Mat) *tensor.Mat {
	for i, v := range m.Data {
		if math.Abs(float64(v)) < 0.1 {
			m.Data[i] = v + float32(math.Copysign(0.2, float64(v)))
		}
	}
	return m
}

func TestLayerGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	dropSrc := rand.NewPCG(9, 9)
	tests := []struct {
		name string
		m    nn.Module
		x    *tensor.Mat
		opt  nntest.Options
	}{
		{"Linear", nn.NewLinear("l", 5, 3, rng), nntest.Rand(rng, 4, 5), nntest.Options{}},
		{"ReLU", &nn.ReLU{}, awayFromKinks(nntest.Rand(rng, 4, 6)), nntest.Options{}},
		{"LeakyReLU", &nn.LeakyReLU{}, awayFromKinks(nntest.Rand(rng, 4, 6)), nntest.Options{}},
		{"GELU", &nn.GELU{}, nntest.Rand(rng, 4, 6), nntest.Options{}},
		{"BatchNorm1d/train", nn.NewBatchNorm1d("bn", 3), nntest.Rand(rng, 8, 3), nntest.Options{Train: true}},
		{"BatchNorm1d/eval", nn.NewBatchNorm1d("bn", 3), nntest.Rand(rng, 8, 3), nntest.Options{}},
		{"Dropout/train", nn.NewDropout(0.3, rand.New(dropSrc)), nntest.Rand(rng, 5, 4),
			nntest.Options{Train: true, Reset: func() { dropSrc.Seed(9, 9) }}},
		{"Dropout/eval", nn.NewDropout(0.3, rand.New(dropSrc)), nntest.Rand(rng, 5, 4), nntest.Options{}},
		{"Sequential", &nn.Sequential{Layers: []nn.Module{
			nn.NewBatchNorm1d("s.0", 4), nn.NewLinear("s.1", 4, 6, rng), &nn.GELU{}, nn.NewLinear("s.3", 6, 2, rng),
		}}, nntest.Rand(rng, 7, 4), nntest.Options{Train: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bn, ok := tt.m.(*nn.BatchNorm1d); ok {
				// Non-trivial affine and running statistics.
				for j := range 3 {
					bn.Gamma.Value.Data[j] = 0.5 + float32(j)
					bn.Beta.Value.Data[j] = float32(j) - 1
					bn.RunMean.Value.Data[j] = 0.1 * float32(j)
					bn.RunVar.Value.Data[j] = 0.5 + float32(j)
				}
			}
			nntest.CheckModule(t, tt.m, tt.x, tt.opt)
		})
	}
}

func TestEmbeddingGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	e := nn.NewEmbedding("emb", 5, 3, rng)
	codes := &tensor.IntMat{Rows: 6, Cols: 2, Data: []int32{0, 4, 1, 3, 4, 2, 4, 0, 2, 1, 3, 3}}
	out := tensor.New(6, 4).ColView(1, 4) // strided, as when filling a concatenated input
	r := nntest.Rand(rng, 6, 3)
	f := nntest.Func{
		Forward: func(*tensor.Mat) float64 {
			e.Forward(codes, 1, out)
			var s float64
			for i := range out.Rows {
				for j, v := range out.Row(i) {
					s += float64(v * r.At(i, j))
				}
			}
			return s
		},
		Backward: func() *tensor.Mat { e.Backward(r); return nil },
		Params:   e.Params(),
	}
	nntest.Check(t, f, nil, nntest.Options{})
}

func TestLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	target := nntest.Rand(rng, 5, 3)
	bits := tensor.New(5, 3)
	weight := tensor.New(5, 3)
	for i := range bits.Data {
		bits.Data[i] = float32(rng.IntN(2))
		weight.Data[i] = float32(rng.IntN(3)) // some zero weights
	}
	labels := []int32{0, 2, 1, 1, 0}
	probs := tensor.New(5, 3)
	nn.Softmax(nntest.Rand(rng, 5, 3), probs)
	grad := tensor.New(5, 3)
	tests := []struct {
		name string
		loss func(x *tensor.Mat) float64
	}{
		{"MSE", func(x *tensor.Mat) float64 { return nn.MSE(x, target, grad) }},
		{"CrossEntropy", func(x *tensor.Mat) float64 { return nn.CrossEntropy(x, labels, grad) }},
		{"SoftCrossEntropy", func(x *tensor.Mat) float64 { return nn.SoftCrossEntropy(x, probs, grad) }},
		{"BCEWithLogits", func(x *tensor.Mat) float64 { return nn.BCEWithLogits(x, bits, nil, grad) }},
		{"BCEWithLogits/weighted", func(x *tensor.Mat) float64 { return nn.BCEWithLogits(x, bits, weight, grad) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := nntest.Rand(rng, 5, 3)
			f := nntest.Func{Forward: tt.loss, Backward: func() *tensor.Mat { return grad }}
			// The losses are means of O(1) terms, so a tighter tolerance holds.
			nntest.Check(t, f, x, nntest.Options{Eps: 1e-2, Tol: 5e-3})
		})
	}
}

func TestLossValues(t *testing.T) {
	one := func(v ...float32) *tensor.Mat { return tensor.FromSlice(1, len(v), v) }
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		// (1−0)² and (3−1)² → (1+4)/2.
		{"MSE", nn.MSE(one(1, 3), one(0, 1), nil), 2.5},
		// Equal logits over 4 classes: log 4.
		{"CrossEntropy/uniform", nn.CrossEntropy(one(2, 2, 2, 2), []int32{3}, nil), math.Log(4)},
		// Huge logits must not overflow: −log softmax = 0 for the winner.
		{"CrossEntropy/large", nn.CrossEntropy(one(1000, -1000), []int32{0}, nil), 0},
		// A one-hot target gives CrossEntropy's loss: log 4 for equal logits.
		{"SoftCrossEntropy/onehot", nn.SoftCrossEntropy(one(2, 2, 2, 2), one(0, 0, 0, 1), nil), math.Log(4)},
		// Target (½, ½) against softmax (½, ½): the entropy log 2.
		{"SoftCrossEntropy/half", nn.SoftCrossEntropy(one(5, 5), one(0.5, 0.5), nil), math.Ln2},
		// Huge logits must not overflow.
		{"SoftCrossEntropy/large", nn.SoftCrossEntropy(one(1000, -1000), one(1, 0), nil), 0},
		// log(1+e^0) = log 2 for target 1 at logit 0.
		{"BCEWithLogits/zero", nn.BCEWithLogits(one(0), one(1), nil, nil), math.Ln2},
		// Logit −100 with target 1 costs 100 (no overflow to Inf).
		{"BCEWithLogits/large", nn.BCEWithLogits(one(-100), one(1), nil, nil), 100},
		// Only the weighted element counts.
		{"BCEWithLogits/weight", nn.BCEWithLogits(one(0, 50), one(1, 0), one(1, 0), nil), math.Ln2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if math.Abs(tt.got-tt.want) > 1e-5 {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestBatchNormRunningStats(t *testing.T) {
	bn := nn.NewBatchNorm1d("bn", 1)
	x := tensor.FromSlice(4, 1, []float32{1, 2, 3, 4})
	bn.Forward(x, true)
	// mean 2.5, unbiased variance 5/3; momentum 0.1 from (0, 1).
	if got, want := bn.RunMean.Value.Data[0], float32(0.25); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("running mean %v, want %v", got, want)
	}
	if got, want := bn.RunVar.Value.Data[0], float32(0.9+0.1*5.0/3); math.Abs(float64(got-want)) > 1e-6 {
		t.Errorf("running var %v, want %v", got, want)
	}
	// In evaluation the running statistics are used and not updated.
	y := bn.Forward(x, false)
	want := (1 - 0.25) / math.Sqrt(float64(bn.RunVar.Value.Data[0])+1e-5)
	if math.Abs(float64(y.Data[0])-want) > 1e-5 {
		t.Errorf("eval output %v, want %v", y.Data[0], want)
	}
	if bn.RunMean.Value.Data[0] != 0.25 {
		t.Error("evaluation changed the running mean")
	}
}

// A one-row batch in training is normalised with the running statistics,
// which it leaves alone, and its gradient is evaluation mode's, so that a
// batch size of 1 trains instead of producing β for every input.
func TestBatchNormOneRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	bn := nn.NewBatchNorm1d("bn", 3)
	for j := range 3 {
		bn.Gamma.Value.Data[j] = 0.5 + float32(j)
		bn.RunMean.Value.Data[j] = 0.1 * float32(j)
		bn.RunVar.Value.Data[j] = 0.5 + float32(j)
	}
	stats := append(slices.Clone(bn.RunMean.Value.Data), bn.RunVar.Value.Data...)
	x := nntest.Rand(rng, 1, 3)
	want := slices.Clone(bn.Forward(x, false).Data)
	if got := bn.Forward(x, true).Data; !slices.Equal(got, want) {
		t.Errorf("training output %v, want evaluation's %v", got, want)
	}
	if got := append(slices.Clone(bn.RunMean.Value.Data), bn.RunVar.Value.Data...); !slices.Equal(got, stats) {
		t.Errorf("running statistics %v after a one-row batch, want %v unchanged", got, stats)
	}
	nntest.CheckModule(t, bn, x, nntest.Options{Train: true})
}

// Both ways of drawing the mask: one stream for a small mask, a stream
// per row for a large one (at least 65,536 values).
func TestDropoutScaling(t *testing.T) {
	for _, shape := range [][2]int{{200, 50}, {400, 200}} {
		t.Run(fmt.Sprintf("%dx%d", shape[0], shape[1]), func(t *testing.T) {
			d := nn.NewDropout(0.25, rand.New(rand.NewPCG(4, 4)))
			x := tensor.New(shape[0], shape[1])
			x.Fill(1)
			y := d.Forward(x, true)
			var sum float64
			zeros := 0
			for _, v := range y.Data {
				sum += float64(v)
				if v == 0 {
					zeros++
				}
			}
			if frac := float64(zeros) / float64(len(y.Data)); math.Abs(frac-0.25) > 0.02 {
				t.Errorf("dropped fraction %v, want about 0.25", frac)
			}
			if mean := sum / float64(len(y.Data)); math.Abs(mean-1) > 0.03 {
				t.Errorf("mean after inverted dropout %v, want about 1", mean)
			}
			// Neighbouring rows' masks must agree no more than chance does
			// (0.75² + 0.25² = 0.625 of places), as streams seeded alike
			// would.
			same := 0
			for i := 1; i < y.Rows; i++ {
				for j, v := range y.Row(i) {
					if (v == 0) == (y.At(i-1, j) == 0) {
						same++
					}
				}
			}
			if frac := float64(same) / float64((y.Rows-1)*y.Cols); math.Abs(frac-0.625) > 0.03 {
				t.Errorf("neighbouring rows' masks agree in %.3f of places, want about 0.625", frac)
			}
			// The backward pass applies the same mask.
			dx := d.Backward(x)
			for i, v := range dx.Data {
				if v != y.Data[i] {
					t.Fatalf("backward mask differs from forward at %d: %v, %v", i, v, y.Data[i])
				}
			}
			if d.Forward(x, false) != x {
				t.Error("evaluation mode is not the identity")
			}
		})
	}
}

func TestInitialize(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, tt := range []struct {
		scheme, act string
		wantStd     float64
	}{
		{"kaiming", "ReLU", math.Sqrt(2.0 / 400)},
		{"xavier", "GELU", math.Sqrt(2.0 / 600)},
		{"random", "ReLU", 1 / math.Sqrt(400) / math.Sqrt(3)},
	} {
		t.Run(tt.scheme, func(t *testing.T) {
			w := tensor.New(400, 200)
			if err := nn.Initialize(w, tt.scheme, tt.act, rng); err != nil {
				t.Fatal(err)
			}
			var ss float64
			for _, v := range w.Data {
				ss += float64(v) * float64(v)
			}
			if std := math.Sqrt(ss / float64(len(w.Data))); math.Abs(std/tt.wantStd-1) > 0.03 {
				t.Errorf("std %v, want %v", std, tt.wantStd)
			}
		})
	}
	if err := nn.Initialize(tensor.New(2, 2), "orthogonal", "ReLU", rng); err == nil {
		t.Error("unknown scheme accepted")
	}
}

func TestNewActivation(t *testing.T) {
	for _, name := range []string{"ReLU", "relu", "LeakyReLU", "GELU"} {
		if _, err := nn.NewActivation(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := nn.NewActivation("Swish"); err == nil {
		t.Error("unknown activation accepted")
	}
}

// A training step of a stack of layers allocates nothing once its buffers
// are sized.
func TestStepAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	m := &nn.Sequential{Layers: []nn.Module{
		nn.NewLinear("a", 8, 16, rng), &nn.ReLU{}, nn.NewBatchNorm1d("b", 16),
		nn.NewDropout(0.1, rng), nn.NewLinear("c", 16, 3, rng),
	}}
	x := nntest.Rand(rng, 32, 8)
	labels := make([]int32, 32)
	grad := tensor.New(32, 3)
	params := m.Params()
	step := func() {
		nn.ZeroGrad(params)
		y := m.Forward(x, true)
		nn.CrossEntropy(y, labels, grad)
		m.Backward(grad)
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per step, want 0", n)
	}
}

// A Linear with a fused ReLU computes what Linear followed by ReLU does,
// forward and backward.
func TestLinearFusedReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	fused := nn.NewLinear("f", 6, 5, rng)
	plain := nn.NewLinear("p", 6, 5, rng)
	plain.W.Value.CopyFrom(fused.W.Value)
	plain.B.Value.CopyFrom(fused.B.Value)
	fused.Act = tensor.ReLU
	pair := &nn.Sequential{Layers: []nn.Module{plain, &nn.ReLU{}}}
	x := nntest.Rand(rng, 9, 6)
	dy := nntest.Rand(rng, 9, 5)
	y1, y2 := fused.Forward(x, true), pair.Forward(x, true)
	if !reflect.DeepEqual(y1.Data, y2.Data) {
		t.Fatalf("outputs differ:\n%v\n%v", y1.Data, y2.Data)
	}
	dx1, dx2 := fused.Backward(dy), pair.Backward(dy)
	for name, p := range map[string][2]*tensor.Mat{"dx": {dx1, dx2}, "dW": {fused.W.Grad, plain.W.Grad}, "db": {fused.B.Grad, plain.B.Grad}} {
		if !reflect.DeepEqual(p[0].Data, p[1].Data) {
			t.Errorf("%s differs:\n%v\n%v", name, p[0].Data, p[1].Data)
		}
	}
}

// Sequential fuses each ReLU's backward pass into the next Linear's
// input-gradient product; the gradients must be those of the layers' own
// Backward, called one after the other, bit for bit.
func TestSequentialGatedBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	lin := func(in, out int, act tensor.Activation) *nn.Linear {
		l := nn.NewLinear("l", in, out, rng)
		l.Act = act
		return l
	}
	relu, id := tensor.ReLU, tensor.Identity
	tests := []struct {
		name   string
		layers []nn.Module // as run one after the other
		m      nn.Module
	}{}
	add := func(name string, m nn.Module, layers ...nn.Module) {
		tests = append(tests, struct {
			name   string
			layers []nn.Module
			m      nn.Module
		}{name, layers, m})
	}
	{
		a, b, c := lin(5, 40, relu), lin(40, 33, relu), lin(33, 3, id)
		add("chain", &nn.Sequential{Layers: []nn.Module{a, b, c}}, a, b, c)
	}
	{
		a, b, c, d := lin(5, 40, relu), lin(40, 33, relu), lin(33, 17, relu), lin(17, 3, id)
		add("nested", &nn.Sequential{Layers: []nn.Module{
			&nn.Sequential{Layers: []nn.Module{a, b}}, &nn.Sequential{Layers: []nn.Module{c, d}}}}, a, b, c, d)
	}
	{
		// The inner stack starts with a layer that does not gate its input
		// gradient: a must then apply its own ReLU's backward pass.
		a, bn, b := lin(5, 40, relu), nn.NewBatchNorm1d("bn", 40), lin(40, 3, relu)
		add("nested, not gated", &nn.Sequential{Layers: []nn.Module{
			a, &nn.Sequential{Layers: []nn.Module{bn, b}}}}, a, bn, b)
	}
	{
		a, act, b := lin(5, 40, id), &nn.ReLU{}, lin(40, 3, relu)
		add("activation layer", &nn.Sequential{Layers: []nn.Module{a, act, b}}, a, act, b)
	}
	{
		a, b := lin(5, 40, relu), lin(40, 3, id)
		a.SkipInputGrad = true
		add("first layer without input gradient", &nn.Sequential{Layers: []nn.Module{a, b}}, a, b)
	}
	{
		a, drop, b := lin(5, 40, relu), nn.NewDropout(0.5, rand.New(rand.NewPCG(1, 2))), lin(40, 3, id)
		add("dropout between", &nn.Sequential{Layers: []nn.Module{a, drop, b}}, a, drop, b)
	}
	{
		a, b := lin(5, 40, relu), lin(40, 3, id)
		add("empty stacks", &nn.Sequential{Layers: []nn.Module{&nn.Sequential{}, a, &nn.Sequential{}, b, &nn.Sequential{}}}, a, b)
	}
	{
		// A type that embeds a Linear keeps its own Backward.
		a, b := lin(5, 40, relu), &doubledGrad{lin(40, 3, id)}
		add("embedding type", &nn.Sequential{Layers: []nn.Module{a, b}}, a, b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := nntest.Rand(rng, 37, 5)
			dy := nntest.Rand(rng, 37, 3)
			params := nn.Trainable(tt.m.Params())
			nn.ZeroGrad(params)
			tt.m.Forward(x, true)
			var dx *tensor.Mat
			if d := tt.m.Backward(dy); d != nil {
				dx = d.Clone()
			}
			var grads [][]float32
			for _, p := range params {
				grads = append(grads, append([]float32(nil), p.Grad.Data...))
			}
			nn.ZeroGrad(params)
			want := dy
			for i := len(tt.layers) - 1; i >= 0; i-- {
				want = tt.layers[i].Backward(want)
			}
			if (dx == nil) != (want == nil) || dx != nil && !reflect.DeepEqual(dx.Data, want.Data) {
				t.Errorf("input gradients differ")
			}
			for i, p := range params {
				if !reflect.DeepEqual(grads[i], p.Grad.Data) {
					t.Errorf("gradient of parameter %d (%s) differs", i, p.Name)
				}
			}
		})
	}
}

// doubledGrad is a layer built on a Linear whose Backward doubles the input
// gradient.
type doubledGrad struct{ *nn.Linear }

func (d *doubledGrad) Backward(dy *tensor.Mat) *tensor.Mat {
	dx := d.Linear.Backward(dy)
	tensor.Scale(2, dx.Data)
	return dx
}
