package gotabular_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl/dae"
)

// synthetic returns n rows whose label depends on a continuous and a
// categorical feature, so that a model has something to learn, and whose
// regression target is a smooth function of the features.
func synthetic(n int, seed uint64) *data.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x1,x2,colour,city,flag,label,amount\n")
	colours := []string{"red", "green", "blue"}
	for range n {
		x1 := rng.NormFloat64()
		x2 := x1 + 0.5*rng.NormFloat64()
		c := rng.IntN(3)
		city := fmt.Sprintf("c%d", rng.IntN(8))
		flag := "no"
		if x2 > 0 {
			flag = "yes"
		}
		score := 1.5*x1 + []float64{-1, 0, 1}[c] + 0.3*rng.NormFloat64()
		label := "neg"
		if score > 0 {
			label = "pos"
		}
		amount := 100 + 20*x1 + 10*float64(c) + rng.NormFloat64()
		x2s := fmt.Sprintf("%.4f", x2)
		if rng.IntN(20) == 0 {
			x2s = "" // some missing values
		}
		fmt.Fprintf(&b, "%.4f,%s,%s,%s,%s,%s,%.3f\n", x1, x2s, colours[c], city, flag, label, amount)
	}
	t, err := data.ParseCSV(strings.NewReader(b.String()), fmt.Sprintf("synthetic-%d.csv", seed), data.ReadOptions{})
	if err != nil {
		panic(err)
	}
	return t
}

func daeConfig() dae.Config {
	c := dae.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.DecoderConfig = categoryembedding.Config{Layers: "32"}
	c.DefaultNoiseProbability = 0.3
	c.BatchNormContinuousInput = true
	return c
}

var quiet = config.TrainerConfig{BatchSize: 64, MaxEpochs: 4, Quiet: true}

func pretrained(t *testing.T) *gotabular.TabularModel {
	t.Helper()
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, daeConfig(), config.OptimizerConfig{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(600, 1).Without("label", "amount"), nil); err != nil {
		t.Fatal(err)
	}
	return m
}

func values(ps []*nn.Param) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range ps {
		out[p.Name] = append([]float32(nil), p.Value.Data...)
	}
	return out
}

// paramsOf reaches the weights through Save, the public way out.
func paramsOf(t *testing.T, m *gotabular.TabularModel) map[string][]float32 {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := gotabular.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return values(gotabular.ParamsForTest(back))
}

func finetune(t *testing.T, m *gotabular.TabularModel, freeze bool) *gotabular.TabularModel {
	t.Helper()
	tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 15, EarlyStoppingPatience: new(5), Quiet: true}
	ft, err := m.CreateFinetuneModel(gotabular.FinetuneOptions{
		Task: "classification", Train: synthetic(200, 2), Head: models.HeadConfig{Layers: "8"}, Trainer: &tc,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{FreezeBackbone: freeze}); err != nil {
		t.Fatal(err)
	}
	return ft
}

