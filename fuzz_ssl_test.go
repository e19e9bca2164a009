package gotabular

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
)

// FuzzLoadSSL feeds damaged files of pretrained models of every registered
// method to the loader: it must return an error or a model whose features
// have a row per row of the table, never panic. The seeds are each
// method's saved model, and some with settings out of range.
func FuzzLoadSSL(f *testing.F) {
	tab, err := data.ParseCSV(strings.NewReader("a,b\n1,x\n2,y\n3,x\n4,z\n5,y\n6,x\n7,z\n8,y\n"), "tiny.csv", data.ReadOptions{})
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range ssl.Methods() {
		e, err := ssl.Edit(m.New())
		if err != nil {
			f.Fatal(err)
		}
		e.Common().EncoderConfig = categoryembedding.Config{Layers: "4"}
		tm, err := New(config.DataConfig{}, e.Config(), config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 1, Quiet: true})
		if err != nil {
			f.Fatal(err)
		}
		if err := tm.Pretrain(context.Background(), tab, nil); err != nil {
			f.Fatal(err)
		}
		dir := filepath.Join(f.TempDir(), m.Name)
		if err := tm.Save(dir); err != nil {
			f.Fatal(err)
		}
		js, _ := os.ReadFile(filepath.Join(dir, ModelFile))
		w, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
		f.Add(js, w)
		for _, edit := range [][2]string{
			{`"version": 2`, `"version": 1`},
			{`"version": 2`, `"version": 3`},
			{`"max_onehot_cardinality": 4`, `"max_onehot_cardinality": -1`},
			{`"projection_layers": "256-256"`, `"projection_layers": "100000-100000"`},
			{`"temperature": 1`, `"temperature": -1`},
			{`"corruption_rate": 0.6`, `"corruption_rate": 7`},
			{`"mask_probability": 0.3`, `"mask_probability": null`},
			{`"default_noise_probability": 0.8`, `"default_noise_probability": "high"`},
		} {
			if s := string(js); strings.Contains(s, edit[0]) {
				f.Add([]byte(strings.Replace(s, edit[0], edit[1], 1)), w)
			}
		}
	}
	f.Fuzz(func(t *testing.T, js, w []byte) {
		m, err := decode("fuzz", js, w)
		if err != nil {
			return
		}
		feats, err := m.Featurize(tab)
		if err != nil {
			return
		}
		if feats.Rows != tab.Rows {
			t.Fatalf("%d feature rows for %d rows", feats.Rows, tab.Rows)
		}
	})
}
