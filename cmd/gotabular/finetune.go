package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/models"
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

Example:
  gotabular finetune -model pretrained -data labelled.csv -target income -head 64 -epochs 100 -out finetuned

Writes the directory -out: model.json (configs, feature and target
encoding, training history) and weights.safetensors. An earlier saved
model there is replaced; any other non-empty directory is refused, and
so is the pretrained model's own directory. A line per epoch goes to
stderr (-quiet turns it off), and where the model went to stdout.
`

func runFinetune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	file := finetuneFile{
		Trainer: supervisedTrainer(),
		Model:   finetuneModel{Head: gotabular.DefaultNetwork().Head},
	}

	fs := newFlagSet("finetune", finetuneHelp+"\n"+configHelp(&finetuneFile{})+"\nFlags:\n", stderr)
	var (
		modelDir, dataPath, out, head string
		freeze                        bool
		tgt                           targetFlags
		tf                            trainFlags
	)
	fs.StringVar(&modelDir, "model", "", "`directory` of the pretrained model, as written by gotabular pretrain (required)")
	fs.StringVar(&dataPath, "data", "", "CSV `file` of labelled training rows (required)")
	tgt.register(fs)
	fs.StringVar(&out, "out", "", "`directory` to save the fine-tuned model to (required)")
	fs.StringVar(&head, "head", file.Model.Head.Layers, "`widths` of the head's hidden layers before the output layer; \"\" for a linear head")
	fs.BoolVar(&freeze, "freeze", false, "train the head alone: the pretrained layers keep their weights")
	tf.register(fs, file.Trainer, 0, " (default: the pretraining rate)")
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
	if set["head"] {
		file.Model.Head.Layers = head
	}
	if err := tf.apply(set, &file.Trainer, &file.Model.LearningRate, nil); err != nil {
		return err
	}
	if _, err := models.ParseLayers(file.Model.Head.Layers); err != nil {
		return fmt.Errorf("head: %w", err)
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

	tr, va, err := readTables(pre.ReadCSV, dataPath, tgt.valid, nil)
	if err != nil {
		return err
	}
	note := ""
	if task == "" {
		if task, note, err = inferTask(tr, target, "finetune"); err != nil {
			return err
		}
	}
	w := progress(file.Trainer.Quiet, stderr, note)
	pre.Progress = w
	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
		Task: task, Head: file.Model.Head, Train: tr, Validation: va, Target: target,
		Optimizer: &file.Optimizer, Trainer: &file.Trainer,
		LearningRate: file.Model.LearningRate, Seed: file.Trainer.Seed,
		ValidationSplit: file.Data.ValidationSplit, ScaleTarget: file.Data.ScaleTarget,
	})
	if err != nil {
		return err
	}
	if err := ft.Finetune(ctx, gotabular.FinetuneRun{FreezeBackbone: freeze}); err != nil {
		return trainingError(err)
	}
	if err := ft.Save(out); err != nil {
		return err
	}
	reportSaved(stdout, "fine-tuned", out, ft.History)
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
