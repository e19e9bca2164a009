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
	Mean    float64  `json:"mean,omitempty"`
	Std     float64  `json:"std,omitempty"`
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
		g.Scale = scale
		g.Mean, g.Std = meanStd(vals)
		return g, nil
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
			y.Data[i] = v
			if g.Scale {
				y.Data[i] = float32((float64(v) - g.Mean) / g.Std)
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
	if !g.Scale {
		return float64(v)
	}
	return float64(v)*g.Std + g.Mean
}

func missingTarget(t *Table, name string, i int) error {
	return &Error{Source: t.source(), Row: i + 1, Column: name, Err: errors.New("the target value is missing")}
}
