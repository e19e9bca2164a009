package gotabular_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
)

// shapes lists the names and shapes of ps; the supervised network calls
// its backbone what the fine-tuning network calls the encoder.
func shapes(ps []*nn.Param) []string {
	var out []string
	for _, p := range ps {
		name := strings.Replace(p.Name, "backbone.", "encoder.", 1)
		out = append(out, fmt.Sprintf("%s %d×%d", name, p.Value.Rows, p.Value.Cols))
	}
	slices.Sort(out)
	return out
}

// A model trained from scratch and one pretrained and fine-tuned, both
// at the defaults, have the same network, so that they can be compared.
func TestDefaultNetworkIsShared(t *testing.T) {
	ctx := context.Background()
	net := gotabular.DefaultNetwork()
	tc := config.TrainerConfig{MaxEpochs: 1, Quiet: true}
	sup, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, net.Supervised("classification"), config.OptimizerConfig{}, tc)
	if err != nil {
		t.Fatal(err)
	}
	labelled := synthetic(200, 2).Without("amount")
	if err := sup.Fit(ctx, labelled, nil); err != nil {
		t.Fatal(err)
	}
	pre, err := gotabular.New(config.DataConfig{}, net.DAE(), config.OptimizerConfig{}, tc)
	if err != nil {
		t.Fatal(err)
	}
	if err := pre.Pretrain(ctx, synthetic(200, 1).Without("label", "amount"), nil); err != nil {
		t.Fatal(err)
	}
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: labelled, Target: "label", Head: net.Head, Trainer: &tc})
	if err != nil {
		t.Fatal(err)
	}
	got, want := shapes(gotabular.ParamsForTest(ft)), shapes(gotabular.ParamsForTest(sup))
	if !slices.Equal(got, want) {
		t.Errorf("fine-tuned network:\n%s\nfrom scratch:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(got, "encoder.1.linear.weight 256×128") || !slices.Contains(got, "head.0.linear.weight 128×64") {
		t.Errorf("the default network is not 256-128 with a head of 64:\n%s", strings.Join(got, "\n"))
	}
}

// A regression target is standardised for training unless the data
// config says otherwise, in Fit and in fine-tuning.
func TestScaleTarget(t *testing.T) {
	ctx := context.Background()
	mc := models.Config{Task: "regression", Backbone: categoryembedding.Config{Layers: "16"}}
	tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 1, Quiet: true}
	rows := synthetic(100, 4).Without("label")
	pre := pretrained(t)
	for _, tt := range []struct {
		name  string
		scale *bool
		want  bool
	}{{"default", nil, true}, {"true", new(true), true}, {"false", new(false), false}} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := gotabular.New(config.DataConfig{Target: []string{"amount"}, ScaleTarget: tt.scale}, mc, config.OptimizerConfig{}, tc)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(ctx, rows, nil); err != nil {
				t.Fatal(err)
			}
			if got := m.Target().Scale; got != tt.want {
				t.Errorf("fit: target scaled %v, want %v", got, tt.want)
			}
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "regression", Train: rows, Target: "amount", ScaleTarget: tt.scale, Trainer: &tc})
			if err != nil {
				t.Fatal(err)
			}
			if got := ft.Target().Scale; got != tt.want {
				t.Errorf("fine-tuning: target scaled %v, want %v", got, tt.want)
			}
		})
	}
}

// Explicit zeros stay zeros: patience 0 stops at the first epoch without
// improvement, min delta 0 counts any improvement, a validation split of
// 0 holds out nothing, and all of them survive a save and load.
func TestExplicitZeros(t *testing.T) {
	// A high learning rate, so that the training loss does not fall in
	// every epoch.
	mc := models.Config{Task: "classification", Backbone: categoryembedding.Config{Layers: "8"}, LearningRate: 0.3}
	tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 30, EarlyStoppingPatience: new(0), EarlyStoppingMinDelta: new(0.0), Quiet: true}
	dc := config.DataConfig{Target: []string{"label"}, ValidationSplit: new(0.0)}
	m, err := gotabular.New(dc, mc, config.OptimizerConfig{WeightDecay: 0}, tc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(100, 1).Without("amount"), nil); err != nil {
		t.Fatal(err)
	}
	h := m.History
	if h.Monitor != "train_loss" {
		t.Errorf("monitor %q, want train_loss: a split of 0 leaves no validation rows", h.Monitor)
	}
	// With patience 0 the run ends at the first epoch that does not
	// improve, which is the last, or the run reached max epochs.
	for i, e := range h.Epochs[1 : len(h.Epochs)-1] {
		if e.TrainLoss >= h.Epochs[i].TrainLoss {
			t.Errorf("epoch %d did not improve on %v but the run went on", e.Epoch, h.Epochs[i].TrainLoss)
		}
	}
	t.Logf("stopped after %d epochs: %s", len(h.Epochs), h.Stopped)
	if n := len(h.Epochs); n == 30 || n < 2 || h.Epochs[n-1].TrainLoss < h.Epochs[n-2].TrainLoss {
		t.Errorf("the run stopped after epoch %d (%s), want it stopped by the first epoch that did not improve", n, h.Stopped)
	}
	back := roundTrip(t, m)
	if back.TrainerConfig.Patience() != 0 || back.TrainerConfig.MinDelta() != 0 || back.DataConfig.Split() != 0 {
		t.Errorf("after a round trip: patience %d, min delta %v, split %v; want zeros",
			back.TrainerConfig.Patience(), back.TrainerConfig.MinDelta(), back.DataConfig.Split())
	}
}

