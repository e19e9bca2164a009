package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Embedding maps integer codes 0..n−1 to learned rows of width dim.
//
// It is not a [Module] because its input is codes, not floats: Forward
// reads one column of a code matrix and writes into a (possibly strided)
// view, so that several embeddings fill one concatenated matrix in place.
type Embedding struct {
	W     *Param
	codes []int32
}

// NewEmbedding returns an n×dim embedding initialised N(0, 1), as PyTorch
// does.
func NewEmbedding(name string, n, dim int, rng *rand.Rand) *Embedding {
	e := &Embedding{W: NewParam(name+".weight", n, dim)}
	normal(e.W.Value.Data, 1, rng)
	return e
}

// Forward writes the embedding of codes[:, col] into out (rows×dim).
func (e *Embedding) Forward(codes *tensor.IntMat, col int, out *tensor.Mat) {
	if cap(e.codes) < codes.Rows {
		e.codes = make([]int32, codes.Rows)
	}
	e.codes = e.codes[:codes.Rows]
	n := int32(e.W.Value.Rows)
	for i := range codes.Rows {
		c := codes.Data[i*codes.Cols+col]
		if c < 0 || c >= n {
			panic(fmt.Sprintf("nn: embedding %s: code %d out of range [0,%d)", e.W.Name, c, n))
		}
		e.codes[i] = c
		copy(out.Row(i), e.W.Value.Row(int(c)))
	}
}

// Backward accumulates dout (rows×dim) into the rows of W.Grad used by the
// last Forward.
func (e *Embedding) Backward(dout *tensor.Mat) {
	for i, c := range e.codes {
		g := e.W.Grad.Row(int(c))
		for j, v := range dout.Row(i) {
			g[j] += v
		}
	}
}

// Params lists the embedding table.
func (e *Embedding) Params() []*Param { return []*Param{e.W} }
