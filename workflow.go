package gotabular

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

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
	prep, err := data.FitWith(trainTable, cont, cat, m.fitOptions(mc.Embedding.NumEmbedding))
	if err != nil {
		return err
	}
	target, err := data.FitTargetWith(trainTable, targetName, mc.Task, targetOptions(m.DataConfig))
	if err != nil {
		return err
	}
	parts, err := labelledParts(prep, target, trainTable, validation, m.DataConfig.Split(), m.TrainerConfig)
	if err != nil {
		return err
	}
	schema := schemaOf(prep)
	nets := make([]models.Network, len(parts))
	m.History, m.MemberHistories = nil, nil
	for i, p := range parts {
		mi := mc
		mi.Seed += uint64(i)
		net, err := models.NewSupervised(mi, schema, outputs(target))
		if err != nil {
			return err
		}
		nets[i] = net
		task := newSupervisedTask(net, target)
		opt, err := m.optimizer(net.Trainable(), mc.LearningRate)
		if err != nil {
			return err
		}
		cfg, err := m.trainConfig(memberTrainer(m.TrainerConfig, i), memberName("fit", i, len(parts)))
		if err != nil {
			return err
		}
		h, err := train.Run(ctx, task, opt, p.train, p.valid, cfg)
		m.recordHistory(i, h)
		if err != nil {
			k, ierr := m.interrupted(ctx, err, i, h)
			if k > 0 {
				m.kind, m.prep, m.target, m.schema, m.net = Supervised, prep, target, schema, joinMembers(nets[:k], target)
				m.diagnoseValidation(parts)
			}
			return ierr
		}
	}
	if m.CrossValidation, err = crossValidate(nets, parts, target); err != nil {
		return err
	}
	m.kind, m.prep, m.target, m.schema, m.net = Supervised, prep, target, schema, joinMembers(nets, target)
	m.diagnoseValidation(parts)
	return nil
}

// recordHistory keeps the history of member i.
func (m *TabularModel) recordHistory(i int, h *train.History) {
	if i == 0 {
		m.History = h
		return
	}
	m.MemberHistories = append(m.MemberHistories, h)
}

// joinMembers returns the one network, or the ensemble of several.
func joinMembers(nets []models.Network, target *data.Target) models.Network {
	if len(nets) == 1 {
		return nets[0]
	}
	return newEnsemble(nets, target.Task == config.Classification)
}

// members returns the networks of the model: one, or an ensemble's.
func (m *TabularModel) members() []models.Network {
	if e, ok := m.net.(*ensemble); ok {
		return e.members
	}
	return []models.Network{m.net}
}

// Pretrain trains the self-supervised model on unlabelled rows; a target
// column, if present, is not used. The feature preprocessing is fitted
// here, on these rows, and reused unchanged by every model fine-tuned from
// this one: the encoding of categories, the transform of continuous values
// (DataConfig.ContinuousTransform) and, for a PLE embedding, the bin
// edges. validation may be nil: then a ValidationSplit of the rows is
// held out.
func (m *TabularModel) Pretrain(ctx context.Context, unlabelled, validation *data.Table) error {
	return m.pretrain(ctx, "Pretrain", unlabelled, validation, nil)
}

// pretrain trains the self-supervised model, with a supervised objective
// on labelled rows beside it when ta is not nil.
func (m *TabularModel) pretrain(ctx context.Context, op string, unlabelled, validation *data.Table, ta *TargetAware) error {
	p, err := m.preparePretrain(op, unlabelled)
	if err != nil {
		return err
	}
	all, err := p.prep.Transform(unlabelled)
	if err != nil {
		return err
	}
	tr, va := all, (*data.Dataset)(nil)
	if validation != nil {
		if va, err = p.prep.Transform(validation); err != nil {
			return err
		}
	} else if split := m.DataConfig.Split(); all.N >= 2 && split > 0 {
		ti, vi := data.Split(all.N, split, rand.New(rand.NewPCG(m.TrainerConfig.Seed, 1)))
		tr, va = all.Subset(ti), all.Subset(vi)
	}
	opt, err := m.optimizer(nn.Trainable(p.model.Params()), p.lr)
	if err != nil {
		return err
	}
	cfg, err := m.trainConfig(m.TrainerConfig, "pretrain")
	if err != nil {
		return err
	}
	var task train.Model = &sslTask{m: p.model, sample: tr}
	if ta != nil {
		if task, err = newTargetAwareTask(p, ta, m.TrainerConfig.Seed); err != nil {
			return err
		}
		if opt, err = m.optimizer(task.Trainable(), p.lr); err != nil {
			return err
		}
	}
	h, err := train.Run(ctx, task, opt, tr, va, cfg)
	m.History = h
	if err != nil {
		if k, ierr := m.interrupted(ctx, err, 0, h); k > 0 {
			m.kind, m.prep, m.schema, m.ssl = Pretrained, p.prep, p.schema, p.model
			m.diagnosePretext(va)
			return ierr
		}
		return err
	}
	m.kind, m.prep, m.schema, m.ssl = Pretrained, p.prep, p.schema, p.model
	m.diagnosePretext(va)
	return nil
}

