package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/dae"
)

// gotabular runs a command line in-process and returns its exit status
// and output.
func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRun runs a command line that must succeed.
func mustRun(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := runArgs(t, args...)
	if code != 0 {
		t.Fatalf("gotabular %s: exit status %d\nstderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout, stderr
}

// The synthetic data: x1, x2 standard normal, x3 uniform on [0, 10),
// color of three levels and size of five (so that size is embedded and
// color one-hot), a zero-padded id, a binary label that depends on x1, x2
// and color, and a price that depends on x1, x3 and size.
var (
	colors = []string{"red", "green", "blue"}
	sizes  = []string{"S", "M", "L", "XL", "XXL"}
)

type row struct {
	id           string
	x1, x2, x3   float64
	color, size  string
	label, price string
}

func makeRows(n int, seed uint64) []row {
	rng := rand.New(rand.NewPCG(seed, 99))
	rows := make([]row, n)
	for i := range rows {
		r := row{
			id: fmt.Sprintf("%04d", i), x1: rng.NormFloat64(), x2: rng.NormFloat64(), x3: 10 * rng.Float64(),
			color: colors[rng.IntN(len(colors))], size: sizes[rng.IntN(len(sizes))],
		}
		s := 2*r.x1 - r.x2 + 0.3*rng.NormFloat64()
		if r.color == "red" {
			s += 1.5
		}
		r.label = "no"
		if s > 0.5 {
			r.label = "yes"
		}
		p := 3*r.x1 + r.x3 + 0.3*rng.NormFloat64()
		if r.size == "L" || r.size == "XL" {
			p += 2
		}
		r.price = strconv.FormatFloat(p, 'f', 3, 64)
		rows[i] = r
	}
	return rows
}

// writeRows writes rows with the given columns to dir/name and returns
// the path. edit, if not nil, may change the fields of each record.
func writeRows(t *testing.T, dir, name string, rows []row, cols []string, edit func(i int, rec map[string]string)) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(cols)
	for i, r := range rows {
		rec := map[string]string{
			"id": r.id, "x1": strconv.FormatFloat(r.x1, 'f', 4, 64), "x2": strconv.FormatFloat(r.x2, 'f', 4, 64),
			"x3": strconv.FormatFloat(r.x3, 'f', 3, 64), "color": r.color, "size": r.size, "label": r.label, "price": r.price,
		}
		if edit != nil {
			edit(i, rec)
		}
		fields := make([]string, len(cols))
		for j, c := range cols {
			fields[j] = rec[c]
		}
		w.Write(fields)
	}
	w.Flush()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	featureCols  = []string{"id", "x1", "x2", "x3", "color", "size"}
	labelledCols = []string{"id", "x1", "x2", "x3", "color", "size", "label", "price"}
)

// files are the data files and models that several tests use, made once.
type files struct {
	dir                             string
	unlabelled, labelled, test      string
	pretrained, finetuned, suptrain string
}

var (
	fixtureOnce sync.Once
	fixture     files
	fixtureErr  string
)

// fixtures writes the data and trains the shared models on first use.
func fixtures(t *testing.T) files {
	t.Helper()
	fixtureOnce.Do(func() {
		fixtureErr = "the fixtures were not made"
		dir, err := os.MkdirTemp("", "gotabular-cmd-test-")
		if err != nil {
			fixtureErr = err.Error()
			return
		}
		fixture.dir = dir // removed by TestMain
		f := files{dir: dir}
		f.unlabelled = writeRows(t, dir, "unlabelled.csv", makeRows(400, 1), featureCols, nil)
		f.labelled = writeRows(t, dir, "labelled.csv", makeRows(400, 2), labelledCols, nil)
		f.test = writeRows(t, dir, "test.csv", makeRows(200, 3), labelledCols, nil)
		f.pretrained = filepath.Join(dir, "pretrained")
		f.finetuned = filepath.Join(dir, "finetuned")
		steps := [][]string{
			{"pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", f.pretrained,
				"-encoder", "32-16", "-decoder", "32", "-epochs", "4", "-batch-size", "64", "-quiet"},
			{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", f.finetuned,
				"-head", "16", "-epochs", "25", "-batch-size", "32", "-lr", "0.005", "-quiet"},
		}
		for _, args := range steps {
			var out, errOut bytes.Buffer
			if code := run(context.Background(), args, &out, &errOut); code != 0 {
				fixtureErr = fmt.Sprintf("gotabular %s: exit status %d\n%s", strings.Join(args, " "), code, errOut.String())
				return
			}
		}
		fixture, fixtureErr = f, ""
	})
	if fixtureErr != "" {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// readCSV parses CSV output.
func readCSV(t *testing.T, s string) (header []string, rows [][]string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, s)
	}
	if len(recs) == 0 {
		t.Fatal("empty CSV output")
	}
	return recs[0], recs[1:]
}

func TestPipeline(t *testing.T) {
	f := fixtures(t)
	for _, dir := range []string{f.pretrained, f.finetuned} {
		for _, name := range []string{gotabular.ModelFile, gotabular.WeightsFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("saved model: %v", err)
			}
		}
	}

	t.Run("PretrainReportsProgressAndSave", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "pre")
		stdout, stderr := mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", out, "-encoder", "8", "-epochs", "2")
		if !strings.Contains(stderr, "pretrain epoch 1/2") || !strings.Contains(stderr, "pretrain epoch 2/2") {
			t.Errorf("stderr lacks the epoch lines:\n%s", stderr)
		}
		if want := "saved the pretrained model to " + out; !strings.HasPrefix(stdout, want) {
			t.Errorf("stdout = %q, want it to start with %q", stdout, want)
		}
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind() != gotabular.Pretrained {
			t.Errorf("kind %s, want pretrained", m.Kind())
		}
		for _, c := range m.Preprocessor().Continuous {
			if c.Name == "id" {
				t.Error("the excluded column id is a feature")
			}
		}
		// Pretraining again into the same directory replaces the model.
		mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", out, "-encoder", "8", "-epochs", "1", "-quiet")
	})

	t.Run("PredictClassification", func(t *testing.T) {
		stdout, _ := mustRun(t, "predict", "-model", f.finetuned, "-data", f.test, "-keep", "id")
		header, rows := readCSV(t, stdout)
		want := []string{"id", "label_no_probability", "label_yes_probability", "label_prediction"}
		if !slices.Equal(header, want) {
			t.Fatalf("header %q, want %q", header, want)
		}
		if len(rows) != 200 {
			t.Fatalf("%d rows, want 200", len(rows))
		}
		truth := makeRows(200, 3)
		right := 0
		for i, r := range rows {
			if r[0] != truth[i].id {
				t.Fatalf("row %d: id %q, want %q (kept as text)", i, r[0], truth[i].id)
			}
			p0, err0 := strconv.ParseFloat(r[1], 64)
			p1, err1 := strconv.ParseFloat(r[2], 64)
			if err0 != nil || err1 != nil || math.Abs(p0+p1-1) > 1e-4 {
				t.Fatalf("row %d: probabilities %q %q do not sum to 1", i, r[1], r[2])
			}
			if (p1 > p0) != (r[3] == "yes") {
				t.Fatalf("row %d: prediction %q disagrees with probabilities %v, %v", i, r[3], p0, p1)
			}
			if r[3] == truth[i].label {
				right++
			}
		}
		if acc := float64(right) / 200; acc < 0.8 {
			t.Errorf("accuracy %.3f on a learnable target, want ≥ 0.8", acc)
		}
	})

	t.Run("PredictToFile", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "preds.csv")
		stdout, _ := mustRun(t, "predict", "-model", f.finetuned, "-data", f.test, "-out", out)
		if stdout != "" {
			t.Errorf("stdout %q, want nothing with -out", stdout)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		header, rows := readCSV(t, string(b))
		if header[0] != "label_no_probability" || len(rows) != 200 {
			t.Errorf("header %q and %d rows, want label_no_probability first and 200 rows", header, len(rows))
		}
	})

	t.Run("Evaluate", func(t *testing.T) {
		stdout, _ := mustRun(t, "evaluate", "-model", f.finetuned, "-data", f.test)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		var names []string
		for _, l := range lines {
			name, val, ok := strings.Cut(l, " ")
			if _, err := strconv.ParseFloat(val, 64); !ok || err != nil {
				t.Fatalf("line %q is not \"name value\"", l)
			}
			names = append(names, name)
		}
		if want := []string{"loss", "accuracy", "f1", "roc_auc"}; !slices.Equal(names, want) {
			t.Errorf("figures %q, want %q", names, want)
		}

		stdout, _ = mustRun(t, "evaluate", "-model", f.finetuned, "-data", f.test, "-json")
		var figs map[string]float64
		if err := json.Unmarshal([]byte(stdout), &figs); err != nil {
			t.Fatalf("-json output %q: %v", stdout, err)
		}
		if !strings.HasPrefix(stdout, `{"loss": `) {
			t.Errorf("-json output %q does not start with the loss", stdout)
		}
		if figs["roc_auc"] < 0.85 {
			t.Errorf("roc_auc %v, want ≥ 0.85", figs["roc_auc"])
		}

		stdout, _ = mustRun(t, "evaluate", "-model", f.pretrained, "-data", f.test)
		if !strings.HasPrefix(stdout, "loss ") || !strings.Contains(stdout, "mask_accuracy ") {
			t.Errorf("evaluate of the pretrained model:\n%s\nwant loss first and mask_accuracy", stdout)
		}
	})

	t.Run("Embed", func(t *testing.T) {
		embedded, _ := mustRun(t, "embed", "-model", f.pretrained, "-data", f.test, "-keep", "id,x1")
		header, rows := readCSV(t, embedded)
		want := []string{"id", "x1"}
		for j := range 16 {
			want = append(want, fmt.Sprintf("feature_%d", j))
		}
		if !slices.Equal(header, want) {
			t.Fatalf("header %q, want %q", header, want)
		}
		if len(rows) != 200 || rows[0][0] != "0000" {
			t.Fatalf("%d rows, first %q; want 200 starting with id 0000", len(rows), rows[0])
		}
		// The prediction of a pretrained model is its features.
		predicted, _ := mustRun(t, "predict", "-model", f.pretrained, "-data", f.test, "-keep", "id,x1")
		if predicted != embedded {
			t.Error("predict and embed of a pretrained model differ")
		}
		// A fine-tuned model's features come from its own, trained copy
		// of the encoder: what its head reads, both of the encoder's
		// layers (32 and 16 columns) by default.
		tuned, _ := mustRun(t, "embed", "-model", f.finetuned, "-data", f.test, "-keep", "id,x1")
		deep := []string{"id", "x1"}
		for j := range 32 + 16 {
			deep = append(deep, fmt.Sprintf("feature_%d", j))
		}
		if h, _ := readCSV(t, tuned); !slices.Equal(h, deep) {
			t.Errorf("header %q, want %q", h, deep)
		}
		if tuned == embedded {
			t.Error("fine-tuning left the encoder's features unchanged")
		}
	})

	t.Run("FinetuneLeavesPretrainedModelAlone", func(t *testing.T) {
		before, err := os.ReadFile(filepath.Join(f.pretrained, gotabular.WeightsFile))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "frozen")
		mustRun(t, "finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", out,
			"-freeze", "-epochs", "2", "-valid", f.test, "-monitor", "valid_roc_auc", "-quiet")
		after, err := os.ReadFile(filepath.Join(f.pretrained, gotabular.WeightsFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Error("fine-tuning changed the pretrained model's weights")
		}
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.History.Monitor != "valid_roc_auc" || m.TrainerConfig.MaxEpochs != 2 {
			t.Errorf("monitor %q, max epochs %d; want valid_roc_auc, 2", m.History.Monitor, m.TrainerConfig.MaxEpochs)
		}
	})
}

