package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/models/fttransformer"
	"github.com/gotabular/gotabular/models/tabnet"
	"github.com/gotabular/gotabular/ssl"
)

// A backbone section names a registered backbone and sets its fields;
// -backbone names one at its defaults. FT-Transformer goes through
// pretrain, finetune (whose default deep features it does not have) and
// fit like the MLP.
func TestBackboneSections(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ftt.yaml")
	yaml := "model:\n  encoder: {name: FTTransformer, input_embed_dim: 8, num_heads: 2, num_attn_blocks: 1}\n  decoder: {layers: 16}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	pre := filepath.Join(dir, "pre")
	mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", pre, "-config", cfg, "-epochs", "1", "-quiet")
	m, err := gotabular.Load(pre)
	if err != nil {
		t.Fatal(err)
	}
	want := fttransformer.NewConfig()
	want.InputEmbedDim, want.NumHeads, want.NumAttnBlocks = 8, 2, 1
	c := m.ModelConfig.(ssl.Config).Common()
	if !reflect.DeepEqual(c.EncoderConfig, want) {
		t.Errorf("encoder %#v, want %#v", c.EncoderConfig, want)
	}
	if d, ok := c.DecoderConfig.(categoryembedding.Config); !ok || d.Layers != "16" {
		t.Errorf("decoder %#v, want a CategoryEmbedding of 16 (a section without a name)", c.DecoderConfig)
	}
	ft := filepath.Join(dir, "ft")
	mustRun(t, "finetune", "-model", pre, "-data", f.labelled, "-target", "label", "-out", ft, "-epochs", "2", "-folds", "1", "-fold-repeats", "1", "-quiet")
	mustRun(t, "predict", "-model", ft, "-data", f.test)

	fitCfg := filepath.Join(dir, "fit.yaml")
	if err := os.WriteFile(fitCfg, []byte("model:\n  backbone: {name: fttransformer, input_embed_dim: 8, num_heads: 2, num_attn_blocks: 1, ff_dropout: 0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fit := filepath.Join(dir, "fit")
	mustRun(t, "fit", "-data", f.labelled, "-target", "label", "-out", fit, "-config", fitCfg, "-epochs", "2", "-folds", "1", "-fold-repeats", "1", "-quiet")
	fm, err := gotabular.Load(fit)
	if err != nil {
		t.Fatal(err)
	}
	want.FFDropout = 0
	if got := fm.ModelConfig.(models.Config).Backbone; !reflect.DeepEqual(got, want) {
		t.Errorf("fit backbone %#v, want %#v", got, want)
	}
}

func TestBackboneSectionErrors(t *testing.T) {
	f := fixtures(t)
	for _, tt := range []struct {
		name, yaml string
		args       []string
		want       string
	}{
		{"unknown backbone", "model:\n  encoder: {name: Nope}\n", nil, `unknown backbone "Nope"`},
		{"unknown field", "model:\n  encoder: {name: FTTransformer, num_attn_block: 2}\n", nil, `did you mean "num_attn_blocks"?`},
		{"invalid", "model:\n  encoder: {name: FTTransformer, num_heads: 5}\n", nil, "num_heads 5"},
		{"unknown choice", "model:\n  encoder: {name: TabNet, mask_type: softmax}\n", nil, `mask_type "softmax": want "sparsemax" or "entmax"`},
		{"mlp flag on another backbone", "", []string{"-backbone", "FTTransformer", "-encoder", "8"}, "-encoder sets the widths of a CategoryEmbedding encoder"},
		{"unknown flag value", "", []string{"-backbone", "MLPP"}, `-backbone: unknown backbone "MLPP"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", filepath.Join(dir, "out"), "-epochs", "1", "-quiet"}
			if tt.yaml != "" {
				cfg := filepath.Join(dir, "c.yaml")
				if err := os.WriteFile(cfg, []byte(tt.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, "-config", cfg)
			}
			code, _, stderr := runArgs(t, append(args, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want it to contain %q", code, stderr, tt.want)
			}
		})
	}
}

// A section sets a backbone's fields by their JSON names, zeros included
// where the config keeps them apart from "unset" (TabNet's layer counts and
// sparsity weight), and leaves the others at their defaults.
func TestBackboneSectionFields(t *testing.T) {
	var b backboneSection
	if err := yaml.Unmarshal([]byte("{name: TabNet, n_steps: 2, n_shared: 0, gamma: 1.5, lambda_sparse: 0}"), &b); err != nil {
		t.Fatal(err)
	}
	want := tabnet.Config{Steps: 2, Shared: new(0), Gamma: 1.5, LambdaSparse: new(0.0)}
	if !reflect.DeepEqual(b.config, want) {
		t.Errorf("config %#v, want %#v", b.config, want)
	}
}
