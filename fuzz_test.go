package gotabular

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

// FuzzLoad feeds damaged model files to the loader: it must return an
// error or a model that predicts, never panic.
func FuzzLoad(f *testing.F) {
	tab, err := data.ParseCSV(strings.NewReader("a,b,y\n1,x,p\n2,y,q\n3,x,p\n4,z,q\n5,y,p\n6,x,q\n"), "tiny.csv", data.ReadOptions{})
	if err != nil {
		f.Fatal(err)
	}
	saved := func(dc config.DataConfig, emb models.EmbeddingConfig) (js, w []byte) {
		dc.Target = []string{"y"}
		m, err := New(dc, models.Config{Task: "classification", Backbone: categoryembedding.Config{Layers: "4"}, Embedding: emb},
			config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 1, Quiet: true})
		if err != nil {
			f.Fatal(err)
		}
		if err := m.Fit(context.Background(), tab, nil); err != nil {
			f.Fatal(err)
		}
		dir := filepath.Join(f.TempDir(), "m")
		if err := m.Save(dir); err != nil {
			f.Fatal(err)
		}
		js, _ = os.ReadFile(filepath.Join(dir, ModelFile))
		w, _ = os.ReadFile(filepath.Join(dir, WeightsFile))
		return js, w
	}
	js, w := saved(config.DataConfig{}, models.EmbeddingConfig{})
	f.Add(js, w)
	f.Add([]byte(strings.Replace(string(js), `"layers": "4"`, `"layers": "100000-100000"`, 1)), w)
	f.Add([]byte(`{"format":"gotabular-model","version":1,"kind":"pretrained","preprocessing":{"continuous":[],"categorical":[]}}`), w)
	// Models with the quantile-normal transform and numerical embeddings,
	// whose stored quantiles, bin edges and settings the loader checks.
	js, w = saved(config.DataConfig{ContinuousTransform: config.QuantileNormalTransform},
		models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Bins: 3, Dim: 2}})
	f.Add(js, w)
	js, w = saved(config.DataConfig{}, models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, Frequencies: 3, Dim: 2}})
	f.Add(js, w)
	f.Fuzz(func(t *testing.T, js, w []byte) {
		m, err := decode("fuzz", js, w)
		if err != nil {
			return
		}
		// A model that loads may still not fit this table (other
		// columns); when it predicts labels or values, it must predict
		// every row.
		p, err := m.Predict(tab)
		if err != nil {
			return
		}
		if n := max(len(p.Labels), len(p.Values)); p.Features == nil && n != tab.Rows {
			t.Fatalf("%d predictions for %d rows", n, tab.Rows)
		}
	})
}
