package gotabular_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/gandalf"
	"github.com/gotabular/gotabular/models/resnet"
	"github.com/gotabular/gotabular/models/tabnet"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/dae"
	"github.com/gotabular/gotabular/ssl/scarf"
	"github.com/gotabular/gotabular/ssl/vime"
)

// backboneCases are small configs of each backbone beyond the MLP (whose
// tests are the rest of this package's), with the learning rate of their
// fine-tuning after self-supervised pretraining (0: the pretraining's,
// 1e-3). TabNet learns too slowly at 1e-3 for the few epochs of these
// tests, and takes pytorch-tabnet's default, 2e-2.
var backboneCases = []struct {
	name string
	c    models.BackboneConfig
	lr   float64
}{
	{"ResNet", resnet.Config{Blocks: 2, Main: 16, Hidden: 24}, 0},
	{"GANDALF", gandalf.Config{Stages: 2, Dropout: 0.05}, 0},
	{"TabNet", tabnet.Config{DecisionWidth: 8, AttentionWidth: 8, Steps: 2, VirtualBatchSize: 16}, 2e-2},
	{"TabNet/entmax", tabnet.Config{DecisionWidth: 8, AttentionWidth: 8, Steps: 2, VirtualBatchSize: 16, MaskType: "entmax"}, 2e-2},
}

// predictsAlike saves m, loads it back and checks that the copy predicts
// the same, to the bit.
func predictsAlike(t *testing.T, m *gotabular.TabularModel) {
	t.Helper()
	tab := synthetic(300, 9)
	back := roundTrip(t, m)
	p1, err := m.Predict(tab)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := back.Predict(tab)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p1, p2) {
		t.Error("predictions differ after a save and load round trip")
	}
}

// Each backbone trains a supervised model from scratch that learns the
// synthetic task, the same to the bit from the same seed, and survives a
// save and load.
func TestBackbonesFit(t *testing.T) {
	for _, tt := range backboneCases {
		t.Run(tt.name, func(t *testing.T) {
			fit := func() *gotabular.TabularModel {
				dc := config.DataConfig{Target: []string{"label"}}
				mc := models.Config{Task: "classification", Backbone: tt.c, LearningRate: 3e-3,
					Embedding: models.EmbeddingConfig{BatchNormContinuous: true}}
				m, err := gotabular.New(dc, mc, config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 32, MaxEpochs: 8, Quiet: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Fit(context.Background(), synthetic(600, 6).Without("amount"), nil); err != nil {
					t.Fatal(err)
				}
				return m
			}
			m := fit()
			if !reflect.DeepEqual(values(gotabular.ParamsForTest(m)), values(gotabular.ParamsForTest(fit()))) {
				t.Error("two fits with the same seed differ")
			}
			figs, err := m.Evaluate(synthetic(400, 7))
			if err != nil {
				t.Fatal(err)
			}
			if figs["roc_auc"] < 0.85 {
				t.Errorf("figures %v; want ROC-AUC ≥ 0.85 on learnable data", figs)
			}
			predictsAlike(t, m)
		})
	}
}

// Each backbone serves as the encoder of the denoising autoencoder, alone
// and with a decoder of its kind: it pretrains, fine-tunes into a model
// that learns the task (its head reading every stage of the encoder, or
// its output), and survives a save and load.
func TestBackbonesAsDAEEncoder(t *testing.T) {
	for _, tt := range backboneCases {
		for _, withDecoder := range []bool{false, true} {
			name := tt.name
			if withDecoder {
				name += "/with decoder"
			}
			t.Run(name, func(t *testing.T) {
				c := dae.NewConfig()
				c.EncoderConfig = tt.c
				if withDecoder {
					c.DecoderConfig = tt.c
				}
				m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, c, config.OptimizerConfig{}, quiet)
				if err != nil {
					t.Fatal(err)
				}
				if err := m.Pretrain(context.Background(), synthetic(600, 1).Without("label", "amount"), nil); err != nil {
					t.Fatal(err)
				}
				predictsAlike(t, m)
				// Without a decoder the head reads every stage of the
				// encoder, as the default fine-tuning does.
				tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 15, EarlyStoppingPatience: new(5), Quiet: true}
				ft, err := m.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(200, 2),
					Head: models.HeadConfig{Layers: "8"}, DeepFeatures: !withDecoder, Trainer: &tc, LearningRate: tt.lr})
				if err != nil {
					t.Fatal(err)
				}
				if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
					t.Fatal(err)
				}
				figs, err := ft.Evaluate(synthetic(400, 3))
				if err != nil {
					t.Fatal(err)
				}
				if figs["roc_auc"] < 0.85 {
					t.Errorf("figures %v; want ROC-AUC ≥ 0.85 on learnable data", figs)
				}
				predictsAlike(t, ft)
			})
		}
	}
}

// Each backbone serves as the encoder of SCARF, and of VIME alone and
// with a decoder of its kind (SCARF has none): it pretrains, computes the
// same features after a save and load, and fine-tunes into a model that
// learns the task and predicts the same after a save and load.
func TestBackbonesAsSSLEncoder(t *testing.T) {
	for _, tt := range backboneCases {
		sc := scarf.NewConfig()
		sc.EncoderConfig = tt.c
		sc.ProjectionLayers = "16"
		sc.CorruptionRate = 0.4
		vc := vime.NewConfig()
		vc.EncoderConfig = tt.c
		vd := vc
		vd.DecoderConfig = tt.c
		for _, m := range []struct {
			name string
			cfg  ssl.Config
		}{{"SCARF", sc}, {"VIME", vc}, {"VIME/with decoder", vd}} {
			t.Run(tt.name+"/"+m.name, func(t *testing.T) {
				ctx := context.Background()
				pre, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, m.cfg, config.OptimizerConfig{}, quiet)
				if err != nil {
					t.Fatal(err)
				}
				if err := pre.Pretrain(ctx, synthetic(600, 1).Without("label", "amount"), nil); err != nil {
					t.Fatal(err)
				}
				test := synthetic(400, 3)
				sameFeatures(t, pre, roundTrip(t, pre), test)
				tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 15, EarlyStoppingPatience: new(5), Quiet: true}
				ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{Task: "classification", Train: synthetic(200, 2),
					Head: models.HeadConfig{Layers: "8"}, Trainer: &tc, LearningRate: tt.lr})
				if err != nil {
					t.Fatal(err)
				}
				if err := ft.Finetune(ctx, gotabular.FinetuneRun{}); err != nil {
					t.Fatal(err)
				}
				figs, err := ft.Evaluate(test)
				if err != nil {
					t.Fatal(err)
				}
				if figs["roc_auc"] < 0.8 {
					t.Errorf("fine-tuned figures %v; want ROC-AUC ≥ 0.8 on learnable data", figs)
				}
				predictsAlike(t, ft)
			})
		}
	}
}
