package models

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// EmbeddingConfig says how rows become the dense input of a backbone.
type EmbeddingConfig struct {
	// Dims sets the width of a categorical column's learned embedding by
	// column name; others get EmbeddingDim(cardinality).
	Dims map[string]int `json:"dims,omitempty" yaml:"dims,omitempty"`
	// Dropout drops learned-embedding columns in training.
	Dropout float64 `json:"dropout,omitempty" yaml:"dropout,omitempty"`
	// BatchNormContinuous normalises the continuous block of the output
	// with BatchNorm1d: the values or, with a NumEmbedding, their
	// embeddings. It comes after the embedding because PLE's bins are
	// fixed in encoded units, across which a batch norm before it would
	// move values as it trains; before PLR it would add only the noise of
	// batch statistics, as the frequencies and the Linear learn any scale
	// and shift.
	BatchNormContinuous bool `json:"batch_norm_continuous,omitempty" yaml:"batch_norm_continuous,omitempty"`
	// MaxOnehotCardinality: categorical columns with at most this many
	// known levels are one-hot encoded instead of embedded (an unknown or
	// missing value is the zero vector). 0 embeds every column.
	MaxOnehotCardinality int `json:"max_onehot_cardinality,omitempty" yaml:"max_onehot_cardinality,omitempty"`
	// NumEmbedding embeds each continuous feature (PLR or PLE) instead of
	// feeding its encoded value as it is.
	NumEmbedding NumEmbeddingConfig `json:"num_embedding,omitzero" yaml:"num_embedding,omitempty"`
}

// Validate reports the first field that cannot work for schema s.
func (c EmbeddingConfig) Validate(s Schema) error {
	if c.Dropout < 0 || c.Dropout >= 1 {
		return fmt.Errorf("embedding dropout %v: want a probability in [0, 1)", c.Dropout)
	}
	if c.MaxOnehotCardinality < 0 {
		return fmt.Errorf("max_onehot_cardinality %d: must be ≥ 0", c.MaxOnehotCardinality)
	}
	if err := c.NumEmbedding.Validate(); err != nil {
		return err
	}
	if err := c.NumEmbedding.validateSchema(s); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, f := range s.Categorical {
		known[f.Name] = true
	}
	for name, d := range c.Dims {
		if !known[name] {
			return fmt.Errorf("embedding dims: %q is not a categorical column", name)
		}
		if d < 1 {
			return fmt.Errorf("embedding dims: %q: width %d must be ≥ 1", name, d)
		}
	}
	return nil
}

// Size returns the number of parameter and state values and the output
// width of the layer NewEmbedding builds for schema s.
func (c EmbeddingConfig) Size(s Schema) (params, outDim int) {
	params, outDim = c.NumEmbedding.size(s)
	if c.BatchNormContinuous && outDim > 0 {
		params += 4 * outDim
	}
	for _, f := range s.Categorical {
		if levels := f.Cardinality - 1; levels <= c.MaxOnehotCardinality {
			outDim += max(levels, 0)
			continue
		}
		dim := c.Dims[f.Name]
		if dim == 0 {
			dim = EmbeddingDim(f.Cardinality)
		}
		params += f.Cardinality * dim
		outDim += dim
	}
	return params, outDim
}

// Embedding turns continuous values and categorical codes into one dense
// matrix laid out as [continuous | one-hot blocks | embedding blocks]. The
// continuous block holds the values or, with a numerical embedding, each
// feature's embedding in turn.
type Embedding struct {
	schema    Schema
	nCont     int
	contWidth int       // width of the continuous block
	num       nn.Module // PLR or PLE; nil: the values as they are
	numTrains bool      // num has parameters
	bn        *nn.BatchNorm1d
	onehot    []onehotCol
	embs      []embCol
	embAt     int // first column of the embedding blocks
	width     int
	drop      *nn.Dropout // on the embedding blocks; nil without dropout

	out *tensor.Mat
	// Views kept in fields, so that steps do not allocate: a scratch one,
	// and the embedding blocks of the output and of its gradient.
	view, embView, dView tensor.Mat
}

type onehotCol struct{ feature, offset, levels int }

type embCol struct {
	feature, offset, dim int
	emb                  *nn.Embedding
}