// Initialize fits the feature preprocessing on the rows and builds the
// self-supervised model with its initial weights, without training it: the
// model is then a pretrained one whose pretraining did nothing. Fine-tuning
// it trains the very network that fine-tuning a pretrained model trains,
// from scratch: the control that shows what pretraining adds.
func (m *TabularModel) Initialize(unlabelled *data.Table) error {
	p, err := m.preparePretrain("Initialize", unlabelled)
	if err != nil {
		return err
	}
	m.kind, m.prep, m.schema, m.ssl = Pretrained, p.prep, p.schema, p.model
	return nil
}

// pretraining is what Pretrain and Initialize set up.
type pretraining struct {
	prep   *data.Preprocessor
	schema models.Schema
	model  ssl.Model
	lr     float64
}

func (m *TabularModel) preparePretrain(op string, unlabelled *data.Table) (*pretraining, error) {
	return m.preparePretrainWith(op, unlabelled, func(cont, cat []string, opt data.FitOptions) (*data.Preprocessor, error) {
		return data.FitWith(unlabelled, cont, cat, opt)
	})
}

// preparePretrainWith is preparePretrain with the preprocessing fitted by
// fit, for the columns of schema: from a table or from a stream.
func (m *TabularModel) preparePretrainWith(op string, unlabelled *data.Table, fit func(cont, cat []string, opt data.FitOptions) (*data.Preprocessor, error)) (*pretraining, error) {
	sc, err := m.canPretrain(op)
	if err != nil {
		return nil, err
	}
	cont, cat, err := featureColumns(unlabelled, m.DataConfig)
	if err != nil {
		return nil, err
	}
	prep, err := fit(cont, cat, m.fitOptions(sc.Common().NumEmbedding))
	if err != nil {
		return nil, err
	}
	schema := schemaOf(prep)
	model, err := sc.Build(schema)
	if err != nil {
		return nil, err
	}
	return &pretraining{prep: prep, schema: schema, model: model, lr: sc.Common().LearningRate}, nil
}

