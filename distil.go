package gotabular

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
	"github.com/gotabular/gotabular/train"
)

// DistilOptions are the settings of [TabularModel.Distil]. Zero fields
// take the defaults.
type DistilOptions struct {
	// Trainer drives the student's training: batch size, epochs, early
	// stopping (on the held-out rows' distillation loss) and seed. Nil
	// takes DefaultDistilTrainer.
	Trainer *config.TrainerConfig
	// LearningRate of the student (default DefaultDistilLearningRate).
	LearningRate float64
	// ValidationShare is the share of the rows held out to stop on
	// (default 0.1, at most DistilValidationRows rows).
	ValidationShare float64
}

// The defaults of DistilOptions. The student starts from a trained member,
// so it needs a gentler rate than fine-tuning.
const (
	DefaultDistilLearningRate    = 1e-3
	DefaultDistilValidationShare = 0.1
	DistilValidationRows         = 10_000
)

// DefaultDistilTrainer is the student's trainer config when
// DistilOptions.Trainer is nil: early stopping on the held-out rows' loss
// with the default patience, and a smaller least improvement than
// fine-tuning's, since the loss to a teacher moves by less once the
// student starts from one of its members.
func DefaultDistilTrainer() config.TrainerConfig {
	return config.TrainerConfig{BatchSize: 256, MaxEpochs: 30, EarlyStoppingMinDelta: new(1e-4)}
}

// Distillation records how a model was distilled from an ensemble, in
// model.json and for the caller.
type Distillation struct {
	// TeacherMembers is the number of networks of the teacher.
	TeacherMembers int `json:"teacher_members"`
	// Rows and ValidationRows are the rows the student learned from and
	// those it stopped on.
	Rows           int `json:"rows"`
	ValidationRows int `json:"validation_rows"`
	// Agreement is the share of the held-out rows on which the student
	// predicts the teacher's most probable class (classification).
	Agreement float64 `json:"agreement,omitempty"`
	// TeacherRMSE is the root mean squared difference between the
	// student's and the teacher's predictions on the held-out rows, in
	// the target's units (regression).
	TeacherRMSE float64 `json:"teacher_rmse,omitempty"`
	// TeacherCrossValidation is the teacher's cross-validated figures on
	// its labelled rows: the student has none of its own, since it never
	// saw a label, and it predicts as its teacher does to within
	// Agreement or TeacherRMSE.
	TeacherCrossValidation map[string]float64 `json:"teacher_cross_validation,omitempty"`
}

// Distil returns one network trained to predict what m predicts, for
// serving: an ensemble of n networks costs n times the computation and
// memory per row, while its student costs one network's and keeps most of
// the ensemble's advantage. The student starts from m's first member and
// learns m's class probabilities (or regression outputs) on the rows of
// rows, which need no labels: the unlabelled rows of pretraining are the
// natural choice, as they cover the inputs the model will see. A share of
// them is held out to stop training when the student stops getting closer
// to its teacher.
//
// m must be supervised or fine-tuned; m is not changed. The student is a
// model of the same kind, with m's configs and preprocessing, whose
// History is that of the distillation (loss: the soft cross-entropy or
// squared error to the teacher's outputs) and whose Distillation says how
// close it came. When ctx ends the run after an epoch, Distil returns the
// student with its best epoch's weights and an error wrapping
// ErrInterrupted.
func (m *TabularModel) Distil(ctx context.Context, rows *data.Table, o DistilOptions) (*TabularModel, error) {
	if m.kind != Supervised && m.kind != Finetuned {
		return nil, fmt.Errorf("distil: the model is %s; only a supervised or fine-tuned model has predictions to learn: %w", m.kind, ErrKind)
	}
	share := o.ValidationShare
	if share == 0 {
		share = DefaultDistilValidationShare
	}
	if !(share > 0 && share < 1) {
		return nil, fmt.Errorf("distil: ValidationShare %v: want a share in (0, 1)", o.ValidationShare)
	}
	lr := o.LearningRate
	if lr == 0 {
		lr = DefaultDistilLearningRate
	}
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, fmt.Errorf("distil: LearningRate %v: want a finite rate > 0", o.LearningRate)
	}
	tc := DefaultDistilTrainer()
	if o.Trainer != nil {
		tc = *o.Trainer
	}
	if err := tc.Validate(); err != nil {
		return nil, fmt.Errorf("distil: %w", err)
	}
	d, err := m.encode(rows)
	if err != nil {
		return nil, fmt.Errorf("distil: %w", err)
	}
	if d.N < 2 {
		return nil, fmt.Errorf("distil: %d row(s); the student needs rows to learn from and rows to stop on", d.N)
	}
	teacher := newSupervisedTask(m.net, m.target).outputs(d)
	if err := checkOutputs(rows, teacher, "prediction"); err != nil {
		return nil, fmt.Errorf("distil: %w", err)
	}
	d.Labels, d.Targets = nil, teacher

	rng := rand.New(rand.NewPCG(tc.Seed, 0xd157))
	ti, vi := data.Split(d.N, share, rng)
	if len(vi) > DistilValidationRows {
		ti, vi = append(ti, vi[DistilValidationRows:]...), vi[:DistilValidationRows]
	}
	if len(vi) == 0 || len(ti) == 0 {
		return nil, fmt.Errorf("distil: %d rows leave none to learn from or none to stop on at a validation share of %v", d.N, share)
	}
	tr, va := d.Subset(ti), d.Subset(vi)

	s, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("distil: %w", err)
	}
	teachers := len(m.members())
	s.net = s.members()[0]
	s.History, s.MemberHistories, s.CrossValidation, s.Validation = nil, nil, nil, nil
	// The student's record says how it was trained: by distillation, as
	// one network, not by the teacher's cross-fitting.
	s.TrainerConfig = tc.WithDefaults()
	task := &distilTask{net: s.net, classify: m.target.Task == config.Classification}
	opt, err := s.optimizer(s.net.Trainable(), lr)
	if err != nil {
		return nil, fmt.Errorf("distil: %w", err)
	}
	cfg, err := s.trainConfig(tc, "distil")
	if err != nil {
		return nil, fmt.Errorf("distil: %w", err)
	}
	h, err := train.Run(ctx, task, opt, tr, va, cfg)
	s.History = h
	if err != nil {
		if ctx.Err() == nil || h == nil || len(h.Epochs) == 0 {
			return nil, fmt.Errorf("distil: %w", err)
		}
		// As Fit does: a run stopped after an epoch keeps its best one.
		err = fmt.Errorf("%w after %d epoch(s) of distillation; the student keeps the weights of its best epoch, %d: %w", ErrInterrupted, len(h.Epochs), h.BestEpoch, err)
	}
	s.Distillation = &Distillation{TeacherMembers: teachers, Rows: tr.N, ValidationRows: va.N,
		TeacherCrossValidation: m.CrossValidation}
	out := task.outputs(va)
	if task.classify {
		s.Distillation.Agreement = agreement(out, va.Targets)
	} else {
		var sum float64
		for i := range va.N {
			diff := m.target.Unscale(out.At(i, 0)) - m.target.Unscale(va.Targets.At(i, 0))
			sum += diff * diff
		}
		s.Distillation.TeacherRMSE = math.Sqrt(sum / float64(va.N))
	}
	return s, err
}

