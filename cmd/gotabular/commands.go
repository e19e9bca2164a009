package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/train"
)

// What the commands share: the flags of the training loop, reading the
// input tables, checking the output directory before hours of training
// rather than after, and writing CSV output.

// featureFlags choose the feature columns (pretrain and fit).
type featureFlags struct {
	exclude, categorical, continuous, dates string
	missingIndicator                        bool
}

func (f *featureFlags) register(fs *flag.FlagSet, excludeHelp string) {
	fs.StringVar(&f.exclude, "exclude", "", "comma-separated `columns` that are not features, "+excludeHelp)
	fs.StringVar(&f.categorical, "categorical", "", "comma-separated `columns` to treat as categorical, numbers or not (default: the text columns)")
	fs.StringVar(&f.continuous, "continuous", "", "comma-separated `columns` to treat as continuous (default: the numeric columns)")
	fs.StringVar(&f.dates, "date-columns", "", "comma-separated date `columns`, each name or name:layout (Go's layout, e.g. when:02/01/2006; default: RFC 3339 or 2006-01-02, with or without a time), replaced by calendar features: year and day of year (continuous), month, day, weekday and, if there are times, hour (categorical); a value that is not a date is missing, with a warning, or an error under -odd-values error")
	fs.BoolVar(&f.missingIndicator, "missing-indicator", false, "add a 0/1 categorical feature NAME_missing for each continuous column with missing values in the -data rows")
}

// apply copies the lists given on the command line into dc and returns
// the excluded columns, checked against dc.
func (f *featureFlags) apply(set map[string]bool, dc *config.DataConfig) ([]string, error) {
	if set["categorical"] {
		dc.CategoricalCols = splitList(f.categorical)
	}
	if set["continuous"] {
		dc.ContinuousCols = splitList(f.continuous)
	}
	if set["date-columns"] {
		dc.DateColumns = nil
		for _, item := range splitList(f.dates) {
			// The layout follows the first colon: a layout may hold
			// colons (15:04), a column name rarely does.
			name, format, _ := strings.Cut(item, ":")
			if name == "" {
				return nil, fmt.Errorf("-date-columns %q: an item has no column name", f.dates)
			}
			dc.DateColumns = append(dc.DateColumns, config.DateColumn{Name: name, Format: format})
		}
	}
	if set["missing-indicator"] {
		dc.MissingIndicator = f.missingIndicator
	}
	excluded := splitList(f.exclude)
	return excluded, checkExclude(excluded, *dc)
}

// targetFlags name what to predict and how (fit and finetune).
type targetFlags struct {
	target, task, valid string
	scale, logTarget    bool
}

func (f *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.target, "target", "", "the target `column` (required, unless the config's data.target names it)")
	fs.StringVar(&f.task, "task", "", "`task`: classification or regression (default: classification if the target column holds text, else regression)")
	fs.BoolVar(&f.logTarget, "log-target", false, "model a regression target of values ≥ 0 as log(1+y), as suits prices and counts; predictions stay in the target's units")
	fs.StringVar(&f.valid, "valid", "", "CSV `file` of labelled validation rows (default: hold out a share of -data, stratified for classification; 0.2 unless the config's data.validation_split says otherwise)")
	fs.BoolVar(&f.scale, "scale-target", config.DefaultScaleTarget, "train a regression on the standardised target, which suits any units; predictions are in the target's units either way (-scale-target=false trains on the raw values)")
}

// apply copies -target and -scale-target into dc and requires a target
// from the flag or the config file.
func (f *targetFlags) apply(fs *flag.FlagSet, set map[string]bool, dc *config.DataConfig) error {
	if set["target"] {
		dc.Target = splitList(f.target)
	}
	if set["log-target"] {
		dc.LogTarget = f.logTarget
	}
	if set["scale-target"] {
		dc.ScaleTarget = new(f.scale)
	}
	if len(dc.Target) == 0 {
		return usageError(fs, "-target is required: the column to predict")
	}
	return nil
}

