package gotabular_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/dae"
)

// The self-supervised workflow: pretrain on unlabelled rows, fine-tune a
// copy on labelled ones, predict.
func Example() {
	ctx := context.Background()
	unlabelled := synthetic(500, 1).Without("label", "amount")
	labelled := synthetic(150, 2)
	test := synthetic(5, 3)

	cfg := dae.NewConfig()
	cfg.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	cfg.DecoderConfig = categoryembedding.Config{Layers: "32"}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, cfg,
		config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 3, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(ctx, unlabelled, nil); err != nil {
		log.Fatal(err)
	}
	ft, err := m.CreateFinetuneModel(gotabular.FinetuneOptions{
		Task: "classification", Train: labelled, Head: models.HeadConfig{Layers: "8"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := ft.Finetune(ctx, gotabular.FinetuneRun{MaxEpochs: 5}); err != nil {
		log.Fatal(err)
	}
	pred, err := ft.Predict(test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Kind(), ft.Kind())
	fmt.Println("classes:", pred.Classes)
	fmt.Println("rows predicted:", len(pred.Labels))
	// Output:
	// pretrained finetuned
	// classes: [neg pos]
	// rows predicted: 5
}

// A supervised model trained from scratch.
func ExampleTabularModel_Fit() {
	mc := models.Config{Task: "regression", Backbone: categoryembedding.Config{Layers: "16"}}
	m, err := gotabular.New(config.DataConfig{Target: []string{"amount"}}, mc,
		config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Fit(context.Background(), synthetic(200, 1).Without("label"), nil); err != nil {
		log.Fatal(err)
	}
	figs, err := m.Evaluate(synthetic(50, 2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Kind(), len(figs) > 0)
	// Output: supervised true
}

// Pretraining on rank-gauss inputs with PLR embeddings of the continuous
// features: both are fitted on the unlabelled rows and kept with the
// model, for fine-tuning and prediction.
func Example_numericalEmbeddings() {
	cfg := dae.NewConfig()
	cfg.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	// 48 frequencies per feature and 24 columns each, by default.
	cfg.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR}
	dc := config.DataConfig{ContinuousTransform: config.QuantileNormalTransform}
	m, err := gotabular.New(dc, cfg, config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(500, 1).Without("label", "amount"), nil); err != nil {
		log.Fatal(err)
	}
	p := m.Preprocessor()
	// 500 values of x1: n/30 = 16 quantiles.
	fmt.Println(p.ContinuousTransform, p.Continuous[0].Name, len(p.Continuous[0].Quantiles))
	f, err := m.Featurize(synthetic(5, 3))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d features\n", f.Rows, f.Cols)
	// Output:
	// quantile_normal x1 16
	// 5×16 features
}
