package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/tensor"
)

// scripted is a one-parameter model whose validation loss follows a
// script, so that early stopping and restoring can be checked exactly.
type scripted struct {
	w      *nn.Param
	valid  []float64 // validation loss per epoch
	epoch  int
	steps  int
	rows   int     // rows seen by Step
	loss   float64 // training loss returned by Step
	cancel func()
	opt    optim.Optimizer
	rates  []float64 // the optimiser's rate at each step, when opt is set
}

func (s *scripted) Params() []*nn.Param    { return []*nn.Param{s.w} }
func (s *scripted) Trainable() []*nn.Param { return []*nn.Param{s.w} }
func (s *scripted) Step(b *data.Batch, rng *rand.Rand) float64 {
	s.steps++
	s.rows += b.N
	if s.opt != nil {
		s.rates = append(s.rates, s.opt.LearningRate())
	}
	s.w.Grad.Data[0] = -1 // Adam moves w up by about lr each step
	if s.cancel != nil {
		s.cancel()
	}
	return s.loss
}
func (s *scripted) Evaluate(d *data.Dataset) (map[string]float64, error) {
	v := s.valid[s.epoch]
	s.epoch++
	figs := map[string]float64{"loss": v, "accuracy": 1 - v}
	if math.IsNaN(v) {
		delete(figs, "accuracy") // as a metric undefined on the data is left out
	}
	return figs, nil
}
func (s *scripted) Figures() []Figure {
	return []Figure{{Name: "loss"}, {Name: "accuracy", HigherIsBetter: true}}
}

func dataset(n int) *data.Dataset {
	return &data.Dataset{N: n, Cont: tensor.New(n, 1), Cat: tensor.NewInt(n, 0)}
}

func TestEarlyStoppingRestoresBest(t *testing.T) {
	for _, tt := range []struct {
		name      string
		valid     []float64
		cfg       Config
		wantBest  int
		wantEpoch int
	}{
		// Best at epoch 2; with patience 1 the first epoch without
		// improvement is the last.
		{"min", []float64{0.5, 0.3, 0.4, 0.35, 0.1, 0.1}, Config{Monitor: "valid_loss", Patience: 1}, 2, 3},
		// Patience 3 stops after exactly 3 epochs without improvement
		// (3 to 5), before the improvement a fourth would have seen.
		{"patience 3", []float64{0.5, 0.4, 0.45, 0.42, 0.41, 0.1, 0.1}, Config{Monitor: "valid_loss", Patience: 3}, 2, 5},
		// Accuracy is 1 − loss and improves upwards: best at epoch 2.
		{"max", []float64{0.5, 0.3, 0.4, 0.35, 0.1, 0.1}, Config{Monitor: "valid_accuracy", Patience: 2}, 2, 4},
		// Mode overrides the figure's direction.
		{"mode", []float64{0.5, 0.3, 0.4, 0.35, 0.1, 0.1}, Config{Monitor: "valid_loss", Mode: "max", Patience: 1}, 1, 2},
		// An improvement smaller than MinDelta does not count.
		{"min delta", []float64{0.5, 0.499, 0.498, 0.3}, Config{Monitor: "valid_loss", Patience: 1, MinDelta: 0.01}, 1, 2},
		// Patience 0 stops at the first epoch without improvement.
		{"patience 0", []float64{0.5, 0.4, 0.45, 0.1}, Config{Monitor: "valid_loss", Patience: 0}, 2, 3},
		// MinEpochs postpones stopping.
		{"min epochs", []float64{0.1, 0.2, 0.3, 0.4, 0.5}, Config{Monitor: "valid_loss", Patience: 0, MinEpochs: 4}, 1, 4},
		{"none", []float64{0.1, 0.2, 0.3}, Config{Monitor: "none"}, 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{w: nn.NewParam("w", 1, 1), valid: tt.valid}
			cfg := tt.cfg
			cfg.BatchSize, cfg.MaxEpochs, cfg.Seed = 4, len(tt.valid), 1
			var log bytes.Buffer
			cfg.Progress, cfg.Name = &log, "test"
			h, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(8), dataset(2), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if h.BestEpoch != tt.wantBest || len(h.Epochs) != tt.wantEpoch {
				t.Errorf("best epoch %d after %d epochs, want %d after %d", h.BestEpoch, len(h.Epochs), tt.wantBest, tt.wantEpoch)
			}
			// SGD with lr 1 and gradient −1 adds 1 per step, 2 steps per epoch.
			if got, want := s.w.Value.Data[0], float32(2*tt.wantBest); got != want {
				t.Errorf("w = %v after restoring, want %v", got, want)
			}
			if lines := strings.Count(log.String(), "test epoch"); lines != tt.wantEpoch {
				t.Errorf("%d progress lines, want %d:\n%s", lines, tt.wantEpoch, log.String())
			}
		})
	}
}

