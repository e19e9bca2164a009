package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/dae"
)

const pretrainHelp = `Usage: gotabular pretrain -data FILE -out DIR [flags]

Pretrains a denoising autoencoder on the rows of a CSV file; no labels are
needed. In every row a share of the values is corrupted (swapped with the
same column of another row, or zeroed), the encoder maps the row to a
vector of features, and the model learns to restore the clean row from
them and to tell which values were corrupted. The encoder is what
'gotabular finetune' puts a prediction head on and what 'gotabular embed'
writes out.

Every column of the file is a feature: numeric columns continuous, text
columns categorical, unless -continuous or -categorical list them. Name
the columns that are not features, such as an id or a target present in
the file, with -exclude. The feature encoding (category levels, means,
standard deviations) is learned here and kept by every model fine-tuned
from this one.

` + numEmbeddingHelp + `

Example:
  gotabular pretrain -data unlabelled.csv -exclude id,income -encoder 256-128 -decoder 256 -epochs 20 -out pretrained

Writes the directory -out: model.json (configs, feature encoding, training
history) and weights.safetensors. An earlier saved model there is
replaced; any other non-empty directory is refused. A line per epoch goes
to stderr (-quiet turns it off), and where the model went to stdout.
`

func runPretrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	file := pretrainFile{
		Trainer: gotabular.DefaultPretrainTrainer(),
		Model:   daeModelOf(gotabular.DefaultNetwork().DAE()), // the encoder that fit's backbone matches
	}

	fs := newFlagSet("pretrain", pretrainHelp+"\n"+configHelp(&pretrainFile{})+"\nFlags:\n", stderr)
	var (
		dataPath, validPath, out            string
		feat                                featureFlags
		encoder, decoder, activation, noise string
		dropout, noiseProb                  float64
		batchNorm                           bool
		tf                                  trainFlags
		nf                                  numEmbeddingFlags
	)
	fs.StringVar(&dataPath, "data", "", "CSV `file` of the rows to pretrain on (required)")
	fs.StringVar(&validPath, "valid", "", "CSV `file` of validation rows (default: hold out a share of -data, 0.2 unless the config's data.validation_split says otherwise)")
	fs.StringVar(&out, "out", "", "`directory` to save the pretrained model to (required)")
	feat.register(fs, "such as an id or the target")
	fs.StringVar(&encoder, "encoder", file.Model.Encoder.Layers, "`widths` of the encoder's layers, such as 512-256-128; the last is the number of learned features")
	fs.StringVar(&decoder, "decoder", "", "`widths` of the decoder's layers, such as 256-512 (default: none, the reconstruction heads read the encoder's output)")
	fs.StringVar(&activation, "activation", file.Model.Encoder.Activation, "`activation` of the encoder and decoder layers: ReLU, LeakyReLU or GELU")
	fs.Float64Var(&dropout, "dropout", 0, "dropout `probability` after each encoder and decoder layer")
	fs.BoolVar(&batchNorm, "batchnorm", false, "put a batch normalisation before each encoder and decoder layer")
	fs.StringVar(&noise, "noise", file.Model.NoiseStrategy, "`strategy` of corruption: swap (with the same column of a random row of the batch) or zero (the column's mean, or the unknown category)")
	fs.Float64Var(&noiseProb, "noise-prob", file.Model.DefaultNoiseProbability, "`probability` that a value is corrupted")
	nf.register(fs)
	tf.register(fs, file.Trainer, file.Model.LearningRate, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "out"); err != nil {
		return err
	}
	set := setFlags(fs)

	if tf.config != "" {
		if err := readConfigFile(tf.config, &file); err != nil {
			return err
		}
	}
	mm := &file.Model
	if set["encoder"] {
		mm.Encoder.Layers = encoder
	}
	if set["decoder"] {
		if decoder == "" {
			mm.Decoder = nil
		} else {
			if mm.Decoder == nil {
				d := mm.Encoder // the decoder's blocks are made like the encoder's
				mm.Decoder = &d
			}
			mm.Decoder.Layers = decoder
		}
	}
	if err := checkActivation(set, activation); err != nil {
		return err
	}
	for _, c := range []*categoryembedding.Config{&mm.Encoder, mm.Decoder} {
		if c == nil {
			continue
		}
		if set["activation"] {
			c.Activation = activation
		}
		if set["dropout"] {
			c.Dropout = dropout
		}
		if set["batchnorm"] {
			c.UseBatchNorm = batchNorm
		}
	}
	if set["noise"] {
		if noise != dae.Swap && noise != dae.Zero {
			return fmt.Errorf("-noise %q: want %s or %s", noise, dae.Swap, dae.Zero)
		}
		mm.NoiseStrategy = noise
	}
	if set["noise-prob"] {
		if !(noiseProb > 0 && noiseProb <= 1) {
			// 0 would stand for the default, and without noise there is
			// nothing to learn.
			return fmt.Errorf("-noise-prob %v: want a probability in (0, 1]", noiseProb)
		}
		mm.DefaultNoiseProbability = noiseProb
	}
	if err := tf.apply(set, &file.Trainer, &mm.LearningRate, &mm.Seed); err != nil {
		return err
	}
	if err := nf.apply(set, &file.Data, &mm.NumEmbedding); err != nil {
		return err
	}
	excluded, err := feat.apply(set, &file.Data)
	if err != nil {
		return err
	}
	if err := checkOut(out); err != nil {
		return err
	}

	m, err := gotabular.New(file.Data, mm.config(), file.Optimizer, file.Trainer)
	if err != nil {
		return err
	}
	m.Progress = progress(file.Trainer.Quiet, stderr, "")
	read := func(path string) (*data.Table, error) { return readTable(path, file.Data) }
	tr, va, err := readTables(read, dataPath, validPath, excluded)
	if err != nil {
		return err
	}
	if err := m.Pretrain(ctx, tr, va); err != nil {
		return trainingError(err)
	}
	if err := m.Save(out); err != nil {
		return err
	}
	reportSaved(stdout, "pretrained", out, m.History)
	return nil
}
