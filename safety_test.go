package gotabular_test

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
)

// Issue 11, "corrupt weights": a bit-flipped weights file loaded and
// predicted different numbers. model.json records the file's SHA-256, and
// Load checks it; a model saved before the checksum existed still loads.
func TestWeightsChecksum(t *testing.T) {
	m := pretrained(t)
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	jsPath, wPath := filepath.Join(dir, gotabular.ModelFile), filepath.Join(dir, gotabular.WeightsFile)
	js, _ := os.ReadFile(jsPath)
	if !regexp.MustCompile(`"weights_sha256": "[0-9a-f]{64}"`).Match(js) {
		t.Fatalf("model.json has no weights_sha256")
	}
	w, _ := os.ReadFile(wPath)
	flipped := append([]byte(nil), w...)
	flipped[len(flipped)-3] ^= 0x10 // a bit of the last weight
	os.WriteFile(wPath, flipped, 0o644)
	if _, err := gotabular.Load(dir); err == nil || !strings.Contains(err.Error(), "damaged or was changed") {
		t.Errorf("loading a flipped weight: %v", err)
	}

	// An old model: no checksum.
	old := regexp.MustCompile(`,\s*"weights_sha256": "[0-9a-f]{64}"`).ReplaceAll(js, nil)
	os.WriteFile(jsPath, old, 0o644)
	os.WriteFile(wPath, w, 0o644)
	if _, err := gotabular.Load(dir); err != nil {
		t.Errorf("a model without a checksum no longer loads: %v", err)
	}
}

// Issue 11, "non-finite values": NaN in the weights is neither saved nor
// passed on as predictions.
func TestNaNWeights(t *testing.T) {
	m := pretrained(t)
	ft := finetune(t, m, false)
	ps := gotabular.ParamsForTest(ft)
	ps[len(ps)-1].Value.Data[0] = float32(math.NaN())
	dir := filepath.Join(t.TempDir(), "m")
	if err := ft.Save(dir); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("saving NaN weights: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the model was saved")
	}
	test := synthetic(50, 3)
	if _, err := ft.Predict(test); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("predicting with NaN weights: %v", err)
	}
	if _, err := ft.Evaluate(test); err == nil || !strings.Contains(err.Error(), "not finite") && !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("evaluating with NaN weights: %v", err)
	}
}

// Issue 11: evaluate silently dropped loss and roc_auc. A figure that is
// undefined on the rows given is NaN, not missing.
func TestEvaluateKeepsUndefinedFigures(t *testing.T) {
	ft := finetune(t, pretrained(t), false)
	test := synthetic(200, 4)
	label, _ := test.Col("label")
	var pos []int
	for i := range test.Rows {
		if s, _ := label.Text(i); s == "pos" {
			pos = append(pos, i)
		}
	}
	figs, err := ft.Evaluate(test.Take(pos)) // one class: ROC-AUC is undefined
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"loss", "accuracy", "roc_auc", "f1"} {
		if _, ok := figs[name]; !ok {
			t.Errorf("figure %q is missing: %v", name, figs)
		}
	}
	if !math.IsNaN(figs["roc_auc"]) || math.IsNaN(figs["loss"]) {
		t.Errorf("roc_auc %v (want NaN), loss %v (want a number)", figs["roc_auc"], figs["loss"])
	}
}

// Issue 11, "killed saves": a save killed with kill -9 left its temporary
// directories behind. The next save of the same model removes them.
func TestSaveRemovesLeftovers(t *testing.T) {
	m := pretrained(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "model")
	for _, leftover := range []string{".model.tmp-123456", ".model.tmp-654321.old"} {
		os.MkdirAll(filepath.Join(parent, leftover), 0o755)
		os.WriteFile(filepath.Join(parent, leftover, gotabular.WeightsFile), make([]byte, 1<<16), 0o644)
	}
	os.Mkdir(filepath.Join(parent, ".other.tmp-1"), 0o755) // another model's: kept
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != ".other.tmp-1 model" {
		t.Errorf("after the save, the directory holds %q; want the model and the other model's leftover", names)
	}
}
