package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/report"
)

// reportFile is the report written beside every model trained here.
const reportFile = "report.html"

const reportHelp = `Usage: gotabular report -model DIR [-data FILE] [-out FILE]

Writes a model's report: one HTML file that any browser opens, offline,
with its plots drawn inline. It shows the model's kind, configuration of
the run and how training ended; the training and validation loss and
every validation figure per epoch; and, for a classifier, the ROC curves
and the confusion matrix of its validation rows, or for a regressor its
predicted against the actual values. A model pretrained by a method that
restores corrupted values (dae, vime) gets each feature's reconstruction
error and mask accuracy on its validation rows.

pretrain, finetune and fit write this report as report.html in the
model's directory already, with the validation rows of training. Run
report to write it again, or with -data to see the predictions on other
labelled rows, such as a test set (for a dae or vime model: each feature's
reconstruction error and mask accuracy on those rows).

Examples:
  gotabular report -model finetuned
  gotabular report -model finetuned -data test.csv -out test-report.html

Flags:
`

func runReport(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportHelp, stderr)
	var modelDir, dataPath, out string
	fs.StringVar(&modelDir, "model", "", "`directory` of a saved model (required)")
	fs.StringVar(&dataPath, "data", "", "data `file` of rows the report shows instead of the validation rows: labelled rows for supervised and fine-tuned models, any rows for a dae or vime model")
	fs.StringVar(&out, "out", "", "`file` to write (default: report.html in the model's directory)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model"); err != nil {
		return err
	}
	m, err := loadModel(modelDir)
	if err != nil {
		return err
	}
	var diag *gotabular.Diagnostics
	if dataPath != "" {
		if m.Kind() == gotabular.Pretrained && !m.DiagnosesFeatures() {
			return fmt.Errorf("-data: %s holds a pretrained model whose method restores no values and predicts no target, so there is nothing to show of other rows", modelDir)
		}
		t, err := m.ReadCSV(dataPath)
		if err != nil {
			return err
		}
		if diag, err = m.Diagnose(t); err != nil {
			return err
		}
	}
	if out == "" {
		out = filepath.Join(modelDir, reportFile)
	}
	if err := writeReport(m, modelDir, out, diag); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the report of %s to %s\n", modelDir, out)
	return nil
}

// writeModelReport writes report.html into a saved model's directory.
func writeModelReport(m *gotabular.TabularModel, dir string, diag *gotabular.Diagnostics) error {
	return writeReport(m, dir, filepath.Join(dir, reportFile), diag)
}

// writeReport renders the report and writes it to path through a
// temporary file, so that a browser never shows half a report.
func writeReport(m *gotabular.TabularModel, dir, path string, diag *gotabular.Diagnostics) error {
	var b bytes.Buffer
	title := "gotabular model " + filepath.Base(filepath.Clean(dir))
	if err := report.Write(&b, m, report.Options{Title: title, Diagnostics: diag}); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
