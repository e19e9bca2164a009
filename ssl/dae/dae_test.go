package dae

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

var schema = models.Schema{
	Continuous: []string{"x1", "x2", "x3"},
	Categorical: []models.Categorical{
		{Name: "yes_no", Cardinality: 3}, // binary
		{Name: "colour", Cardinality: 4}, // one-hot input, cross-entropy target
		{Name: "city", Cardinality: 9},   // embedded input, cross-entropy target
	},
}

// rows returns a batch whose features are correlated, so that there is
// something to reconstruct.
func rows(rng *rand.Rand, n int) (*tensor.Mat, *tensor.IntMat) {
	cont := tensor.New(n, 3)
	cat := tensor.NewInt(n, 3)
	for i := range n {
		z := rng.NormFloat64()
		cont.Set(i, 0, float32(z))
		cont.Set(i, 1, float32(z+0.1*rng.NormFloat64()))
		cont.Set(i, 2, float32(rng.NormFloat64()))
		c := cat.Row(i)
		c[0] = 1
		if z > 0 {
			c[0] = 2
		}
		c[1] = int32(1 + rng.IntN(3))
		c[2] = int32(rng.IntN(9))
	}
	return cont, cat
}

func smallConfig() Config {
	c := NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU"}
	c.DecoderConfig = categoryembedding.Config{Layers: "7", Activation: "GELU"}
	c.EmbeddingDropout = 0
	c.DefaultNoiseProbability = 0.3
	c.MaxOnehotCardinality = 3
	return c
}

func build(t *testing.T, c Config) *Model {
	t.Helper()
	m, err := c.Build(schema)
	if err != nil {
		t.Fatal(err)
	}
	return m.(*Model)
}

func TestGradients(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(*Config)
	}{
		{"swap", func(*Config) {}},
		{"zero", func(c *Config) { c.NoiseStrategy = Zero }},
		{"identity decoder", func(c *Config) { c.DecoderConfig = nil }},
		{"batchnorm", func(c *Config) {
			c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU", UseBatchNorm: true}
		}},
		{"loss weights", func(c *Config) { c.LossTypeWeights = []float64{0.5, 2, 3}; c.MaskLossWeight = 0.7 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			tt.modify(&c)
			m := build(t, c)
			cont, cat := rows(rand.New(rand.NewPCG(1, 2)), 9)
			noise := rand.NewPCG(3, 4)
			f := nntest.Func{
				Forward: func(*tensor.Mat) float64 {
					noise.Seed(3, 4) // the same corruption on every pass
					m.Forward(cont, cat, true, rand.New(noise))
					return m.Loss(true)
				},
				Backward: func() *tensor.Mat { m.Backward(); return nil },
				Params:   m.Params(),
			}
			nntest.Check(t, f, nil, nntest.Options{Eps: 1e-2, Tol: 1e-2})
		})
	}
}

// Per-feature probabilities apply to the feature they name (PyTorch
// Tabular applies them to the wrong encoded dimensions).
func TestNoiseProbabilitiesByName(t *testing.T) {
	c := smallConfig()
	c.DefaultNoiseProbability = 0
	c.NoiseProbabilities = map[string]float64{"x2": 1, "colour": 1}
	m := build(t, c)
	cont, cat := rows(rand.New(rand.NewPCG(5, 6)), 200)
	m.Forward(cont, cat, true, rand.New(rand.NewPCG(7, 8)))
	counts := make([]int, 6)
	for i := range 200 {
		for j, v := range m.mask.Row(i) {
			if v != 0 {
				counts[j]++
			}
		}
	}
	// Features: x1 x2 x3 yes_no colour city. A swap with its own value is no
	// corruption, so colour (3 levels) changes about 2/3 of the time.
	for j, n := range counts {
		corrupted := j == 1 || j == 4
		if corrupted && n < 100 || !corrupted && n != 0 {
			t.Errorf("feature %d corrupted in %d of 200 rows", j, n)
		}
	}
	if m.mask.At(0, 1) == 1 && m.noisyCont.At(0, 1) == cont.At(0, 1) {
		t.Error("the mask marks an unchanged value")
	}
}