// trainFlags are the flags of the training loop of pretrain, finetune and
// fit.
type trainFlags struct {
	config                      string
	epochs, batchSize, patience int
	lr                          float64
	seed                        uint64
	monitor                     string
	quiet, json                 bool
}

// register defines the flags with the command's defaults tc and lr.
// lrHelp ends the -lr text, saying what a zero rate means if anything.
func (f *trainFlags) register(fs *flag.FlagSet, tc config.TrainerConfig, lr float64, lrHelp string) {
	fs.StringVar(&f.config, "config", "", "YAML `file` of settings in the sections data, trainer, optimizer and model (examples: cmd/gotabular/testdata/*.yaml in the source); flags given on the command line override it")
	fs.IntVar(&f.epochs, "epochs", tc.MaxEpochs, "maximum number of passes over the training rows")
	fs.IntVar(&f.batchSize, "batch-size", tc.BatchSize, "rows per training step")
	fs.Float64Var(&f.lr, "lr", lr, "learning `rate` of the optimiser"+lrHelp)
	fs.IntVar(&f.patience, "patience", tc.Patience(), "training stops after this many epochs in a row without improvement of -monitor (0: at the first)")
	fs.StringVar(&f.monitor, "monitor", tc.EarlyStopping, "validation `figure` that early stopping watches and whose best epoch's weights are kept: valid_loss, a metric of the task ("+monitorNames()+"), or in pretraining a figure its epoch lines show; \"none\" trains every epoch and keeps the last")
	fs.Uint64Var(&f.seed, "seed", tc.Seed, "seed of the weights, shuffling, validation split and noise: the same seed and data give the same model")
	fs.BoolVar(&f.quiet, "quiet", false, "print no line per epoch on stderr")
	fs.BoolVar(&f.json, "json", false, "write a JSON record per epoch, and one when the model is saved, one per line on stdout instead of the lines for people (stderr keeps notes and errors)")
}

