package fewlabel

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/models/fttransformer"
	"github.com/gotabular/gotabular/ssl"
)

// The levers of the recipe. Each is measured by the benchmark; those that
// help become the default recipe, the others stay here as options.

func init() {
	// Pretraining: the method and its objective.
	registerLever("ssl", Lever{Doc: "the self-supervised method, by name or alias (dae, scarf, vime), keeping the shared settings", Arg: "METHOD",
		Apply: func(r *Recipe, arg string) error {
			m, err := ssl.Lookup(arg)
			if err != nil {
				return err
			}
			prev := r.SSL
			r.SSL = func(seed uint64) ssl.Config {
				e, err := ssl.Edit(m.New())
				if err != nil {
					panic(err) // a registered method's config is editable; ssl's tests check it
				}
				*e.Common() = prev(seed).Common()
				return e.Config()
			}
			return nil
		}})
	registerLever("set", Lever{Doc: "a setting of the self-supervised method, by its config key, e.g. set=corruption_rate:0.4", Arg: "KEY:VALUE",
		Apply: func(r *Recipe, arg string) error {
			s, err := parseSetting(arg)
			if err != nil {
				return err
			}
			return r.setting(s.key, s.value)
		}})
	registerLever("noise", Lever{Doc: "probability that the denoising autoencoder corrupts a value", Arg: "P",
		Apply: func(r *Recipe, arg string) error { return r.setting("default_noise_probability", arg) }})
	registerLever("mask", Lever{Doc: "weight of the denoising autoencoder's mask-prediction loss against reconstruction", Arg: "W",
		Apply: func(r *Recipe, arg string) error { return r.setting("mask_loss_weight", arg) }})
	registerLever("lr", Lever{Doc: "learning rate of pretraining", Arg: "RATE",
		Apply: func(r *Recipe, arg string) error {
			v, err := positive(arg)
			r.common(func(c *ssl.SSLModelConfig) { c.LearningRate = v })
			return err
		}})
	registerLever("ta", Lever{Doc: "target-aware pretraining: a supervised loss of weight W on the labelled rows beside the self-supervised one", Arg: "W",
		Apply: func(r *Recipe, arg string) error {
			v, err := positive(arg)
			r.TargetAware = &gotabular.TargetAware{Weight: v}
			return err
		}})
	registerLever("ptepochs", Lever{Doc: "maximum epochs of pretraining", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) { r.PretrainTrainer.MaxEpochs = n })})
	registerLever("ptbs", Lever{Doc: "batch size of pretraining", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) { r.PretrainTrainer.BatchSize = n })})
	registerLever("pt", Lever{Doc: "PyTorch Tabular's settings: encoder 512-256-128, decoder 256-512, swap noise 0.8, 20 epochs, batch 1024",
		Apply: func(r *Recipe, _ string) error {
			r.PretrainTrainer.BatchSize, r.PretrainTrainer.MaxEpochs = 1024, 20
			r.common(func(c *ssl.SSLModelConfig) {
				e, _ := c.EncoderConfig.(categoryembedding.Config) // after ftt: an MLP again
				e.Layers = "512-256-128"
				c.EncoderConfig = e
				e.Layers = "256-512"
				c.DecoderConfig = e
			})
			return r.setting("default_noise_probability", "0.8")
		}})

	// The network: embedding, encoder, head.
	registerLever("enc", Lever{Doc: "widths of the encoder's layers", Arg: "WIDTHS",
		Apply: func(r *Recipe, arg string) error {
			if _, err := models.ParseLayers(arg); err != nil {
				return err
			}
			r.common(func(c *ssl.SSLModelConfig) {
				e, _ := c.EncoderConfig.(categoryembedding.Config) // after ftt: an MLP again
				e.Layers = arg
				c.EncoderConfig = e
			})
			return nil
		}})
	registerLever("dec", Lever{Doc: "widths of the decoder's layers (none: the heads read the encoder)", Arg: "WIDTHS",
		Apply: func(r *Recipe, arg string) error {
			r.common(func(c *ssl.SSLModelConfig) {
				if arg == "none" {
					c.DecoderConfig = nil
					return
				}
				e, _ := c.EncoderConfig.(categoryembedding.Config) // after ftt: an MLP again
				e.Layers = arg
				c.DecoderConfig = e
			})
			return nil
		}})
	registerLever("ftt", Lever{Doc: "the encoder is an FT-Transformer: tokens of 32, 4 heads, 3 blocks (PyTorch Tabular's other defaults), over the recipe's numerical embedding; the head reads its output alone",
		Apply: func(r *Recipe, _ string) error {
			e := fttransformer.NewConfig()
			e.InputEmbedDim, e.NumHeads, e.NumAttnBlocks = 32, 4, 3
			r.common(func(c *ssl.SSLModelConfig) {
				c.EncoderConfig = e
				c.EmbeddingDims = nil // every feature's token is 32 wide
				if c.NumEmbedding.Enabled() {
					c.NumEmbedding.Dim = 0 // the token width
				}
			})
			r.Finetune.DeepFeatures = false // it has no stages
			return nil
		}})
	registerLever("head", Lever{Doc: "widths of the fine-tuning head's hidden layers (none: a linear head)", Arg: "WIDTHS",
		Apply: func(r *Recipe, arg string) error {
			if arg == "none" {
				arg = ""
			}
			r.Finetune.Head.Layers = arg
			return nil
		}})
	registerLever("input", Lever{Doc: "the head reads the embedded input beside the encoder's features",
		Apply: switchLever(func(r *Recipe) { r.common(func(c *ssl.SSLModelConfig) { c.IncludeInputFeaturesInference = true }) })})
	registerLever("deep", Lever{Doc: "the head reads every hidden layer of the encoder, not only the last",
		Apply: switchLever(func(r *Recipe) { r.Finetune.DeepFeatures = true })})
	registerLever("embdrop", Lever{Doc: "dropout of the learned embeddings of categories", Arg: "P",
		Apply: func(r *Recipe, arg string) error {
			v, err := probability(arg)
			r.common(func(c *ssl.SSLModelConfig) { c.EmbeddingDropout = v })
			return err
		}})
	registerLever("onehot", Lever{Doc: "categories of at most N levels enter one-hot, others as learned embeddings", Arg: "N",
		Apply: func(r *Recipe, arg string) error {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of levels", arg)
			}
			r.common(func(c *ssl.SSLModelConfig) { c.MaxOnehotCardinality = n })
			return nil
		}})
	registerLever("nobn", Lever{Doc: "no batch normalisation of the continuous inputs",
		Apply: switchLever(func(r *Recipe) { r.common(func(c *ssl.SSLModelConfig) { c.BatchNormContinuousInput = false }) })})
	registerLever("qn", Lever{Doc: "quantile-normal (rank-gauss) transform of continuous inputs, fitted on all training rows",
		Apply: switchLever(func(r *Recipe) { r.Data.ContinuousTransform = config.QuantileNormalTransform })})
	registerLever("ct", Lever{Doc: "transform of continuous inputs, fitted on all training rows: one of config.ContinuousTransforms (quantile_uniform, yeo-johnson, box-cox, rank-gauss, ...)", Arg: "NAME",
		Apply: func(r *Recipe, arg string) error {
			if !slices.Contains(config.ContinuousTransforms, arg) {
				return fmt.Errorf("%q: want one of %s", arg, strings.Join(config.ContinuousTransforms, ", "))
			}
			r.Data.ContinuousTransform = arg
			return nil
		}})
	registerLever("mi", Lever{Doc: "missing-value indicators for continuous columns with missing values",
		Apply: switchLever(func(r *Recipe) { r.Data.MissingIndicator = true })})
	registerLever("ple", Lever{Doc: "piecewise-linear encoding of continuous inputs with up to BINS quantile bins (0: the default, 16)", Arg: "BINS",
		Apply: func(r *Recipe, arg string) error {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a number of bins", arg)
			}
			r.common(func(c *ssl.SSLModelConfig) {
				c.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Bins: n, Dim: c.NumEmbedding.Dim}
			})
			return nil
		}})
	registerLever("plr", Lever{Doc: "periodic embeddings of continuous inputs (PLR lite) with frequency scale SIGMA (0: the default, 0.01)", Arg: "SIGMA",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("%q is not a frequency scale", arg)
			}
			r.common(func(c *ssl.SSLModelConfig) {
				c.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, FrequencyScale: v, Dim: c.NumEmbedding.Dim}
			})
			return nil
		}})
	registerLever("numdim", Lever{Doc: "width of each continuous feature's embedding (after ple or plr; for ple, 0 feeds the encoding itself)", Arg: "D",
		Apply: func(r *Recipe, arg string) error {
			n, err := strconv.Atoi(arg)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a width", arg)
			}
			r.common(func(c *ssl.SSLModelConfig) { c.NumEmbedding.Dim = n })
			return nil
		}})

	// Fine-tuning.
	registerLever("ftlr", Lever{Doc: "learning rate of fine-tuning", Arg: "RATE",
		Apply: func(r *Recipe, arg string) error {
			v, err := positive(arg)
			r.Finetune.LearningRate = v
			return err
		}})
	registerLever("ftepochs", Lever{Doc: "maximum epochs of fine-tuning", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) { r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.MaxEpochs = n }) })})
	registerLever("patience", Lever{Doc: "epochs without improvement before fine-tuning stops", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) {
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.EarlyStoppingPatience = &n })
		})})
	registerLever("bs", Lever{Doc: "batch size of fine-tuning", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) { r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.BatchSize = n }) })})
	registerLever("auc", Lever{Doc: "fine-tuning stops early on the task metric (validation ROC-AUC, or RMSE), not the loss",
		Apply: switchLever(func(r *Recipe) { r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.EarlyStopping = taskMetric }) })})
	registerLever("wd", Lever{Doc: "decoupled weight decay (AdamW) of fine-tuning", Arg: "W",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("%q is not a weight decay ≥ 0", arg)
			}
			r.finetuneOptimizer(func(oc *config.OptimizerConfig) { oc.Optimizer, oc.WeightDecay = "adamw", v })
			return nil
		}})
	registerLever("sched", Lever{Doc: "learning-rate schedule of fine-tuning: constant, cosine or onecycle", Arg: "NAME",
		Apply: func(r *Recipe, arg string) error {
			r.finetuneOptimizer(func(oc *config.OptimizerConfig) { oc.LRScheduler = arg })
			return nil
		}})
	registerLever("distil", Lever{Doc: "the fine-tuned ensemble is distilled into one network on the unlabelled rows (gotabular distil), and the benchmark scores that network",
		Apply: switchLever(func(r *Recipe) { r.distil = true })})
	registerLever("freeze", Lever{Doc: "fine-tuning trains the head alone (a probe of the pretrained features)",
		Apply: switchLever(func(r *Recipe) { r.Run.FreezeBackbone = true })})
	registerLever("probe", Lever{Doc: "linear probe then fine-tune: N epochs of the head alone first", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) { r.Run.ProbeEpochs = n })})
	registerLever("blr", Lever{Doc: "learning rate of the pretrained layers as a share of the head's", Arg: "SCALE",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("%q is not a scale ≥ 0", arg)
			}
			r.Run.BackboneLRScale = &v
			return nil
		}})
	registerLever("mix", Lever{Doc: "a share of the cross-fitted members starts from the network's initial weights, not the pretrained ones (gotabular.FinetuneOptions.ScratchShare)", Arg: "SHARE",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || !(v >= 0 && v <= 1) {
				return fmt.Errorf("%q is not a share in [0, 1]", arg)
			}
			r.Finetune.ScratchShare = v
			return nil
		}})
	registerLever("encdrop", Lever{Doc: "dropout after each layer of the encoder in fine-tuning", Arg: "P",
		Apply: func(r *Recipe, arg string) error {
			v, err := probability(arg)
			r.Finetune.EncoderDropout = &v
			return err
		}})
	registerLever("headdrop", Lever{Doc: "dropout in the fine-tuning head", Arg: "P",
		Apply: func(r *Recipe, arg string) error {
			v, err := probability(arg)
			r.Finetune.Head.Dropout = v
			return err
		}})
	registerLever("logtarget", Lever{Doc: "a regression target is modelled as log(1+y)",
		Apply: switchLever(func(r *Recipe) { r.Finetune.LogTarget = new(true) })})
	registerLever("pseudo", Lever{Doc: "self-training: fine-tune again with the N unlabelled rows the model is surest of, pseudo-labelled (binary targets)", Arg: "N",
		Apply: intLever(func(r *Recipe, n int) { r.Finetune.PseudoLabels = n })})
	registerLever("cv", Lever{Doc: "cross-fit: K fine-tunes, each on all labelled rows but one fold, stopping early on that fold; averaged", Arg: "K",
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			if err == nil && n < 2 {
				err = fmt.Errorf("cross-fitting needs at least 2 folds")
			}
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.Folds = n })
			return err
		}})
	registerLever("cvrep", Lever{Doc: "repeat the cross-fitting over R splits into folds", Arg: "R",
		Apply: intLever(func(r *Recipe, n int) { r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.FoldRepeats = n }) })})
	registerLever("holdout", Lever{Doc: "a label-only estimate free of early stopping's optimism: fine-tune on the rows to fit alone (cross-fitting them) and record as cv the metric on the validation rows, which no member trained or stopped on; the test figure is that of this smaller fit",
		Apply: switchLever(func(r *Recipe) { r.holdout = true })})
	registerLever("pick", Lever{Doc: "fine-tune from the pretrained weights or from the network's initial weights, whichever scores better on the validation rows when fine-tuned on the rest (as holdout does); then fine-tune the chosen start on all labelled rows",
		Apply: switchLever(func(r *Recipe) { r.pick = true })})
	registerLever("pickset", Lever{Doc: "as pick, but the other start is a model pretrained with the self-supervised setting KEY:VALUE (as set= gives it) instead of initial weights, e.g. pickset=mask_loss_weight:1000",
		Arg: "KEY:VALUE",
		Apply: func(r *Recipe, arg string) error {
			s, err := parseSetting(arg)
			if err != nil {
				return err
			}
			t := *r
			if err := t.setting(s.key, s.value); err != nil {
				return err
			}
			r.pick, r.pickSet = true, &s
			return nil
		}})
	registerLever("lrprobe", Lever{Doc: "instead of fine-tuning, an L2 logistic regression on the encoder's features beside the one-hot and standardised input, its penalty chosen by 5-fold cross-validation (binary targets)",
		Apply: switchLever(func(r *Recipe) { r.probe = true })})
}

