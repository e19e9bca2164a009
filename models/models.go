// Package models holds the supervised building blocks: the embedding layer
// that turns a batch of table rows into one dense matrix, the backbones
// (each in its own sub-package, such as categoryembedding), the linear
// head, and the supervised network that chains them.
package models

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gotabular/gotabular/internal/registry"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Schema describes the encoded features a network reads: encoded
// (standardised or quantile-normal) continuous columns, then categorical
// columns as codes 0..Cardinality−1 (code 0 is "unknown or missing").
type Schema struct {
	Continuous []string
	// BinEdges holds, per continuous column, the edges b_0 < … < b_T of
	// its bins for the piecewise-linear encoding (PLE), in encoded
	// units; nil when the preprocessing fitted none. Only PLE reads them.
	//
	// The edges are statistics of the pretraining rows, like the means
	// the encoding subtracts, so they are fitted with the preprocessing
	// (data.FitWith), stored in its JSON and validated there, and come to
	// the network through the schema like the categorical cardinalities.
	// They are not a buffer of the layer filled by a fitting step of its
	// own: the schema fixes each feature's number of bins, so the layer's
	// size is known before anything is built, as loading needs to check a
	// weights file; no training path needs an extra step; and fine-tuning
	// and prediction cannot see other edges than pretraining did.
	BinEdges    [][]float64
	Categorical []Categorical
}

// Categorical is one categorical feature.
type Categorical struct {
	Name        string
	Cardinality int // including the unknown code 0
}

// NumFeatures returns the number of raw features.
func (s Schema) NumFeatures() int { return len(s.Continuous) + len(s.Categorical) }

// Backbone is the body of a network: rows of the embedded input in, a
// representation out.
type Backbone interface {
	nn.Module
	OutDim() int
}

// Staged is a backbone made of stages, each feeding the next, whose
// outputs are its hidden layers: a fine-tuning head can read them all
// ("deep features"), not only the last.
type Staged interface {
	Backbone
	// Stages returns the stages in order; they share the backbone's
	// layers and parameters.
	Stages() []nn.Module
}

// StagedConfig is a backbone config whose backbones are [Staged].
type StagedConfig interface {
	// StageWidths returns the output width of each stage of the backbone
	// built for input in, without building it.
	StageWidths(in Input) []int
}

// Input describes what a backbone reads: one row per example of the
// embedded input, Width columns wide. An embedder of tokens (see
// [TokenConfig]) gives each example Tokens tokens of TokenDim columns side
// by side, so that the B×Width matrix is also the (B·Tokens)×TokenDim
// matrix of the token layout of package nn, with no copy.
type Input struct {
	// Schema is the table's features; it is empty for a backbone that
	// reads another's output, as a decoder reads the encoder's.
	Schema Schema
	// Width is the number of columns of a row.
	Width int
	// Tokens is the number of tokens of a row (one per feature), 0 for a
	// flat row; TokenDim is their width, and Width = Tokens·TokenDim.
	Tokens, TokenDim int
}

// FlatInput describes width columns that are no table's features: the
// input of a decoder, say.
func FlatInput(width int) Input { return Input{Width: width} }

// BackboneConfig configures a backbone. A config is serialised with its
// Name so that a saved model can be rebuilt; see [RegisterBackbone].
//
// What the backbone reads is chosen by its config: a flat row
// ([Embedding]) unless the config is a [TokenConfig].
type BackboneConfig interface {
	// Name is the registered name, e.g. "CategoryEmbedding".
	Name() string
	Validate() error
	// Build returns a backbone reading in; parameter names start with
	// prefix.
	Build(prefix string, in Input, rng *rand.Rand) (Backbone, error)
	// Size returns, without building anything, the number of values in
	// the parameters and state of the backbone Build would return, and
	// its output width. Loading checks it against the weights file before
	// allocating, so that a damaged config cannot ask for a huge network.
	Size(in Input) (params, outDim int)
}

// TokenConfig is implemented by the configs of backbones that read one
// token per feature (attention models): their embedder is
// [TokenEmbedding] with tokens of TokenDim columns.
type TokenConfig interface {
	BackboneConfig
	TokenDim() int
}