func TestKeepLast(t *testing.T) {
	s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.1, 0.2, 0.3}}
	_, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(4), dataset(2),
		Config{BatchSize: 4, MaxEpochs: 3, Monitor: "valid_loss", Patience: 5, KeepLast: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.w.Value.Data[0] != 3 {
		t.Errorf("w = %v, want the last epoch's 3", s.w.Value.Data[0])
	}
}

func TestErrors(t *testing.T) {
	t.Run("diverged", func(t *testing.T) {
		s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.1}, loss: math.NaN()}
		_, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(4), nil, Config{BatchSize: 2, MaxEpochs: 1})
		if !errors.Is(err, ErrDiverged) {
			t.Errorf("got %v, want ErrDiverged", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.1, 0.1}, cancel: cancel}
		_, err := Run(ctx, s, optim.NewSGD(s.Params(), 1, 0), dataset(8), nil, Config{BatchSize: 2, MaxEpochs: 2})
		if !errors.Is(err, context.Canceled) || s.steps != 1 {
			t.Errorf("got %v after %d steps, want context.Canceled after 1", err, s.steps)
		}
	})
	// An unknown monitor is refused before any step, with or without
	// validation data, naming the figures there are.
	for _, valid := range []*data.Dataset{dataset(2), nil} {
		t.Run(fmt.Sprintf("unknown monitor/validation %v", valid != nil), func(t *testing.T) {
			s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.1}}
			_, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(4), valid,
				Config{BatchSize: 2, MaxEpochs: 1, Monitor: "valid_roc_auc"})
			if err == nil || !strings.Contains(err.Error(), `"valid_roc_auc": validation reports valid_accuracy, valid_loss`) {
				t.Errorf("got %v, want an error listing the available figures", err)
			}
			if s.steps != 0 || s.epoch != 0 {
				t.Errorf("%d steps and %d validations before the error, want none", s.steps, s.epoch)
			}
		})
	}
	t.Run("bad mode", func(t *testing.T) {
		s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.1}}
		_, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(4), dataset(2),
			Config{BatchSize: 2, MaxEpochs: 1, Monitor: "valid_loss", Mode: "up"})
		if err == nil || !strings.Contains(err.Error(), `mode "up"`) || s.steps != 0 {
			t.Errorf("got %v after %d steps, want a refusal of the mode before training", err, s.steps)
		}
	})
	// A figure the model reports by name but leaves out as undefined ends
	// the run with the best weights so far and a message saying why.
	t.Run("undefined figure", func(t *testing.T) {
		s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.3, math.NaN()}}
		h, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(2), dataset(2),
			Config{BatchSize: 2, MaxEpochs: 2, Monitor: "valid_accuracy"})
		if err == nil || !strings.Contains(err.Error(), "valid_accuracy is not reported after epoch 2") {
			t.Errorf("got %v, want the undefined figure named", err)
		}
		if h == nil || h.BestEpoch != 1 || s.w.Value.Data[0] != 1 {
			t.Errorf("history %+v, w %v: want epoch 1's weights restored", h, s.w.Value.Data[0])
		}
	})
	t.Run("empty", func(t *testing.T) {
		s := &scripted{w: nn.NewParam("w", 1, 1)}
		if _, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(0), nil, Config{BatchSize: 2, MaxEpochs: 1}); err == nil {
			t.Error("no error for an empty training set")
		}
	})
}

// Without validation data the training loss is monitored.
func TestMonitorsTrainingLossWithoutValidation(t *testing.T) {
	s := &scripted{w: nn.NewParam("w", 1, 1), loss: 1}
	h, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(4), nil,
		Config{BatchSize: 2, MaxEpochs: 5, Monitor: "valid_loss", Patience: 1})
	if err != nil {
		t.Fatal(err)
	}
	if h.Monitor != "train_loss" || h.BestEpoch != 1 || len(h.Epochs) != 2 {
		t.Errorf("monitor %q, best %d, epochs %d; want train_loss, 1, 2", h.Monitor, h.BestEpoch, len(h.Epochs))
	}
}

// Every row trains in every epoch, whatever the batch size: a batch size
// of 1 takes a step per row, and a last batch of one row is not skipped.
func TestEveryRowTrains(t *testing.T) {
	for _, tt := range []struct{ rows, batch, steps int }{
		{5, 1, 5},
		{5, 2, 3},
		{5, 4, 2},
		{1, 3, 1},
	} {
		t.Run(fmt.Sprintf("%d rows in batches of %d", tt.rows, tt.batch), func(t *testing.T) {
			s := &scripted{w: nn.NewParam("w", 1, 1)}
			_, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(tt.rows), nil,
				Config{BatchSize: tt.batch, MaxEpochs: 2, Monitor: "none"})
			if err != nil {
				t.Fatal(err)
			}
			if s.steps != 2*tt.steps || s.rows != 2*tt.rows {
				t.Errorf("%d steps over %d rows in 2 epochs, want %d over %d", s.steps, s.rows, 2*tt.steps, 2*tt.rows)
			}
		})
	}
}

