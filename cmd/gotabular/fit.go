package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

const fitHelp = `Usage: gotabular fit -data FILE -target COLUMN -out DIR [flags]

Trains a supervised model from scratch on labelled rows: the embedded row
goes through an MLP (PyTorch Tabular's CategoryEmbeddingModel) and a head
to class probabilities or a value. It is the baseline that a pretrained
and fine-tuned model should beat when labels are few.

The task is classification if the target column holds text and
regression if it holds numbers, unless -task says. Every other column is
a feature (numeric ones continuous, text ones categorical, unless
-continuous or -categorical list them), except those named by -exclude.

%s

` + numEmbeddingHelp + `

Example:
  gotabular fit -data train.csv -target income -exclude id -layers 128-64 -head 32 -epochs 100 -out supervised

Writes the directory -out: model.json (configs, feature and target
encoding, training history) and weights.safetensors. An earlier saved
model there is replaced; any other non-empty directory is refused. A line
per epoch goes to stderr (-quiet turns it off), and where the model went
to stdout.
`

func runFit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	net := gotabular.DefaultNetwork()
	file := fitFile{Data: gotabular.DefaultDataConfig(), Trainer: supervisedTrainer(), Model: fitModelOf(net.Supervised(""))}

	help := fmt.Sprintf(fitHelp, paragraph("By default the network is the one that pretrain and finetune build, so that the two can be compared: "+describeNetwork(net)+"."))
	fs := newFlagSet("fit", help+"\n"+configHelp(&fitFile{})+"\n"+backboneHelp()+"\nFlags:\n", stderr)
	var (
		dataPath, out            string
		layers, head, activation string
		backbone                 string
		dropout                  float64
		batchNorm                bool
		feat                     featureFlags
		tgt                      targetFlags
		tf                       trainFlags
		cf                       crossFitFlags
		of                       optimFlags
		nf                       numEmbeddingFlags
		rf                       readFlags
	)
	fs.StringVar(&dataPath, "data", "", "labelled training rows (required): "+dataFileHelp)
	tgt.register(fs)
	fs.StringVar(&out, "out", "", "`directory` to save the model to (required)")
	feat.register(fs, "such as an id")
	fs.StringVar(&backbone, "backbone", categoryembedding.Name, "the backbone, by `name`: "+strings.Join(models.Backbones(), ", ")+"; its fields are set in the config file's model.backbone section, and -layers, -activation and -batchnorm are CategoryEmbedding's")
	fs.StringVar(&layers, "layers", file.Model.Layers, "`widths` of the backbone's layers")
	fs.StringVar(&head, "head", file.Model.Head.Layers, "`widths` of the head's hidden layers before the output layer; \"\" for a linear head")
	fs.StringVar(&activation, "activation", file.Model.Activation, "`activation` of the backbone's layers: ReLU, LeakyReLU or GELU")
	fs.Float64Var(&dropout, "dropout", file.Model.Dropout, "dropout `probability` after each backbone layer")
	fs.BoolVar(&batchNorm, "batchnorm", file.Model.UseBatchNorm, "put a batch normalisation before each backbone layer")
	nf.register(fs)
	rf.register(fs)
	tf.register(fs, file.Trainer, file.Model.LearningRate, "")
	cf.register(fs, file.Trainer)
	of.register(fs, file.Optimizer.WithDefaults(), "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "out"); err != nil {
		return err
	}
	set := setFlags(fs)
	if err := checkTask(tgt.task); err != nil {
		return err
	}
	if err := checkActivation(set, activation); err != nil {
		return err
	}

	if tf.config != "" {
		if err := readConfigFile(tf.config, &file); err != nil {
			return err
		}
	}
	if err := tgt.apply(fs, set, &file.Data); err != nil {
		return err
	}
	excluded, err := feat.apply(set, &file.Data)
	if err != nil {
		return err
	}
	if set["odd-values"] && len(file.Data.DateColumns) > 0 {
		file.Data.BadDates = rf.oddValues // a value of a date column that is not a date is odd too
	}
	mm := &file.Model
	if set["backbone"] {
		var cur models.BackboneConfig
		if mm.Backbone != nil {
			cur = mm.Backbone.config
		}
		c, err := chooseBackbone(backbone, cur)
		if err != nil {
			return err
		}
		mm.Backbone = &backboneSection{config: c}
	}
	if mm.Backbone != nil && mm.Backbone.config != nil && mm.Backbone.config.Name() != categoryembedding.Name {
		for _, f := range []string{"layers", "activation", "batchnorm"} {
			if set[f] {
				return fmt.Errorf("-%s sets a CategoryEmbedding backbone's layers, and the backbone is %s; set its fields in the config file's model.backbone section", f, mm.Backbone.config.Name())
			}
		}
		if set["dropout"] {
			ds, ok := mm.Backbone.config.(models.DropoutSetter)
			if !ok {
				return fmt.Errorf("-dropout: backbone %s has no dropout to set", mm.Backbone.config.Name())
			}
			mm.Backbone.config = ds.WithDropout(dropout)
		}
	}
	if set["layers"] {
		mm.Layers = layers
	}
	if set["head"] {
		mm.Head.Layers = head
	}
	if set["activation"] {
		mm.Activation = activation
	}
	if set["dropout"] {
		mm.Dropout = dropout
	}
	if set["batchnorm"] {
		mm.UseBatchNorm = batchNorm
	}
	if err := cf.apply(set, &file.Trainer); err != nil {
		return err
	}
	if err := tf.apply(set, &file.Trainer, &mm.LearningRate, &mm.Seed); err != nil {
		return err
	}
	if err := of.apply(set, &file.Optimizer); err != nil {
		return err
	}
	if err := nf.apply(set, &file.Data, &mm.Embedding.NumEmbedding); err != nil {
		return err
	}
	if err := file.Data.Validate(); err != nil {
		return err
	}
	if slices.Contains(excluded, file.Data.Target[0]) {
		return fmt.Errorf("-exclude names the target %q", file.Data.Target[0])
	}
	// New checks the configs again, but only once the task is known from
	// the data; a mistake in them should not wait for a large file to be
	// read.
	if err := mm.config(config.Regression).Validate(); err != nil {
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

	ropt, err := rf.options()
	if err != nil {
		return err
	}
	read := func(path string) (*data.Table, error) { return readTable(path, file.Data, ropt, stderr) }
	tr, va, err := readTables(read, dataPath, tgt.valid, excluded)
	if err != nil {
		return err
	}
	note := ""
	task := tgt.task
	if task == "" {
		if task, note, err = inferTask(tr, file.Data.Target[0], "fit"); err != nil {
			return err
		}
	}
	o := newTrainOutput(ctx, file.Trainer.Quiet, tf.json, stdout, stderr)
	m, err := gotabular.New(file.Data, mm.config(task), file.Optimizer, file.Trainer)
	if err != nil {
		return err
	}
	o.attach(m, note)
	m.Warnings = stderr
	return o.finish(m, m.Fit(ctx, tr, va), "trained", out)
}
