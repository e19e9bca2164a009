package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gotabular/gotabular/internal/bench"
	"github.com/gotabular/gotabular/internal/fewlabel"
	"github.com/gotabular/gotabular/internal/modelbench"
)

const benchHelp = `Usage: gotabular bench engine|fewlabel|models|serve|read|gen [flags]

  engine    the engine's training and inference speed beside the PyTorch reference
  fewlabel  test scores with 200 or 500 labels, beside the baselines, on fixed rows
  models    every backbone trained on all the labels: test accuracy and seconds per epoch
  serve     a load test of the prediction server on loopback: requests/s, latency, memory
  read      the data readers' throughput on numeric CSV and Parquet
  gen       write a synthetic CSV or Parquet file of any size, for streaming

Run 'gotabular bench NAME -h' for the flags.
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "engine":
			return runBenchEngine(ctx, args[1:], stdout, stderr)
		case "fewlabel":
			return runBenchFewlabel(ctx, args[1:], stdout, stderr)
		case "serve":
			return runBenchServe(ctx, args[1:], stdout, stderr)
		case "read":
			return runBenchRead(ctx, args[1:], stdout, stderr)
		case "models":
			return runBenchModels(ctx, args[1:], stdout, stderr)
		case "gen":
			return runBenchGen(ctx, args[1:], stdout, stderr)
		case "-h", "--help", "-help", "help":
			fmt.Fprint(stdout, benchHelp)
			return nil
		}
	}
	fmt.Fprint(stderr, "gotabular bench: name the benchmark: engine, fewlabel, models, serve, read or gen\n\n"+benchHelp)
	return errUsage
}

const benchEngineHelp = `Usage: gotabular bench engine [flags]

Measures the engine on the workloads of the PyTorch reference programs
(shared/bench/torch_mlp_dae.py and torch_ft_transformer.py), and runs those
programs right after, when they and PyTorch are found, so that both are
measured in one session of the machine. Each figure is the median of
-windows windows of -seconds after a warm-up.

dae: a float32 denoising autoencoder on 64 dense features, encoder
Linear(64,512)-ReLU-Linear(512,512)-ReLU-Linear(512,128)-ReLU, decoder
Linear(128,512)-ReLU-Linear(512,64), MSE loss, Adam (lr 1e-3), 65,536 rows of
N(0,1) in memory, batches taken in order.

ftt: FT-Transformer shapes: 15 N(0,1) tokens of 192 per row, 3 pre-norm
blocks of 8-head attention (dropout 0.2) and a ReGLU feed-forward layer
(256 hidden, dropout 0.1), LayerNorm-ReLU-Linear(192,1) on the last token,
binary cross-entropy, Adam (lr 1e-4), 32,768 rows in memory.

adult: the default FT-Transformer (tokens of 32, 8 heads, 6 blocks, GEGLU,
dropout 0.1) on 32,561 rows of 14 N(0,1) features at batch 256: the
network's share of an epoch, without the data pipeline or the validation
pass. It has no reference program.

Example:
  gotabular bench engine -seconds 5
  gotabular bench engine -sets ftt -seconds 3

Writes one line per figure to stdout, "name unit value":
  train_b256 steps/s N     training steps per second at batch 256
  train_b1024 steps/s N    the same at batch 1024
  infer_b4096 rows/s N     encoder-only inference rows per second at batch 4096
  gemm_256x512x512 GFLOP/s N   the matrix multiply alone
  ftt_train_b256 steps/s N     FT-Transformer training steps per second
  ftt_infer_b4096 rows/s N     FT-Transformer inference rows per second
  ftt_adult_epoch s N          seconds of an adult-shaped epoch
then the reference's figures, each name prefixed torch_, and comment lines
with the ratios ours/PyTorch (for rates; higher is better).