// The schedule sets the rate of every step from the step's number and
// the run's total, and the starting rate is back afterwards.
func TestSchedule(t *testing.T) {
	s := &scripted{w: nn.NewParam("w", 1, 1)}
	opt := optim.NewSGD(s.Params(), 0.5, 0)
	s.opt = opt
	var totals []int
	sched := func(step, total int) float64 {
		totals = append(totals, total)
		return float64(step + 1)
	}
	// 5 rows in batches of 2: 3 steps per epoch, 6 in all.
	_, err := Run(context.Background(), s, opt, dataset(5), nil, Config{BatchSize: 2, MaxEpochs: 2, Monitor: "none", Schedule: sched})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{0.5, 1, 1.5, 2, 2.5, 3}; !slices.Equal(s.rates, want) {
		t.Errorf("rates %v, want %v", s.rates, want)
	}
	if want := []int{6, 6, 6, 6, 6, 6}; !slices.Equal(totals, want) {
		t.Errorf("totals %v, want %v", totals, want)
	}
	if opt.LearningRate() != 0.5 {
		t.Errorf("rate %v after the run, want the starting 0.5", opt.LearningRate())
	}
}

// The loop allocates per epoch (the report, the history), never per
// step: a run of many steps allocates no more than a run of few.
func TestStepsDoNotAllocate(t *testing.T) {
	allocs := func(rows int) float64 {
		s := &scripted{w: nn.NewParam("w", 1, 1)}
		opt, _ := optim.NewGroups("adamw", []optim.Group{{Params: s.Params(), LRScale: 0.1}}, 1e-3, 0.01, 0)
		sched, _ := optim.NewSchedule("onecycle", nil)
		d := dataset(rows)
		cfg := Config{BatchSize: 2, MaxEpochs: 1, Monitor: "none", Schedule: sched, GradientClip: 1}
		return testing.AllocsPerRun(5, func() {
			if _, err := Run(context.Background(), s, opt, d, nil, cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The shuffled order of the rows is allocated once per run.
	few, many := allocs(4), allocs(400)
	t.Logf("allocations: %v for 2 steps, %v for 200", few, many)
	if many > few+1 {
		t.Errorf("%v allocations for 200 steps, %v for 2: steps allocate", many, few)
	}
}

// counter is a Watcher that keeps what it is told.
type counter struct {
	batches int
	last    Status
	epochs  []Status
}

func (c *counter) Batch(s Status)          { c.batches++; c.last = s }
func (c *counter) Epoch(s Status, e Epoch) { c.epochs = append(c.epochs, s) }

func TestWatcher(t *testing.T) {
	s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{3, 2, 2.5}, loss: 0.5}
	opt, _ := optim.New("adam", s.Params(), 1e-3, 0, 0)
	w := &counter{}
	cfg := Config{BatchSize: 4, MaxEpochs: 3, Patience: 5, Name: "fit", Watcher: w}
	if _, err := Run(context.Background(), s, opt, dataset(10), dataset(2), cfg); err != nil {
		t.Fatal(err)
	}
	if w.batches != 9 {
		t.Errorf("%d batch calls, want 3 epochs × 3 batches", w.batches)
	}
	want := Status{Name: "fit", Epoch: 3, MaxEpochs: 3, Batch: 3, Batches: 3, Rows: 10, TrainRows: 10, Loss: 0.5}
	got := w.last
	got.Elapsed = 0
	if got != want {
		t.Errorf("last batch status %+v, want %+v", got, want)
	}
	var best []bool
	for _, e := range w.epochs {
		best = append(best, e.Best)
	}
	if !slices.Equal(best, []bool{true, true, false}) {
		t.Errorf("best flags %v, want [true true false]", best)
	}
}

// Telling a watcher of a step allocates nothing either.
func TestWatchedStepsDoNotAllocate(t *testing.T) {
	allocs := func(rows int) float64 {
		s := &scripted{w: nn.NewParam("w", 1, 1)}
		opt, _ := optim.New("adam", s.Params(), 1e-3, 0, 0)
		cfg := Config{BatchSize: 2, MaxEpochs: 1, Monitor: "none", Watcher: &counter{}}
		d := dataset(rows)
		return testing.AllocsPerRun(5, func() {
			if _, err := Run(context.Background(), s, opt, d, nil, cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
	few, many := allocs(4), allocs(400)
	if many > few+1 {
		t.Errorf("%v allocations for 200 watched steps, %v for 2: steps allocate", many, few)
	}
}
