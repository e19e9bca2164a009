package gotabular_test

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/ssl/dae"
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
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: labelled, Target: "label", Head: net.Head, DeepFeatures: net.DeepFeatures, Trainer: &tc})
	if err != nil {
		t.Fatal(err)
	}
	got, want := shapes(gotabular.ParamsForTest(ft)), shapes(gotabular.ParamsForTest(sup))
	if !slices.Equal(got, want) {
		t.Errorf("fine-tuned network:\n%s\nfrom scratch:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(got, "encoder.1.linear.weight 512×256") || !slices.Contains(got, "head.0.linear.weight 768×64") {
		t.Errorf("the default network is not 512-256 with a head of 64 on both layers:\n%s", strings.Join(got, "\n"))
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
		{"finetune after a probe", func() (*gotabular.TabularModel, error) {
			tc := bad("valid_auc")
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(50, 2), Trainer: &tc})
			if err != nil {
				return nil, err
			}
			return ft, ft.Finetune(ctx, gotabular.FinetuneRun{ProbeEpochs: 2})
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

// backbone returns the values of the pretrained layers of a fine-tuned
// model: all but the head.
func backbone(m *gotabular.TabularModel) map[string][]float32 {
	out := values(gotabular.ParamsForTest(m))
	for name := range out {
		if strings.HasPrefix(name, "head.") {
			delete(out, name)
		}
	}
	return out
}

// progressHook is a Progress writer that calls at for every line starting
// with prefix, as the epoch it reports ends.
type progressHook struct {
	prefix string
	at     func(line string)
}

func (p *progressHook) Write(b []byte) (int, error) {
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, p.prefix) {
			p.at(line)
		}
	}
	return len(b), nil
}

// Linear probing then fine-tuning: during the probe epochs the backbone,
// batch-norm statistics included, keeps the pretrained values, and only
// after them is the whole network trained.
func TestProbeThenFinetune(t *testing.T) {
	pre := pretrained(t)
	before := backbone(pre)
	for name := range before {
		if strings.HasPrefix(name, "decoder") || strings.HasPrefix(name, "reconstruction") || strings.HasPrefix(name, "mask") {
			delete(before, name)
		}
	}
	tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 3, EarlyStopping: config.NoEarlyStopping, Quiet: true}
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(150, 2), Trainer: &tc})
	if err != nil {
		t.Fatal(err)
	}
	const w = "head.0.linear.weight"
	heads := [][]float32{values(gotabular.ParamsForTest(ft))[w]}
	ft.Progress = &progressHook{prefix: "probe epoch", at: func(string) {
		if got := backbone(ft); !reflect.DeepEqual(got, before) {
			t.Errorf("probe epoch %d changed the backbone", len(heads))
		}
		heads = append(heads, values(gotabular.ParamsForTest(ft))[w])
	}}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{ProbeEpochs: 2}); err != nil {
		t.Fatal(err)
	}
	if len(heads) != 3 {
		t.Fatalf("%d probe epochs reported, want 2", len(heads)-1)
	}
	if reflect.DeepEqual(heads[0], heads[1]) || reflect.DeepEqual(heads[1], heads[2]) {
		t.Errorf("%s did not change in every probe epoch", w)
	}
	if reflect.DeepEqual(backbone(ft), before) {
		t.Error("the fine-tuning after the probe left the backbone unchanged")
	}
	h := ft.History
	var epochs []int
	for _, e := range h.Epochs {
		epochs = append(epochs, e.Epoch)
	}
	if !slices.Equal(epochs, []int{1, 2, 3, 4, 5}) || h.BestEpoch != 5 {
		t.Errorf("history epochs %v, best %d; want 1 to 5 (2 probe, 3 fine-tuning), best 5", epochs, h.BestEpoch)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{ProbeEpochs: 1, FreezeBackbone: true}); err == nil {
		t.Error("ProbeEpochs with FreezeBackbone accepted")
	}
}

// The backbone trains at BackboneLRScale times the head's rate: at 0 its
// weights stay as pretrained while the head trains, and 0.1 and 1 give
// different models.
func TestBackboneLRScale(t *testing.T) {
	pre := pretrained(t)
	run := func(scale *float64) *gotabular.TabularModel {
		tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 2, EarlyStopping: config.NoEarlyStopping, Quiet: true}
		ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(150, 2), Trainer: &tc})
		if err != nil {
			t.Fatal(err)
		}
		if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{BackboneLRScale: scale}); err != nil {
			t.Fatal(err)
		}
		return ft
	}
	before := values(gotabular.ParamsForTest(pre))
	still := values(gotabular.ParamsForTest(run(new(0.0))))
	for name, v := range still {
		trained := !strings.Contains(name, "running_")
		switch {
		case strings.HasPrefix(name, "head."):
			if name == "head.0.linear.weight" && reflect.DeepEqual(v, values(gotabular.ParamsForTest(run(nil)))[name]) {
				t.Errorf("%s is the same at backbone scales 0 and 1", name)
			}
		case trained && !reflect.DeepEqual(v, before[name]):
			t.Errorf("%s changed at backbone scale 0", name)
		}
	}
	slow := values(gotabular.ParamsForTest(run(new(0.1))))
	full := values(gotabular.ParamsForTest(run(nil)))
	w := "encoder.0.linear.weight"
	if reflect.DeepEqual(slow[w], full[w]) || reflect.DeepEqual(slow[w], before[w]) {
		t.Errorf("%s: at scale 0.1 the same as at scale 1 or as pretrained", w)
	}
	if err := run(nil).Finetune(context.Background(), gotabular.FinetuneRun{BackboneLRScale: new(-1.0)}); err == nil || !strings.Contains(err.Error(), "BackboneLRScale -1") {
		t.Errorf("a negative scale: %v", err)
	}
}