// canPretrain reports why the model cannot be pretrained, if it cannot,
// and returns its self-supervised config.
func (m *TabularModel) canPretrain(op string) (ssl.Config, error) {
	sc, ok := m.sslConfig()
	if !ok {
		return nil, fmt.Errorf("%s needs a self-supervised model config (such as dae.NewConfig()); this one is supervised: call Fit: %w", op, ErrKind)
	}
	if m.kind != Untrained {
		return nil, fmt.Errorf("%s: the model is already %s; make a new one with New: %w", op, m.kind, ErrKind)
	}
	if m.TrainerConfig.Folds >= 2 {
		return nil, fmt.Errorf("%s: the trainer config asks for %d folds, but cross-fitting is for supervised training and fine-tuning, which have labels", op, m.TrainerConfig.Folds)
	}
	return sc, nil
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
	// Optimizer and Trainer replace the pretraining configs when set. The
	// optimizer's weight decay is the fine-tuning regulariser of choice
	// with "adamw", whose decay is decoupled from the adaptive step.
	Optimizer *config.OptimizerConfig
	Trainer   *config.TrainerConfig
	// LearningRate of fine-tuning (default: the pretraining one).
	LearningRate float64
	// ValidationSplit is the share of Train held out when Validation is
	// nil; nil takes the data config's, and 0 holds out none.
	ValidationSplit *float64
	// ScaleTarget says whether a regression target is standardised for
	// training (nil: the data config's, which is true by default).
	ScaleTarget *bool
	// LogTarget says whether a regression target is modelled as
	// log(1+y) (nil: the data config's, false by default).
	LogTarget *bool
	// EncoderDropout sets the dropout after each layer of the copy of the
	// pretrained encoder, for fine-tuning only: the pretrained model keeps
	// its config (nil: the pretrained encoder's own). It needs a method
	// config that implements ssl.EncoderSetter and an encoder config that
	// implements models.DropoutSetter, as the built-in ones do. The head's
	// dropout is Head.Dropout.
	EncoderDropout *float64
	// Unlabelled and PseudoLabels self-train a classifier: once
	// fine-tuned, the model labels the Unlabelled rows, and each member is
	// fine-tuned again from the pretrained weights on its labelled rows
	// plus the PseudoLabels unlabelled rows the model is surest of (per
	// class in the proportions of the labelled rows), still stopping early
	// on true labels only. 0 does not self-train.
	Unlabelled   *data.Table
	PseudoLabels int
	// DeepFeatures gives the head every hidden layer of the pretrained
	// encoder, concatenated (beside the embedded input too, when the
	// method's config includes it), not only the last: the lower layers
	// keep detail of the input that the last may have abstracted away.
	// It needs an encoder made of stages (models.Staged), as the MLP is.
	DeepFeatures bool
	// ScratchShare is the share of a cross-fitted ensemble's members that
	// start from the network's initial weights, as if never pretrained,
	// the others from the pretrained ones (0: none). The scratch members
	// are spread evenly over the members, so over the repeats of the
	// cross-fitting each fold is held out from both kinds; they keep the
	// pretrained preprocessing. Where pretraining helps little, members
	// trained from scratch add diversity to the ensemble.
	ScratchShare float64
	// Seed of the head's initialisation (default 42).
	Seed uint64
}

// scratchMember reports whether member i of an ensemble with a share of
// scratch members starts from initial weights: member i is one when
// floor((i+1)·share) passes floor(i·share), which spreads them evenly.
func scratchMember(i int, share float64) bool {
	return share > 0 && math.Floor(float64(i+1)*share) > math.Floor(float64(i)*share)
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
		if err := validateOptimizer(*opts.Optimizer); err != nil {
			return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
		}
	}
	if opts.EncoderDropout != nil {
		var err error
		if sc, err = withEncoderDropout(sc, *opts.EncoderDropout); err != nil {
			return nil, fmt.Errorf("CreateFinetuneModel: EncoderDropout: %w", err)
		}
	}
	if opts.Trainer != nil {
		if err := opts.Trainer.Validate(); err != nil {
			return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
		}
	}
	if !(opts.ScratchShare >= 0 && opts.ScratchShare <= 1) {
		return nil, fmt.Errorf("CreateFinetuneModel: ScratchShare %v: want a share in [0, 1]", opts.ScratchShare)
	}
	dc := m.DataConfig
	dc.Target = []string{targetName}
	if opts.ScaleTarget != nil {
		dc.ScaleTarget = opts.ScaleTarget
	}
	if opts.ValidationSplit != nil {
		dc.ValidationSplit = opts.ValidationSplit
	}
	if err := dc.Validate(); err != nil {
		return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
	}
	dc = dc.WithDefaults()
	if opts.LogTarget != nil {
		dc.LogTarget = *opts.LogTarget
	}
	target, err := data.FitTargetWith(opts.Train, targetName, opts.Task, targetOptions(dc))
	if err != nil {
		return nil, err
	}
	ft := &TabularModel{
		DataConfig: dc, ModelConfig: sc, OptimizerConfig: m.OptimizerConfig, TrainerConfig: m.TrainerConfig,
		Progress: m.Progress, Watcher: m.Watcher, kind: Finetuned, prep: m.prep, target: target, schema: m.schema,
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
	parts, err := labelledParts(m.prep, target, opts.Train, opts.Validation, dc.Split(), ft.TrainerConfig.WithDefaults())
	if err != nil {
		return nil, err
	}
	ft.ft = &finetuneSpec{Task: opts.Task, Head: opts.Head.WithDefaults(), IncludeInput: includeInput, DeepFeatures: opts.DeepFeatures,
		LearningRate: lr, parts: parts}
	if err := ft.ft.prepareSelfTraining(m.prep, opts); err != nil {
		return nil, fmt.Errorf("CreateFinetuneModel: %w", err)
	}
	nets := make([]models.Network, len(parts))
	for i := range parts {
		var from ssl.Model = m.ssl
		if scratchMember(i, opts.ScratchShare) {
			from = nil // BuildFeaturizer's weights: those Build gave before pretraining
		}
		if nets[i], err = ft.buildFinetune(sc, from, seed+uint64(i)); err != nil {
			return nil, err
		}
		if ft.ft.PseudoLabels > 0 {
			ft.ft.init = append(ft.ft.init, nn.Snapshot(nets[i].Params()))
		}
	}
	ft.net = joinMembers(nets, target)
	return ft, nil
}

