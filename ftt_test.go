package gotabular_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/models/fttransformer"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/dae"
	"github.com/gotabular/gotabular/ssl/scarf"
	"github.com/gotabular/gotabular/ssl/vime"
)

// tinyFTT is an FT-Transformer small enough for tests.
func tinyFTT() fttransformer.Config {
	c := fttransformer.NewConfig()
	c.InputEmbedDim, c.NumHeads, c.NumAttnBlocks, c.FFHiddenMultiplier = 8, 2, 1, 2
	return c
}

// FT-Transformer is the encoder of every method (and a DAE's decoder):
// the encoder's config chooses the token embedder, so each pretrains,
// fine-tunes, and predicts the same after a save and load.
func TestFTTransformerEncoder(t *testing.T) {
	d := daeConfig()
	d.EncoderConfig = tinyFTT()
	d.DecoderConfig = categoryembedding.Config{Layers: "16"}
	dd := dae.NewConfig()
	dd.EncoderConfig, dd.DecoderConfig = tinyFTT(), tinyFTT() // the decoder tokenizes the encoder's output
	dd.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, FrequencyScale: 0.1}
	sc := scarf.NewConfig()
	sc.EncoderConfig = tinyFTT()
	sc.ProjectionLayers = "8"
	vc := vime.NewConfig()
	vc.EncoderConfig = tinyFTT()
	vc.IncludeInputFeaturesInference = true
	for _, tt := range []struct {
		name string
		cfg  ssl.Config
	}{{"DAE", d}, {"DAE/FTT decoder and PLR", dd}, {"SCARF", sc}, {"VIME", vc}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, tt.cfg, config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 64, MaxEpochs: 2, Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Pretrain(ctx, synthetic(300, 1).Without("label", "amount"), nil); err != nil {
				t.Fatal(err)
			}
			test := synthetic(100, 3)
			pre := roundTrip(t, m)
			if !reflect.DeepEqual(pre.ModelConfig, tt.cfg) {
				t.Errorf("config after a round trip:\ngot  %#v\nwant %#v", pre.ModelConfig, tt.cfg)
			}
			sameFeatures(t, m, pre, test)
			tc := config.TrainerConfig{BatchSize: 32, MaxEpochs: 20, Quiet: true}
			ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
				Task: "classification", Train: synthetic(200, 2), Head: models.HeadConfig{Layers: "8"}, Trainer: &tc,
			})
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
			t.Logf("fine-tuned: %v", figs)
			if figs["roc_auc"] < 0.75 {
				t.Errorf("fine-tuned figures %v; want ROC-AUC ≥ 0.75 on learnable data", figs)
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

// FT-Transformer trained alone, from scratch.
func TestFitFTTransformer(t *testing.T) {
	mc := models.Config{Task: "classification", Backbone: tinyFTT(), Head: models.HeadConfig{Layers: "8"},
		Embedding: models.EmbeddingConfig{BatchNormContinuous: true, Dropout: 0.1}}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, mc, config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 32, MaxEpochs: 8, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(300, 4).Without("amount"), nil); err != nil {
		t.Fatal(err)
	}
	test := synthetic(100, 5)
	figs, err := m.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	if figs["roc_auc"] < 0.75 {
		t.Errorf("figures %v; want ROC-AUC ≥ 0.75 on learnable data", figs)
	}
	back := roundTrip(t, m)
	p1, _ := m.Predict(test)
	if p2, err := back.Predict(test); err != nil || !reflect.DeepEqual(p1.Probabilities.Data, p2.Probabilities.Data) {
		t.Errorf("predictions differ after a save and load round trip (%v)", err)
	}
}