func TestNoiseRate(t *testing.T) {
	c := smallConfig()
	c.DefaultNoiseProbability = 0.8
	m := build(t, c)
	cont, _ := rows(rand.New(rand.NewPCG(9, 9)), 500)
	_, cat := rows(rand.New(rand.NewPCG(9, 9)), 500)
	m.Forward(cont, cat, true, rand.New(rand.NewPCG(1, 1)))
	n := 0
	for i := range 500 {
		n += int(m.mask.At(i, 2)) // x3 is continuous: a swap almost surely changes it
	}
	if got := float64(n) / 500; math.Abs(got-0.8) > 0.05 {
		t.Errorf("continuous corruption rate %v, want about 0.8", got)
	}
}

func TestZeroNoise(t *testing.T) {
	c := smallConfig()
	c.NoiseStrategy = Zero
	c.DefaultNoiseProbability = 1
	m := build(t, c)
	cont, cat := rows(rand.New(rand.NewPCG(2, 2)), 20)
	m.Forward(cont, cat, true, rand.New(rand.NewPCG(3, 3)))
	for i := range 20 {
		for j, v := range m.noisyCont.Row(i) {
			if v != 0 {
				t.Fatalf("zero noise left continuous [%d,%d] = %v", i, j, v)
			}
		}
		for j, v := range m.noisyCat.Row(i) {
			if v != 0 {
				t.Fatalf("zero noise left categorical [%d,%d] = %v", i, j, v)
			}
			if want := float32(min(cat.At(i, j), 1)); m.mask.At(i, 3+j) != want {
				t.Errorf("mask [%d,%d] = %v, want %v", i, 3+j, m.mask.At(i, 3+j), want)
			}
		}
	}
}

