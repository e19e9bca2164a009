// Package fttransformer is FT-Transformer (Gorishniy et al., 2021,
// "Revisiting Deep Learning Models for Tabular Data"), with the config
// fields and defaults of PyTorch Tabular's FTTransformerConfig: every
// feature becomes a token, a CLS token is appended, pre-norm transformer
// blocks let the tokens attend to each other, and the CLS token's final
// state is the row's representation.
//
// Its config is a [models.TokenConfig], so the network embeds a row as
// tokens ([models.TokenEmbedding]) before the backbone reads it; the
// backbone's output is one flat vector per row, as every backbone's, so it
// serves alone, under a head, and as the encoder of every self-supervised
// method. Given a flat input instead (as a decoder reading an encoder's
// output), it tokenizes each column with its own feature tokenizer.
package fttransformer

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Name is the registered backbone name.
const Name = "FTTransformer"

func init() {
	models.RegisterBackbone(Name, func(b []byte) (models.BackboneConfig, error) {
		// A field missing from b keeps its default, so that a config file
		// need only name what differs.
		c := NewConfig()
		err := json.Unmarshal(b, &c)
		return c, err
	})
}

// The defaults of NewConfig, PyTorch Tabular's.
const (
	DefaultInputEmbedDim      = 32
	DefaultNumHeads           = 8
	DefaultNumAttnBlocks      = 6
	DefaultDropout            = 0.1
	DefaultFFHiddenMultiplier = 4
	DefaultActivation         = "GEGLU"
)

// Bounds that keep a damaged config from asking for an absurd network
// before its size is checked against the weights file.
const (
	maxEmbedDim = 4096
	maxBlocks   = 256
	maxHidden   = 1 << 16
)

// Activations lists the accepted values of TransformerActivation: the
// gated units, whose feed-forward layer is twice as wide before the gate
// halves it, and the plain activations of package nn.
var Activations = append([]string{"GEGLU", "ReGLU", "GLU"}, nn.Activations...)

// Config is FT-Transformer. Sizes left zero take their defaults; dropouts
// are taken as written, and NewConfig sets PyTorch Tabular's 0.1.
type Config struct {
	// InputEmbedDim is d, the width of every token (default 32).
	InputEmbedDim int `json:"input_embed_dim,omitempty" yaml:"input_embed_dim,omitempty"`
	// NumHeads of the attention; d must be a multiple (default 8).
	NumHeads int `json:"num_heads,omitempty" yaml:"num_heads,omitempty"`
	// NumAttnBlocks is the number of transformer blocks (default 6).
	NumAttnBlocks int `json:"num_attn_blocks,omitempty" yaml:"num_attn_blocks,omitempty"`
	// AttnDropout drops attention probabilities.
	AttnDropout float64 `json:"attn_dropout" yaml:"attn_dropout"`
	// AddNormDropout drops the output of each block's attention and
	// feed-forward layer before it is added to the residual stream.
	AddNormDropout float64 `json:"add_norm_dropout" yaml:"add_norm_dropout"`
	// FFDropout drops the hidden units of the feed-forward layers.
	FFDropout float64 `json:"ff_dropout" yaml:"ff_dropout"`
	// FFHiddenMultiplier sets the feed-forward layers' hidden width,
	// d·FFHiddenMultiplier rounded (default 4; FT-Transformer's paper
	// uses 4/3 with ReGLU).
	FFHiddenMultiplier float64 `json:"ff_hidden_multiplier,omitempty" yaml:"ff_hidden_multiplier,omitempty"`
	// TransformerActivation of the feed-forward layers: "GEGLU"
	// (default), "ReGLU", "GLU", "ReLU", "LeakyReLU" or "GELU".
	TransformerActivation string `json:"transformer_activation,omitempty" yaml:"transformer_activation,omitempty"`
}

// NewConfig returns PyTorch Tabular's defaults: tokens of 32, 8 heads, 6
// blocks, GEGLU feed-forward layers 4 times as wide, and dropout 0.1 on
// the attention, the residual branches and the feed-forward layers.
func NewConfig() Config {
	return Config{AttnDropout: DefaultDropout, AddNormDropout: DefaultDropout, FFDropout: DefaultDropout}.WithDefaults()
}

// Name implements [models.BackboneConfig].
func (c Config) Name() string { return Name }

// WithDefaults returns c with zero sizes and an empty activation set to
// their defaults.
func (c Config) WithDefaults() Config {
	if c.InputEmbedDim == 0 {
		c.InputEmbedDim = DefaultInputEmbedDim
	}
	if c.NumHeads == 0 {
		c.NumHeads = DefaultNumHeads
	}
	if c.NumAttnBlocks == 0 {
		c.NumAttnBlocks = DefaultNumAttnBlocks
	}
	if c.FFHiddenMultiplier == 0 {
		c.FFHiddenMultiplier = DefaultFFHiddenMultiplier
	}
	if c.TransformerActivation == "" {
		c.TransformerActivation = DefaultActivation
	}
	return c
}

