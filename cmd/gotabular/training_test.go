package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/internal/safetensors"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/dae"
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

// Every fine-tuning option reaches the saved model, from the flags and
// from the config file.
func TestFinetuneOptions(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	modelJSON := func(out string) map[string]any {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, gotabular.ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"flags", []string{"-epochs", "2", "-patience", "0", "-scale-target=false", "-optimizer", "adamw", "-weight-decay", "0.05",
			"-lr-scheduler", "onecycle", "-lr-scheduler-params", "pct_start=0.5", "-backbone-lr-scale", "0.1",
			"-encoder-dropout", "0.2", "-probe-epochs", "2", "-head", "8", "-head-dropout", "0.1"}},
		{"config file", []string{"-config", "testdata/finetune.yaml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, tt.name)
			args := append([]string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "price", "-out", out,
				"-monitor", "valid_rmse", "-quiet"}, tt.args...)
			mustRun(t, args...)
			m, err := gotabular.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			tc, oc := m.TrainerConfig, m.OptimizerConfig
			if tc.Patience() != 0 || m.Target().Scale || oc.Optimizer != "adamw" || oc.WeightDecay != 0.05 ||
				oc.LRScheduler != "onecycle" || oc.LRSchedulerParams["pct_start"] != 0.5 {
				t.Errorf("trainer %+v, optimizer %+v, target scaled %v", tc, oc, m.Target().Scale)
			}
			if enc := m.ModelConfig.(dae.Config).EncoderConfig.(categoryembedding.Config); enc.Dropout != 0.2 {
				t.Errorf("encoder dropout %v, want 0.2", enc.Dropout)
			}
			if pre, _ := gotabular.Load(f.pretrained); pre.ModelConfig.(dae.Config).EncoderConfig.(categoryembedding.Config).Dropout != 0 {
				t.Error("the pretrained model's encoder dropout changed")
			}
			spec := modelJSON(out)["finetune"].(map[string]any)
			head := spec["head"].(map[string]any)
			if spec["backbone_lr_scale"] != 0.1 || spec["probe_epochs"] != 2.0 || head["layers"] != "8" || head["dropout"] != 0.1 {
				t.Errorf("fine-tuning spec %v", spec)
			}
			// Two probe epochs, then at most 2 of fine-tuning; with
			// patience 0 the first that does not improve is the last.
			if n := len(m.History.Epochs); n < 3 || n > 4 || m.History.Monitor != "valid_rmse" {
				t.Errorf("%d epochs monitoring %q, want 3 or 4 monitoring valid_rmse", n, m.History.Monitor)
			}
		})
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
		{"EncoderDropout", append(slices.Clone(finetune), "-encoder-dropout", "1"), "-encoder-dropout 1: want a probability in [0, 1)"},
		{"HeadDropout", append(slices.Clone(finetune), "-head-dropout", "-0.1"), "-head-dropout -0.1"},
		{"BackboneLRScale", append(slices.Clone(finetune), "-backbone-lr-scale", "-1"), "-backbone-lr-scale -1"},
		{"ProbeEpochs", append(slices.Clone(finetune), "-probe-epochs", "-2"), "-probe-epochs -2"},
		{"FreezeAndProbe", append(slices.Clone(finetune), "-freeze", "-probe-epochs", "2"), "-freeze with -probe-epochs 2"},
		{"Optimizer", append(slices.Clone(fit), "-optimizer", "lbfgs"), `-optimizer "lbfgs": want one of adam, adamw, sgd`},
		{"WeightDecay", append(slices.Clone(finetune), "-weight-decay", "-1"), "-weight-decay -1"},
		{"Scheduler", append(slices.Clone(fit), "-lr-scheduler", "linear"), `-lr-scheduler: lr_scheduler "linear": want one of constant, cosine, onecycle`},
		{"SchedulerParam", append(slices.Clone(finetune), "-lr-scheduler", "cosine", "-lr-scheduler-params", "warmpu=0.1"), `"warmpu" is not a parameter of the cosine schedule`},
		{"SchedulerParamValue", append(slices.Clone(fit), "-lr-scheduler-params", "warmup"), `-lr-scheduler-params: "warmup": want name=number`},
		{"UnknownMonitor", append(slices.Clone(finetune), "-monitor", "valid_rocauc", "-probe-epochs", "2", "-quiet"), `cannot monitor "valid_rocauc"`},
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

// A cross-fitted, self-trained fine-tuning with deep features, from the
// flags: the saved model is an ensemble of folds × repeats members.
func TestFinetuneEnsembleFlags(t *testing.T) {
	f := fixtures(t)
	out := filepath.Join(t.TempDir(), "ensemble")
	report, _ := mustRun(t, "finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", out,
		"-folds", "3", "-fold-repeats", "2", "-deep-features", "-unlabelled", f.unlabelled, "-pseudo-labels", "50",
		"-epochs", "3", "-quiet")
	if !strings.Contains(report, "cross-validated (out-of-fold predictions of the labelled rows): accuracy") {
		t.Errorf("finetune reported %q", report)
	}
	m, err := gotabular.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if tc := m.TrainerConfig; tc.Folds != 3 || tc.FoldRepeats != 2 || len(m.MemberHistories) != 5 {
		t.Errorf("folds %d, repeats %d, %d more members; want 3, 2 and 5", tc.Folds, tc.FoldRepeats, len(m.MemberHistories))
	}
	b, err := os.ReadFile(filepath.Join(out, gotabular.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"members": 6`, `"deep_features": true`, `"pseudo_labels": 50`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("model.json lacks %s", want)
		}
	}
	stdout, _ := mustRun(t, "evaluate", "-model", out, "-data", f.test)
	if !strings.Contains(stdout, "roc_auc") {
		t.Errorf("evaluate printed %q", stdout)
	}

	// -folds 0 or 1 alone, or folds: 0 or 1 alone in a config file, means
	// one model, whatever the default repeats.
	for _, tt := range []struct{ name, folds, file string }{
		{"-folds 0", "0", ""}, {"-folds 1", "1", ""},
		{"file folds 0", "", "trainer:\n  folds: 0\n"}, {"file folds 1", "", "trainer:\n  folds: 1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			one := filepath.Join(t.TempDir(), "one")
			args := []string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", one,
				"-epochs", "2", "-quiet"}
			if tt.folds != "" {
				args = append(args, "-folds", tt.folds)
			}
			if tt.file != "" {
				cfg := filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(cfg, []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-config", cfg)
			}
			mustRun(t, args...)
			m, err := gotabular.Load(one)
			if err != nil {
				t.Fatal(err)
			}
			if tc := m.TrainerConfig; tc.Members() != 1 || len(m.MemberHistories) != 0 {
				t.Errorf("folds %d, repeats %d, %d more members; want one model", tc.Folds, tc.FoldRepeats, len(m.MemberHistories))
			}
		})
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-folds", "-1"}, "-folds -1"},
		{[]string{"-folds", "3", "-fold-repeats", "0"}, "-fold-repeats 0"},
		{[]string{"-pseudo-labels", "10"}, "-pseudo-labels and -unlabelled go together"},
		{[]string{"-unlabelled", f.unlabelled}, "-pseudo-labels and -unlabelled go together"},
		{[]string{"-pseudo-labels", "-1", "-unlabelled", f.unlabelled}, "-pseudo-labels -1"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad")
			code, _, stderr := runArgs(t, append([]string{"finetune", "-model", f.pretrained, "-data", f.labelled, "-target", "label", "-out", bad}, tt.args...)...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit status %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
		})
	}
}
