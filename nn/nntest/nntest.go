// Package nntest checks hand-written gradients against central finite
// differences. Every layer and composite model of the project is tested
// with it.
package nntest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Options tune a check. Zero values take the defaults.
type Options struct {
	// Eps is the finite-difference step (default 1e-2: float32 forward
	// passes need a step this large for the rounding error to stay small).
	Eps float64
	// Tol is the accepted error relative to max(1, |analytic|, |numeric|)
	// (default 2e-2).
	Tol float64
	// Reset, when set, runs before every forward pass; it reseeds the
	// random source of a dropout layer so that each pass draws the same
	// mask.
	Reset func()
	// MaxChecks bounds the number of elements checked per tensor
	// (default 64), chosen at random.
	MaxChecks int
	// Train is passed to Forward.
	Train bool
}

func (o *Options) defaults() {
	if o.Eps == 0 {
		o.Eps = 1e-2
	}
	if o.Tol == 0 {
		o.Tol = 2e-2
	}
	if o.MaxChecks == 0 {
		o.MaxChecks = 64
	}
}

// Func is a scalar function of the model's parameters and of x whose
// gradient is being checked. Forward computes the value; Backward (called
// right after Forward) accumulates the parameter gradients and returns the
// gradient with respect to x, or nil when x gets none.
type Func struct {
	Forward  func(x *tensor.Mat) float64
	Backward func() *tensor.Mat
	Params   []*nn.Param
}

// CheckModule checks m's Backward on the scalar L = Σ y ⊙ r, with r a fixed
// random matrix, so that every output element contributes a different
// weight.
func CheckModule(t testing.TB, m nn.Module, x *tensor.Mat, opt Options) {
	t.Helper()
	Check(t, ModuleFunc(m, opt), x, opt)
}

// ModuleFunc returns the scalar L = Σ y ⊙ r of m's output y that
// [CheckModule] checks, for use with [Check] and [CheckCatches].
func ModuleFunc(m nn.Module, opt Options) Func {
	rng := rand.New(rand.NewPCG(7, 11))
	var r *tensor.Mat
	return Func{
		Forward: func(x *tensor.Mat) float64 {
			if opt.Reset != nil {
				opt.Reset()
			}
			y := m.Forward(x, opt.Train)
			if r == nil {
				r = tensor.New(y.Rows, y.Cols)
				for i := range r.Data {
					r.Data[i] = float32(rng.NormFloat64())
				}
			}
			var s float64
			for i := range y.Rows {
				for j, v := range y.Row(i) {
					s += float64(v) * float64(r.At(i, j))
				}
			}
			return s
		},
		Backward: func() *tensor.Mat { return m.Backward(r) },
		Params:   m.Params(),
	}
}

// CheckCatches shows that [Check] has teeth for f: for the gradient with
// respect to x (when f gives one) and for each trainable parameter in
// turn, it makes the analytic gradient 10% too large and fails t unless
// Check then reports an error. A check passes a gradient off by a factor
// 1+δ only where δ·|g| ≤ Tol·max(1, |g|), so this fails when the checked
// elements of a gradient are all too small for the tolerance to see such
// an error: the test should then use larger gradients or a smaller Tol.
func CheckCatches(t testing.TB, f Func, x *tensor.Mat, opt Options) {
	t.Helper()
	opt.defaults()
	const factor = 1.1
	targets := []int{-1} // the input, then the parameters by index
	for i, p := range f.Params {
		if p.Trainable() {
			targets = append(targets, i)
		}
	}
	for _, target := range targets {
		name := "the input"
		if target >= 0 {
			name = f.Params[target].Name
		}
		off := f
		gaveDx := false
		off.Backward = func() *tensor.Mat {
			dx := f.Backward()
			if target < 0 && dx != nil {
				gaveDx = true
				scaleMat(dx, factor)
			}
			if target >= 0 {
				scaleMat(f.Params[target].Grad, factor)
			}
			return dx
		}
		rec := &recorder{TB: t}
		Check(rec, off, x, opt)
		if target < 0 && !gaveDx {
			continue
		}
		if !rec.failed {
			t.Errorf("nntest: the gradient of %s made %v× too large passes the check (Eps %v, Tol %v)", name, factor, opt.Eps, opt.Tol)
		}
	}
}

func scaleMat(m *tensor.Mat, a float32) {
	for i := range m.Rows {
		r := m.Row(i)
		for j := range r {
			r[j] *= a
		}
	}
}

// recorder notes that a check failed instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }

// Check compares f's analytic gradients with central differences, for x
// (when Backward returns one) and every trainable parameter.
func Check(t testing.TB, f Func, x *tensor.Mat, opt Options) {
	t.Helper()
	opt.defaults()
	rng := rand.New(rand.NewPCG(3, 5))
	nn.ZeroGrad(f.Params)
	f.Forward(x)
	dx := f.Backward()
	if dx != nil {
		dx = dx.Clone()
	}
	grads := make([]*tensor.Mat, len(f.Params))
	for i, p := range f.Params {
		if p.Grad != nil {
			grads[i] = p.Grad.Clone()
		}
	}
	check := func(what string, data []float32, analytic func(k int) float64, indices []int) {
		t.Helper()
		for _, k := range indices {
			old := data[k]
			data[k] = old + float32(opt.Eps)
			up := f.Forward(x)
			data[k] = old - float32(opt.Eps)
			down := f.Forward(x)
			data[k] = old
			num := (up - down) / (2 * opt.Eps)
			an := analytic(k)
			scale := max(1, math.Abs(num), math.Abs(an))
			if math.Abs(num-an) > opt.Tol*scale || math.IsNaN(an) {
				t.Errorf("%s[%d]: analytic gradient %.6g, numeric %.6g", what, k, an, num)
			}
		}
	}
	if dx != nil {
		if !x.Contiguous() {
			t.Fatal("nntest: x must be contiguous")
		}
		check("dx", x.Data, func(k int) float64 { return float64(dx.Data[k]) }, pick(rng, len(x.Data), opt.MaxChecks))
	}
	for i, p := range f.Params {
		if grads[i] == nil {
			continue
		}
		g := grads[i]
		check(p.Name, p.Value.Data, func(k int) float64 { return float64(g.Data[k]) }, pick(rng, len(p.Value.Data), opt.MaxChecks))
	}
}

// pick returns up to k distinct indices below n.
func pick(rng *rand.Rand, n, k int) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rng.Perm(n)[:k]
}

// Rand returns an r×c matrix of N(0,1) values.
func Rand(rng *rand.Rand, r, c int) *tensor.Mat {
	m := tensor.New(r, c)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}
