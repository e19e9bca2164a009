package gotabular_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/train"
)

// cancelAt is a Watcher that cancels the run at a given step, as Ctrl-C
// would between two batches.
type cancelAt struct {
	epoch, batch int
	cancel       func()
}

func (c *cancelAt) Batch(s train.Status) {
	if s.Epoch == c.epoch && s.Batch == c.batch {
		c.cancel()
	}
}
func (c *cancelAt) Epoch(train.Status, train.Epoch) {}

// A run cancelled after its first epoch keeps its best weights and can be
// saved; one cancelled before leaves the model untrained.
func TestInterruptedTraining(t *testing.T) {
	for _, tc := range []struct {
		name       string
		epoch      int
		kept       bool
		wantKind   gotabular.Kind
		finetuning bool
	}{
		{name: "fit during epoch 1", epoch: 1, wantKind: gotabular.Untrained},
		{name: "fit during epoch 3", epoch: 3, kept: true, wantKind: gotabular.Supervised},
		{name: "pretrain during epoch 2", epoch: 2, kept: true, wantKind: gotabular.Pretrained, finetuning: false},
		{name: "finetune during epoch 2", epoch: 2, kept: true, wantKind: gotabular.Finetuned, finetuning: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			watch := &cancelAt{epoch: tc.epoch, batch: 2, cancel: cancel}
			trainer := config.TrainerConfig{BatchSize: 32, MaxEpochs: 10, Quiet: true}
			var m *gotabular.TabularModel
			var err error
			switch {
			case tc.finetuning:
				pre := pretrained(t)
				pre.Watcher = watch
				m, err = pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(300, 2), Trainer: &trainer})
				if err != nil {
					t.Fatal(err)
				}
				err = m.Finetune(ctx, gotabular.FinetuneRun{})
			case tc.wantKind == gotabular.Pretrained:
				m, err = gotabular.New(config.DataConfig{}, daeConfig(), config.OptimizerConfig{}, trainer)
				if err != nil {
					t.Fatal(err)
				}
				m.Watcher = watch
				err = m.Pretrain(ctx, synthetic(300, 1).Without("label", "amount"), nil)
			default:
				m, err = gotabular.New(config.DataConfig{Target: []string{"label"}}, gotabular.DefaultNetwork().Supervised("classification"), config.OptimizerConfig{}, trainer)
				if err != nil {
					t.Fatal(err)
				}
				m.Watcher = watch
				err = m.Fit(ctx, synthetic(300, 2).Without("amount"), nil)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want one wrapping context.Canceled", err)
			}
			if got := errors.Is(err, gotabular.ErrInterrupted); got != tc.kept {
				t.Fatalf("errors.Is(%v, ErrInterrupted) = %v, want %v", err, got, tc.kept)
			}
			if m.Kind() != tc.wantKind {
				t.Errorf("kind %s, want %s", m.Kind(), tc.wantKind)
			}
			if !tc.kept {
				return
			}
			if h := m.History; h == nil || len(h.Epochs) != tc.epoch-1 || h.BestEpoch < 1 || h.Stopped != "cancelled" {
				t.Errorf("history %+v: want %d finished epochs, a best one, stopped by cancellation", h, tc.epoch-1)
			}
			dir := filepath.Join(t.TempDir(), "m")
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			back, err := gotabular.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if back.Kind() != tc.wantKind {
				t.Errorf("loaded kind %s, want %s", back.Kind(), tc.wantKind)
			}
		})
	}
}