// monitorNames lists the figures early stopping can watch per task.
func monitorNames() string {
	var parts []string
	for _, task := range []string{config.Classification, config.Regression} {
		var names []string
		for _, n := range metrics.Names(task) {
			names = append(names, "valid_"+n)
		}
		parts = append(parts, task+": "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}

// apply copies the flags set on the command line into the configs; the
// seed goes to the trainer and to the model. A zero is kept where it is a
// valid setting (-patience 0); where the configs take a zero as "the
// default" (-seed 0), it is refused rather than silently replaced.
func (f *trainFlags) apply(set map[string]bool, tc *config.TrainerConfig, lr *float64, seed *uint64) error {
	switch {
	case set["epochs"] && f.epochs < 1:
		return fmt.Errorf("-epochs %d: must be ≥ 1", f.epochs)
	case set["batch-size"] && f.batchSize < 1:
		return fmt.Errorf("-batch-size %d: must be ≥ 1", f.batchSize)
	case set["patience"] && f.patience < 0:
		return fmt.Errorf("-patience %d: must be ≥ 0", f.patience)
	case set["lr"] && !(f.lr > 0 || f.lr == 0 && *lr == 0):
		return fmt.Errorf("-lr %v: must be positive", f.lr)
	case set["seed"] && f.seed == 0:
		return errors.New("-seed 0: must be ≥ 1 (a zero seed stands for the default, 42)")
	}
	if set["epochs"] {
		tc.MaxEpochs = f.epochs
	}
	if set["batch-size"] {
		tc.BatchSize = f.batchSize
	}
	if set["lr"] {
		*lr = f.lr
	}
	if set["patience"] {
		tc.EarlyStoppingPatience = new(f.patience)
	}
	if set["monitor"] {
		tc.EarlyStopping = f.monitor
	}
	if set["seed"] {
		tc.Seed = f.seed
		if seed != nil {
			*seed = f.seed
		}
	}
	if set["quiet"] {
		tc.Quiet = f.quiet
	}
	return nil
}

// crossFitFlags choose a cross-fitted ensemble (fit and finetune).
type crossFitFlags struct{ folds, repeats int }

func (f *crossFitFlags) register(fs *flag.FlagSet, tc config.TrainerConfig) {
	fs.IntVar(&f.folds, "folds", tc.Folds, "cross-fit an ensemble of this many members: the labelled rows (-data and -valid together) are split into this many parts, and each member trains on all parts but one and stops early on that one; predictions average the members. Steadier than one model when labels are few; 0 or 1 trains one model")
	fs.IntVar(&f.repeats, "fold-repeats", max(tc.FoldRepeats, 1), "with -folds, repeat the cross-fitting over this many other splits of the rows, for folds × repeats members")
}

func (f *crossFitFlags) apply(set map[string]bool, tc *config.TrainerConfig) error {
	switch {
	case set["folds"] && f.folds < 0:
		return fmt.Errorf("-folds %d: want 0 or 1 (one model) or 2 or more", f.folds)
	case set["fold-repeats"] && f.repeats < 1:
		return fmt.Errorf("-fold-repeats %d: must be ≥ 1", f.repeats)
	}
	if set["folds"] {
		tc.Folds = f.folds
		if f.folds < 2 && !set["fold-repeats"] {
			// One model: the default repeats of the ensemble have nothing
			// to repeat, so -folds 0 alone must not be refused for them.
			tc.FoldRepeats = 1
		}
	}
	if set["fold-repeats"] {
		tc.FoldRepeats = f.repeats
	}
	return nil
}

// supervisedTrainer is the trainer config of fit and finetune before the
// flags and the config file: the same for both, so that a model trained
// from scratch and a fine-tuned one are trained alike.
func supervisedTrainer() config.TrainerConfig {
	return gotabular.DefaultFinetuneTrainer()
}

// describeNetwork says what a network is, for help texts.
func describeNetwork(n gotabular.Network) string {
	e := n.Embedding
	s := fmt.Sprintf("categories of at most %d levels one-hot and the others as learned vectors", e.MaxOnehotCardinality)
	if e.Dropout > 0 {
		s += fmt.Sprintf(" (dropout %g)", e.Dropout)
	}
	if e.BatchNormContinuous {
		s += ", the continuous values batch-normalised"
	}
	s += fmt.Sprintf(", a backbone of %s layers (%s)", n.Backbone.Layers, n.Backbone.Activation)
	if n.Head.Layers == "" {
		return s + " and a linear head"
	}
	return s + fmt.Sprintf(" and a head of %s before the output layer", n.Head.Layers)
}

// optimFlags choose the optimiser and its learning-rate schedule (fit and
// finetune).
type optimFlags struct {
	optimizer, scheduler, params string
	weightDecay                  float64
}

// register defines the flags with the defaults oc; defaultHelp ends each
// flag's text, saying where a default not shown comes from, if anywhere.
func (f *optimFlags) register(fs *flag.FlagSet, oc config.OptimizerConfig, defaultHelp string) {
	fs.StringVar(&f.optimizer, "optimizer", oc.Optimizer, "`name` of the optimiser: "+strings.Join(config.Optimizers, ", ")+" (adamw decays the weights apart from the adaptive step, the usual choice with -weight-decay)"+defaultHelp)
	fs.Float64Var(&f.weightDecay, "weight-decay", oc.WeightDecay, "weight decay `factor`: L2 for adam and sgd, decoupled for adamw"+defaultHelp)
	var kinds []string
	for _, k := range optim.ScheduleKinds() {
		d := "  " + k.Name + ": " + k.Doc
		if len(k.Params) > 0 {
			var ps []string
			for _, p := range slices.Sorted(maps.Keys(k.Params)) {
				ps = append(ps, fmt.Sprintf("%s=%g", p, k.Params[p]))
			}
			d += " (" + strings.Join(ps, ", ") + ")"
		}
		kinds = append(kinds, d)
	}
	fs.StringVar(&f.scheduler, "lr-scheduler", oc.LRScheduler, "`name` of the learning-rate schedule over the steps of the run"+defaultHelp+"; the schedules and their parameters, with defaults:\n"+strings.Join(kinds, "\n"))
	fs.StringVar(&f.params, "lr-scheduler-params", "", "parameters of the schedule as comma-separated `name=value` pairs, such as warmup=0.1; the others keep their defaults")
}

// apply copies the flags set on the command line into oc and checks
// them, so that a mistake is reported with the flag's name.
func (f *optimFlags) apply(set map[string]bool, oc *config.OptimizerConfig) error {
	if set["optimizer"] {
		if !slices.Contains(config.Optimizers, strings.ToLower(f.optimizer)) {
			return fmt.Errorf("-optimizer %q: want one of %s", f.optimizer, strings.Join(config.Optimizers, ", "))
		}
		oc.Optimizer = f.optimizer
	}
	if set["weight-decay"] {
		if !(f.weightDecay >= 0) || math.IsInf(f.weightDecay, 0) {
			return fmt.Errorf("-weight-decay %v: must be a finite value ≥ 0", f.weightDecay)
		}
		oc.WeightDecay = f.weightDecay
	}
	if set["lr-scheduler"] {
		oc.LRScheduler = f.scheduler
		oc.LRSchedulerParams = nil // those of another schedule would not fit
	}
	if set["lr-scheduler-params"] {
		params := map[string]float64{}
		for _, kv := range splitList(f.params) {
			k, v, ok := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err != nil {
				return fmt.Errorf("-lr-scheduler-params: %q: want name=number", kv)
			}
			params[strings.TrimSpace(k)] = x
		}
		oc.LRSchedulerParams = params
	}
	if set["lr-scheduler"] || set["lr-scheduler-params"] {
		if _, err := optim.NewSchedule(strings.ToLower(oc.LRScheduler), oc.LRSchedulerParams); err != nil {
			return fmt.Errorf("-lr-scheduler: %w", err)
		}
	}
	return nil
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// required reports the first of the named flags that was left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		f := fs.Lookup(n)
		if f.Value.String() == "" {
			name, usage := flag.UnquoteUsage(f)
			usage = strings.TrimSuffix(usage, " (required)")
			return usageError(fs, "-%s %s is required: %s", n, name, usage)
		}
	}
	return nil
}

// checkActivation checks the value of an -activation flag.
func checkActivation(set map[string]bool, activation string) error {
	if !set["activation"] {
		return nil
	}
	if _, err := nn.NewActivation(activation); err != nil {
		return fmt.Errorf("-activation: %w", err)
	}
	return nil
}

// checkTask checks the value of a -task flag.
func checkTask(task string) error {
	if task != "" && task != config.Classification && task != config.Regression {
		return fmt.Errorf("-task %q: want %s or %s", task, config.Classification, config.Regression)
	}
	return nil
}

// inferTask chooses the task for a target column when -task is not given:
// text labels are classes, numbers a quantity. It returns the task and a
// line saying so for the progress report.
func inferTask(t *data.Table, target, cmd string) (task, note string, err error) {
	c, err := t.Col(target)
	if err != nil {
		return "", "", err
	}
	if c.Kind == data.Categorical {
		return config.Classification, fmt.Sprintf("%s: the target %q holds text, so the task is classification\n", cmd, target), nil
	}
	return config.Regression, fmt.Sprintf("%s: the target %q holds numbers, so the task is regression (give -task classification if they are class labels)\n", cmd, target), nil
}

// readTable reads data for a model still to be trained: the columns
// the data config names as continuous or categorical are read as such, so
// that text in a continuous column is reported with its row. Warnings go
// to stderr.
func readTable(path string, dc config.DataConfig, opt data.ReadOptions, stderr io.Writer) (*data.Table, error) {
	opt.Kinds = map[string]data.Kind{}
	for _, n := range dc.CategoricalCols {
		opt.Kinds[n] = data.Categorical
	}
	for _, n := range dc.ContinuousCols {
		opt.Kinds[n] = data.Continuous
	}
	t, err := data.Read(path, opt)
	if err != nil {
		return nil, err
	}
	printWarnings(stderr, t)
	return t, nil
}

// modelReader reads data for a trained model, printing warnings to
// stderr.
func modelReader(m *gotabular.TabularModel, opt data.ReadOptions, stderr io.Writer) func(string) (*data.Table, error) {
	return func(path string) (*data.Table, error) {
		t, err := m.Read(path, opt)
		if err != nil {
			return nil, err
		}
		printWarnings(stderr, t)
		return t, nil
	}
}

// readTables reads the training file and, if given, the validation file,
// with read, and drops the excluded columns. Every excluded column must be
// in the training file: a name that is not there is a typo, and the column
// meant would be trained on.
func readTables(read func(string) (*data.Table, error), trainPath, validPath string, exclude []string) (tr, va *data.Table, err error) {
	if tr, err = read(trainPath); err != nil {
		return nil, nil, err
	}
	for _, n := range exclude {
		if _, err := tr.Col(n); err != nil {
			return nil, nil, fmt.Errorf("-exclude: %w", err)
		}
	}
	tr = tr.Without(exclude...)
	if validPath != "" {
		if va, err = read(validPath); err != nil {
			return nil, nil, err
		}
		va = va.Without(exclude...)
	}
	return tr, va, nil
}

// checkExclude refuses a column both excluded and named as a feature.
func checkExclude(exclude []string, dc config.DataConfig) error {
	for _, n := range exclude {
		switch {
		case slices.Contains(dc.ContinuousCols, n):
			return fmt.Errorf("column %q is both excluded and listed as continuous", n)
		case slices.Contains(dc.CategoricalCols, n):
			return fmt.Errorf("column %q is both excluded and listed as categorical", n)
		}
	}
	return nil
}

// checkOut checks, before training, that the model can be saved to dir:
// Save replaces an earlier saved model but no other directory, and it is
// better to hear so now than after training.
func checkOut(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("-out %s: exists and is a file, not a model directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, gotabular.ModelFile)); len(entries) > 0 && err != nil {
		return fmt.Errorf("-out %s: the directory exists and holds no saved model, so it will not be replaced; choose a new directory", dir)
	}
	return nil
}

// checkOutputFile refuses an -out file that would destroy something: one
// of the input files (predict -data x.csv -out x.csv), or a file inside a
// saved model's directory (-out model/model.json), which a later save of
// the model would also delete. It runs before any work, so that nothing
// is written.
func checkOutputFile(out, dataSpec string) error {
	if out == "" || out == "-" {
		return nil
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return fmt.Errorf("-out %s is a directory; name a file", out)
	}
	if inputs, err := data.Files(dataSpec); err == nil {
		for _, in := range inputs {
			if same(out, in) || absPath(out) == absPath(in) {
				return fmt.Errorf("-out %s is the input file %s: writing it would destroy the data; choose another file", out, in)
			}
		}
	}
	for dir := filepath.Dir(absPath(out)); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, gotabular.ModelFile)); err == nil {
			return fmt.Errorf("-out %s lies inside the model directory %s, which belongs to the model; choose a file outside it", out, dir)
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}

