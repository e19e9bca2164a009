package fewlabel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
)

// Cell is the data of one run: a dataset, a seed and a label count.
type Cell struct {
	Data   *Dataset
	Seed   int
	Labels int
	// Train holds the labelled rows to fit on, Valid the labelled rows
	// held out for early stopping and for any choice the method makes, and
	// All both.
	Train, Valid, All *data.Table
}

// Method is one way of learning from a cell's rows.
type Method struct {
	Name string
	// Pretraining, when not nil, runs once per dataset and seed and is
	// shared by every method of the run with the same Key.
	Pretraining *Pretraining
	// Fit trains on the cell's labelled rows, starting from the pretrained
	// model when the method has a Pretraining, and returns its outputs.
	Fit func(ctx context.Context, c *Cell, pre *gotabular.TabularModel) (Outputs, error)
}

// Outputs are what a method gives for a cell.
type Outputs struct {
	// Test holds the outputs on the test rows: the positive class's
	// probability for a binary dataset, the prediction in the target's
	// units for regression.
	Test []float64
	// CV is the dataset's metric of the method's out-of-fold predictions
	// on the labelled rows, when it cross-fits, or NaN: a figure to
	// choose methods by without looking at the test rows.
	CV float64
	// Distillation is how close a distilled method's network came to its
	// ensemble on held-out unlabelled rows (nil for other methods): a
	// label-free figure to choose distillation settings by.
	Distillation *gotabular.Distillation
}

// Pretraining is a self-supervised training on every training row of a
// dataset, labels removed.
type Pretraining struct {
	Key string
	// PerCell pretrains for each label count apart, for a pretraining that
	// uses the labelled rows; otherwise the cell's label count and
	// labelled rows are not to be used.
	PerCell bool
	Run     func(ctx context.Context, c *Cell) (*gotabular.TabularModel, error)
}

// Record is the result of one run, as written by -json.
type Record struct {
	Dataset string  `json:"dataset"`
	Labels  int     `json:"labels"`
	Seed    int     `json:"seed"`
	Method  string  `json:"method"`
	Metric  string  `json:"metric"`
	Value   float64 `json:"value"`
	Seconds float64 `json:"seconds"`
	// PretrainSeconds is the time of the pretraining the run started
	// from, which it shares with the other runs of its dataset and seed.
	PretrainSeconds float64 `json:"pretrain_seconds,omitempty"`
	// CV is the metric of the out-of-fold predictions on the labelled
	// rows, for methods that cross-fit.
	CV *float64 `json:"cv,omitempty"`
	// Agreement and TeacherRMSE are a distilled network's closeness to
	// its ensemble on held-out unlabelled rows (gotabular.Distillation).
	Agreement   *float64 `json:"agreement,omitempty"`
	TeacherRMSE *float64 `json:"teacher_rmse,omitempty"`
}

// Options choose what Run runs.
type Options struct {
	Datasets []string
	Labels   []int
	Seeds    []int
	Methods  []Method
	// SplitsDir holds DATASET.json splits files; when empty, splits are
	// drawn and written to WriteSplitsDir.
	SplitsDir, WriteSplitsDir string
	// Progress receives a line per run; nil is silent.
	Progress io.Writer
	// Record, when not nil, is called with each record as it is made.
	Record func(Record) error
}