// DropoutSetter is implemented by backbone configs whose dropout can be
// changed, so that a pretrained encoder can be fine-tuned with another
// dropout than it was pretrained with. The receiver is left unchanged.
type DropoutSetter interface {
	WithDropout(p float64) BackboneConfig
}

var backbones = registry.New[BackboneConfig]("backbone")

// RegisterBackbone makes a backbone config available by name, for loading
// saved models; backbone packages call it from init with a function that
// decodes their config from JSON.
func RegisterBackbone(name string, decode func([]byte) (BackboneConfig, error)) {
	backbones.Register(name, decode)
}

// Backbones lists the registered backbone names, sorted.
func Backbones() []string { return backbones.Names() }

// NewBackbone returns the registered backbone config called name (case
// is ignored) with its defaults: what its decoder makes of an empty
// config, so that a config file or flag need name only what differs.
func NewBackbone(name string) (BackboneConfig, error) {
	for _, n := range backbones.Names() {
		if strings.EqualFold(n, name) {
			return backbones.Unmarshal([]byte(`{"name":` + strconv.Quote(n) + `,"config":{}}`))
		}
	}
	return nil, fmt.Errorf("unknown backbone %q (known: %s)", name, strings.Join(backbones.Names(), ", "))
}

// MarshalBackbone encodes c with its name.
func MarshalBackbone(c BackboneConfig) ([]byte, error) { return backbones.Marshal(c) }

// UnmarshalBackbone decodes what MarshalBackbone wrote and validates it.
func UnmarshalBackbone(b []byte) (BackboneConfig, error) { return backbones.Unmarshal(b) }

// ParseLayers parses hyphen-separated layer widths such as "512-256-128".
// The empty string means no layers.
func ParseLayers(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, "-") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("layers %q: %q is not a positive width (want e.g. \"512-256-128\")", s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// MLPConfig is a stack of blocks [BatchNorm] → Linear → activation →
// [Dropout], as PyTorch Tabular builds them (batch norm before the linear
// layer).
type MLPConfig struct {
	Layers         []int
	Activation     string
	Dropout        float64
	UseBatchNorm   bool
	Initialization string
}

// NewMLP builds the stack reading in columns. With lastLinear set, the
// final block is a plain Linear to the last width (a head's output layer).
func NewMLP(prefix string, in int, c MLPConfig, lastLinear bool, rng *rand.Rand) (*nn.Sequential, error) {
	if c.Dropout < 0 || c.Dropout >= 1 {
		return nil, fmt.Errorf("dropout %v: want a probability in [0, 1)", c.Dropout)
	}
	seq := &nn.Sequential{}
	for i, out := range c.Layers {
		name := fmt.Sprintf("%s.%d", prefix, i)
		final := lastLinear && i == len(c.Layers)-1
		if c.UseBatchNorm && !final {
			seq.Layers = append(seq.Layers, nn.NewBatchNorm1d(name+".bn", in))
		}
		lin := nn.NewLinear(name+".linear", in, out, rng)
		act := c.Activation
		if final {
			act = "linear"
		}
		if err := nn.Initialize(lin.W.Value, c.Initialization, act, rng); err != nil {
			return nil, err
		}
		seq.Layers = append(seq.Layers, lin)
		if !final {
			a, err := nn.NewActivation(c.Activation)
			if err != nil {
				return nil, err
			}
			if _, ok := a.(*nn.ReLU); ok {
				lin.Act = tensor.ReLU // fused into the product
			} else {
				seq.Layers = append(seq.Layers, a)
			}
			if c.Dropout > 0 {
				seq.Layers = append(seq.Layers, nn.NewDropout(c.Dropout, rng))
			}
		}
		in = out
	}
	return seq, nil
}

// MLPSize returns the number of parameter and state values of the stack
// NewMLP builds with the same arguments.
func MLPSize(in int, c MLPConfig, lastLinear bool) int {
	n := 0
	for i, out := range c.Layers {
		final := lastLinear && i == len(c.Layers)-1
		if c.UseBatchNorm && !final {
			n += 4 * in // weight, bias, running mean, running variance
		}
		n += in*out + out
		in = out
	}
	return n
}

// EmbeddingDim is PyTorch Tabular's default width for a categorical
// feature of the given cardinality: min(50, (cardinality+1)/2).
func EmbeddingDim(cardinality int) int { return min(50, (cardinality+1)/2) }
