package nn

import (
	"fmt"

	"github.com/gotabular/gotabular/tensor"
)

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
	add   sumTask
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
	r.add.run(r.y, x, h)
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
	r.add.run(r.dx, dy, g)
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

// LastResidual is the residual block of a transformer's last attention
// layer when only the last token's state is read afterwards (the CLS
// token's, see [LastToken]): y = last(x) + drop(F(norm(x))), where F maps
// the (B·T)×d tokens to B×d, one row per example, as a
// [MultiHeadAttention] with LastQuery does. The other tokens' states
// would be computed and thrown away; FT-Transformer skips them too.
type LastResidual struct {
	// Tokens is T, the number of tokens of each example.
	Tokens int
	Norm   Module
	F      Module
	Drop   *Dropout
	y, dx  *tensor.Mat
}

// Forward implements [Module]: (B·T)×d → B×d.
func (r *LastResidual) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	T := r.Tokens
	if T < 1 || x.Rows%T != 0 {
		panic(fmt.Sprintf("nn: last-token residual over %d tokens given %d rows", T, x.Rows))
	}
	h := x
	if r.Norm != nil {
		h = r.Norm.Forward(h, train)
	}
	h = r.F.Forward(h, train)
	if r.Drop != nil {
		h = r.Drop.Forward(h, train)
	}
	B := x.Rows / T
	if h.Rows != B || h.Cols != x.Cols {
		panic(fmt.Sprintf("nn: last-token residual: branch gave %d×%d for %d examples of width %d", h.Rows, h.Cols, B, x.Cols))
	}
	r.y = tensor.Ensure(r.y, B, x.Cols)
	for b := range B {
		yr, hr := r.y.Row(b), h.Row(b)
		for j, v := range x.Row(b*T + T - 1) {
			yr[j] = v + hr[j]
		}
	}
	return r.y
}

// Backward implements [Module]: the last tokens get dy plus the branch's
// gradient, the others the branch's alone.
func (r *LastResidual) Backward(dy *tensor.Mat) *tensor.Mat {
	T := r.Tokens
	g := dy
	if r.Drop != nil {
		g = r.Drop.Backward(g)
	}
	g = r.F.Backward(g)
	if r.Norm != nil {
		g = r.Norm.Backward(g)
	}
	r.dx = tensor.Ensure(r.dx, g.Rows, g.Cols)
	r.dx.CopyFrom(g)
	for b := range dy.Rows {
		tensor.Axpy(1, dy.Row(b), r.dx.Row(b*T+T-1))
	}
	return r.dx
}

// Params implements [Module]: the norm's, then F's.
func (r *LastResidual) Params() []*Param {
	var ps []*Param
	if r.Norm != nil {
		ps = append(ps, r.Norm.Params()...)
	}
	return append(ps, r.F.Params()...)
}

// sumTask sets dst = a + b, its rows shared between the worker pool's
// threads: a copy and then an axpy took two passes, the copy on one thread.
type sumTask struct {
	dst, a, b *tensor.Mat
	t         rowsTask
}

func (s *sumTask) run(dst, a, b *tensor.Mat) {
	if a.Rows != dst.Rows || a.Cols != dst.Cols || b.Rows != dst.Rows || b.Cols != dst.Cols {
		panic(fmt.Sprintf("nn: residual sum of %d×%d and %d×%d into %d×%d", a.Rows, a.Cols, b.Rows, b.Cols, dst.Rows, dst.Cols))
	}
	s.dst, s.a, s.b = dst, a, b
	if s.t.f == nil {
		s.t.f = s.rows
	}
	tensor.Parallel(dst.Rows, rowGrain(dst.Cols), &s.t)
	s.dst, s.a, s.b = nil, nil, nil
}

func (s *sumTask) rows(lo, hi int) {
	for i := lo; i < hi; i++ {
		a := s.a.Row(i)
		tensor.Add(a, s.b.Row(i)[:len(a)], s.dst.Row(i)[:len(a)])
	}
}
