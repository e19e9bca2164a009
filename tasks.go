package gotabular

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
	"github.com/gotabular/gotabular/train"
)

// evalBatch is the number of rows per forward pass in evaluation and
// prediction: large enough to keep the matrix products efficient.
const evalBatch = 1024

// supervisedTask adapts a network with a classification or regression
// loss to the training loop.
type supervisedTask struct {
	net     models.Network
	target  *data.Target
	classes int // output width: number of classes, or 1 for regression
	grad    *tensor.Mat
}

func newSupervisedTask(net models.Network, target *data.Target) *supervisedTask {
	k := 1
	if target.Task == config.Classification {
		k = len(target.Classes)
	}
	return &supervisedTask{net: net, target: target, classes: k}
}

func (s *supervisedTask) Params() []*nn.Param    { return s.net.Params() }
func (s *supervisedTask) Trainable() []*nn.Param { return s.net.Trainable() }

func (s *supervisedTask) Step(b *data.Batch, _ *rand.Rand) float64 {
	out := s.net.Forward(b.Cont, b.Cat, true)
	s.grad = tensor.Ensure(s.grad, out.Rows, out.Cols)
	var loss float64
	if s.target.Task == config.Classification {
		loss = nn.CrossEntropy(out, b.Labels, s.grad)
	} else {
		loss = nn.MSE(out, b.Targets, s.grad)
	}
	s.net.Backward(s.grad)
	return loss
}

// outputs runs the network over d in evaluation mode and returns the
// class probabilities (N×classes) or the regression outputs (N×1, in
// training units).
func (s *supervisedTask) outputs(d *data.Dataset) *tensor.Mat {
	out := tensor.New(d.N, s.classes)
	forEachBatch(d, func(lo int, b *data.Batch) {
		y := s.net.Forward(b.Cont, b.Cat, false)
		dst := out.RowView(lo, lo+b.N)
		if s.target.Task == config.Classification {
			nn.Softmax(y, dst)
		} else {
			dst.CopyFrom(y)
		}
	})
	return out
}

// forEachBatch calls f on consecutive batches of d, in row order.
func forEachBatch(d *data.Dataset, f func(lo int, b *data.Batch)) {
	var b data.Batch
	rows := make([]int, 0, evalBatch)
	for lo := 0; lo < d.N; lo += evalBatch {
		rows = rows[:0]
		for i := lo; i < min(lo+evalBatch, d.N); i++ {
			rows = append(rows, i)
		}
		d.Gather(rows, &b)
		f(lo, &b)
	}
}

func (s *supervisedTask) Evaluate(d *data.Dataset) (map[string]float64, error) {
	figs, err := s.figures(d, s.outputs(d))
	return finite(figs), err
}

// finite drops figures that are NaN or infinite (an undefined metric on a
// tiny validation set, say), so that reports and saved histories hold
// numbers only.
func finite(figs map[string]float64) map[string]float64 {
	for k, v := range figs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(figs, k)
		}
	}
	return figs
}

// Figures implements [train.Model]: the loss, then the task's metrics,
// with the directions the metrics registry gives them.
func (s *supervisedTask) Figures() []train.Figure {
	figs := []train.Figure{{Name: metrics.Loss}}
	for _, name := range metrics.Names(s.target.Task) {
		up, _ := metrics.HigherIsBetter(name) // the registry knows every name it lists
		figs = append(figs, train.Figure{Name: name, HigherIsBetter: up})
	}
	return figs
}

// figures computes the loss and the metrics from the outputs on d.
func (s *supervisedTask) figures(d *data.Dataset, out *tensor.Mat) (map[string]float64, error) {
	if d.N == 0 {
		return nil, fmt.Errorf("no rows to evaluate")
	}
	if s.target.Task == config.Regression {
		if d.Targets == nil {
			return nil, fmt.Errorf("the data has no target values")
		}
		y := make([]float64, d.N)
		yhat := make([]float64, d.N)
		for i := range d.N {
			y[i] = s.target.Unscale(d.Targets.At(i, 0))
			yhat[i] = s.target.Unscale(out.At(i, 0))
		}
		figs := metrics.Regression(y, yhat)
		figs[metrics.Loss] = nn.MSE(out, d.Targets, nil)
		return figs, nil
	}
	if d.Labels == nil {
		return nil, fmt.Errorf("the data has no labels")
	}
	probs := make([]float64, d.N*s.classes)
	for i := range d.N {
		for j, p := range out.Row(i) {
			probs[i*s.classes+j] = float64(p)
		}
	}
	figs := metrics.Classification(d.Labels, probs, s.classes)
	figs[metrics.Loss] = metrics.LogLoss(d.Labels, probs, s.classes)
	return figs, nil
}

// sslTask adapts a self-supervised model to the training loop.
type sslTask struct {
	m ssl.Model
	// sample holds rows on which Figures can run the model; nil for a
	// task that only evaluates.
	sample *data.Dataset
}

func (s *sslTask) Params() []*nn.Param    { return s.m.Params() }
func (s *sslTask) Trainable() []*nn.Param { return nn.Trainable(s.m.Params()) }

func (s *sslTask) Step(b *data.Batch, rng *rand.Rand) float64 {
	s.m.Forward(b.Cont, b.Cat, true, rng)
	loss := s.m.Loss(true)
	s.m.Backward()
	return loss
}

// evalNoiseSeed fixes the corruption of evaluation passes, so that the
// validation loss of different epochs is measured on the same noisy rows.
const evalNoiseSeed = 0xe7a1

func (s *sslTask) Evaluate(d *data.Dataset) (map[string]float64, error) {
	if d.N == 0 {
		return nil, fmt.Errorf("no rows to evaluate")
	}
	noise := rand.New(rand.NewPCG(evalNoiseSeed, 1))
	figs := map[string]float64{}
	var total float64
	forEachBatch(d, func(_ int, b *data.Batch) {
		s.m.Forward(b.Cont, b.Cat, false, noise)
		w := float64(b.N) / float64(d.N)
		total += w * s.m.Loss(false)
		for _, v := range s.m.LossParts() {
			figs[v.Name] += w * v.Value
		}
		for _, v := range s.m.Metrics() {
			figs[v.Name] += w * v.Value
		}
	})
	figs[metrics.Loss] = total
	return finite(figs), nil
}

// Figures implements [train.Model]. What a self-supervised model reports
// depends on the data (a continuous_loss only with continuous columns, say)
// and is known from the values it returns, which also say which way each
// improves; so an evaluation pass over two rows of the sample lists them.
// It changes nothing in the model: evaluation mode updates no statistics.
func (s *sslTask) Figures() []train.Figure {
	figs := []train.Figure{{Name: metrics.Loss}}
	if s.sample == nil || s.sample.N == 0 {
		return figs
	}
	var b data.Batch
	s.sample.Gather([]int{0, min(1, s.sample.N-1)}, &b)
	s.m.Forward(b.Cont, b.Cat, false, rand.New(rand.NewPCG(evalNoiseSeed, 1)))
	s.m.Loss(false)
	for _, v := range slices.Concat(s.m.LossParts(), s.m.Metrics()) {
		figs = append(figs, train.Figure{Name: v.Name, HigherIsBetter: v.HigherIsBetter})
	}
	return figs
}
