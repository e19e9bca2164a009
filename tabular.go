// Package gotabular is deep learning on tables with self-supervised
// pretraining: learn a representation from many unlabelled rows, then
// fine-tune a classifier or regressor on few labelled ones.
//
// [TabularModel] is the workflow facade, after PyTorch Tabular's:
//
//	m, _ := gotabular.New(dataConfig, daeConfig, optimizerConfig, trainerConfig)
//	m.Pretrain(ctx, unlabelled, nil)
//	ft, _ := m.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: labelled})
//	ft.Finetune(ctx, gotabular.FinetuneRun{MaxEpochs: 50})
//	pred, _ := ft.Predict(test)
//
// The same type trains supervised models from scratch with [TabularModel.Fit].
package gotabular

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
	"github.com/gotabular/gotabular/train"

	// The built-in backbones and self-supervised methods register
	// themselves, so that saved models naming them can be loaded.
	_ "github.com/gotabular/gotabular/models/categoryembedding"
	_ "github.com/gotabular/gotabular/models/fttransformer"
	_ "github.com/gotabular/gotabular/models/gandalf"
	_ "github.com/gotabular/gotabular/models/resnet"
	_ "github.com/gotabular/gotabular/models/tabnet"
	_ "github.com/gotabular/gotabular/ssl/methods"
)

// ModelConfig is a supervised [models.Config] or a self-supervised
// [ssl.Config] such as dae.Config.
type ModelConfig interface {
	Validate() error
}

// Kind says what a TabularModel holds.
type Kind string

// The kinds of model.
const (
	Untrained  Kind = "untrained"
	Supervised Kind = "supervised" // trained from scratch by Fit
	Pretrained Kind = "pretrained" // a self-supervised model trained by Pretrain
	Finetuned  Kind = "finetuned"  // made by CreateFinetuneModel
)

// TabularModel holds the configs, the fitted preprocessing and the
// network of one model.
type TabularModel struct {
	DataConfig      config.DataConfig
	ModelConfig     ModelConfig
	OptimizerConfig config.OptimizerConfig
	TrainerConfig   config.TrainerConfig
	// Progress receives a line per epoch; New sets it to os.Stderr unless
	// TrainerConfig.Quiet, and nil is silent.
	Progress io.Writer
	// Watcher, when not nil, is told of every training step and epoch,
	// for a live display of progress or machine-readable records.
	Watcher train.Watcher
	// Warnings receives warnings about the data, a line each, such as a
	// categorical column with too many levels to embed; New sets it to
	// os.Stderr, and nil is silent. Unlike Progress it is not silenced by
	// TrainerConfig.Quiet: a warning is about the result, not the run.
	Warnings io.Writer
	// History is the record of the last training run; for an ensemble,
	// that of its first member, and MemberHistories those of the others.
	History         *train.History
	MemberHistories []*train.History
	// CrossValidation holds the loss and metrics of a cross-fitted
	// ensemble's out-of-fold predictions on its labelled rows: an estimate
	// of its figures on new rows (nil for a single model).
	CrossValidation map[string]float64
	// Validation describes the model's outputs on its validation rows, as
	// training left it: the predictions of a supervised or fine-tuned
	// model, or each feature's reconstruction by a pretrained one whose
	// method restores its input (nil without validation rows, and for
	// other pretrained models, such as SCARF's).
	Validation *Diagnostics
	// Distillation says how a model made by [TabularModel.Distil] learned
	// from its teacher (nil for other models).
	Distillation *Distillation

	kind   Kind
	prep   *data.Preprocessor
	target *data.Target
	schema models.Schema
	ssl    ssl.Model      // Pretrained
	net    models.Network // Supervised and Finetuned
	ft     *finetuneSpec  // Finetuned
}

// finetuneSpec is what CreateFinetuneModel decided, kept for Finetune and
// for saving, with the options of the last Finetune.
type finetuneSpec struct {
	Task            string            `json:"task"`
	Head            models.HeadConfig `json:"head"`
	IncludeInput    bool              `json:"include_input"`
	DeepFeatures    bool              `json:"deep_features,omitempty"`
	Frozen          bool              `json:"frozen"`
	LearningRate    float64           `json:"learning_rate"`
	BackboneLRScale *float64          `json:"backbone_lr_scale,omitempty"`
	ProbeEpochs     int               `json:"probe_epochs,omitempty"`

	// PseudoLabels is the number of unlabelled rows self-training added
	// (0: none).
	PseudoLabels int `json:"pseudo_labels,omitempty"`

	parts      []part        // encoded labelled data of each member, not saved
	unlabelled *data.Dataset // encoded rows for self-training, not saved
	init       [][]*tensor.Mat
}

