package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
)

// setting returns the value of a method's setting in a loaded model.
func setting(t *testing.T, m *gotabular.TabularModel, key string) any {
	t.Helper()
	c, ok := m.ModelConfig.(ssl.Config)
	if !ok {
		t.Fatalf("model config %T is not self-supervised", m.ModelConfig)
	}
	e, err := ssl.Edit(c)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := e.Setting(key)
	if !ok {
		t.Fatalf("%s has no setting %q", c.Name(), key)
	}
	return s.Value()
}

// -method takes a registered name or alias in any case, and the method's
// settings are flags.
func TestPretrainMethods(t *testing.T) {
	f := fixtures(t)
	for _, tt := range []struct {
		name   string
		args   []string
		method string
		want   map[string]any
	}{
		{"default", nil, "DenoisingAutoEncoder", map[string]any{"default_noise_probability": 0.3, "noise_strategy": "swap"}},
		{"dae flags", []string{"-method", "dae", "-noise", "zero", "-noise-prob", "0", "-noise-probabilities", "color=0.5",
			"-loss-type-weights", "1,2,3", "-mask-loss-weight", "0"}, "DenoisingAutoEncoder",
			map[string]any{"noise_strategy": "zero", "default_noise_probability": 0.0, "noise_probabilities": map[string]float64{"color": 0.5},
				"loss_type_weights": []float64{1, 2, 3}, "mask_loss_weight": 0.0}},
		{"full name", []string{"-method=denoisingautoencoder"}, "DenoisingAutoEncoder", nil},
		{"scarf flags", []string{"-method", "scarf", "-corruption-rate", "0", "-temperature", "0.5", "-symmetric-loss",
			"-projection-layers", "8", "-projection-activation", "GELU"}, "SCARF",
			map[string]any{"corruption_rate": 0.0, "temperature": 0.5, "symmetric_loss": true, "projection_layers": "8", "projection_activation": "GELU"}},
		{"scarf defaults", []string{"-method", "SCARF"}, "SCARF", map[string]any{"corruption_rate": 0.6, "temperature": 1.0, "symmetric_loss": false}},
		{"vime flags, flag before -method", []string{"-mask-prob", "0", "-alpha", "1.5", "-method", "Vime"}, "VIME",
			map[string]any{"mask_probability": 0.0, "alpha": 1.5}},
		{"vime defaults", []string{"-method", "vime"}, "VIME", map[string]any{"mask_probability": 0.3, "alpha": 2.0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "pre")
			args := append([]string{"pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", out,
				"-encoder", "8", "-epochs", "1", "-quiet"}, tt.args...)
			mustRun(t, args...)
			m, err := gotabular.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.ModelConfig.(ssl.Config).Name(); got != tt.method {
				t.Errorf("method %s, want %s", got, tt.method)
			}
			for key, want := range tt.want {
				if got := setting(t, m, key); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", key, got, want)
				}
			}
		})
	}
}

// A SCARF model goes through the rest of the commands like any other.
func TestPretrainSCARFPipeline(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	pre, ft := filepath.Join(dir, "pre"), filepath.Join(dir, "ft")
	mustRun(t, "pretrain", "-method", "scarf", "-data", f.unlabelled, "-exclude", "id", "-out", pre,
		"-encoder", "16", "-projection-layers", "8", "-epochs", "2", "-batch-size", "64", "-quiet")
	stdout, _ := mustRun(t, "evaluate", "-model", pre, "-data", f.test)
	if !strings.HasPrefix(stdout, "loss ") || !strings.Contains(stdout, "contrastive_accuracy ") {
		t.Errorf("evaluate of the pretrained SCARF model:\n%s\nwant loss and contrastive_accuracy", stdout)
	}
	mustRun(t, "finetune", "-model", pre, "-data", f.labelled, "-target", "label", "-out", ft,
		"-head", "8", "-epochs", "5", "-quiet")
	stdout, _ = mustRun(t, "evaluate", "-model", ft, "-data", f.test, "-json")
	var figs map[string]float64
	if err := json.Unmarshal([]byte(stdout), &figs); err != nil {
		t.Fatal(err)
	}
	if _, ok := figs["roc_auc"]; !ok {
		t.Errorf("evaluate of the fine-tuned model: %v", figs)
	}
	embedded, _ := mustRun(t, "embed", "-model", pre, "-data", f.test)
	if header, rows := readCSV(t, embedded); len(header) != 16 || len(rows) != 200 {
		t.Errorf("embed: %d columns and %d rows, want 16 and 200", len(header), len(rows))
	}
}

