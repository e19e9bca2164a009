package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
)

// Issue 11: a stray value in a numeric column is read as missing, with a
// warning naming the column, the count and the value, and the command
// goes on.
func TestOddValueWarns(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	odd := writeRows(t, dir, "odd.csv", makeRows(20, 7), labelledCols, func(i int, rec map[string]string) {
		if i == 2 {
			rec["x1"] = "n/a"
		}
	})
	code, stdout, stderr := runArgs(t, "predict", "-model", f.finetuned, "-data", odd)
	if code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	for _, want := range []string{"warning: ", "odd.csv: row 3 (line 4)", `column "x1"`, "1 of 20 values", `"n/a"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if n := strings.Count(stdout, "\n"); n != 21 {
		t.Errorf("%d lines of output, want 21", n)
	}
}

// Issue 11, "dropped columns": -categorical names one column and the
// other text columns stay features.
func TestCategoricalFlagKeepsOtherColumns(t *testing.T) {
	f := fixtures(t)
	out := filepath.Join(t.TempDir(), "m")
	mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-categorical", "size", "-out", out, "-encoder", "4", "-epochs", "1", "-quiet")
	m, err := gotabular.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	var cat, cont []string
	for _, c := range m.Preprocessor().Categorical {
		cat = append(cat, c.Name)
	}
	for _, c := range m.Preprocessor().Continuous {
		cont = append(cont, c.Name)
	}
	slices.Sort(cat)
	if !slices.Equal(cat, []string{"color", "size"}) || len(cont) != 3 {
		t.Errorf("categorical %q, continuous %q; want color and size, and x1, x2, x3", cat, cont)
	}
}

// Issue 11: a regression target with one NaN was taken for a 175-class
// classification. It stays numeric; the row without a target is refused
// with its position.
func TestRegressionTargetWithNaN(t *testing.T) {
	dir := t.TempDir()
	data := writeRows(t, dir, "nan_target.csv", makeRows(200, 5), labelledCols, func(i int, rec map[string]string) {
		if i == 9 {
			rec["price"] = "NaN"
		}
	})
	code, _, stderr := runArgs(t, "fit", "-data", data, "-target", "price", "-exclude", "id,label", "-out", filepath.Join(dir, "m"), "-epochs", "1", "-quiet")
	if code != 1 || !strings.Contains(stderr, `row 10, column "price": the target value is missing`) || strings.Contains(stderr, "classification") {
		t.Errorf("exit status %d, stderr %q: want the missing target of row 10 refused", code, stderr)
	}
}

// A semicolon-delimited file gives the same predictions as the comma one.
func TestSemicolonFile(t *testing.T) {
	f := fixtures(t)
	text, err := os.ReadFile(f.test)
	if err != nil {
		t.Fatal(err)
	}
	semi := filepath.Join(t.TempDir(), "semi.csv")
	os.WriteFile(semi, []byte(strings.ReplaceAll(string(text), ",", ";")), 0o644)
	want, _ := mustRun(t, "predict", "-model", f.finetuned, "-data", f.test)
	got, _ := mustRun(t, "predict", "-model", f.finetuned, "-data", semi)
	if got != want {
		t.Errorf("predictions differ:\n%.300s\nwant\n%.300s", got, want)
	}
}

// Issue 11, "data lost through -out": predict -data x.csv -out x.csv
// overwrote the input, and -out model/model.json destroyed the model.
func TestOutputThatWouldDestroy(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "x.csv")
	text, _ := os.ReadFile(f.test)
	os.WriteFile(input, text, 0o644)
	link := filepath.Join(dir, "link.csv")
	os.Symlink(input, link)
	model := filepath.Join(dir, "model")
	mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", model, "-encoder", "4", "-epochs", "1", "-quiet")
	modelJSON, _ := os.ReadFile(filepath.Join(model, gotabular.ModelFile))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"input", []string{"predict", "-model", f.finetuned, "-data", input, "-out", input}, "is the input file"},
		{"input by another name", []string{"predict", "-model", f.finetuned, "-data", input, "-out", filepath.Join(dir, ".", "x.csv")}, "is the input file"},
		{"input through a link", []string{"embed", "-model", f.finetuned, "-data", input, "-out", link}, "is the input file"},
		{"input of a list", []string{"predict", "-model", f.finetuned, "-data", f.test + "," + input, "-out", input}, "is the input file"},
		{"model file", []string{"predict", "-model", model, "-data", input, "-out", filepath.Join(model, gotabular.ModelFile)}, "inside the model directory"},
		{"new file in a model", []string{"embed", "-model", f.finetuned, "-data", input, "-out", filepath.Join(model, "features.csv")}, "inside the model directory"},
		{"directory", []string{"predict", "-model", f.finetuned, "-data", input, "-out", dir}, "is a directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runArgs(t, tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit status %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(input); string(b) != string(text) {
		t.Error("the input was changed")
	}
	if b, _ := os.ReadFile(filepath.Join(model, gotabular.ModelFile)); string(b) != string(modelJSON) {
		t.Error("the model was changed")
	}
	if _, err := os.Stat(filepath.Join(model, "features.csv")); err == nil {
		t.Error("a file was written into the model directory")
	}
}

// A predict killed while writing its output left the temporary file; the
// next write of the same output removes it.
func TestOutputRemovesLeftovers(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "pred.csv")
	os.WriteFile(filepath.Join(dir, ".pred.csv.tmp-123"), []byte("partial"), 0o644)
	mustRun(t, "predict", "-model", f.finetuned, "-data", f.test, "-out", out)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "pred.csv" {
		t.Errorf("after the write the directory holds %v", entries)
	}
}

// Issue 11, "high cardinality": a categorical column with more levels
// than an embedding can use is capped, with a warning on stderr.
func TestHighCardinalityWarns(t *testing.T) {
	dir := t.TempDir()
	rows := makeRows(1200, 11)
	file := writeRows(t, dir, "ids.csv", rows, []string{"id", "x1", "x2", "color"}, func(i int, rec map[string]string) {
		rec["id"] = "user" + rec["id"]
	})
	code, _, stderr := runArgs(t, "pretrain", "-data", file, "-out", filepath.Join(dir, "m"), "-encoder", "4", "-epochs", "1", "-quiet")
	if code != 0 || !strings.Contains(stderr, `warning: `) || !strings.Contains(stderr, `column "id": 1200 distinct values: the 1000 most frequent`) {
		t.Errorf("exit status %d, stderr %q: want a warning about id", code, stderr)
	}
}
