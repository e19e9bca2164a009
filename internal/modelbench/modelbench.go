// Package modelbench runs `gotabular bench models`: every backbone
// trained from scratch on all the labelled rows of a dataset and scored on
// its test rows, over several seeds, with the time an epoch takes. It
// measures the architectures against each other and against the published
// figures for them, where the few-label benchmark measures pretraining.
//
// The models are the registered backbones with their default configs, so
// that a new backbone package joins the benchmark without an edit here, and
// any of them with a numerical embedding ("+plr").
package modelbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/internal/fewlabel"
	"github.com/gotabular/gotabular/models"
)

// Protocol constants: a dataset without a test file loses a fixed 20% of
// its rows to the test set, the same rows for every seed; each seed then
// holds out 20% of the training rows to stop early on.
const (
	TestFraction  = 0.2
	ValidFraction = 0.2
	// TestSplitSeed draws the test rows of a dataset without a test file.
	TestSplitSeed = 2021
)

// Defaults of the training loop, after the protocol of Gorishniy et al.
// (2021): batches of 256, early stopping on the validation accuracy (the
// loss for regression) with a patience of 16 epochs, the best epoch's
// weights kept.
const (
	DefaultEpochs    = 100
	DefaultPatience  = 16
	DefaultBatchSize = 256
)

// PLR is the suffix of a model name that embeds each continuous feature
// with periodic embeddings.
const PLR = "+plr"

// Model is one row of the benchmark: a backbone with its default config,
// and the embedding of the row it reads, with the settings its name
// changes.
type Model struct {
	Name      string
	Backbone  models.BackboneConfig
	Embedding models.EmbeddingConfig
	// LearningRate (0: the default, 1e-3) and Optimizer, for +lr and +wd.
	LearningRate float64
	Optimizer    config.OptimizerConfig
}

// Embedding is what every model's embedding layer does with a row:
// categorical columns of at most 4 levels one-hot, others learned
// embeddings of PyTorch Tabular's widths; continuous columns, mapped onto
// a normal distribution by rank beforehand, as they are.
func Embedding() models.EmbeddingConfig {
	return models.EmbeddingConfig{MaxOnehotCardinality: 4}
}

// PLREmbedding is the embedding of a "+plr" model: the paper's PLR (a
// Linear per feature, not the shared "lite" one), with the frequency scale
// of the project's default network.
func PLREmbedding() models.EmbeddingConfig {
	e := Embedding()
	e.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, FrequencyScale: gotabular.DefaultNetwork().Embedding.NumEmbedding.FrequencyScale, PerFeatureLinear: true}
	return e
}

// DefaultModels lists every registered backbone and the MLP with PLR
// embeddings.
func DefaultModels() []string {
	return append(models.Backbones(), "CategoryEmbedding"+PLR)
}

// OptionsHelp lists the options of a model name, after its backbone and
// '+', for choosing settings on the validation rows: plr or plr=SIGMA
// (PLR embeddings with that frequency scale), lr=RATE, wd=W (AdamW with
// decoupled weight decay W), drop=P (the backbone's dropout), onehot=N
// (the most levels of a one-hot category), and FIELD=VALUE for any field
// of the backbone's config.
const OptionsHelp = "plr, plr=SIGMA, lr=RATE, wd=W (AdamW), drop=P (the backbone's dropout), onehot=N (categories of at most N levels one-hot, others embedded; default 4) and FIELD=VALUE (a field of the backbone's config by its JSON name, e.g. layers=512-256)"

