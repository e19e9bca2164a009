// Package ssl defines what every self-supervised model provides (the
// [Model] interface, after PyTorch Tabular's SSLBaseModel), the settings
// they share ([SSLModelConfig]), a registry of methods ([Available]), and
// the fine-tuning network that puts a prediction head on a copy of a
// pretrained model's embedding layer and featurizer.
//
// Each method lives in its own sub-package (ssl/dae is the denoising
// autoencoder) and registers itself from init. ssl knows nothing of files:
// models see encoded batches only.
package ssl

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/internal/registry"
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
	// LearningRate of pretraining (default 1e-3).
	LearningRate float64
	// Seed of weight initialisation, dropout and noise (default 42).
	Seed uint64
}

// WithDefaults returns c with zero fields set to their defaults.
func (c SSLModelConfig) WithDefaults() SSLModelConfig {
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if c.Seed == 0 {
		c.Seed = 42
	}
	return c
}

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
	if !(c.LearningRate >= 0) {
		return fmt.Errorf("ssl config: learning_rate %v: must be positive", c.LearningRate)
	}
	return nil
}

// Embedding returns the embedding-layer settings, with one-hot encoding up
// to maxOnehot known levels.
func (c SSLModelConfig) Embedding(maxOnehot int) models.EmbeddingConfig {
	return models.EmbeddingConfig{
		Dims:                 c.EmbeddingDims,
		Dropout:              c.EmbeddingDropout,
		BatchNormContinuous:  c.BatchNormContinuousInput,
		MaxOnehotCardinality: maxOnehot,
		NumEmbedding:         c.NumEmbedding,
	}
}

// commonWire is the serialised form of SSLModelConfig: backbone configs
// are stored with their names so that loading can rebuild them.
type commonWire struct {
	Encoder                  json.RawMessage           `json:"encoder_config"`
	Decoder                  json.RawMessage           `json:"decoder_config,omitempty"`
	EmbeddingDims            map[string]int            `json:"embedding_dims,omitempty"`
	EmbeddingDropout         float64                   `json:"embedding_dropout"`
	BatchNormContinuousInput bool                      `json:"batch_norm_continuous_input"`
	NumEmbedding             models.NumEmbeddingConfig `json:"num_embedding,omitzero"` // absent in older models: none
	LearningRate             float64                   `json:"learning_rate"`
	Seed                     uint64                    `json:"seed"`
}

// MarshalJSON encodes the shared settings.
func (c SSLModelConfig) MarshalJSON() ([]byte, error) {
	if c.EncoderConfig == nil {
		return nil, fmt.Errorf("ssl config: encoder_config is required")
	}
	w := commonWire{EmbeddingDims: c.EmbeddingDims, EmbeddingDropout: c.EmbeddingDropout,
		BatchNormContinuousInput: c.BatchNormContinuousInput, NumEmbedding: c.NumEmbedding,
		LearningRate: c.LearningRate, Seed: c.Seed}
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

// UnmarshalJSON decodes what MarshalJSON wrote.
func (c *SSLModelConfig) UnmarshalJSON(b []byte) error {
	var w commonWire
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
	*c = SSLModelConfig{EncoderConfig: enc, DecoderConfig: dec, EmbeddingDims: w.EmbeddingDims,
		EmbeddingDropout: w.EmbeddingDropout, BatchNormContinuousInput: w.BatchNormContinuousInput,
		NumEmbedding: w.NumEmbedding, LearningRate: w.LearningRate, Seed: w.Seed}
	return nil
}

// Config configures one self-supervised method.
type Config interface {
	// Name is the registered name, e.g. "DenoisingAutoEncoder".
	Name() string
	// Common returns the shared settings, defaults applied.
	Common() SSLModelConfig
	Validate() error
	// Build returns a freshly initialised model for the schema.
	Build(s models.Schema) (Model, error)
	// BuildFeaturizer returns the part of the model that fine-tuning
	// keeps, with the parameter names Build gives it: the embedding layer
	// and the featurizer.
	BuildFeaturizer(s models.Schema) (*models.Embedding, models.Backbone, error)
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
	EmbeddingLayer() *models.Embedding
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

var methods = registry.New[Config]("ssl method")

// Register makes a method available by name; decode reads its config from
// the JSON its MarshalJSON wrote. Method packages call it from init.
func Register(name string, decode func([]byte) (Config, error)) { methods.Register(name, decode) }

// Available lists the registered self-supervised methods, sorted.
func Available() []string { return methods.Names() }

// MarshalConfig encodes c with its method name.
func MarshalConfig(c Config) ([]byte, error) { return methods.Marshal(c) }

// UnmarshalConfig decodes what MarshalConfig wrote and validates it.
func UnmarshalConfig(b []byte) (Config, error) { return methods.Unmarshal(b) }
