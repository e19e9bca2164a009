package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fewlabelData writes a manifest with one small binary dataset and
// returns its path.
func fewlabelData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 3))
	var b strings.Builder
	b.WriteString("x,kind,y\n")
	for range 300 {
		x := rng.NormFloat64()
		kind := []string{"a", "b", "c"}[rng.IntN(3)]
		y := "0"
		if x+rng.NormFloat64()+map[string]float64{"a": 1, "b": 0, "c": -1}[kind] > 0 {
			y = "1"
		}
		fmt.Fprintf(&b, "%.3f,%s,%s\n", x, kind, y)
	}
	if err := os.MkdirAll(filepath.Join(dir, "toy"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "toy", "data.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m := `[{"name": "toy", "task": "binary classification", "target": "y", "positive": "1", "categorical": ["kind"],
	"files": [{"file": "data.csv", "rows": 300, "columns": ["x", "kind", "y"]}]}]`
	path := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBench(t *testing.T) {
	manifest := fewlabelData(t)
	out := t.TempDir()
	runs := filepath.Join(out, "runs.json")
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"help", []string{"bench", "-h"}, 0, "gotabular bench engine|fewlabel"},
		{"engine help", []string{"bench", "engine", "-h"}, 0, "train_b256 steps/s N"},
		{"no benchmark named", []string{"bench"}, 2, "name the benchmark: engine, fewlabel, models, serve, read or gen"},
		{"gen no out", []string{"bench", "gen"}, 2, "-out"},
		{"gen few columns", []string{"bench", "gen", "-cols", "2", "-out", filepath.Join(out, "g.csv")}, 1, "-cols ≥ 3"},
		{"gen csv", []string{"bench", "gen", "-rows", "300", "-cols", "5", "-out", filepath.Join(out, "g.csv.gz")}, 0, "300 rows, 5 columns"},
		{"gen parquet", []string{"bench", "gen", "-rows", "300", "-cols", "4", "-out", filepath.Join(out, "g.parquet")}, 0, "300 rows, 4 columns"},
		{"pretrain stream", []string{"pretrain", "-data", filepath.Join(out, "g.csv.gz") + "," + filepath.Join(out, "g.csv.gz"), "-stream", "-epochs", "1", "-quiet", "-out", filepath.Join(out, "ps")}, 0, "saved the pretrained model"},
		{"pretrain stream parquet", []string{"pretrain", "-data", filepath.Join(out, "g.parquet"), "-stream", "-shuffle-rows", "50", "-exclude", "cat_b", "-epochs", "2", "-encoder", "8-4", "-quiet", "-out", filepath.Join(out, "ps")}, 0, "saved the pretrained model"},
		{"shuffle without stream", []string{"pretrain", "-data", filepath.Join(out, "g.parquet"), "-shuffle-rows", "50", "-out", filepath.Join(out, "ps2")}, 1, "-shuffle-rows is for -stream"},
		{"unknown benchmark", []string{"bench", "disk"}, 2, "name the benchmark"},
		{"bad seconds", []string{"bench", "engine", "-seconds", "0"}, 1, "-seconds must be positive"},
		{"run", []string{"bench", "engine", "-seconds", "0.01", "-warmup", "0", "-windows", "1"}, 0, "gemm_256x512x512 GFLOP/s "},
		{"fewlabel help", []string{"bench", "fewlabel", "-h"}, 0, "Methods are a base"},
		{"fewlabel no manifest", []string{"bench", "fewlabel"}, 2, "-manifest file is required"},
		{"fewlabel unknown method", []string{"bench", "fewlabel", "-manifest", manifest, "-methods", "xgb"}, 1, `unknown base "xgb"`},
		{"fewlabel unknown dataset", []string{"bench", "fewlabel", "-manifest", manifest, "-datasets", "adult"}, 1, `no dataset "adult"`},
		{"fewlabel bad labels", []string{"bench", "fewlabel", "-manifest", manifest, "-labels", "20,x"}, 1, `-labels: "x" is not a positive integer`},
		{"fewlabel run", []string{"bench", "fewlabel", "-manifest", manifest, "-labels", "40", "-seeds", "1,2", "-methods", "linear",
			"-write-splits", filepath.Join(out, "splits"), "-json", runs}, 0, "| toy | 40 | roc_auc | "},
		{"models help", []string{"bench", "models", "-h"}, 0, "GANDALF, ResNet"},
		{"models no manifest", []string{"bench", "models"}, 2, "-manifest file is required"},
		{"models unknown model", []string{"bench", "models", "-manifest", manifest, "-datasets", "toy", "-models", "XGBoost"}, 1, `no backbone "XGBoost"`},
		{"models unknown dataset", []string{"bench", "models", "-manifest", manifest}, 1, `no dataset "adult"`},
		{"models bad epochs", []string{"bench", "models", "-manifest", manifest, "-epochs", "0"}, 1, "-epochs and -batch-size must be positive"},
		{"models run", []string{"bench", "models", "-manifest", manifest, "-datasets", "toy", "-models", "ResNet,GANDALF+plr",
			"-seeds", "1,2", "-epochs", "2", "-json", filepath.Join(out, "models.json")}, 0, "| GANDALF+plr | 0."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.output) {
				t.Errorf("exit status %d, want %d; output lacks %q:\n%s%s", code, tt.code, tt.output, stdout, stderr)
			}
		})
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	var rs []map[string]any
	if err := json.Unmarshal(b, &rs); err != nil || len(rs) != 2 {
		t.Fatalf("-json wrote %d records (%v):\n%s", len(rs), err, b)
	}
	for _, k := range []string{"dataset", "labels", "seed", "method", "metric", "value", "seconds"} {
		if _, ok := rs[0][k]; !ok {
			t.Errorf("a record lacks %q: %v", k, rs[0])
		}
	}
	if _, err := os.Stat(filepath.Join(out, "splits", "toy.json")); err != nil {
		t.Errorf("the drawn splits were not written: %v", err)
	}
}