// agreement is the share of rows whose most probable class is the same in
// a and b.
func agreement(a, b *tensor.Mat) float64 {
	same := 0
	for i := range a.Rows {
		if argmax(a.Row(i)) == argmax(b.Row(i)) {
			same++
		}
	}
	return float64(same) / float64(max(a.Rows, 1))
}

// distilTask trains a network on a teacher's outputs, held in the
// dataset's Targets: class probabilities under a soft cross-entropy, or
// regression outputs (in training units) under squared error.
type distilTask struct {
	net      models.Network
	classify bool
	grad     *tensor.Mat
}

func (s *distilTask) Params() []*nn.Param    { return s.net.Params() }
func (s *distilTask) Trainable() []*nn.Param { return s.net.Trainable() }

func (s *distilTask) Step(b *data.Batch, _ *rand.Rand) float64 {
	out := s.net.Forward(b.Cont, b.Cat, true)
	s.grad = tensor.Ensure(s.grad, out.Rows, out.Cols)
	loss := s.loss(out, b.Targets, s.grad)
	s.net.Backward(s.grad)
	return loss
}

func (s *distilTask) loss(out, target, grad *tensor.Mat) float64 {
	if s.classify {
		return nn.SoftCrossEntropy(out, target, grad)
	}
	return nn.MSE(out, target, grad)
}

// outputs returns the student's probabilities or regression outputs.
func (s *distilTask) outputs(d *data.Dataset) *tensor.Mat {
	var out *tensor.Mat
	forEachBatch(d, func(lo int, b *data.Batch) {
		y := s.net.Forward(b.Cont, b.Cat, false)
		if out == nil {
			out = tensor.New(d.N, y.Cols)
		}
		dst := out.RowView(lo, lo+b.N)
		if s.classify {
			nn.Softmax(y, dst)
		} else {
			dst.CopyFrom(y)
		}
	})
	return out
}

// Evaluate implements [train.Model]: the loss to the teacher's outputs
// and, for a classifier, the share of rows given the teacher's class.
func (s *distilTask) Evaluate(d *data.Dataset) (map[string]float64, error) {
	if d.N == 0 {
		return nil, fmt.Errorf("no rows to evaluate")
	}
	var loss float64
	var same int
	forEachBatch(d, func(lo int, b *data.Batch) {
		y := s.net.Forward(b.Cont, b.Cat, false)
		loss += s.loss(y, b.Targets, nil) * float64(b.N)
		if s.classify {
			for i := range b.N {
				if argmax(y.Row(i)) == argmax(b.Targets.Row(i)) {
					same++
				}
			}
		}
	})
	figs := map[string]float64{metrics.Loss: loss / float64(d.N)}
	if s.classify {
		figs[distilAgreement] = float64(same) / float64(d.N)
	}
	return finite(figs), nil
}

// distilAgreement names the share of rows on which student and teacher
// agree, in a distillation's history.
const distilAgreement = "agreement"

// Figures implements [train.Model].
func (s *distilTask) Figures() []train.Figure {
	figs := []train.Figure{{Name: metrics.Loss}}
	if s.classify {
		figs = append(figs, train.Figure{Name: distilAgreement, HigherIsBetter: true})
	}
	return figs
}
