package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
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
	loss   float64 // training loss returned by Step
	cancel func()
}

func (s *scripted) Params() []*nn.Param    { return []*nn.Param{s.w} }
func (s *scripted) Trainable() []*nn.Param { return []*nn.Param{s.w} }
func (s *scripted) Step(b *data.Batch, rng *rand.Rand) float64 {
	s.steps++
	s.w.Grad.Data[0] = -1 // Adam moves w up by about lr each step
	if s.cancel != nil {
		s.cancel()
	}
	return s.loss
}
func (s *scripted) Evaluate(d *data.Dataset) (map[string]float64, error) {
	v := s.valid[s.epoch]
	s.epoch++
	return map[string]float64{"loss": v, "accuracy": 1 - v}, nil
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
		// Best at epoch 2, then 2 epochs without improvement with patience 1.
		{"min", []float64{0.5, 0.3, 0.4, 0.35, 0.1, 0.1}, Config{Monitor: "valid_loss", Patience: 1}, 2, 4},
		{"max", []float64{0.5, 0.3, 0.4, 0.35, 0.1, 0.1}, Config{Monitor: "valid_accuracy", HigherIsBetter: true, Patience: 2}, 5, 6},
		// An improvement smaller than MinDelta does not count.
		{"min delta", []float64{0.5, 0.499, 0.498, 0.3}, Config{Monitor: "valid_loss", Patience: 1, MinDelta: 0.01}, 1, 3},
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
	t.Run("unknown monitor", func(t *testing.T) {
		s := &scripted{w: nn.NewParam("w", 1, 1), valid: []float64{0.1}}
		_, err := Run(context.Background(), s, optim.NewSGD(s.Params(), 1, 0), dataset(4), dataset(2),
			Config{BatchSize: 2, MaxEpochs: 1, Monitor: "valid_roc_auc"})
		if err == nil || !strings.Contains(err.Error(), "valid_accuracy") {
			t.Errorf("got %v, want an error listing the available figures", err)
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
	if h.Monitor != "train_loss" || h.BestEpoch != 1 || len(h.Epochs) != 3 {
		t.Errorf("monitor %q, best %d, epochs %d; want train_loss, 1, 3", h.Monitor, h.BestEpoch, len(h.Epochs))
	}
}
