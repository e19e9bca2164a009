// Package config holds the configuration structs shared by the library and
// the command line: what the data looks like, how to optimise, and how to
// run the training loop. Model configs live with their models.
//
// A zero value means "the default" only where zero is not a valid setting
// (a batch size of 0, an empty optimizer name). Where zero is valid and is
// not the default, the field is a pointer: nil means the default, and an
// explicit 0 or false is kept as given (Go's new(0) writes one in a
// literal; in YAML and JSON the key is simply given). [DataConfig.WithDefaults]
// and friends fill in the defaults, the accessor methods read a field with
// its default, and Validate reports what cannot work, naming the field.
//
// A model saved before a field became a pointer left it out when it was
// zero, which meant the default then; read back, nil means the default
// now, so old files keep the settings they meant.
package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// DataConfig says which columns are features and which is the target.
type DataConfig struct {
	// Target names the target column. It must hold one name for supervised
	// training and fine-tuning; it is ignored by pretraining, so the
	// unlabelled data need not have it.
	Target []string `json:"target,omitempty" yaml:"target,omitempty"`
	// ContinuousCols and CategoricalCols fix the kind of the columns they
	// name. Every other column but the target is a feature too, of the kind
	// the reader inferred (numeric columns continuous, the others
	// categorical): a column is never dropped for not being listed. To
	// leave a column out, drop it from the table (data.Table.Without; the
	// command line's -exclude).
	ContinuousCols  []string `json:"continuous_cols,omitempty" yaml:"continuous_cols,omitempty"`
	CategoricalCols []string `json:"categorical_cols,omitempty" yaml:"categorical_cols,omitempty"`
	// ValidationSplit is the fraction of the training rows held out for
	// validation when no validation data is given (nil: 0.2). 0 holds out
	// none: without validation data, early stopping then watches the
	// training loss.
	ValidationSplit *float64 `json:"validation_split,omitempty" yaml:"validation_split,omitempty"`
	// ScaleTarget standardises a regression target for training, so that
	// the loss and the initial outputs are of the order of 1 whatever the
	// target's units; predictions are returned in the original units. nil
	// means true; false trains on the raw values.
	ScaleTarget *bool `json:"scale_target,omitempty" yaml:"scale_target,omitempty"`
	// LogTarget models a regression target of values ≥ 0 as log(1+y),
	// which suits prices, counts and other quantities that vary by
	// factors; predictions are returned in the original units.
	LogTarget bool `json:"log_target,omitempty" yaml:"log_target,omitempty"`
	// ContinuousTransform is how continuous features are encoded, fitted
	// on the pretraining rows (or the training rows of a model trained
	// from scratch) and kept with the model: "standard" (the default)
	// subtracts the mean and divides by the standard deviation;
	// "quantile_normal" maps each value through the column's empirical
	// distribution onto a standard normal, which tames skewed and
	// heavy-tailed columns and outliers; "quantile_uniform" onto a
	// uniform distribution of variance 1; "yeo-johnson" and "box-cox" are
	// power transforms with λ fitted per column by maximum likelihood,
	// then standardised (box-cox needs strictly positive values); and
	// "rank-gauss" is the transform of the Porto Seguro winning
	// denoising autoencoder (erf⁻¹ of the rank scaled to (−1, 1), a
	// normal of variance ½; see data.TransformRankGauss).
	ContinuousTransform string `json:"continuous_transform,omitempty" yaml:"continuous_transform,omitempty"`
	// DateColumns are columns of dates, each replaced by calendar
	// features: "<name>_year" and "<name>_day_of_year" continuous,
	// "<name>_month", "_day", "_weekday" and (when some fitted date has a
	// time of day) "_hour" categorical. Fitted with the rest of the
	// preprocessing and kept with the model.
	DateColumns []DateColumn `json:"date_columns,omitempty" yaml:"date_columns,omitempty"`
	// BadDates is what becomes of a value of a date column that is not a
	// date: "missing" (the default; a warning gives their count and the
	// first) or "error" (naming the file, row, column and value).
	BadDates string `json:"bad_dates,omitempty" yaml:"bad_dates,omitempty"`
	// MissingIndicator adds a categorical feature "<name>_missing" (0 or
	// 1) for each continuous column with missing values in the fitting
	// rows, so that a model can tell a value imputed as the mean or
	// median from a real one.
	MissingIndicator bool `json:"missing_indicator,omitempty" yaml:"missing_indicator,omitempty"`
}

// DateColumn is a column of dates and the layout of its values, in Go's
// reference-time notation ("02/01/2006"); an empty Format accepts RFC
// 3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05" and "2006-01-02".
type DateColumn struct {
	Name   string `json:"name" yaml:"name"`
	Format string `json:"format,omitempty" yaml:"format,omitempty"`
}

