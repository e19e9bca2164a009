package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/internal/demodata"
	"github.com/gotabular/gotabular/internal/fewlabel"
	"github.com/gotabular/gotabular/metrics"
)

const demoHelp = `Usage: gotabular demo [flags]

Runs the few-label workflow on the UCI Adult census data (shipped inside
the binary) with the default recipe, that of 'gotabular pretrain' and
'gotabular finetune' with no flags: pretrain a denoising autoencoder on all
32,561 training rows without their labels, fine-tune it on a few labelled
rows drawn from the same file (stratified, seeded), and compare it on the
16,281 test rows with the same network and fine-tuning without the
pretraining, and with an L2 logistic regression on the same labelled rows
(one-hot and standardised features): the baseline a model trained on few
labels must beat.

With -save, the fine-tuned model (an ensemble of 20 networks) is also
distilled into one network on the unlabelled rows, which predicts as well
and 20 times faster, and that network is saved for 'gotabular serve'.

Example:
  gotabular demo -labels 500 -seed 42
  gotabular demo -save demo-model && gotabular serve demo-model

Writes the progress of each training to stderr and a table of test ROC-AUC,
accuracy and training time of the models to stdout.

Flags:
`

type demoOptions struct {
	labels                         int
	seed                           uint64
	dataDir                        string
	pretrainEpochs, finetuneEpochs int
	out                            string
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o demoOptions
	fs := newFlagSet("demo", demoHelp, stderr)
	fs.IntVar(&o.labels, "labels", 500, "number of labelled rows to fine-tune on")
	fs.Uint64Var(&o.seed, "seed", 42, "seed of the labelled sample, the weights and the noise")
	fs.StringVar(&o.dataDir, "data-dir", "", "read train.csv and test.csv from this directory instead of the shipped copy")
	fs.IntVar(&o.pretrainEpochs, "pretrain-epochs", 20, "maximum pretraining epochs")
	fs.IntVar(&o.finetuneEpochs, "finetune-epochs", 100, "maximum fine-tuning epochs")
	fs.StringVar(&o.out, "save", "", "distil the fine-tuned ensemble into one network on the unlabelled rows (gotabular distil), show its scores too, and save it to this `directory`, ready for gotabular serve")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	trainTable, test, err := demoTables(o.dataDir)
	if err != nil {
		return err
	}
	target := demodata.AdultTarget
	labelCol, err := trainTable.Col(target)
	if err != nil {
		return err
	}
	rows, err := data.StratifiedSample(labelCol, o.labels, rand.New(rand.NewPCG(o.seed, 0xde70)))
	if err != nil {
		return fmt.Errorf("demo: drawing %d labelled rows: %w", o.labels, err)
	}
	labelled := trainTable.Take(rows)
	fmt.Fprintf(stderr, "demo: %d unlabelled rows for pretraining, %d labelled rows for fine-tuning, %d test rows\n",
		trainTable.Rows, labelled.Rows, test.Rows)

	net := gotabular.DefaultNetwork()
	dc := gotabular.DefaultDataConfig()
	dc.Target = []string{target}
	unlabelled := trainTable.Without(target)

	// Self-supervised: pretrain on every training row, labels dropped.
	cfg := net.DAE()
	cfg.Seed = o.seed
	tc := gotabular.DefaultPretrainTrainer()
	tc.MaxEpochs, tc.Seed = o.pretrainEpochs, o.seed
	start := time.Now()
	m, err := gotabular.New(dc, cfg, config.OptimizerConfig{}, tc)
	if err != nil {
		return err
	}
	m.Progress = stderr
	if err := m.Pretrain(ctx, unlabelled, nil); err != nil {
		return err
	}
	pretrainTime := time.Since(start)

	finetune := func(start *gotabular.TabularModel) (*gotabular.TabularModel, error) {
		opts := gotabular.DefaultFinetuneOptions()
		ftTrainer := *opts.Trainer
		ftTrainer.MaxEpochs, ftTrainer.Seed = o.finetuneEpochs, o.seed
		opts.Task, opts.Train, opts.Trainer, opts.Seed = config.Classification, labelled, &ftTrainer, o.seed
		ft, err := start.CreateFinetuneModel(opts)
		if err != nil {
			return nil, err
		}
		return ft, ft.Finetune(ctx, gotabular.FinetuneRun{})
	}
	start = time.Now()
	ft, err := finetune(m)
	if err != nil {
		return err
	}
	finetuneTime := time.Since(start)
	ssl, err := ft.Evaluate(test)
	if err != nil {
		return err
	}

	// From scratch: the same network, preprocessing and fine-tuning, from
	// the initial weights instead of the pretrained ones.
	start = time.Now()
	fresh, err := gotabular.New(dc, cfg, config.OptimizerConfig{}, tc)
	if err != nil {
		return err
	}
	if err := fresh.Initialize(unlabelled); err != nil {
		return err
	}
	fresh.Progress = stderr
	sup, err := finetune(fresh)
	if err != nil {
		return err
	}
	fitTime := time.Since(start)
	scratch, err := sup.Evaluate(test)
	if err != nil {
		return err
	}

	start = time.Now()
	lin, err := linearBaseline(unlabelled, labelled, test, target)
	if err != nil {
		return err
	}
	linearTime := time.Since(start)

	// The model to save is the one to serve: the ensemble distilled into
	// one network on the unlabelled rows, which predicts 20 times faster.
	var student *gotabular.TabularModel
	var distilled map[string]float64
	var distilTime time.Duration
	if o.out != "" {
		start = time.Now()
		dt := gotabular.DefaultDistilTrainer()
		dt.Seed = o.seed
		if student, err = ft.Distil(ctx, unlabelled, gotabular.DistilOptions{Trainer: &dt}); err != nil {
			return err
		}
		distilTime = time.Since(start)
		if distilled, err = student.Evaluate(test); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "\nAdult income, %d labelled rows, test set of %d rows\n\n", labelled.Rows, test.Rows)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "model\tROC-AUC\taccuracy\ttraining time\t")
	fmt.Fprintf(w, "DAE pretrained + fine-tuned\t%.4f\t%.4f\t%s + %s\t\n", ssl["roc_auc"], ssl["accuracy"], seconds(pretrainTime), seconds(finetuneTime))
	if student != nil {
		fmt.Fprintf(w, "the same distilled into one network\t%.4f\t%.4f\t+ %s\t\n", distilled["roc_auc"], distilled["accuracy"], seconds(distilTime))
	}
	fmt.Fprintf(w, "same network from scratch\t%.4f\t%.4f\t%s\t\n", scratch["roc_auc"], scratch["accuracy"], seconds(fitTime))
	fmt.Fprintf(w, "logistic regression\t%.4f\t%.4f\t%s\t\n", lin["roc_auc"], lin["accuracy"], seconds(linearTime))
	w.Flush()
	if student != nil {
		if err := student.Save(o.out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nsaved the fine-tuned model, distilled into one network for serving, to %s\n", o.out)
	}
	return nil
}

// linearBaseline fits the linear baseline of the few-label benchmark and
// returns its test ROC-AUC and accuracy.
func linearBaseline(unlabelled, labelled, test *data.Table, target string) (map[string]float64, error) {
	truth, err := test.Col(target)
	if err != nil {
		return nil, err
	}
	positive := demodata.AdultPositive
	p, err := fewlabel.Linear(unlabelled, labelled, test, nil, nil, target, positive)
	if err != nil {
		return nil, err
	}
	pos := make([]bool, test.Rows)
	right := 0
	for i := range pos {
		s, _ := truth.Text(i)
		pos[i] = s == positive
		if pos[i] == (p[i] > 0.5) {
			right++
		}
	}
	auc, err := metrics.ROCAUC(pos, p)
	return map[string]float64{"roc_auc": auc, "accuracy": float64(right) / float64(test.Rows)}, err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

func demoTables(dir string) (train, test *data.Table, err error) {
	if dir == "" {
		return demodata.Adult()
	}
	opt := data.ReadOptions{}
	if train, err = data.Read(filepath.Join(dir, "train.csv"), opt); err != nil {
		return nil, nil, err
	}
	if test, err = data.Read(filepath.Join(dir, "test.csv"), opt); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
