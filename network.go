package gotabular

import (
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/dae"
)

// Network is the architecture of a supervised model: how a row is
// embedded, the backbone over the embedded row (the encoder of a
// self-supervised model) and the head that predicts from the backbone's
// output.
type Network struct {
	Embedding models.EmbeddingConfig
	Backbone  categoryembedding.Config
	Head      models.HeadConfig
}

// DefaultNetwork returns the network that `gotabular fit`, `gotabular
// pretrain` followed by `gotabular finetune`, and the demo build unless told
// otherwise. They share it so that a model fine-tuned from a pretrained
// encoder and one trained from scratch have the same architecture, and a
// comparison of the two measures what pretraining brings. The values are
// to be chosen by benchmark; this is the one place to change them.
func DefaultNetwork() Network {
	return Network{
		// As PyTorch Tabular's DAE embeds: categories of at most 4 levels
		// one-hot, others learned; the continuous values batch-normalised.
		Embedding: models.EmbeddingConfig{MaxOnehotCardinality: 4, Dropout: 0.1, BatchNormContinuous: true},
		Backbone:  categoryembedding.Config{Layers: "256-128", Activation: "ReLU", Initialization: "kaiming"},
		Head:      models.HeadConfig{Layers: "64", Activation: "ReLU", Initialization: "kaiming"},
	}
}

// Supervised returns the config of a model of this network trained from
// scratch for task, with the default learning rate (1e-3) and seed (42).
func (n Network) Supervised(task string) models.Config {
	return models.Config{Task: task, Backbone: n.Backbone, Head: n.Head, Embedding: n.Embedding, LearningRate: 1e-3, Seed: 42}
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
// model fine-tuned from it with n.Head has the network of n.Supervised.
func (n Network) DAE() dae.Config {
	c := dae.NewConfig()
	c.SSLModelConfig = n.SSL()
	return c
}

// DefaultPretrainTrainer returns the training loop of `gotabular pretrain`
// with no flags: like DefaultNetwork, the one place to change it.
func DefaultPretrainTrainer() config.TrainerConfig {
	return config.TrainerConfig{BatchSize: 256, MaxEpochs: 20, EarlyStopping: "valid_loss", EarlyStoppingPatience: new(3), Seed: 42}
}

// DefaultFinetuneTrainer returns the training loop of `gotabular finetune`
// and `gotabular fit` with no flags.
func DefaultFinetuneTrainer() config.TrainerConfig {
	return config.TrainerConfig{BatchSize: 64, MaxEpochs: 100, EarlyStopping: "valid_loss", EarlyStoppingPatience: new(10), Seed: 42}
}