func TestFitRegression(t *testing.T) {
	dir := t.TempDir()
	train := writeRows(t, dir, "train.csv", makeRows(400, 4), labelledCols, nil)
	test := writeRows(t, dir, "test.csv", makeRows(100, 5), labelledCols, nil)
	out := filepath.Join(dir, "model")
	_, stderr := mustRun(t, "fit", "-data", train, "-target", "price", "-exclude", "id,label", "-out", out,
		"-layers", "32-16", "-epochs", "40", "-batch-size", "32", "-lr", "0.01")
	if !strings.Contains(stderr, "the task is regression") {
		t.Errorf("stderr does not say the task was inferred as regression:\n%.300s", stderr)
	}

	stdout, _ := mustRun(t, "predict", "-model", out, "-data", test, "-keep", "id")
	header, rows := readCSV(t, stdout)
	if want := []string{"id", "price_prediction"}; !slices.Equal(header, want) {
		t.Fatalf("header %q, want %q", header, want)
	}
	truth := makeRows(100, 5)
	var sse, sst, mean float64
	for _, r := range truth {
		v, _ := strconv.ParseFloat(r.price, 64)
		mean += v / float64(len(truth))
	}
	for i, r := range rows {
		got, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		want, _ := strconv.ParseFloat(truth[i].price, 64)
		sse += (got - want) * (got - want)
		sst += (want - mean) * (want - mean)
	}
	if r2 := 1 - sse/sst; r2 < 0.8 {
		t.Errorf("R² of the predictions %.3f, want ≥ 0.8", r2)
	}

	stdout, _ = mustRun(t, "evaluate", "-model", out, "-data", test, "-json")
	var figs map[string]float64
	if err := json.Unmarshal([]byte(stdout), &figs); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"loss", "mae", "r2", "rmse"} {
		if _, ok := figs[k]; !ok {
			t.Errorf("evaluate lacks %s: %v", k, figs)
		}
	}

	// A numeric target is a class label when -task says so.
	classes := writeRows(t, dir, "classes.csv", makeRows(200, 6), labelledCols, func(i int, rec map[string]string) {
		rec["label"] = map[string]string{"no": "0", "yes": "1"}[rec["label"]]
	})
	out2 := filepath.Join(dir, "classifier")
	mustRun(t, "fit", "-data", classes, "-target", "label", "-task", "classification", "-exclude", "id,price",
		"-out", out2, "-epochs", "3", "-quiet")
	stdout, _ = mustRun(t, "predict", "-model", out2, "-data", classes)
	if header, _ := readCSV(t, stdout); !slices.Equal(header, []string{"label_0_probability", "label_1_probability", "label_prediction"}) {
		t.Errorf("header %q", header)
	}
}

