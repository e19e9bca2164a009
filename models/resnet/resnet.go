// Package resnet is the ResNet for tables of Gorishniy et al. (2021),
// "Revisiting Deep Learning Models for Tabular Data": a Linear layer to
// the main width, residual blocks
//
//	x + Dropout(Linear(Dropout(ReLU(Linear(BatchNorm(x))))))
//
// and a final BatchNorm and ReLU. The paper's prediction Linear is the
// head that follows the backbone. Its config serves as a supervised
// backbone and as the encoder or decoder of a self-supervised model.
package resnet

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Name is the registered backbone name.
const Name = "ResNet"

func init() {
	models.RegisterBackbone(Name, func(b []byte) (models.BackboneConfig, error) {
		var c Config
		err := json.Unmarshal(b, &c)
		return c, err
	})
}

// The defaults are those of the baseline in the examples of rtdl, the
// paper authors' package (the paper itself tunes every value per dataset
// and states no default): 2 blocks of main width 128 and hidden width 256,
// dropout 0.2 in the hidden layer and none on the residual branch.
const (
	DefaultBlocks        = 2
	DefaultMain          = 128
	DefaultHidden        = 256
	DefaultHiddenDropout = 0.2
)

// Config is the ResNet. Zero fields take the defaults; the dropouts are
// pointers because their zero is a value one may want.
type Config struct {
	// Blocks is the number of residual blocks (n_blocks, default 2).
	Blocks int `json:"n_blocks,omitempty" yaml:"n_blocks,omitempty"`
	// Main is the width between blocks and of the output (d_main,
	// default 128).
	Main int `json:"d_main,omitempty" yaml:"d_main,omitempty"`
	// Hidden is the width inside a block (d_hidden, default 256).
	Hidden int `json:"d_hidden,omitempty" yaml:"d_hidden,omitempty"`
	// HiddenDropout follows the block's ReLU (dropout_first, default 0.2).
	HiddenDropout *float64 `json:"dropout_first,omitempty" yaml:"dropout_first,omitempty"`
	// ResidualDropout is applied to the block's output before it is added
	// to its input (dropout_second, default 0).
	ResidualDropout *float64 `json:"dropout_second,omitempty" yaml:"dropout_second,omitempty"`
}

// Name implements [models.BackboneConfig].
func (c Config) Name() string { return Name }

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Blocks == 0 {
		c.Blocks = DefaultBlocks
	}
	if c.Main == 0 {
		c.Main = DefaultMain
	}
	if c.Hidden == 0 {
		c.Hidden = DefaultHidden
	}
	if c.HiddenDropout == nil {
		c.HiddenDropout = new(float64(DefaultHiddenDropout))
	}
	if c.ResidualDropout == nil {
		c.ResidualDropout = new(0.0)
	}
	return c
}

// WithDropout implements [models.DropoutSetter]: it sets the hidden
// dropout, the one the paper's search finds useful most often; the
// residual dropout stays as it is.
func (c Config) WithDropout(p float64) models.BackboneConfig {
	c.HiddenDropout = &p
	return c
}

// Validate implements [models.BackboneConfig].
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Blocks < 1:
		return fmt.Errorf("resnet: n_blocks %d: want at least 1", c.Blocks)
	case c.Main < 1:
		return fmt.Errorf("resnet: d_main %d: want a positive width", c.Main)
	case c.Hidden < 1:
		return fmt.Errorf("resnet: d_hidden %d: want a positive width", c.Hidden)
	}
	for _, d := range []struct {
		name string
		p    float64
	}{{"dropout_first", *c.HiddenDropout}, {"dropout_second", *c.ResidualDropout}} {
		if !(d.p >= 0 && d.p < 1) {
			return fmt.Errorf("resnet: %s %v: want a probability in [0, 1)", d.name, d.p)
		}
	}
	return nil
}

// Size implements [models.BackboneConfig].
func (c Config) Size(in models.Input) (params, outDim int) {
	inDim := in.Width
	c = c.WithDefaults()
	m, h := c.Main, c.Hidden
	block := 4*m + (m*h + h) + (h*m + m) // batch norm (weight, bias, running mean and variance), two Linears
	return inDim*m + m + c.Blocks*block + 4*m, m
}

// StageWidths implements [models.StagedConfig]: each block is a stage.
func (c Config) StageWidths(models.Input) []int {
	c = c.WithDefaults()
	w := make([]int, c.Blocks)
	for i := range w {
		w[i] = c.Main
	}
	return w
}

// Backbone is the built ResNet: all its layers in order.
type Backbone struct {
	*nn.Sequential
	stages []nn.Module
	out    int
}

// OutDim implements [models.Backbone].
func (b *Backbone) OutDim() int { return b.out }

// Stages implements [models.Staged]: a stage is a residual block, the
// first one preceded by the input Linear and the last one followed by the
// final BatchNorm and ReLU, so that the stages chain from the input to the
// output and the last one's output is the backbone's.
func (b *Backbone) Stages() []nn.Module { return b.stages }

// Build implements [models.BackboneConfig].
func (c Config) Build(prefix string, in models.Input, rng *rand.Rand) (models.Backbone, error) {
	inDim := in.Width
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if inDim < 1 {
		return nil, fmt.Errorf("resnet: %d input columns: want at least 1", inDim)
	}
	c = c.WithDefaults()
	first := nn.NewLinear(prefix+".first_layer", inDim, c.Main, rng)
	all := &nn.Sequential{Layers: []nn.Module{first}}
	stages := make([]nn.Module, c.Blocks)
	for i := range c.Blocks {
		name := fmt.Sprintf("%s.blocks.%d", prefix, i)
		// The ReLU is fused into the first Linear; with no dropout between
		// them, the second Linear's backward pass applies it too.
		lin1 := nn.NewLinear(name+".linear_first", c.Main, c.Hidden, rng)
		lin1.Act = tensor.ReLU
		f := &nn.Sequential{Layers: []nn.Module{lin1}}
		if p := *c.HiddenDropout; p > 0 {
			f.Layers = append(f.Layers, nn.NewDropout(p, rng))
		}
		f.Layers = append(f.Layers, nn.NewLinear(name+".linear_second", c.Hidden, c.Main, rng))
		block := &nn.Residual{Norm: nn.NewBatchNorm1d(name+".normalization", c.Main), F: f}
		if p := *c.ResidualDropout; p > 0 {
			block.Drop = nn.NewDropout(p, rng)
		}
		all.Layers = append(all.Layers, block)
		stages[i] = &nn.Sequential{Layers: []nn.Module{block}}
	}
	norm, relu := nn.NewBatchNorm1d(prefix+".normalization", c.Main), &nn.ReLU{}
	all.Layers = append(all.Layers, norm, relu)
	st0 := stages[0].(*nn.Sequential)
	st0.Layers = append([]nn.Module{first}, st0.Layers...)
	last := stages[len(stages)-1].(*nn.Sequential)
	last.Layers = append(last.Layers, norm, relu)
	return &Backbone{Sequential: all, stages: stages, out: c.Main}, nil
}