// The values of DataConfig.ContinuousTransform.
const (
	StandardTransform        = "standard"
	QuantileNormalTransform  = "quantile_normal"
	QuantileUniformTransform = "quantile_uniform"
	YeoJohnsonTransform      = "yeo-johnson"
	BoxCoxTransform          = "box-cox"
	RankGaussTransform       = "rank-gauss"
)

// ContinuousTransforms lists the accepted values of
// DataConfig.ContinuousTransform.
var ContinuousTransforms = []string{StandardTransform, QuantileNormalTransform,
	QuantileUniformTransform, YeoJohnsonTransform, BoxCoxTransform, RankGaussTransform}

// The defaults of the pointer fields.
const (
	DefaultValidationSplit = 0.2
	DefaultScaleTarget     = true
	DefaultPatience        = 3
	DefaultMinDelta        = 0.001
)

// or returns *p, or def when p is nil.
func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// filled returns p, or a pointer to def when p is nil.
func filled[T any](p *T, def T) *T {
	if p == nil {
		return &def
	}
	return p
}

// WithDefaults returns c with unset fields set to their defaults.
func (c DataConfig) WithDefaults() DataConfig {
	c.ValidationSplit = filled(c.ValidationSplit, DefaultValidationSplit)
	c.ScaleTarget = filled(c.ScaleTarget, DefaultScaleTarget)
	return c
}

// Split returns ValidationSplit, or its default when unset.
func (c DataConfig) Split() float64 { return or(c.ValidationSplit, DefaultValidationSplit) }

// ScalesTarget returns ScaleTarget, or its default when unset.
func (c DataConfig) ScalesTarget() bool { return or(c.ScaleTarget, DefaultScaleTarget) }

// Validate reports the first field that cannot work.
func (c DataConfig) Validate() error {
	if len(c.Target) > 1 {
		return fmt.Errorf("data config: target: %d columns given (%s); one target column is supported", len(c.Target), strings.Join(c.Target, ", "))
	}
	if v := c.Split(); v < 0 || v >= 1 || math.IsNaN(v) {
		return fmt.Errorf("data config: validation_split %v: want a fraction in [0, 1)", v)
	}
	if t := c.ContinuousTransform; t != "" && !slices.Contains(ContinuousTransforms, t) {
		return fmt.Errorf("data config: continuous_transform %q: want one of %s", t, strings.Join(ContinuousTransforms, ", "))
	}
	seen := map[string]string{}
	for _, l := range []struct {
		field string
		names []string
	}{{"target", c.Target}, {"continuous_cols", c.ContinuousCols}, {"categorical_cols", c.CategoricalCols}} {
		for _, n := range l.names {
			if n == "" {
				return fmt.Errorf("data config: %s: empty column name", l.field)
			}
			if prev, ok := seen[n]; ok {
				return fmt.Errorf("data config: column %q is listed in both %s and %s", n, prev, l.field)
			}
			seen[n] = l.field
		}
	}
	if b := c.BadDates; b != "" && b != "missing" && b != "error" {
		return fmt.Errorf("data config: bad_dates %q: want missing or error", b)
	}
	for _, d := range c.DateColumns {
		if d.Name == "" {
			return errors.New("data config: date_columns: empty column name")
		}
		if prev, ok := seen[d.Name]; ok {
			return fmt.Errorf("data config: column %q is listed in both %s and date_columns", d.Name, prev)
		}
		seen[d.Name] = "date_columns"
	}
	return nil
}

// OptimizerConfig chooses the optimiser. The learning rate is part of the
// model config (as in PyTorch Tabular) or of the fine-tuning options.
type OptimizerConfig struct {
	// Optimizer is "adam" (default), "adamw" or "sgd".
	Optimizer string `json:"optimizer,omitempty" yaml:"optimizer,omitempty"`
	// WeightDecay is L2 decay for adam and sgd, decoupled decay for adamw.
	WeightDecay float64 `json:"weight_decay,omitempty" yaml:"weight_decay,omitempty"`
	// Momentum applies to sgd.
	Momentum float64 `json:"momentum,omitempty" yaml:"momentum,omitempty"`
	// GradientClip, when positive, rescales the gradients of a step so that
	// their global L2 norm is at most this value.
	GradientClip float64 `json:"gradient_clip,omitempty" yaml:"gradient_clip,omitempty"`
	// LRScheduler names the learning-rate schedule, one registered in
	// package optim: "constant" (default), "cosine" (linear warm-up, then
	// cosine decay) or "onecycle". The gotabular package checks the name
	// and the parameters, which this package cannot know.
	LRScheduler string `json:"lr_scheduler,omitempty" yaml:"lr_scheduler,omitempty"`
	// LRSchedulerParams sets parameters of the schedule by name, such as
	// warmup for "cosine"; the others keep their defaults.
	LRSchedulerParams map[string]float64 `json:"lr_scheduler_params,omitempty" yaml:"lr_scheduler_params,omitempty"`
}

