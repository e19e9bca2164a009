package models

import (
	"fmt"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// HeadInput runs a backbone over the embedded input and assembles what a
// head reads: the backbone's output, or with Deep the output of every
// stage of the backbone (its hidden layers, side by side), and with Input
// the embedded input beside them. Lower layers keep detail of the input
// that the last may have abstracted away; the input itself gives the head
// a direct, nearly linear path.
type HeadInput struct {
	Backbone     Backbone
	Deep, Input  bool
	stages       []nn.Module
	widths       []int
	width, inDim int

	feats, dStage, dx *tensor.Mat
	view              tensor.Mat // scratch for column views, so that steps do not allocate
}

// NewHeadInput assembles the head's input from a backbone reading inDim
// columns. Deep needs a [Staged] backbone.
func NewHeadInput(backbone Backbone, inDim int, deep, input bool) (*HeadInput, error) {
	h := &HeadInput{Backbone: backbone, Deep: deep, Input: input, inDim: inDim, width: backbone.OutDim()}
	if deep {
		st, ok := backbone.(Staged)
		if !ok {
			return nil, fmt.Errorf("deep features need a backbone made of stages, and %T is not", backbone)
		}
		h.stages = st.Stages()
		h.width = 0
		x := tensor.New(1, inDim)
		for _, s := range h.stages {
			// A one-row pass in evaluation mode tells each stage's width
			// and changes nothing.
			x = s.Forward(x, false)
			h.widths = append(h.widths, x.Cols)
			h.width += x.Cols
		}
	}
	if input {
		h.width += inDim
	}
	return h, nil
}

// HeadInputWidth returns the width of what a head reads from the backbone
// of config c over the input in, without building anything.
func HeadInputWidth(c BackboneConfig, in Input, deep, input bool) (int, error) {
	inDim := in.Width
	_, w := c.Size(in)
	if deep {
		st, ok := c.(StagedConfig)
		if !ok {
			return 0, fmt.Errorf("deep features need a backbone made of stages, and %s is not", c.Name())
		}
		w = 0
		for _, s := range st.StageWidths(in) {
			w += s
		}
	}
	if input {
		w += inDim
	}
	return w, nil
}

// Width returns the number of columns Forward returns.
func (h *HeadInput) Width() int { return h.width }

// Forward runs the backbone over the embedded input x and returns what
// the head reads; the matrix is owned by h, or the backbone's when it is
// the backbone's output alone.
func (h *HeadInput) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	if !h.Deep {
		z := h.Backbone.Forward(x, train)
		if !h.Input {
			return z
		}
		h.feats = tensor.Ensure(h.feats, z.Rows, h.width)
		h.view.SetColView(h.feats, 0, z.Cols).CopyFrom(z)
		h.view.SetColView(h.feats, z.Cols, h.width).CopyFrom(x)
		return h.feats
	}
	h.feats = tensor.Ensure(h.feats, x.Rows, h.width)
	z, at := x, 0
	for i, s := range h.stages {
		z = s.Forward(z, train)
		h.view.SetColView(h.feats, at, at+h.widths[i]).CopyFrom(z)
		at += h.widths[i]
	}
	if h.Input {
		h.view.SetColView(h.feats, at, h.width).CopyFrom(x)
	}
	return h.feats
}

// Backward takes the gradient with respect to the last Forward's output
// and returns that with respect to its input x.
func (h *HeadInput) Backward(d *tensor.Mat) *tensor.Mat {
	var dx *tensor.Mat
	at := 0
	if !h.Deep {
		at = h.Backbone.OutDim()
		if !h.Input {
			return h.Backbone.Backward(d)
		}
		dx = h.Backbone.Backward(h.view.SetColView(d, 0, at))
	} else {
		// Each stage's output reaches the head directly and through the
		// stages after it: its gradient is the sum of both.
		for _, w := range h.widths {
			at += w
		}
		end := at
		for i := len(h.stages) - 1; i >= 0; i-- {
			part := h.view.SetColView(d, end-h.widths[i], end)
			end -= h.widths[i]
			g := part
			if dx != nil {
				h.dStage = tensor.Ensure(h.dStage, dx.Rows, dx.Cols)
				h.dStage.CopyFrom(dx)
				addInto(h.dStage, part)
				g = h.dStage
			}
			dx = h.stages[i].Backward(g)
		}
	}
	if h.Input {
		h.dx = tensor.Ensure(h.dx, dx.Rows, dx.Cols)
		h.dx.CopyFrom(dx)
		addInto(h.dx, h.view.SetColView(d, at, d.Cols))
		dx = h.dx
	}
	return dx
}

// addInto adds src to dst, row by row (src may be a column view).
func addInto(dst, src *tensor.Mat) {
	for i := range dst.Rows {
		tensor.Axpy(1, src.Row(i), dst.Row(i))
	}
}
