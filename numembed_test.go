package gotabular_test

import (
	"bytes"
	"context"
	"encoding/json"
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
)

// Models saved before numerical embeddings and the quantile-normal
// transform existed still load, predict exactly what they predicted, and
// save a model that does the same. (Its model.json is not byte for byte
// the old one: defaults that were implicit then are written out now.)
func TestLoadOlderModels(t *testing.T) {
	test := synthetic(20, 3)
	for _, name := range []string{"supervised", "finetuned"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "saved-v1", name)
			m, err := gotabular.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "predictions.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want []float32
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Probabilities.Data, want) {
				t.Errorf("probabilities %v, saved %v", p.Probabilities.Data, want)
			}
			again := filepath.Join(t.TempDir(), "m")
			if err := m.Save(again); err != nil {
				t.Fatal(err)
			}
			back, err := gotabular.Load(again)
			if err != nil {
				t.Fatal(err)
			}
			q, err := back.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(q.Probabilities.Data, want) {
				t.Errorf("saved again and loaded, probabilities %v; first saved %v", q.Probabilities.Data, want)
			}
		})
	}
}

// numEmbeddingCases are the new options, alone and together.
var numEmbeddingCases = []struct {
	name      string
	transform string
	num       models.NumEmbeddingConfig
	param     string // a parameter the option adds, "" for none
}{
	{"plr, quantile normal", config.QuantileNormalTransform, models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR}, "embedding.plr.frequencies"},
	{"plr per feature", "", models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, Dim: 4, Frequencies: 8, PerFeatureLinear: true}, "embedding.plr.linear.weight"},
	{"ple", "", models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Bins: 6}, ""},
	{"ple linear, quantile normal", config.QuantileNormalTransform, models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Dim: 4}, "embedding.ple.linear.weight"},
	{"quantile normal alone", config.QuantileNormalTransform, models.NumEmbeddingConfig{}, ""},
}

// saveLoad saves m and loads it back.
func saveLoad(t *testing.T, m *gotabular.TabularModel) (*gotabular.TabularModel, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := gotabular.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return back, dir
}

// checkPreprocessing checks that the fitted preprocessing holds what the
// options ask for.
func checkPreprocessing(t *testing.T, p *data.Preprocessor, transform string, num models.NumEmbeddingConfig) {
	t.Helper()
	for _, c := range p.Continuous {
		if q := transform == config.QuantileNormalTransform; q != (len(c.Quantiles) > 0) || q != (p.ContinuousTransform == data.TransformQuantileNormal) {
			t.Errorf("%s: transform %q, %d quantiles; asked for %q", c.Name, p.ContinuousTransform, len(c.Quantiles), transform)
		}
		if ple := num.Kind == models.NumEmbeddingPLE; ple != (len(c.BinEdges) > 0) || len(c.BinEdges) > num.WithDefaults().Bins+1 {
			t.Errorf("%s: bin edges %v for %+v", c.Name, c.BinEdges, num)
		}
	}
}

// Pretrained and fine-tuned models with the new options save and load bit
// for bit: weights, preprocessing, features and predictions.
func TestNumEmbeddingSaveLoad(t *testing.T) {
	ctx := context.Background()
	test := synthetic(100, 3)
	tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 2, Quiet: true}
	for _, tt := range numEmbeddingCases {
		t.Run(tt.name, func(t *testing.T) {
			c := daeConfig()
			c.NumEmbedding = tt.num
			dc := config.DataConfig{Target: []string{"label"}, ContinuousTransform: tt.transform}
			m, err := gotabular.New(dc, c, config.OptimizerConfig{}, tc)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Pretrain(ctx, synthetic(300, 1).Without("label", "amount"), nil); err != nil {
				t.Fatal(err)
			}
			checkPreprocessing(t, m.Preprocessor(), tt.transform, tt.num)
			params := values(gotabular.ParamsForTest(m))
			if _, ok := params[tt.param]; tt.param != "" && !ok {
				t.Errorf("no parameter %s among %v", tt.param, reflect.ValueOf(params).MapKeys())
			}

			back, dir := saveLoad(t, m)
			if !reflect.DeepEqual(values(gotabular.ParamsForTest(back)), params) {
				t.Error("pretrained weights differ after a round trip")
			}
			if !reflect.DeepEqual(back.Preprocessor(), m.Preprocessor()) {
				t.Error("preprocessing differs after a round trip")
			}
			f1, err := m.Featurize(test)
			if err != nil {
				t.Fatal(err)
			}
			f2, err := back.Featurize(test)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f1.Data, f2.Data) {
				t.Error("features differ after a round trip")
			}
			js, _ := os.ReadFile(filepath.Join(dir, gotabular.ModelFile))
			if got := strings.Contains(string(js), `"num_embedding"`); got != tt.num.Enabled() {
				t.Errorf("model.json mentions num_embedding: %v, want %v", got, tt.num.Enabled())
			}

			// Fine-tuning from the loaded model is fine-tuning from the
			// original: the same copy of the same weights.
			opts := gotabular.FinetuneOptions{Task: "classification", Train: synthetic(120, 2), Head: models.HeadConfig{Layers: "8"}, Trainer: &tc}
			ft, err := m.CreateFinetuneModel(opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := ft.Finetune(ctx, gotabular.FinetuneRun{}); err != nil {
				t.Fatal(err)
			}
			ft2, err := back.CreateFinetuneModel(opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := ft2.Finetune(ctx, gotabular.FinetuneRun{}); err != nil {
				t.Fatal(err)
			}
			fparams := values(gotabular.ParamsForTest(ft))
			if !reflect.DeepEqual(values(gotabular.ParamsForTest(ft2)), fparams) {
				t.Error("fine-tuning the loaded pretrained model gives other weights")
			}
			fback, _ := saveLoad(t, ft)
			if !reflect.DeepEqual(values(gotabular.ParamsForTest(fback)), fparams) {
				t.Error("fine-tuned weights differ after a round trip")
			}
			p1, err := ft.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := fback.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p1.Probabilities.Data, p2.Probabilities.Data) {
				t.Error("predictions differ after a round trip")
			}
		})
	}
}

