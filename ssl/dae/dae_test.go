package dae

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/internal/pretext"
	"github.com/gotabular/gotabular/ssl/internal/ssltest"
	"github.com/gotabular/gotabular/tensor"
)

var (
	schema = ssltest.Schema
	rows   = ssltest.Rows
)

func smallConfig() Config {
	c := NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU"}
	c.DecoderConfig = categoryembedding.Config{Layers: "7", Activation: "GELU"}
	c.EmbeddingDropout = 0
	c.DefaultNoiseProbability = 0.3
	c.MaxOnehotCardinality = 3
	return c
}

func build(t *testing.T, c Config) *pretext.Denoiser {
	t.Helper()
	return ssltest.Build(t, c).(*pretext.Denoiser)
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
			ssltest.CheckGradients(t, build(t, c), 1)
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
	noisy := m.Corrupter()
	counts := make([]int, 6)
	for i := range 200 {
		for j, v := range noisy.Mask.Row(i) {
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
	if noisy.Mask.At(0, 1) == 1 && noisy.Cont.At(0, 1) == cont.At(0, 1) {
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
		n += int(m.Corrupter().Mask.At(i, 2)) // x3 is continuous: a swap almost surely changes it
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
	noisy := m.Corrupter()
	for i := range 20 {
		for j, v := range noisy.Cont.Row(i) {
			if v != 0 {
				t.Fatalf("zero noise left continuous [%d,%d] = %v", i, j, v)
			}
		}
		for j, v := range noisy.Cat.Row(i) {
			if v != 0 {
				t.Fatalf("zero noise left categorical [%d,%d] = %v", i, j, v)
			}
			if want := float32(min(cat.At(i, j), 1)); noisy.Mask.At(i, 3+j) != want {
				t.Errorf("mask [%d,%d] = %v, want %v", i, 3+j, noisy.Mask.At(i, 3+j), want)
			}
		}
	}
}

// The default weights are each type's share of the features, and
// two-level columns get the binary loss.
func TestLossWeights(t *testing.T) {
	m := build(t, smallConfig())
	if got, want := m.Weights(), (pretext.Weights{Binary: 1.0 / 6, Categorical: 2.0 / 6, Continuous: 3.0 / 6, Mask: 8}); got != want {
		t.Errorf("weights %+v, want %+v", got, want)
	}
	c := smallConfig()
	c.LossTypeWeights = []float64{0.5, 2, 3}
	if got, want := build(t, c).Weights(), (pretext.Weights{Binary: 0.5, Categorical: 2, Continuous: 3, Mask: 8}); got != want {
		t.Errorf("with loss_type_weights: weights %+v, want %+v", got, want)
	}
	// The reconstruction weight scales either kind.
	c.ReconstructionLossWeight = 0.5
	if got, want := build(t, c).Weights(), (pretext.Weights{Binary: 0.25, Categorical: 1, Continuous: 1.5, Mask: 8}); got != want {
		t.Errorf("with loss_type_weights and reconstruction weight 0.5: weights %+v, want %+v", got, want)
	}
	c = smallConfig()
	c.ReconstructionLossWeight = 0.008
	if got, want := build(t, c).Weights(), (pretext.Weights{Binary: 0.008 * 1 / 6, Categorical: 0.008 * 2 / 6, Continuous: 0.008 * 3 / 6, Mask: 8}); got != want {
		t.Errorf("with reconstruction weight 0.008: weights %+v, want %+v", got, want)
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
	ssltest.CheckRejects(t, smallConfig(), map[string]func(*Config){
		"no encoder":          func(c *Config) { c.EncoderConfig = nil },
		"strategy":            func(c *Config) { c.NoiseStrategy = "gaussian" },
		"no strategy":         func(c *Config) { c.NoiseStrategy = "" },
		"zero learning rate":  func(c *Config) { c.LearningRate = 0 },
		"probability":         func(c *Config) { c.DefaultNoiseProbability = 1.5 },
		"feature probability": func(c *Config) { c.NoiseProbabilities = map[string]float64{"x1": -0.1} },
		"unknown feature":     func(c *Config) { c.NoiseProbabilities = map[string]float64{"nope": 0.5} },
		"weights":             func(c *Config) { c.LossTypeWeights = []float64{1, 2} },
		"mask weight":         func(c *Config) { c.MaskLossWeight = math.NaN() },
		"reconstruction":      func(c *Config) { c.ReconstructionLossWeight = -1 },
		"encoder layers":      func(c *Config) { c.EncoderConfig = categoryembedding.Config{Layers: "8-0"} },
	})
}

func TestConfigJSONRoundTrip(t *testing.T) {
	c := smallConfig()
	c.NoiseProbabilities = map[string]float64{"x1": 0.2}
	c.LossTypeWeights = []float64{1, 2, 3}
	c.EmbeddingDims = map[string]int{"city": 4}
	c.IncludeInputFeaturesInference = true
	ssltest.CheckJSONRoundTrip(t, c)
	// The package registers itself; the example, which goes through the
	// facade, registers the other methods too.
	if got := ssl.Available(); !slices.Contains(got, Name) {
		t.Errorf("Available() = %v", got)
	}
}

// Pretraining lowers the loss on data with structure.
func TestLearns(t *testing.T) {
	c := smallConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.DecoderConfig = categoryembedding.Config{Layers: "32"}
	if before, after, _, _ := ssltest.Train(build(t, c), 256, 300, 0.05); after > 0.8*before {
		t.Errorf("loss %v before, %v after 300 steps; want a clear decrease", before, after)
	}
}

func TestStepAllocations(t *testing.T) { ssltest.CheckStepAllocations(t, build(t, smallConfig())) }

func TestFinetuneGradients(t *testing.T) {
	for _, tt := range []struct {
		name                       string
		includeInput, frozen, deep bool
		encoder                    categoryembedding.Config
	}{
		{name: "plain"}, {name: "include input", includeInput: true}, {name: "frozen", frozen: true},
		{name: "frozen+input", includeInput: true, frozen: true},
		{name: "deep", deep: true}, {name: "deep+input", deep: true, includeInput: true},
		// Stages that start with a batch norm; stages whose ReLU is fused
		// into the linear layer (the rows were drawn so that no value
		// sits within the step of a ReLU's kink).
		{name: "deep, batch norm", deep: true, includeInput: true,
			encoder: categoryembedding.Config{Layers: "8-7-6", Activation: "GELU", UseBatchNorm: true}},
		{name: "fused ReLU", encoder: categoryembedding.Config{Layers: "8-7-6", Activation: "ReLU"}},
		{name: "deep, fused ReLU", deep: true, includeInput: true,
			encoder: categoryembedding.Config{Layers: "8-7-6", Activation: "ReLU"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			c.BatchNormContinuousInput = true
			if tt.encoder.Layers != "" {
				c.EncoderConfig = tt.encoder
			}
			m := build(t, c)
			f, err := ssl.NewFinetune(m.EmbeddingLayer(), m.Featurizer(), ssl.FinetuneSpec{Head: models.HeadConfig{Layers: "5", Activation: "GELU"},
				Outputs: 2, IncludeInput: tt.includeInput, DeepFeatures: tt.deep, Frozen: tt.frozen, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := rows(rand.New(rand.NewPCG(8, 8)), 7)
			labels := []int32{0, 1, 1, 0, 1, 0, 0}
			grad := tensor.New(7, 2)
			// The loss is scaled up so that the gradients are large
			// against the check's absolute tolerance, and one 10% off
			// cannot pass.
			const scale = 100
			fn := nntest.Func{
				Forward: func(*tensor.Mat) float64 {
					loss := nn.CrossEntropy(f.Forward(cont, cat, true), labels, grad)
					for i := range grad.Data {
						grad.Data[i] *= scale
					}
					return scale * loss
				},
				Backward: func() *tensor.Mat { f.Backward(grad); return nil },
				Params:   f.Trainable(),
			}
			opt := nntest.Options{Eps: 1e-3, Tol: 1e-2}
			nntest.Check(t, fn, nil, opt)
			if tt.deep {
				// Each stage's gradient sums two paths; the check must see
				// either of them 10% off.
				nntest.CheckCatches(t, fn, nil, opt)
			}
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

func TestSize(t *testing.T) {
	for name, modify := range map[string]func(*Config){
		"default": func(*Config) {},
		"identity decoder, batch norm": func(c *Config) {
			c.DecoderConfig = nil
			c.EncoderConfig = categoryembedding.Config{Layers: "8-6", UseBatchNorm: true}
		},
		"all embedded": func(c *Config) { c.MaxOnehotCardinality = 0; c.EmbeddingDims = map[string]int{"city": 5} },
	} {
		t.Run(name, func(t *testing.T) {
			c := smallConfig()
			modify(&c)
			ssltest.CheckSize(t, c)
		})
	}
}

// A zero noise probability means no noise, not the default.
func TestZeroProbabilityIsZero(t *testing.T) {
	c := smallConfig()
	c.DefaultNoiseProbability = 0
	m := build(t, c)
	cont, cat := rows(rand.New(rand.NewPCG(3, 1)), 50)
	m.Forward(cont, cat, true, rand.New(rand.NewPCG(3, 2)))
	for i := range 50 {
		for j, v := range m.Corrupter().Mask.Row(i) {
			if v != 0 {
				t.Fatalf("value [%d,%d] corrupted with probability 0", i, j)
			}
		}
	}
	ssltest.CheckJSONRoundTrip(t, c) // the zero is saved as a zero
}

// Files written when zeros stood for defaults are read with the values
// they meant. The JSON is what the earlier format wrote for a Config whose
// zero fields were left for the defaults.
func TestLegacyConfig(t *testing.T) {
	for _, tt := range []struct {
		name, json string
		want       func(Config) bool
	}{
		{"zeros were defaults",
			`{"name":"DenoisingAutoEncoder","config":{"common":{"encoder_config":{"name":"CategoryEmbedding","config":{"layers":"8"}},"embedding_dropout":0,"batch_norm_continuous_input":false,"learning_rate":0,"seed":0},"noise_strategy":"","default_noise_probability":0,"mask_loss_weight":0,"max_onehot_cardinality":0,"include_input_features_inference":false}}`,
			func(c Config) bool {
				return c.NoiseStrategy == Swap && c.DefaultNoiseProbability == 0.8 && c.LearningRate == 1e-3 && c.Seed == 42 &&
					c.MaskLossWeight == 0 && c.MaxOnehotCardinality == 0 && c.ReconstructionLossWeight == 1
			}},
		{"per-column probabilities kept the zero",
			`{"name":"DenoisingAutoEncoder","config":{"common":{"encoder_config":{"name":"CategoryEmbedding","config":{"layers":"8"}},"embedding_dropout":0.1,"batch_norm_continuous_input":true,"learning_rate":0.01,"seed":7},"noise_strategy":"zero","noise_probabilities":{"x1":0.5},"default_noise_probability":0,"mask_loss_weight":2,"max_onehot_cardinality":4,"include_input_features_inference":true}}`,
			func(c Config) bool {
				return c.NoiseStrategy == Zero && c.DefaultNoiseProbability == 0 && c.NoiseProbabilities["x1"] == 0.5 &&
					c.LearningRate == 0.01 && c.Seed == 7 && c.IncludeInputFeaturesInference
			}},
		{"current format takes zeros as written",
			`{"name":"DenoisingAutoEncoder","config":{"common":{"version":2,"encoder_config":{"name":"CategoryEmbedding","config":{"layers":"8"}},"embedding_dropout":0,"batch_norm_continuous_input":false,"max_onehot_cardinality":0,"include_input_features_inference":true,"learning_rate":0.001,"seed":0},"noise_strategy":"swap","default_noise_probability":0,"mask_loss_weight":2}}`,
			func(c Config) bool {
				return c.DefaultNoiseProbability == 0 && c.Seed == 0 && c.MaxOnehotCardinality == 0 && c.IncludeInputFeaturesInference &&
					c.ReconstructionLossWeight == 1 // written before the reconstruction had a weight of its own
			}},
		{"reconstruction weight as written",
			`{"name":"DenoisingAutoEncoder","config":{"common":{"version":2,"encoder_config":{"name":"CategoryEmbedding","config":{"layers":"8"}},"embedding_dropout":0,"batch_norm_continuous_input":false,"max_onehot_cardinality":0,"include_input_features_inference":true,"learning_rate":0.001,"seed":0},"noise_strategy":"swap","default_noise_probability":0.3,"reconstruction_loss_weight":0.5,"mask_loss_weight":2}}`,
			func(c Config) bool { return c.ReconstructionLossWeight == 0.5 && c.MaskLossWeight == 2 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ssl.UnmarshalConfig([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.want(c.(Config)) {
				t.Errorf("read %+v", c)
			}
		})
	}
}

func TestFeatureDiagnostics(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(*Config)
	}{
		{"swap", func(*Config) {}},
		{"zero", func(c *Config) { c.NoiseStrategy = Zero }},
		{"identity decoder", func(c *Config) { c.DecoderConfig = nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			tt.modify(&c)
			ssltest.CheckFeatureDiagnostics(t, build(t, c))
		})
	}
}

// In ssltest.Rows x2 is x1 plus a little noise and x3 is noise alone: a
// trained DAE can infer a corrupted x2 from x1, and nothing can infer a
// corrupted x3 better than its mean (an RMSE near 1 in standardised
// units). The per-feature errors must show it.
func TestReconstructsCopyBetterThanNoise(t *testing.T) {
	c := smallConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.DecoderConfig = categoryembedding.Config{Layers: "32"}
	c.MaskLossWeight = 1
	c.DefaultNoiseProbability = 0.15
	m := build(t, c)
	ssltest.Train(m, 256, 600, 0.05)
	cont, cat := rows(rand.New(rand.NewPCG(21, 21)), 512)
	d := m.DiagnoseFeatures(ssltest.Batches(cont, cat, 256), rand.New(rand.NewPCG(22, 22)))
	byName := map[string]ssl.FeatureDiagnostic{}
	for _, f := range d {
		byName[f.Name] = f
	}
	copied, noise := byName["x2"], byName["x3"]
	t.Logf("x2 (copy of x1): error %.3f, corrupted %.3f on %d; x3 (noise): error %.3f, corrupted %.3f on %d",
		copied.Error, copied.CorruptedError, copied.Corrupted, noise.Error, noise.CorruptedError, noise.Corrupted)
	if copied.Corrupted < 50 || noise.Corrupted < 50 {
		t.Fatalf("too few corrupted values to compare: %d and %d", copied.Corrupted, noise.Corrupted)
	}
	if copied.CorruptedError > 0.7*noise.CorruptedError {
		t.Errorf("a corrupted copy of x1 is restored with RMSE %.3f, pure noise with %.3f: want the copy clearly better",
			copied.CorruptedError, noise.CorruptedError)
	}
	if copied.Error > noise.Error {
		t.Errorf("over all rows the copy's RMSE %.3f exceeds the noise's %.3f", copied.Error, noise.Error)
	}
}
