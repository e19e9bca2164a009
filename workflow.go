package gotabular

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/train"
)

// Fit trains a supervised model from scratch on train, validating on
// validation, or on a held-out ValidationSplit of train when validation
// is nil. The model config must be a models.Config and the data config
// must name the target.
func (m *TabularModel) Fit(ctx context.Context, trainTable, validation *data.Table) error {
	mc, ok := m.supervisedConfig()
	if !ok {
		return fmt.Errorf("Fit trains supervised models, and this one is self-supervised: call Pretrain, then CreateFinetuneModel: %w", ErrKind)
	}
	if m.kind != Untrained {
		return fmt.Errorf("Fit: the model is already %s; make a new one with New: %w", m.kind, ErrKind)
	}
	if len(m.DataConfig.Target) != 1 {
		return errors.New("Fit: the data config must name the target column (DataConfig.Target)")
	}
	mc = mc.WithDefaults()
	targetName := m.DataConfig.Target[0]
	cont, cat, err := featureColumns(trainTable, m.DataConfig)
	if err != nil {
		return err
	}
	prep, err := data.FitWith(trainTable, cont, cat, fitOptions(m.DataConfig, mc.Embedding.NumEmbedding))
	if err != nil {
		return err
	}
	target, err := data.FitTarget(trainTable, targetName, mc.Task, m.DataConfig.ScaleTarget)
	if err != nil {
		return err
	}
	tr, va, err := labelledData(prep, target, trainTable, validation, m.DataConfig.ValidationSplit, m.TrainerConfig.Seed)
	if err != nil {
		return err
	}
	schema := schemaOf(prep)
	net, err := models.NewSupervised(mc, schema, outputs(target))
	if err != nil {
		return err
	}
	task := newSupervisedTask(net, target)
	opt, err := m.optimizer(net.Trainable(), mc.LearningRate)
	if err != nil {
		return err
	}
	h, err := train.Run(ctx, task, opt, tr, va, m.trainConfig(m.TrainerConfig, "fit", higherIsBetter(m.TrainerConfig)))
	m.History = h
	if err != nil {
		return err
	}
	m.kind, m.prep, m.target, m.schema, m.net = Supervised, prep, target, schema, net
	return nil
}

// Pretrain trains the self-supervised model on unlabelled rows; a target
// column, if present, is not used. The feature preprocessing is fitted
// here, on these rows, and reused unchanged by every model fine-tuned from
// this one: the encoding of categories, the transform of continuous values
// (DataConfig.ContinuousTransform) and, for a PLE embedding, the bin
// edges. validation may be nil: then a ValidationSplit of the rows is
// held out.
func (m *TabularModel) Pretrain(ctx context.Context, unlabelled, validation *data.Table) error {
	sc, ok := m.sslConfig()
	if !ok {
		return fmt.Errorf("Pretrain needs a self-supervised model config (such as dae.NewConfig()); this one is supervised: call Fit: %w", ErrKind)
	}
	if m.kind != Untrained {
		return fmt.Errorf("Pretrain: the model is already %s; make a new one with New: %w", m.kind, ErrKind)
	}
	cont, cat, err := featureColumns(unlabelled, m.DataConfig)
	if err != nil {
		return err
	}
	prep, err := data.FitWith(unlabelled, cont, cat, fitOptions(m.DataConfig, sc.Common().NumEmbedding))
	if err != nil {
		return err
	}
	all, err := prep.Transform(unlabelled)
	if err != nil {
		return err
	}
	tr, va := all, (*data.Dataset)(nil)
	if validation != nil {
		if va, err = prep.Transform(validation); err != nil {
			return err
		}
	} else if all.N >= 2 {
		ti, vi := data.Split(all.N, m.DataConfig.ValidationSplit, rand.New(rand.NewPCG(m.TrainerConfig.Seed, 1)))
		tr, va = all.Subset(ti), all.Subset(vi)
	}
	schema := schemaOf(prep)
	model, err := sc.Build(schema)
	if err != nil {
		return err
	}
	opt, err := m.optimizer(nn.Trainable(model.Params()), sc.Common().LearningRate)
	if err != nil {
		return err
	}
	h, err := train.Run(ctx, &sslTask{m: model}, opt, tr, va, m.trainConfig(m.TrainerConfig, "pretrain", higherIsBetter(m.TrainerConfig)))
	m.History = h
	if err != nil {
		return err
	}
	m.kind, m.prep, m.schema, m.ssl = Pretrained, prep, schema, model
	return nil
}

