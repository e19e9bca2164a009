package gotabular_test

import (
	"context"
	"fmt"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"

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

// The defaults of the command line, in one place: the network that
// `gotabular fit` trains and that `gotabular pretrain` and `finetune`
// build, and the trainers they run.
func ExampleDefaultNetwork() {
	net := gotabular.DefaultNetwork()
	fmt.Println("backbone:", net.Backbone.Layers, "head:", net.Head.Layers, "deep features:", net.DeepFeatures)
	fmt.Println("numerical embedding:", net.Embedding.NumEmbedding.Kind, "one-hot up to", net.Embedding.MaxOnehotCardinality, "levels")
	fmt.Println("continuous transform:", gotabular.DefaultDataConfig().ContinuousTransform)

	pre := gotabular.DefaultPretrainTrainer()
	fmt.Println("pretraining:", pre.MaxEpochs, "epochs of", pre.BatchSize, "rows")
	ft := gotabular.DefaultFinetuneTrainer()
	fmt.Println("fine-tuning:", ft.Folds, "folds ×", ft.FoldRepeats, "=", ft.Members(), "members")
	// Output:
	// backbone: 512-256 head: 64 deep features: true
	// numerical embedding: plr one-hot up to 4 levels
	// continuous transform: quantile_normal
	// pretraining: 20 epochs of 256 rows
	// fine-tuning: 5 folds × 4 = 20 members
}

// fitClassifier trains a small classifier from scratch on the
// synthetic rows, for the examples that use a trained model.
func fitClassifier() *gotabular.TabularModel {
	mc := models.Config{Task: config.Classification, Backbone: categoryembedding.Config{Layers: "16"}, LearningRate: 0.01}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, mc,
		config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 20, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	// The regression target is not a feature here: drop it.
	if err := m.Fit(context.Background(), synthetic(300, 1).Without("amount"), nil); err != nil {
		log.Fatal(err)
	}
	return m
}

// Predictions of a classifier: a label per row and a probability per
// class, the columns in the order of Classes.
func ExampleTabularModel_Predict() {
	m := fitClassifier()
	// The rows to predict need not hold the target.
	pred, err := m.Predict(synthetic(4, 3).Without("label", "amount"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pred.Task, pred.Classes)
	fmt.Printf("probabilities: %d×%d\n", pred.Probabilities.Rows, pred.Probabilities.Cols)
	fmt.Println("labels:", len(pred.Labels))
	row := pred.Probabilities.Row(0)
	fmt.Printf("row 0 sums to %.3f\n", row[0]+row[1])
	// Output:
	// classification [neg pos]
	// probabilities: 4×2
	// labels: 4
	// row 0 sums to 1.000
}

// Evaluate scores labelled rows; a classifier reports its loss and
// classification metrics.
func ExampleTabularModel_Evaluate() {
	m := fitClassifier()
	figs, err := m.Evaluate(synthetic(400, 3))
	if err != nil {
		log.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(figs))
	fmt.Println(names)
	fmt.Println("roc_auc > 0.8:", figs["roc_auc"] > 0.8)
	// Output:
	// [accuracy f1 loss roc_auc]
	// roc_auc > 0.8: true
}

// Featurize gives the learned features of each row, to use in another
// model: here a pretrained encoder's 8 outputs.
func ExampleTabularModel_Featurize() {
	cfg := dae.NewConfig()
	cfg.EncoderConfig = categoryembedding.Config{Layers: "32-8"}
	m, err := gotabular.New(config.DataConfig{}, cfg, config.OptimizerConfig{},
		config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(300, 1).Without("label", "amount"), nil); err != nil {
		log.Fatal(err)
	}
	features, err := m.Featurize(synthetic(10, 2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows × %d features\n", features.Rows, features.Cols)
	// Output:
	// 10 rows × 8 features
}

// Diagnose describes how a pretrained denoising autoencoder restores each
// feature of corrupted rows: the reconstruction error (RMSE for a
// continuous feature, error rate for a categorical one) and the accuracy
// of the corruption mask. Pretraining left the same figures for its
// validation rows in m.Validation.
func ExampleTabularModel_Diagnose() {
	cfg := dae.NewConfig()
	cfg.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	m, err := gotabular.New(config.DataConfig{}, cfg, config.OptimizerConfig{},
		config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(300, 1).Without("label", "amount"), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("validation rows:", m.Validation.Rows)
	d, err := m.Diagnose(synthetic(200, 2).Without("label", "amount"))
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range d.Features {
		fmt.Printf("%-6s %-11s rows %d, mask accuracy in [0, 1]: %v\n", f.Name, f.Kind, f.Rows, f.MaskAccuracy >= 0 && f.MaskAccuracy <= 1)
	}
	// Output:
	// validation rows: 60
	// x1     continuous  rows 200, mask accuracy in [0, 1]: true
	// x2     continuous  rows 200, mask accuracy in [0, 1]: true
	// colour categorical rows 200, mask accuracy in [0, 1]: true
	// city   categorical rows 200, mask accuracy in [0, 1]: true
	// flag   binary      rows 200, mask accuracy in [0, 1]: true
}

// A fine-tuned model made from a pretrained one, with the encoder frozen:
// only the head trains, and the pretrained model stays as it was, ready
// for other fine-tunings.
func ExampleTabularModel_CreateFinetuneModel() {
	cfg := dae.NewConfig()
	cfg.EncoderConfig = categoryembedding.Config{Layers: "16"}
	m, err := gotabular.New(config.DataConfig{}, cfg, config.OptimizerConfig{},
		config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), synthetic(300, 1).Without("label", "amount"), nil); err != nil {
		log.Fatal(err)
	}
	ft, err := m.CreateFinetuneModel(gotabular.FinetuneOptions{
		Task:   config.Regression,
		Target: "amount",
		Train:  synthetic(100, 2).Without("label"),
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{MaxEpochs: 3, FreezeBackbone: true}); err != nil {
		log.Fatal(err)
	}
	pred, err := ft.Predict(synthetic(3, 3))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Kind(), "→", ft.Kind(), pred.Task, len(pred.Values))

	// Fine-tuning the same pretrained model again is allowed.
	_, err = m.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification, Target: "label", Train: synthetic(100, 2)})
	fmt.Println("second fine-tuning:", err)
	// Output:
	// pretrained → finetuned regression 3
	// second fine-tuning: <nil>
}

// A saved model is a directory; Load gives back a model that predicts
// what the saved one did.
func ExampleLoad() {
	m := fitClassifier()
	dir, err := os.MkdirTemp("", "gotabular-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model")
	if err := m.Save(path); err != nil {
		log.Fatal(err)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Name())
	}

	back, err := gotabular.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	test := synthetic(20, 3)
	p1, err := m.Predict(test)
	if err != nil {
		log.Fatal(err)
	}
	p2, err := back.Predict(test)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Kind(), back.Classes())
	fmt.Println("same probabilities:", slices.Equal(p1.Probabilities.Data, p2.Probabilities.Data))
	// Output:
	// model.json
	// weights.safetensors
	// supervised [neg pos]
	// same probabilities: true
}

