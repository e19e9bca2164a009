package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/internal/safetensors"
)

// savedShapes lists the tensors of a saved model by name and shape, the
// supervised network's backbone under the fine-tuning network's name for
// it, the encoder; with prefixes, only the tensors whose names start with
// one of them.
func savedShapes(t *testing.T, dir string, prefixes ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, gotabular.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	ts, _, err := safetensors.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range ts {
		name := strings.Replace(x.Name, "backbone.", "encoder.", 1)
		if len(prefixes) == 0 || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			out = append(out, fmt.Sprintf("%s %v", name, x.Shape))
		}
	}
	slices.Sort(out)
	return out
}

// fit and pretrain + finetune at their defaults build the same network:
// embedding, backbone (encoder) and head.
func TestDefaultsBuildOneNetwork(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	sup, pre, ft := filepath.Join(dir, "fit"), filepath.Join(dir, "pre"), filepath.Join(dir, "ft")
	mustRun(t, "fit", "-data", f.labelled, "-target", "label", "-exclude", "id,price", "-out", sup, "-epochs", "1", "-quiet")
	mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", pre, "-epochs", "1", "-quiet")
	mustRun(t, "finetune", "-model", pre, "-data", f.labelled, "-target", "label", "-out", ft, "-epochs", "1", "-quiet")
	got, want := savedShapes(t, ft), savedShapes(t, sup)
	if !slices.Equal(got, want) {
		t.Errorf("pretrain + finetune:\n%s\nfit:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The pretrained model's embedding and encoder are the same too.
	if got, want := savedShapes(t, pre, "embedding.", "encoder."), savedShapes(t, sup, "embedding.", "encoder."); !slices.Equal(got, want) {
		t.Errorf("pretrained featurizer:\n%s\nfit's embedding and backbone:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Zeros and false given as flags are kept: -patience 0 stops at the first
// epoch without improvement, -scale-target=false trains on raw values.
func TestZeroFlags(t *testing.T) {
	f := fixtures(t)
	out := filepath.Join(t.TempDir(), "fit")
	mustRun(t, "fit", "-data", f.labelled, "-target", "price", "-exclude", "id,label", "-out", out, "-layers", "8", "-head", "",
		"-epochs", "30", "-lr", "0.05", "-patience", "0", "-scale-target=false", "-quiet")
	m, err := gotabular.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.TrainerConfig.Patience() != 0 || m.Target().Scale {
		t.Errorf("patience %d, target scaled %v; want 0 and false", m.TrainerConfig.Patience(), m.Target().Scale)
	}
	if h := m.History; len(h.Epochs) == 30 || h.BestEpoch != len(h.Epochs)-1 {
		t.Errorf("best epoch %d of %d (%s): want the run stopped by the first epoch without improvement", h.BestEpoch, len(h.Epochs), h.Stopped)
	}
}

func TestTrainingFlagErrors(t *testing.T) {
	f := fixtures(t)
	out := filepath.Join(t.TempDir(), "out")
	finetune := []string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", out}
	fit := []string{"fit", "-data", f.labelled, "-target", "label", "-out", out}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"Patience", append(slices.Clone(fit), "-patience", "-1"), "-patience -1: must be ≥ 0"},
		{"UnknownMonitor", append(slices.Clone(finetune), "-monitor", "valid_rocauc", "-quiet"), `cannot monitor "valid_rocauc"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit status %d, stdout %q, stderr %q; want 1 and one line containing %q", code, stdout, stderr, tt.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written despite the error", out)
				os.RemoveAll(out)
			}
		})
	}
}