// buildFinetune makes the fine-tuning network on a private copy of the
// pretrained embedding layer and featurizer (when pretrained is given) or
// on fresh ones: the initial weights of the method's Build, for a scratch
// member or for weights that will be loaded.
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
	return ssl.NewFinetune(embed, enc, ssl.FinetuneSpec{Head: m.ft.Head, Outputs: outputs(m.target),
		IncludeInput: m.ft.IncludeInput, DeepFeatures: m.ft.DeepFeatures, Frozen: m.ft.Frozen, Seed: seed})
}

// withEncoderDropout returns a copy of sc whose encoder has dropout p.
func withEncoderDropout(sc ssl.Config, p float64) (ssl.Config, error) {
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("%v: want a probability in [0, 1)", p)
	}
	setter, ok := sc.(ssl.EncoderSetter)
	if !ok {
		return nil, fmt.Errorf("the %s config cannot replace its encoder (it does not implement ssl.EncoderSetter)", sc.Name())
	}
	enc, ok := sc.Common().EncoderConfig.(models.DropoutSetter)
	if !ok {
		return nil, fmt.Errorf("the %s encoder cannot change its dropout (it does not implement models.DropoutSetter)", sc.Common().EncoderConfig.Name())
	}
	return setter.WithEncoder(enc.WithDropout(p)), nil
}

// FinetuneRun configures Finetune.
type FinetuneRun struct {
	// MaxEpochs and MinEpochs override the trainer config when positive.
	// With ProbeEpochs they count the epochs after the probe.
	MaxEpochs, MinEpochs int
	// FreezeBackbone trains the head alone: the pretrained embedding layer
	// and featurizer keep their weights and run in evaluation mode.
	FreezeBackbone bool
	// ProbeEpochs, when positive, first trains the head alone for this
	// many epochs, the backbone frozen as by FreezeBackbone and no early
	// stopping, and then the whole network: linear probing, then
	// fine-tuning (Kumar et al., 2022): the large first gradients of a
	// random head would distort the pretrained features, those of a head
	// that already fits them do not. Each phase has its own optimiser
	// state and learning-rate schedule.
	ProbeEpochs int
	// BackboneLRScale multiplies the learning rate of the pretrained
	// embedding layer and featurizer, the head keeping the full rate
	// (nil: 1). A scale such as 0.1 adjusts the learned features rather
	// than overwriting them; 0 leaves their weights as pretrained, though
	// unlike FreezeBackbone they still run in training mode.
	BackboneLRScale *float64
}

