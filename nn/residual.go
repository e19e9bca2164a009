package nn

import "github.com/gotabular/gotabular/tensor"

// Residual is a pre-norm residual block, y = x + drop(F(norm(x))): the
// blocks of a transformer (attention, then the feed-forward network) and
// of a ResNet for tables. Norm (a [LayerNorm] or [BatchNorm1d]) may be nil,
// as for the first attention block of an FT-Transformer, whose input is
// already the embeddings; Drop, the residual dropout, may be nil. F must
// keep the width.
type Residual struct {
	Norm  Module
	F     Module
	Drop  *Dropout
	y, dx *tensor.Mat
}

// Forward implements [Module].
func (r *Residual) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	h := x
	if r.Norm != nil {
		h = r.Norm.Forward(h, train)
	}
	h = r.F.Forward(h, train)
	if r.Drop != nil {
		h = r.Drop.Forward(h, train)
	}
	r.y = tensor.Ensure(r.y, x.Rows, x.Cols)
	r.y.CopyFrom(x)
	tensor.Axpy(1, h.Data[:h.Rows*h.Cols], r.y.Data)
	return r.y
}

// Backward implements [Module]: dx = dy + the gradient through the branch.
func (r *Residual) Backward(dy *tensor.Mat) *tensor.Mat {
	g := dy
	if r.Drop != nil {
		g = r.Drop.Backward(g)
	}
	g = r.F.Backward(g)
	if r.Norm != nil {
		g = r.Norm.Backward(g)
	}
	r.dx = tensor.Ensure(r.dx, dy.Rows, dy.Cols)
	r.dx.CopyFrom(dy)
	tensor.Axpy(1, g.Data[:g.Rows*g.Cols], r.dx.Data)
	return r.dx
}

// Params implements [Module]: the norm's, then F's.
func (r *Residual) Params() []*Param {
	var ps []*Param
	if r.Norm != nil {
		ps = append(ps, r.Norm.Params()...)
	}
	return append(ps, r.F.Params()...)
}