func TestConfigFile(t *testing.T) {
	f := fixtures(t)

	t.Run("Pretrain", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "pre")
		// The file sets 4 epochs; the flag wins.
		mustRun(t, "pretrain", "-config", "testdata/pretrain.yaml", "-data", f.unlabelled, "-exclude", "id",
			"-out", out, "-epochs", "2", "-quiet")
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.TrainerConfig.MaxEpochs != 2 || m.TrainerConfig.BatchSize != 128 || m.TrainerConfig.Seed != 7 {
			t.Errorf("trainer config %+v: want max_epochs 2 (flag), batch_size 128 and seed 7 (file)", m.TrainerConfig)
		}
		if m.OptimizerConfig.Optimizer != "adamw" || m.DataConfig.Split() != 0.25 {
			t.Errorf("optimizer %q, validation split %v; want adamw, 0.25", m.OptimizerConfig.Optimizer, m.DataConfig.Split())
		}
		c, ok := m.ModelConfig.(dae.Config)
		if !ok {
			t.Fatalf("model config %T, want dae.Config", m.ModelConfig)
		}
		enc, _ := c.EncoderConfig.(categoryembedding.Config)
		dec, _ := c.DecoderConfig.(categoryembedding.Config)
		if enc.Layers != "32-16" || enc.Activation != "GELU" || dec.Layers != "32" {
			t.Errorf("encoder %+v, decoder %+v; want 32-16 GELU and 32", enc, dec)
		}
		if c.NoiseStrategy != dae.Zero || c.DefaultNoiseProbability != 0.5 || c.NoiseProbabilities["color"] != 0.3 ||
			c.LearningRate != 0.002 || c.EmbeddingDims["size"] != 3 || c.MaskLossWeight != 1 {
			t.Errorf("dae config %+v does not hold the file's settings", c)
		}
	})

	t.Run("PretrainFlagsOverrideFile", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "pre")
		mustRun(t, "pretrain", "-config", "testdata/pretrain.yaml", "-data", f.unlabelled, "-exclude", "id",
			"-out", out, "-epochs", "1", "-decoder", "", "-activation", "ReLU", "-noise", "swap", "-seed", "9", "-quiet")
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		c := m.ModelConfig.(dae.Config)
		if c.DecoderConfig != nil || c.EncoderConfig.(categoryembedding.Config).Activation != "ReLU" ||
			c.NoiseStrategy != dae.Swap || c.Seed != 9 || m.TrainerConfig.Seed != 9 {
			t.Errorf("flags did not override the file: %+v, trainer seed %d", c, m.TrainerConfig.Seed)
		}
	})

	t.Run("Fit", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "fit")
		mustRun(t, "fit", "-config", "testdata/fit.yaml", "-data", f.labelled, "-valid", f.test, "-out", out, "-quiet")
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		mc := m.ModelConfig.(models.Config)
		bb := mc.Backbone.(categoryembedding.Config)
		if mc.Task != "regression" || bb.Layers != "32-16" || mc.Head.Layers != "8" || mc.Embedding.Dims["size"] != 3 ||
			mc.LearningRate != 0.005 || !m.Target().Scale || m.History.Monitor != "valid_rmse" {
			t.Errorf("the model does not hold the file's settings: %+v, target %+v, monitor %q", mc, m.Target(), m.History.Monitor)
		}
		stdout, _ := mustRun(t, "evaluate", "-model", out, "-data", f.test, "-json")
		var figs map[string]float64
		if err := json.Unmarshal([]byte(stdout), &figs); err != nil {
			t.Fatal(err)
		}
		if figs["r2"] < 0.8 {
			t.Errorf("r2 %v, want ≥ 0.8", figs["r2"])
		}
	})

	t.Run("Finetune", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "finetune.yaml")
		os.WriteFile(cfg, []byte("data:\n  target: [label]\n  validation_split: 0.3\ntrainer:\n  max_epochs: 2\n  batch_size: 16\nmodel:\n  head:\n    layers: 8-4\n    dropout: 0.1\n  learning_rate: 0.01\n"), 0o644)
		out := filepath.Join(dir, "ft")
		mustRun(t, "finetune", "-config", cfg, "-model", f.pretrained, "-data", f.labelled, "-out", out, "-quiet")
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Target().Name != "label" || m.TrainerConfig.BatchSize != 16 || m.DataConfig.Split() != 0.3 {
			t.Errorf("target %q, batch size %d, split %v; want label, 16, 0.3", m.Target().Name, m.TrainerConfig.BatchSize, m.DataConfig.Split())
		}
	})

	errorCases := []struct {
		name, cmd, yaml string
		want            []string
	}{
		{"UnknownKey", "pretrain", "model:\n  encoder:\n    layers: 16\n  noise_strategi: zero\n",
			[]string{`line 4: unknown field "noise_strategi" in model`, `did you mean "noise_strategy"?`}},
		{"UnknownNestedKey", "fit", "model:\n  head:\n    layer: 8\n",
			[]string{`line 3: unknown field "layer" in model.head`, `did you mean "layers"?`, "activation"}},
		{"UnknownSection", "fit", "trainr:\n  max_epochs: 3\n", []string{`line 1: unknown field "trainr"`, `did you mean "trainer"?`}},
		{"WrongType", "pretrain", "trainer:\n  max_epochs: many\n", []string{`line 2: trainer.max_epochs: "many" is not a valid integer`}},
		{"ScalarForList", "fit", "data:\n  target: price\n", []string{`line 2: data.target: want a list`}},
		{"BadSyntax", "fit", "model: [\n", []string{"cfg.yaml", "line"}},
		{"InvalidValue", "pretrain", "model:\n  noise_strategy: gaussian\n", []string{`noise_strategy "gaussian"`}},
		{"FinetuneFeatures", "finetune", "data:\n  continuous_cols: [x1]\n", []string{"cannot change in fine-tuning"}},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "cfg.yaml")
			os.WriteFile(cfg, []byte(tc.yaml), 0o644)
			args := map[string][]string{
				"pretrain": {"pretrain", "-data", f.unlabelled},
				"fit":      {"fit", "-data", f.labelled, "-target", "price"},
				"finetune": {"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label"},
			}[tc.cmd]
			args = append(args, "-config", cfg, "-out", filepath.Join(dir, "out"), "-quiet")
			code, _, stderr := runArgs(t, args...)
			if code != 1 {
				t.Errorf("exit status %d, want 1; stderr:\n%s", code, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gotabular "+tc.cmd+": ") {
				t.Errorf("stderr %q: want one line starting \"gotabular %s: \"", stderr, tc.cmd)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Error("a model was saved despite the error")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"pretrain", "finetune", "fit", "distil", "predict", "evaluate", "embed", "demo"} {
		for _, flag := range []string{"-h", "--help"} {
			t.Run(cmd+flag, func(t *testing.T) {
				code, stdout, stderr := runArgs(t, cmd, flag)
				if code != 0 {
					t.Errorf("exit status %d, want 0", code)
				}
				help := stdout + stderr
				if !strings.Contains(help, "Usage: gotabular "+cmd) {
					t.Errorf("help lacks the usage line:\n%s", help)
				}
				if cmd == "demo" {
					return
				}
				_, example, ok := strings.Cut(help, "Example:\n  ")
				if !ok || !strings.HasPrefix(example, "gotabular "+cmd+" -") {
					t.Errorf("help lacks an example command line:\n%s", help)
				}
				if !strings.Contains(help, "Writes") {
					t.Errorf("help does not say what the command writes:\n%s", help)
				}
				if !strings.Contains(help, "  -data") {
					t.Errorf("help lacks the flags:\n%s", help)
				}
				if key := map[string]string{"pretrain": "noise_strategy", "fit": "embedding {dims", "finetune": "head {layers"}[cmd]; !strings.Contains(help, key) {
					t.Errorf("help does not list the config key %q:\n%s", key, help)
				}
				if cmd == "finetune" {
					// Each option of fine-tuning craft is taught before the
					// list of flags.
					intro, _, _ := strings.Cut(help, "Flags:")
					for _, flag := range []string{"-backbone-lr-scale", "-probe-epochs", "-weight-decay", "-encoder-dropout",
						"-head-dropout", "-lr-scheduler", "-monitor valid_roc_auc", "valid_rmse"} {
						if !strings.Contains(intro, flag) {
							t.Errorf("the help's introduction does not mention %s", flag)
						}
					}
				}
			})
		}
	}
	t.Run("help", func(t *testing.T) {
		code, stdout, _ := runArgs(t, "help")
		if code != 0 || !strings.Contains(stdout, "gotabular pretrain -data") {
			t.Errorf("exit status %d, output:\n%s", code, stdout)
		}
	})
}