// The model section takes the method and its settings; flags override
// the file, -method included.
func TestPretrainConfigMethods(t *testing.T) {
	f := fixtures(t)
	for _, tt := range []struct {
		name, file string
		args       []string
		method     string
		want       map[string]any
	}{
		{"scarf", "testdata/pretrain_scarf.yaml", nil, "SCARF",
			map[string]any{"corruption_rate": 0.4, "temperature": 0.5, "projection_layers": "16-8"}},
		{"scarf, flag over file", "testdata/pretrain_scarf.yaml", []string{"-temperature", "2", "-corruption-rate", "0"}, "SCARF",
			map[string]any{"corruption_rate": 0.0, "temperature": 2.0, "projection_layers": "16-8"}},
		{"vime", "testdata/pretrain_vime.yaml", nil, "VIME", map[string]any{"mask_probability": 0.25, "alpha": 1.5}},
		{"dae", "testdata/pretrain.yaml", []string{"-method", "DAE"}, "DenoisingAutoEncoder",
			map[string]any{"noise_strategy": "zero", "default_noise_probability": 0.5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "pre")
			mustRun(t, append([]string{"pretrain", "-config", tt.file, "-data", f.unlabelled, "-exclude", "id",
				"-out", out, "-epochs", "1", "-quiet"}, tt.args...)...)
			m, err := gotabular.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			c := m.ModelConfig.(ssl.Config)
			if c.Name() != tt.method {
				t.Fatalf("method %s, want %s", c.Name(), tt.method)
			}
			if enc := c.Common().EncoderConfig.(categoryembedding.Config); enc.Layers != "32-16" {
				t.Errorf("encoder %+v: want the file's 32-16", enc)
			}
			for key, want := range tt.want {
				if got := setting(t, m, key); !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", key, got, want)
				}
			}
		})
	}
}

