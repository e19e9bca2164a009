package gotabular

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
	"github.com/gotabular/gotabular/train"
)

// TargetAware configures target-aware pretraining: beside the
// self-supervised loss on every row, a supervised loss on the labelled
// rows, through a head on the encoder that pretraining then discards.
// Objectives that know the target are the best pretraining objectives of
// Rubachev et al. (2022); with few labels, the supervised loss steers the
// features towards what the target needs while the self-supervised loss
// on all rows keeps them from fitting the few labels alone.
type TargetAware struct {
	// Labelled holds the labelled rows (they may be among the unlabelled
	// rows too) and Target names their target column.
	Labelled *data.Table
	Target   string
	// Task is "classification" or "regression".
	Task string
	// Weight of the supervised loss against the self-supervised one
	// (default 1).
	Weight float64
	// BatchSize is the number of labelled rows drawn for each step, with
	// replacement (default 64).
	BatchSize int
}

// PretrainTargetAware is [TabularModel.Pretrain] with the supervised
// objective ta beside the self-supervised one. The model it makes is a
// pretrained model like any other: fine-tune it on the labelled rows.
func (m *TabularModel) PretrainTargetAware(ctx context.Context, unlabelled, validation *data.Table, ta TargetAware) error {
	if ta.Labelled == nil || ta.Labelled.Rows == 0 {
		return errors.New("PretrainTargetAware: TargetAware.Labelled holds no rows")
	}
	if err := config.ValidateTask(ta.Task); err != nil {
		return fmt.Errorf("PretrainTargetAware: %w", err)
	}
	if ta.Weight == 0 {
		ta.Weight = 1
	}
	if ta.BatchSize == 0 {
		ta.BatchSize = 64
	}
	if !(ta.Weight > 0) || math.IsInf(ta.Weight, 0) || ta.BatchSize < 1 {
		return fmt.Errorf("PretrainTargetAware: weight %v and batch size %d: want a positive weight and batch size", ta.Weight, ta.BatchSize)
	}
	if _, err := unlabelled.Col(ta.Target); err == nil {
		unlabelled = unlabelled.Without(ta.Target)
	}
	if validation != nil {
		validation = validation.Without(ta.Target)
	}
	return m.pretrain(ctx, "PretrainTargetAware", unlabelled, validation, &ta)
}

// targetAwareTask trains a self-supervised model and, on the same
// embedding layer and encoder, a supervised head.
type targetAwareTask struct {
	sslTask
	net      *ssl.Finetune // shares the model's embedding layer and encoder
	target   *data.Target
	labelled *data.Dataset
	weight   float64
	rows     []int
	batch    data.Batch
	grad     *tensor.Mat
	params   []*nn.Param
}

func newTargetAwareTask(p *pretraining, ta *TargetAware, seed uint64) (*targetAwareTask, error) {
	if p.prep.Has(ta.Target) {
		return nil, fmt.Errorf("target-aware pretraining: the target %q is a feature", ta.Target)
	}
	target, err := data.FitTarget(ta.Labelled, ta.Target, ta.Task, config.DefaultScaleTarget)
	if err != nil {
		return nil, err
	}
	labelled, err := encodeLabelled(p.prep, target, ta.Labelled)
	if err != nil {
		return nil, err
	}
	net, err := ssl.NewFinetune(p.model.EmbeddingLayer(), p.model.Featurizer(), ssl.FinetuneSpec{Outputs: outputs(target), Seed: seed})
	if err != nil {
		return nil, err
	}
	t := &targetAwareTask{sslTask: sslTask{m: p.model, sample: labelled}, net: net, target: target, labelled: labelled,
		weight: ta.Weight, rows: make([]int, min(ta.BatchSize, labelled.N))}
	t.params = append(p.model.Params(), net.Head.Params()...)
	return t, nil
}

func (t *targetAwareTask) Params() []*nn.Param    { return t.params }
func (t *targetAwareTask) Trainable() []*nn.Param { return nn.Trainable(t.params) }

// Step runs the self-supervised step on the batch, then a supervised step
// on labelled rows drawn at random; both add to the shared gradients.
func (t *targetAwareTask) Step(b *data.Batch, rng *rand.Rand) float64 {
	loss := t.sslTask.Step(b, rng)
	for i := range t.rows {
		t.rows[i] = rng.IntN(t.labelled.N)
	}
	t.labelled.Gather(t.rows, &t.batch)
	out := t.net.Forward(t.batch.Cont, t.batch.Cat, true)
	t.grad = tensor.Ensure(t.grad, out.Rows, out.Cols)
	var sup float64
	if t.target.Task == config.Classification {
		sup = nn.CrossEntropy(out, t.batch.Labels, t.grad)
	} else {
		sup = nn.MSE(out, t.batch.Targets, t.grad)
	}
	for i := range t.grad.Rows {
		tensor.Scale(float32(t.weight), t.grad.Row(i))
	}
	t.net.Backward(t.grad)
	return loss + t.weight*sup
}

var _ train.Model = (*targetAwareTask)(nil)
