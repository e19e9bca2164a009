package vime

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/internal/pretext"
	"github.com/gotabular/gotabular/ssl/internal/ssltest"
)

func smallConfig() Config {
	c := NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU"}
	c.EmbeddingDropout = 0
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
		{"default", func(*Config) {}},
		{"alpha 0.5, p_m 0.6", func(c *Config) { c.Alpha = 0.5; c.MaskProbability = 0.6 }},
		{"decoder", func(c *Config) { c.DecoderConfig = categoryembedding.Config{Layers: "7", Activation: "GELU"} }},
		{"batch norm", func(c *Config) {
			c.EncoderConfig = categoryembedding.Config{Layers: "8-6", Activation: "GELU", UseBatchNorm: true}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := smallConfig()
			tt.modify(&c)
			ssltest.CheckGradients(t, build(t, c), 1)
		})
	}
}

// The mask loss has weight 1 and the reconstruction α, split between the
// feature types by their shares.
func TestWeights(t *testing.T) {
	c := smallConfig()
	c.Alpha = 3
	want := pretext.Weights{Binary: 3.0 / 6, Categorical: 6.0 / 6, Continuous: 9.0 / 6, Mask: 1}
	if got := build(t, c).Weights(); got != want {
		t.Errorf("weights %+v, want %+v", got, want)
	}
}

// p_m is the share of values masked, 0 included.
func TestMaskProbability(t *testing.T) {
	for _, p := range []float64{0, 0.3, 1} {
		c := smallConfig()
		c.MaskProbability = p
		m := build(t, c)
		cont, cat := ssltest.Rows(rand.New(rand.NewPCG(7, 7)), 1000)
		m.Forward(cont, cat, true, rand.New(rand.NewPCG(8, 8)))
		n := 0
		for i := range 1000 {
			n += int(m.Corrupter().Mask.At(i, 2)) // continuous: a draw almost surely changes it
		}
		if got := float64(n) / 1000; math.Abs(got-p) > 0.04 {
			t.Errorf("p_m %v: a share %v of the values masked", p, got)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ssltest.CheckRejects(t, smallConfig(), map[string]func(*Config){
		"no encoder":           func(c *Config) { c.EncoderConfig = nil },
		"probability above 1":  func(c *Config) { c.MaskProbability = 1.5 },
		"negative probability": func(c *Config) { c.MaskProbability = -0.2 },
		"negative alpha":       func(c *Config) { c.Alpha = -1 },
		"NaN alpha":            func(c *Config) { c.Alpha = math.NaN() },
		"one-hot limit":        func(c *Config) { c.MaxOnehotCardinality = -1 },
		"decoder layers":       func(c *Config) { c.DecoderConfig = categoryembedding.Config{Layers: "0"} },
	})
}

func TestConfigJSONRoundTrip(t *testing.T) {
	c := smallConfig()
	c.MaskProbability = 0 // a zero is kept, not replaced by the default
	c.Alpha = 0
	c.DecoderConfig = categoryembedding.Config{Layers: "4"}
	c.IncludeInputFeaturesInference = true
	ssltest.CheckJSONRoundTrip(t, c)
}

// Pretraining lowers the loss on data with structure.
func TestLearns(t *testing.T) {
	c := smallConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	if before, after, _, _ := ssltest.Train(build(t, c), 256, 300, 0.05); after > 0.8*before {
		t.Errorf("loss %v before, %v after 300 steps; want a clear decrease", before, after)
	}
}

func TestStepAllocations(t *testing.T) { ssltest.CheckStepAllocations(t, build(t, smallConfig())) }

func TestSize(t *testing.T) {
	c := smallConfig()
	ssltest.CheckSize(t, c)
	c.DecoderConfig = categoryembedding.Config{Layers: "5"}
	ssltest.CheckSize(t, c)
}

func TestFeatureDiagnostics(t *testing.T) {
	ssltest.CheckFeatureDiagnostics(t, build(t, smallConfig()))
}
