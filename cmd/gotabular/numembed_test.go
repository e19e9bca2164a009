package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl/dae"
)

func TestNumEmbeddingFlags(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()

	t.Run("PretrainAndFinetune", func(t *testing.T) {
		pre, ft := filepath.Join(dir, "pre"), filepath.Join(dir, "ft")
		mustRun(t, "pretrain", "-data", f.unlabelled, "-exclude", "id", "-out", pre, "-encoder", "8", "-epochs", "1", "-quiet",
			"-continuous-transform", "quantile_normal", "-num-embedding", "plr", "-num-embedding-dim", "4",
			"-plr-frequencies", "6", "-plr-scale", "0.1", "-plr-per-feature")
		m, err := gotabular.Load(pre)
		if err != nil {
			t.Fatal(err)
		}
		want := models.NumEmbeddingConfig{Kind: "plr", Dim: 4, Frequencies: 6, FrequencyScale: 0.1, PerFeatureLinear: true}
		if got := m.ModelConfig.(dae.Config).NumEmbedding; got != want {
			t.Errorf("num embedding %+v, want %+v", got, want)
		}
		if p := m.Preprocessor(); p.ContinuousTransform != data.TransformQuantileNormal || len(p.Continuous[0].Quantiles) != 13 {
			t.Errorf("preprocessing: transform %q, %d quantiles of 400 rows; want quantile_normal, 13", p.ContinuousTransform, len(p.Continuous[0].Quantiles))
		}
		// Fine-tuning takes the embedding and the transform from the
		// pretrained model.
		mustRun(t, "finetune", "-model", pre, "-data", f.labelled, "-target", "label", "-out", ft, "-epochs", "1", "-quiet")
		stdout, _ := mustRun(t, "predict", "-model", ft, "-data", f.test)
		if _, rows := readCSV(t, stdout); len(rows) != 200 {
			t.Errorf("%d predictions, want 200", len(rows))
		}
	})

	t.Run("Fit", func(t *testing.T) {
		out := filepath.Join(dir, "fit")
		mustRun(t, "fit", "-data", f.labelled, "-target", "label", "-exclude", "id,price", "-out", out, "-epochs", "1", "-quiet",
			"-num-embedding", "ple", "-ple-bins", "4", "-num-embedding-dim", "3", "-continuous-transform", "standard")
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		want := models.NumEmbeddingConfig{Kind: "ple", Bins: 4, Dim: 3}
		if got := m.ModelConfig.(models.Config).Embedding.NumEmbedding; got != want {
			t.Errorf("num embedding %+v, want %+v", got, want)
		}
		for _, c := range m.Preprocessor().Continuous {
			if n := len(c.BinEdges); n < 2 || n > 5 || c.Quantiles != nil {
				t.Errorf("%s: bin edges %v, quantiles %v; want 2 to 5 edges, the standard transform", c.Name, c.BinEdges, c.Quantiles)
			}
		}
	})

	t.Run("ConfigFiles", func(t *testing.T) {
		pre := filepath.Join(dir, "pre-config")
		mustRun(t, "pretrain", "-config", "testdata/pretrain.yaml", "-data", f.unlabelled, "-exclude", "id", "-out", pre, "-epochs", "1", "-quiet")
		m, err := gotabular.Load(pre)
		if err != nil {
			t.Fatal(err)
		}
		want := models.NumEmbeddingConfig{Kind: "plr", Dim: 8, Frequencies: 16, FrequencyScale: 0.1}
		if got := m.ModelConfig.(dae.Config).NumEmbedding; got != want || m.DataConfig.ContinuousTransform != "quantile_normal" {
			t.Errorf("num embedding %+v, transform %q; want %+v, quantile_normal", got, m.DataConfig.ContinuousTransform, want)
		}
		// A -num-embedding other than the file's starts from its defaults:
		// the file's plr settings do not carry over.
		mustRun(t, "pretrain", "-config", "testdata/pretrain.yaml", "-data", f.unlabelled, "-exclude", "id", "-out", pre, "-epochs", "1", "-quiet",
			"-num-embedding", "ple", "-continuous-transform", "standard")
		if m, err = gotabular.Load(pre); err != nil {
			t.Fatal(err)
		}
		if got := m.ModelConfig.(dae.Config).NumEmbedding; got != (models.NumEmbeddingConfig{Kind: "ple"}) || m.Preprocessor().ContinuousTransform != "" {
			t.Errorf("num embedding %+v, transform %q; want ple alone, standard", got, m.Preprocessor().ContinuousTransform)
		}

		out := filepath.Join(dir, "fit-config")
		mustRun(t, "fit", "-config", "testdata/fit.yaml", "-data", f.labelled, "-out", out, "-epochs", "1", "-quiet")
		if m, err = gotabular.Load(out); err != nil {
			t.Fatal(err)
		}
		if got := m.ModelConfig.(models.Config).Embedding.NumEmbedding; got != (models.NumEmbeddingConfig{Kind: "ple", Bins: 8}) {
			t.Errorf("num embedding %+v, want ple with 8 bins", got)
		}
	})

	t.Run("Help", func(t *testing.T) {
		for _, cmd := range []string{"pretrain", "fit"} {
			_, stdout, stderr := runArgs(t, cmd, "-h")
			for _, w := range []string{"-continuous-transform transform", "-num-embedding kind", "-ple-bins", "-plr-frequencies", "rank-gauss", "num_embedding", "frequency_scale"} {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("%s -h lacks %q", cmd, w)
				}
			}
		}
	})

	out := filepath.Join(dir, "bad")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"Transform", []string{"-continuous-transform", "rank_gauss"}, `-continuous-transform "rank_gauss": want one of standard, quantile_normal`},
		{"Kind", []string{"-num-embedding", "periodic"}, `-num-embedding "periodic": want none, plr, ple`},
		{"DimWithoutEmbedding", []string{"-num-embedding", "none", "-num-embedding-dim", "8"}, "-num-embedding-dim applies to -num-embedding plr or ple, and the embedding is none"},
		{"BinsOfPLR", []string{"-num-embedding", "plr", "-ple-bins", "8"}, "-ple-bins applies to -num-embedding ple, and the embedding is plr"},
		{"FrequenciesOfPLE", []string{"-num-embedding", "ple", "-plr-frequencies", "8"}, "-plr-frequencies applies to -num-embedding plr"},
		{"ZeroFrequencies", []string{"-num-embedding", "plr", "-plr-frequencies", "0"}, "-plr-frequencies 0: must be ≥ 1"},
		{"ZeroPLRDim", []string{"-num-embedding", "plr", "-num-embedding-dim", "0"}, "-num-embedding-dim 0: must be ≥ 1 for plr"},
		{"NegativeScale", []string{"-num-embedding", "plr", "-plr-scale", "-1"}, "-plr-scale -1: must be positive"},
		{"ZeroBins", []string{"-num-embedding", "ple", "-ple-bins", "0"}, "-ple-bins 0: must be ≥ 1"},
		{"HugeDim", []string{"-num-embedding", "ple", "-num-embedding-dim", "5000"}, "num_embedding: dim 5000: want 0..1024"},
	} {
		for _, cmd := range [][]string{
			{"pretrain", "-data", f.unlabelled},
			{"fit", "-data", f.labelled, "-target", "label"},
		} {
			t.Run(tc.name+"/"+cmd[0], func(t *testing.T) {
				code, stdout, stderr := runArgs(t, append(append(cmd, "-out", out, "-quiet"), tc.args...)...)
				if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "gotabular "+cmd[0]+": ") || strings.Count(stderr, "\n") != 1 {
					t.Errorf("exit status %d, stdout %q, stderr %q; want 1 and one line of error", code, stdout, stderr)
				}
				if !strings.Contains(stderr, tc.want) {
					t.Errorf("stderr %q lacks %q", stderr, tc.want)
				}
			})
		}
	}
}