func TestBadInput(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	textInX1 := writeRows(t, dir, "text_in_x1.csv", makeRows(20, 7), labelledCols, func(i int, rec map[string]string) {
		if i == 2 {
			rec["x1"] = "n/a"
		}
	})
	oneClass := writeRows(t, dir, "one_class.csv", makeRows(50, 8), labelledCols, func(i int, rec map[string]string) { rec["label"] = "yes" })
	noX2 := writeRows(t, dir, "no_x2.csv", makeRows(20, 9), []string{"id", "x1", "x3", "color", "size"}, nil)
	noLabel := writeRows(t, dir, "no_label.csv", makeRows(20, 9), featureCols, nil)
	os.WriteFile(p("ragged.csv"), []byte("x1,x2\n1,2\n3\n"), 0o644)

	notModel := p("notes")
	os.Mkdir(notModel, 0o755)
	os.WriteFile(filepath.Join(notModel, "todo.txt"), []byte("keep me"), 0o644)
	brokenJSON := p("broken_json")
	os.Mkdir(brokenJSON, 0o755)
	os.WriteFile(filepath.Join(brokenJSON, gotabular.ModelFile), []byte(`{"format": "gotabular-model", "version": 1, "kind": `), 0o644)
	os.WriteFile(filepath.Join(brokenJSON, gotabular.WeightsFile), nil, 0o644)
	brokenWeights := p("broken_weights")
	os.Mkdir(brokenWeights, 0o755)
	js, _ := os.ReadFile(filepath.Join(f.finetuned, gotabular.ModelFile))
	os.WriteFile(filepath.Join(brokenWeights, gotabular.ModelFile), js, 0o644)
	os.WriteFile(filepath.Join(brokenWeights, gotabular.WeightsFile), []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}"), 0o644)
	emptyDir := p("empty")
	os.Mkdir(emptyDir, 0o755)

	// A model pretrained with the label among its features.
	leaky := p("leaky")
	mustRun(t, "pretrain", "-data", f.labelled, "-exclude", "id,price", "-out", leaky, "-encoder", "4", "-epochs", "1", "-quiet")

	out := p("out")
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		// Usage errors: exit status 2.
		{"UnknownCommand", []string{"train"}, 2, []string{`unknown command "train"`}},
		{"NoCommand", nil, 2, []string{"Usage: gotabular <command>"}},
		{"UnknownFlag", []string{"fit", "-data", f.labelled, "-target", "label", "-out", out, "-epoch", "3"}, 2,
			[]string{"gotabular fit: flag provided but not defined: -epoch", "gotabular fit -h"}},
		{"NotANumber", []string{"pretrain", "-data", f.unlabelled, "-out", out, "-epochs", "ten"}, 2, []string{`invalid value "ten" for flag -epochs`}},
		{"MissingData", []string{"pretrain", "-out", out}, 2, []string{"gotabular pretrain: -data file is required"}},
		{"MissingOut", []string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label"}, 2, []string{"-out directory is required"}},
		{"MissingTarget", []string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-out", out}, 2, []string{"-target is required"}},
		{"MissingModel", []string{"predict", "-data", f.test}, 2, []string{"-model directory is required"}},
		{"StrayArgument", []string{"evaluate", "-model", f.finetuned, f.test}, 2, []string{"unexpected argument"}},

		// Bad input: exit status 1, one line naming what is wrong.
		{"MissingFile", []string{"pretrain", "-data", p("nope.csv"), "-out", out}, 1, []string{"nope.csv", "no such file"}},
		{"MissingValidFile", []string{"fit", "-data", f.labelled, "-valid", p("nope.csv"), "-target", "label", "-out", out}, 1, []string{"nope.csv"}},
		{"RaggedFile", []string{"predict", "-model", f.finetuned, "-data", p("ragged.csv")}, 1, []string{"ragged.csv: row 2 (line 3)", "wrong number of fields"}},
		{"UnknownCategorical", []string{"pretrain", "-data", f.unlabelled, "-categorical", "colour", "-out", out}, 1, []string{`column "colour": no such column`, `"color"`}},
		{"UnknownExclude", []string{"pretrain", "-data", f.unlabelled, "-exclude", "ID", "-out", out}, 1, []string{"-exclude", `column "ID": no such column`}},
		{"UnknownTarget", []string{"fit", "-data", f.labelled, "-target", "Label", "-out", out}, 1, []string{`column "Label": no such column`}},
		{"UnknownKeep", []string{"embed", "-model", f.pretrained, "-data", f.test, "-keep", "ident"}, 1, []string{"-keep", `column "ident"`}},
		{"MissingFeatureColumn", []string{"predict", "-model", f.finetuned, "-data", noX2}, 1, []string{"no_x2.csv", `column "x2": no such column`}},
		{"EvaluateWithoutTarget", []string{"evaluate", "-model", f.finetuned, "-data", noLabel}, 1, []string{"no_label.csv", `column "label"`}},
		{"TextInContinuousFlag", []string{"pretrain", "-data", f.unlabelled, "-continuous", "x1,color", "-out", out}, 1, []string{"row 1 (line 2)", `column "color"`}},
		{"TextInContinuousAtPredict", []string{"predict", "-model", f.finetuned, "-data", textInX1, "-odd-values", "error"}, 1, []string{"text_in_x1.csv", "row 3", `column "x1"`, `"n/a" is not a finite number`}},
		{"TextInContinuousAtFinetune", []string{"finetune", "-model", f.pretrained, "-data", textInX1, "-target", "label", "-out", out, "-odd-values", "error"}, 1, []string{"row 3", `column "x1"`}},
		{"BadOddPolicy", []string{"predict", "-model", f.finetuned, "-data", textInX1, "-odd-values", "drop"}, 1, []string{`-odd-values "drop"`}},
		{"BadDelimiter", []string{"predict", "-model", f.finetuned, "-data", textInX1, "-delimiter", "ab"}, 1, []string{`-delimiter "ab"`}},
		{"SingleClass", []string{"finetune", "-model", f.pretrained, "-data", oneClass, "-target", "label", "-out", out}, 1, []string{`"label"`, "single class"}},
		{"SingleClassFit", []string{"fit", "-data", oneClass, "-target", "label", "-out", out}, 1, []string{"single class"}},
		{"TextTargetRegression", []string{"fit", "-data", f.labelled, "-target", "label", "-task", "regression", "-out", out}, 1, []string{`column "label"`, "not a number"}},
		{"UnknownTask", []string{"fit", "-data", f.labelled, "-target", "label", "-task", "ranking", "-out", out}, 1, []string{`-task "ranking"`}},
		{"UnknownNoise", []string{"pretrain", "-data", f.unlabelled, "-noise", "gaussian", "-out", out}, 1, []string{`-noise: dae config: noise_strategy "gaussian": want "swap" or "zero"`}},
		{"UnknownActivation", []string{"pretrain", "-data", f.unlabelled, "-activation", "tanh", "-out", out}, 1, []string{`-activation`, `"tanh"`}},
		{"BadNoiseProb", []string{"pretrain", "-data", f.unlabelled, "-noise-prob", "1.5", "-out", out}, 1, []string{"-noise-prob: dae config: default_noise_probability 1.5: want a probability in [0, 1]"}},
		{"BadLayers", []string{"fit", "-data", f.labelled, "-target", "label", "-layers", "64-x", "-out", out}, 1, []string{`layers "64-x"`}},
		{"BadMonitor", []string{"fit", "-data", f.labelled, "-target", "label", "-monitor", "auc", "-out", out}, 1, []string{`early_stopping "auc"`}},
		{"UnreportedMonitor", []string{"fit", "-data", f.labelled, "-target", "label", "-monitor", "valid_auc", "-out", out, "-quiet"}, 1, []string{`cannot monitor "valid_auc"`, "valid_roc_auc"}},
		{"ZeroSeed", []string{"pretrain", "-data", f.unlabelled, "-seed", "0", "-out", out}, 1, []string{"-seed 0: must be ≥ 1"}},
		{"BadBatchSize", []string{"fit", "-data", f.labelled, "-target", "label", "-batch-size", "0", "-out", out}, 1, []string{"-batch-size 0: must be ≥ 1"}},
		{"OutIsNotAModel", []string{"pretrain", "-data", f.unlabelled, "-out", notModel}, 1, []string{notModel, "holds no saved model"}},
		{"OutIsAFile", []string{"fit", "-data", f.labelled, "-target", "label", "-out", f.test}, 1, []string{"is a file"}},
		{"OutIsThePretrainedModel", []string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", f.pretrained}, 1, []string{"pretrained model's directory"}},
		{"ModelMissing", []string{"predict", "-model", p("nowhere"), "-data", f.test}, 1, []string{"nowhere: no such directory"}},
		{"ModelDirEmpty", []string{"evaluate", "-model", emptyDir, "-data", f.test}, 1, []string{"not a saved model", "model.json"}},
		{"ModelNotAModel", []string{"embed", "-model", notModel, "-data", f.test}, 1, []string{"not a saved model"}},
		{"ModelJSONCorrupt", []string{"predict", "-model", brokenJSON, "-data", f.test}, 1, []string{"broken_json/model.json"}},
		{"ModelWeightsCorrupt", []string{"predict", "-model", brokenWeights, "-data", f.test}, 1, []string{"broken_weights", "weights.safetensors"}},
		{"FinetuneAFinetunedModel", []string{"finetune", "-model", f.finetuned, "-data", f.labelled, "-target", "label", "-out", out}, 1, []string{"finetuned model", "pretrained one"}},
		{"TargetIsAFeature", []string{"finetune", "-model", leaky, "-data", f.labelled, "-target", "label", "-out", out}, 1, []string{`target "label" is a feature`, "is a feature of the pretrained model"}},
		{"ExcludedTarget", []string{"fit", "-data", f.labelled, "-target", "label", "-exclude", "id,label", "-out", out}, 1, []string{`-exclude names the target "label"`}},
		{"ExcludedFeature", []string{"pretrain", "-data", f.unlabelled, "-exclude", "x1", "-continuous", "x1,x2", "-out", out}, 1, []string{`"x1" is both excluded and listed as continuous`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.code == 1 {
				cmd := tc.args[0]
				if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gotabular "+cmd+": ") {
					t.Errorf("stderr %q: want one line starting \"gotabular %s: \"", stderr, cmd)
				}
				if stdout != "" {
					t.Errorf("stdout %q, want nothing on failure", stdout)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written despite the error", out)
				os.RemoveAll(out)
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(notModel, "todo.txt")); err != nil || string(b) != "keep me" {
		t.Errorf("the non-model directory was touched: %q, %v", b, err)
	}
}
