// Package config holds the configuration structs shared by the library and
// the command line: what the data looks like, how to optimise, and how to
// run the training loop. Model configs live with their models.
//
// Zero values mean "use the default"; [DataConfig.WithDefaults] and friends
// fill them in, and Validate reports what cannot work, naming the field.
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
	// ContinuousCols and CategoricalCols name the feature columns. When
	// both are empty every column but the target is a feature, numeric
	// columns continuous and the others categorical.
	ContinuousCols  []string `json:"continuous_cols,omitempty" yaml:"continuous_cols,omitempty"`
	CategoricalCols []string `json:"categorical_cols,omitempty" yaml:"categorical_cols,omitempty"`
	// ValidationSplit is the fraction of the training rows held out for
	// validation when no validation data is given (default 0.2).
	ValidationSplit float64 `json:"validation_split,omitempty" yaml:"validation_split,omitempty"`
	// ScaleTarget standardises a regression target for training;
	// predictions are returned in the original units.
	ScaleTarget bool `json:"scale_target,omitempty" yaml:"scale_target,omitempty"`
	// ContinuousTransform is how continuous features are encoded, fitted
	// on the pretraining rows (or the training rows of a model trained
	// from scratch) and kept with the model: "standard" (the default)
	// subtracts the mean and divides by the standard deviation;
	// "quantile_normal" maps each value through the column's empirical
	// distribution onto a standard normal ("rank-gauss"), which tames
	// skewed and heavy-tailed columns and outliers.
	ContinuousTransform string `json:"continuous_transform,omitempty" yaml:"continuous_transform,omitempty"`
}

// The values of DataConfig.ContinuousTransform.
const (
	StandardTransform       = "standard"
	QuantileNormalTransform = "quantile_normal"
)

// ContinuousTransforms lists the accepted values of
// DataConfig.ContinuousTransform.
var ContinuousTransforms = []string{StandardTransform, QuantileNormalTransform}

// WithDefaults returns c with zero fields set to their defaults.
func (c DataConfig) WithDefaults() DataConfig {
	if c.ValidationSplit == 0 {
		c.ValidationSplit = 0.2
	}
	return c
}

// Validate reports the first field that cannot work.
func (c DataConfig) Validate() error {
	if len(c.Target) > 1 {
		return fmt.Errorf("data config: target: %d columns given (%s); one target column is supported", len(c.Target), strings.Join(c.Target, ", "))
	}
	if v := c.ValidationSplit; v < 0 || v >= 1 || math.IsNaN(v) {
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
}

// Optimizers lists the accepted values of OptimizerConfig.Optimizer.
var Optimizers = []string{"adam", "adamw", "sgd"}

// WithDefaults returns c with zero fields set to their defaults.
func (c OptimizerConfig) WithDefaults() OptimizerConfig {
	if c.Optimizer == "" {
		c.Optimizer = "adam"
	}
	c.Optimizer = strings.ToLower(c.Optimizer)
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
	// BatchSize is the number of rows per step (default 64).
	BatchSize int `json:"batch_size,omitempty" yaml:"batch_size,omitempty"`
	// MaxEpochs bounds the number of passes over the data (default 10);
	// MinEpochs are run before early stopping may stop (default 1).
	MaxEpochs int `json:"max_epochs,omitempty" yaml:"max_epochs,omitempty"`
	MinEpochs int `json:"min_epochs,omitempty" yaml:"min_epochs,omitempty"`
	// EarlyStopping names the validation figure to monitor ("valid_loss"
	// by default, or e.g. "valid_roc_auc", "valid_accuracy", "valid_rmse");
	// "none" turns early stopping off.
	EarlyStopping string `json:"early_stopping,omitempty" yaml:"early_stopping,omitempty"`
	// EarlyStoppingMode is "min" or "max"; empty means the natural
	// direction of the monitored figure.
	EarlyStoppingMode string `json:"early_stopping_mode,omitempty" yaml:"early_stopping_mode,omitempty"`
	// EarlyStoppingPatience is the number of epochs without improvement
	// before stopping (default 3).
	EarlyStoppingPatience int `json:"early_stopping_patience,omitempty" yaml:"early_stopping_patience,omitempty"`
	// EarlyStoppingMinDelta is the smallest change that counts as an
	// improvement (default 0.001).
	EarlyStoppingMinDelta float64 `json:"early_stopping_min_delta,omitempty" yaml:"early_stopping_min_delta,omitempty"`
	// KeepLastWeights keeps the weights of the last epoch instead of
	// restoring those of the best validation epoch.
	KeepLastWeights bool `json:"keep_last_weights,omitempty" yaml:"keep_last_weights,omitempty"`
	// Seed makes shuffling and the validation split repeatable (default 42).
	Seed uint64 `json:"seed,omitempty" yaml:"seed,omitempty"`
	// Quiet turns off the one-line report per epoch.
	Quiet bool `json:"quiet,omitempty" yaml:"quiet,omitempty"`
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
	if c.EarlyStoppingPatience == 0 {
		c.EarlyStoppingPatience = 3
	}
	if c.EarlyStoppingMinDelta == 0 {
		c.EarlyStoppingMinDelta = 0.001
	}
	if c.Seed == 0 {
		c.Seed = 42
	}
	return c
}

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
	case c.EarlyStoppingPatience < 0:
		return fmt.Errorf("trainer config: early_stopping_patience %d: must be ≥ 0", c.EarlyStoppingPatience)
	case c.EarlyStoppingMinDelta < 0 || math.IsNaN(c.EarlyStoppingMinDelta):
		return fmt.Errorf("trainer config: early_stopping_min_delta %v: must be ≥ 0", c.EarlyStoppingMinDelta)
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
