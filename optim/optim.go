// Package optim updates parameters from their gradients: Adam, AdamW and
// SGD with per-group learning rates, learning-rate schedules that register
// themselves by name, and global-norm gradient clipping.
//
// Adam's second moments decay towards zero for parameters whose gradients
// vanish (dead units), and x86 computes on subnormal floats many times more
// slowly; Go cannot set the flush-to-zero mode, so the updates flush them
// explicitly.
package optim

import (
	"fmt"
	"math"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// Optimizer updates the parameters it was made for.
type Optimizer interface {
	// Step applies one update from the current gradients.
	Step()
	// SetLearningRate changes the step size for the following steps; each
	// group's rate is this times its [Group.LRScale].
	SetLearningRate(lr float64)
	// LearningRate returns the rate last set.
	LearningRate() float64
}

// Group is a set of parameters with a learning rate of its own: the
// optimiser's rate times LRScale. Fine-tuning gives a pretrained backbone
// a smaller scale than the new head, so that the features it learned are
// adjusted rather than overwritten.
type Group struct {
	Params []*nn.Param
	// LRScale multiplies the learning rate; 1 is the optimiser's rate, and
	// 0 leaves the group's values (and the optimiser's state for them)
	// unchanged.
	LRScale float64
}

// members lists the trainable parameters of groups with each one's scale,
// and refuses a scale that is negative or not finite and a parameter in
// two groups, which would be updated twice per step.
func members(groups []Group) (params []*nn.Param, scales []float64, err error) {
	seen := map[*nn.Param]bool{}
	for i, g := range groups {
		if !(g.LRScale >= 0) || math.IsInf(g.LRScale, 0) {
			return nil, nil, fmt.Errorf("optimizer: group %d: learning-rate scale %v: want a finite value ≥ 0", i, g.LRScale)
		}
		for _, p := range nn.Trainable(g.Params) {
			if seen[p] {
				return nil, nil, fmt.Errorf("optimizer: parameter %q is in two groups", p.Name)
			}
			seen[p] = true
			params = append(params, p)
			scales = append(scales, g.LRScale)
		}
	}
	return params, scales, nil
}

// one is the group of params at the optimiser's own rate.
func one(params []*nn.Param) []Group { return []Group{{Params: params, LRScale: 1}} }

// flush returns 0 for subnormal v. It tests the bits of |v| in one
// comparison: two comparisons of a value of random sign are mispredicted
// half the time.
func flush(v float32) float32 {
	if math.Float32bits(v)&0x7fffffff < 0x00800000 {
		return 0
	}
	return v
}

// Adam is Kingma & Ba's optimiser. With Decoupled set it is AdamW:
// the weight decay shrinks the weights directly instead of being added to
// the gradient.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	WeightDecay           float64
	Decoupled             bool

	params []*nn.Param
	scales []float64 // per parameter: its group's LRScale
	m, v   [][]float32
	t      int
}

// NewAdam returns Adam over the trainable params with PyTorch's defaults
// (β = 0.9, 0.999; ε = 1e-8).
func NewAdam(params []*nn.Param, lr float64) *Adam {
	a, _ := NewAdamGroups(one(params), lr) // one group at scale 1 cannot fail
	return a
}

// NewAdamGroups is [NewAdam] with a learning-rate scale per group.
func NewAdamGroups(groups []Group, lr float64) (*Adam, error) {
	params, scales, err := members(groups)
	if err != nil {
		return nil, err
	}
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, params: params, scales: scales}
	for _, p := range params {
		a.m = append(a.m, make([]float32, len(p.Value.Data)))
		a.v = append(a.v, make([]float32, len(p.Value.Data)))
	}
	return a, nil
}

// SetLearningRate implements [Optimizer].
func (a *Adam) SetLearningRate(lr float64) { a.LR = lr }

// LearningRate implements [Optimizer].
func (a *Adam) LearningRate() float64 { return a.LR }

