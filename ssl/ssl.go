// Package ssl defines what every self-supervised model provides (the
// [Model] interface, after PyTorch Tabular's SSLBaseModel), the settings
// they share ([SSLModelConfig]), a registry of methods ([Register],
// [Lookup], [Available]), and the fine-tuning network that puts a
// prediction head on a copy of a pretrained model's embedding layer and
// featurizer.
//
// Each method lives in its own sub-package and registers itself from
// init: ssl/dae (the denoising autoencoder), ssl/scarf (SCARF) and
// ssl/vime (VIME); importing ssl/methods registers them all. A method's
// own settings are fields of its config with struct tags (see [Setting]),
// from which saved models, config files, command-line flags and help texts
// follow, so the facade and the command line need no code per method.
//
// Every setting is taken as written: a zero means zero, and a method's
// NewConfig supplies the defaults.
//
// ssl knows nothing of files: models see encoded batches only.
package ssl

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// SSLModelConfig holds the settings every self-supervised model shares.
type SSLModelConfig struct {
	// EncoderConfig is the featurizer: its output is the learned
	// representation. Required.
	EncoderConfig models.BackboneConfig
	// DecoderConfig maps the representation back towards the input; nil
	// means the identity (the heads read the encoder's output).
	DecoderConfig models.BackboneConfig
	// EmbeddingDims sets the learned-embedding width of categorical
	// columns by name (default min(50, (cardinality+1)/2)).
	EmbeddingDims map[string]int
	// EmbeddingDropout drops learned-embedding columns in training.
	EmbeddingDropout float64
	// BatchNormContinuousInput normalises continuous inputs with
	// BatchNorm1d inside the embedding layer (after the numerical
	// embedding, if any: see [models.EmbeddingConfig]).
	BatchNormContinuousInput bool
	// NumEmbedding embeds each continuous feature with PLR or PLE before
	// the encoder. It is part of the featurizer, so fine-tuning keeps the
	// pretrained embedding, and PLE's bins are fitted with the
	// preprocessing on the pretraining rows.
	NumEmbedding models.NumEmbeddingConfig
	// MaxOnehotCardinality: categoricals with at most this many known
	// levels enter the encoder one-hot, others as learned embeddings (4 in
	// NewSSLModelConfig; 0 embeds all).
	MaxOnehotCardinality int
	// IncludeInputFeaturesInference appends the embedded clean input to
	// the encoder's features when fine-tuning.
	IncludeInputFeaturesInference bool
	// LearningRate of pretraining; it must be positive (1e-3 in
	// NewSSLModelConfig).
	LearningRate float64
	// Seed of weight initialisation and dropout (42 in NewSSLModelConfig;
	// 0 is a seed like any other).
	Seed uint64
}

// NewSSLModelConfig returns the shared settings with PyTorch Tabular's
// defaults: embedding dropout 0.1, batch norm on the continuous inputs,
// one-hot encoding up to 4 levels, learning rate 1e-3 and seed 42. The
// encoder is left for the caller.
//
// Every field is taken as it is: a zero is a zero, not "the default". A
// method's NewConfig starts from these values.
func NewSSLModelConfig() SSLModelConfig {
	return SSLModelConfig{EmbeddingDropout: 0.1, BatchNormContinuousInput: true, MaxOnehotCardinality: 4, LearningRate: 1e-3, Seed: 42}
}

// Common returns c: a method's config, embedding SSLModelConfig, has its
// [Config.Common] from here.
func (c SSLModelConfig) Common() SSLModelConfig { return c }

// IncludeInputFeatures implements [InputFeaturesIncluder].
func (c SSLModelConfig) IncludeInputFeatures() bool { return c.IncludeInputFeaturesInference }