// TokenDim implements [models.TokenConfig].
func (c Config) TokenDim() int { return c.WithDefaults().InputEmbedDim }

// WithDropout implements [models.DropoutSetter]: p for the attention,
// the residual branches and the feed-forward layers alike.
func (c Config) WithDropout(p float64) models.BackboneConfig {
	c.AttnDropout, c.AddNormDropout, c.FFDropout = p, p, p
	return c
}

// Validate implements [models.BackboneConfig].
func (c Config) Validate() error {
	c = c.WithDefaults()
	d := c.InputEmbedDim
	if d < 1 || d > maxEmbedDim {
		return fmt.Errorf("input_embed_dim %d: want 1..%d", d, maxEmbedDim)
	}
	if c.NumHeads < 1 || d%c.NumHeads != 0 {
		return fmt.Errorf("num_heads %d: want a positive divisor of input_embed_dim %d", c.NumHeads, d)
	}
	if c.NumAttnBlocks < 1 || c.NumAttnBlocks > maxBlocks {
		return fmt.Errorf("num_attn_blocks %d: want 1..%d", c.NumAttnBlocks, maxBlocks)
	}
	for _, f := range []struct {
		name string
		p    float64
	}{{"attn_dropout", c.AttnDropout}, {"add_norm_dropout", c.AddNormDropout}, {"ff_dropout", c.FFDropout}} {
		if !(f.p >= 0 && f.p < 1) {
			return fmt.Errorf("%s %v: want a probability in [0, 1)", f.name, f.p)
		}
	}
	if m := c.FFHiddenMultiplier; !(m > 0) || math.IsInf(m, 0) || c.hidden() > maxHidden {
		return fmt.Errorf("ff_hidden_multiplier %v: want a positive factor giving at most %d hidden units", m, maxHidden)
	}
	if _, _, err := c.activation(); err != nil {
		return err
	}
	return nil
}

// hidden returns the feed-forward layers' hidden width.
func (c Config) hidden() int {
	h := math.Round(float64(c.InputEmbedDim) * c.FFHiddenMultiplier)
	if !(h < maxHidden+1) {
		return maxHidden + 1
	}
	return max(1, int(h))
}

// activation returns the feed-forward layers' activation and whether it
// is a gated unit, which halves its input's width.
func (c Config) activation() (nn.Module, bool, error) {
	switch strings.ToLower(c.TransformerActivation) {
	case "geglu":
		return nn.NewGEGLU(), true, nil
	case "reglu":
		return nn.NewReGLU(), true, nil
	case "glu":
		return nn.NewGLU(), true, nil
	}
	a, err := nn.NewActivation(c.TransformerActivation)
	if err != nil {
		return nil, false, fmt.Errorf("transformer_activation %q: want one of %s", c.TransformerActivation, strings.Join(Activations, ", "))
	}
	return a, false, nil
}

// tokens returns the number of tokens of a row of in, before the CLS
// token: the embedder's, or one per column of a flat input.
func tokens(in models.Input) int {
	if in.Tokens > 0 {
		return in.Tokens
	}
	return in.Width
}

// Size implements [models.BackboneConfig].
func (c Config) Size(in models.Input) (params, outDim int) {
	c = c.WithDefaults()
	d, h := c.InputEmbedDim, c.hidden()
	gate := 1
	if _, gated, _ := c.activation(); gated {
		gate = 2
	}
	if in.Tokens == 0 {
		params += 2 * in.Width * d // the feature tokenizer
	}
	params += d // the CLS token
	for i := range c.NumAttnBlocks {
		if i > 0 {
			params += 2 * d
		}
		params += 3*d*d + 3*d + d*d + d             // attention
		params += 2*d + d*gate*h + gate*h + h*d + d // feed-forward
	}
	params += 2 * d // the final norm
	return params, d
}

// Backbone is the built FT-Transformer: B×(T·d) tokens in (or B×W values,
// tokenized here), B×d out.
type Backbone struct {
	// Tokenizer turns a flat input's columns into tokens; nil when the
	// input is tokens already.
	Tokenizer *nn.FeatureTokenizer
	// Layers are the CLS token, the blocks (two residual units each:
	// attention, then feed-forward; the last block's on the CLS token's
	// state alone), the final LayerNorm and ReLU.
	Layers nn.Sequential
	T, d   int

	// Views of the input and of its gradient in the token layout, and
	// back, kept in fields so that steps do not allocate.
	xv, dxv tensor.Mat
}