Flags:
`

func runBenchEngine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench engine", benchEngineHelp, stderr)
	seconds := fs.Float64("seconds", 5, "length of one measured window in `seconds`")
	warmup := fs.Float64("warmup", 2, "warm-up before the first window, in `seconds`")
	windows := fs.Int("windows", 3, "number of windows; the median is reported")
	sets := fs.String("sets", strings.Join(bench.Sets, ","), "comma-separated `workloads`: "+strings.Join(bench.Sets, ", "))
	torchDir := fs.String("torch", "", "`directory` of the PyTorch reference programs (default: shared/bench in the working directory or a parent); \"none\" runs none")
	python := fs.String("python", "/usr/bin/python3", "the Python `interpreter` with PyTorch")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !(*seconds > 0) || *warmup < 0 || *windows < 1 {
		return fmt.Errorf("-seconds must be positive, -warmup ≥ 0 and -windows ≥ 1")
	}
	fmt.Fprintf(stdout, "# gotabular engine %s/%s GOMAXPROCS=%d\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	d := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	o := bench.Options{Warmup: d(*warmup), Window: d(*seconds), Windows: *windows, Sets: splitList(*sets)}
	ours, err := bench.Run(ctx, o, stdout)
	if err != nil || *torchDir == "none" {
		return err
	}
	dir := *torchDir
	if dir == "" {
		if wd, err := os.Getwd(); err == nil {
			dir = bench.FindReferenceDir(wd)
		}
		if dir == "" {
			fmt.Fprintln(stdout, "# no PyTorch reference: shared/bench not found (-torch DIR)")
			return nil
		}
	}
	for _, set := range o.Sets {
		if _, ok := bench.ReferenceScripts[set]; !ok {
			continue
		}
		rctx, cancel := context.WithTimeout(ctx, bench.ReferenceTimeout(o))
		ref, err := bench.RunReference(rctx, *python, dir, set, o, stdout)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			// PyTorch is optional: our figures stand without it.
			fmt.Fprintf(stdout, "# PyTorch reference not run: %v\n", err)
			continue
		}
		for _, r := range ref {
			fmt.Fprintf(stdout, "torch_%s\n", r)
		}
		for _, r := range ref {
			for _, g := range ours {
				if g.Name == r.Name && g.Unit == r.Unit && r.Value > 0 {
					fmt.Fprintf(stdout, "# %s ours/torch %.2f\n", r.Name, g.Value/r.Value)
				}
			}
		}
	}
	return nil
}

const benchFewlabelHelp = `Usage: gotabular bench fewlabel -manifest FILE [-splits DIR] [flags]

Runs the few-label protocol: for each dataset, seed and number of labels,
every method learns from the labelled rows (methods that pretrain first
pretrain on every training row with its label removed, once per dataset and
seed) and is scored on the test rows: ROC-AUC of the positive class for a
binary target, RMSE in the target's units for regression.

The manifest lists the datasets (a JSON list with name, task, target,
positive, categorical and files; each dataset's CSV files sit in a folder
of its name beside the manifest). -splits is a folder of DATASET.json files
fixing the test rows and, per seed and label count, the labelled rows (80%
to fit, 20% for validation); without it the rows are drawn by the same
rules and written to -write-splits. Categorical columns are read as text
(a missing value is the level "Missing"), the others as numbers (a missing
value is the median of the training rows).

Prints markdown tables to stdout: mean ± std over seeds per dataset, label
count and method; paired differences of each method against the baselines
(linear, scratch, and the reference results of -baselines), with the seeds
won; and the seconds per run. A line per run goes to stderr.

Example, the whole benchmark beside the reference results:
  gotabular bench fewlabel -manifest shared/data/manifest.json \
    -splits shared/data/fewlabel_splits -baselines shared/bench/fewlabel_results -json runs.json

An ablation of one lever, two datasets:
  gotabular bench fewlabel -manifest M -splits S -datasets adult,higgs_7k -methods gotabular,gotabular+LEVER

