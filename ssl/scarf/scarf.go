// Package scarf is SCARF (Bahri et al., "SCARF: Self-Supervised
// Contrastive Learning using Random Feature Corruption", ICLR 2022):
// contrastive pretraining on tables.
//
// Each row of a batch gives two views: the anchor is the clean row, as in
// the paper, and the positive is a copy in which a random subset of the
// features, a fraction CorruptionRate of them, is replaced by draws from
// the features' empirical marginal distributions. The encoder f (kept for
// fine-tuning) and the projection head g map both views to embeddings, and
// the InfoNCE loss with temperature Temperature teaches each anchor to
// pick its own positive among the batch's positives by cosine similarity.
//
// Two choices where the paper leaves room:
//   - The marginal of a feature is estimated by the batch: a replaced
//     value is the same feature's value in a uniformly drawn row of the
//     batch. The paper draws from the whole training set; with batches of
//     a few hundred rows the two hardly differ, and the batch needs no
//     second pass over the data.
//   - The loss is one-directional by default, anchors picking positives,
//     as in the paper; SymmetricLoss averages it with the mirror image.
//
// Both views go through the shared encoder as one batch of 2B rows, so
// that every layer runs one product where two would be needed otherwise,
// and its cache serves one backward pass.
package scarf

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/internal/pretext"
	"github.com/gotabular/gotabular/tensor"
)

// Name is the registered method name.
const Name = "SCARF"

func init() {
	ssl.Register(ssl.Method{
		Name:    Name,
		Aliases: []string{"scarf"},
		Summary: "Contrastive learning with random feature corruption (Bahri et al., ICLR 2022): the encoder learns to map a row and a copy of it with a share of its values redrawn from other rows close together, and different rows apart.",
		New:     func() ssl.Config { return NewConfig() },
	})
}

// Config configures SCARF. Its fields are taken as they are: start from
// NewConfig for the defaults.
type Config struct {
	ssl.SSLModelConfig
	// CorruptionRate is the share of a row's features replaced in its
	// positive view: ⌊CorruptionRate·features⌋ of them, chosen uniformly
	// for each row (0.6 in NewConfig, the paper's default; 0 makes the
	// views identical).
	CorruptionRate float64 `json:"corruption_rate" arg:"share" help:"share of the features of a row that its positive view redraws from other rows"`
	// Temperature τ divides the cosine similarities in the InfoNCE loss;
	// it must be positive (1 in NewConfig, as in the paper).
	Temperature float64 `json:"temperature" arg:"τ" help:"temperature τ of the InfoNCE loss: similarities are divided by it"`
	// SymmetricLoss averages the paper's loss, anchors picking positives,
	// with its mirror image, positives picking anchors.
	SymmetricLoss bool `json:"symmetric_loss" help:"average the InfoNCE loss over both directions, anchors picking positives and positives picking anchors"`
	// ProjectionLayers are the widths of the projection head g on the
	// encoder, e.g. "256-256" (NewConfig, the paper's two layers of 256):
	// blocks Linear → activation, the last Linear alone. "" contrasts the
	// encoder's output itself.
	ProjectionLayers string `json:"projection_layers" arg:"widths" help:"widths of the projection head's layers, the last one linear; \"\" contrasts the encoder's output itself"`
	// ProjectionActivation is the projection head's activation: ReLU
	// (NewConfig), LeakyReLU or GELU.
	ProjectionActivation string `json:"projection_activation" arg:"activation" help:"activation of the projection head: ReLU, LeakyReLU or GELU"`
}

// NewConfig returns a config with the paper's defaults; the caller sets
// EncoderConfig. SCARF has no decoder.
func NewConfig() Config {
	return Config{
		SSLModelConfig:       ssl.NewSSLModelConfig(),
		CorruptionRate:       0.6,
		Temperature:          1,
		ProjectionLayers:     "256-256",
		ProjectionActivation: "ReLU",
	}
}

// Name implements [ssl.Config].
func (c Config) Name() string { return Name }

// Validate implements [ssl.Config].
func (c Config) Validate() error {
	if err := c.SSLModelConfig.Validate(); err != nil {
		return err
	}
	if c.DecoderConfig != nil {
		return fmt.Errorf("scarf config: decoder_config: SCARF has no decoder; its projection head is set by projection_layers")
	}
	if !(c.CorruptionRate >= 0 && c.CorruptionRate <= 1) {
		return fmt.Errorf("scarf config: corruption_rate %v: want a share in [0, 1]", c.CorruptionRate)
	}
	if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
		return fmt.Errorf("scarf config: temperature %v: must be positive", c.Temperature)
	}
	if _, err := models.ParseLayers(c.ProjectionLayers); err != nil {
		return fmt.Errorf("scarf config: projection_layers: %w", err)
	}
	if _, err := nn.NewActivation(c.ProjectionActivation); err != nil {
		return fmt.Errorf("scarf config: projection_activation: %w", err)
	}
	return nil
}

