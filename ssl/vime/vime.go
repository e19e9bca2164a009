// Package vime is the self-supervised part of VIME (Yoon et al., "VIME:
// Extending the Success of Self- and Semi-supervised Learning to Tabular
// Domain", NeurIPS 2020): value imputation and mask estimation.
//
// A mask m is drawn per feature of each row, m ~ Bernoulli(p_m), and the
// row is corrupted as x̃ = m·x̄ + (1−m)·x, where x̄ is drawn from the
// features' empirical marginal distributions. The encoder maps x̃ to the
// representation, on which a mask estimator learns which values were
// replaced (binary cross-entropy) and a feature estimator restores the
// clean row (squared error for continuous values, cross-entropy for
// categoricals). The loss is mask loss + α·reconstruction loss.
//
// Where this differs from the reference implementation:
//   - x̄ is drawn from the batch: the same feature's value in a uniformly
//     drawn row (the reference permutes each column of the whole data);
//   - the mask estimator's target marks the values that changed, as the
//     reference's m_new = 1·(x ≠ x̃) does, so that a draw equal to the
//     value is not a corruption to be found;
//   - categoricals are restored with cross-entropy over their categories
//     (binary cross-entropy with exactly two levels) rather than squared
//     error on one-hot vectors, and the reconstruction loss is the mean
//     over features, each type weighted by its share of the features.
//
// The corruption and the heads are those of the denoising autoencoder
// (package ssl/dae); VIME samples and weighs them its own way, and has no
// decoder unless one is configured.
package vime

import (
	"fmt"
	"math"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/internal/pretext"
)

// Name is the registered method name.
const Name = "VIME"

func init() {
	ssl.Register(ssl.Method{
		Name:    Name,
		Aliases: []string{"vime"},
		Summary: "VIME's self-supervised learning (Yoon et al., NeurIPS 2020): values are replaced by draws from their columns with probability p_m, and the model learns to tell which were replaced (mask estimation) and to restore them (value imputation).",
		New:     func() ssl.Config { return NewConfig() },
	})
}

// Config configures VIME. Its fields are taken as they are: start from
// NewConfig for the defaults.
type Config struct {
	ssl.SSLModelConfig
	// MaskProbability p_m is the chance that a value is masked and
	// replaced (0.3 in NewConfig, the reference's default; 0 masks
	// nothing).
	MaskProbability float64 `json:"mask_probability" flag:"mask-prob" arg:"probability" help:"probability p_m that a value is masked and replaced by a draw from its column"`
	// Alpha weighs the reconstruction loss against the mask loss (2 in
	// NewConfig, the reference's default).
	Alpha float64 `json:"alpha" arg:"weight" help:"weight α of the loss of restoring the values against that of finding the mask"`
}

// NewConfig returns a config with the reference implementation's
// defaults; the caller sets EncoderConfig.
func NewConfig() Config {
	return Config{
		SSLModelConfig:  ssl.NewSSLModelConfig(),
		MaskProbability: 0.3,
		Alpha:           2,
	}
}

// Name implements [ssl.Config].
func (c Config) Name() string { return Name }

// Validate implements [ssl.Config].
func (c Config) Validate() error {
	if err := c.SSLModelConfig.Validate(); err != nil {
		return err
	}
	if !(c.MaskProbability >= 0 && c.MaskProbability <= 1) {
		return fmt.Errorf("vime config: mask_probability %v: want a probability in [0, 1]", c.MaskProbability)
	}
	if !(c.Alpha >= 0) || math.IsInf(c.Alpha, 0) {
		return fmt.Errorf("vime config: alpha %v: must be ≥ 0", c.Alpha)
	}
	return nil
}

// MarshalJSON implements [json.Marshaler] with [ssl.MarshalSettings].
func (c Config) MarshalJSON() ([]byte, error) { return ssl.MarshalSettings(c) }

// UnmarshalJSON implements [json.Unmarshaler] with [ssl.UnmarshalSettings];
// a setting missing from b keeps the value c holds.
func (c *Config) UnmarshalJSON(b []byte) error { return ssl.UnmarshalSettings(b, c) }

// stream is the PCG stream of VIME's initialisation.
const stream = 0x717e

// Build implements [ssl.Config]: the mask loss has weight 1 and each
// feature type's reconstruction loss α times its share of the features.
func (c Config) Build(s models.Schema) (ssl.Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	probs := make([]float64, s.NumFeatures())
	for j := range probs {
		probs[j] = c.MaskProbability
	}
	return pretext.NewDenoiser(s, pretext.DenoiserConfig{
		Common: c.SSLModelConfig, Stream: stream,
		Probs: probs, Weights: pretext.ShareWeights(s, c.Alpha, 1),
	})
}

// BuildFeaturizer implements [ssl.Config].
func (c Config) BuildFeaturizer(s models.Schema) (models.Embedder, models.Backbone, error) {
	return ssl.BuildFeaturizer(c, s, stream)
}

// Size implements [ssl.Config].
func (c Config) Size(s models.Schema) ssl.Size {
	return pretext.DenoiserSize(s, c.SSLModelConfig)
}