`

func runBenchFewlabel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench fewlabel", benchFewlabelHelp+fewlabel.Help()+"\nFlags:\n", stderr)
	var (
		manifest, splits, writeSplits, baselines, jsonPath string
		datasets, labels, seeds, methods                   string
		quick, quiet                                       bool
	)
	fs.StringVar(&manifest, "manifest", "", "the datasets' manifest `file` (required)")
	fs.StringVar(&splits, "splits", "", "`directory` of DATASET.json splits (default: draw new splits and write them to -write-splits)")
	fs.StringVar(&writeSplits, "write-splits", "fewlabel_splits", "`directory` to write drawn splits to; existing files are never replaced")
	fs.StringVar(&baselines, "baselines", "", "`directory` of reference results (DATASET.json, as written by the reference baselines script) to compare against: ref-xgboost and ref-linear")
	fs.StringVar(&datasets, "datasets", "", "comma-separated `names` of the datasets (default: every binary and regression dataset of the manifest)")
	fs.StringVar(&labels, "labels", "200,500", "comma-separated `counts` of labelled rows")
	fs.StringVar(&seeds, "seeds", "1,2,3,4,5", "comma-separated `seeds` (of the splits, and of every method's randomness)")
	fs.StringVar(&methods, "methods", "gotabular,scratch,linear", "comma-separated `methods`, see above")
	fs.StringVar(&jsonPath, "json", "", "write one record per run to this `file` (a JSON list), updated after every run")
	fs.BoolVar(&quick, "quick", false, "a quick check: two datasets and seeds 1,2, unless -datasets or -seeds say otherwise")
	fs.BoolVar(&quiet, "quiet", false, "print no line per run on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "manifest"); err != nil {
		return err
	}
	set := setFlags(fs)
	m, err := fewlabel.ReadManifest(manifest)
	if err != nil {
		return err
	}
	o := fewlabel.Options{Datasets: splitList(datasets), SplitsDir: splits, WriteSplitsDir: writeSplits}
	if len(o.Datasets) == 0 {
		o.Datasets = m.Scored()
		if quick {
			o.Datasets = quickDatasets(m)
		}
	}
	if o.Labels, err = intList("labels", labels); err != nil {
		return err
	}
	if quick && !set["seeds"] {
		seeds = "1,2"
	}
	if o.Seeds, err = intList("seeds", seeds); err != nil {
		return err
	}
	names := splitList(methods)
	if len(names) == 0 {
		return fmt.Errorf("-methods: name at least one method")
	}
	for _, n := range names {
		meth, err := fewlabel.ParseMethod(n)
		if err != nil {
			return fmt.Errorf("-methods: %w", err)
		}
		o.Methods = append(o.Methods, meth)
	}
	if !quiet {
		o.Progress = stderr
	}
	var records []fewlabel.Record
	if jsonPath != "" {
		o.Record = func(r fewlabel.Record) error {
			records = append(records, r)
			return fewlabel.WriteJSON(jsonPath, records)
		}
	}
	start := time.Now()
	rs, err := fewlabel.Run(ctx, m, o)
	if err != nil {
		return err
	}
	if baselines != "" {
		ref, err := fewlabel.ReadBaselines(baselines, o.Datasets)
		if err != nil {
			return err
		}
		rs = append(rs, keep(ref, o)...)
	}
	var bases []string
	for _, b := range []string{"linear", "scratch"} {
		if slices.Contains(names, b) {
			bases = append(bases, b)
		}
	}
	fmt.Fprintf(stdout, "## Few-label benchmark: %s; labels %s; seeds %s\n\n", strings.Join(o.Datasets, ", "), labels, seeds)
	fewlabel.Report(stdout, rs, names, bases)
	fmt.Fprintf(stdout, "\nWall time: %.0f s.\n", time.Since(start).Seconds())
	return nil
}

const benchModelsHelp = `Usage: gotabular bench models -manifest FILE [flags]