// Optimizers lists the accepted values of OptimizerConfig.Optimizer.
var Optimizers = []string{"adam", "adamw", "sgd"}

// WithDefaults returns c with zero fields set to their defaults.
func (c OptimizerConfig) WithDefaults() OptimizerConfig {
	if c.Optimizer == "" {
		c.Optimizer = "adam"
	}
	c.Optimizer = strings.ToLower(c.Optimizer)
	if c.LRScheduler == "" {
		c.LRScheduler = "constant"
	}
	c.LRScheduler = strings.ToLower(c.LRScheduler)
	return c
}

// Validate reports the first field that cannot work.
func (c OptimizerConfig) Validate() error {
	c = c.WithDefaults()
	if !slices.Contains(Optimizers, c.Optimizer) {
		return fmt.Errorf("optimizer config: optimizer %q: want one of %s", c.Optimizer, strings.Join(Optimizers, ", "))
	}
	if c.WeightDecay < 0 || math.IsNaN(c.WeightDecay) {
		return fmt.Errorf("optimizer config: weight_decay %v: must be ≥ 0", c.WeightDecay)
	}
	if c.Momentum < 0 || c.Momentum >= 1 || math.IsNaN(c.Momentum) {
		return fmt.Errorf("optimizer config: momentum %v: want a value in [0, 1)", c.Momentum)
	}
	if c.GradientClip < 0 || math.IsNaN(c.GradientClip) {
		return fmt.Errorf("optimizer config: gradient_clip %v: must be ≥ 0", c.GradientClip)
	}
	return nil
}

// TrainerConfig drives the training loop.
type TrainerConfig struct {
	// BatchSize is the number of rows per step (default 64). Every row
	// trains in every epoch, the last batch holding the rest; a batch of
	// one row, 1 included, trains too, its batch normalisations using
	// their running statistics.
	BatchSize int `json:"batch_size,omitempty" yaml:"batch_size,omitempty"`
	// MaxEpochs bounds the number of passes over the data (default 10);
	// MinEpochs are run before early stopping may stop (0 and 1 both mean
	// that it may stop after any epoch).
	MaxEpochs int `json:"max_epochs,omitempty" yaml:"max_epochs,omitempty"`
	MinEpochs int `json:"min_epochs,omitempty" yaml:"min_epochs,omitempty"`
	// EarlyStopping names the validation figure to monitor ("valid_loss"
	// by default, or e.g. "valid_roc_auc", "valid_accuracy", "valid_rmse":
	// "valid_" and a figure the model's validation reports, which training
	// checks before its first epoch); "none" turns early stopping off.
	EarlyStopping string `json:"early_stopping,omitempty" yaml:"early_stopping,omitempty"`
	// EarlyStoppingMode is "min" or "max"; empty means the natural
	// direction of the monitored figure.
	EarlyStoppingMode string `json:"early_stopping_mode,omitempty" yaml:"early_stopping_mode,omitempty"`
	// EarlyStoppingPatience is the number of epochs without improvement
	// after which training stops, as in Lightning's EarlyStopping: with 3,
	// the third such epoch in a row is the last; with 0, the first is
	// (nil: 3).
	EarlyStoppingPatience *int `json:"early_stopping_patience,omitempty" yaml:"early_stopping_patience,omitempty"`
	// EarlyStoppingMinDelta is the smallest change that counts as an
	// improvement; 0 counts any (nil: 0.001).
	EarlyStoppingMinDelta *float64 `json:"early_stopping_min_delta,omitempty" yaml:"early_stopping_min_delta,omitempty"`
	// KeepLastWeights keeps the weights of the last epoch instead of
	// restoring those of the best validation epoch.
	KeepLastWeights bool `json:"keep_last_weights,omitempty" yaml:"keep_last_weights,omitempty"`
	// Seed makes shuffling and the validation split repeatable. 0 stands
	// for the default, 42, which is why the command line refuses -seed 0.
	Seed uint64 `json:"seed,omitempty" yaml:"seed,omitempty"`
	// Quiet turns off the one-line report per epoch.
	Quiet bool `json:"quiet,omitempty" yaml:"quiet,omitempty"`
	// Folds, when 2 or more, makes supervised training and fine-tuning
	// cross-fit an ensemble: the labelled rows (training and validation
	// rows together) are split into Folds parts, stratified for
	// classification, and one member is trained on all parts but each,
	// stopping early on the part it did not see. Every labelled row thus
	// trains and validates, and the members' predictions are averaged,
	// which steadies a model trained on few rows. 0 or 1 trains one model.
	Folds int `json:"folds,omitempty" yaml:"folds,omitempty"`
	// FoldRepeats repeats the cross-fitting with other splits of the rows
	// into folds, for Folds × FoldRepeats members (default 1).
	FoldRepeats int `json:"fold_repeats,omitempty" yaml:"fold_repeats,omitempty"`
}

