package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
)

const pretrainHelp = `Usage: gotabular pretrain -data FILE -out DIR [-method NAME] [flags]

Pretrains a self-supervised model on the rows of a CSV file; no labels are
needed. -method chooses how the model learns (the methods and their
settings are listed below; the default is the denoising autoencoder).
Whatever the method, an encoder maps each row to a vector of learned
features: it is what 'gotabular finetune' puts a prediction head on and
what 'gotabular embed' writes out.

Every column of the file is a feature: numeric columns continuous, text
columns categorical, unless -continuous or -categorical list them. Name
the columns that are not features, such as an id or a target present in
the file, with -exclude. The feature encoding (category levels, means,
standard deviations) is learned here and kept by every model fine-tuned
from this one.

Example:
  gotabular pretrain -data unlabelled.csv -exclude id,income -method scarf -encoder 256-128 -epochs 20 -out pretrained

` + numEmbeddingHelp + `

Streaming: with -stream, the rows of -data are never held whole, so the
file may be larger than memory. A first pass reads every row to infer the
columns and fit the feature encoding (exact category counts; means and
standard deviations; quantiles from a sample of 65,536 values of each
column, exact for smaller columns); each epoch then reads the file again
and draws its batches through a shuffle buffer of -shuffle-rows rows. The
validation rows (unless -valid gives them) are held out by a hash of the
seed, the file's name and the row's number, so the split does not depend
on the buffer; at most 50,000 of them are kept for the validation figures.
The same flags and seed give the same weights. Pretraining on 10 million
rows of 20 columns stays under 1 GiB of memory (see the README).

Writes the directory -out: model.json (configs, feature encoding, training
history) and weights.safetensors. An earlier saved model there is
replaced; any other non-empty directory is refused. A line per epoch goes
to stderr (-quiet turns it off), and where the model went to stdout.
`

// pretrainFile is the -config file of pretrain.
type pretrainFile struct {
	Data      config.DataConfig      `yaml:"data"`
	Trainer   config.TrainerConfig   `yaml:"trainer"`
	Optimizer config.OptimizerConfig `yaml:"optimizer"`
	Model     *sslModel              `yaml:"model"`
}

func runPretrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	file := pretrainFile{
		Data:    gotabular.DefaultDataConfig(),
		Trainer: gotabular.DefaultPretrainTrainer(),
	}
	dm, err := ssl.Lookup(defaultMethod)
	if err != nil {
		return err
	}
	def, err := newSSLModel(dm)
	if err != nil {
		return err
	}

	fs := newFlagSet("pretrain", "", stderr)
	var (
		dataPath, validPath, out, method string
		feat                             featureFlags
		encoder, decoder, activation     string
		backbone                         string
		dropout                          float64
		batchNorm                        bool
		tf                               trainFlags
		nf                               numEmbeddingFlags
		rf                               readFlags
		stream                           bool
		shuffleRows                      int
	)
	fs.StringVar(&dataPath, "data", "", "the rows to pretrain on (required): "+dataFileHelp)
	fs.StringVar(&validPath, "valid", "", "`file`s of validation rows, like -data (default: hold out a share of -data, 0.2 unless the config's data.validation_split says otherwise)")
	fs.StringVar(&out, "out", "", "`directory` to save the pretrained model to (required)")
	fs.StringVar(&method, "method", defaultMethod, "self-supervised `method`, by name or alias: see Methods below")
	feat.register(fs, "such as an id or the target")
	defEnc, _ := def.shared.Encoder.config.(categoryembedding.Config)
	fs.StringVar(&backbone, "backbone", categoryembedding.Name, "the encoder's backbone, by `name`: "+strings.Join(models.Backbones(), ", ")+"; its fields are set in the config file's model.encoder section, and -encoder, -decoder, -activation and -batchnorm are CategoryEmbedding's")
	fs.StringVar(&encoder, "encoder", defEnc.Layers, "`widths` of the encoder's layers, such as 512-256-128; the last is the number of learned features")
	fs.StringVar(&decoder, "decoder", "", "`widths` of the decoder's layers, such as 256-512, for the methods that reconstruct their input (default: none, the heads read the encoder's output)")
	fs.StringVar(&activation, "activation", defEnc.Activation, "`activation` of the encoder and decoder layers: ReLU, LeakyReLU or GELU")
	fs.Float64Var(&dropout, "dropout", 0, "dropout `probability` after each encoder and decoder layer")
	fs.BoolVar(&batchNorm, "batchnorm", false, "put a batch normalisation before each encoder and decoder layer")
	fs.BoolVar(&stream, "stream", false, "read -data in two passes, never whole, for files larger than memory: see Streaming above")
	fs.IntVar(&shuffleRows, "shuffle-rows", data.DefaultShuffleRows, "with -stream, `rows` of the shuffle buffer the batches are drawn through")
	nf.register(fs)
	rf.register(fs)
	tf.register(fs, file.Trainer, def.shared.LearningRate, "")
	mf, err := registerMethodFlags(fs)
	if err != nil {
		return err
	}
	fs.Usage = func() { pretrainUsage(fs, mf) }

	if err := checkFlagNames(fs, args, methodArg(args)); err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "data", "out"); err != nil {
		return err
	}
	set := setFlags(fs)

	m, err := chooseMethod(set, method, tf.config)
	if err != nil {
		return err
	}
	if file.Model, err = newSSLModel(m); err != nil {
		return err
	}
	if tf.config != "" {
		if err := readConfigFile(tf.config, &file); err != nil {
			return err
		}
	}
	mm := file.Model
	sh := &mm.shared
	if err := applyBackboneFlags(sh, set, backbone, encoder, decoder, activation, dropout, batchNorm); err != nil {
		return err
	}
	setBy, err := mf.apply(mm)
	if err != nil {
		return err
	}
	for key, name := range map[string]string{"learning_rate": "lr", "decoder": "decoder", "encoder": "encoder"} {
		if set[name] {
			setBy[key] = "-" + name
		}
	}
	if err := tf.apply(set, &file.Trainer, &sh.LearningRate, &sh.Seed); err != nil {
		return err
	}
	if err := nf.apply(set, &file.Data, &sh.NumEmbedding); err != nil {
		return err
	}
	excluded, err := feat.apply(set, &file.Data)
	if err != nil {
		return err
	}
	if set["odd-values"] && len(file.Data.DateColumns) > 0 {
		file.Data.BadDates = rf.oddValues // a value of a date column that is not a date is odd too
	}
	if err := checkOut(out); err != nil {
		return err
	}

	sc := mm.config()
	if err := sc.Validate(); err != nil {
		return explainConfigError(err, setBy, tf.config, mm.keys)
	}
	model, err := gotabular.New(file.Data, sc, file.Optimizer, file.Trainer)
	if err != nil {
		return err
	}
	o := newTrainOutput(ctx, file.Trainer.Quiet, tf.json, stdout, stderr)
	o.attach(model, "")
	model.Warnings = stderr
	ropt, err := rf.options()
	if err != nil {
		return err
	}
	read := func(path string) (*data.Table, error) { return readTable(path, file.Data, ropt, stderr) }
	if set["shuffle-rows"] && !stream {
		return fmt.Errorf("-shuffle-rows is for -stream")
	}
	if stream {
		if shuffleRows < 1 {
			return fmt.Errorf("-shuffle-rows %d: must be ≥ 1", shuffleRows)
		}
		var va *data.Table
		if validPath != "" {
			if va, err = read(validPath); err != nil {
				return err
			}
			va = va.Without(excluded...)
		}
		sopt := data.StreamOptions{Read: ropt, Exclude: excluded, ShuffleRows: shuffleRows}
		return o.finish(model, model.PretrainStream(ctx, dataPath, va, sopt), "pretrained", out)
	}
	if size := filesSize(dataPath); size > streamHint {
		fmt.Fprintf(stderr, "note: -data is %d MB; if it does not fit in memory, add -stream\n", size>>20)
	}
	tr, va, err := readTables(read, dataPath, validPath, excluded)
	if err != nil {
		return err
	}
	return o.finish(model, model.Pretrain(ctx, tr, va), "pretrained", out)
}