// Build implements [models.BackboneConfig].
func (c Config) Build(prefix string, in models.Input, rng *rand.Rand) (models.Backbone, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	d, h := c.InputEmbedDim, c.hidden()
	if in.Tokens > 0 && (in.TokenDim != d || in.Width != in.Tokens*in.TokenDim) {
		return nil, fmt.Errorf("%s: input of %d tokens of %d columns (%d wide); want tokens of input_embed_dim %d", Name, in.Tokens, in.TokenDim, in.Width, d)
	}
	T := tokens(in)
	if T < 1 {
		return nil, fmt.Errorf("%s: no input columns", Name)
	}
	b := &Backbone{T: T, d: d}
	if in.Tokens == 0 {
		b.Tokenizer = nn.NewFeatureTokenizer(prefix+".tokenizer", T, d, rng)
	}
	drop := func(p float64) *nn.Dropout {
		if p == 0 {
			return nil
		}
		return nn.NewDropout(p, rng)
	}
	layers := []nn.Module{nn.NewCLSToken(prefix+".cls", d, T, rng)}
	for i := range c.NumAttnBlocks {
		name := fmt.Sprintf("%s.blocks.%d", prefix, i)
		// The first block's input is the embeddings themselves, which
		// FT-Transformer does not normalise before attention.
		var norm nn.Module
		if i > 0 {
			norm = nn.NewLayerNorm(name+".attention_normalization", d)
		}
		mha := nn.NewMultiHeadAttention(name+".attention", d, c.NumHeads, T+1, c.AttnDropout, rng)
		var attn nn.Module
		if i == c.NumAttnBlocks-1 {
			// Only the CLS token's final state is read: in the last
			// block only it asks, and the feed-forward layer after
			// sees it alone, as in the paper's implementation.
			mha.LastQuery = true
			last := &nn.LastResidual{Tokens: T + 1, Norm: norm, F: mha}
			if p := drop(c.AddNormDropout); p != nil {
				last.Drop = p
			}
			attn = last
		} else {
			r := &nn.Residual{Norm: norm, F: mha}
			if p := drop(c.AddNormDropout); p != nil {
				r.Drop = p
			}
			attn = r
		}
		act, gated, _ := c.activation()
		first := h
		if gated {
			first = 2 * h
		}
		ffn := &nn.Sequential{Layers: []nn.Module{nn.NewLinear(name+".ffn.linear_first", d, first, rng), act}}
		if p := drop(c.FFDropout); p != nil {
			ffn.Layers = append(ffn.Layers, p)
		}
		ffn.Layers = append(ffn.Layers, nn.NewLinear(name+".ffn.linear_second", h, d, rng))
		ff := &nn.Residual{Norm: nn.NewLayerNorm(name+".ffn_normalization", d), F: ffn}
		if p := drop(c.AddNormDropout); p != nil {
			ff.Drop = p
		}
		layers = append(layers, attn, ff)
	}
	layers = append(layers, nn.NewLayerNorm(prefix+".normalization", d), &nn.ReLU{})
	b.Layers.Layers = layers
	return b, nil
}

// OutDim implements [models.Backbone].
func (b *Backbone) OutDim() int { return b.d }

// Forward implements [nn.Module]: x is B rows of T tokens side by side
// (or of T values to tokenize), which is the (B·T)×d token layout with no
// copy.
func (b *Backbone) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	if b.Tokenizer != nil {
		x = b.Tokenizer.Forward(x, train)
	}
	return b.Layers.Forward(tokenView(&b.xv, x, b.T, b.d), train)
}

// Backward implements [nn.Module].
func (b *Backbone) Backward(dy *tensor.Mat) *tensor.Mat {
	g := b.Layers.Backward(dy) // (B·T)×d
	B := g.Rows / b.T
	b.dxv = tensor.Mat{Rows: B, Cols: b.T * b.d, Stride: b.T * b.d, Data: g.Data[:B*b.T*b.d]}
	if b.Tokenizer != nil {
		return b.Tokenizer.Backward(&b.dxv)
	}
	return &b.dxv
}

// tokenView makes v the (B·T)×d view of x, B rows of T·d columns.
func tokenView(v, x *tensor.Mat, T, d int) *tensor.Mat {
	if x.Cols != T*d || !x.Contiguous() {
		panic(fmt.Sprintf("fttransformer: input %d×%d (stride %d); want contiguous rows of %d tokens of %d", x.Rows, x.Cols, x.Stride, T, d))
	}
	*v = tensor.Mat{Rows: x.Rows * T, Cols: d, Stride: d, Data: x.Data[:x.Rows*x.Cols]}
	return v
}

// Params implements [nn.Module]: the tokenizer's (flat input), then the
// layers' in order.
func (b *Backbone) Params() []*nn.Param {
	var ps []*nn.Param
	if b.Tokenizer != nil {
		ps = b.Tokenizer.Params()
	}
	return append(ps, b.Layers.Params()...)
}