// Members returns the number of models that training with c makes: one,
// or Folds × FoldRepeats for a cross-fitted ensemble.
func (c TrainerConfig) Members() int {
	if c.Folds < 2 {
		return 1
	}
	return c.Folds * max(c.FoldRepeats, 1)
}

// NoEarlyStopping is the EarlyStopping value that turns it off.
const NoEarlyStopping = "none"

// WithDefaults returns c with zero fields set to their defaults.
func (c TrainerConfig) WithDefaults() TrainerConfig {
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.MaxEpochs == 0 {
		c.MaxEpochs = 10
	}
	if c.MinEpochs == 0 {
		c.MinEpochs = 1
	}
	if c.EarlyStopping == "" {
		c.EarlyStopping = "valid_loss"
	}
	c.EarlyStoppingPatience = filled(c.EarlyStoppingPatience, DefaultPatience)
	c.EarlyStoppingMinDelta = filled(c.EarlyStoppingMinDelta, DefaultMinDelta)
	if c.Seed == 0 {
		c.Seed = 42
	}
	return c
}

// Patience returns EarlyStoppingPatience, or its default when unset.
func (c TrainerConfig) Patience() int { return or(c.EarlyStoppingPatience, DefaultPatience) }

// MinDelta returns EarlyStoppingMinDelta, or its default when unset.
func (c TrainerConfig) MinDelta() float64 { return or(c.EarlyStoppingMinDelta, DefaultMinDelta) }

// Validate reports the first field that cannot work.
func (c TrainerConfig) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.BatchSize < 1:
		return fmt.Errorf("trainer config: batch_size %d: must be ≥ 1", c.BatchSize)
	case c.MaxEpochs < 1:
		return fmt.Errorf("trainer config: max_epochs %d: must be ≥ 1", c.MaxEpochs)
	case c.MinEpochs < 0 || c.MinEpochs > c.MaxEpochs:
		return fmt.Errorf("trainer config: min_epochs %d: want 0..max_epochs (%d)", c.MinEpochs, c.MaxEpochs)
	case c.Patience() < 0:
		return fmt.Errorf("trainer config: early_stopping_patience %d: must be ≥ 0", c.Patience())
	case !(c.MinDelta() >= 0) || math.IsInf(c.MinDelta(), 0):
		return fmt.Errorf("trainer config: early_stopping_min_delta %v: must be a finite value ≥ 0", c.MinDelta())
	case c.Folds < 0 || c.Folds > maxFolds:
		return fmt.Errorf("trainer config: folds %d: want 0 or 1 (no cross-fitting) or 2..%d", c.Folds, maxFolds)
	case c.FoldRepeats < 0 || c.FoldRepeats > maxFolds:
		return fmt.Errorf("trainer config: fold_repeats %d: want 1..%d", c.FoldRepeats, maxFolds)
	case c.FoldRepeats > 1 && c.Folds < 2:
		return fmt.Errorf("trainer config: fold_repeats %d needs folds ≥ 2", c.FoldRepeats)
	}
	switch c.EarlyStoppingMode {
	case "", "min", "max":
	default:
		return fmt.Errorf("trainer config: early_stopping_mode %q: want \"min\" or \"max\"", c.EarlyStoppingMode)
	}
	if c.EarlyStopping != NoEarlyStopping && !strings.HasPrefix(c.EarlyStopping, "valid_") {
		return fmt.Errorf("trainer config: early_stopping %q: want a validation figure such as \"valid_loss\", or %q", c.EarlyStopping, NoEarlyStopping)
	}
	return nil
}

// maxFolds bounds Folds and FoldRepeats: an ensemble of more members
// than this costs more than it steadies.
const maxFolds = 100

// ErrTask is returned for a task other than classification or regression.
var ErrTask = errors.New(`task must be "classification" or "regression"`)

// Tasks of supervised models.
const (
	Classification = "classification"
	Regression     = "regression"
)

// ValidateTask checks a supervised task name.
func ValidateTask(task string) error {
	if task != Classification && task != Regression {
		return fmt.Errorf("task %q: %w", task, ErrTask)
	}
	return nil
}
