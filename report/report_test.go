package report_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/report"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/dae"
	"github.com/gotabular/gotabular/ssl/scarf"
	"github.com/gotabular/gotabular/ssl/vime"
)

// rows returns n rows whose label and amount depend on x and colour.
func rows(n int, seed uint64) *data.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x,colour,label,amount\n")
	for range n {
		x := rng.NormFloat64()
		c := rng.IntN(3)
		label := "no"
		if x+float64(c-1)+0.5*rng.NormFloat64() > 0 {
			label = "yes"
		}
		fmt.Fprintf(&b, "%.3f,%s,%s,%.3f\n", x, []string{"red", "green", "blue"}[c], label, 10+3*x+float64(c)+0.3*rng.NormFloat64())
	}
	t, err := data.ParseCSV(strings.NewReader(b.String()), "rows.csv", data.ReadOptions{})
	if err != nil {
		panic(err)
	}
	return t
}

var trainer = config.TrainerConfig{BatchSize: 32, MaxEpochs: 4, Quiet: true}

func fit(task, target string) (*gotabular.TabularModel, error) {
	mc := models.Config{Task: task, Backbone: categoryembedding.Config{Layers: "8"}}
	m, err := gotabular.New(config.DataConfig{Target: []string{target}}, mc, config.OptimizerConfig{}, trainer)
	if err != nil {
		return nil, err
	}
	drop := "amount"
	if target == "amount" {
		drop = "label"
	}
	return m, m.Fit(context.Background(), rows(300, 1).Without(drop), nil)
}

func pretrain() (*gotabular.TabularModel, error) {
	c := dae.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "8"}
	return pretrainWith(c)
}

func pretrainWith(c ssl.Config) (*gotabular.TabularModel, error) {
	m, err := gotabular.New(config.DataConfig{}, c, config.OptimizerConfig{}, trainer)
	if err != nil {
		return nil, err
	}
	return m, m.Pretrain(context.Background(), rows(300, 2).Without("label", "amount"), nil)
}

// Each kind of model gets its plots, each an SVG element with its id that
// draws something.
func TestPlots(t *testing.T) {
	for _, tc := range []struct {
		name  string
		train func() (*gotabular.TabularModel, error)
		want  []string
	}{
		{"classifier", func() (*gotabular.TabularModel, error) { return fit("classification", "label") },
			[]string{report.PlotLoss, "plot-metric-accuracy", "plot-metric-f1", "plot-metric-roc_auc", report.PlotROC, report.PlotConfusion}},
		{"regressor", func() (*gotabular.TabularModel, error) { return fit("regression", "amount") },
			[]string{report.PlotLoss, "plot-metric-mae", "plot-metric-r2", "plot-metric-rmse", report.PlotPredicted}},
		{"pretrained", pretrain,
			[]string{report.PlotLoss, "plot-metric-mask_accuracy", report.PlotReconstruction, report.PlotMaskAccuracy}},
		{"pretrained VIME", func() (*gotabular.TabularModel, error) {
			c := vime.NewConfig()
			c.EncoderConfig = categoryembedding.Config{Layers: "8"}
			return pretrainWith(c)
		}, []string{report.PlotLoss, report.PlotReconstruction, report.PlotMaskAccuracy}},
		{"pretrained SCARF", func() (*gotabular.TabularModel, error) {
			c := scarf.NewConfig()
			c.EncoderConfig = categoryembedding.Config{Layers: "8"}
			c.ProjectionLayers = "8"
			return pretrainWith(c)
		}, []string{report.PlotLoss, "plot-metric-contrastive_accuracy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.train()
			if err != nil {
				t.Fatal(err)
			}
			ids, err := report.Plots(m, report.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.want {
				if !slices.Contains(ids, id) {
					t.Errorf("plots %v lack %s", ids, id)
				}
			}
			// Per-feature plots are for the models that restore features.
			wantFeatures := m.DiagnosesFeatures()
			for _, id := range []string{report.PlotReconstruction, report.PlotMaskAccuracy} {
				if slices.Contains(ids, id) != wantFeatures {
					t.Errorf("plot %s among %v; want it there only for a model that restores features", id, ids)
				}
			}
			var buf bytes.Buffer
			if err := report.Write(&buf, m, report.Options{Title: "test <model>"}); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			if !strings.Contains(html, "<title>test &lt;model&gt;</title>") {
				t.Error("the title is not escaped into the page")
			}
			for _, bad := range []string{"<script", "http://", "https://", "NaN"} {
				if strings.Contains(strings.ReplaceAll(html, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
					t.Errorf("the page holds %q: it must open offline with no script", bad)
				}
			}
			if m.Kind() == gotabular.Pretrained && !wantFeatures && !strings.Contains(html, "learns without restoring values") {
				t.Error("the page of a method that restores nothing does not say why it has no per-feature plots")
			}
			if wantFeatures {
				// A bar per feature (and per series), each named.
				for _, f := range []string{"x", "colour (cat.)"} {
					if !strings.Contains(html, ">"+f+"</text>") {
						t.Errorf("the per-feature plots do not name %q", f)
					}
				}
			}
			for _, id := range ids {
				re := regexp.MustCompile(`<svg id="` + id + `"[^>]*>(.*?)</svg>`)
				sm := re.FindStringSubmatch(html)
				if sm == nil {
					t.Errorf("no <svg id=%q> in the page", id)
					continue
				}
				if !strings.Contains(sm[1], "<polyline") && !strings.Contains(sm[1], "<circle") && !strings.Contains(sm[1], "<rect x") {
					t.Errorf("plot %s draws nothing:\n%s", id, sm[1])
				}
			}
		})
	}
}

// Diagnostics of other rows replace the validation rows'.
func TestOtherRows(t *testing.T) {
	m, err := fit("classification", "label")
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Diagnose(rows(100, 9).Without("amount"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, m, report.Options{Diagnostics: d, Now: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"On 100 rows: rows.csv.", "Report written 2026-01-02 03:04 UTC."} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// A pretrained model's reconstruction of other rows replaces that of its
// validation rows.
func TestOtherRowsPretrained(t *testing.T) {
	m, err := pretrain()
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Diagnose(rows(120, 9).Without("label", "amount"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, m, report.Options{Diagnostics: d}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"On 120 rows: rows.csv,", `id="` + report.PlotReconstruction + `"`, `id="` + report.PlotMaskAccuracy + `"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestUntrained(t *testing.T) {
	c := dae.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "8"}
	m, err := gotabular.New(config.DataConfig{}, c, config.OptimizerConfig{}, trainer)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Write(&bytes.Buffer{}, m, report.Options{}); err == nil {
		t.Error("an untrained model's report was written")
	}
}
