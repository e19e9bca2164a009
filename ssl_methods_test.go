package gotabular_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/scarf"
	"github.com/gotabular/gotabular/ssl/vime"
)

// Every registered method pretrains, saves, loads, fine-tunes from the
// loaded model and round-trips the fine-tuned model, through the facade
// alone: the facade knows the methods from the registry only.
func TestMethods(t *testing.T) {
	sc := scarf.NewConfig()
	sc.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	sc.ProjectionLayers = "16"
	sc.CorruptionRate = 0.4
	vc := vime.NewConfig()
	vc.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	vc.IncludeInputFeaturesInference = true
	for _, tt := range []struct {
		cfg    ssl.Config
		metric string
	}{
		{daeConfig(), "mask_accuracy"},
		{sc, "contrastive_accuracy"},
		{vc, "mask_accuracy"},
	} {
		t.Run(tt.cfg.Name(), func(t *testing.T) {
			ctx := context.Background()
			m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, tt.cfg, config.OptimizerConfig{}, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Pretrain(ctx, synthetic(400, 1).Without("label", "amount"), nil); err != nil {
				t.Fatal(err)
			}
			test := synthetic(200, 3)
			figs, err := m.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := figs[tt.metric]; !ok {
				t.Errorf("pretrained evaluation lacks %s: %v", tt.metric, figs)
			}

			pre := roundTrip(t, m)
			if !reflect.DeepEqual(pre.ModelConfig, tt.cfg) {
				t.Errorf("config after a round trip:\ngot  %#v\nwant %#v", pre.ModelConfig, tt.cfg)
			}
			sameFeatures(t, m, pre, test)

			tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 15, EarlyStoppingPatience: new(5), Quiet: true}
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
				Task: "classification", Train: synthetic(200, 2), Head: models.HeadConfig{Layers: "8"}, Trainer: &tc,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := ft.Finetune(ctx, gotabular.FinetuneRun{}); err != nil {
				t.Fatal(err)
			}
			figs, err = ft.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("fine-tuned: %v", figs)
			if figs["roc_auc"] < 0.8 {
				t.Errorf("fine-tuned figures %v; want ROC-AUC ≥ 0.8 on learnable data", figs)
			}
			back := roundTrip(t, ft)
			sameFeatures(t, ft, back, test)
			p1, _ := ft.Predict(test)
			if p2, err := back.Predict(test); err != nil || !reflect.DeepEqual(p1.Probabilities.Data, p2.Probabilities.Data) {
				t.Errorf("predictions differ after a save and load round trip (%v)", err)
			}
		})
	}
}

// sameFeatures checks that two models compute the same features.
func sameFeatures(t *testing.T, a, b *gotabular.TabularModel, d *data.Table) {
	t.Helper()
	fa, err := a.Featurize(d)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := b.Featurize(d)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fa.Data, fb.Data) {
		t.Error("features differ after a save and load round trip")
	}
}
