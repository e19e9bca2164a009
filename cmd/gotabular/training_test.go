package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
)

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