// The default weights are each type's share of the features, and
// two-level columns get the binary loss.
func TestLossWeights(t *testing.T) {
	m := build(t, smallConfig())
	if got, want := []float64{m.wBin, m.wCat, m.wCont, m.wMask}, []float64{1.0 / 6, 2.0 / 6, 3.0 / 6, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("weights [bin cat cont mask] = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(m.binary, []int{0}) || len(m.multi) != 2 {
		t.Errorf("binary columns %v, cross-entropy columns %v", m.binary, m.multi)
	}
	cont, cat := rows(rand.New(rand.NewPCG(1, 1)), 16)
	m.Forward(cont, cat, true, rand.New(rand.NewPCG(1, 1)))
	total := m.Loss(false)
	var sum float64
	for _, p := range m.LossParts() {
		if p.Value <= 0 {
			t.Errorf("%s = %v, want > 0", p.Name, p.Value)
		}
		sum += p.Value
	}
	if math.Abs(sum-total) > 1e-9 {
		t.Errorf("parts sum to %v, total %v", sum, total)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(*Config)
	}{
		{"no encoder", func(c *Config) { c.EncoderConfig = nil }},
		{"strategy", func(c *Config) { c.NoiseStrategy = "gaussian" }},
		{"probability", func(c *Config) { c.DefaultNoiseProbability = 1.5 }},
		{"feature probability", func(c *Config) { c.NoiseProbabilities = map[string]float64{"x1": -0.1} }},
		{"unknown feature", func(c *Config) { c.NoiseProbabilities = map[string]float64{"nope": 0.5} }},
		{"weights", func(c *Config) { c.LossTypeWeights = []float64{1, 2} }},
		{"mask weight", func(c *Config) { c.MaskLossWeight = math.NaN() }},
		{"encoder layers", func(c *Config) { c.EncoderConfig = categoryembedding.Config{Layers: "8-0"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			tt.modify(&c)
			if _, err := c.Build(schema); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestConfigJSONRoundTrip(t *testing.T) {
	c := smallConfig()
	c.NoiseProbabilities = map[string]float64{"x1": 0.2}
	c.LossTypeWeights = []float64{1, 2, 3}
	c.EmbeddingDims = map[string]int{"city": 4}
	c.IncludeInputFeaturesInference = true
	b, err := ssl.MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ssl.UnmarshalConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, ssl.Config(c)) {
		t.Errorf("round trip:\ngot  %#v\nwant %#v", back, c)
	}
	if got := ssl.Available(); !reflect.DeepEqual(got, []string{Name}) {
		t.Errorf("Available() = %v", got)
	}
}

// Pretraining lowers the loss on data with structure.
func TestLearns(t *testing.T) {
	c := smallConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.DecoderConfig = categoryembedding.Config{Layers: "32"}
	m := build(t, c)
	cont, cat := rows(rand.New(rand.NewPCG(4, 4)), 256)
	opt := newAdam(m.Params())
	noise := rand.New(rand.NewPCG(5, 5))
	eval := func() float64 {
		m.Forward(cont, cat, false, rand.New(rand.NewPCG(6, 6)))
		return m.Loss(false)
	}
	before := eval()
	for range 300 {
		nn.ZeroGrad(m.Params())
		m.Forward(cont, cat, true, noise)
		m.Loss(true)
		m.Backward()
		opt()
	}
	if after := eval(); after > 0.8*before {
		t.Errorf("loss %v before, %v after 300 steps; want a clear decrease", before, after)
	}
}

// newAdam avoids importing optim for one test: plain gradient steps
// suffice to show learning.
func newAdam(ps []*nn.Param) func() {
	return func() {
		for _, p := range nn.Trainable(ps) {
			for i, g := range p.Grad.Data {
				p.Value.Data[i] -= 0.05 * g
			}
		}
	}
}

func TestStepAllocations(t *testing.T) {
	m := build(t, smallConfig())
	cont, cat := rows(rand.New(rand.NewPCG(1, 1)), 32)
	noise := rand.New(rand.NewPCG(2, 2))
	params := m.Params()
	step := func() {
		nn.ZeroGrad(params)
		m.Forward(cont, cat, true, noise)
		m.Loss(true)
		m.Backward()
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per pretraining step, want 0", n)
	}
}

func TestFinetuneGradients(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		includeInput, frozen bool
	}{{"plain", false, false}, {"include input", true, false}, {"frozen", false, true}, {"frozen+input", true, true}} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			c.BatchNormContinuousInput = true
			m := build(t, c)
			f, err := ssl.NewFinetune(m.EmbeddingLayer(), m.Featurizer(), models.HeadConfig{Layers: "5", Activation: "GELU"}, 2, tt.includeInput, tt.frozen, 1)
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := rows(rand.New(rand.NewPCG(8, 8)), 7)
			labels := []int32{0, 1, 1, 0, 1, 0, 0}
			grad := tensor.New(7, 2)
			fn := nntest.Func{
				Forward: func(*tensor.Mat) float64 {
					return nn.CrossEntropy(f.Forward(cont, cat, true), labels, grad)
				},
				Backward: func() *tensor.Mat { f.Backward(grad); return nil },
				Params:   f.Trainable(),
			}
			nntest.Check(t, fn, nil, nntest.Options{Tol: 1e-2})
			if tt.frozen {
				for _, p := range f.Params() {
					if p.Grad != nil && !contains(f.Trainable(), p) {
						for _, g := range p.Grad.Data {
							if g != 0 {
								t.Fatalf("frozen %s got a gradient", p.Name)
							}
						}
					}
				}
			}
		})
	}
}

func contains(ps []*nn.Param, p *nn.Param) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// Size must agree with what Build allocates: loading relies on it.
func TestSize(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(*Config)
	}{
		{"default", func(*Config) {}},
		{"identity decoder, batch norm", func(c *Config) {
			c.DecoderConfig = nil
			c.EncoderConfig = categoryembedding.Config{Layers: "8-6", UseBatchNorm: true}
		}},
		{"all embedded", func(c *Config) { c.MaxOnehotCardinality = 0; c.EmbeddingDims = map[string]int{"city": 5} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			tt.modify(&c)
			m := build(t, c)
			z := c.Size(schema)
			embed, enc, err := c.BuildFeaturizer(schema)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := z.All, nn.Size(m.Params()); got != want {
				t.Errorf("Size().All = %d, Build allocates %d", got, want)
			}
			if got, want := z.Featurizer, nn.Size(embed.Params())+nn.Size(enc.Params()); got != want {
				t.Errorf("Size().Featurizer = %d, BuildFeaturizer allocates %d", got, want)
			}
			if z.FeatureDim != enc.OutDim() || z.InputDim != embed.OutDim() {
				t.Errorf("Size() dims %d, %d; built %d, %d", z.FeatureDim, z.InputDim, enc.OutDim(), embed.OutDim())
			}
		})
	}
}