// NewEmbedding builds the layer for schema s; parameter names start with
// prefix.
func NewEmbedding(prefix string, s Schema, c EmbeddingConfig, rng *rand.Rand) (*Embedding, error) {
	if err := c.Validate(s); err != nil {
		return nil, err
	}
	e := &Embedding{schema: s, nCont: len(s.Continuous)}
	_, e.contWidth = c.NumEmbedding.size(s)
	if c.Dropout > 0 {
		e.drop = nn.NewDropout(c.Dropout, rng)
	}
	if e.num = c.NumEmbedding.build(prefix, s, rng); e.num != nil {
		e.numTrains = len(e.num.Params()) > 0
	}
	if c.BatchNormContinuous && e.contWidth > 0 {
		e.bn = nn.NewBatchNorm1d(prefix+".continuous_bn", e.contWidth)
	}
	off := e.contWidth
	for i, f := range s.Categorical {
		if f.Cardinality < 1 {
			return nil, fmt.Errorf("categorical %q: cardinality %d must be ≥ 1", f.Name, f.Cardinality)
		}
		if levels := f.Cardinality - 1; levels <= c.MaxOnehotCardinality {
			e.onehot = append(e.onehot, onehotCol{feature: i, offset: off, levels: levels})
			off += levels
		}
	}
	e.embAt = off
	for i, f := range s.Categorical {
		if f.Cardinality-1 <= c.MaxOnehotCardinality {
			continue
		}
		dim := c.Dims[f.Name]
		if dim == 0 {
			dim = EmbeddingDim(f.Cardinality)
		}
		name := fmt.Sprintf("%s.embedding.%d", prefix, i)
		e.embs = append(e.embs, embCol{feature: i, offset: off, dim: dim, emb: nn.NewEmbedding(name, f.Cardinality, dim, rng)})
		off += dim
	}
	e.width = off
	return e, nil
}

// OutDim returns the width of the dense output.
func (e *Embedding) OutDim() int { return e.width }

// Input implements [Embedder]: a flat row.
func (e *Embedding) Input() Input { return Input{Schema: e.schema, Width: e.width} }

// Forward returns the dense batch (rows × OutDim).
func (e *Embedding) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat {
	rows := cont.Rows
	e.out = tensor.Ensure(e.out, rows, e.width)
	if e.nCont > 0 {
		c := cont
		if e.num != nil {
			c = e.num.Forward(c, train)
		}
		if e.bn != nil {
			c = e.bn.Forward(c, train)
		}
		e.view.SetColView(e.out, 0, e.contWidth).CopyFrom(c)
	}
	if len(e.onehot) > 0 {
		e.view.SetColView(e.out, e.contWidth, e.embAt).Zero()
		for i := range rows {
			r, codes := e.out.Row(i), cat.Row(i)
			for _, h := range e.onehot {
				if c := codes[h.feature]; c > 0 {
					r[h.offset+int(c)-1] = 1
				}
			}
		}
	}
	for _, ec := range e.embs {
		ec.emb.Forward(cat, ec.feature, e.view.SetColView(e.out, ec.offset, ec.offset+ec.dim))
	}
	if e.drop != nil && len(e.embs) > 0 {
		v := e.embView.SetColView(e.out, e.embAt, e.width)
		if y := e.drop.Forward(v, train); y != v {
			v.CopyFrom(y)
		}
	}
	return e.out
}

// Backward accumulates the gradients of the embedding tables, of the
// numerical embedding and of the continuous batch norm from dy (rows ×
// OutDim). The inputs are data, so nothing is returned.
func (e *Embedding) Backward(dy *tensor.Mat) {
	if e.bn != nil || e.numTrains {
		d := e.view.SetColView(dy, 0, e.contWidth)
		if e.bn != nil {
			d = e.bn.Backward(d)
		}
		if e.numTrains {
			e.num.Backward(d)
		}
	}
	if len(e.embs) == 0 {
		return
	}
	d := e.dView.SetColView(dy, e.embAt, e.width)
	if e.drop != nil {
		d = e.drop.Backward(d)
	}
	for _, ec := range e.embs {
		at := ec.offset - e.embAt
		ec.emb.Backward(e.view.SetColView(d, at, at+ec.dim))
	}
}

// Params lists the parameters of the numerical embedding, of the batch
// norm and the embedding tables.
func (e *Embedding) Params() []*nn.Param {
	var ps []*nn.Param
	if e.num != nil {
		ps = append(ps, e.num.Params()...)
	}
	if e.bn != nil {
		ps = append(ps, e.bn.Params()...)
	}
	for _, ec := range e.embs {
		ps = append(ps, ec.emb.Params()...)
	}
	return ps
}
