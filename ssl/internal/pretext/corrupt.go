// Package pretext holds what the self-supervised methods share: corrupting
// a batch by resampling features from their marginals, the heads and
// losses that reconstruct a corrupted row (the DAE, VIME), the contrastive
// InfoNCE loss (SCARF), and the model body that fine-tuning keeps.
//
// Features are counted in the order of the encoded batch: the continuous
// columns, then the categorical ones.
package pretext

import (
	"math/rand/v2"

	"github.com/gotabular/gotabular/tensor"
)

// Corrupter makes the corrupted copy of a batch that a pretext task learns
// from. A chosen value is replaced by a draw from its feature's empirical
// marginal distribution, which the batch estimates: the value of the same
// feature in a uniformly drawn row of the batch (possibly the row itself).
// With Zero set it becomes the feature's mean instead (0, the continuous
// inputs being standardised), or the unknown category.
//
// Mask marks the values that changed. A draw equal to the value is no
// corruption a model could detect; VIME's reference implementation labels
// its mask the same way (m = 1·(x ≠ x̃)).
type Corrupter struct {
	Zero bool

	// The corrupted batch and its mask, valid after Each or Subset.
	Cont *tensor.Mat
	Cat  *tensor.IntMat
	Mask *tensor.Mat

	order []int // Subset's permutation of the features
}

// Each chooses every feature of every row with its own probability p[j],
// as the DAE and VIME do.
func (c *Corrupter) Each(cont *tensor.Mat, cat *tensor.IntMat, p []float64, rng *rand.Rand) {
	c.start(cont, cat)
	for i := range cont.Rows {
		for j := range cont.Cols + cat.Cols {
			if rng.Float64() < p[j] {
				c.replace(cont, cat, i, j, rng)
			}
		}
	}
}

// Subset chooses k distinct features of every row, uniformly, as SCARF
// does.
func (c *Corrupter) Subset(cont *tensor.Mat, cat *tensor.IntMat, k int, rng *rand.Rand) {
	c.start(cont, cat)
	n := cont.Cols + cat.Cols
	k = min(k, n)
	if cap(c.order) < n {
		c.order = make([]int, n)
	}
	order := c.order[:n]
	for i := range cont.Rows {
		for j := range order {
			order[j] = j
		}
		for t := range k { // the first k steps of a Fisher–Yates shuffle
			r := t + rng.IntN(n-t)
			order[t], order[r] = order[r], order[t]
			c.replace(cont, cat, i, order[t], rng)
		}
	}
}

// start sizes the buffers for the batch and fills them with its clean
// values and an empty mask.
func (c *Corrupter) start(cont *tensor.Mat, cat *tensor.IntMat) {
	rows := cont.Rows
	c.Cont = tensor.Ensure(c.Cont, rows, cont.Cols)
	c.Cont.CopyFrom(cont)
	if c.Cat == nil {
		c.Cat = &tensor.IntMat{}
	}
	c.Cat.Resize(rows, cat.Cols)
	copy(c.Cat.Data, cat.Data[:rows*cat.Cols])
	c.Mask = tensor.Ensure(c.Mask, rows, cont.Cols+cat.Cols)
	c.Mask.Zero()
}

// replace corrupts feature j of row i.
func (c *Corrupter) replace(cont *tensor.Mat, cat *tensor.IntMat, i, j int, rng *rand.Rand) {
	nCont := cont.Cols
	if j < nCont {
		v := float32(0)
		if !c.Zero {
			v = cont.At(rng.IntN(cont.Rows), j)
		}
		if r := c.Cont.Row(i); v != r[j] {
			r[j] = v
			c.Mask.Set(i, j, 1)
		}
		return
	}
	v := int32(0)
	if !c.Zero {
		v = cat.At(rng.IntN(cat.Rows), j-nCont)
	}
	if r := c.Cat.Row(i); v != r[j-nCont] {
		r[j-nCont] = v
		c.Mask.Set(i, j, 1)
	}
}
