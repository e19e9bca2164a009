package modelbench_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/internal/fewlabel"
	"github.com/gotabular/gotabular/internal/modelbench"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

func TestParseModel(t *testing.T) {
	for _, tt := range []struct {
		name, model string
		plr         bool
		err         string
	}{
		{"backbone", "ResNet", false, ""},
		{"with PLR", "CategoryEmbedding+plr", true, ""},
		{"GANDALF", "GANDALF", false, ""},
		{"unknown", "XGBoost", false, `no backbone "XGBoost"`},
		{"unknown option", "ResNet+ple", false, `unknown option "ple"`},
		{"PLR scale and rate", "CategoryEmbedding+plr=0.5+lr=3e-4+wd=1e-5", true, ""},
		{"dropout", "ResNet+drop=0.2", false, ""},
		{"field", "CategoryEmbedding+layers=256-128+plr=3", true, ""},
		{"unknown field", "ResNet+layers=8", false, `unknown option "layers"`},
		{"bad field", "CategoryEmbedding+layers=x", false, "layers"},
		{"bad scale", "CategoryEmbedding+plr=-1", false, "not a frequency scale > 0"},
		{"bad rate", "ResNet+lr=x", false, "not a rate > 0"},
		{"bad dropout", "ResNet+drop=1", false, "not a probability"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := modelbench.ParseModel(tt.model)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want one about %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			base, _, _ := strings.Cut(tt.model, "+")
			if c, ok := m.Backbone.(categoryembedding.Config); ok && strings.Contains(tt.model, "layers=") && c.Layers != "256-128" {
				t.Errorf("layers %q, want 256-128", c.Layers)
			}
			if m.Name != tt.model || m.Backbone.Name() != base || m.Embedding.NumEmbedding.Enabled() != tt.plr {
				t.Errorf("model %+v", m)
			}
		})
	}
}

// Every registered backbone is a default model, so that a new backbone
// joins the benchmark by registering.
func TestDefaultModels(t *testing.T) {
	got := modelbench.DefaultModels()
	for _, b := range models.Backbones() {
		if !slices.Contains(got, b) {
			t.Errorf("default models %v lack the backbone %s", got, b)
		}
	}
	for _, n := range got {
		if _, err := modelbench.ParseModel(n); err != nil {
			t.Errorf("default model %s: %v", n, err)
		}
	}
}

// toyManifest writes two small datasets, one as train.csv and test.csv
// and one as data.csv, and returns the manifest.
func toyManifest(t *testing.T) *fewlabel.Manifest {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("x,kind,y\n")
		for range n {
			x := rng.NormFloat64()
			kind := []string{"a", "b", "c"}[rng.IntN(3)]
			y := []string{"lo", "mid", "hi"}[min(2, max(0, int(math.Round(x+map[string]float64{"a": 1, "b": 0, "c": -1}[kind]))+1))]
			fmt.Fprintf(&b, "%.3f,%s,%s\n", x, kind, y)
		}
		return b.String()
	}
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("split/train.csv", rows(300))
	write("split/test.csv", rows(100))
	write("whole/data.csv", rows(400))
	cols := `["x", "kind", "y"]`
	man := fmt.Sprintf(`[
	{"name": "split", "task": "multiclass classification", "target": "y", "categorical": ["kind"],
	 "files": [{"file": "train.csv", "columns": %[1]s}, {"file": "test.csv", "columns": %[1]s}]},
	{"name": "whole", "task": "multiclass classification", "target": "y", "categorical": ["kind"],
	 "files": [{"file": "data.csv", "columns": %[1]s}]}]`, cols)
	write("manifest.json", man)
	m, err := fewlabel.ReadManifest(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoad(t *testing.T) {
	m := toyManifest(t)
	for _, tt := range []struct {
		name        string
		train, test int
	}{
		{"split", 300, 100},
		{"whole", 320, 80},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := m.Entry(tt.name)
			d, err := modelbench.Load(m, e)
			if err != nil {
				t.Fatal(err)
			}
			if d.Train.Rows != tt.train || d.Test.Rows != tt.test {
				t.Errorf("%d training and %d test rows, want %d and %d", d.Train.Rows, d.Test.Rows, tt.train, tt.test)
			}
			if !slices.Equal(d.Continuous, []string{"x"}) || !slices.Equal(d.Categorical, []string{"kind"}) {
				t.Errorf("features %v and %v", d.Continuous, d.Categorical)
			}
			// The test rows of data.csv are fixed.
			again, err := modelbench.Load(m, e)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := d.Test.Col("x")
			b, _ := again.Test.Col("x")
			if !slices.Equal(a.Floats, b.Floats) {
				t.Error("two loads have different test rows")
			}
		})
	}
}

func TestRunAndReport(t *testing.T) {
	m := toyManifest(t)
	var mods []modelbench.Model
	for _, n := range []string{"ResNet", "CategoryEmbedding+plr"} {
		mod, err := modelbench.ParseModel(n)
		if err != nil {
			t.Fatal(err)
		}
		mods = append(mods, mod)
	}
	var recorded int
	rs, err := modelbench.Run(context.Background(), m, modelbench.Options{
		Datasets: []string{"whole"}, Models: mods, Seeds: []int{1, 2}, Epochs: 2, BatchSize: 64,
		Record: func(modelbench.Record) error { recorded++; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || recorded != 4 {
		t.Fatalf("%d records, %d recorded; want 4", len(rs), recorded)
	}
	for _, r := range rs {
		if r.Metric != "accuracy" || !(r.Value > 0.4 && r.Value <= 1) || r.Epochs < 1 || r.Epochs > 2 || !(r.SecondsPerEpoch > 0) {
			t.Errorf("record %+v", r)
		}
	}
	var b bytes.Buffer
	modelbench.Report(&b, rs)
	out := b.String()
	for _, want := range []string{"### whole", "| model | test accuracy | validation | seeds | epochs | s/epoch |", "| ResNet | 0.", "| CategoryEmbedding+plr | 0."} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// The report's spread is the sample standard deviation over the seeds.
func TestReportFigures(t *testing.T) {
	rs := []modelbench.Record{
		{Dataset: "d", Model: "A", Seed: 1, Metric: "accuracy", Value: 0.80, Valid: 0.81, Epochs: 10, SecondsPerEpoch: 1},
		{Dataset: "d", Model: "A", Seed: 2, Metric: "accuracy", Value: 0.82, Valid: 0.84, Epochs: 20, SecondsPerEpoch: 3},
		{Dataset: "d", Model: "B", Seed: 1, Metric: "accuracy", Value: 0.7, Valid: 0.6, Epochs: 5, SecondsPerEpoch: 0.5},
	}
	var b bytes.Buffer
	modelbench.Report(&b, rs)
	for _, want := range []string{"| A | 0.8100 ± 0.0141 | 0.8250 | 2 | 15 | 2.00 |", "| B | 0.7000 ± 0.0000 | 0.6000 | 1 | 5 | 0.50 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