// ErrKind is wrapped by errors about calling a method on the wrong kind of
// model (Finetune on a model that was not made by CreateFinetuneModel, say).
var ErrKind = errors.New("wrong kind of model")

// New validates the configs and returns an untrained model.
func New(dc config.DataConfig, mc ModelConfig, oc config.OptimizerConfig, tc config.TrainerConfig) (*TabularModel, error) {
	if mc == nil {
		return nil, errors.New("gotabular: a model config is required (a models.Config, or an SSL config such as dae.NewConfig())")
	}
	if err := dc.Validate(); err != nil {
		return nil, err
	}
	switch mc.(type) {
	case models.Config, *models.Config, ssl.Config:
	default:
		return nil, fmt.Errorf("gotabular: model config %T: want a models.Config or an ssl.Config", mc)
	}
	if err := mc.Validate(); err != nil {
		return nil, err
	}
	if err := validateOptimizer(oc); err != nil {
		return nil, err
	}
	if err := tc.Validate(); err != nil {
		return nil, err
	}
	m := &TabularModel{DataConfig: dc.WithDefaults(), ModelConfig: mc, OptimizerConfig: oc.WithDefaults(), TrainerConfig: tc.WithDefaults(), kind: Untrained, Warnings: os.Stderr}
	if !tc.Quiet {
		m.Progress = os.Stderr
	}
	return m, nil
}

// Kind reports what the model holds.
func (m *TabularModel) Kind() Kind { return m.kind }

// Preprocessor returns the fitted feature preprocessing, or nil before
// training.
func (m *TabularModel) Preprocessor() *data.Preprocessor { return m.prep }

// Target returns the fitted target encoding of a supervised or fine-tuned
// model, or nil.
func (m *TabularModel) Target() *data.Target { return m.target }

// ParameterCount returns the number of weights of the model's networks
// (all members of an ensemble), 0 before training.
func (m *TabularModel) ParameterCount() int {
	if m.kind == Untrained {
		return 0
	}
	n := 0
	for _, p := range m.params() {
		n += len(p.Value.Data)
	}
	return n
}

// Classes returns the class labels of a classifier, in the order of the
// predicted probabilities.
func (m *TabularModel) Classes() []string {
	if m.target == nil {
		return nil
	}
	return m.target.Classes
}

func (m *TabularModel) supervisedConfig() (models.Config, bool) {
	switch c := m.ModelConfig.(type) {
	case models.Config:
		return c, true
	case *models.Config:
		return *c, true
	}
	return models.Config{}, false
}

func (m *TabularModel) sslConfig() (ssl.Config, bool) {
	c, ok := m.ModelConfig.(ssl.Config)
	return c, ok
}

// featureColumns resolves the feature lists of the data config against a
// table: the lists fix the kind of the columns they name, and every other
// column but the target and the excluded ones is a feature of the kind the
// reader inferred. A column is never dropped for not being listed: naming
// one categorical column must not lose the other text columns.
func featureColumns(t *data.Table, dc config.DataConfig, exclude ...string) (cont, cat []string, err error) {
	cont, cat = slices.Clone(dc.ContinuousCols), slices.Clone(dc.CategoricalCols)
	for _, name := range slices.Concat(cont, cat) {
		if _, err := t.Col(name); err != nil {
			return nil, nil, err
		}
	}
	skip := map[string]bool{}
	for _, n := range slices.Concat(dc.Target, exclude, cont, cat) {
		skip[n] = true
	}
	for _, c := range t.Columns {
		if skip[c.Name] {
			continue
		}
		switch c.Kind {
		case data.Continuous:
			cont = append(cont, c.Name)
		case data.Categorical:
			cat = append(cat, c.Name)
		}
	}
	if len(cont)+len(cat) == 0 {
		return nil, nil, fmt.Errorf("%s: no feature columns (columns: %v)", t.Source, t.Names())
	}
	return cont, cat, nil
}

// schemaOf describes the encoded features for the networks.
func schemaOf(p *data.Preprocessor) models.Schema {
	s := models.Schema{}
	for _, c := range p.Continuous {
		s.Continuous = append(s.Continuous, c.Name)
		if len(c.BinEdges) > 0 { // for all columns or none: Preprocessor.Validate
			s.BinEdges = append(s.BinEdges, c.BinEdges)
		}
	}
	for _, c := range p.Categorical {
		s.Categorical = append(s.Categorical, models.Categorical{Name: c.Name, Cardinality: c.Cardinality()})
	}
	return s
}