// taskMetric stands for the dataset's metric as the monitor of early
// stopping: valid_roc_auc or valid_rmse.
const taskMetric = "valid_metric"

// common changes the settings every self-supervised method shares.
func (r *Recipe) common(f func(c *ssl.SSLModelConfig)) {
	prev := r.SSL
	r.SSL = func(seed uint64) ssl.Config {
		e, err := ssl.Edit(prev(seed))
		if err != nil {
			panic(err) // a registered method's config is editable; ssl's tests check it
		}
		f(e.Common())
		return e.Config()
	}
}

// setting sets a setting of the recipe's method by its config key.
// sslSetting is a setting of the self-supervised method, by its config
// key, with its value as text.
type sslSetting struct{ key, value string }

// parseSetting reads a lever's KEY:VALUE.
func parseSetting(arg string) (sslSetting, error) {
	key, value, ok := strings.Cut(arg, ":")
	if !ok {
		return sslSetting{}, fmt.Errorf("%q: want KEY:VALUE", arg)
	}
	return sslSetting{key, value}, nil
}

func (r *Recipe) setting(key, value string) error {
	e, err := ssl.Edit(r.SSL(1))
	if err != nil {
		return err
	}
	s, ok := e.Setting(key)
	if !ok {
		return fmt.Errorf("the method %s has no setting %q (it has %s)", e.Config().Name(), key, strings.Join(e.Keys(), ", "))
	}
	if err := s.Set(value); err != nil {
		return err
	}
	if err := e.Config().Validate(); err != nil {
		return err
	}
	prev := r.SSL
	r.SSL = func(seed uint64) ssl.Config {
		e, err := ssl.Edit(prev(seed))
		if err != nil {
			panic(err)
		}
		s, _ := e.Setting(key)
		if err := s.Set(value); err != nil {
			panic(err) // the same value was set above
		}
		return e.Config()
	}
	return nil
}