// A supervised model trained from scratch uses the same options.
func TestFitNumEmbedding(t *testing.T) {
	test := synthetic(100, 5)
	for _, tt := range numEmbeddingCases {
		t.Run(tt.name, func(t *testing.T) {
			mc := models.Config{Task: "regression", Backbone: categoryembedding.Config{Layers: "16"},
				Embedding: models.EmbeddingConfig{BatchNormContinuous: true, NumEmbedding: tt.num}}
			dc := config.DataConfig{Target: []string{"amount"}, ScaleTarget: new(true), ContinuousTransform: tt.transform}
			m, err := gotabular.New(dc, mc, config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 32, MaxEpochs: 2, Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), synthetic(200, 4).Without("label"), nil); err != nil {
				t.Fatal(err)
			}
			checkPreprocessing(t, m.Preprocessor(), tt.transform, tt.num)
			back, _ := saveLoad(t, m)
			if !reflect.DeepEqual(values(gotabular.ParamsForTest(back)), values(gotabular.ParamsForTest(m))) {
				t.Error("weights differ after a round trip")
			}
			p1, err := m.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := back.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p1.Values, p2.Values) {
				t.Error("predictions differ after a round trip")
			}
		})
	}
}

// A damaged model.json with the new fields is refused with an error that
// names the field, never loaded or a panic.
func TestCorruptNumEmbeddingModel(t *testing.T) {
	c := daeConfig()
	c.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Dim: 3}
	m, err := gotabular.New(config.DataConfig{ContinuousTransform: config.QuantileNormalTransform}, c, config.OptimizerConfig{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(300, 1).Without("label", "amount"), nil); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(t.TempDir(), "good")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile(filepath.Join(good, gotabular.ModelFile))
	w, _ := os.ReadFile(filepath.Join(good, gotabular.WeightsFile))
	edit := func(re, repl string) []byte {
		out := regexp.MustCompile(re).ReplaceAll(js, []byte(repl))
		if bytes.Equal(out, js) {
			t.Fatalf("%s matches nothing", re)
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		js      []byte
		wantSub string
	}{
		{"unsorted quantiles", edit(`"quantiles": \[\s*[-0-9.e+]+,`, `"quantiles": [1e9,`), "quantiles[1]"},
		{"one quantile", edit(`"quantiles": \[[^\]]*\]`, `"quantiles": [1]`), "1 quantile"},
		{"unsorted bin edges", edit(`"bin_edges": \[\s*[-0-9.e+]+,`, `"bin_edges": [1e9,`), "bin_edges[1]"},
		{"missing bin edges", edit(`,\s*"bin_edges": \[[^\]]*\]`, ``), "ple needs the bin edges"},
		{"transform", edit(`"continuous_transform": "quantile_normal"`, `"continuous_transform": "rank_gauss"`), `"rank_gauss"`},
		{"kind", edit(`"kind": "ple"`, `"kind": "plx"`), `"plx"`},
		{"huge dim", edit(`"dim": 3`, `"dim": 1000000000`), "num_embedding: dim 1000000000"},
		{"more bins than the layer", edit(`"dim": 3`, `"dim": 3, "bins": 1`), `ple: "x1" has 17 bin edges; want 2..2`},
		{"no embedding", edit(`"kind": "ple",\s*"dim": 3`, `"kind": "none"`), `tensor "embedding.continuous_bn.weight" has shape`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, gotabular.ModelFile), tt.js, 0o644)
			os.WriteFile(filepath.Join(dir, gotabular.WeightsFile), w, 0o644)
			_, err := gotabular.Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("error %q does not mention %q", err, tt.wantSub)
			}
		})
	}
}
