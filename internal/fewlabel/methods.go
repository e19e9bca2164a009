package fewlabel

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/ssl"
)

// Recipe is everything the gotabular and scratch methods do: how to
// pretrain and how to fine-tune. Levers change it.
type Recipe struct {
	// Data holds the data settings of pretraining (the transform of
	// continuous inputs, say); the target and feature lists are the
	// dataset's.
	Data config.DataConfig
	// SSL returns the self-supervised method, with the network's
	// embedding and encoder, initialised from seed.
	SSL func(seed uint64) ssl.Config
	// PretrainTrainer and PretrainOptimizer drive pretraining.
	PretrainTrainer   config.TrainerConfig
	PretrainOptimizer config.OptimizerConfig
	// Finetune drives fine-tuning; its Train, Validation, Task and Target
	// are filled in per cell.
	Finetune gotabular.FinetuneOptions
	Run      gotabular.FinetuneRun
	// TargetAware, when set, pretrains for each label count with a
	// supervised loss on the labelled rows to fit on (not the validation
	// rows, which stay unseen until fine-tuning stops on them).
	TargetAware *gotabular.TargetAware

	probe bool
	// distil scores the fine-tuned model's one-network student.
	distil bool
	// holdout fine-tunes on the rows to fit alone and gives as CV the
	// metric on the validation rows, which no member saw or stopped on.
	holdout bool
	// pick fine-tunes from the pretrained weights or from another start,
	// whichever the holdout figure prefers: initial weights, or with
	// pickSet a model pretrained with that setting.
	pick    bool
	pickSet *sslSetting
}

// DefaultRecipe returns the recipe of the gotabular method: what
// `gotabular pretrain` and `gotabular finetune` do with no flags.
func DefaultRecipe() Recipe {
	net := gotabular.DefaultNetwork()
	newSSL := func(seed uint64) ssl.Config {
		c := net.DAE()
		c.Seed = seed
		return c
	}
	pt := gotabular.DefaultPretrainTrainer()
	pt.Quiet = true
	ft := gotabular.DefaultFinetuneOptions()
	tc := *ft.Trainer
	tc.Quiet = true
	ft.Trainer = &tc
	return Recipe{Data: gotabular.DefaultDataConfig(), SSL: newSSL, PretrainTrainer: pt, Finetune: ft}
}

// Lever is a change to the recipe, named in a method as base+lever, or
// base+lever=value for a lever that takes a value.
type Lever struct {
	Doc string
	// Arg names the value the lever takes ("" for none).
	Arg   string
	Apply func(r *Recipe, arg string) error
}

var levers = map[string]Lever{}

// registerLever adds a lever; the package's levers call it from init.
func registerLever(name string, l Lever) {
	if _, dup := levers[name]; dup {
		panic("fewlabel: lever " + name + " registered twice")
	}
	levers[name] = l
}

// Bases are the methods a method name starts with.
var Bases = map[string]string{
	"gotabular": "the default recipe: pretrain on all training rows, fine-tune on the labelled ones",
	"scratch":   "the default recipe's network and fine-tuning, without pretraining",
	"linear":    linearUsage,
}

// Help lists the bases and levers for -h.
func Help() string {
	var b strings.Builder
	b.WriteString("Methods are a base, optionally followed by levers joined with '+', such as gotabular+ple:\n")
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range Bases {
			if !yield(k) {
				return
			}
		}
	})
	for _, n := range names {
		fmt.Fprintf(&b, "  %-16s %s\n", n, Bases[n])
	}
	if len(levers) > 0 {
		b.WriteString("Levers:\n")
		var ls []string
		for k := range levers {
			ls = append(ls, k)
		}
		sort.Strings(ls)
		for _, n := range ls {
			l := levers[n]
			if l.Arg != "" {
				n += "=" + l.Arg
			}
			fmt.Fprintf(&b, "  +%-15s %s\n", n, l.Doc)
		}
	}
	return b.String()
}

