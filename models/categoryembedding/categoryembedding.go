// Package categoryembedding is PyTorch Tabular's CategoryEmbeddingModel:
// an MLP over the embedded row. Its config serves as a supervised backbone
// and as the encoder or decoder of a self-supervised model.
package categoryembedding

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
)

// Name is the registered backbone name.
const Name = "CategoryEmbedding"

func init() {
	models.RegisterBackbone(Name, func(b []byte) (models.BackboneConfig, error) {
		var c Config
		err := json.Unmarshal(b, &c)
		return c, err
	})
}

// Config is the MLP: blocks [BatchNorm] → Linear → Activation → [Dropout]
// of the given widths. The last block has the activation too, so that an
// encoder's features pass through it (as in PyTorch Tabular).
type Config struct {
	// Layers are the block widths, e.g. "512-256-128" (default "128-64-32").
	Layers string `json:"layers,omitempty" yaml:"layers,omitempty"`
	// Activation is "ReLU" (default), "LeakyReLU" or "GELU".
	Activation string `json:"activation,omitempty" yaml:"activation,omitempty"`
	// Dropout after each block's activation.
	Dropout float64 `json:"dropout,omitempty" yaml:"dropout,omitempty"`
	// UseBatchNorm puts a BatchNorm1d before each Linear.
	UseBatchNorm bool `json:"use_batch_norm,omitempty" yaml:"use_batch_norm,omitempty"`
	// Initialization of the weights: "kaiming" (default), "xavier" or
	// "random".
	Initialization string `json:"initialization,omitempty" yaml:"initialization,omitempty"`
}

// Name implements [models.BackboneConfig].
func (c Config) Name() string { return Name }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Layers == "" {
		c.Layers = "128-64-32"
	}
	if c.Activation == "" {
		c.Activation = "ReLU"
	}
	if c.Initialization == "" {
		c.Initialization = "kaiming"
	}
	return c
}

// WithDropout implements [models.DropoutSetter].
func (c Config) WithDropout(p float64) models.BackboneConfig {
	c.Dropout = p
	return c
}

// Validate implements [models.BackboneConfig].
func (c Config) Validate() error {
	c = c.WithDefaults()
	if _, err := models.ParseLayers(c.Layers); err != nil {
		return err
	}
	if _, err := nn.NewActivation(c.Activation); err != nil {
		return err
	}
	if !slices.Contains(nn.Initializations, strings.ToLower(c.Initialization)) {
		return fmt.Errorf("initialization %q: want one of %s", c.Initialization, strings.Join(nn.Initializations, ", "))
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("dropout %v: want a probability in [0, 1)", c.Dropout)
	}
	return nil
}

// Size implements [models.BackboneConfig].
func (c Config) Size(in models.Input) (params, outDim int) {
	inDim := in.Width
	c = c.WithDefaults()
	layers, err := models.ParseLayers(c.Layers)
	if err != nil || len(layers) == 0 {
		return 0, inDim
	}
	return models.MLPSize(inDim, models.MLPConfig{Layers: layers, UseBatchNorm: c.UseBatchNorm}, false), layers[len(layers)-1]
}

// Backbone is the built MLP.
type Backbone struct {
	*nn.Sequential
	out int
}

// OutDim implements [models.Backbone].
func (b *Backbone) OutDim() int { return b.out }

// Build implements [models.BackboneConfig].
func (c Config) Build(prefix string, in models.Input, rng *rand.Rand) (models.Backbone, error) {
	inDim := in.Width
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	layers, _ := models.ParseLayers(c.Layers)
	seq, err := models.NewMLP(prefix, inDim, models.MLPConfig{
		Layers: layers, Activation: c.Activation, Dropout: c.Dropout,
		UseBatchNorm: c.UseBatchNorm, Initialization: c.Initialization,
	}, false, rng)
	if err != nil {
		return nil, err
	}
	return &Backbone{Sequential: seq, out: layers[len(layers)-1]}, nil
}

// StageWidths implements [models.StagedConfig]: each block is a stage.
func (c Config) StageWidths(models.Input) []int {
	layers, _ := models.ParseLayers(c.WithDefaults().Layers)
	return layers
}

// Stages implements [models.Staged]: a stage is a block, from its batch
// norm or linear layer to the end of its activation and dropout.
func (b *Backbone) Stages() []nn.Module {
	var stages []nn.Module
	var cur *nn.Sequential
	for i, l := range b.Layers {
		_, bn := l.(*nn.BatchNorm1d)
		_, lin := l.(*nn.Linear)
		if i > 0 {
			_, prevBN := b.Layers[i-1].(*nn.BatchNorm1d)
			lin = lin && !prevBN
		}
		if cur == nil || bn || lin {
			cur = &nn.Sequential{}
			stages = append(stages, cur)
		}
		cur.Layers = append(cur.Layers, l)
	}
	return stages
}
