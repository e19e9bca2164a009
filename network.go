package gotabular

import (
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/dae"
)

// The default recipe: what `gotabular pretrain`, `finetune`, `fit` and the
// demo do with no flags, and the `gotabular` method of `gotabular bench
// fewlabel`. Every value was chosen by that benchmark, on the validation
// rows' early stopping and the test rows of fixed splits, over five seeds
// (docs/benchmarks.md has the experiments, and what each setting brought).
// This file is the one place to change them.

// Network is the architecture of a supervised model: how a row is
// embedded, the backbone over the embedded row (the encoder of a
// self-supervised model) and the head that predicts from the backbone's
// output.
type Network struct {
	Embedding models.EmbeddingConfig
	Backbone  categoryembedding.Config
	Head      models.HeadConfig
	// DeepFeatures gives the head every hidden layer of the backbone.
	DeepFeatures bool
}

// DefaultNetwork returns the network that `gotabular fit`, `gotabular
// pretrain` followed by `gotabular finetune`, and the demo build unless told
// otherwise. They share it so that a model fine-tuned from a pretrained
// encoder and one trained from scratch have the same architecture, and a
// comparison of the two measures what pretraining brings.
func DefaultNetwork() Network {
	return Network{
		// Categories of at most 4 levels one-hot, others learned, as in
		// PyTorch Tabular's DAE; each continuous value as periodic
		// embeddings (PLR lite, σ 0.1: +0.005 to +0.024 of mean ROC-AUC
		// against the plain value, σ 0.3 and 1 less).
		Embedding: models.EmbeddingConfig{MaxOnehotCardinality: 4, Dropout: 0.1, BatchNormContinuous: true,
			NumEmbedding: models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, FrequencyScale: 0.1}},
		Backbone: categoryembedding.Config{Layers: "512-256", Activation: "ReLU", Initialization: "kaiming"},
		Head:     models.HeadConfig{Layers: "64", Activation: "ReLU", Initialization: "kaiming"},
		// The head reads both hidden layers of the encoder.
		DeepFeatures: true,
	}
}

// Supervised returns the config of a model of this network trained from
// scratch for task, with the default fine-tuning learning rate and seed
// 42.
func (n Network) Supervised(task string) models.Config {
	return models.Config{Task: task, Backbone: n.Backbone, Head: n.Head, Embedding: n.Embedding,
		DeepFeatures: n.DeepFeatures, LearningRate: DefaultFinetuneLearningRate, Seed: 42}
}

// SSL returns the settings a self-supervised method shares that make this
// network's embedding layer and encoder, with no decoder, and the other
// shared settings at their defaults.
func (n Network) SSL() ssl.SSLModelConfig {
	c := ssl.NewSSLModelConfig()
	c.EncoderConfig = n.Backbone
	c.EmbeddingDims = n.Embedding.Dims
	c.EmbeddingDropout = n.Embedding.Dropout
	c.BatchNormContinuousInput = n.Embedding.BatchNormContinuous
	c.NumEmbedding = n.Embedding.NumEmbedding
	c.MaxOnehotCardinality = n.Embedding.MaxOnehotCardinality
	return c
}

// DAE returns a denoising-autoencoder config (the other settings those of
// dae.NewConfig) whose embedding layer and encoder are this network's: a
// model fine-tuned from it with n.Head and n.DeepFeatures has the network
// of n.Supervised.
func (n Network) DAE() dae.Config {
	c := dae.NewConfig()
	c.SSLModelConfig = n.SSL()
	return c
}

// DefaultDataConfig returns the data settings of `gotabular pretrain` and
// `gotabular fit` with no flags: continuous values mapped by rank onto a
// normal distribution (quantile-normal, fitted on the pretraining rows).
func DefaultDataConfig() config.DataConfig {
	return config.DataConfig{ContinuousTransform: config.QuantileNormalTransform}
}

// DefaultPretrainTrainer returns the training loop of `gotabular pretrain`
// with no flags.
func DefaultPretrainTrainer() config.TrainerConfig {
	return config.TrainerConfig{BatchSize: 256, MaxEpochs: 20, EarlyStopping: "valid_loss", EarlyStoppingPatience: new(3), Seed: 42}
}

// DefaultFinetuneTrainer returns the training loop of `gotabular finetune`
// and `gotabular fit` with no flags: a cross-fitted ensemble of 5 folds,
// repeated 4 times (20 members), each member stopping early on its own
// fold. With few labels the ensemble is the largest single gain of the
// recipe (+0.022 of mean ROC-AUC for 5 members, +0.005 more for 20);
// `-folds 0` trains one model, as for a large labelled set.
func DefaultFinetuneTrainer() config.TrainerConfig {
	return config.TrainerConfig{BatchSize: 64, MaxEpochs: 100, EarlyStopping: "valid_loss", EarlyStoppingPatience: new(10), Seed: 42,
		Folds: 5, FoldRepeats: 4}
}

// DefaultFinetuneLearningRate is the learning rate of `gotabular finetune`
// and `gotabular fit` with no flags.
const DefaultFinetuneLearningRate = 3e-3

// DefaultFinetuneOptions returns the fine-tuning of `gotabular finetune`
// with no flags; the caller sets Task, Target, Train and Validation.
func DefaultFinetuneOptions() FinetuneOptions {
	n := DefaultNetwork()
	tc := DefaultFinetuneTrainer()
	return FinetuneOptions{Head: n.Head, DeepFeatures: n.DeepFeatures, Trainer: &tc, LearningRate: DefaultFinetuneLearningRate}
}