func TestPretrainMethodErrors(t *testing.T) {
	f := fixtures(t)
	for _, tt := range []struct {
		name, yaml string
		args       []string
		code       int
		want       []string
	}{
		{"UnknownMethod", "", []string{"-method", "simclr"}, 1,
			[]string{`-method: unknown self-supervised method "simclr"; available: DenoisingAutoEncoder (dae), SCARF (scarf), VIME (vime)`}},
		{"UnknownMethodInFile", "model:\n  method: simclr\n", nil, 1,
			[]string{"cfg.yaml: line 2: model.method: unknown self-supervised method", "available: DenoisingAutoEncoder (dae), SCARF (scarf), VIME (vime)"}},
		{"FlagOfAnotherMethod", "", []string{"-method", "scarf", "-noise-prob", "0.3"}, 1,
			[]string{"-noise-prob is a setting of DenoisingAutoEncoder (-method dae), not of SCARF",
				"SCARF (-method scarf) takes -corruption-rate, -temperature, -symmetric-loss, -projection-layers, -projection-activation"}},
		{"FlagOfTheFileMethod", "model:\n  method: vime\n", []string{"-temperature", "2"}, 1,
			[]string{"-temperature is a setting of SCARF (-method scarf), not of VIME", "VIME (-method vime) takes -mask-prob, -alpha"}},
		{"MisspeltFlag", "", []string{"-method", "scarf", "-temprature", "0.3"}, 2,
			[]string{"flag provided but not defined: -temprature (did you mean -temperature?)", "SCARF (-method scarf) takes -corruption-rate"}},
		{"MisspeltFlagDefaultMethod", "", []string{"-noise-probability", "0.3"}, 2,
			[]string{"flag provided but not defined: -noise-probability", "DenoisingAutoEncoder (-method dae) takes -noise, -noise-probabilities, -noise-prob"}},
		{"MisspeltFlagFileMethod", "model:\n  method: vime\n", []string{"-alfa", "1"}, 2,
			[]string{"flag provided but not defined: -alfa (did you mean -alpha?)", "VIME (-method vime) takes -mask-prob, -alpha"}},
		{"NotANumber", "", []string{"-method", "scarf", "-temperature", "warm"}, 2, []string{`invalid value "warm" for flag -temperature: "warm" is not a number`}},
		{"BadMap", "", []string{"-noise-probabilities", "color"}, 2, []string{`invalid value "color" for flag -noise-probabilities`, "name=value"}},
		{"InvalidFlagValue", "", []string{"-method", "scarf", "-temperature", "0"}, 1, []string{"-temperature: scarf config: temperature 0: must be positive"}},
		{"InvalidFileValue", "model:\n  method: scarf\n  temperature: 0\n", nil, 1,
			[]string{"cfg.yaml: line 3: model.temperature: scarf config: temperature 0: must be positive"}},
		{"InvalidSharedFileValue", "model:\n  method: vime\n  learning_rate: 0\n", nil, 1,
			[]string{"cfg.yaml: line 3: model.learning_rate: ssl config: learning_rate 0: must be positive"}},
		{"KeyOfAnotherMethod", "model:\n  method: scarf\n  noise_strategy: zero\n", nil, 1,
			[]string{`line 3: unknown field "noise_strategy" in model for method SCARF (it belongs to DenoisingAutoEncoder, method: dae)`,
				"the fields are method, encoder", "corruption_rate, temperature"}},
		{"MisspeltKey", "model:\n  method: vime\n  alfa: 1\n", nil, 1,
			[]string{`line 3: unknown field "alfa" in model for method VIME (did you mean "alpha"?)`, "mask_probability, alpha"}},
		{"MethodFlagOverFile", "model:\n  method: scarf\n  temperature: 0.5\n", []string{"-method", "vime"}, 1,
			[]string{`unknown field "temperature" in model for method VIME (it belongs to SCARF, method: scarf)`}},
		{"WrongTypeInFile", "model:\n  method: vime\n  alpha: lots\n", nil, 1, []string{`line 3: model.alpha: "lots" is not a valid number`}},
		{"DecoderForSCARF", "", []string{"-method", "scarf", "-decoder", "16"}, 1, []string{"-decoder: scarf config: decoder_config: SCARF has no decoder"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			args := []string{"pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", out, "-epochs", "1", "-quiet"}
			if tt.yaml != "" {
				cfg := filepath.Join(dir, "cfg.yaml")
				if err := os.WriteFile(cfg, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-config", cfg)
			}
			code, stdout, stderr := runArgs(t, append(args, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if !strings.HasPrefix(stderr, "gotabular pretrain: ") || stdout != "" {
				t.Errorf("stdout %q, stderr %q: want the error on stderr alone", stdout, stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a model was saved despite the error")
			}
		})
	}
}

// The help lists every registered method with each of its settings: the
// flag, the config key and the default.
func TestPretrainHelpMethods(t *testing.T) {
	_, _, help := runArgs(t, "pretrain", "-h")
	methods, ok := strings.CutPrefix(help[strings.Index(help, "\nMethods ("):], "\n")
	if !ok {
		t.Fatalf("help has no Methods section:\n%s", help)
	}
	if flags := help[:strings.Index(help, "\nMethods (")]; strings.Contains(flags, "-temperature") {
		t.Error("the general flags list a method's flag")
	}
	for _, m := range ssl.Methods() {
		at := strings.Index(methods, "\n  "+m.Label())
		if at < 0 {
			t.Errorf("help lacks the method %s", m.Label())
			continue
		}
		section := methods[at+1:]
		if next := strings.Index(section, "\n\n"); next >= 0 {
			section = section[:next]
		}
		e, err := ssl.Edit(m.New())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range e.Settings() {
			if !strings.Contains(section, "  -"+s.Flag+" ") && !strings.Contains(section, "  -"+s.Flag+"\n") {
				t.Errorf("%s: help lacks the flag -%s:\n%s", m.Name, s.Flag, section)
			}
			if !strings.Contains(section, "(model."+s.Key+")") {
				t.Errorf("%s: help lacks the key model.%s", m.Name, s.Key)
			}
			if d := s.String(); d != "" && d != "false" && !strings.Contains(section, "(default "+d+")") {
				t.Errorf("%s: help lacks the default of -%s, %s", m.Name, s.Flag, d)
			}
		}
	}
	if !strings.Contains(methods, "DenoisingAutoEncoder (dae), the default") {
		t.Errorf("help does not say which method is the default:\n%s", methods)
	}
}