// Step implements [Optimizer] in one pass over each parameter. AdamW's
// decay uses each group's own rate, as PyTorch's does.
func (a *Adam) Step() {
	a.t++
	c1 := 1 - math.Pow(a.Beta1, float64(a.t))
	c2 := 1 - math.Pow(a.Beta2, float64(a.t))
	// The update is lr/c1 · m / (√v/√c2 + ε) = Step · m / (√v + ε√c2).
	p := tensor.AdamParams{
		Beta1: float32(a.Beta1), Beta2: float32(a.Beta2),
		Eps: float32(a.Eps * math.Sqrt(c2)), Decay: 1,
	}
	if !a.Decoupled {
		p.L2 = float32(a.WeightDecay)
	}
	for i, q := range a.params {
		if a.scales[i] == 0 {
			continue
		}
		lr := a.LR * a.scales[i]
		p.Step = float32(lr * math.Sqrt(c2) / c1)
		if a.Decoupled {
			p.Decay = float32(1 - lr*a.WeightDecay)
		}
		tensor.AdamUpdate(q.Value.Data, q.Grad.Data, a.m[i], a.v[i], p)
	}
}

// SGD is stochastic gradient descent with optional momentum and L2 decay.
type SGD struct {
	LR, Momentum, WeightDecay float64

	params []*nn.Param
	scales []float64 // per parameter: its group's LRScale
	buf    [][]float32
}

// NewSGD returns SGD over the trainable params.
func NewSGD(params []*nn.Param, lr, momentum float64) *SGD {
	s, _ := NewSGDGroups(one(params), lr, momentum) // one group at scale 1 cannot fail
	return s
}

// NewSGDGroups is [NewSGD] with a learning-rate scale per group.
func NewSGDGroups(groups []Group, lr, momentum float64) (*SGD, error) {
	params, scales, err := members(groups)
	if err != nil {
		return nil, err
	}
	s := &SGD{LR: lr, Momentum: momentum, params: params, scales: scales}
	for _, p := range params {
		s.buf = append(s.buf, make([]float32, len(p.Value.Data)))
	}
	return s, nil
}

// SetLearningRate implements [Optimizer].
func (s *SGD) SetLearningRate(lr float64) { s.LR = lr }

// LearningRate implements [Optimizer].
func (s *SGD) LearningRate() float64 { return s.LR }

// Step implements [Optimizer].
func (s *SGD) Step() {
	mu, wd := float32(s.Momentum), float32(s.WeightDecay)
	for i, p := range s.params {
		if s.scales[i] == 0 {
			continue
		}
		lr := float32(s.LR * s.scales[i])
		w, g, b := p.Value.Data, p.Grad.Data, s.buf[i]
		for j := range w {
			gj := g[j] + wd*w[j]
			if mu != 0 {
				b[j] = flush(mu*b[j] + gj)
				gj = b[j]
			}
			w[j] = flush(w[j] - lr*gj)
		}
	}
}

// ClipGradNorm rescales the gradients of params so that their global L2
// norm is at most maxNorm, and returns the norm before clipping.
func ClipGradNorm(params []*nn.Param, maxNorm float64) float64 {
	var ss float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			ss += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(ss)
	if norm > maxNorm && norm > 0 {
		s := float32(maxNorm / norm)
		for _, p := range params {
			if p.Grad == nil {
				continue
			}
			for j := range p.Grad.Data {
				p.Grad.Data[j] *= s
			}
		}
	}
	return norm
}

// New returns the optimiser called name ("adam", "adamw" or "sgd").
func New(name string, params []*nn.Param, lr, weightDecay, momentum float64) (Optimizer, error) {
	return NewGroups(name, one(params), lr, weightDecay, momentum)
}

// NewGroups is [New] with a learning-rate scale per group of parameters.
func NewGroups(name string, groups []Group, lr, weightDecay, momentum float64) (Optimizer, error) {
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("optimizer: learning rate %v: must be positive", lr)
	}
	switch name {
	case "adam", "adamw":
		a, err := NewAdamGroups(groups, lr)
		if err != nil {
			return nil, err
		}
		a.WeightDecay = weightDecay
		a.Decoupled = name == "adamw"
		return a, nil
	case "sgd":
		s, err := NewSGDGroups(groups, lr, momentum)
		if err != nil {
			return nil, err
		}
		s.WeightDecay = weightDecay
		return s, nil
	}
	return nil, fmt.Errorf("optimizer %q: want adam, adamw or sgd", name)
}