// ParseMethod builds the method a name describes.
func ParseMethod(name string) (Method, error) {
	parts := strings.Split(name, "+")
	base := parts[0]
	if _, ok := Bases[base]; !ok {
		return Method{}, fmt.Errorf("method %q: unknown base %q\n%s", name, base, Help())
	}
	if base == "linear" {
		if len(parts) > 1 {
			return Method{}, fmt.Errorf("method %q: the linear baseline takes no levers", name)
		}
		return linearMethod(), nil
	}
	r := DefaultRecipe()
	for _, l := range parts[1:] {
		l, arg, hasArg := strings.Cut(l, "=")
		lv, ok := levers[l]
		if !ok {
			return Method{}, fmt.Errorf("method %q: unknown lever %q\n%s", name, l, Help())
		}
		if hasArg != (lv.Arg != "") {
			if hasArg {
				return Method{}, fmt.Errorf("method %q: lever %s takes no value", name, l)
			}
			return Method{}, fmt.Errorf("method %q: lever %s needs a value: %s=%s", name, l, l, lv.Arg)
		}
		if err := lv.Apply(&r, arg); err != nil {
			return Method{}, fmt.Errorf("method %q: lever %s: %w", name, l, err)
		}
	}
	return r.method(name, base == "scratch")
}

// method turns a recipe into a benchmark method. Without pretraining the
// network is the fine-tuning network with fresh weights.
func (r Recipe) method(name string, scratch bool) (Method, error) {
	key, err := r.pretrainKey()
	if err != nil {
		return Method{}, err
	}
	if scratch {
		key = "fresh:" + key
	}
	if r.TargetAware != nil {
		key += fmt.Sprintf("target-aware:%+v", *r.TargetAware)
	}
	p := &Pretraining{Key: key, PerCell: r.TargetAware != nil && !scratch, Run: func(ctx context.Context, c *Cell) (*gotabular.TabularModel, error) {
		return r.pretrain(ctx, c, scratch)
	}}
	if r.probe {
		return Method{Name: name, Pretraining: p, Fit: r.probeFit}, nil
	}
	return Method{Name: name, Pretraining: p, Fit: r.fit}, nil
}

// pretrainKey identifies the pretraining of a recipe: methods whose
// recipes pretrain alike share one.
func (r Recipe) pretrainKey() (string, error) {
	sc, err := ssl.MarshalConfig(r.SSL(1))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(struct {
		Data      config.DataConfig
		SSL       json.RawMessage
		Trainer   config.TrainerConfig
		Optimizer config.OptimizerConfig
	}{r.Data, sc, r.PretrainTrainer, r.PretrainOptimizer})
	return string(b), err
}

// pretrain trains the recipe's self-supervised model on every training
// row, labels removed; with fresh set it only fits the preprocessing and
// initialises the network, for training from scratch.
func (r Recipe) pretrain(ctx context.Context, c *Cell, fresh bool) (*gotabular.TabularModel, error) {
	d, seed := c.Data, c.Seed
	dc := r.Data
	dc.Target = nil
	dc.ContinuousCols, dc.CategoricalCols = d.Continuous, d.Categorical
	tc := r.PretrainTrainer
	tc.Seed = uint64(seed)
	m, err := gotabular.New(dc, r.SSL(uint64(seed)), r.PretrainOptimizer, tc)
	if err != nil {
		return nil, err
	}
	m.Progress = nil
	if fresh {
		return m, m.Initialize(d.Unlabelled())
	}
	if ta := r.TargetAware; ta != nil {
		o := *ta
		o.Labelled, o.Target, o.Task = c.Train, d.Entry.Target, task(d)
		return m, m.PretrainTargetAware(ctx, d.Unlabelled(), nil, o)
	}
	return m, m.Pretrain(ctx, d.Unlabelled(), nil)
}