// A cross-fitted ensemble, distilled into one network for serving: the
// student predicts nearly as its teacher does at a fraction of the cost.
func ExampleTabularModel_Distil() {
	ctx := context.Background()
	tc := config.TrainerConfig{MaxEpochs: 10, Folds: 4, FoldRepeats: 1, Quiet: true}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}},
		models.Config{Task: config.Classification, Backbone: categoryembedding.Config{Layers: "16"}},
		config.OptimizerConfig{}, tc)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Fit(ctx, synthetic(200, 1).Without("amount"), nil); err != nil {
		log.Fatal(err)
	}
	dt := gotabular.DefaultDistilTrainer()
	dt.Quiet = true
	student, err := m.Distil(ctx, synthetic(2000, 2).Without("label", "amount"), gotabular.DistilOptions{Trainer: &dt})
	if err != nil {
		log.Fatal(err)
	}
	d := student.Distillation
	fmt.Println("teacher networks:", d.TeacherMembers)
	fmt.Println("student parameters × 4 = teacher's:", 4*student.ParameterCount() == m.ParameterCount())
	fmt.Println("rows learned from and held out:", d.Rows, d.ValidationRows)
	fmt.Println("agrees on at least 90% of held-out rows:", d.Agreement >= 0.9)
	// Output:
	// teacher networks: 4
	// student parameters × 4 = teacher's: true
	// rows learned from and held out: 1800 200
	// agrees on at least 90% of held-out rows: true
}
