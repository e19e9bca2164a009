// Package dae is the denoising autoencoder: corrupt some features of each
// row, encode, decode, and learn to reconstruct the clean row and to tell
// which features were corrupted.
//
// It follows PyTorch Tabular's DenoisingAutoEncoderModel and fixes its
// defects:
//   - noise is applied to raw features, before embedding, so a corrupted
//     categorical is a different valid category rather than a scrambled
//     one-hot vector, and per-feature probabilities are applied to the
//     features they name (an unknown name is an error);
//   - the "zero" strategy is implemented: a corrupted continuous value
//     becomes its mean (0 after standardising), a categorical the
//     unknown code;
//   - every categorical is reconstructed with cross-entropy over its
//     categories (columns with exactly two levels with binary
//     cross-entropy), continuous values with mean squared error, so no
//     target is a learned embedding that can collapse;
//   - the default loss weights are the share of each feature type,
//     n_type/n_features, with the mask loss weighted by MaskLossWeight.
package dae

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
)

// Name is the registered method name.
const Name = "DenoisingAutoEncoder"

func init() {
	ssl.Register(Name, func(b []byte) (ssl.Config, error) {
		var c Config
		err := json.Unmarshal(b, &c)
		return c, err
	})
}

// Noise strategies.
const (
	Swap = "swap" // replace the value with the same feature of a random row of the batch
	Zero = "zero" // replace the value with the feature's mean or the unknown category
)

// Config is PyTorch Tabular's DenoisingAutoEncoderConfig.
type Config struct {
	ssl.SSLModelConfig
	// NoiseStrategy is Swap (default) or Zero.
	NoiseStrategy string
	// NoiseProbabilities sets the corruption probability of features by
	// column name; others use DefaultNoiseProbability.
	NoiseProbabilities map[string]float64
	// DefaultNoiseProbability is the chance that a feature of a row is
	// corrupted (default 0.8, as in PyTorch Tabular).
	DefaultNoiseProbability float64
	// LossTypeWeights, when set, weigh the reconstruction losses of
	// [binary, categorical, continuous] features instead of their shares.
	LossTypeWeights []float64
	// MaskLossWeight weighs the mask-prediction loss (default 2.0).
	MaskLossWeight float64
	// MaxOnehotCardinality: categoricals with at most this many known
	// levels enter the encoder one-hot, others as learned embeddings
	// (default 4).
	MaxOnehotCardinality int
	// IncludeInputFeaturesInference appends the embedded clean input to
	// the encoder's features when fine-tuning.
	IncludeInputFeaturesInference bool
}

// NewConfig returns a config with PyTorch Tabular's defaults; the caller
// sets EncoderConfig (and optionally DecoderConfig).
func NewConfig() Config {
	return Config{
		SSLModelConfig: ssl.SSLModelConfig{
			EmbeddingDropout:         0.1,
			BatchNormContinuousInput: true,
			LearningRate:             1e-3,
			Seed:                     42,
		},
		NoiseStrategy:           Swap,
		DefaultNoiseProbability: 0.8,
		MaskLossWeight:          2,
		MaxOnehotCardinality:    4,
	}
}

// Name implements [ssl.Config].
func (c Config) Name() string { return Name }

// Common implements [ssl.Config].
func (c Config) Common() ssl.SSLModelConfig { return c.SSLModelConfig.WithDefaults() }

// IncludeInputFeatures implements [ssl.InputFeaturesIncluder].
func (c Config) IncludeInputFeatures() bool { return c.IncludeInputFeaturesInference }

// WithEncoder implements [ssl.EncoderSetter].
func (c Config) WithEncoder(e models.BackboneConfig) ssl.Config {
	c.EncoderConfig = e
	return c
}

