package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

const distilHelp = `Usage: gotabular distil -model DIR -data FILE -out DIR [flags]

Distils a model into one network for serving. The default recipe of
finetune and fit is a cross-fitted ensemble of 20 networks, which costs 20
networks' work per row; its student costs one network's and keeps nearly
all of its score when it learns from enough rows (on Adult with 500
labels, ROC-AUC 0.8955 against the ensemble's 0.8958, mean of 3 seeds; see
docs/benchmarks.md).

The student starts from the model's first network and learns the model's
class probabilities (or predicted values) on the rows of -data, which need
no labels: the unlabelled rows of pretraining are the natural choice. A
share of them (-valid-share) is held out, and training stops when the
student stops getting closer to its teacher there.

A regression student can stray from its teacher on rows unlike any it
learned from (an input outside the range of the others), so check the
printed difference, and the student's own score on labelled rows with
gotabular evaluate, before serving it.

Example:
  gotabular distil -model finetuned -data unlabelled.csv -out served
  gotabular serve -model served

Writes the directory -out, a model like any other, whose model.json
records the distillation (teacher's size, rows, agreement or difference,
and the teacher's cross-validated figures). -out may not be -model.

Flags:
`

func runDistil(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("distil", distilHelp, stderr)
	tc := gotabular.DefaultDistilTrainer()
	var (
		model, dataPath, out string
		epochs, batch, pat   int
		lr, share            float64
		seed                 uint64
		quiet, jsonOut       bool
		rf                   readFlags
	)
	fs.StringVar(&model, "model", "", "`directory` of the saved model to distil, supervised or fine-tuned (required)")
	fs.StringVar(&dataPath, "data", "", "rows to learn the model's predictions on, labels not needed (required): "+dataFileHelp)
	fs.StringVar(&out, "out", "", "`directory` to save the student to (required)")
	fs.IntVar(&epochs, "epochs", tc.MaxEpochs, "maximum number of passes over the rows")
	fs.IntVar(&batch, "batch-size", tc.BatchSize, "rows per training step")
	fs.IntVar(&pat, "patience", tc.Patience(), "training stops after this many epochs in a row without getting closer to the teacher on the held-out rows")
	fs.Float64Var(&lr, "lr", gotabular.DefaultDistilLearningRate, "learning `rate` of the student")
	fs.Float64Var(&share, "valid-share", gotabular.DefaultDistilValidationShare, fmt.Sprintf("`share` of the rows held out to stop on (at most %d rows)", gotabular.DistilValidationRows))
	fs.Uint64Var(&seed, "seed", 42, "seed of the held-out rows and the shuffling")
	fs.BoolVar(&quiet, "quiet", false, "print no line per epoch on stderr")
	fs.BoolVar(&jsonOut, "json", false, "write a JSON record per epoch, and one when the model is saved, one per line on stdout instead of the lines for people")
	rf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model", "data", "out"); err != nil {
		return err
	}
	switch {
	case epochs < 1:
		return fmt.Errorf("-epochs %d: must be ≥ 1", epochs)
	case batch < 1:
		return fmt.Errorf("-batch-size %d: must be ≥ 1", batch)
	case pat < 0:
		return fmt.Errorf("-patience %d: must be ≥ 0", pat)
	case !(lr > 0):
		return fmt.Errorf("-lr %v: must be positive", lr)
	case !(share > 0 && share < 1):
		return fmt.Errorf("-valid-share %v: want a share in (0, 1)", share)
	case seed == 0:
		return errors.New("-seed 0: must be ≥ 1")
	case absPath(out) == absPath(model):
		return fmt.Errorf("-out %s is -model: the student would replace its teacher; choose another directory", out)
	}
	if err := checkOut(out); err != nil {
		return err
	}
	ropt, err := rf.options()
	if err != nil {
		return err
	}
	m, err := loadModel(model)
	if err != nil {
		return err
	}
	rows, err := modelReader(m, ropt, stderr)(dataPath)
	if err != nil {
		return err
	}
	tc.MaxEpochs, tc.BatchSize, tc.EarlyStoppingPatience, tc.Seed, tc.Quiet = epochs, batch, new(pat), seed, quiet
	o := newTrainOutput(ctx, quiet, jsonOut, stdout, stderr)
	o.attach(m, "")
	m.Warnings = stderr
	s, err := m.Distil(ctx, rows, gotabular.DistilOptions{Trainer: &tc, LearningRate: lr, ValidationShare: share})
	if s == nil {
		return o.finish(m, err, "distilled", out)
	}
	err = o.finish(s, err, "distilled", out)
	if d := s.Distillation; d != nil && !jsonOut && (err == nil || errors.Is(err, errInterrupted)) {
		if m.Target().Task == config.Regression {
			fmt.Fprintf(stdout, "on %d held-out rows the student's predictions differ from its teacher's (%d networks) by %.4g (root mean square, in the target's units)\n", d.ValidationRows, d.TeacherMembers, d.TeacherRMSE)
		} else {
			fmt.Fprintf(stdout, "on %d held-out rows the student predicts its teacher's class (%d networks) for %.2f%% of them\n", d.ValidationRows, d.TeacherMembers, 100*d.Agreement)
		}
	}
	return err
}