// fit fine-tunes a copy of the pretrained model on the cell's labelled
// rows and returns its test outputs.
func (r Recipe) fit(ctx context.Context, c *Cell, pre *gotabular.TabularModel) (Outputs, error) {
	if r.pick {
		return r.pickFit(ctx, c, pre)
	}
	d := c.Data
	o := r.Finetune
	o.Train, o.Validation, o.Target = c.Train, c.Valid, d.Entry.Target
	if r.holdout {
		o.Validation = nil // the members cross-fit the rows to fit; the validation rows score them
	}
	seed := uint64(c.Seed)
	o.Task = task(d)
	if o.PseudoLabels > 0 {
		if d.Entry.Kind() == Binary {
			o.Unlabelled = d.Unlabelled()
		} else {
			o.PseudoLabels = 0 // self-training chooses rows by confidence, which a regression lacks
		}
	}
	o.Seed = seed
	if o.Trainer != nil {
		tc := *o.Trainer
		tc.Seed = seed
		if tc.EarlyStopping == taskMetric {
			tc.EarlyStopping = "valid_" + d.Entry.Metric()
		}
		o.Trainer = &tc
	}
	ft, err := pre.CreateFinetuneModel(o)
	if err != nil {
		return Outputs{}, err
	}
	ft.Progress = nil
	if err := ft.Finetune(ctx, r.Run); err != nil {
		return Outputs{}, err
	}
	cv := math.NaN()
	if v, ok := ft.CrossValidation[d.Entry.Metric()]; ok {
		cv = v
	}
	if r.holdout {
		if cv, err = holdoutScore(ft, c); err != nil {
			return Outputs{}, err
		}
	}
	if r.distil {
		tc := gotabular.DefaultDistilTrainer()
		tc.Seed, tc.Quiet = seed, true
		if ft, err = ft.Distil(ctx, d.Unlabelled(), gotabular.DistilOptions{Trainer: &tc}); err != nil {
			return Outputs{}, err
		}
		ft.Progress = nil
	}
	test, err := outputs(ft, d)
	return Outputs{Test: test, CV: cv, Distillation: ft.Distillation}, err
}

// pickFit fine-tunes from the pretrained model or from the other start
// (pickStart), whichever scores better on the validation rows when
// fine-tuned on the rows to fit alone (as the holdout lever does), on all
// the labelled rows.
func (r Recipe) pickFit(ctx context.Context, c *Cell, pre *gotabular.TabularModel) (Outputs, error) {
	other, err := r.pickStart(ctx, c)
	if err != nil {
		return Outputs{}, err
	}
	ho := r
	ho.pick, ho.holdout, ho.distil = false, true, false
	a, err := ho.fit(ctx, c, pre)
	if err != nil {
		return Outputs{}, err
	}
	b, err := ho.fit(ctx, c, other)
	if err != nil {
		return Outputs{}, err
	}
	start := pre
	if better(c.Data.Entry, b.CV, a.CV) {
		start = other
	}
	r.pick = false
	return r.fit(ctx, c, start)
}

// pickStart is the start pick weighs against the recipe's pretrained
// model: the network's initial weights, or a model pretrained with the
// recipe's SSL setting changed by pickSet. It is pretrained for each cell
// from the cell's seed, so both label counts of a seed start from the same
// weights.
func (r Recipe) pickStart(ctx context.Context, c *Cell) (*gotabular.TabularModel, error) {
	if r.pickSet == nil {
		return r.pretrain(ctx, c, true)
	}
	alt := r
	if err := alt.setting(r.pickSet.key, r.pickSet.value); err != nil {
		return nil, err
	}
	return alt.pretrain(ctx, c, false)
}

// better reports whether figure a of the dataset's metric is better than b.
func better(e Entry, a, b float64) bool {
	if e.Kind() == Regression {
		return a < b
	}
	return a > b
}

// task is the library's task of a dataset.
func task(d *Dataset) string {
	if d.Entry.Kind() == Regression {
		return config.Regression
	}
	return config.Classification
}

// holdoutScore is the dataset's metric of a model on the cell's
// validation rows.
func holdoutScore(m *gotabular.TabularModel, c *Cell) (float64, error) {
	d := c.Data
	out, err := outputsOn(m, d, c.Valid)
	if err != nil {
		return 0, err
	}
	pos, y, err := d.truthOf(c.Valid, "validation")
	if err != nil {
		return 0, err
	}
	return score(d.Entry, pos, y, out)
}

// outputs returns a trained model's outputs on the test rows.
func outputs(m *gotabular.TabularModel, d *Dataset) ([]float64, error) {
	return outputsOn(m, d, d.Test)
}

// outputsOn returns a trained model's outputs on rows of the dataset: the
// positive class's probability, or the prediction.
func outputsOn(m *gotabular.TabularModel, d *Dataset, t *data.Table) ([]float64, error) {
	p, err := m.Predict(t)
	if err != nil {
		return nil, err
	}
	if d.Entry.Kind() == Regression {
		return p.Values, nil
	}
	k := slices.Index(p.Classes, d.Positive)
	if k < 0 {
		return nil, fmt.Errorf("the positive class %q is not among the model's classes %v", d.Positive, p.Classes)
	}
	out := make([]float64, t.Rows)
	for i := range out {
		out[i] = float64(p.Probabilities.At(i, k))
	}
	return out, nil
}
