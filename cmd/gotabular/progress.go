package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/train"
)

// trainOutput is how a training command (pretrain, finetune, fit) reports
// while it trains and when it is done. There are three forms:
//
//   - plain: a line per epoch on stderr, as a log file wants;
//   - live: the same lines on a terminal, and between them a line redrawn
//     in place with the batches done, rows/s, the running loss and the
//     time left in the epoch;
//   - JSON (-json): a JSON record per epoch and one at the end, one per
//     line on stdout, for another program to read; stderr keeps notes and
//     errors only.
type trainOutput struct {
	stdout, stderr io.Writer
	quiet, json    bool
	live           bool
	note           string // written before the first report
	ctx            context.Context
	told           bool // that training stops after the current batch
	enc            *json.Encoder

	shown bool      // a live line is on the screen
	drawn time.Time // when it was last drawn
	width int       // its length, to blank it out
}

// liveInterval paces the live line: redrawn more often it flickers and
// costs training time on a slow terminal.
const liveInterval = 100 * time.Millisecond

// newTrainOutput picks the form of the reports: live when stderr is a
// terminal, unless -quiet or -json.
func newTrainOutput(ctx context.Context, quiet, jsonOut bool, stdout, stderr io.Writer) *trainOutput {
	o := &trainOutput{ctx: ctx, stdout: stdout, stderr: stderr, quiet: quiet, json: jsonOut}
	if f, ok := stderr.(*os.File); ok && !quiet && !jsonOut {
		o.live = isTerminal(f.Fd())
	}
	if jsonOut {
		o.enc = json.NewEncoder(stdout)
	}
	return o
}

// attach makes m report through o. note, if not empty, is written before
// the first report, once training is under way: printed at once it would
// stand above an error about the data, which it does not explain.
func (o *trainOutput) attach(m *gotabular.TabularModel, note string) {
	m.Progress, m.Watcher = nil, o
	switch {
	case o.json:
		if note != "" {
			fmt.Fprint(o.stderr, note)
		}
	case !o.quiet:
		o.note = note
		m.Progress = o
	}
}

// Write takes the lines of the training loop, putting them where the
// live line was.
func (o *trainOutput) Write(p []byte) (int, error) {
	o.clear()
	if o.note != "" {
		if _, err := io.WriteString(o.stderr, o.note); err != nil {
			return 0, err
		}
		o.note = ""
	}
	return o.stderr.Write(p)
}

// clear blanks the live line, if one is shown, so that what is printed
// next starts at the beginning of an empty line.
func (o *trainOutput) clear() {
	if o.shown {
		fmt.Fprintf(o.stderr, "\r%s\r", strings.Repeat(" ", o.width))
		o.shown = false
	}
}

// Batch redraws the live line, at most every liveInterval, and says
// once that an interrupted run is stopping.
func (o *trainOutput) Batch(s train.Status) {
	if o.ctx.Err() != nil && !o.told {
		o.told = true
		o.clear()
		fmt.Fprintf(o.stderr, "gotabular: interrupted; stopping after this batch (epoch %d, batch %d of %d) and keeping the best epoch so far; Ctrl-C again quits at once\n",
			s.Epoch, s.Batch, s.Batches)
	}
	if !o.live {
		return
	}
	now := time.Now()
	if o.shown && now.Sub(o.drawn) < liveInterval {
		return
	}
	o.drawn = now
	if o.note != "" {
		o.clear()
		io.WriteString(o.stderr, o.note)
		o.note = ""
	}
	line := liveLine(s)
	// Spaces blank the rest of a longer line drawn before.
	pad := 0
	if o.shown {
		pad = max(o.width-len(line), 0)
	}
	fmt.Fprintf(o.stderr, "\r%s%s", line, strings.Repeat(" ", pad))
	o.shown, o.width = true, len(line)
}

// liveLine describes a step of a run in under 80 columns, so that the
// line never wraps, which would defeat the carriage return.
func liveLine(s train.Status) string {
	rate := 0.0
	if sec := s.Elapsed.Seconds(); sec > 0 {
		rate = float64(s.Rows) / sec
	}
	eta := "?"
	if rate > 0 {
		eta = duration(time.Duration(float64(s.TrainRows-s.Rows) / rate * float64(time.Second)))
	}
	w := len(fmt.Sprint(s.MaxEpochs))
	bw := len(fmt.Sprint(s.Batches))
	return fmt.Sprintf("%s epoch %*d/%d  batch %*d/%d  %s rows/s  loss %.4f  ETA %s",
		s.Name, w, s.Epoch, s.MaxEpochs, bw, s.Batch, s.Batches, count(rate), s.Loss, eta)
}

// count writes a rate with three significant figures: 812, 12.3k, 1.25M.
func count(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// duration writes a time left as 7s, 3m05s or 1h02m.
func duration(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s/60%60)
}