// Validate reports the first field that cannot work.
func (c SSLModelConfig) Validate() error {
	if c.EncoderConfig == nil {
		return fmt.Errorf("ssl config: encoder_config is required (e.g. categoryembedding.Config{Layers: \"256-128\"})")
	}
	if err := c.EncoderConfig.Validate(); err != nil {
		return fmt.Errorf("ssl config: encoder_config: %w", err)
	}
	if c.DecoderConfig != nil {
		if err := c.DecoderConfig.Validate(); err != nil {
			return fmt.Errorf("ssl config: decoder_config: %w", err)
		}
	}
	if c.EmbeddingDropout < 0 || c.EmbeddingDropout >= 1 {
		return fmt.Errorf("ssl config: embedding_dropout %v: want a probability in [0, 1)", c.EmbeddingDropout)
	}
	if err := c.NumEmbedding.Validate(); err != nil {
		return fmt.Errorf("ssl config: %w", err)
	}
	if c.MaxOnehotCardinality < 0 {
		return fmt.Errorf("ssl config: max_onehot_cardinality %d: must be ≥ 0", c.MaxOnehotCardinality)
	}
	if !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0) {
		// A zero rate would train nothing; NewSSLModelConfig sets 1e-3.
		return fmt.Errorf("ssl config: learning_rate %v: must be positive (the default is 1e-3)", c.LearningRate)
	}
	return nil
}

// Embedding returns the embedding-layer settings, with one-hot encoding up
// to maxOnehot known levels (c.MaxOnehotCardinality for the encoders of
// the self-supervised methods).
func (c SSLModelConfig) Embedding(maxOnehot int) models.EmbeddingConfig {
	return models.EmbeddingConfig{
		Dims:                 c.EmbeddingDims,
		Dropout:              c.EmbeddingDropout,
		BatchNormContinuous:  c.BatchNormContinuousInput,
		MaxOnehotCardinality: maxOnehot,
		NumEmbedding:         c.NumEmbedding,
	}
}

// wireVersion marks the serialised form in which every field is taken as
// written. Files without it were written when a zero learning rate or seed
// stood for the default; they are read with the values they meant.
const wireVersion = 2

// commonWire is the serialised form of SSLModelConfig: backbone configs
// are stored with their names so that loading can rebuild them.
type commonWire struct {
	Version                  int                       `json:"version,omitempty"`
	Encoder                  json.RawMessage           `json:"encoder_config"`
	Decoder                  json.RawMessage           `json:"decoder_config,omitempty"`
	EmbeddingDims            map[string]int            `json:"embedding_dims,omitempty"`
	EmbeddingDropout         float64                   `json:"embedding_dropout"`
	BatchNormContinuousInput bool                      `json:"batch_norm_continuous_input"`
	NumEmbedding             models.NumEmbeddingConfig `json:"num_embedding,omitzero"` // absent in older models: none
	MaxOnehotCardinality     int                       `json:"max_onehot_cardinality"`
	IncludeInput             bool                      `json:"include_input_features_inference"`
	LearningRate             float64                   `json:"learning_rate"`
	Seed                     uint64                    `json:"seed"`
}

