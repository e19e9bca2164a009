package gotabular_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/scarf"
	"github.com/gotabular/gotabular/ssl/vime"
)

// Pretraining a method that restores its input leaves per-feature
// diagnostics on the validation rows, which describe the same corrupted
// rows as the validation figures of the kept epoch; Diagnose gives them
// for other rows, and they survive Save and Load. SCARF restores nothing
// and has none.
func TestPretextDiagnostics(t *testing.T) {
	vc := vime.NewConfig()
	vc.EncoderConfig = categoryembedding.Config{Layers: "16"}
	sc := scarf.NewConfig()
	sc.EncoderConfig = categoryembedding.Config{Layers: "16"}
	sc.ProjectionLayers = "8"
	features := []string{"x1", "x2", "colour", "city", "flag"}
	for _, tt := range []struct {
		cfg         ssl.Config
		reconstruct bool
	}{
		{daeConfig(), true},
		{vc, true},
		{sc, false},
	} {
		t.Run(tt.cfg.Name(), func(t *testing.T) {
			m, err := gotabular.New(config.DataConfig{}, tt.cfg, config.OptimizerConfig{}, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Pretrain(context.Background(), synthetic(400, 1).Without("label", "amount"), nil); err != nil {
				t.Fatal(err)
			}
			if got := m.DiagnosesFeatures(); got != tt.reconstruct {
				t.Fatalf("DiagnosesFeatures() = %v, want %v", got, tt.reconstruct)
			}
			test := synthetic(150, 3)
			if !tt.reconstruct {
				if m.Validation != nil {
					t.Errorf("validation diagnostics %+v for a method that restores nothing", m.Validation)
				}
				if _, err := m.Diagnose(test); !errors.Is(err, gotabular.ErrKind) {
					t.Errorf("Diagnose: %v, want an ErrKind", err)
				}
				return
			}
			v := m.Validation
			if v == nil || len(v.Features) != len(features) {
				t.Fatalf("validation diagnostics %+v; want %d features", v, len(features))
			}
			// The preprocessing orders the features continuous first.
			var mask float64
			for j, f := range v.Features {
				if f.Name != features[j] || f.Rows != v.Rows {
					t.Errorf("feature %d: %q on %d rows, want %q on %d", j, f.Name, f.Rows, features[j], v.Rows)
				}
				mask += f.MaskAccuracy / float64(len(v.Features))
			}
			h := m.History
			if want := h.Epochs[h.BestEpoch-1].Valid["mask_accuracy"]; math.Abs(mask-want) > 1e-6 {
				t.Errorf("mean mask accuracy over features %v; the kept epoch's validation mask_accuracy is %v", mask, want)
			}

			d, err := m.Diagnose(test)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rows != 150 || d.Source != test.Source || len(d.Features) != len(features) || d.Features[0].Rows != 150 {
				t.Errorf("Diagnose: %d rows from %q, %d features", d.Rows, d.Source, len(d.Features))
			}
			if back := roundTrip(t, m); !reflect.DeepEqual(back.Validation, v) {
				t.Errorf("after Save and Load:\ngot  %+v\nwant %+v", back.Validation, v)
			}
		})
	}
}

// A model.json whose diagnostics do not fit the model is refused with an
// error naming the field; one without them, as older versions wrote,
// loads.
func TestLoadChecksDiagnostics(t *testing.T) {
	m := pretrained(t)
	if m.Validation == nil || len(m.Validation.Features) == 0 {
		t.Fatal("the pretrained model has no feature diagnostics")
	}
	good := filepath.Join(t.TempDir(), "good")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	js, _ := os.ReadFile(filepath.Join(good, gotabular.ModelFile))
	w, _ := os.ReadFile(filepath.Join(good, gotabular.WeightsFile))
	edit := func(f func(v map[string]any)) []byte {
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(js))
		dec.UseNumber() // seeds are integers that a float64 could round
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	features := func(doc map[string]any) []any {
		return doc["validation"].(map[string]any)["features"].([]any)
	}
	setFeature := func(key string, val any) func(map[string]any) {
		return func(doc map[string]any) { features(doc)[1].(map[string]any)[key] = val }
	}
	for _, tt := range []struct {
		name    string
		edit    func(map[string]any)
		wantSub string // "" loads
	}{
		{"as saved", func(map[string]any) {}, ""},
		{"no validation (older files)", func(doc map[string]any) { delete(doc, "validation") }, ""},
		{"no features", func(doc map[string]any) { delete(doc["validation"].(map[string]any), "features") }, ""},
		{"a feature short", func(doc map[string]any) {
			doc["validation"].(map[string]any)["features"] = features(doc)[1:]
		}, "features holds"},
		{"a feature renamed", setFeature("name", "other"), `"other"`},
		{"unknown kind", setFeature("kind", "ordinal"), "ordinal"},
		{"more corrupted than rows", setFeature("corrupted", 1e6), "corrupted"},
		{"negative error", setFeature("error", -1), "errors"},
		{"mask accuracy above 1", setFeature("mask_accuracy", 1.5), "mask accuracy"},
		{"not an array", func(doc map[string]any) { doc["validation"].(map[string]any)["features"] = "x" }, "features"},
		{"confusion of another size", func(doc map[string]any) {
			doc["validation"].(map[string]any)["confusion"] = []any{[]any{1, 2}}
		}, "confusion"},
		{"unpaired regression values", func(doc map[string]any) {
			doc["validation"].(map[string]any)["actual"] = []any{1.5}
		}, "actual"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(dir, gotabular.ModelFile), edit(tt.edit), 0o644)
			os.WriteFile(filepath.Join(dir, gotabular.WeightsFile), w, 0o644)
			_, err := gotabular.Load(dir)
			switch {
			case tt.wantSub == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantSub != "" && err == nil:
				t.Fatal("loaded")
			case tt.wantSub != "" && !strings.Contains(err.Error(), tt.wantSub):
				t.Errorf("error %q does not mention %q", err, tt.wantSub)
			}
		})
	}
}