// Fine-tuning options that regularise: AdamW's decoupled weight decay
// shrinks the weights, and the encoder's dropout can be set for
// fine-tuning without touching the pretrained model's config.
func TestFinetuneRegularisation(t *testing.T) {
	pre := pretrained(t)
	norm := func(wd float64, dropout *float64) (float64, *gotabular.TabularModel) {
		tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 3, EarlyStopping: config.NoEarlyStopping, Quiet: true}
		oc := config.OptimizerConfig{Optimizer: "adamw", WeightDecay: wd}
		ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
			Task: "classification", Train: synthetic(150, 2), Trainer: &tc, Optimizer: &oc, EncoderDropout: dropout, LearningRate: 0.01,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
			t.Fatal(err)
		}
		var ss float64
		for _, v := range values(gotabular.ParamsForTest(ft))["encoder.0.linear.weight"] {
			ss += float64(v) * float64(v)
		}
		return math.Sqrt(ss), ft
	}
	plain, _ := norm(0, nil)
	decayed, _ := norm(5, nil)
	if !(decayed < 0.9*plain) {
		t.Errorf("encoder weight norm %v with weight decay 5, %v without: want it shrunk", decayed, plain)
	}
	_, dropped := norm(0, new(0.3))
	enc := func(m *gotabular.TabularModel) categoryembedding.Config {
		return m.ModelConfig.(dae.Config).EncoderConfig.(categoryembedding.Config)
	}
	if enc(dropped).Dropout != 0.3 || enc(pre).Dropout != 0 {
		t.Errorf("encoder dropout %v fine-tuned, %v pretrained; want 0.3 and 0", enc(dropped).Dropout, enc(pre).Dropout)
	}
	if back := roundTrip(t, dropped); enc(back).Dropout != 0.3 {
		t.Errorf("encoder dropout %v after a round trip, want 0.3", enc(back).Dropout)
	}
	if _, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(20, 2), EncoderDropout: new(1.0)}); err == nil ||
		!strings.Contains(err.Error(), "EncoderDropout: 1") {
		t.Errorf("encoder dropout 1: %v", err)
	}
}

// A batch size of 1 trains every row, batch norm included, and a
// learning-rate schedule can be named in the optimizer config.
func TestBatchSizeOneAndSchedule(t *testing.T) {
	for _, oc := range []config.OptimizerConfig{
		{},
		{LRScheduler: "cosine", LRSchedulerParams: map[string]float64{"warmup": 0.2}},
		{LRScheduler: "onecycle"},
	} {
		t.Run(oc.LRScheduler, func(t *testing.T) {
			mc := models.Config{Task: "classification", Backbone: categoryembedding.Config{Layers: "8", UseBatchNorm: true},
				Embedding: models.EmbeddingConfig{BatchNormContinuous: true}}
			tc := config.TrainerConfig{BatchSize: 1, MaxEpochs: 1, EarlyStopping: config.NoEarlyStopping, Quiet: true}
			m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, mc, oc, tc)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Fit(context.Background(), synthetic(30, 1), nil); err != nil {
				t.Fatal(err)
			}
			if loss := m.History.Epochs[0].TrainLoss; !(loss > 0) || math.IsInf(loss, 0) {
				t.Errorf("training loss %v after an epoch of one-row batches", loss)
			}
		})
	}
	_, err := gotabular.New(config.DataConfig{}, daeConfig(), config.OptimizerConfig{LRScheduler: "cosine", LRSchedulerParams: map[string]float64{"warmpu": 0.1}}, quiet)
	if err == nil || !strings.Contains(err.Error(), `"warmpu"`) {
		t.Errorf("a misspelt schedule parameter: %v", err)
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

// A log target trains on log(1+y) and predicts in the target's units.
func TestLogTarget(t *testing.T) {
	ctx := context.Background()
	tc := config.TrainerConfig{MaxEpochs: 20, Quiet: true}
	m, err := gotabular.New(config.DataConfig{Target: []string{"amount"}, LogTarget: true},
		gotabular.DefaultNetwork().Supervised(config.Regression), config.OptimizerConfig{}, tc)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(ctx, synthetic(300, 2).Without("label"), nil); err != nil {
		t.Fatal(err)
	}
	back := roundTrip(t, m)
	if !back.Target().Log {
		t.Fatal("the loaded model's target is not a log target")
	}
	figs, err := back.Evaluate(synthetic(200, 3))
	if err != nil {
		t.Fatal(err)
	}
	// amount is about 110 ± 20: a model that forgot to undo the logarithm
	// would be off by about 100.
	if figs["rmse"] > 15 {
		t.Errorf("test RMSE %.1f in the target's units", figs["rmse"])
	}
}