// ParseModel builds the model a name describes: a registered backbone's
// name, optionally followed by options joined with '+' (see OptionsHelp),
// such as CategoryEmbedding+plr=0.3+lr=3e-4.
func ParseModel(name string) (Model, error) {
	parts := strings.Split(name, "+")
	base := parts[0]
	if !slices.Contains(models.Backbones(), base) {
		return Model{}, fmt.Errorf("model %q: no backbone %q; the registered ones are %s, each optionally followed by options: %s", name, base, strings.Join(models.Backbones(), ", "), OptionsHelp)
	}
	raw, err := json.Marshal(struct {
		Name   string          `json:"name"`
		Config json.RawMessage `json:"config"`
	}{base, json.RawMessage("{}")})
	if err != nil {
		return Model{}, err
	}
	// An empty config is the backbone's defaults.
	bc, err := models.UnmarshalBackbone(raw)
	if err != nil {
		return Model{}, fmt.Errorf("model %q: %w", name, err)
	}
	m := Model{Name: name, Backbone: bc, Embedding: Embedding()}
	for _, opt := range parts[1:] {
		key, arg, hasArg := strings.Cut(opt, "=")
		v, perr := strconv.ParseFloat(arg, 64)
		bad := func(want string) error {
			return fmt.Errorf("model %q: option %s: %q is not %s", name, key, arg, want)
		}
		switch {
		case key == "plr":
			m.Embedding = PLREmbedding()
			if hasArg {
				if perr != nil || !(v > 0) {
					return Model{}, bad("a frequency scale > 0")
				}
				m.Embedding.NumEmbedding.FrequencyScale = v
			}
		case key == "onehot" && hasArg:
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return Model{}, bad("a number of levels ≥ 0")
			}
			m.Embedding.MaxOnehotCardinality = n
		case key == "lr" && hasArg:
			if perr != nil || !(v > 0) {
				return Model{}, bad("a rate > 0")
			}
			m.LearningRate = v
		case key == "wd" && hasArg:
			if perr != nil || !(v >= 0) {
				return Model{}, bad("a decay ≥ 0")
			}
			m.Optimizer = config.OptimizerConfig{Optimizer: "adamw", WeightDecay: v}
		case key == "drop" && hasArg:
			ds, ok := m.Backbone.(models.DropoutSetter)
			if !ok {
				return Model{}, fmt.Errorf("model %q: backbone %s has no dropout to set", name, base)
			}
			if perr != nil || !(v >= 0 && v < 1) {
				return Model{}, bad("a probability in [0, 1)")
			}
			m.Backbone = ds.WithDropout(v)
		case hasArg:
			bc, err := setField(m.Backbone, key, arg)
			if err != nil {
				return Model{}, fmt.Errorf("model %q: %w; the options are %s", name, err, OptionsHelp)
			}
			m.Backbone = bc
		default:
			return Model{}, fmt.Errorf("model %q: unknown option %q; the options are %s", name, opt, OptionsHelp)
		}
	}
	if err := m.Backbone.Validate(); err != nil {
		return Model{}, fmt.Errorf("model %q: %w", name, err)
	}
	return m, nil
}

// setField returns c with its field of JSON name key set to value, read
// as JSON (a number, true or false) or, for a string field, as it is.
func setField(c models.BackboneConfig, key, value string) (models.BackboneConfig, error) {
	v := reflect.New(reflect.TypeOf(c)).Elem()
	v.Set(reflect.ValueOf(c))
	var names []string
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		names = append(names, tag)
		if tag != key {
			continue
		}
		f := v.Field(i)
		if f.Kind() == reflect.String {
			f.SetString(value)
		} else if err := json.Unmarshal([]byte(value), f.Addr().Interface()); err != nil {
			return nil, fmt.Errorf("option %s=%s: %v", key, value, err)
		}
		return v.Interface().(models.BackboneConfig), nil
	}
	return nil, fmt.Errorf("unknown option %q: not one of the options nor a field of %s (%s)", key, c.Name(), strings.Join(names, ", "))
}

// Options choose what Run runs.
type Options struct {
	Datasets []string
	Models   []Model
	Seeds    []int
	// Epochs bounds each run's epochs; Patience and BatchSize as in
	// config.TrainerConfig. Zero values take the defaults.
	Epochs, Patience, BatchSize int
	// Progress receives a line per run; nil is silent.
	Progress io.Writer
	// Record, when not nil, is called with each record as it is made.
	Record func(Record) error
}