// Run runs every method on every cell and returns the records.
func Run(ctx context.Context, m *Manifest, o Options) ([]Record, error) {
	var out []Record
	say := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format, a...)
		}
	}
	for _, name := range o.Datasets {
		e, err := m.Entry(name)
		if err != nil {
			return out, err
		}
		var splits *Splits
		if o.SplitsDir != "" {
			if splits, err = ReadSplits(filepath.Join(o.SplitsDir, name+".json")); err != nil {
				return out, err
			}
		}
		d, err := Load(m, e, splits, o.Seeds, o.Labels)
		if err != nil {
			return out, err
		}
		if splits == nil {
			p, err := WriteSplits(o.WriteSplitsDir, d.Splits)
			if err != nil {
				return out, err
			}
			say("%s: drew new splits, written to %s\n", name, p)
		}
		pos, y, err := d.truth()
		if err != nil {
			return out, err
		}
		for _, seed := range o.Seeds {
			pre := map[string]*gotabular.TabularModel{}
			preSeconds := map[string]float64{}
			for _, n := range o.Labels {
				cell := &Cell{Data: d, Seed: seed, Labels: n}
				if cell.Train, cell.Valid, cell.All, err = d.Labelled(seed, n); err != nil {
					return out, err
				}
				for _, meth := range o.Methods {
					var start *gotabular.TabularModel
					var ps float64
					if p := meth.Pretraining; p != nil {
						key := p.Key
						if p.PerCell {
							key = fmt.Sprintf("%s/%d", key, n)
						}
						if pre[key] == nil {
							t0 := time.Now()
							model, err := p.Run(ctx, cell)
							if err != nil {
								return out, fmt.Errorf("%s, seed %d: pretraining for %s: %w", name, seed, meth.Name, err)
							}
							pre[key], preSeconds[key] = model, time.Since(t0).Seconds()
							say("%s seed %d: pretrained for %s in %.1f s\n", name, seed, meth.Name, preSeconds[key])
						}
						start, ps = pre[key], preSeconds[key]
					}
					t0 := time.Now()
					res, err := meth.Fit(ctx, cell, start)
					if err != nil {
						return out, fmt.Errorf("%s, seed %d, %d labels, method %s: %w", name, seed, n, meth.Name, err)
					}
					r := Record{Dataset: name, Labels: n, Seed: seed, Method: meth.Name, Metric: e.Metric(),
						Seconds: time.Since(t0).Seconds(), PretrainSeconds: ps}
					if !math.IsNaN(res.CV) && !math.IsInf(res.CV, 0) {
						r.CV = &res.CV
					}
					if d := res.Distillation; d != nil {
						if e.Kind() == Regression {
							r.TeacherRMSE = &d.TeacherRMSE
						} else {
							r.Agreement = &d.Agreement
						}
					}
					if r.Value, err = score(e, pos, y, res.Test); err != nil {
						return out, fmt.Errorf("%s, seed %d, %d labels, method %s: %w", name, seed, n, meth.Name, err)
					}
					say("%s seed %d labels %d %-24s %s %.4f  %.1f s\n", name, seed, n, meth.Name, r.Metric, r.Value, r.Seconds)
					out = append(out, r)
					if o.Record != nil {
						if err := o.Record(r); err != nil {
							return out, err
						}
					}
				}
			}
		}
	}
	return out, nil
}

// score computes the dataset's metric from a method's test outputs.
func score(e Entry, pos []bool, y, out []float64) (float64, error) {
	n := max(len(pos), len(y))
	if len(out) != n {
		return 0, fmt.Errorf("%d outputs for %d test rows", len(out), n)
	}
	for i, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("output %d for test row %d is not finite", i, i+1)
		}
	}
	if e.Kind() == Binary {
		return metrics.ROCAUC(pos, out)
	}
	return metrics.RMSE(y, out), nil
}

// WriteJSON writes the records to path as a JSON list, replacing the file
// in one rename so that a reader never sees half of it.
func WriteJSON(path string, rs []Record) error { return WriteJSONFile(path, rs) }

// WriteJSONFile writes v as indented JSON to path through a temporary
// file, so that a run killed while writing leaves the last whole file;
// the benchmarks call it after every run.
func WriteJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadJSON reads records written by WriteJSON.
func ReadJSON(path string) ([]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rs []Record
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rs, nil
}

// refResult is a record of the reference baselines' results files.
type refResult struct {
	Dataset     string   `json:"dataset"`
	Seed        int      `json:"seed"`
	Labels      int      `json:"labels"`
	XGBoostAUC  *float64 `json:"xgboost_auc"`
	LinearAUC   *float64 `json:"linear_auc"`
	XGBoostRMSE *float64 `json:"xgboost_rmse"`
	LinearRMSE  *float64 `json:"linear_rmse"`
}

// Names of the reference baselines read by ReadBaselines.
const (
	RefXGBoost = "ref-xgboost"
	RefLinear  = "ref-linear"
)

// ReadBaselines reads the reference results (one DATASET.json per dataset
// in dir, as made by the reference baselines script) of the given datasets
// as records of the methods RefXGBoost and RefLinear. A dataset without a
// file is skipped.
func ReadBaselines(dir string, datasets []string) ([]Record, error) {
	var out []Record
	for _, name := range datasets {
		path := filepath.Join(dir, name+".json")
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var rs []refResult
		if err := json.Unmarshal(b, &rs); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, r := range rs {
			add := func(method, metric string, v *float64) {
				if v != nil {
					out = append(out, Record{Dataset: r.Dataset, Labels: r.Labels, Seed: r.Seed, Method: method, Metric: metric, Value: *v})
				}
			}
			add(RefXGBoost, "roc_auc", r.XGBoostAUC)
			add(RefLinear, "roc_auc", r.LinearAUC)
			add(RefXGBoost, "rmse", r.XGBoostRMSE)
			add(RefLinear, "rmse", r.LinearRMSE)
		}
	}
	return out, nil
}
