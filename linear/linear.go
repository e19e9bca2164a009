// Package linear fits L2-regularised linear models in float64: logistic
// regression for two classes and ridge regression for a quantity.
//
// They are the floor that a deep model trained on few labels must clear,
// and a sanity check of the data: fitted exactly (Newton's method for the
// logistic loss, a linear solve for ridge), they have no learning rate, no
// epochs and no seed, so their score depends on the rows alone.
//
// The penalty follows scikit-learn's conventions, so that figures can be
// compared with its LogisticRegression(C) and Ridge(alpha): the logistic
// loss is summed over the rows plus ‖w‖²/(2C), the squared error is summed
// plus α‖w‖², and the intercept is not penalised.
package linear

import (
	"errors"
	"fmt"
	"math"
)

// Model is w·x + b: the logit of the positive class for a logistic model,
// the prediction for a ridge model.
type Model struct {
	W []float64 `json:"w"`
	B float64   `json:"b"`
}

// Design is a dense row-major matrix of N rows of D features.
type Design struct {
	N, D int
	X    []float64
}

// Row returns row i.
func (x *Design) Row(i int) []float64 { return x.X[i*x.D : (i+1)*x.D] }

func (x *Design) check() error {
	if x.N < 1 || x.D < 0 || len(x.X) != x.N*x.D {
		return fmt.Errorf("linear: design of %d×%d with %d values", x.N, x.D, len(x.X))
	}
	for i, v := range x.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("linear: row %d, feature %d is %v", i/max(x.D, 1), i%max(x.D, 1), v)
		}
	}
	return nil
}

// Predict returns w·x + b for row x.
func (m *Model) Predict(x []float64) float64 {
	s := m.B
	for j, w := range m.W {
		s += w * x[j]
	}
	return s
}

// Probability returns the positive-class probability of a logistic model
// for row x.
func (m *Model) Probability(x []float64) float64 { return sigmoid(m.Predict(x)) }

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// ErrOneClass is returned by FitLogistic when every row has the same label.
var ErrOneClass = errors.New("linear: the labels hold one class only")

// FitLogistic fits a logistic regression of the labels y (true is the
// positive class) on x, minimising Σ log-loss + ‖w‖²/(2c).
//
// Newton's method converges in a handful of steps on problems of this size
// (hundreds of rows, up to a few hundred features), where a first-order
// method would need a tolerance and a step size chosen for the data.
func FitLogistic(x *Design, y []bool, c float64) (*Model, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	if len(y) != x.N {
		return nil, fmt.Errorf("linear: %d labels for %d rows", len(y), x.N)
	}
	if !(c > 0) || math.IsInf(c, 0) {
		return nil, fmt.Errorf("linear: C = %v: want a positive, finite inverse penalty", c)
	}
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos == 0 || pos == x.N {
		return nil, ErrOneClass
	}
	d := x.D
	lambda := 1 / c
	// θ = (w, b); the intercept is the last coordinate and unpenalised.
	theta := make([]float64, d+1)
	theta[d] = math.Log(float64(pos) / float64(x.N-pos))
	grad := make([]float64, d+1)
	hess := make([]float64, (d+1)*(d+1))
	step := make([]float64, d+1)
	trial := make([]float64, d+1)
	loss := logisticLoss(x, y, theta, lambda)
	for iter := 0; iter < 100; iter++ {
		clear(grad)
		clear(hess)
		for i := range x.N {
			r := x.Row(i)
			p := sigmoid(dot(r, theta[:d]) + theta[d])
			t := 0.0
			if y[i] {
				t = 1
			}
			g, h := p-t, p*(1-p)
			for j, v := range r {
				grad[j] += g * v
				row := hess[j*(d+1):]
				for k := j; k < d; k++ {
					row[k] += h * v * r[k]
				}
				row[d] += h * v
			}
			grad[d] += g
			hess[d*(d+1)+d] += h
		}
		for j := range d {
			grad[j] += lambda * theta[j]
			hess[j*(d+1)+j] += lambda
		}
		// A tiny ridge on the intercept keeps the system definite when the
		// classes are separable.
		hess[d*(d+1)+d] += 1e-10
		mirror(hess, d+1)
		copy(step, grad)
		if err := solveSPD(hess, step, d+1); err != nil {
			return nil, err
		}
		// Backtracking keeps each step a descent even far from the
		// optimum, where a full Newton step can overshoot.
		t := 1.0
		var next float64
		for range 30 {
			for j := range theta {
				trial[j] = theta[j] - t*step[j]
			}
			next = logisticLoss(x, y, trial, lambda)
			if next <= loss {
				break
			}
			t /= 2
		}
		copy(theta, trial)
		done := loss-next <= 1e-12*max(1, math.Abs(loss))
		loss = next
		if done || t*maxAbs(step) < 1e-10 {
			break
		}
	}
	return &Model{W: theta[:d], B: theta[d]}, nil
}

