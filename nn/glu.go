package nn

import (
	"fmt"

	"github.com/gotabular/gotabular/tensor"
)

// Gate is the function of a gated linear unit's gate.
type Gate uint8

const (
	GateSigmoid Gate = iota // GLU
	GateReLU                // ReGLU
	GateGELU                // GEGLU (the exact GELU, as [GELU])
)

// GLU is a gated linear unit: the input's columns are split into two
// halves, a and b, and y = a ⊙ f(b), with f the sigmoid (GLU), ReLU
// (ReGLU) or GELU (GEGLU), as PyTorch's glu and the ReGLU and GEGLU of the
// transformer feed-forward blocks compute it. The output has half the
// input's columns.
type GLU struct {
	Gate         Gate
	x, y, dy, dx *tensor.Mat
	// In training, the gate f(b) of the forward pass, and for the GELU
	// gate f′(b), which the backward pass would otherwise compute again,
	// an exponential each (TabNet's sigmoid GLUs spend most of a step in
	// those exponentials).
	gate, dgate *tensor.Mat
	keep        bool
	fwd, bwd    rowsTask
}

// NewGLU returns a unit with a sigmoid gate.
func NewGLU() *GLU { return &GLU{Gate: GateSigmoid} }

// NewReGLU returns a unit with a ReLU gate.
func NewReGLU() *GLU { return &GLU{Gate: GateReLU} }

// NewGEGLU returns a unit with a GELU gate.
func NewGEGLU() *GLU { return &GLU{Gate: GateGELU} }

// Forward implements [Module]: x (B×2n) → y (B×n).
func (g *GLU) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	if x.Cols%2 != 0 {
		panic(fmt.Sprintf("nn: gated linear unit given %d columns, not an even number", x.Cols))
	}
	if g.Gate > GateGELU {
		panic(fmt.Sprintf("nn: unknown gate %d", g.Gate))
	}
	g.x = x
	g.y = tensor.Ensure(g.y, x.Rows, x.Cols/2)
	g.keep = train && g.Gate != GateReLU
	if g.keep {
		g.gate = tensor.Ensure(g.gate, x.Rows, x.Cols/2)
		if g.Gate == GateGELU {
			g.dgate = tensor.Ensure(g.dgate, x.Rows, x.Cols/2)
		}
	}
	if g.fwd.f == nil {
		g.fwd.f, g.bwd.f = g.forwardRows, g.backwardRows
	}
	tensor.Parallel(x.Rows, rowGrain(x.Cols), &g.fwd)
	return g.y
}

func (g *GLU) forwardRows(lo, hi int) {
	n := g.y.Cols
	for i := lo; i < hi; i++ {
		xr, yr := g.x.Row(i), g.y.Row(i)
		a, b := xr[:n], xr[n:2*n]
		yr = yr[:n]
		switch g.Gate {
		case GateSigmoid:
			if !g.keep {
				for j, v := range b {
					yr[j] = a[j] * Sigmoid(v)
				}
				break
			}
			fr := g.gate.Row(i)[:n]
			for j, v := range b {
				f := Sigmoid(v)
				fr[j] = f
				yr[j] = a[j] * f
			}
		case GateReLU:
			tensor.ReGLU(a, b, yr)
		case GateGELU:
			if !g.keep {
				tensor.GEGLU(a, b, yr, nil, nil)
				break
			}
			tensor.GEGLU(a, b, yr, g.gate.Row(i)[:n], g.dgate.Row(i)[:n])
		}
	}
}

// Backward implements [Module]: da = dy ⊙ f(b), db = dy ⊙ a ⊙ f′(b).
func (g *GLU) Backward(dy *tensor.Mat) *tensor.Mat {
	g.dx = tensor.Ensure(g.dx, dy.Rows, 2*dy.Cols)
	g.dy = dy
	tensor.Parallel(dy.Rows, rowGrain(g.dx.Cols), &g.bwd)
	g.dy = nil
	return g.dx
}

func (g *GLU) backwardRows(lo, hi int) {
	n := g.y.Cols
	for i := lo; i < hi; i++ {
		xr, gr, dr := g.x.Row(i), g.dy.Row(i), g.dx.Row(i)
		a, b := xr[:n], xr[n:2*n]
		da, db := dr[:n], dr[n:2*n]
		gr = gr[:n]
		switch g.Gate {
		case GateSigmoid:
			if !g.keep {
				// A backward pass after an evaluation pass.
				for j, v := range b {
					s := Sigmoid(v)
					da[j] = gr[j] * s
					db[j] = gr[j] * a[j] * s * (1 - s)
				}
				break
			}
			for j, s := range g.gate.Row(i)[:n] {
				da[j] = gr[j] * s
				db[j] = gr[j] * a[j] * s * (1 - s)
			}
		case GateReLU:
			tensor.ReGLUBackward(gr, a, b, da, db)
		case GateGELU:
			if !g.keep {
				// A backward pass after an evaluation pass.
				for j, v := range b {
					cdf, pdf := tensor.NormCDF(v)
					da[j] = gr[j] * v * cdf
					db[j] = gr[j] * a[j] * (cdf + v*pdf)
				}
				break
			}
			tensor.GEGLUBackward(gr, a, g.gate.Row(i)[:n], g.dgate.Row(i)[:n], da, db)
		}
	}
}

// Params implements [Module].
func (g *GLU) Params() []*Param { return nil }
