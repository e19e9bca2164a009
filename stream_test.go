package gotabular_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
)

// writeCSV writes t as CSV text (missing values as empty fields).
func writeCSV(t *testing.T, tab *data.Table, path string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(strings.Join(tab.Names(), ",") + "\n")
	for i := range tab.Rows {
		for j, c := range tab.Columns {
			if j > 0 {
				b.WriteByte(',')
			}
			if s, ok := c.Text(i); ok {
				b.WriteString(s)
			}
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func streamed(t *testing.T, spec string, shuffle int) *gotabular.TabularModel {
	t.Helper()
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, daeConfig(), config.OptimizerConfig{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.PretrainStream(context.Background(), spec, nil, data.StreamOptions{ShuffleRows: shuffle, Exclude: []string{"label", "amount"}}); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPretrainStream(t *testing.T) {
	dir := t.TempDir()
	tab := synthetic(600, 1)
	csvPath := filepath.Join(dir, "a.csv")
	writeCSV(t, tab, csvPath)
	f, err := os.Create(filepath.Join(dir, "b.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := data.WriteParquet(f, synthetic(300, 2)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, tc := range []struct {
		name, spec string
		shuffle    int
	}{
		{"csv", csvPath, 100},
		{"csv and parquet", dir, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := streamed(t, tc.spec, tc.shuffle), streamed(t, tc.spec, tc.shuffle)
			if !reflect.DeepEqual(values(gotabular.ParamsForTest(a)), values(gotabular.ParamsForTest(b))) {
				t.Fatal("two runs with the same seed differ")
			}
			if a.Kind() != gotabular.Pretrained || len(a.History.Epochs) != quiet.MaxEpochs || a.History.Epochs[0].Valid == nil {
				t.Fatalf("kind %s, history %+v", a.Kind(), a.History)
			}
			// The encoding is the one pretraining in memory fits.
			mem, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, daeConfig(), config.OptimizerConfig{}, quiet)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := data.Read(tc.spec, data.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := mem.Pretrain(context.Background(), whole.Without("label", "amount"), nil); err != nil {
				t.Fatal(err)
			}
			got, want := a.Preprocessor(), mem.Preprocessor()
			if !reflect.DeepEqual(got.Categorical, want.Categorical) || len(got.Continuous) != len(want.Continuous) {
				t.Fatalf("preprocessing %+v, in memory %+v", got, want)
			}
			for j, w := range want.Continuous {
				g := got.Continuous[j]
				if g.Name != w.Name || abs(g.Mean-w.Mean) > 1e-9 || abs(g.Std-w.Std) > 1e-9 {
					t.Fatalf("column %s: %+v, in memory %+v", w.Name, g, w)
				}
			}
			// The model saves, loads and fine-tunes like any other.
			out := filepath.Join(t.TempDir(), "m")
			if err := a.Save(out); err != nil {
				t.Fatal(err)
			}
			loaded, err := gotabular.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			finetune(t, loaded, false)
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
