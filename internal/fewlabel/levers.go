package fewlabel

import (
	"fmt"
	"strconv"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/ssl/dae"
)

// The levers of the recipe. Each is measured by the benchmark; those that
// help become the default recipe, the others stay here as options.

func init() {
	registerLever("auc", Lever{Doc: "fine-tuning stops early on the task metric (validation ROC-AUC, or RMSE), not the loss",
		Apply: func(r *Recipe, _ string) error {
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.EarlyStopping = "valid_metric" })
			return nil
		}})
	registerLever("ftlr", Lever{Doc: "learning rate of fine-tuning", Arg: "RATE",
		Apply: func(r *Recipe, arg string) error {
			v, err := positive(arg)
			r.Finetune.LearningRate = v
			return err
		}})
	registerLever("lr", Lever{Doc: "learning rate of pretraining", Arg: "RATE",
		Apply: func(r *Recipe, arg string) error {
			v, err := positive(arg)
			if err != nil {
				return err
			}
			return r.dae(func(c *dae.Config) { c.LearningRate = v })
		}})
	registerLever("head", Lever{Doc: "widths of the fine-tuning head's hidden layers (none: a linear head)", Arg: "WIDTHS",
		Apply: func(r *Recipe, arg string) error {
			if arg == "none" {
				arg = ""
			}
			r.Finetune.Head.Layers = arg
			return nil
		}})
	registerLever("enc", Lever{Doc: "widths of the encoder's layers", Arg: "WIDTHS",
		Apply: func(r *Recipe, arg string) error {
			return r.dae(func(c *dae.Config) {
				e := c.EncoderConfig.(categoryembedding.Config)
				e.Layers = arg
				c.EncoderConfig = e
			})
		}})
	registerLever("dec", Lever{Doc: "widths of the decoder's layers (none: the heads read the encoder)", Arg: "WIDTHS",
		Apply: func(r *Recipe, arg string) error {
			return r.dae(func(c *dae.Config) {
				if arg == "none" {
					c.DecoderConfig = nil
					return
				}
				e := c.EncoderConfig.(categoryembedding.Config)
				e.Layers = arg
				c.DecoderConfig = e
			})
		}})
	registerLever("noise", Lever{Doc: "probability that pretraining corrupts a value", Arg: "P",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 || v > 1 {
				return fmt.Errorf("%q is not a probability", arg)
			}
			return r.dae(func(c *dae.Config) { c.DefaultNoiseProbability = v })
		}})
	registerLever("mask", Lever{Doc: "weight of the mask-prediction loss against reconstruction in pretraining", Arg: "W",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("%q is not a weight ≥ 0", arg)
			}
			return r.dae(func(c *dae.Config) { c.MaskLossWeight = v })
		}})
	registerLever("input", Lever{Doc: "the head reads the embedded input beside the encoder's features",
		Apply: func(r *Recipe, _ string) error {
			return r.dae(func(c *dae.Config) { c.IncludeInputFeaturesInference = true })
		}})
	registerLever("freeze", Lever{Doc: "fine-tuning trains the head alone (a probe of the pretrained features)",
		Apply: func(r *Recipe, _ string) error {
			r.Run.FreezeBackbone = true
			return nil
		}})
	registerLever("ptepochs", Lever{Doc: "maximum epochs of pretraining", Arg: "N",
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			r.PretrainTrainer.MaxEpochs = n
			return err
		}})
	registerLever("ftepochs", Lever{Doc: "maximum epochs of fine-tuning", Arg: "N",
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.MaxEpochs = n })
			return err
		}})
	registerLever("patience", Lever{Doc: "epochs without improvement before fine-tuning stops", Arg: "N",
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.EarlyStoppingPatience = &n })
			return err
		}})
	registerLever("bs", Lever{Doc: "batch size of fine-tuning", Arg: "N",
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.BatchSize = n })
			return err
		}})
	registerLever("ptbs", Lever{Doc: "batch size of pretraining", Arg: "N",
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			r.PretrainTrainer.BatchSize = n
			return err
		}})
	registerLever("wd", Lever{Doc: "decoupled weight decay (AdamW) of fine-tuning", Arg: "W",
		Apply: func(r *Recipe, arg string) error {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 {
				return fmt.Errorf("%q is not a weight decay ≥ 0", arg)
			}
			r.Finetune.Optimizer = &config.OptimizerConfig{Optimizer: "adamw", WeightDecay: v}
			return nil
		}})
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
		Apply: func(r *Recipe, arg string) error {
			n, err := count(arg)
			r.finetuneTrainer(func(tc *config.TrainerConfig) { tc.FoldRepeats = n })
			return err
		}})
	registerLever("lrprobe", Lever{Doc: "instead of fine-tuning, an L2 logistic regression on the encoder's features beside the one-hot and standardised input, its penalty chosen by 5-fold cross-validation (binary targets)",
		Apply: func(r *Recipe, _ string) error {
			r.probe = true
			return nil
		}})
	registerLever("pt", Lever{Doc: "PyTorch Tabular's settings: encoder 512-256-128, decoder 256-512, swap noise 0.8, 20 epochs, batch 1024",
		Apply: func(r *Recipe, _ string) error {
			r.PretrainTrainer.BatchSize, r.PretrainTrainer.MaxEpochs = 1024, 20
			return r.dae(func(c *dae.Config) {
				e := c.EncoderConfig.(categoryembedding.Config)
				e.Layers = "512-256-128"
				c.EncoderConfig = e
				e.Layers = "256-512"
				c.DecoderConfig = e
				c.DefaultNoiseProbability = 0.8
			})
		}})
}

// dae changes the recipe's denoising-autoencoder config.
func (r *Recipe) dae(f func(c *dae.Config)) error {
	if _, ok := r.SSL(1).(dae.Config); !ok {
		return fmt.Errorf("the recipe's method is %s, not the denoising autoencoder", r.SSL(1).Name())
	}
	prev := r.SSL
	r.SSL = func(seed uint64) ssl.Config {
		c := prev(seed).(dae.Config)
		f(&c)
		return c
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

func positive(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) {
		return 0, fmt.Errorf("%q is not a positive number", s)
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