// absPath is path made absolute, with symbolic links in its directory
// resolved, so that two names of one file compare equal even when the
// file does not exist yet.
func absPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(real, base)
	}
	return abs
}

// reportSaved says where the model went and how its training ended.
func reportSaved(w io.Writer, what, dir string, h *train.History) {
	reportSavedCV(w, what, dir, h, nil)
}

// reportSavedCV is reportSaved for a model that may be a cross-fitted
// ensemble, with its out-of-fold figures on a second line.
func reportSavedCV(w io.Writer, what, dir string, h *train.History, cv map[string]float64) {
	defer func() {
		if len(cv) == 0 {
			return
		}
		names := slices.Sorted(maps.Keys(cv))
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s %.4f", n, cv[n]))
		}
		fmt.Fprintf(w, "cross-validated (out-of-fold predictions of the labelled rows): %s\n", strings.Join(parts, ", "))
	}()
	fmt.Fprintf(w, "saved the %s model to %s", what, dir)
	if h != nil && h.BestEpoch > 0 && h.BestEpoch <= len(h.Epochs) {
		e := h.Epochs[h.BestEpoch-1]
		if len(cv) > 0 {
			// An ensemble: the history is its first member's, whose
			// validation rows are one fold; the cross-validated line
			// below is the figure of the whole.
			fmt.Fprint(w, " (a cross-fitted ensemble; its first member: ")
		} else {
			fmt.Fprint(w, " (")
		}
		fmt.Fprintf(w, "epoch %d of %d", h.BestEpoch, len(h.Epochs))
		switch name := strings.TrimPrefix(h.Monitor, "valid_"); {
		case h.Monitor == "train_loss":
			fmt.Fprintf(w, ", train_loss %.4f", e.TrainLoss)
		case e.Valid != nil && name != h.Monitor:
			if v, ok := e.Valid[name]; ok {
				fmt.Fprintf(w, ", %s %.4f", h.Monitor, v)
			}
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
}

// loadModel loads the model directory given with -model.
func loadModel(dir string) (*gotabular.TabularModel, error) {
	m, err := gotabular.Load(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(dir); serr != nil {
				return nil, fmt.Errorf("-model %s: no such directory", dir)
			}
			return nil, fmt.Errorf("-model %s: not a saved model (%w)", dir, err)
		}
		return nil, err
	}
	return m, nil
}

