package dae

import (
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/internal/pretext"
)

// stream is the PCG stream of the DAE's initialisation; it is the one the
// DAE always used, so that a seed gives the weights it gave before.
const stream = 0xdae

// Build implements [ssl.Config]. The model corrupts each feature of a row
// with its probability, encodes, decodes, and reconstructs the clean row
// and the corruption mask.
func (c Config) Build(s models.Schema) (ssl.Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := c.validateSchema(s); err != nil {
		return nil, err
	}
	rw := c.ReconstructionLossWeight
	w := pretext.ShareWeights(s, rw, c.MaskLossWeight)
	if lw := c.LossTypeWeights; lw != nil {
		w.Binary, w.Categorical, w.Continuous = rw*lw[0], rw*lw[1], rw*lw[2]
	}
	return pretext.NewDenoiser(s, pretext.DenoiserConfig{
		Common: c.SSLModelConfig, Stream: stream,
		Probs: c.probabilities(s), Zero: c.NoiseStrategy == Zero, Weights: w,
	})
}

// probabilities returns the corruption probability of each feature of s.
func (c Config) probabilities(s models.Schema) []float64 {
	p := make([]float64, 0, s.NumFeatures())
	prob := func(name string) float64 {
		if v, ok := c.NoiseProbabilities[name]; ok {
			return v
		}
		return c.DefaultNoiseProbability
	}
	for _, n := range s.Continuous {
		p = append(p, prob(n))
	}
	for _, f := range s.Categorical {
		p = append(p, prob(f.Name))
	}
	return p
}

// BuildFeaturizer implements [ssl.Config].
func (c Config) BuildFeaturizer(s models.Schema) (models.Embedder, models.Backbone, error) {
	return ssl.BuildFeaturizer(c, s, stream)
}

// Size implements [ssl.Config].
func (c Config) Size(s models.Schema) ssl.Size {
	return pretext.DenoiserSize(s, c.SSLModelConfig)
}