// streamHint is the size of -data above which pretrain suggests -stream.
const streamHint = 1 << 30

// filesSize returns the total size in bytes of the files spec names, 0 if
// they cannot be listed (reading will say why).
func filesSize(spec string) int64 {
	paths, err := data.Files(spec)
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// pretrainUsage prints the help: the text, the config file's keys, the
// general flags, then each method with its own flags.
func pretrainUsage(fs *flag.FlagSet, mf *methodFlags) {
	w := fs.Output()
	fmt.Fprint(w, pretrainHelp+"\n"+configHelp(&pretrainFile{})+"\n"+backboneHelp()+"\nFlags:\n")
	general := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	general.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if !mf.isMethodFlag(f.Name) {
			general.Var(f.Value, f.Name, f.Usage)
			general.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	general.PrintDefaults()
	printMethods(w)
}

// applyBackboneFlags applies pretrain's flags of the encoder and decoder:
// -backbone chooses the encoder's backbone; -encoder, -decoder,
// -activation and -batchnorm set the layers of CategoryEmbedding
// backbones, and -dropout the dropout of any backbone that has one.
func applyBackboneFlags(sh *sslShared, set map[string]bool, backbone, encoder, decoder, activation string, dropout float64, batchNorm bool) error {
	if set["backbone"] {
		c, err := chooseBackbone(backbone, sh.Encoder.config)
		if err != nil {
			return err
		}
		sh.Encoder.config = c
	}
	if set["encoder"] {
		ce, ok := sh.Encoder.config.(categoryembedding.Config)
		if !ok {
			return fmt.Errorf("-encoder sets the widths of a CategoryEmbedding encoder, and the encoder is %s; set its fields in the config file's model.encoder section", sh.Encoder.config.Name())
		}
		ce.Layers = encoder
		sh.Encoder.config = ce
	}
	if set["decoder"] {
		if decoder == "" {
			sh.Decoder = nil
		} else {
			var ce categoryembedding.Config
			if sh.Decoder != nil {
				ce, _ = sh.Decoder.config.(categoryembedding.Config)
			} else {
				ce, _ = sh.Encoder.config.(categoryembedding.Config) // the decoder's blocks are made like the encoder's
			}
			ce.Layers = decoder
			sh.Decoder = &backboneSection{config: ce}
		}
	}
	if err := checkActivation(set, activation); err != nil {
		return err
	}
	for _, b := range []*backboneSection{&sh.Encoder, sh.Decoder} {
		if b == nil || b.config == nil {
			continue
		}
		ce, ok := b.config.(categoryembedding.Config)
		if !ok {
			for _, f := range []string{"activation", "batchnorm"} {
				if set[f] && b == &sh.Encoder {
					return fmt.Errorf("-%s sets the layers of a CategoryEmbedding encoder, and the encoder is %s; set its fields in the config file's model.encoder section", f, b.config.Name())
				}
			}
			if set["dropout"] {
				ds, ok := b.config.(models.DropoutSetter)
				if !ok {
					return fmt.Errorf("-dropout: backbone %s has no dropout to set", b.config.Name())
				}
				b.config = ds.WithDropout(dropout)
			}
			continue
		}
		if set["activation"] {
			ce.Activation = activation
		}
		if set["dropout"] {
			ce.Dropout = dropout
		}
		if set["batchnorm"] {
			ce.UseBatchNorm = batchNorm
		}
		b.config = ce
	}
	return nil
}
