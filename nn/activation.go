package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/gotabular/gotabular/tensor"
)

// LeakySlope is the negative slope of [LeakyReLU], PyTorch's default.
const LeakySlope = 0.01

// Activations lists the names accepted by [NewActivation].
var Activations = []string{"ReLU", "LeakyReLU", "GELU"}

// NewActivation returns the activation layer with the given name (case is
// ignored).
func NewActivation(name string) (Module, error) {
	switch strings.ToLower(name) {
	case "relu":
		return &ReLU{}, nil
	case "leakyrelu":
		return &LeakyReLU{}, nil
	case "gelu":
		return &GELU{}, nil
	}
	return nil, fmt.Errorf("activation %q: want one of %s", name, strings.Join(Activations, ", "))
}

// ReLU is y = max(x, 0).
type ReLU struct{ y, dx *tensor.Mat }

// Forward implements [Module].
func (a *ReLU) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	a.y = tensor.Ensure(a.y, x.Rows, x.Cols)
	tensor.ReLUForward(x, a.y)
	return a.y
}

// Backward implements [Module]; the output's sign says where x was
// positive, so the input need not be kept.
func (a *ReLU) Backward(dy *tensor.Mat) *tensor.Mat {
	a.dx = tensor.Ensure(a.dx, dy.Rows, dy.Cols)
	tensor.ReLUBackward(dy, a.y, a.dx)
	return a.dx
}

// Params implements [Module].
func (a *ReLU) Params() []*Param { return nil }

// LeakyReLU is y = x for x > 0, LeakySlope·x otherwise.
type LeakyReLU struct{ y, dx *tensor.Mat }

// Forward implements [Module].
func (a *LeakyReLU) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	a.y = tensor.Ensure(a.y, x.Rows, x.Cols)
	for i := range x.Rows {
		xr, yr := x.Row(i), a.y.Row(i)
		for j, v := range xr {
			if v > 0 {
				yr[j] = v
			} else {
				yr[j] = LeakySlope * v
			}
		}
	}
	return a.y
}

// Backward implements [Module].
func (a *LeakyReLU) Backward(dy *tensor.Mat) *tensor.Mat {
	a.dx = tensor.Ensure(a.dx, dy.Rows, dy.Cols)
	for i := range dy.Rows {
		yr, gr, dr := a.y.Row(i), dy.Row(i), a.dx.Row(i)
		for j, g := range gr {
			if yr[j] > 0 {
				dr[j] = g
			} else {
				dr[j] = LeakySlope * g
			}
		}
	}
	return a.dx
}

// Params implements [Module].
func (a *LeakyReLU) Params() []*Param { return nil }

// GELU is y = x·Φ(x) with the exact normal CDF, PyTorch's default form.
type GELU struct{ x, y, dx *tensor.Mat }

// Forward implements [Module].
func (a *GELU) Forward(x *tensor.Mat, train bool) *tensor.Mat {
	a.x = x
	a.y = tensor.Ensure(a.y, x.Rows, x.Cols)
	for i := range x.Rows {
		xr, yr := x.Row(i), a.y.Row(i)
		for j, v := range xr {
			yr[j] = float32(float64(v) * normCDF(float64(v)))
		}
	}
	return a.y
}

// Backward implements [Module]: dy/dx = Φ(x) + x·φ(x).
func (a *GELU) Backward(dy *tensor.Mat) *tensor.Mat {
	a.dx = tensor.Ensure(a.dx, dy.Rows, dy.Cols)
	for i := range dy.Rows {
		xr, gr, dr := a.x.Row(i), dy.Row(i), a.dx.Row(i)
		for j, g := range gr {
			v := float64(xr[j])
			d := normCDF(v) + v*math.Exp(-v*v/2)/math.Sqrt(2*math.Pi)
			dr[j] = g * float32(d)
		}
	}
	return a.dx
}

// Params implements [Module].
func (a *GELU) Params() []*Param { return nil }

func normCDF(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) }