// keptColumns returns the columns of t named by -keep, as text exactly as
// in the file. A numeric column read for the model would print "007" as
// "7", so the file is read again with those columns as text.
func keptColumns(t *data.Table, path string, names []string, opt data.ReadOptions) ([]*data.Column, error) {
	cols := make([]*data.Column, len(names))
	reread := false
	for i, n := range names {
		c, err := t.Col(n)
		if err != nil {
			return nil, fmt.Errorf("-keep: %w", err)
		}
		cols[i] = c
		reread = reread || c.Kind != data.Categorical
	}
	if !reread {
		return cols, nil
	}
	opt.Kinds = map[string]data.Kind{}
	for _, n := range names {
		opt.Kinds[n] = data.Categorical
	}
	text, err := data.Read(path, opt)
	if err != nil {
		return nil, err
	}
	if text.Rows != t.Rows {
		return nil, fmt.Errorf("%s changed while it was read", path)
	}
	for i, n := range names {
		if cols[i], err = text.Col(n); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

// writeCSV writes a CSV table to the file path, or to stdout if path is
// empty or "-". A file is written under a temporary name and renamed when
// complete, so that a failure leaves no truncated output behind.
// row fills the fields of row i.
func writeCSV(path string, stdout io.Writer, header []string, rows int, row func(i int, rec []string)) (err error) {
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		cw := csv.NewWriter(bw)
		if err := cw.Write(header); err != nil {
			return err
		}
		rec := make([]string, len(header))
		for i := range rows {
			row(i, rec)
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		return bw.Flush()
	}
	if path == "" || path == "-" {
		return write(stdout)
	}
	// A run killed while writing left its temporary file; nothing else
	// would remove it.
	prefix := "." + filepath.Base(path) + ".tmp-"
	if entries, err := os.ReadDir(filepath.Dir(path)); err == nil {
		for _, e := range entries {
			if !e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
				os.Remove(filepath.Join(filepath.Dir(path), e.Name()))
			}
		}
	}
	f, err := os.CreateTemp(filepath.Dir(path), prefix)
	if err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	return nil
}

// featureHeader names the columns of a feature matrix.
func featureHeader(n int) []string {
	h := make([]string, n)
	for j := range h {
		h[j] = fmt.Sprintf("feature_%d", j)
	}
	return h
}

// columnText is value i of c as text, "" if missing.
func columnText(c *data.Column, i int) string {
	s, _ := c.Text(i)
	return s
}
