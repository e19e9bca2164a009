package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/train"
)

func TestProgressForms(t *testing.T) {
	f := fixtures(t)
	fit := func(out string, extra ...string) []string {
		return append([]string{"fit", "-data", f.labelled, "-target", "label", "-exclude", "id,price",
			"-out", out, "-epochs", "3", "-patience", "5", "-layers", "16", "-head", "", "-folds", "1", "-fold-repeats", "1"}, extra...)
	}
	t.Run("Plain", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m")
		stdout, stderr := mustRun(t, fit(out)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if strings.Contains(stderr, "\r") {
			t.Errorf("carriage returns off a terminal:\n%q", stderr)
		}
		var epochs int
		for _, l := range lines {
			if strings.HasPrefix(l, "fit epoch ") {
				epochs++
				for _, want := range []string{"train_loss ", "valid_loss ", "valid_accuracy "} {
					if !strings.Contains(l, want) {
						t.Errorf("epoch line %q lacks %q", l, want)
					}
				}
			}
		}
		if epochs != 3 {
			t.Errorf("%d epoch lines, want 3:\n%s", epochs, stderr)
		}
		if !strings.HasPrefix(stdout, "saved the trained model to "+out) {
			t.Errorf("stdout %q", stdout)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m")
		stdout, stderr := mustRun(t, fit(out, "-json")...)
		if strings.Contains(stderr, "epoch") {
			t.Errorf("epoch lines on stderr with -json:\n%s", stderr)
		}
		var events []string
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("stdout line %q is not JSON: %v", l, err)
			}
			events = append(events, rec["event"].(string))
			switch rec["event"] {
			case "epoch":
				for _, k := range []string{"run", "epoch", "max_epochs", "train_loss", "valid", "seconds", "rows_per_second", "best"} {
					if _, ok := rec[k]; !ok {
						t.Errorf("epoch record %s lacks %q", l, k)
					}
				}
			case "saved":
				if rec["out"] != out || rec["report"] != filepath.Join(out, reportFile) || rec["interrupted"] != false {
					t.Errorf("saved record %s", l)
				}
			}
		}
		if got := strings.Join(events, ","); got != "epoch,epoch,epoch,saved" {
			t.Errorf("events %s, want three epochs and saved", got)
		}
	})
	t.Run("Interrupted", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Ctrl-C as the first epoch is reported.
		stderr := &cancelOnWrite{cancel: cancel, when: "fit epoch  1/"}
		var stdout bytes.Buffer
		code := run(ctx, fit(out, "-epochs", "50"), &stdout, stderr)
		if code != 130 {
			t.Fatalf("exit status %d, want 130; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
		for _, want := range []string{"gotabular: interrupted: training interrupted after 1 epoch(s)", "The best weights reached are saved in " + out} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
		}
		if !strings.HasPrefix(stdout.String(), "saved the best-so-far trained model to "+out+" (epoch 1 of 1") {
			t.Errorf("stdout %q", stdout.String())
		}
		m, err := gotabular.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if m.History.Stopped != "cancelled" || len(m.History.Epochs) != 1 {
			t.Errorf("saved history %+v", m.History)
		}
		if _, err := os.Stat(filepath.Join(out, reportFile)); err != nil {
			t.Errorf("no report beside the interrupted model: %v", err)
		}
	})
	t.Run("InterruptedBeforeAnEpoch", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, fit(out, "-json"), &stdout, &stderr); code != 130 {
			t.Fatalf("exit status %d, want 130; stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "nothing was saved") || !strings.Contains(stdout.String(), `"event":"interrupted"`) {
			t.Errorf("stdout %q\nstderr %q", stdout.String(), stderr.String())
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s was written", out)
		}
	})
}

// cancelOnWrite is a stderr that presses Ctrl-C once it is sent a text.
type cancelOnWrite struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	when   string
	cancel func()
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if bytes.Contains(p, []byte(c.when)) {
		c.cancel()
	}
	return c.buf.Write(p)
}

func (c *cancelOnWrite) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// On a terminal the live line is redrawn in place and blanked before
// each epoch's line.
func TestLiveLine(t *testing.T) {
	var buf bytes.Buffer
	o := newTrainOutput(context.Background(), false, false, &buf, &buf)
	o.live = true // as on a terminal
	m := &gotabular.TabularModel{}
	o.attach(m, "note: the task is classification\n")
	s := train.Status{Name: "fit", Epoch: 2, MaxEpochs: 10, Batch: 5, Batches: 20, Rows: 500, TrainRows: 2000, Loss: 0.25, Elapsed: time.Second}
	o.Batch(s)
	m.Progress.Write([]byte("fit epoch  2/10  train_loss 0.2500\n"))
	got := buf.String()
	live := "fit epoch  2/10  batch  5/20  500 rows/s  loss 0.2500  ETA 3s"
	want := "note: the task is classification\n" +
		"\r" + live + "\r" + strings.Repeat(" ", len(live)) + "\r" +
		"fit epoch  2/10  train_loss 0.2500\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	for _, tc := range []struct {
		v    float64
		want string
	}{{812, "812"}, {12345, "12.3k"}, {1.25e6, "1.25M"}} {
		t.Run(tc.want, func(t *testing.T) {
			if got := count(tc.v); got != tc.want {
				t.Errorf("count(%v) = %q", tc.v, got)
			}
		})
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{7 * time.Second, "7s"}, {185 * time.Second, "3m05s"}, {3720 * time.Second, "1h02m"}} {
		t.Run(tc.want, func(t *testing.T) {
			if got := duration(tc.d); got != tc.want {
				t.Errorf("duration(%v) = %q", tc.d, got)
			}
		})
	}
}