// withDefaults fills the zero fields that have no meaningful zero.
func (c Config) withDefaults() Config {
	c.SSLModelConfig = c.SSLModelConfig.WithDefaults()
	if c.NoiseStrategy == "" {
		c.NoiseStrategy = Swap
	}
	if c.DefaultNoiseProbability == 0 && c.NoiseProbabilities == nil {
		c.DefaultNoiseProbability = 0.8
	}
	return c
}

// Validate implements [ssl.Config].
func (c Config) Validate() error {
	c = c.withDefaults()
	if err := c.SSLModelConfig.Validate(); err != nil {
		return err
	}
	if c.NoiseStrategy != Swap && c.NoiseStrategy != Zero {
		return fmt.Errorf("dae config: noise_strategy %q: want %q or %q", c.NoiseStrategy, Swap, Zero)
	}
	if !isProb(c.DefaultNoiseProbability) {
		return fmt.Errorf("dae config: default_noise_probability %v: want a probability in [0, 1]", c.DefaultNoiseProbability)
	}
	for name, p := range c.NoiseProbabilities {
		if !isProb(p) {
			return fmt.Errorf("dae config: noise_probabilities[%q] = %v: want a probability in [0, 1]", name, p)
		}
	}
	if c.LossTypeWeights != nil {
		if len(c.LossTypeWeights) != 3 {
			return fmt.Errorf("dae config: loss_type_weights has %d values; want 3: [binary, categorical, continuous]", len(c.LossTypeWeights))
		}
		for i, w := range c.LossTypeWeights {
			if !(w >= 0) || math.IsInf(w, 0) {
				return fmt.Errorf("dae config: loss_type_weights[%d] = %v: must be ≥ 0", i, w)
			}
		}
	}
	if !(c.MaskLossWeight >= 0) || math.IsInf(c.MaskLossWeight, 0) {
		return fmt.Errorf("dae config: mask_loss_weight %v: must be ≥ 0", c.MaskLossWeight)
	}
	if c.MaxOnehotCardinality < 0 {
		return fmt.Errorf("dae config: max_onehot_cardinality %d: must be ≥ 0", c.MaxOnehotCardinality)
	}
	return nil
}

// validateSchema checks the names the config refers to against the data.
func (c Config) validateSchema(s models.Schema) error {
	known := map[string]bool{}
	for _, n := range s.Continuous {
		known[n] = true
	}
	for _, f := range s.Categorical {
		known[f.Name] = true
	}
	for name := range c.NoiseProbabilities {
		if !known[name] {
			return fmt.Errorf("dae config: noise_probabilities names %q, which is not a feature column", name)
		}
	}
	return nil
}

func isProb(p float64) bool { return p >= 0 && p <= 1 }

type configWire struct {
	Common                        ssl.SSLModelConfig `json:"common"`
	NoiseStrategy                 string             `json:"noise_strategy"`
	NoiseProbabilities            map[string]float64 `json:"noise_probabilities,omitempty"`
	DefaultNoiseProbability       float64            `json:"default_noise_probability"`
	LossTypeWeights               []float64          `json:"loss_type_weights,omitempty"`
	MaskLossWeight                float64            `json:"mask_loss_weight"`
	MaxOnehotCardinality          int                `json:"max_onehot_cardinality"`
	IncludeInputFeaturesInference bool               `json:"include_input_features_inference"`
}

// MarshalJSON encodes the config; it is needed because the embedded
// SSLModelConfig's own MarshalJSON would otherwise stand for the whole.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(configWire{c.SSLModelConfig, c.NoiseStrategy, c.NoiseProbabilities, c.DefaultNoiseProbability,
		c.LossTypeWeights, c.MaskLossWeight, c.MaxOnehotCardinality, c.IncludeInputFeaturesInference})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (c *Config) UnmarshalJSON(b []byte) error {
	var w configWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Config{w.Common, w.NoiseStrategy, w.NoiseProbabilities, w.DefaultNoiseProbability,
		w.LossTypeWeights, w.MaskLossWeight, w.MaxOnehotCardinality, w.IncludeInputFeaturesInference}
	return nil
}