func TestSelfSupervisedWorkflow(t *testing.T) {
	m := pretrained(t)
	if m.Kind() != gotabular.Pretrained || m.History == nil || len(m.History.Epochs) == 0 {
		t.Fatalf("kind %s, history %v", m.Kind(), m.History)
	}
	before := values(gotabular.ParamsForTest(m))
	ft := finetune(t, m, false)
	test := synthetic(400, 3)

	t.Run("pretrained model untouched", func(t *testing.T) {
		if !reflect.DeepEqual(values(gotabular.ParamsForTest(m)), before) {
			t.Error("fine-tuning changed the pretrained model's weights")
		}
		after := values(gotabular.ParamsForTest(ft))
		w := "encoder.0.linear.weight"
		if reflect.DeepEqual(after[w], before[w]) {
			t.Errorf("fine-tuning left %s unchanged", w)
		}
		for name := range after {
			if strings.HasPrefix(name, "decoder") || strings.HasPrefix(name, "reconstruction") || strings.HasPrefix(name, "mask") {
				t.Errorf("the fine-tuned model carries %s", name)
			}
		}
	})
	t.Run("evaluate", func(t *testing.T) {
		figs, err := ft.Evaluate(test)
		if err != nil {
			t.Fatal(err)
		}
		if figs["roc_auc"] < 0.85 || figs["accuracy"] < 0.75 {
			t.Errorf("figures %v; want ROC-AUC ≥ 0.85 on learnable data", figs)
		}
	})
	t.Run("predict", func(t *testing.T) {
		p, err := ft.Predict(test.Without("label"))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Classes, []string{"neg", "pos"}) || len(p.Labels) != test.Rows || p.Probabilities.Rows != test.Rows {
			t.Fatalf("classes %v, %d labels, %d probability rows", p.Classes, len(p.Labels), p.Probabilities.Rows)
		}
		for i := range test.Rows {
			r := p.Probabilities.Row(i)
			if math.Abs(float64(r[0]+r[1])-1) > 1e-5 {
				t.Fatalf("row %d: probabilities %v do not sum to 1", i, r)
			}
		}
	})
	t.Run("save and load", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "ft")
		if err := ft.Save(dir); err != nil {
			t.Fatal(err)
		}
		back, err := gotabular.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		p1, _ := ft.Predict(test)
		p2, err := back.Predict(test)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p1.Probabilities.Data, p2.Probabilities.Data) {
			t.Error("predictions differ after a save and load round trip")
		}
		if err := back.Finetune(context.Background(), gotabular.FinetuneRun{}); !errors.Is(err, gotabular.ErrKind) {
			t.Errorf("Finetune on a loaded model: %v, want ErrKind", err)
		}
	})
	t.Run("featurize", func(t *testing.T) {
		f, err := ft.Featurize(test)
		if err != nil {
			t.Fatal(err)
		}
		if f.Rows != test.Rows || f.Cols != 16 {
			t.Errorf("features %d×%d, want %d×16", f.Rows, f.Cols, test.Rows)
		}
	})
	t.Run("pretrained predict and evaluate", func(t *testing.T) {
		p, err := m.Predict(test)
		if err != nil {
			t.Fatal(err)
		}
		if p.Task != "features" || p.Features.Rows != test.Rows || p.Features.Cols != 16 {
			t.Errorf("pretrained prediction %s %d×%d", p.Task, p.Features.Rows, p.Features.Cols)
		}
		figs, err := m.Evaluate(test)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"loss", "mask_loss", "continuous_loss", "categorical_loss", "binary_loss", "mask_accuracy"} {
			if _, ok := figs[k]; !ok {
				t.Errorf("pretrained evaluation lacks %s: %v", k, figs)
			}
		}
	})
}

// Two fine-tunings of one pretrained model are independent.
func TestFinetunesAreIndependent(t *testing.T) {
	m := pretrained(t)
	a := finetune(t, m, false)
	pa := values(gotabular.ParamsForTest(a))
	finetune(t, m, false)
	if !reflect.DeepEqual(values(gotabular.ParamsForTest(a)), pa) {
		t.Error("the second fine-tuning changed the first fine-tuned model")
	}
}

// A frozen backbone keeps its weights and its batch-norm statistics.
func TestFreezeBackbone(t *testing.T) {
	m := pretrained(t)
	before := values(gotabular.ParamsForTest(m))
	ft := finetune(t, m, true)
	after := values(gotabular.ParamsForTest(ft))
	for name, v := range after {
		if strings.HasPrefix(name, "head.") {
			continue
		}
		if !reflect.DeepEqual(v, before[name]) {
			t.Errorf("frozen %s changed", name)
		}
	}
	if _, ok := after["embedding.continuous_bn.running_mean"]; !ok {
		t.Error("no continuous batch norm in the backbone: the test does not check running statistics")
	}
}

func TestFitRegression(t *testing.T) {
	dc := config.DataConfig{Target: []string{"amount"}}
	mc := models.Config{Task: "regression", Backbone: categoryembedding.Config{Layers: "32-16"}, LearningRate: 3e-3}
	m, err := gotabular.New(dc, mc, config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 32, MaxEpochs: 30, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(500, 4).Without("label"), nil); err != nil {
		t.Fatal(err)
	}
	test := synthetic(300, 5)
	figs, err := m.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	// The target has standard deviation about 21 around 110: an RMSE far
	// below that and R² near 1 show predictions in the original units.
	if figs["rmse"] > 6 || figs["r2"] < 0.9 {
		t.Errorf("figures %v", figs)
	}
	dir := filepath.Join(t.TempDir(), "reg")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := gotabular.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := m.Predict(test)
	p2, err := back.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p1.Values, p2.Values) {
		t.Error("regression predictions differ after a round trip")
	}
}