// An unknown monitor is refused before any epoch is run, listing the
// figures there are, in every workflow.
func TestUnknownMonitor(t *testing.T) {
	ctx := context.Background()
	bad := func(monitor string) config.TrainerConfig {
		return config.TrainerConfig{MaxEpochs: 2, EarlyStopping: monitor, Quiet: true}
	}
	fit := func(task, target, monitor string) (*gotabular.TabularModel, error) {
		mc := models.Config{Task: task, Backbone: categoryembedding.Config{Layers: "8"}}
		m, err := gotabular.New(config.DataConfig{Target: []string{target}}, mc, config.OptimizerConfig{}, bad(monitor))
		if err != nil {
			return nil, err
		}
		return m, m.Fit(ctx, synthetic(50, 1), nil)
	}
	pre := pretrained(t)
	for _, tt := range []struct {
		name string
		run  func() (*gotabular.TabularModel, error)
		want string
	}{
		{"fit", func() (*gotabular.TabularModel, error) { return fit("classification", "label", "valid_auc") },
			`cannot monitor "valid_auc": validation reports valid_accuracy, valid_f1, valid_loss, valid_roc_auc`},
		{"regression", func() (*gotabular.TabularModel, error) { return fit("regression", "amount", "valid_rocauc") },
			"valid_loss, valid_mae, valid_r2, valid_rmse"},
		{"pretrain", func() (*gotabular.TabularModel, error) {
			m, err := gotabular.New(config.DataConfig{}, daeConfig(), config.OptimizerConfig{}, bad("valid_mask_acc"))
			if err != nil {
				return nil, err
			}
			return m, m.Pretrain(ctx, synthetic(50, 1), nil)
		}, "valid_mask_accuracy"},
		{"finetune", func() (*gotabular.TabularModel, error) {
			tc := bad("valid_auc")
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(50, 2), Trainer: &tc})
			if err != nil {
				return nil, err
			}
			return ft, ft.Finetune(ctx, gotabular.FinetuneRun{})
		}, "valid_roc_auc"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if m != nil && m.History != nil && len(m.History.Epochs) > 0 {
				t.Errorf("%d epochs ran before the monitor was refused", len(m.History.Epochs))
			}
		})
	}
}

// Early stopping on a task metric watches it in the right direction and
// leaves the model with the weights of its best epoch.
func TestMonitorTaskMetric(t *testing.T) {
	pre := pretrained(t)
	valid := synthetic(120, 7)
	for _, tt := range []struct {
		task, target, monitor string
		higher                bool
	}{
		{"classification", "label", "valid_roc_auc", true},
		{"classification", "label", "valid_accuracy", true},
		{"regression", "amount", "valid_rmse", false},
		{"regression", "amount", "valid_r2", true},
	} {
		t.Run(tt.monitor, func(t *testing.T) {
			tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 12, EarlyStopping: tt.monitor, EarlyStoppingPatience: new(3),
				EarlyStoppingMinDelta: new(0.0), Quiet: true}
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
				Task: tt.task, Target: tt.target, Train: synthetic(150, 2), Validation: valid, Trainer: &tc, LearningRate: 0.01,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
				t.Fatal(err)
			}
			h := ft.History
			name := strings.TrimPrefix(tt.monitor, "valid_")
			best := h.Epochs[h.BestEpoch-1].Valid[name]
			for _, e := range h.Epochs {
				if v := e.Valid[name]; tt.higher && v > best || !tt.higher && v < best {
					t.Errorf("epoch %d has %s %v, better than the best epoch %d's %v", e.Epoch, tt.monitor, v, h.BestEpoch, best)
				}
			}
			figs, err := ft.Evaluate(valid)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(figs[name]-best) > 1e-9 {
				t.Errorf("%s of the model %v, want the best epoch %d's %v restored", tt.monitor, figs[name], h.BestEpoch, best)
			}
		})
	}
}

// A batch size of 1 trains every row, batch norm included.
func TestBatchSizeOne(t *testing.T) {
	mc := models.Config{Task: "classification", Backbone: categoryembedding.Config{Layers: "8", UseBatchNorm: true},
		Embedding: models.EmbeddingConfig{BatchNormContinuous: true}}
	tc := config.TrainerConfig{BatchSize: 1, MaxEpochs: 1, EarlyStopping: config.NoEarlyStopping, Quiet: true}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, mc, config.OptimizerConfig{}, tc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(30, 1), nil); err != nil {
		t.Fatal(err)
	}
	if loss := m.History.Epochs[0].TrainLoss; !(loss > 0) || math.IsInf(loss, 0) {
		t.Errorf("training loss %v after an epoch of one-row batches", loss)
	}
}

// roundTrip saves m and loads it back.
func roundTrip(t *testing.T, m *gotabular.TabularModel) *gotabular.TabularModel {
	t.Helper()
	dir := t.TempDir() + "/m"
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := gotabular.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return back
}
