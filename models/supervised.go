package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// HeadConfig configures PyTorch Tabular's LinearHead: optional hidden
// blocks (Layers, e.g. "64-32") followed by a Linear layer to the outputs.
type HeadConfig struct {
	Layers         string  `json:"layers,omitempty" yaml:"layers,omitempty"`
	Activation     string  `json:"activation,omitempty" yaml:"activation,omitempty"`
	Dropout        float64 `json:"dropout,omitempty" yaml:"dropout,omitempty"`
	UseBatchNorm   bool    `json:"use_batch_norm,omitempty" yaml:"use_batch_norm,omitempty"`
	Initialization string  `json:"initialization,omitempty" yaml:"initialization,omitempty"`
}

// WithDefaults returns c with ReLU and kaiming filled in.
func (c HeadConfig) WithDefaults() HeadConfig {
	if c.Activation == "" {
		c.Activation = "ReLU"
	}
	if c.Initialization == "" {
		c.Initialization = "kaiming"
	}
	return c
}

// NewHead builds the head mapping in columns to out outputs.
func NewHead(prefix string, in, out int, c HeadConfig, rng *rand.Rand) (*nn.Sequential, error) {
	c = c.WithDefaults()
	layers, err := ParseLayers(c.Layers)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	seq, err := NewMLP(prefix, in, MLPConfig{
		Layers: append(layers, out), Activation: c.Activation, Dropout: c.Dropout,
		UseBatchNorm: c.UseBatchNorm, Initialization: c.Initialization,
	}, true, rng)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	return seq, nil
}

// HeadSize returns the number of parameter and state values of the head
// NewHead builds, or an error for unparsable layers.
func HeadSize(in, out int, c HeadConfig) (int, error) {
	layers, err := ParseLayers(c.Layers)
	if err != nil {
		return 0, err
	}
	return MLPSize(in, MLPConfig{Layers: append(layers, out), UseBatchNorm: c.UseBatchNorm}, true), nil
}

// Network maps a batch of encoded rows to outputs: class logits or
// regression values. It is what supervised training and fine-tuning train.
type Network interface {
	Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat
	// Backward takes the gradient with respect to the last output.
	Backward(dy *tensor.Mat)
	// Params lists all parameters and state, in a fixed order; Save and
	// best-weight restoring use it.
	Params() []*nn.Param
	// Trainable lists what the optimiser updates.
	Trainable() []*nn.Param
}

// Config configures a supervised model trained from scratch.
type Config struct {
	// Task is "classification" or "regression".
	Task string
	// Backbone is the body, e.g. categoryembedding.Config.
	Backbone BackboneConfig
	// Head is the LinearHead on top of the backbone.
	Head HeadConfig
	// Embedding says how categorical and continuous inputs are embedded.
	Embedding EmbeddingConfig
	// DeepFeatures gives the head every hidden layer of the backbone,
	// side by side, not only the last; IncludeInput gives it the embedded
	// input too. See [HeadInput].
	DeepFeatures, IncludeInput bool
	// LearningRate of the optimiser (default 1e-3).
	LearningRate float64
	// Seed of the weight initialisation and dropout (default 42).
	Seed uint64
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	if c.Seed == 0 {
		c.Seed = 42
	}
	c.Head = c.Head.WithDefaults()
	return c
}

// Validate reports the first field that cannot work.
func (c Config) Validate() error {
	if c.Task != "classification" && c.Task != "regression" {
		return fmt.Errorf("model config: task %q: want \"classification\" or \"regression\"", c.Task)
	}
	if c.Backbone == nil {
		return fmt.Errorf("model config: backbone is required (e.g. categoryembedding.Config{Layers: \"128-64\"})")
	}
	if err := c.Backbone.Validate(); err != nil {
		return fmt.Errorf("model config: backbone: %w", err)
	}
	if !(c.LearningRate >= 0) {
		return fmt.Errorf("model config: learning rate %v: must be positive", c.LearningRate)
	}
	if _, err := ParseLayers(c.Head.Layers); err != nil {
		return fmt.Errorf("model config: head: %w", err)
	}
	if err := c.Embedding.NumEmbedding.Validate(); err != nil {
		return fmt.Errorf("model config: embedding: %w", err)
	}
	return nil
}

// Size returns the number of parameter and state values of the network
// NewSupervised builds for schema s with out outputs.
func (c Config) Size(s Schema, out int) (int, error) {
	emb, in := c.Embedding.EmbedderSize(s, c.Backbone)
	body, _ := c.Backbone.Size(in)
	h, err := HeadInputWidth(c.Backbone, in, c.DeepFeatures, c.IncludeInput)
	if err != nil {
		return 0, err
	}
	head, err := HeadSize(h, out, c.Head)
	return emb + body + head, err
}

// Supervised is embedding → backbone → head.
type Supervised struct {
	Embed    Embedder
	Backbone Backbone
	Head     *nn.Sequential
	in       *HeadInput
	params   []*nn.Param
}

// NewSupervised builds the network for schema s with out outputs.
func NewSupervised(c Config, s Schema, out int) (*Supervised, error) {
	c = c.WithDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	emb, err := NewEmbedder("embedding", s, c.Embedding, c.Backbone, rng)
	if err != nil {
		return nil, err
	}
	body, err := c.Backbone.Build("backbone", emb.Input(), rng)
	if err != nil {
		return nil, err
	}
	in, err := NewHeadInput(body, emb.OutDim(), c.DeepFeatures, c.IncludeInput)
	if err != nil {
		return nil, err
	}
	head, err := NewHead("head", in.Width(), out, c.Head, rng)
	if err != nil {
		return nil, err
	}
	n := &Supervised{Embed: emb, Backbone: body, Head: head, in: in}
	n.params = append(append(emb.Params(), body.Params()...), head.Params()...)
	return n, nil
}

// Forward implements [Network].
func (n *Supervised) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat {
	return n.Head.Forward(n.in.Forward(n.Embed.Forward(cont, cat, train), train), train)
}

// Backward implements [Network].
func (n *Supervised) Backward(dy *tensor.Mat) {
	n.Embed.Backward(n.in.Backward(n.Head.Backward(dy)))
}

// Params implements [Network].
func (n *Supervised) Params() []*nn.Param { return n.params }

// Trainable implements [Network].
func (n *Supervised) Trainable() []*nn.Param { return nn.Trainable(n.params) }

// Features returns what the head reads for clean rows, in evaluation
// mode: the backbone's output (every stage's with DeepFeatures), with the
// embedded input beside it when IncludeInput.
func (n *Supervised) Features(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat {
	return n.in.Forward(n.Embed.Forward(cont, cat, false), false)
}