func (o Options) withDefaults() Options {
	if o.Epochs == 0 {
		o.Epochs = DefaultEpochs
	}
	if o.Patience == 0 {
		o.Patience = DefaultPatience
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	return o
}

// Record is the result of one run, as written by -json.
type Record struct {
	Dataset string `json:"dataset"`
	Model   string `json:"model"`
	Seed    int    `json:"seed"`
	// Metric is "accuracy" for classification, "rmse" for regression;
	// Value its figure on the test rows.
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Valid is the same figure on the validation rows at the best epoch:
	// what settings are chosen by, the test rows being for reporting.
	Valid float64 `json:"valid"`
	// Epochs trained, the best one (whose weights were kept), and the
	// mean time of an epoch: its training pass and its validation pass.
	Epochs          int     `json:"epochs"`
	BestEpoch       int     `json:"best_epoch"`
	SecondsPerEpoch float64 `json:"seconds_per_epoch"`
	Seconds         float64 `json:"seconds"`
}

// Dataset is a dataset read for the benchmark.
type Dataset struct {
	Entry fewlabel.Entry
	// Train holds the training rows, Test the test rows.
	Train, Test *data.Table
	// Continuous and Categorical name the feature columns.
	Continuous, Categorical []string
	// Split says where the test rows come from, for the report.
	Split string
}

// Task returns the library's task of the dataset.
func (d *Dataset) Task() string {
	if d.Entry.Kind() == fewlabel.Regression {
		return config.Regression
	}
	return config.Classification
}

// Metric names the figure the dataset is scored by.
func (d *Dataset) Metric() string {
	if d.Task() == config.Regression {
		return "rmse"
	}
	return "accuracy"
}

// Load reads a dataset of the manifest: categorical columns and a
// classification target as text, other columns as numbers (a missing
// value stays missing, for the preprocessing to impute). The test rows are
// test.csv when there is one, else a fixed TestFraction of data.csv.
func Load(m *fewlabel.Manifest, e fewlabel.Entry) (*Dataset, error) {
	dir := filepath.Join(filepath.Dir(m.Path), e.Name)
	opt := data.ReadOptions{Kinds: map[string]data.Kind{}}
	for _, f := range e.Files {
		for _, c := range f.Columns {
			opt.Kinds[c] = data.Continuous
		}
	}
	for _, c := range e.Categorical {
		opt.Kinds[c] = data.Categorical
	}
	d := &Dataset{Entry: e}
	opt.Kinds[e.Target] = data.Continuous
	if d.Task() == config.Classification {
		opt.Kinds[e.Target] = data.Categorical
	}
	read := func(name string) (*data.Table, error) { return data.ReadCSV(filepath.Join(dir, name), opt) }
	var err error
	if e.TrainTest() {
		if d.Train, err = read("train.csv"); err != nil {
			return nil, err
		}
		if d.Test, err = read("test.csv"); err != nil {
			return nil, err
		}
		d.Split = fmt.Sprintf("train.csv (%d rows), test.csv (%d rows)", d.Train.Rows, d.Test.Rows)
	} else {
		all, err := read("data.csv")
		if err != nil {
			return nil, err
		}
		test, train := split(all.Rows, TestFraction, TestSplitSeed)
		d.Train, d.Test = all.Take(train), all.Take(test)
		d.Split = fmt.Sprintf("data.csv split %.0f/%.0f with seed %d (%d training rows, %d test rows; the same for every seed)",
			100*(1-TestFraction), 100*TestFraction, TestSplitSeed, d.Train.Rows, d.Test.Rows)
	}
	for _, c := range d.Train.Columns {
		switch {
		case c.Name == e.Target:
		case c.Kind == data.Categorical:
			d.Categorical = append(d.Categorical, c.Name)
		default:
			d.Continuous = append(d.Continuous, c.Name)
		}
	}
	if _, err := d.Train.Col(e.Target); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", e.Name, err)
	}
	return d, nil
}

// split shuffles 0..n−1 with seed and returns the first fraction of them
// and the rest, each in increasing order.
func split(n int, fraction float64, seed uint64) (first, rest []int) {
	perm := rand.New(rand.NewPCG(seed, 0x5b1)).Perm(n)
	k := int(math.Round(fraction * float64(n)))
	first, rest = perm[:k], perm[k:]
	slices.Sort(first)
	slices.Sort(rest)
	return first, rest
}

// Fit trains one model on the dataset's training rows, seed choosing the
// validation rows, the initial weights and the batches.
func Fit(ctx context.Context, d *Dataset, mod Model, seed int, o Options) (*gotabular.TabularModel, error) {
	o = o.withDefaults()
	valid, fit := split(d.Train.Rows, ValidFraction, uint64(seed))
	dc := gotabular.DefaultDataConfig()
	dc.Target = []string{d.Entry.Target}
	dc.ContinuousCols, dc.CategoricalCols = d.Continuous, d.Categorical
	mc := models.Config{Task: d.Task(), Backbone: mod.Backbone, Embedding: mod.Embedding, Seed: uint64(seed), LearningRate: mod.LearningRate}
	monitor := "valid_" + d.Metric()
	if d.Task() == config.Regression {
		monitor = "valid_loss"
	}
	tc := config.TrainerConfig{BatchSize: o.BatchSize, MaxEpochs: o.Epochs, EarlyStopping: monitor,
		EarlyStoppingPatience: &o.Patience, EarlyStoppingMinDelta: new(0.0), Seed: uint64(seed), Quiet: true}
	m, err := gotabular.New(dc, mc, mod.Optimizer, tc)
	if err != nil {
		return nil, err
	}
	m.Progress = nil
	return m, m.Fit(ctx, d.Train.Take(fit), d.Train.Take(valid))
}

