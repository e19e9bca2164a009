package data

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gotabular/gotabular/tensor"
)

// The tasks a [Target] can describe.
const (
	taskClassification = "classification"
	taskRegression     = "regression"
)

// Target encodes the label column. It is fitted on the labelled data only,
// separately from the [Preprocessor] of the features, because pretraining
// data has no labels; like the Preprocessor it is stored with a saved model.
type Target struct {
	Name    string   `json:"name"`
	Task    string   `json:"task"`              // "classification" or "regression"
	Classes []string `json:"classes,omitempty"` // classification: the labels in text form; a label's code is its index
	Scale   bool     `json:"scale,omitempty"`   // regression: train on the standardised target
	// Log models a regression target y ≥ 0 as log(1+y) (before Scale):
	// prices, counts and other skewed quantities vary by factors, which
	// the logarithm turns into steps of one size.
	Log  bool    `json:"log,omitempty"`
	Mean float64 `json:"mean,omitempty"`
	Std  float64 `json:"std,omitempty"`
	// LogMax is the largest log(1+y) of the training targets of a log
	// target. Predictions are capped at twice that target: a network's
	// output grows linearly beyond its training range, and its
	// exponential would be off by orders of magnitude.
	LogMax float64 `json:"log_max,omitempty"`
}

// FitTarget learns a [Target] for column name of t. task is
// "classification" or "regression".
//
// For classification the classes are the distinct labels in text form,
// sorted: numerically if every label is a number (so that "10" follows
// "9"), otherwise as strings. There must be at least two. For regression
// the column must be numeric; Mean and Std are its mean and population
// standard deviation (Std 1 for a constant target), applied by
// [Target.Encode] only if scale is true. A missing target value is an
// error.
func FitTarget(t *Table, name, task string, scale bool) (*Target, error) {
	return FitTargetWith(t, name, task, TargetOptions{Scale: scale})
}

// TargetOptions say how [FitTargetWith] encodes a regression target.
type TargetOptions struct {
	// Scale standardises the target; Log models log(1+y) instead of y,
	// for a target that is never negative. See [Target].
	Scale, Log bool
}

// FitTargetWith is [FitTarget] with the options of a regression target;
// with Log, a negative value is an error naming its row.
func FitTargetWith(t *Table, name, task string, opt TargetOptions) (*Target, error) {
	scale := opt.Scale
	if task != taskClassification && task != taskRegression {
		return nil, fmt.Errorf("target %q: unknown task %q (want %q or %q)", name, task, taskClassification, taskRegression)
	}
	c, err := column(t, name)
	if err != nil {
		return nil, err
	}
	if t.Rows == 0 {
		return nil, fmt.Errorf("target %q: %s has no rows", name, t.source())
	}
	for i := range t.Rows {
		if c.Missing(i) {
			return nil, missingTarget(t, name, i)
		}
	}
	g := &Target{Name: name, Task: task}
	if task == taskRegression {
		vals, err := numbers(t, c)
		if err != nil {
			return nil, err
		}
		g.Scale, g.Log = scale, opt.Log
		if g.Log {
			logged := make([]float32, len(vals))
			for i, v := range vals {
				if logged[i], err = g.logOf(t, i, v); err != nil {
					return nil, err
				}
			}
			vals = logged
			for _, v := range vals {
				g.LogMax = max(g.LogMax, float64(v))
			}
		}
		g.Mean, g.Std = meanStd(vals)
		return g, nil
	}
	if opt.Log {
		return nil, fmt.Errorf("target %q: a log target is for regression, and the task is %s", name, task)
	}
	g.Classes = levels(c)
	if len(g.Classes) < 2 {
		return nil, fmt.Errorf("target %q in %s has a single class %q: classification needs at least two", name, t.source(), g.Classes[0])
	}
	sortClasses(g.Classes)
	return g, nil
}

// sortClasses orders numeric labels by value; levels come sorted as text.
func sortClasses(classes []string) {
	nums := make(map[string]float32, len(classes))
	for _, s := range classes {
		v, ok := parseFloat32(s)
		if !ok {
			return
		}
		nums[s] = v
	}
	slices.SortStableFunc(classes, func(a, b string) int { return cmp.Compare(nums[a], nums[b]) })
}

