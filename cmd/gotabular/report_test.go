package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/report"
)

// The reports of the fine-tuned model (pretrain + finetune with the
// defaults, as the demo runs them) and of the pretrained model it came
// from render in a real browser with every plot present and drawn.
func TestReportRendersInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): the report is not checked in a browser")
	}
	f := fixtures(t)
	for _, tc := range []struct {
		name, dir string
		want      []string
	}{
		{"finetuned", f.finetuned, []string{report.PlotLoss, report.PlotROC, report.PlotConfusion}},
		{"pretrained", f.pretrained, []string{report.PlotLoss, "plot-metric-mask_accuracy", report.PlotReconstruction, report.PlotMaskAccuracy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			renders(t, browser, tc.dir, tc.want)
		})
	}
}

// renders checks the report.html that training wrote into the model
// directory dir in the browser: the plots the report of the saved model
// has, among them want, are all in the rendered page and drawn, and the
// screenshot shows them.
func renders(t *testing.T, browser, dir string, want []string) {
	page := filepath.Join(dir, reportFile)
	m, err := gotabular.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := report.Plots(m, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !slices.Contains(ids, w) {
			t.Fatalf("the model's plots %v lack %s", ids, w)
		}
	}
	chrome := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// A fresh profile keeps the run independent of the machine's.
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
			"--user-data-dir=" + t.TempDir()}, append(args, "file://"+page)...)
		cmd := exec.CommandContext(ctx, browser, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", browser, err, stderr.String())
		}
		return out
	}
	t.Run("DOM", func(t *testing.T) {
		dom := string(chrome("--dump-dom"))
		for _, id := range ids {
			re := regexp.MustCompile(`(?s)<svg id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</svg>`)
			sm := re.FindStringSubmatch(dom)
			if sm == nil {
				t.Errorf("the rendered page has no <svg id=%q>", id)
				continue
			}
			if !strings.Contains(sm[1], "<polyline") && !strings.Contains(sm[1], "<circle") && !strings.Contains(sm[1], "<rect x") {
				t.Errorf("plot %s is empty in the rendered page", id)
			}
		}
	})
	t.Run("Screenshot", func(t *testing.T) {
		shot := filepath.Join(t.TempDir(), "report.png")
		// Tall enough for every plot of a pretrained model's report.
		chrome("--window-size=1280,3200", "--screenshot="+shot)
		fh, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		img, err := png.Decode(fh)
		if err != nil {
			t.Fatal(err)
		}
		// The plots' blue (#0072B2) must show, and far from everywhere.
		b := img.Bounds()
		blue, inked, total := 0, 0, 0
		for y := b.Min.Y; y < b.Max.Y; y += 2 {
			for x := b.Min.X; x < b.Max.X; x += 2 {
				r, g, bl, _ := img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
				total++
				if r < 240 || g < 240 || bl < 240 {
					inked++
				}
				if r < 40 && g > 90 && g < 140 && bl > 150 && bl < 200 {
					blue++
				}
			}
		}
		t.Logf("%d of %d sampled pixels inked, %d of them the plots' blue", inked, total, blue)
		if inked < total/100 || blue < 50 {
			t.Errorf("the screenshot looks blank: %d of %d sampled pixels inked, %d blue", inked, total, blue)
		}
	})
}

func TestSmallCommands(t *testing.T) {
	f := fixtures(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"version", []string{"version"}, []string{"module", "github.com/gotabular/gotabular", "go1.", "kernel  "}},
		{"ssl list", []string{"ssl", "list"}, []string{"DenoisingAutoEncoder (dae), the default", "noise_strategy", "-noise", "SCARF", "VIME"}},
		{"report", []string{"report", "-model", f.finetuned, "-data", f.test, "-out", filepath.Join(t.TempDir(), "test.html")}, []string{"wrote the report of"}},
		{"report of a pretrained model on data", []string{"report", "-model", f.pretrained, "-data", f.test, "-out", filepath.Join(t.TempDir(), "pre.html")}, []string{"wrote the report of"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, _ := mustRun(t, tc.args...)
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	t.Run("pretrained model's figures on other rows", func(t *testing.T) {
		page := filepath.Join(t.TempDir(), "pre.html")
		mustRun(t, "report", "-model", f.pretrained, "-data", f.test, "-out", page)
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{report.PlotReconstruction, report.PlotMaskAccuracy} {
			if !strings.Contains(string(b), `id="`+id+`"`) {
				t.Errorf("the report of the pretrained model on other rows lacks plot %s", id)
			}
		}
	})
	t.Run("version -json", func(t *testing.T) {
		stdout, _ := mustRun(t, "version", "-json")
		var v versionInfo
		if err := json.Unmarshal([]byte(stdout), &v); err != nil {
			t.Fatal(err)
		}
		if v.Kernel == "" || v.Go == "" {
			t.Errorf("version %+v", v)
		}
	})
	t.Run("ssl list -json", func(t *testing.T) {
		stdout, _ := mustRun(t, "ssl", "list", "-json")
		var ms []methodInfo
		if err := json.Unmarshal([]byte(stdout), &ms); err != nil {
			t.Fatal(err)
		}
		if len(ms) < 3 || len(ms[0].Settings) == 0 {
			t.Errorf("methods %+v", ms)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ssl without subcommand", []string{"ssl"}, 2, "which subcommand?"},
		{"ssl unknown", []string{"ssl", "show"}, 2, `unknown subcommand "show"`},
		{"report without model", []string{"report"}, 2, "-model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runArgs(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	for _, cmd := range []string{"version", "ssl", "report"} {
		t.Run(cmd+" -h", func(t *testing.T) {
			code, _, stderr := runArgs(t, cmd, "-h")
			if code != 0 || !strings.Contains(stderr, "Usage: gotabular "+cmd) {
				t.Errorf("exit %d, help:\n%s", code, stderr)
			}
		})
	}
}