// Run trains every model on every dataset with every seed and returns the
// records.
func Run(ctx context.Context, man *fewlabel.Manifest, o Options) ([]Record, error) {
	o = o.withDefaults()
	var out []Record
	for _, name := range o.Datasets {
		e, err := man.Entry(name)
		if err != nil {
			return out, err
		}
		d, err := Load(man, e)
		if err != nil {
			return out, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "%s: %s\n", name, d.Split)
		}
		for _, mod := range o.Models {
			for _, seed := range o.Seeds {
				start := time.Now()
				m, err := Fit(ctx, d, mod, seed, o)
				if err != nil {
					return out, fmt.Errorf("%s, %s, seed %d: %w", name, mod.Name, seed, err)
				}
				figs, err := m.Evaluate(d.Test)
				if err != nil {
					return out, fmt.Errorf("%s, %s, seed %d: test: %w", name, mod.Name, seed, err)
				}
				r := Record{Dataset: name, Model: mod.Name, Seed: seed, Metric: d.Metric(), Value: figs[d.Metric()],
					Epochs: len(m.History.Epochs), BestEpoch: m.History.BestEpoch, Seconds: time.Since(start).Seconds()}
				for _, ep := range m.History.Epochs {
					r.SecondsPerEpoch += ep.Seconds
				}
				if b := m.History.BestEpoch; b > 0 && b <= len(m.History.Epochs) {
					r.Valid = m.History.Epochs[b-1].Valid[d.Metric()]
				}
				r.SecondsPerEpoch /= float64(max(r.Epochs, 1))
				if o.Progress != nil {
					fmt.Fprintf(o.Progress, "%s %s seed %d: %s %.4f (validation %.4f), %d epochs (best %d), %.2f s/epoch\n",
						name, mod.Name, seed, r.Metric, r.Value, r.Valid, r.Epochs, r.BestEpoch, r.SecondsPerEpoch)
				}
				out = append(out, r)
				if o.Record != nil {
					if err := o.Record(r); err != nil {
						return out, err
					}
				}
			}
		}
	}
	return out, nil
}

// Report writes one markdown table per dataset: per model, the test
// figure's mean ± standard deviation over the seeds (the sample standard
// deviation; 0 for one seed), the mean validation figure at the best
// epochs, the mean number of epochs and the mean seconds per epoch.
func Report(w io.Writer, rs []Record) {
	var datasets, names []string
	for _, r := range rs {
		if !slices.Contains(datasets, r.Dataset) {
			datasets = append(datasets, r.Dataset)
		}
		if !slices.Contains(names, r.Model) {
			names = append(names, r.Model)
		}
	}
	for _, ds := range datasets {
		metric := ""
		for _, r := range rs {
			if r.Dataset == ds {
				metric = r.Metric
				break
			}
		}
		fmt.Fprintf(w, "### %s\n\n| model | test %s | validation | seeds | epochs | s/epoch |\n|---|---|---|---|---|---|\n", ds, metric)
		for _, name := range names {
			var vals, valid, epochs, secs []float64
			for _, r := range rs {
				if r.Dataset == ds && r.Model == name {
					vals = append(vals, r.Value)
					valid = append(valid, r.Valid)
					epochs = append(epochs, float64(r.Epochs))
					secs = append(secs, r.SecondsPerEpoch)
				}
			}
			if len(vals) == 0 {
				continue
			}
			m, s := meanStd(vals)
			me, _ := meanStd(epochs)
			ms, _ := meanStd(secs)
			mv, _ := meanStd(valid)
			fmt.Fprintf(w, "| %s | %.4f ± %.4f | %.4f | %d | %.0f | %.2f |\n", name, m, s, mv, len(vals), me, ms)
		}
		fmt.Fprintln(w)
	}
}

// meanStd returns the mean and the sample standard deviation (0 for fewer
// than two values).
func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

// WriteJSON writes the records to path as a JSON list, atomically.
func WriteJSON(path string, rs []Record) error { return fewlabel.WriteJSONFile(path, rs) }
