package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
)

const finetuneHelp = `Usage: gotabular finetune -model DIR -data FILE -target COLUMN -out DIR [flags]

Fine-tunes a model made by 'gotabular pretrain' on labelled rows: a copy
of its embedding layer and encoder gets a new head, and the whole network
(or the head alone, with -freeze) is trained to predict the target. The
pretrained model is left as it was, so several models can be fine-tuned
from one pretraining.

The features are those of the pretrained model, encoded as it learned
(a category it never saw counts as unknown); other columns of -data are
ignored. The task is classification if the target column holds text and
regression if it holds numbers, unless -task says. The default head is
that of the network 'gotabular fit' builds, so that with pretrain's
default encoder the two compare like for like.

Few labels are easily overfitted, and pretrained features easily
overwritten; the flags of fine-tuning craft:
  -backbone-lr-scale 0.1   trains the pretrained layers ten times more
                           slowly than the new head
  -probe-epochs 5          first trains the head alone for 5 epochs, the
                           pretrained layers frozen, then everything
                           (linear probing, then fine-tuning)
  -optimizer adamw -weight-decay 0.01
                           decays the weights towards 0
  -encoder-dropout 0.1, -head-dropout 0.1
                           drop units of the pretrained layers (in this
                           model only) and of the head in training
  -lr-scheduler cosine     warms the learning rate up, then decays it
  -monitor valid_roc_auc   stops early on a metric instead of the loss
                           (valid_rmse, valid_r2 and others for regression)
                           and keeps its best epoch

Example:
  gotabular finetune -model pretrained -data labelled.csv -target income -probe-epochs 5 -backbone-lr-scale 0.1 -out finetuned

Writes the directory -out: model.json (configs, feature and target
encoding, training history) and weights.safetensors. An earlier saved
model there is replaced; any other non-empty directory is refused, and
so is the pretrained model's own directory. A line per epoch goes to
stderr (-quiet turns it off), and where the model went to stdout.
`

func runFinetune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	def := gotabular.DefaultFinetuneOptions()
	file := finetuneFile{
		Trainer: *def.Trainer,
		Model:   finetuneModel{Head: def.Head, DeepFeatures: def.DeepFeatures, LearningRate: def.LearningRate},
	}

	fs := newFlagSet("finetune", finetuneHelp+"\n"+configHelp(&finetuneFile{})+"\nFlags:\n", stderr)
	var (
		modelDir, dataPath, out string
		unlabelledPath          string
		pseudo                  int
		tgt                     targetFlags
		ff                      finetuneFlags
		tf                      trainFlags
		cf                      crossFitFlags
		of                      optimFlags
	)
	fs.StringVar(&modelDir, "model", "", "`directory` of the pretrained model, as written by gotabular pretrain (required)")
	fs.StringVar(&dataPath, "data", "", "CSV `file` of labelled training rows (required)")
	fs.StringVar(&unlabelledPath, "unlabelled", "", "CSV `file` of unlabelled rows, for self-training with -pseudo-labels (such as the pretraining rows)")
	fs.IntVar(&pseudo, "pseudo-labels", 0, "self-train a classifier: once fine-tuned, fine-tune again from the pretrained weights with this many -unlabelled `rows` added, those the model is surest of, labelled as it predicts (0: none)")
	tgt.register(fs)
	fs.StringVar(&out, "out", "", "`directory` to save the fine-tuned model to (required)")
	ff.register(fs, file.Model)
	tf.register(fs, file.Trainer, file.Model.LearningRate, "")
	cf.register(fs, file.Trainer)
	// The optimizer config is the pretrained model's unless changed, so
	// the flags have no defaults of their own.
	of.register(fs, config.OptimizerConfig{}, " (default: the pretrained model's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model", "data", "out"); err != nil {
		return err
	}
	set := setFlags(fs)
	if err := checkTask(tgt.task); err != nil {
		return err
	}

	pre, err := loadModel(modelDir)
	if err != nil {
		return err
	}
	if pre.Kind() != gotabular.Pretrained {
		return fmt.Errorf("-model %s holds a %s model; finetune starts from a pretrained one (made by gotabular pretrain)", modelDir, pre.Kind())
	}
	file.Data, file.Optimizer = pre.DataConfig, pre.OptimizerConfig
	if tf.config != "" {
		if err := readConfigFile(tf.config, &file); err != nil {
			return err
		}
		if !slices.Equal(file.Data.ContinuousCols, pre.DataConfig.ContinuousCols) || !slices.Equal(file.Data.CategoricalCols, pre.DataConfig.CategoricalCols) {
			return fmt.Errorf("%s: data.continuous_cols and data.categorical_cols cannot change in fine-tuning: the features are those of the pretrained model", tf.config)
		}
	}
	if err := tgt.apply(fs, set, &file.Data); err != nil {
		return err
	}
	if err := file.Data.Validate(); err != nil {
		return err
	}
	target, task := file.Data.Target[0], tgt.task
	if err := ff.apply(set, &file.Model); err != nil {
		return err
	}
	if err := cf.apply(set, &file.Trainer); err != nil {
		return err
	}
	if err := tf.apply(set, &file.Trainer, &file.Model.LearningRate, nil); err != nil {
		return err
	}
	if err := of.apply(set, &file.Optimizer); err != nil {
		return err
	}
	if err := file.Optimizer.Validate(); err != nil {
		return err
	}
	if err := file.Trainer.Validate(); err != nil {
		return err
	}
	if err := checkOut(out); err != nil {
		return err
	}
	if same(out, modelDir) {
		return fmt.Errorf("-out %s is the pretrained model's directory; save the fine-tuned model elsewhere", out)
	}

	if pseudo < 0 {
		return fmt.Errorf("-pseudo-labels %d: must be ≥ 0", pseudo)
	}
	if (pseudo > 0) != (unlabelledPath != "") {
		return errors.New("-pseudo-labels and -unlabelled go together: self-training needs both")
	}
	tr, va, err := readTables(pre.ReadCSV, dataPath, tgt.valid, nil)
	if err != nil {
		return err
	}
	var unlabelled *data.Table
	if unlabelledPath != "" {
		if unlabelled, err = pre.ReadCSV(unlabelledPath); err != nil {
			return err
		}
	}
	note := ""
	if task == "" {
		if task, note, err = inferTask(tr, target, "finetune"); err != nil {
			return err
		}
	}
	if sc, ok := pre.ModelConfig.(ssl.Config); ok && !set["deep-features"] {
		// The default reads every stage of an MLP encoder; an encoder
		// without stages gives the head its output alone.
		file.Model.DeepFeatures = withoutDeepFeatures(sc.Common().EncoderConfig, file.Model.DeepFeatures)
	}
	o := newTrainOutput(ctx, file.Trainer.Quiet, tf.json, stdout, stderr)
	o.attach(pre, note)
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
		Task: task, Head: file.Model.Head, Train: tr, Validation: va, Target: target,
		Optimizer: &file.Optimizer, Trainer: &file.Trainer,
		LearningRate: file.Model.LearningRate, Seed: file.Trainer.Seed,
		ValidationSplit: file.Data.ValidationSplit, ScaleTarget: file.Data.ScaleTarget, LogTarget: new(file.Data.LogTarget),
		EncoderDropout: file.Model.EncoderDropout, DeepFeatures: file.Model.DeepFeatures,
		Unlabelled: unlabelled, PseudoLabels: pseudo,
	})
	if err != nil {
		return err
	}
	run := gotabular.FinetuneRun{FreezeBackbone: ff.freeze, ProbeEpochs: file.Model.ProbeEpochs, BackboneLRScale: file.Model.BackboneLRScale}
	return o.finish(ft, ft.Finetune(ctx, run), "fine-tuned", out)
}