// Finetune trains a model made by CreateFinetuneModel on its labelled
// rows. On an error the model keeps the best weights reached; History
// records the epochs of both phases of a run with ProbeEpochs, numbered
// on from the probe's.
func (m *TabularModel) Finetune(ctx context.Context, run FinetuneRun) error {
	if m.kind != Finetuned || m.ft == nil {
		return fmt.Errorf("Finetune needs a model made by CreateFinetuneModel, and this one is %s: %w", m.kind, ErrKind)
	}
	if m.ft.parts == nil {
		return fmt.Errorf("Finetune: this fine-tuned model was loaded from disk and has no labelled data; make a new one with CreateFinetuneModel: %w", ErrKind)
	}
	tc := m.TrainerConfig.WithDefaults()
	if run.MaxEpochs > 0 {
		tc.MaxEpochs = run.MaxEpochs
	}
	if run.MinEpochs > 0 {
		tc.MinEpochs = run.MinEpochs
	}
	switch {
	case tc.MinEpochs > tc.MaxEpochs:
		return fmt.Errorf("Finetune: min epochs %d exceed max epochs %d", tc.MinEpochs, tc.MaxEpochs)
	case run.ProbeEpochs < 0:
		return fmt.Errorf("Finetune: ProbeEpochs %d: must be ≥ 0", run.ProbeEpochs)
	case run.ProbeEpochs > 0 && run.FreezeBackbone:
		return errors.New("Finetune: ProbeEpochs with FreezeBackbone: a frozen backbone is never fine-tuned after the probe; set one of them")
	}
	scale := 1.0
	if run.BackboneLRScale != nil {
		scale = *run.BackboneLRScale
		if !(scale >= 0) || math.IsInf(scale, 0) {
			return fmt.Errorf("Finetune: BackboneLRScale %v: want a finite value ≥ 0", scale)
		}
	}
	m.ft.Frozen, m.ft.ProbeEpochs, m.ft.BackboneLRScale = run.FreezeBackbone, run.ProbeEpochs, run.BackboneLRScale
	if m.ft.PseudoLabels == 0 {
		return m.trainMembers(ctx, run, tc, scale, nil)
	}
	return m.selfTrain(ctx, run, tc, scale)
}

// trainMembers fine-tunes each member on its part of the labelled rows,
// with the rows of extra added to its training rows when extra is not nil.
func (m *TabularModel) trainMembers(ctx context.Context, run FinetuneRun, tc config.TrainerConfig, scale float64, extra *data.Dataset) error {
	members := m.members()
	m.History, m.MemberHistories = nil, nil
	for i, p := range m.ft.parts {
		if extra != nil {
			p.train = p.train.Append(extra)
		}
		net := members[i].(*ssl.Finetune)
		task := newSupervisedTask(net, m.target)
		mtc := memberTrainer(tc, i)
		cfg, err := m.trainConfig(mtc, memberName("finetune", i, len(members)))
		if err != nil {
			return err
		}
		// The probe would otherwise run its epochs before the monitor of
		// the fine-tuning that follows is checked.
		if err := train.CheckMonitor(task, cfg); err != nil {
			return err
		}
		var probe *train.History
		if run.ProbeEpochs > 0 {
			ptc := mtc
			ptc.MaxEpochs, ptc.MinEpochs, ptc.EarlyStopping = run.ProbeEpochs, 0, config.NoEarlyStopping
			pcfg, err := m.trainConfig(ptc, memberName("probe", i, len(members)))
			if err != nil {
				return err
			}
			net.Frozen = true
			probe, err = m.finetunePhase(ctx, task, p, pcfg, 1)
			if err != nil {
				m.recordHistory(i, probe)
				return m.interruptedFinetune(ctx, err, i, probe)
			}
		}
		net.Frozen = run.FreezeBackbone
		h, err := m.finetunePhase(ctx, task, p, cfg, scale)
		joined := joinHistories(probe, h)
		m.recordHistory(i, joined)
		if err != nil {
			return m.interruptedFinetune(ctx, err, i, joined)
		}
	}
	var err error
	m.CrossValidation, err = crossValidate(members, m.ft.parts, m.target)
	m.diagnoseValidation(m.ft.parts)
	return err
}

// interruptedFinetune keeps the fine-tuned members that a cancelled run
// left with trained weights; see interrupted.
func (m *TabularModel) interruptedFinetune(ctx context.Context, err error, i int, h *train.History) error {
	k, err := m.interrupted(ctx, err, i, h)
	if k > 0 {
		m.net = joinMembers(m.members()[:k], m.target)
		m.ft.parts = m.ft.parts[:k]
		if m.ft.init != nil {
			m.ft.init = m.ft.init[:k]
		}
	}
	m.diagnoseValidation(m.ft.parts)
	return err
}

