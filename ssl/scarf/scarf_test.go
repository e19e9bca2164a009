package scarf

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/internal/ssltest"
)

func smallConfig() Config {
	c := NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU"}
	c.ProjectionLayers = "7-5"
	c.ProjectionActivation = "GELU"
	c.EmbeddingDropout = 0
	c.MaxOnehotCardinality = 3
	return c
}

func build(t *testing.T, c Config) *Model {
	t.Helper()
	return ssltest.Build(t, c).(*Model)
}

func TestGradients(t *testing.T) {
	for _, tt := range []struct {
		name   string
		modify func(*Config)
	}{
		{"default", func(*Config) {}},
		{"symmetric, temperature 0.5", func(c *Config) { c.SymmetricLoss = true; c.Temperature = 0.5 }},
		{"no projection", func(c *Config) { c.ProjectionLayers = "" }},
		{"batch norm", func(c *Config) {
			c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU", UseBatchNorm: true}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			tt.modify(&c)
			// InfoNCE's gradients are small; scaled, they are checked
			// relative to their size rather than against the floor of 1.
			ssltest.CheckGradients(t, build(t, c), 20)
		})
	}
}

// The anchor is the clean row, and its positive differs from it in at
// most ⌊rate·features⌋ features (fewer where a draw equals the value).
func TestViews(t *testing.T) {
	for _, tt := range []struct {
		rate float64
		want int
	}{{0, 0}, {0.2, 1}, {0.6, 3}, {0.5, 3}, {1, 6}} {
		c := smallConfig()
		c.CorruptionRate = tt.rate
		m := build(t, c)
		if m.k != tt.want {
			t.Errorf("rate %v: %d features per row, want %d", tt.rate, m.k, tt.want)
		}
		cont, cat := ssltest.Rows(rand.New(rand.NewPCG(5, 5)), 50)
		m.Forward(cont, cat, true, rand.New(rand.NewPCG(6, 6)))
		for i := range 50 {
			changed := 0
			for j := range 3 {
				if m.views.cont.At(i, j) != cont.At(i, j) || m.views.cat.At(i, j) != cat.At(i, j) {
					t.Fatalf("rate %v: anchor %d is not the clean row", tt.rate, i)
				}
				if m.views.cont.At(50+i, j) != cont.At(i, j) {
					changed++
				}
				if m.views.cat.At(50+i, j) != cat.At(i, j) {
					changed++
				}
			}
			if changed > tt.want {
				t.Fatalf("rate %v: positive %d differs in %d features, want at most %d", tt.rate, i, changed, tt.want)
			}
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ssltest.CheckRejects(t, smallConfig(), map[string]func(*Config){
		"no encoder":            func(c *Config) { c.EncoderConfig = nil },
		"decoder":               func(c *Config) { c.DecoderConfig = categoryembedding.Config{Layers: "8"} },
		"rate above 1":          func(c *Config) { c.CorruptionRate = 1.2 },
		"negative rate":         func(c *Config) { c.CorruptionRate = -0.1 },
		"zero temperature":      func(c *Config) { c.Temperature = 0 },
		"infinite temperature":  func(c *Config) { c.Temperature = math.Inf(1) },
		"projection layers":     func(c *Config) { c.ProjectionLayers = "8-x" },
		"projection activation": func(c *Config) { c.ProjectionActivation = "tanh" },
		"one-hot limit":         func(c *Config) { c.MaxOnehotCardinality = -1 },
		"zero learning rate":    func(c *Config) { c.LearningRate = 0 },
	})
}

func TestConfigJSONRoundTrip(t *testing.T) {
	c := smallConfig()
	c.CorruptionRate = 0 // a zero is kept, not replaced by the default
	c.SymmetricLoss = true
	c.Seed = 0
	c.IncludeInputFeaturesInference = true
	c.EmbeddingDims = map[string]int{"city": 4}
	ssltest.CheckJSONRoundTrip(t, c)
}

// Pretraining separates rows: the loss falls and more anchors find their
// positives.
func TestLearns(t *testing.T) {
	c := smallConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.ProjectionLayers = "16"
	c.CorruptionRate = 0.3
	c.Temperature = 0.5
	before, after, mb, ma := ssltest.Train(build(t, c), 64, 300, 0.1)
	t.Logf("loss %.3f → %.3f, %v → %v", before, after, mb, ma)
	if after > 0.8*before || ma[0].Value <= mb[0].Value {
		t.Errorf("loss %.3f → %.3f, %v → %v; want a clear improvement", before, after, mb, ma)
	}
}

func TestStepAllocations(t *testing.T) { ssltest.CheckStepAllocations(t, build(t, smallConfig())) }

func TestSize(t *testing.T) {
	for name, modify := range map[string]func(*Config){
		"default":       func(*Config) {},
		"no projection": func(c *Config) { c.ProjectionLayers = "" },
		"all embedded":  func(c *Config) { c.MaxOnehotCardinality = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := smallConfig()
			modify(&c)
			ssltest.CheckSize(t, c)
		})
	}
}

// SCARF learns by contrast and restores no feature: it has no per-feature
// reconstruction to report, and must not pretend to.
func TestNoFeatureDiagnostics(t *testing.T) {
	if _, ok := ssltest.Build(t, smallConfig()).(ssl.FeatureDiagnoser); ok {
		t.Error("SCARF's model implements ssl.FeatureDiagnoser")
	}
}