Trains every model from scratch on all the labelled training rows of each
dataset and scores it on the test rows: accuracy for classification, RMSE
for regression. The test rows are the dataset's test.csv, or a fixed 20%%
of its data.csv (seed %d, the same rows for every seed). Each seed holds
out 20%% of the training rows for early stopping (on the validation
accuracy, patience -patience, the best epoch's weights kept) and sets the
initial weights and the batches. Continuous columns are mapped onto a
normal distribution by rank; categorical ones of at most 4 levels are
one-hot, others embedded. Adam, learning rate 1e-3, batches of
-batch-size.

The models are the registered backbones, each with its default config,
  %s
and any of them followed by %s, each continuous feature then embedded by
PLR (periodic embeddings, a Linear per feature). Options after '+' change
a model's settings, to be chosen by the validation figure:
  %s
as in CategoryEmbedding+plr=0.3+lr=3e-4+wd=1e-5.

Prints a markdown table per dataset to stdout: per model, the mean ± std
of the test figure over the seeds, the mean validation figure at the best
epoch, the mean number of epochs and the mean seconds per epoch (its
training and validation passes). A line per run goes to stderr.

Example, the whole benchmark:
  gotabular bench models -manifest shared/data/manifest.json -json models.json

A quick check that it runs (adult, one seed, 3 epochs):
  gotabular bench models -manifest shared/data/manifest.json -quick

Flags:
`

func runBenchModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	help := fmt.Sprintf(benchModelsHelp, modelbench.TestSplitSeed, strings.Join(modelbench.DefaultModels()[:len(modelbench.DefaultModels())-1], ", "), modelbench.PLR, modelbench.OptionsHelp)
	fs := newFlagSet("bench models", help, stderr)
	var (
		manifest, datasets, names, seeds, jsonPath string
		epochs, patience, batchSize                int
		quick, quiet                               bool
	)
	fs.StringVar(&manifest, "manifest", "", "the datasets' manifest `file` (required)")
	fs.StringVar(&datasets, "datasets", "adult,covertype_75k", "comma-separated `names` of the datasets")
	fs.StringVar(&names, "models", strings.Join(modelbench.DefaultModels(), ","), "comma-separated `models`: backbone names, each optionally followed by options (see above)")
	fs.StringVar(&seeds, "seeds", "1,2,3", "comma-separated `seeds`")
	fs.IntVar(&epochs, "epochs", modelbench.DefaultEpochs, "the most `epochs` a run trains")
	fs.IntVar(&patience, "patience", modelbench.DefaultPatience, "early stopping's patience, in `epochs`")
	fs.IntVar(&batchSize, "batch-size", modelbench.DefaultBatchSize, "`rows` per step")
	fs.StringVar(&jsonPath, "json", "", "write one record per run to this `file` (a JSON list), updated after every run")
	fs.BoolVar(&quick, "quick", false, "a quick check: adult, seed 1 and 3 epochs, unless -datasets, -seeds or -epochs say otherwise")
	fs.BoolVar(&quiet, "quiet", false, "print no line per run on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "manifest"); err != nil {
		return err
	}
	set := setFlags(fs)
	if quick {
		if !set["datasets"] {
			datasets = "adult"
		}
		if !set["seeds"] {
			seeds = "1"
		}
		if !set["epochs"] {
			epochs = 3
		}
	}
	if epochs < 1 || patience < 0 || batchSize < 1 {
		return fmt.Errorf("-epochs and -batch-size must be positive, -patience ≥ 0")
	}
	m, err := fewlabel.ReadManifest(manifest)
	if err != nil {
		return err
	}
	o := modelbench.Options{Datasets: splitList(datasets), Epochs: epochs, Patience: patience, BatchSize: batchSize}
	if len(o.Datasets) == 0 {
		return fmt.Errorf("-datasets: name at least one dataset")
	}
	for _, d := range o.Datasets {
		if _, err := m.Entry(d); err != nil {
			return fmt.Errorf("-datasets: %w", err)
		}
	}
	if o.Seeds, err = intList("seeds", seeds); err != nil {
		return err
	}
	for _, n := range splitList(names) {
		mod, err := modelbench.ParseModel(n)
		if err != nil {
			return fmt.Errorf("-models: %w", err)
		}
		o.Models = append(o.Models, mod)
	}
	if len(o.Models) == 0 {
		return fmt.Errorf("-models: name at least one model")
	}
	if !quiet {
		o.Progress = stderr
	}
	var records []modelbench.Record
	if jsonPath != "" {
		o.Record = func(r modelbench.Record) error {
			records = append(records, r)
			return modelbench.WriteJSON(jsonPath, records)
		}
	}
	start := time.Now()
	rs, err := modelbench.Run(ctx, m, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "## Supervised models, all labels: %s; seeds %s; at most %d epochs, patience %d, batch %d\n\n",
		strings.Join(o.Datasets, ", "), seeds, epochs, patience, batchSize)
	modelbench.Report(stdout, rs)
	fmt.Fprintf(stdout, "%s/%s, GOMAXPROCS=%d. Wall time: %.0f s.\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), time.Since(start).Seconds())
	return nil
}

// quickDatasets are those of -quick: two small binary sets where pretraining
// and the baselines differ, or the first two the manifest scores.
func quickDatasets(m *fewlabel.Manifest) []string {
	var out []string
	for _, n := range []string{"churn_modelling", "telco_churn"} {
		if slices.Contains(m.Scored(), n) {
			out = append(out, n)
		}
	}
	if len(out) < 2 {
		out = m.Scored()[:min(2, len(m.Scored()))]
	}
	return out
}

// keep returns the reference records of the cells that were run.
func keep(ref []fewlabel.Record, o fewlabel.Options) []fewlabel.Record {
	var out []fewlabel.Record
	for _, r := range ref {
		if slices.Contains(o.Datasets, r.Dataset) && slices.Contains(o.Labels, r.Labels) && slices.Contains(o.Seeds, r.Seed) {
			out = append(out, r)
		}
	}
	return out
}

// intList parses a comma-separated list of positive integers.
func intList(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s: %q is not a positive integer", flagName, f)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-%s: give at least one value", flagName)
	}
	return out, nil
}
