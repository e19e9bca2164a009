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
//     n_type/n_features, with the mask loss weighted by MaskLossWeight;
//   - a zero noise probability means no noise, not the default.
//
// The corruption and the reconstruction heads are shared with VIME
// (package ssl/vime), which weighs and samples them differently.
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
	ssl.Register(ssl.Method{
		Name:    Name,
		Aliases: []string{"dae"},
		Summary: "The denoising autoencoder of PyTorch Tabular: a share of the values of each row is corrupted (swapped with the same column of a random row of the batch, or zeroed), and the model learns to restore the clean row and to tell which values were corrupted.",
		New:     func() ssl.Config { return NewConfig() },
		Decode:  decode,
	})
}

// Noise strategies.
const (
	Swap = "swap" // replace the value with the same feature of a random row of the batch
	Zero = "zero" // replace the value with the feature's mean or the unknown category
)

// Config is PyTorch Tabular's DenoisingAutoEncoderConfig. Its fields are
// taken as they are: start from NewConfig for the defaults.
type Config struct {
	ssl.SSLModelConfig
	// NoiseStrategy is Swap or Zero.
	NoiseStrategy string `json:"noise_strategy" flag:"noise" arg:"strategy" help:"corruption strategy: swap (with the same column of a random row of the batch) or zero (the column's mean, or the unknown category)"`
	// NoiseProbabilities sets the corruption probability of features by
	// column name; others use DefaultNoiseProbability.
	NoiseProbabilities map[string]float64 `json:"noise_probabilities" arg:"probabilities" help:"corruption probabilities of single columns, overriding the default, e.g. color=0.3,size=0.1"`
	// DefaultNoiseProbability is the chance that a feature of a row is
	// corrupted (0.3 in NewConfig, where fine-tuning on few labels did
	// best, judged on the labelled rows' cross-validation; PyTorch Tabular
	// has 0.8; 0 means no noise).
	DefaultNoiseProbability float64 `json:"default_noise_probability" flag:"noise-prob" arg:"probability" help:"probability that a value is corrupted; 0 corrupts nothing"`
	// LossTypeWeights, when set, weigh the reconstruction losses of
	// [binary, categorical, continuous] features instead of their shares.
	LossTypeWeights []float64 `json:"loss_type_weights" arg:"weights" help:"three weights of the reconstruction losses of binary, categorical and continuous columns, e.g. 1,1,1 (default: each type's share of the columns)"`
	// ReconstructionLossWeight scales the reconstruction losses (the
	// shares of the feature types, or LossTypeWeights); 1 in NewConfig.
	// A small one beside MaskLossWeight (0.008 against 8, say) makes the
	// encoder learn almost only from telling which values were swapped, the
	// objective Rubachev et al. 2022 found better than reconstruction on
	// higgs, churn and adult, at the loss scale of the default; the
	// reconstruction heads still learn, since Adam scales each parameter's
	// steps on its own, so the per-feature diagnostics keep their meaning.
	ReconstructionLossWeight float64 `json:"reconstruction_loss_weight" arg:"weight" help:"weight of the losses of restoring the clean values (scaling the types' shares or loss_type_weights)"`
	// MaskLossWeight weighs the mask-prediction loss (8 in NewConfig:
	// with light corruption, telling which values were swapped is what
	// makes the encoder learn each feature's relation to the others).
	MaskLossWeight float64 `json:"mask_loss_weight" arg:"weight" help:"weight of the loss of telling which values were corrupted"`
}

// NewConfig returns a config with PyTorch Tabular's defaults; the caller
// sets EncoderConfig (and optionally DecoderConfig).
func NewConfig() Config {
	return Config{
		SSLModelConfig:           ssl.NewSSLModelConfig(),
		NoiseStrategy:            Swap,
		DefaultNoiseProbability:  0.3,
		ReconstructionLossWeight: 1,
		MaskLossWeight:           8,
	}
}

// Name implements [ssl.Config].
func (c Config) Name() string { return Name }

// WithEncoder implements [ssl.EncoderSetter].
func (c Config) WithEncoder(e models.BackboneConfig) ssl.Config {
	c.EncoderConfig = e
	return c
}

// Validate implements [ssl.Config].
func (c Config) Validate() error {
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
	if !(c.ReconstructionLossWeight >= 0) || math.IsInf(c.ReconstructionLossWeight, 0) {
		return fmt.Errorf("dae config: reconstruction_loss_weight %v: must be ≥ 0", c.ReconstructionLossWeight)
	}
	if !(c.MaskLossWeight >= 0) || math.IsInf(c.MaskLossWeight, 0) {
		return fmt.Errorf("dae config: mask_loss_weight %v: must be ≥ 0", c.MaskLossWeight)
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

// MarshalJSON implements [json.Marshaler] with [ssl.MarshalSettings].
func (c Config) MarshalJSON() ([]byte, error) { return ssl.MarshalSettings(c) }

// UnmarshalJSON implements [json.Unmarshaler] with [ssl.UnmarshalSettings];
// a setting missing from b keeps the value c holds.
func (c *Config) UnmarshalJSON(b []byte) error { return ssl.UnmarshalSettings(b, c) }

// decode reads a saved config. Files written before the reconstruction
// loss had a weight of its own gave it 1, and keep it. Files written
// before zeros were taken as written had "" stand for the swap strategy
// and a zero default probability, with no per-column ones, for 0.8; they
// keep meaning that. They also kept the one-hot limit and the
// input-features switch among the DAE's settings, which are now shared.
func decode(b []byte) (ssl.Config, error) {
	legacy := ssl.LegacyZeros(b)
	if legacy {
		var err error
		if b, err = moveToCommon(b, "max_onehot_cardinality", "include_input_features_inference"); err != nil {
			return nil, err
		}
	}
	c := NewConfig()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, err
	}
	if _, ok := keys["reconstruction_loss_weight"]; !ok {
		c.ReconstructionLossWeight = 1 // written before the setting, when reconstruction had weight 1
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if legacy {
		if c.NoiseStrategy == "" {
			c.NoiseStrategy = Swap
		}
		if c.DefaultNoiseProbability == 0 && c.NoiseProbabilities == nil {
			c.DefaultNoiseProbability = 0.8
		}
	}
	return c, nil
}

// moveToCommon moves the named settings of a config's JSON into its
// "common" object.
func moveToCommon(b []byte, keys ...string) ([]byte, error) {
	var top, common map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(top["common"], &common); err != nil {
		return nil, fmt.Errorf("common: %w", err)
	}
	for _, k := range keys {
		if v, ok := top[k]; ok {
			common[k] = v
			delete(top, k)
		}
	}
	var err error
	if top["common"], err = json.Marshal(common); err != nil {
		return nil, err
	}
	return json.Marshal(top)
}