// MarshalJSON encodes the shared settings.
func (c SSLModelConfig) MarshalJSON() ([]byte, error) {
	if c.EncoderConfig == nil {
		return nil, fmt.Errorf("ssl config: encoder_config is required")
	}
	w := commonWire{Version: wireVersion, EmbeddingDims: c.EmbeddingDims, EmbeddingDropout: c.EmbeddingDropout,
		BatchNormContinuousInput: c.BatchNormContinuousInput, NumEmbedding: c.NumEmbedding,
		MaxOnehotCardinality: c.MaxOnehotCardinality,
		IncludeInput:         c.IncludeInputFeaturesInference, LearningRate: c.LearningRate, Seed: c.Seed}
	var err error
	if w.Encoder, err = models.MarshalBackbone(c.EncoderConfig); err != nil {
		return nil, err
	}
	if c.DecoderConfig != nil {
		if w.Decoder, err = models.MarshalBackbone(c.DecoderConfig); err != nil {
			return nil, err
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes what MarshalJSON wrote. The one-hot limit and
// the input-features switch, which older files kept among the DAE's own
// settings, keep the values c holds when b lacks them.
func (c *SSLModelConfig) UnmarshalJSON(b []byte) error {
	w := commonWire{MaxOnehotCardinality: c.MaxOnehotCardinality, IncludeInput: c.IncludeInputFeaturesInference}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if len(w.Encoder) == 0 {
		return fmt.Errorf("ssl config: encoder_config is missing")
	}
	enc, err := models.UnmarshalBackbone(w.Encoder)
	if err != nil {
		return fmt.Errorf("ssl config: encoder_config: %w", err)
	}
	var dec models.BackboneConfig
	if len(w.Decoder) > 0 && string(w.Decoder) != "null" {
		if dec, err = models.UnmarshalBackbone(w.Decoder); err != nil {
			return fmt.Errorf("ssl config: decoder_config: %w", err)
		}
	}
	if w.Version > wireVersion {
		return fmt.Errorf("ssl config: version %d; this build reads up to version %d", w.Version, wireVersion)
	}
	if w.Version < wireVersion {
		if w.LearningRate == 0 {
			w.LearningRate = 1e-3
		}
		if w.Seed == 0 {
			w.Seed = 42
		}
	}
	*c = SSLModelConfig{EncoderConfig: enc, DecoderConfig: dec, EmbeddingDims: w.EmbeddingDims,
		EmbeddingDropout: w.EmbeddingDropout, BatchNormContinuousInput: w.BatchNormContinuousInput,
		NumEmbedding:         w.NumEmbedding,
		MaxOnehotCardinality: w.MaxOnehotCardinality, IncludeInputFeaturesInference: w.IncludeInput,
		LearningRate: w.LearningRate, Seed: w.Seed}
	return nil
}

// Config configures one self-supervised method.
type Config interface {
	// Name is the registered name, e.g. "DenoisingAutoEncoder".
	Name() string
	// Common returns the shared settings.
	Common() SSLModelConfig
	Validate() error
	// Build returns a freshly initialised model for the schema.
	Build(s models.Schema) (Model, error)
	// BuildFeaturizer returns the part of the model that fine-tuning
	// keeps, with the parameter names Build gives it: the embedding layer
	// and the featurizer.
	BuildFeaturizer(s models.Schema) (models.Embedder, models.Backbone, error)
	// Size tells how large the model for s is, without building anything.
	Size(s models.Schema) Size
}

// Size describes a model's size in parameter and state values. Loading
// checks it against the weights file before allocating, so that a damaged
// config cannot ask for a huge network.
type Size struct {
	All        int // the whole pretraining model
	Featurizer int // the embedding layer and featurizer
	FeatureDim int // the featurizer's output width
	InputDim   int // the embedding layer's output width
	// Input is what the featurizer reads: the embedding layer's output.
	Input models.Input
}

// Value is a named figure: a loss part or a metric. HigherIsBetter says
// which way it improves (set it for accuracies; losses and errors leave
// it false), so that training can monitor it by name.
type Value struct {
	Name           string
	Value          float64
	HigherIsBetter bool
}

// Model is a self-supervised model, after PyTorch Tabular's SSLBaseModel.
// The set-up of its loss and metrics happens when it is built; the
// calculate step is Loss and Metrics, on the batch of the last Forward.
type Model interface {
	// EmbeddingLayer turns a batch of encoded rows into the dense input of
	// the featurizer.
	EmbeddingLayer() models.Embedder
	// Featurizer is the encoder whose output is the learned
	// representation.
	Featurizer() models.Backbone
	// Forward runs the pretraining pass on a batch: it corrupts the input
	// with randomness from noise, encodes, decodes and predicts what the
	// objective asks for. train selects dropout and batch statistics.
	Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool, noise *rand.Rand)
	// Loss returns the total loss of the last Forward; with grad set it
	// also prepares the gradients that Backward propagates.
	Loss(grad bool) float64
	// LossParts returns the weighted parts of the last Loss by name. The
	// slice is owned by the model and overwritten by the next Loss.
	LossParts() []Value
	// Backward propagates the gradients of the last Loss(true) into the
	// parameters.
	Backward()
	// Metrics returns diagnostics of the last Forward (e.g. how well the
	// corruption mask is recovered).
	Metrics() []Value
	// Featurize returns the learned features of clean rows, in evaluation
	// mode. The matrix is owned by the model.
	Featurize(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat
	// Params lists all parameters and state in a fixed order.
	Params() []*nn.Param
}

// InputFeaturesIncluder is implemented by configs that can append the
// embedded input to the features given to a fine-tuning head.
type InputFeaturesIncluder interface {
	IncludeInputFeatures() bool
}

// EncoderSetter is implemented by configs whose encoder can be replaced,
// so that fine-tuning can build the featurizer with other settings (a
// different dropout, say) and copy the pretrained weights into it by name.
// The receiver is left unchanged.
type EncoderSetter interface {
	WithEncoder(models.BackboneConfig) Config
}

// NewFeaturizer builds the part of a model that fine-tuning keeps: the
// embedding layer for schema s and the encoder. The encoder's config
// chooses the embedding layer (flat, or tokens: see
// [models.NewEmbedder]); corruption happens on the raw features, before
// it, so every method works with either. Every method builds it with
// these parameter names ("embedding…", "encoder…"), so that
// [Config.BuildFeaturizer] matches Build and fine-tuning can copy the
// pretrained values by name.
func (c SSLModelConfig) NewFeaturizer(s models.Schema, rng *rand.Rand) (models.Embedder, models.Backbone, error) {
	embed, err := models.NewEmbedder("embedding", s, c.Embedding(c.MaxOnehotCardinality), c.EncoderConfig, rng)
	if err != nil {
		return nil, nil, err
	}
	enc, err := c.EncoderConfig.Build("encoder", embed.Input(), rng)
	if err != nil {
		return nil, nil, err
	}
	return embed, enc, nil
}

// FeaturizerSize tells the size of what NewFeaturizer builds, without
// building it. All counts the featurizer only; a method adds its heads.
func (c SSLModelConfig) FeaturizerSize(s models.Schema) Size {
	emb, in := c.Embedding(c.MaxOnehotCardinality).EmbedderSize(s, c.EncoderConfig)
	enc, h := c.EncoderConfig.Size(in)
	return Size{All: emb + enc, Featurizer: emb + enc, FeatureDim: h, InputDim: in.Width, Input: in}
}

// BuildFeaturizer is [Config.BuildFeaturizer] for a method whose Build
// calls NewFeaturizer first, with a PCG seeded with the config's Seed on
// the method's stream: the parameters it returns have the names and
// shapes of Build's.
func BuildFeaturizer(c Config, s models.Schema, stream uint64) (models.Embedder, models.Backbone, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	common := c.Common()
	return common.NewFeaturizer(s, rand.New(rand.NewPCG(common.Seed, stream)))
}

// FeatureDiagnoser is implemented by models that restore their corrupted
// input (the denoising autoencoder, VIME). A method that learns otherwise,
// such as SCARF by contrast, has no per-feature reconstruction and does
// not implement it.
type FeatureDiagnoser interface {
	// DiagnoseFeatures runs the model in evaluation mode on batches of
	// clean encoded rows, each corrupted as in pretraining with randomness
	// from noise (the corruption draws replacements from the batch, so the
	// batches are those of pretraining's evaluation), and describes how
	// well it restores each raw feature and finds its corruption. The
	// result has one entry per feature, continuous then categorical, as in
	// the batch. Without rows, every entry has Rows 0.
	DiagnoseFeatures(batches iter.Seq2[*tensor.Mat, *tensor.IntMat], noise *rand.Rand) []FeatureDiagnostic
}

// Kinds of feature in a [FeatureDiagnostic].
const (
	FeatureContinuous  = "continuous"
	FeatureCategorical = "categorical" // restored with cross-entropy over its categories
	FeatureBinary      = "binary"      // a categorical with two levels, restored with one logit
)

// FeatureDiagnostic describes how well a model that restores its corrupted
// input does so for one raw feature.
//
// The reconstruction error is the RMSE of the restored value in encoded
// units (the standardised or otherwise transformed value the network
// reads) for a continuous feature, and the error rate (the share of values
// restored to a wrong category) for a categorical one: an error rate
// rather than a cross-entropy, so that it reads the same for any number of
// categories. A binary feature's missing values have no category to
// restore and are left out of its errors, not of its mask accuracy.
type FeatureDiagnostic struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Rows is the number of rows diagnosed.
	Rows int `json:"rows"`
	// Error is the reconstruction error over all rows: mostly values the
	// model saw, so it tells how faithfully the representation keeps them.
	Error float64 `json:"error"`
	// Corrupted is the number of rows whose value the corruption changed;
	// CorruptedError, the reconstruction error over those alone (0 when
	// there are none): how well the model infers a value it did not see
	// from the rest of the row.
	Corrupted      int     `json:"corrupted"`
	CorruptedError float64 `json:"corrupted_error"`
	// MaskAccuracy is the share of rows whose corruption flag for this
	// feature (changed or not) the model predicts right. Predicting "not
	// changed" everywhere scores 1 − Corrupted/Rows, the baseline to beat.
	MaskAccuracy float64 `json:"mask_accuracy"`
}