// ErrInterrupted is wrapped by the error of a training method (Fit,
// Pretrain, Finetune) whose context ended the run after the model had
// finished at least one epoch: the model then holds the best weights
// reached, is of the trained kind, and can be used and saved. A run
// cancelled before that returns the context's error alone and leaves the
// model as it was.
var ErrInterrupted = errors.New("training interrupted")

// interrupted settles a run that failed while member i trained, with
// history h. When ctx ended it, the members before i, and member i if it
// finished an epoch (train.Run has restored its best weights), are kept:
// k is their number, and the error wraps ErrInterrupted. An ensemble cut
// short has no cross-validated figures, since its members' folds no
// longer cover the labelled rows.
func (m *TabularModel) interrupted(ctx context.Context, err error, i int, h *train.History) (k int, _ error) {
	if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return 0, err
	}
	k = i
	if h != nil && h.BestEpoch > 0 {
		k = i + 1
	}
	if k == 0 {
		return 0, err
	}
	if len(m.MemberHistories) > k-1 {
		m.MemberHistories = m.MemberHistories[:k-1]
	}
	m.CrossValidation = nil
	if i == 0 {
		return k, fmt.Errorf("%w after %d epoch(s); the model keeps the weights of its best epoch, %d: %w", ErrInterrupted, len(h.Epochs), h.BestEpoch, err)
	}
	return k, fmt.Errorf("%w while member %d of the ensemble trained; the model keeps the %d member(s) that finished an epoch, with their best weights: %w", ErrInterrupted, i+1, k, err)
}

// finetunePhase runs one training of the fine-tuning network: the head at
// the fine-tuning rate, the backbone, unless frozen, at backboneScale
// times it.
func (m *TabularModel) finetunePhase(ctx context.Context, task *supervisedTask, p part, cfg train.Config, backboneScale float64) (*train.History, error) {
	net := task.net.(*ssl.Finetune)
	groups := []optim.Group{{Params: net.Head.Params(), LRScale: 1}}
	if !net.Frozen {
		groups = append(groups, optim.Group{Params: slices.Concat(net.Embed.Params(), net.Encoder.Params()), LRScale: backboneScale})
	}
	oc := m.OptimizerConfig.WithDefaults()
	opt, err := optim.NewGroups(oc.Optimizer, groups, m.ft.LearningRate, oc.WeightDecay, oc.Momentum)
	if err != nil {
		return nil, err
	}
	return train.Run(ctx, task, opt, p.train, p.valid, cfg)
}

// joinHistories records a probe and the fine-tuning after it as one run,
// the fine-tuning's epochs numbered on from the probe's.
func joinHistories(probe, rest *train.History) *train.History {
	if probe == nil || rest == nil {
		return cmp.Or(rest, probe)
	}
	h := *rest
	n := len(probe.Epochs)
	h.Epochs = slices.Clone(probe.Epochs)
	for _, e := range rest.Epochs {
		e.Epoch += n
		h.Epochs = append(h.Epochs, e)
	}
	if h.BestEpoch > 0 {
		h.BestEpoch += n
	}
	return &h
}

// labelledData encodes the labelled rows and their validation rows, split
// off train (stratified for classification) when validation is nil.
func labelledData(prep *data.Preprocessor, target *data.Target, trainTable, validation *data.Table, split float64, seed uint64) (tr, va *data.Dataset, err error) {
	all, err := encodeLabelled(prep, target, trainTable)
	if err != nil {
		return nil, nil, err
	}
	if validation != nil {
		va, err := encodeLabelled(prep, target, validation)
		return all, va, err
	}
	if all.N < 2 || split == 0 {
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

// targetOptions are the data config's settings of a regression target.
func targetOptions(dc config.DataConfig) data.TargetOptions {
	return data.TargetOptions{Scale: dc.ScalesTarget(), Log: dc.LogTarget}
}

// encodeLabelled encodes the features and the target of t.
func encodeLabelled(prep *data.Preprocessor, target *data.Target, t *data.Table) (*data.Dataset, error) {
	d, err := prep.Transform(t)
	if err != nil {
		return nil, err
	}
	if err := target.Encode(t, d); err != nil {
		return nil, err
	}
	return d, nil
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