// epochRecord is the JSON record of an epoch.
type epochRecord struct {
	Event     string             `json:"event"` // "epoch"
	Run       string             `json:"run"`   // pretrain, finetune, probe, fit; with the member of an ensemble
	Epoch     int                `json:"epoch"`
	MaxEpochs int                `json:"max_epochs"`
	Batches   int                `json:"batches"`
	TrainLoss float64            `json:"train_loss"`
	Valid     map[string]float64 `json:"valid,omitempty"`
	Seconds   float64            `json:"seconds"`
	RowsPerS  float64            `json:"rows_per_second"`
	Best      bool               `json:"best"`
}

// doneRecord is the last JSON record of a run.
type doneRecord struct {
	Event       string  `json:"event"` // "saved", or "interrupted" when nothing was saved
	Kind        string  `json:"kind,omitempty"`
	Out         string  `json:"out,omitempty"`
	Report      string  `json:"report,omitempty"`
	Epochs      int     `json:"epochs"`
	BestEpoch   int     `json:"best_epoch"`
	Monitor     string  `json:"monitor,omitempty"`
	Best        float64 `json:"best,omitempty"`
	Stopped     string  `json:"stopped,omitempty"`
	Interrupted bool    `json:"interrupted"`
	// CrossValidation holds an ensemble's out-of-fold figures.
	CrossValidation map[string]float64 `json:"cross_validation,omitempty"`
}

// Epoch writes the JSON record of an epoch.
func (o *trainOutput) Epoch(s train.Status, e train.Epoch) {
	if !o.json {
		return
	}
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Rows) / s.Elapsed.Seconds()
	}
	o.enc.Encode(epochRecord{Event: "epoch", Run: s.Name, Epoch: e.Epoch, MaxEpochs: s.MaxEpochs, Batches: s.Batches,
		TrainLoss: finiteOr0(e.TrainLoss), Valid: finiteFigures(e.Valid), Seconds: e.Seconds, RowsPerS: rate, Best: s.Best})
}

// finiteFigures leaves out what JSON cannot hold (NaN, ±Inf).
func finiteFigures(m map[string]float64) map[string]float64 {
	if m == nil {
		return nil
	}
	out := maps.Clone(m)
	maps.DeleteFunc(out, func(_ string, v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	return out
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// errInterrupted is returned by a training command stopped by Ctrl-C;
// its message was printed, and the exit status is that of a shell's
// interrupted command.
var errInterrupted = errors.New("interrupted")

// finish ends a training command: it saves the model to out with its
// report, and says where they went; after Ctrl-C it saves the best
// weights reached, if any epoch finished, and says so.
func (o *trainOutput) finish(m *gotabular.TabularModel, err error, what, out string) error {
	o.clear()
	interrupted := false
	switch {
	case err == nil:
	case errors.Is(err, gotabular.ErrInterrupted):
		interrupted = true
	case errors.Is(err, context.Canceled):
		if o.json {
			o.enc.Encode(doneRecord{Event: "interrupted", Interrupted: true})
		}
		fmt.Fprintf(o.stderr, "gotabular: interrupted before the first epoch finished; nothing was saved\n")
		return errInterrupted
	default:
		return err
	}
	if err := m.Save(out); err != nil {
		return err
	}
	reportPath := filepath.Join(out, reportFile)
	if rerr := writeModelReport(m, out, nil); rerr != nil {
		// The model is saved and usable; the report is a convenience.
		fmt.Fprintf(o.stderr, "gotabular: the model is saved, but its report is not: %v\n", rerr)
		reportPath = ""
	}
	if o.json {
		o.enc.Encode(done(m, out, reportPath, interrupted))
	} else {
		if interrupted {
			what = "best-so-far " + what
		}
		reportSavedCV(o.stdout, what, out, m.History, m.CrossValidation)
		if reportPath != "" {
			fmt.Fprintf(o.stdout, "its report, with plots of training and of the validation rows: %s\n", reportPath)
		}
	}
	if interrupted {
		fmt.Fprintf(o.stderr, "gotabular: interrupted: %v\nThe best weights reached are saved in %s.\n", err, out)
		return errInterrupted
	}
	return nil
}

// done is the last JSON record of a saved model.
func done(m *gotabular.TabularModel, out, report string, interrupted bool) doneRecord {
	r := doneRecord{Event: "saved", Kind: string(m.Kind()), Out: out, Report: report, Interrupted: interrupted,
		CrossValidation: finiteFigures(m.CrossValidation)}
	if h := m.History; h != nil {
		r.Epochs, r.BestEpoch, r.Monitor, r.Stopped = len(h.Epochs), h.BestEpoch, h.Monitor, h.Stopped
		if h.BestEpoch > 0 && h.BestEpoch <= len(h.Epochs) {
			e := h.Epochs[h.BestEpoch-1]
			if h.Monitor == "train_loss" {
				r.Best = finiteOr0(e.TrainLoss)
			} else if v, ok := e.Valid[strings.TrimPrefix(h.Monitor, "valid_")]; ok {
				r.Best = finiteOr0(v)
			}
		}
	}
	return r
}