// The same seed and data give bitwise the same model.
func TestDeterministic(t *testing.T) {
	a, b := pretrained(t), pretrained(t)
	if !reflect.DeepEqual(values(gotabular.ParamsForTest(a)), values(gotabular.ParamsForTest(b))) {
		t.Error("two runs with the same seed differ")
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	text := func(s string) *data.Table {
		tab, err := data.ParseCSV(strings.NewReader(s), "bad.csv", data.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	for _, tt := range []struct {
		name string
		run  func() error
		want []string // substrings of the error
	}{
		{"missing file", func() error { _, err := data.ReadCSV("no/such/file.csv", data.ReadOptions{}); return err }, []string{"no/such/file.csv"}},
		{"unknown column", func() error {
			m, _ := gotabular.New(config.DataConfig{ContinuousCols: []string{"x1", "height"}}, daeConfig(), config.OptimizerConfig{}, quiet)
			return m.Pretrain(ctx, synthetic(50, 1), nil)
		}, []string{"height", "synthetic-1.csv"}},
		{"single class", func() error {
			m, _ := gotabular.New(config.DataConfig{Target: []string{"y"}}, models.Config{Task: "classification", Backbone: categoryembedding.Config{}}, config.OptimizerConfig{}, quiet)
			return m.Fit(ctx, text("x,y\n1,a\n2,a\n3,a\n"), nil)
		}, []string{`"y"`, "bad.csv", "single class"}},
		{"empty table", func() error {
			m, _ := gotabular.New(config.DataConfig{}, daeConfig(), config.OptimizerConfig{}, quiet)
			return m.Pretrain(ctx, &data.Table{Source: "empty.csv", Columns: []*data.Column{{Name: "x", Kind: data.Continuous}}}, nil)
		}, []string{"empty.csv"}},
		{"text in a continuous column", func() error {
			m, _ := gotabular.New(config.DataConfig{ContinuousCols: []string{"x"}}, daeConfig(), config.OptimizerConfig{}, quiet)
			return m.Pretrain(ctx, text("x,c\n1,a\n2,b\nthree,a\n"), nil)
		}, []string{"bad.csv", "row 3", `"x"`, "three"}},
		{"unknown category at prediction", func() error {
			m := pretrained(t)
			_, err := m.Predict(text("x1,x2,colour,city,flag\n1,2,purple,c1,yes\n"))
			return err // must succeed: unknown categories are a reserved code
		}, nil},
		{"finetune a supervised model", func() error {
			m, _ := gotabular.New(config.DataConfig{Target: []string{"label"}}, models.Config{Task: "classification", Backbone: categoryembedding.Config{}}, config.OptimizerConfig{}, quiet)
			_, err := m.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(20, 1)})
			return err
		}, []string{"pretrained"}},
		{"bad task", func() error {
			_, err := pretrained(t).CreateFinetuneModel(gotabular.FinetuneOptions{Task: "ranking", Train: synthetic(20, 1)})
			return err
		}, []string{"ranking"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestCorruptModel(t *testing.T) {
	m := pretrained(t)
	good := filepath.Join(t.TempDir(), "good")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile(filepath.Join(good, gotabular.ModelFile))
	w, _ := os.ReadFile(filepath.Join(good, gotabular.WeightsFile))
	for _, tt := range []struct {
		name    string
		js, w   []byte
		wantSub string
	}{
		{"truncated weights", js, w[:len(w)/2], "weights.safetensors"},
		{"empty weights", js, nil, "weights.safetensors"},
		{"bad json", js[:len(js)/2], w, "model.json"},
		{"wrong format", []byte(strings.Replace(string(js), "gotabular-model", "other", 1)), w, "format"},
		{"unknown field", []byte(strings.Replace(string(js), `"kind"`, `"kindd"`, 1)), w, "kindd"},
		{"bad layers", []byte(strings.Replace(string(js), `"32-16"`, `"32-x"`, 1)), w, "32-x"},
		{"std zero", regexp.MustCompile(`"std": [0-9.e+-]+`).ReplaceAll(js, []byte(`"std": 0`)), w, "std"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, gotabular.ModelFile), tt.js, 0o644)
			os.WriteFile(filepath.Join(dir, gotabular.WeightsFile), tt.w, 0o644)
			_, err := gotabular.Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("error %q does not mention %q", err, tt.wantSub)
			}
		})
	}
	if _, err := gotabular.Load(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("loaded a missing directory")
	}
}

// A failed save leaves an earlier save in place, and Save never replaces
// a directory that holds something else.
func TestSaveIsAtomic(t *testing.T) {
	m := pretrained(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, gotabular.WeightsFile))
	m.History.Epochs[0].TrainLoss = math.NaN() // JSON cannot hold NaN: the save fails
	if err := m.Save(dir); err == nil {
		t.Fatal("saving a NaN history succeeded")
	}
	after, _ := os.ReadFile(filepath.Join(dir, gotabular.WeightsFile))
	if !reflect.DeepEqual(before, after) {
		t.Error("a failed save changed the earlier save")
	}
	if _, err := gotabular.Load(dir); err != nil {
		t.Errorf("the earlier save no longer loads: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644)
	m.History.Epochs[0].TrainLoss = 1
	if err := m.Save(other); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("saving over a directory of other files: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "notes.txt")); string(b) != "mine" {
		t.Error("the other directory's file was touched")
	}
}