// fitOptions are the preprocessing a network needs: the data config's
// transform of the continuous features, date columns and missing-value
// indicators, and, for PLE, the bin edges. Warnings about the data (a
// capped high-cardinality column, values of a date column that are not
// dates) go to m.Warnings.
func (m *TabularModel) fitOptions(num models.NumEmbeddingConfig) data.FitOptions {
	dc := m.DataConfig
	opt := data.FitOptions{ContinuousTransform: dc.ContinuousTransform, Warn: m.warn, MissingIndicator: dc.MissingIndicator}
	for _, d := range dc.DateColumns {
		opt.Dates = append(opt.Dates, data.DateColumn{Name: d.Name, Layout: d.Format})
	}
	if dc.BadDates == "error" {
		opt.BadDates = data.OddIsError
	}
	if num.Kind == models.NumEmbeddingPLE {
		opt.Bins = num.WithDefaults().Bins
	}
	return opt
}

// ReadCSV reads a data file for this model with the default options; see
// [TabularModel.Read].
func (m *TabularModel) ReadCSV(path string) (*data.Table, error) {
	return m.Read(path, data.ReadOptions{})
}

// Read reads data for this model with [data.Read]: a CSV or Parquet file,
// or several. The columns the model knows as categorical are read as text
// even where every value looks like a number, and those it knows as
// continuous as numbers, so that the encoding matches the one seen in
// training; opt's other settings (delimiter, missing tokens, the policy
// for odd values) apply as given. The table's Warnings say what reading
// found.
func (m *TabularModel) Read(spec string, opt data.ReadOptions) (*data.Table, error) {
	kinds := map[string]data.Kind{}
	for name, k := range opt.Kinds {
		kinds[name] = k
	}
	if m.prep != nil {
		// The model's input columns, not its derived features: a date
		// column is read as text, whatever its digits look like.
		names, ks := m.prep.Inputs()
		for i, n := range names {
			kinds[n] = ks[i]
		}
	} else {
		for _, n := range m.DataConfig.CategoricalCols {
			kinds[n] = data.Categorical
		}
		for _, n := range m.DataConfig.ContinuousCols {
			kinds[n] = data.Continuous
		}
		for _, d := range m.DataConfig.DateColumns {
			kinds[d.Name] = data.Categorical
		}
	}
	if m.target != nil && m.target.Task == config.Classification {
		kinds[m.target.Name] = data.Categorical
	}
	opt.Kinds = kinds
	return data.Read(spec, opt)
}

// warn writes a warning to m.Warnings.
func (m *TabularModel) warn(err error) {
	if m.Warnings != nil {
		fmt.Fprintf(m.Warnings, "warning: %v\n", err)
	}
}

// validateOptimizer is oc.Validate and the check of its schedule, which
// is registered in package optim, out of the config package's sight.
func validateOptimizer(oc config.OptimizerConfig) error {
	if err := oc.Validate(); err != nil {
		return err
	}
	oc = oc.WithDefaults()
	if _, err := optim.NewSchedule(oc.LRScheduler, oc.LRSchedulerParams); err != nil {
		return fmt.Errorf("optimizer config: %w", err)
	}
	return nil
}

// trainConfig is the loop's config for a run of tc under the model's
// optimizer config; name starts the progress lines.
func (m *TabularModel) trainConfig(tc config.TrainerConfig, name string) (train.Config, error) {
	tc, oc := tc.WithDefaults(), m.OptimizerConfig.WithDefaults()
	schedule, err := optim.NewSchedule(oc.LRScheduler, oc.LRSchedulerParams)
	if err != nil {
		return train.Config{}, fmt.Errorf("optimizer config: %w", err)
	}
	return train.Config{
		BatchSize: tc.BatchSize, MaxEpochs: tc.MaxEpochs, MinEpochs: tc.MinEpochs,
		Monitor: tc.EarlyStopping, Mode: tc.EarlyStoppingMode,
		Patience: tc.Patience(), MinDelta: tc.MinDelta(),
		KeepLast: tc.KeepLastWeights, Seed: tc.Seed,
		GradientClip: oc.GradientClip, Schedule: schedule,
		Progress: m.Progress, Name: name, Watcher: m.Watcher,
	}, nil
}