func logisticLoss(x *Design, y []bool, theta []float64, lambda float64) float64 {
	d := x.D
	var s float64
	for i := range x.N {
		z := dot(x.Row(i), theta[:d]) + theta[d]
		if !y[i] {
			z = -z
		}
		// log(1+e^{-z}), stable for both signs of z.
		if z > 0 {
			s += math.Log1p(math.Exp(-z))
		} else {
			s += -z + math.Log1p(math.Exp(z))
		}
	}
	return s + lambda/2*dot(theta[:d], theta[:d])
}

// FitRidge fits y ≈ w·x + b, minimising Σ (y − w·x − b)² + α‖w‖².
func FitRidge(x *Design, y []float64, alpha float64) (*Model, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	if len(y) != x.N {
		return nil, fmt.Errorf("linear: %d targets for %d rows", len(y), x.N)
	}
	if !(alpha > 0) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("linear: alpha = %v: want a positive, finite penalty", alpha)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("linear: target %d is %v", i, v)
		}
	}
	d := x.D
	// Centring removes the intercept from the system, so that it stays
	// unpenalised.
	mx := make([]float64, d)
	var my float64
	for i := range x.N {
		for j, v := range x.Row(i) {
			mx[j] += v
		}
		my += y[i]
	}
	for j := range mx {
		mx[j] /= float64(x.N)
	}
	my /= float64(x.N)
	a := make([]float64, d*d)
	w := make([]float64, d)
	for i := range x.N {
		r := x.Row(i)
		yc := y[i] - my
		for j := range d {
			vj := r[j] - mx[j]
			w[j] += vj * yc
			row := a[j*d:]
			for k := j; k < d; k++ {
				row[k] += vj * (r[k] - mx[k])
			}
		}
	}
	for j := range d {
		a[j*d+j] += alpha
	}
	mirror(a, d)
	if err := solveSPD(a, w, d); err != nil {
		return nil, err
	}
	return &Model{W: w, B: my - dot(mx, w)}, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func maxAbs(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = max(m, math.Abs(v))
	}
	return m
}

// mirror copies the upper triangle of the n×n matrix a into the lower.
func mirror(a []float64, n int) {
	for j := range n {
		for k := j + 1; k < n; k++ {
			a[k*n+j] = a[j*n+k]
		}
	}
}

// solveSPD overwrites b with the solution of a·x = b for a symmetric
// positive definite n×n matrix a, by Cholesky factorisation in place.
func solveSPD(a, b []float64, n int) error {
	for j := range n {
		s := a[j*n+j]
		for k := range j {
			s -= a[j*n+k] * a[j*n+k]
		}
		if !(s > 0) {
			return fmt.Errorf("linear: the system is not positive definite at feature %d; is a feature infinite?", j)
		}
		ljj := math.Sqrt(s)
		a[j*n+j] = ljj
		for i := j + 1; i < n; i++ {
			s := a[i*n+j]
			for k := range j {
				s -= a[i*n+k] * a[j*n+k]
			}
			a[i*n+j] = s / ljj
		}
	}
	for i := range n {
		s := b[i]
		for k := range i {
			s -= a[i*n+k] * b[k]
		}
		b[i] = s / a[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for k := i + 1; k < n; k++ {
			s -= a[k*n+i] * b[k]
		}
		b[i] = s / a[i*n+i]
	}
	return nil
}