// finetuneTrainer changes the fine-tuning trainer config.
func (r *Recipe) finetuneTrainer(f func(tc *config.TrainerConfig)) {
	tc := config.TrainerConfig{}
	if r.Finetune.Trainer != nil {
		tc = *r.Finetune.Trainer
	}
	f(&tc)
	r.Finetune.Trainer = &tc
}

// finetuneOptimizer changes the fine-tuning optimizer config.
func (r *Recipe) finetuneOptimizer(f func(oc *config.OptimizerConfig)) {
	oc := config.OptimizerConfig{}
	if r.Finetune.Optimizer != nil {
		oc = *r.Finetune.Optimizer
	}
	f(&oc)
	r.Finetune.Optimizer = &oc
}

// intLever is a lever that takes a positive integer.
// switchLever makes the Apply of a lever that takes no value.
func switchLever(set func(r *Recipe)) func(r *Recipe, arg string) error {
	return func(r *Recipe, _ string) error {
		set(r)
		return nil
	}
}

func intLever(set func(r *Recipe, n int)) func(r *Recipe, arg string) error {
	return func(r *Recipe, arg string) error {
		n, err := count(arg)
		if err != nil {
			return err
		}
		set(r, n)
		return nil
	}
}

func positive(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) {
		return 0, fmt.Errorf("%q is not a positive number", s)
	}
	return v, nil
}

func probability(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0 && v < 1) {
		return 0, fmt.Errorf("%q is not a probability in [0, 1)", s)
	}
	return v, nil
}

func count(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a positive integer", s)
	}
	return n, nil
}