// FinetuneOptions configure CreateFinetuneModel.
type FinetuneOptions struct {
	// Task is "classification" or "regression".
	Task string
	// Head is the LinearHead put on the pretrained featurizer.
	Head models.HeadConfig
	// Train holds the labelled rows; Validation may be nil, then a
	// ValidationSplit of Train (stratified for classification) is held
	// out.
	Train, Validation *data.Table
	// Target names the target column (default: the data config's).
	Target string
	// Optimizer and Trainer replace the pretraining configs when set.
	Optimizer *config.OptimizerConfig
	Trainer   *config.TrainerConfig
	// LearningRate of fine-tuning (default: the pretraining one).
	LearningRate float64
	// ValidationSplit is the share of Train held out when Validation is
	// nil (default: the data config's).
	ValidationSplit float64
	// ScaleTarget standardises a regression target for training (as
	// does the data config's ScaleTarget).
	ScaleTarget bool
	// Seed of the head's initialisation (default 42).
	Seed uint64
}

// CreateFinetuneModel returns a new model for supervised fine-tuning: a
// copy of this pretrained model's embedding layer and featurizer with a
// new head. This model is left untouched, so several fine-tuned models can
// be made from one pretraining. The preprocessing of the features is the
// pretrained one; only the target encoding is fitted, on opts.Train.
func (m *TabularModel) CreateFinetuneModel(opts FinetuneOptions) (*TabularModel, error) {
	if m.kind != Pretrained {
		return nil, fmt.Errorf("CreateFinetuneModel needs a pretrained model, and this one is %s: %w", m.kind, ErrKind)
	}
	if err := config.ValidateTask(opts.Task); err != nil {
		return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
	}
	if opts.Train == nil {
		return nil, errors.New("CreateFinetuneModel: FinetuneOptions.Train (the labelled rows) is required")
	}
	targetName := opts.Target
	if targetName == "" {
		if len(m.DataConfig.Target) != 1 {
			return nil, errors.New("CreateFinetuneModel: name the target column in FinetuneOptions.Target or DataConfig.Target")
		}
		targetName = m.DataConfig.Target[0]
	}
	if m.prep.Has(targetName) {
		return nil, fmt.Errorf("CreateFinetuneModel: the target %q is a feature of the pretrained model, which would see the answer; pretrain without that column", targetName)
	}
	sc, _ := m.sslConfig()
	if _, err := models.ParseLayers(opts.Head.Layers); err != nil {
		return nil, fmt.Errorf("CreateFinetuneModel: head: %w", err)
	}
	if opts.Optimizer != nil {
		if err := opts.Optimizer.Validate(); err != nil {
			return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
		}
	}
	if opts.Trainer != nil {
		if err := opts.Trainer.Validate(); err != nil {
			return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
		}
	}
	dc := m.DataConfig
	dc.Target = []string{targetName}
	dc.ScaleTarget = dc.ScaleTarget || opts.ScaleTarget
	if opts.ValidationSplit != 0 {
		dc.ValidationSplit = opts.ValidationSplit
	}
	if err := dc.Validate(); err != nil {
		return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
	}
	target, err := data.FitTarget(opts.Train, targetName, opts.Task, dc.ScaleTarget)
	if err != nil {
		return nil, err
	}
	tr, va, err := labelledData(m.prep, target, opts.Train, opts.Validation, dc.ValidationSplit, m.TrainerConfig.Seed)
	if err != nil {
		return nil, err
	}
	ft := &TabularModel{
		DataConfig: dc, ModelConfig: m.ModelConfig, OptimizerConfig: m.OptimizerConfig, TrainerConfig: m.TrainerConfig,
		Progress: m.Progress, kind: Finetuned, prep: m.prep, target: target, schema: m.schema,
	}
	if opts.Optimizer != nil {
		ft.OptimizerConfig = opts.Optimizer.WithDefaults()
	}
	if opts.Trainer != nil {
		ft.TrainerConfig = opts.Trainer.WithDefaults()
	}
	lr := opts.LearningRate
	if lr == 0 {
		lr = sc.Common().LearningRate
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 42
	}
	includeInput := false
	if inc, ok := sc.(ssl.InputFeaturesIncluder); ok {
		includeInput = inc.IncludeInputFeatures()
	}
	ft.ft = &finetuneSpec{Task: opts.Task, Head: opts.Head.WithDefaults(), IncludeInput: includeInput, LearningRate: lr, train: tr, valid: va}
	net, err := ft.buildFinetune(sc, m.ssl, seed)
	if err != nil {
		return nil, err
	}
	ft.net = net
	return ft, nil
}