// finetuneFlags are the head and the options of fine-tuning.
type finetuneFlags struct {
	head                                 string
	headDrop, backboneScale, encoderDrop float64
	probe                                int
	freeze, deep                         bool
}

func (f *finetuneFlags) register(fs *flag.FlagSet, m finetuneModel) {
	fs.StringVar(&f.head, "head", m.Head.Layers, "`widths` of the head's hidden layers before the output layer; \"\" for a linear head")
	fs.Float64Var(&f.headDrop, "head-dropout", m.Head.Dropout, "dropout `probability` after each hidden layer of the head")
	fs.BoolVar(&f.freeze, "freeze", false, "train the head alone: the pretrained layers keep their weights and run as in prediction")
	fs.Float64Var(&f.backboneScale, "backbone-lr-scale", 1, "`factor` of the learning rate of the pretrained layers (the head's is -lr): below 1 they adjust the features they learned rather than overwrite them; 0 keeps their weights")
	fs.IntVar(&f.probe, "probe-epochs", m.ProbeEpochs, "`epochs` of training the head alone, the pretrained layers frozen, before the whole network is trained for up to -epochs")
	fs.BoolVar(&f.deep, "deep-features", m.DeepFeatures, "the head reads every hidden layer of the pretrained encoder, side by side, not only the last")
	fs.Float64Var(&f.encoderDrop, "encoder-dropout", 0, "dropout `probability` after each layer of the pretrained encoder, in fine-tuning (default: the encoder's own, as pretrained; the pretrained model is not changed)")
}

// apply copies the flags set on the command line into m, and checks them
// with their names before any data is read.
func (f *finetuneFlags) apply(set map[string]bool, m *finetuneModel) error {
	if set["head"] {
		m.Head.Layers = f.head
	}
	if _, err := models.ParseLayers(m.Head.Layers); err != nil {
		return fmt.Errorf("head: %w", err)
	}
	probability := func(flag string, p float64) error {
		if !(p >= 0 && p < 1) {
			return fmt.Errorf("-%s %v: want a probability in [0, 1)", flag, p)
		}
		return nil
	}
	if set["head-dropout"] {
		if err := probability("head-dropout", f.headDrop); err != nil {
			return err
		}
		m.Head.Dropout = f.headDrop
	}
	if set["encoder-dropout"] {
		if err := probability("encoder-dropout", f.encoderDrop); err != nil {
			return err
		}
		m.EncoderDropout = new(f.encoderDrop)
	}
	if set["backbone-lr-scale"] {
		if !(f.backboneScale >= 0) || math.IsInf(f.backboneScale, 0) {
			return fmt.Errorf("-backbone-lr-scale %v: want a finite value ≥ 0", f.backboneScale)
		}
		m.BackboneLRScale = new(f.backboneScale)
	}
	if set["probe-epochs"] {
		if f.probe < 0 {
			return fmt.Errorf("-probe-epochs %d: must be ≥ 0", f.probe)
		}
		m.ProbeEpochs = f.probe
	}
	if set["deep-features"] {
		m.DeepFeatures = f.deep
	}
	if f.freeze && m.ProbeEpochs > 0 {
		return fmt.Errorf("-freeze with -probe-epochs %d: a frozen backbone is never fine-tuned after the probe; give one of them", m.ProbeEpochs)
	}
	return nil
}

// same reports whether two paths name one existing directory.
func same(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