// MarshalJSON implements [json.Marshaler] with [ssl.MarshalSettings].
func (c Config) MarshalJSON() ([]byte, error) { return ssl.MarshalSettings(c) }

// UnmarshalJSON implements [json.Unmarshaler] with [ssl.UnmarshalSettings];
// a setting missing from b keeps the value c holds.
func (c *Config) UnmarshalJSON(b []byte) error { return ssl.UnmarshalSettings(b, c) }

// stream is the PCG stream of SCARF's initialisation.
const stream = 0x5ca7f

// corrupted is the number of features of a row that the positive view
// replaces. The small allowance keeps a product such as 0.6·10 from
// rounding down to 5.
func (c Config) corrupted(s models.Schema) int {
	return int(math.Floor(c.CorruptionRate*float64(s.NumFeatures()) + 1e-9))
}

func (c Config) projection() models.MLPConfig {
	layers, _ := models.ParseLayers(c.ProjectionLayers)
	return models.MLPConfig{Layers: layers, Activation: c.ProjectionActivation, Initialization: "kaiming"}
}

// BuildFeaturizer implements [ssl.Config].
func (c Config) BuildFeaturizer(s models.Schema) (models.Embedder, models.Backbone, error) {
	return ssl.BuildFeaturizer(c, s, stream)
}

// Size implements [ssl.Config].
func (c Config) Size(s models.Schema) ssl.Size {
	z := c.FeaturizerSize(s)
	z.All += models.MLPSize(z.FeatureDim, c.projection(), true)
	return z
}

// Model is the built SCARF model.
type Model struct {
	pretext.Body
	proj   *nn.Sequential // g; nil: the identity
	k      int            // features replaced per row
	noisy  pretext.Corrupter
	loss   pretext.InfoNCE
	params []*nn.Param

	views struct { // anchors, then positives: 2B rows
		cont *tensor.Mat
		cat  *tensor.IntMat
	}
	half    tensor.Mat // scratch view
	z       *tensor.Mat
	metrics []ssl.Value
}

// Build implements [ssl.Config].
func (c Config) Build(s models.Schema) (ssl.Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(c.Seed, stream))
	m := &Model{k: c.corrupted(s), loss: pretext.InfoNCE{Temperature: c.Temperature, Symmetric: c.SymmetricLoss}}
	var err error
	if m.Embed, m.Encoder, err = c.NewFeaturizer(s, rng); err != nil {
		return nil, err
	}
	m.params = append(m.Embed.Params(), m.Encoder.Params()...)
	if p := c.projection(); len(p.Layers) > 0 {
		if m.proj, err = models.NewMLP("projection", m.Encoder.OutDim(), p, true, rng); err != nil {
			return nil, fmt.Errorf("scarf config: projection: %w", err)
		}
		m.params = append(m.params, m.proj.Params()...)
	}
	m.views.cat = &tensor.IntMat{}
	m.metrics = make([]ssl.Value, 0, 1)
	return m, nil
}

// Params implements [ssl.Model].
func (m *Model) Params() []*nn.Param { return m.params }

// Forward implements [ssl.Model]: the clean rows and their corrupted
// copies run through the encoder and the projection as one batch.
func (m *Model) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool, noise *rand.Rand) {
	b := cont.Rows
	m.noisy.Subset(cont, cat, m.k, noise)
	m.views.cont = tensor.Ensure(m.views.cont, 2*b, cont.Cols)
	m.half.SetRowView(m.views.cont, 0, b).CopyFrom(cont)
	m.half.SetRowView(m.views.cont, b, 2*b).CopyFrom(m.noisy.Cont)
	m.views.cat.Resize(2*b, cat.Cols)
	n := b * cat.Cols
	copy(m.views.cat.Data[:n], cat.Data[:n])
	copy(m.views.cat.Data[n:], m.noisy.Cat.Data[:n])
	m.z = m.Encoder.Forward(m.Embed.Forward(m.views.cont, m.views.cat, train), train)
	if m.proj != nil {
		m.z = m.proj.Forward(m.z, train)
	}
}

// Loss implements [ssl.Model]: the InfoNCE loss of the last Forward.
func (m *Model) Loss(grad bool) float64 { return m.loss.Loss(m.z, grad) }

// LossParts implements [ssl.Model]; the loss has a single part.
func (m *Model) LossParts() []ssl.Value { return nil }

// Backward implements [ssl.Model].
func (m *Model) Backward() {
	d := m.loss.Backward()
	if m.proj != nil {
		d = m.proj.Backward(d)
	}
	m.Embed.Backward(m.Encoder.Backward(d))
}

// Metrics implements [ssl.Model]: contrastive_accuracy, the share of
// anchors whose own positive is strictly the most similar of the batch's
// positives (1/B is chance).
func (m *Model) Metrics() []ssl.Value {
	m.metrics = append(m.metrics[:0], ssl.Value{Name: "contrastive_accuracy", Value: m.loss.Accuracy()})
	return m.metrics
}