// buildFinetune makes the fine-tuning network on a private copy of the
// pretrained embedding layer and featurizer (when pretrained is given) or
// on fresh ones whose weights will be loaded.
func (m *TabularModel) buildFinetune(sc ssl.Config, pretrained ssl.Model, seed uint64) (*ssl.Finetune, error) {
	embed, enc, err := sc.BuildFeaturizer(m.schema)
	if err != nil {
		return nil, err
	}
	if pretrained != nil {
		src := map[string]*nn.Param{}
		for _, p := range pretrained.Params() {
			src[p.Name] = p
		}
		for _, p := range append(embed.Params(), enc.Params()...) {
			q, ok := src[p.Name]
			if !ok {
				return nil, fmt.Errorf("the pretrained model has no parameter %q", p.Name)
			}
			p.Value.CopyFrom(q.Value)
		}
	}
	return ssl.NewFinetune(embed, enc, m.ft.Head, outputs(m.target), m.ft.IncludeInput, m.ft.Frozen, seed)
}

// FinetuneRun configures Finetune.
type FinetuneRun struct {
	// MaxEpochs and MinEpochs override the trainer config when positive.
	MaxEpochs, MinEpochs int
	// FreezeBackbone trains the head alone: the pretrained embedding layer
	// and featurizer keep their weights and run in evaluation mode.
	FreezeBackbone bool
}

// Finetune trains a model made by CreateFinetuneModel on its labelled
// rows.
func (m *TabularModel) Finetune(ctx context.Context, run FinetuneRun) error {
	if m.kind != Finetuned || m.ft == nil {
		return fmt.Errorf("Finetune needs a model made by CreateFinetuneModel, and this one is %s: %w", m.kind, ErrKind)
	}
	if m.ft.train == nil {
		return fmt.Errorf("Finetune: this fine-tuned model was loaded from disk and has no labelled data; make a new one with CreateFinetuneModel: %w", ErrKind)
	}
	tc := m.TrainerConfig
	if run.MaxEpochs > 0 {
		tc.MaxEpochs = run.MaxEpochs
	}
	if run.MinEpochs > 0 {
		tc.MinEpochs = run.MinEpochs
	}
	if tc.MinEpochs > tc.MaxEpochs {
		return fmt.Errorf("Finetune: min epochs %d exceed max epochs %d", tc.MinEpochs, tc.MaxEpochs)
	}
	net := m.net.(*ssl.Finetune)
	net.Frozen = run.FreezeBackbone
	m.ft.Frozen = run.FreezeBackbone
	opt, err := m.optimizer(net.Trainable(), m.ft.LearningRate)
	if err != nil {
		return err
	}
	h, err := train.Run(ctx, newSupervisedTask(net, m.target), opt, m.ft.train, m.ft.valid, m.trainConfig(tc, "finetune", higherIsBetter(tc)))
	m.History = h
	return err
}

// labelledData encodes the labelled rows and their validation rows, split
// off train (stratified for classification) when validation is nil.
func labelledData(prep *data.Preprocessor, target *data.Target, trainTable, validation *data.Table, split float64, seed uint64) (tr, va *data.Dataset, err error) {
	encode := func(t *data.Table) (*data.Dataset, error) {
		d, err := prep.Transform(t)
		if err != nil {
			return nil, err
		}
		if err := target.Encode(t, d); err != nil {
			return nil, err
		}
		return d, nil
	}
	all, err := encode(trainTable)
	if err != nil {
		return nil, nil, err
	}
	if validation != nil {
		va, err := encode(validation)
		return all, va, err
	}
	if all.N < 2 {
		return all, nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	var ti, vi []int
	if all.Labels != nil {
		ti, vi = data.StratifiedSplit(all.Labels, split, rng)
	} else {
		ti, vi = data.Split(all.N, split, rng)
	}
	return all.Subset(ti), all.Subset(vi), nil
}

// outputs is the network's output width for a target.
func outputs(t *data.Target) int {
	if t.Task == config.Classification {
		return len(t.Classes)
	}
	return 1
}

func (m *TabularModel) optimizer(params []*nn.Param, lr float64) (optim.Optimizer, error) {
	oc := m.OptimizerConfig
	return optim.New(oc.Optimizer, params, lr, oc.WeightDecay, oc.Momentum)
}
