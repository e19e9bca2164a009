package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Embedder turns a batch of encoded rows (continuous values and
// categorical codes) into what a backbone reads: [Embedding], one flat
// row per example, or [TokenEmbedding], one token per feature. The
// backbone's config chooses which (see [NewEmbedder]); the networks and
// the self-supervised methods see only this interface.
type Embedder interface {
	// Forward returns the embedded batch, rows × OutDim; the matrix is
	// owned by the embedder and contiguous.
	Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat
	// Backward accumulates the gradients of the embedder's parameters
	// from dy (rows × OutDim). The inputs are data, so nothing is
	// returned.
	Backward(dy *tensor.Mat)
	// Params lists parameters and state in a fixed order.
	Params() []*nn.Param
	// OutDim is the width of Forward's output.
	OutDim() int
	// Input describes the output for the backbone's Build.
	Input() Input
}

// NewEmbedder builds the embedder that the backbone of config b reads for
// schema s: a [TokenEmbedding] when b is a [TokenConfig], else an
// [Embedding]. Parameter names start with prefix.
func NewEmbedder(prefix string, s Schema, c EmbeddingConfig, b BackboneConfig, rng *rand.Rand) (Embedder, error) {
	if tc, ok := b.(TokenConfig); ok {
		return NewTokenEmbedding(prefix, s, c, tc.TokenDim(), rng)
	}
	return NewEmbedding(prefix, s, c, rng)
}

// EmbedderSize returns the number of parameter and state values of the
// embedder NewEmbedder builds, and the Input the backbone then reads,
// without building anything.
func (c EmbeddingConfig) EmbedderSize(s Schema, b BackboneConfig) (params int, in Input) {
	if tc, ok := b.(TokenConfig); ok {
		return c.tokenSize(s, tc.TokenDim())
	}
	params, width := c.Size(s)
	return params, Input{Schema: s, Width: width}
}

// TokenEmbedding gives every feature of a row a token of d columns, as
// FT-Transformer's feature tokenizer does: continuous feature j becomes
// x_j·W_j + B_j, or its PLR or PLE embedding of width d when the config
// asks for a numerical embedding; categorical feature j becomes row c of
// its own learned table (c = 0 for unknown or missing). A categorical
// token has no added bias: with a table per feature, a bias would add the
// same vector to every row of the table, which the table learns as well.
//
// The tokens of a row sit side by side, continuous features first, so the
// rows × (T·d) output is the (rows·T)×d token layout of package nn. Of
// [EmbeddingConfig], Dims and MaxOnehotCardinality do not apply (every
// categorical gets a d-wide token; Dims is refused, the one-hot limit
// ignored), BatchNormContinuous normalises the continuous tokens' columns,
// and Dropout drops token values as PyTorch Tabular's embedding dropout
// does.
type TokenEmbedding struct {
	nCont, d int
	in       Input
	tok      *nn.FeatureTokenizer // the linear tokenizer; nil with num or no continuous
	num      nn.Module            // PLR or PLE of width d, or tok
	trains   bool                 // num has parameters
	bn       *nn.BatchNorm1d
	embs     []*nn.Embedding // one per categorical feature
	drop     *nn.Dropout     // nil without dropout

	out  *tensor.Mat
	view tensor.Mat // scratch for column views, so that steps do not allocate
}

// tokenNum returns the numerical embedding of continuous tokens: c's, at
// width d.
func (c EmbeddingConfig) tokenNum(d int) NumEmbeddingConfig {
	ne := c.NumEmbedding
	if ne.Enabled() {
		ne.Dim = d
	}
	return ne
}

// validateTokens reports the first field of c that cannot work with
// tokens of width d for schema s.
func (c EmbeddingConfig) validateTokens(s Schema, d int) error {
	if d < 1 {
		return fmt.Errorf("token width %d: must be ≥ 1", d)
	}
	if err := c.Validate(s); err != nil {
		return err
	}
	if len(c.Dims) > 0 {
		return fmt.Errorf("embedding dims: a backbone of tokens gives every feature a token of %d columns; leave dims unset", d)
	}
	if ne := c.NumEmbedding; ne.Enabled() && ne.Dim != 0 && ne.Dim != d {
		return fmt.Errorf("num_embedding: dim %d: a backbone of tokens embeds each continuous feature into its token width, %d; leave dim unset", ne.Dim, d)
	}
	if s.NumFeatures() == 0 {
		return fmt.Errorf("a backbone of tokens needs at least one feature")
	}
	for _, f := range s.Categorical {
		if f.Cardinality < 1 {
			return fmt.Errorf("categorical %q: cardinality %d must be ≥ 1", f.Name, f.Cardinality)
		}
	}
	return nil
}

// tokenSize is EmbedderSize for tokens of width d.
func (c EmbeddingConfig) tokenSize(s Schema, d int) (params int, in Input) {
	n := len(s.Continuous)
	T := s.NumFeatures()
	in = Input{Schema: s, Width: T * d, Tokens: T, TokenDim: d}
	if n > 0 {
		if ne := c.tokenNum(d); ne.Enabled() {
			params, _ = ne.size(s)
		} else {
			params = 2 * n * d
		}
		if c.BatchNormContinuous {
			params += 4 * n * d
		}
	}
	for _, f := range s.Categorical {
		params += max(f.Cardinality, 0) * d
	}
	return params, in
}

// NewTokenEmbedding builds the embedder of tokens of width d for schema
// s; parameter names start with prefix.
func NewTokenEmbedding(prefix string, s Schema, c EmbeddingConfig, d int, rng *rand.Rand) (*TokenEmbedding, error) {
	if err := c.validateTokens(s, d); err != nil {
		return nil, err
	}
	_, in := c.tokenSize(s, d)
	e := &TokenEmbedding{nCont: len(s.Continuous), d: d, in: in}
	if e.nCont > 0 {
		if ne := c.tokenNum(d); ne.Enabled() {
			e.num = ne.build(prefix, s, rng)
		} else {
			e.tok = nn.NewFeatureTokenizer(prefix+".tokenizer", e.nCont, d, rng)
			e.tok.SkipInputGrad = true // the input is data
			e.num = e.tok
		}
		e.trains = len(e.num.Params()) > 0
		if c.BatchNormContinuous {
			e.bn = nn.NewBatchNorm1d(prefix+".continuous_bn", e.nCont*d)
		}
	}
	for i, f := range s.Categorical {
		e.embs = append(e.embs, nn.NewEmbedding(fmt.Sprintf("%s.embedding.%d", prefix, i), f.Cardinality, d, rng))
	}
	if c.Dropout > 0 {
		e.drop = nn.NewDropout(c.Dropout, rng)
	}
	return e, nil
}

// OutDim implements [Embedder]: T·d.
func (e *TokenEmbedding) OutDim() int { return e.in.Width }

// Input implements [Embedder].
func (e *TokenEmbedding) Input() Input { return e.in }

// Forward implements [Embedder].
func (e *TokenEmbedding) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat {
	e.out = tensor.Ensure(e.out, cont.Rows, e.in.Width)
	cw := e.nCont * e.d
	if e.nCont > 0 {
		c := e.num.Forward(cont, train)
		if e.bn != nil {
			c = e.bn.Forward(c, train)
		}
		e.view.SetColView(e.out, 0, cw).CopyFrom(c)
	}
	for i, emb := range e.embs {
		at := cw + i*e.d
		emb.Forward(cat, i, e.view.SetColView(e.out, at, at+e.d))
	}
	if e.drop != nil {
		return e.drop.Forward(e.out, train)
	}
	return e.out
}

// Backward implements [Embedder].
func (e *TokenEmbedding) Backward(dy *tensor.Mat) {
	if e.drop != nil {
		dy = e.drop.Backward(dy)
	}
	cw := e.nCont * e.d
	if e.nCont > 0 {
		d := e.view.SetColView(dy, 0, cw)
		if e.bn != nil {
			d = e.bn.Backward(d)
		}
		if e.trains {
			e.num.Backward(d)
		}
	}
	for i, emb := range e.embs {
		at := cw + i*e.d
		emb.Backward(e.view.SetColView(dy, at, at+e.d))
	}
}

// Params implements [Embedder]: the continuous tokenizer's or numerical
// embedding's, the batch norm's, then the categorical tables.
func (e *TokenEmbedding) Params() []*nn.Param {
	var ps []*nn.Param
	if e.num != nil {
		ps = append(ps, e.num.Params()...)
	}
	if e.bn != nil {
		ps = append(ps, e.bn.Params()...)
	}
	for _, emb := range e.embs {
		ps = append(ps, emb.Params()...)
	}
	return ps
}