// Validate checks a Target decoded from a file.
func (g *Target) Validate() error {
	if g == nil {
		return errors.New("target: missing")
	}
	if g.Name == "" {
		return errors.New("target: empty name")
	}
	if g.Log && g.Task != taskRegression {
		return fmt.Errorf("target %q: log is set, but the task is %s", g.Name, g.Task)
	}
	if !(g.LogMax >= 0) || math.IsInf(g.LogMax, 0) || g.LogMax > 0 && !g.Log {
		return fmt.Errorf("target %q: log_max is %v", g.Name, g.LogMax)
	}
	switch g.Task {
	case taskClassification:
		if len(g.Classes) < 2 {
			return fmt.Errorf("target %q: %d classes, classification needs at least two", g.Name, len(g.Classes))
		}
		seen := make(map[string]int, len(g.Classes))
		for i, s := range g.Classes {
			if k, dup := seen[s]; dup {
				return fmt.Errorf("target %q: class %q appears twice (classes[%d] and classes[%d])", g.Name, s, k, i)
			}
			seen[s] = i
		}
		if len(g.Classes) > math.MaxInt32 {
			return fmt.Errorf("target %q: %d classes are too many", g.Name, len(g.Classes))
		}
	case taskRegression:
		if !g.Scale {
			return nil
		}
		if math.IsNaN(g.Mean) || math.IsInf(g.Mean, 0) {
			return fmt.Errorf("target %q: mean is %v", g.Name, g.Mean)
		}
		if !(g.Std > 0) || math.IsInf(g.Std, 0) {
			return fmt.Errorf("target %q: std is %v", g.Name, g.Std)
		}
	default:
		return fmt.Errorf("target %q: unknown task %q (want %q or %q)", g.Name, g.Task, taskClassification, taskRegression)
	}
	return nil
}

// Encode fills d.Labels (classification) or d.Targets (regression, N×1,
// standardised if g.Scale) from t, which must be the table d was made from.
// A missing value, a label not seen by [FitTarget] and a regression value
// that is not a number are errors naming the row.
func (g *Target) Encode(t *Table, d *Dataset) error {
	if d.N != t.Rows {
		return fmt.Errorf("target %q: the dataset has %d rows, %s has %d", g.Name, d.N, t.source(), t.Rows)
	}
	c, err := column(t, g.Name)
	if err != nil {
		return err
	}
	switch g.Task {
	case taskRegression:
		vals, err := numbers(t, c)
		if err != nil {
			return err
		}
		y := tensor.New(t.Rows, 1)
		for i, v := range vals {
			if isNaN32(v) {
				return missingTarget(t, g.Name, i)
			}
			if g.Log {
				if v, err = g.logOf(t, i, v); err != nil {
					return err
				}
			}
			y.Data[i] = v
			if g.Scale {
				y.Data[i] = float32((float64(v) - g.Mean) / g.Std)
				if math.IsInf(float64(y.Data[i]), 0) {
					return &Error{Source: t.source(), Row: i + 1, Column: g.Name,
						Err: fmt.Errorf("%s is too far from the fitted targets (mean %.4g, standard deviation %.4g) to be scaled as a float32", formatFloat32(v), g.Mean, g.Std)}
				}
			}
		}
		d.Targets, d.Labels = y, nil
	case taskClassification:
		index := make(map[string]int32, len(g.Classes))
		for k, s := range g.Classes {
			// Codes are shifted by one so that 0 means "not a class".
			index[s] = int32(k + 1)
		}
		labels := make([]int32, t.Rows)
		for i := range labels {
			s, ok := c.Text(i)
			if !ok {
				return missingTarget(t, g.Name, i)
			}
			code := lookupLevel(index, s)
			if code == 0 {
				return &Error{Source: t.source(), Row: i + 1, Column: g.Name,
					Err: fmt.Errorf("label %q was not seen in training (the classes are %s)", s, quotedList(g.Classes, 20))}
			}
			labels[i] = code - 1
		}
		d.Labels, d.Targets = labels, nil
	default:
		return fmt.Errorf("target %q: unknown task %q", g.Name, g.Task)
	}
	return nil
}

// Unscale returns a regression output v in the target's original units.
func (g *Target) Unscale(v float32) float64 {
	y := float64(v)
	if g.Scale {
		y = y*g.Std + g.Mean
	}
	if g.Log {
		return math.Expm1(min(max(y, 0), g.LogMax+math.Ln2))
	}
	return y
}

// logOf returns log(1+v) for a log target, or an error naming row i of t
// when v is negative.
func (g *Target) logOf(t *Table, i int, v float32) (float32, error) {
	if v < 0 {
		return 0, &Error{Source: t.source(), Row: i + 1, Column: g.Name,
			Err: fmt.Errorf("%v is negative, and a log target must be ≥ 0", v)}
	}
	return float32(math.Log1p(float64(v))), nil
}

func missingTarget(t *Table, name string, i int) error {
	return &Error{Source: t.source(), Row: i + 1, Column: name, Err: errors.New("the target value is missing")}
}
