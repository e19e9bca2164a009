package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
)

const predictHelp = `Usage: gotabular predict -model DIR -data FILE [-out FILE] [flags]

Writes a model's predictions for every row of a CSV file, in the order of
the rows. The file needs the model's feature columns; a target column, if
present, is ignored.

Example:
  gotabular predict -model finetuned -data test.csv -keep id -out predictions.csv

Writes CSV to -out, or to stdout. The columns are those named by -keep,
copied from the input as they are, then:
  classification  <target>_<class>_probability for each class, then
                  <target>_prediction, the most probable class
  regression      <target>_prediction, in the target's units
  pretrained      feature_0 .. feature_<d-1>, the learned features of a
                  model from gotabular pretrain (as gotabular embed)

Flags:
`

const embedHelp = `Usage: gotabular embed -model DIR -data FILE [-out FILE] [flags]

Writes the learned features of every row of a CSV file, in the order of
the rows: the encoder's output for a pretrained or fine-tuned model (with
the embedded input appended if the pretraining config asked for it), the
backbone's output for a model trained by gotabular fit. Use them as the
input of another model, or to look at the data.

Example:
  gotabular embed -model pretrained -data unlabelled.csv -keep id -out features.csv

Writes CSV to -out, or to stdout: the columns named by -keep, copied from
the input as they are, then feature_0 .. feature_<d-1>.

Flags:
`

const evaluateHelp = `Usage: gotabular evaluate -model DIR -data FILE [-json]

Scores a model on the labelled rows of a CSV file, which must hold the
target column as well as the features. Classification gives loss
(log-loss), accuracy, roc_auc and f1; regression gives loss (mean squared
error, in standardised units if the target was scaled), rmse, mae and r2.
For a pretrained model it gives the self-supervised loss and its parts,
with the corruption drawn from a fixed seed.

Example:
  gotabular evaluate -model finetuned -data test.csv

Writes to stdout a line "name value" per figure, loss first and the others
alphabetically, or with -json one JSON object.

Flags:
`

// ioFlags are the input and output flags of predict and embed.
type ioFlags struct {
	model, data, out, keep string
	rf                     readFlags
	opt                    data.ReadOptions
}

func (f *ioFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&f.model, "model", "", "`directory` of a saved model (required)")
	fs.StringVar(&f.data, "data", "", "the rows "+what+" (required): "+dataFileHelp)
	fs.StringVar(&f.out, "out", "", "CSV `file` to write (default: stdout)")
	fs.StringVar(&f.keep, "keep", "", "comma-separated input `columns` to copy in front of the output, such as an id")
	f.rf.register(fs)
}

// read loads the model and reads the data file for it.
func (f *ioFlags) read(stderr io.Writer) (*gotabular.TabularModel, *data.Table, error) {
	var err error
	if f.opt, err = f.rf.options(); err != nil {
		return nil, nil, err
	}
	m, err := loadModel(f.model)
	if err != nil {
		return nil, nil, err
	}
	t, err := modelReader(m, f.opt, stderr)(f.data)
	if err != nil {
		return nil, nil, err
	}
	return m, t, nil
}

// input is what predict and embed read: their flags, the model, the
// table and the input columns copied to the output.
type input struct {
	f    ioFlags
	m    *gotabular.TabularModel
	t    *data.Table
	keep []*data.Column
}

func readInput(name, help, what string, args []string, stderr io.Writer) (*input, error) {
	fs := newFlagSet(name, help, stderr)
	in := &input{}
	in.f.register(fs, what)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := required(fs, "model", "data"); err != nil {
		return nil, err
	}
	if err := checkOutputFile(in.f.out, in.f.data); err != nil {
		return nil, err
	}
	var err error
	if in.m, in.t, err = in.f.read(stderr); err != nil {
		return nil, err
	}
	if in.keep, err = keptColumns(in.t, in.f.data, splitList(in.f.keep), in.f.opt); err != nil {
		return nil, err
	}
	return in, nil
}

// header starts an output header with the kept columns.
func (in *input) header() []string {
	var h []string
	for _, c := range in.keep {
		h = append(h, c.Name)
	}
	return h
}

// write writes the kept columns and what fill puts after them.
func (in *input) write(stdout io.Writer, header []string, fill func(i int, rec []string)) error {
	return writeCSV(in.f.out, stdout, header, in.t.Rows, func(i int, rec []string) {
		for j, c := range in.keep {
			rec[j] = columnText(c, i)
		}
		fill(i, rec)
	})
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	in, err := readInput("predict", predictHelp, "to predict", args, stderr)
	if err != nil {
		return err
	}
	m := in.m
	p, err := m.Predict(in.t)
	if err != nil {
		return err
	}
	header := in.header()
	off := len(in.keep)
	var fill func(i int, rec []string)
	switch p.Task {
	case config.Classification:
		name := m.Target().Name
		for _, c := range p.Classes {
			header = append(header, name+"_"+c+"_probability")
		}
		header = append(header, name+"_prediction")
		fill = func(i int, rec []string) {
			formatRow(rec[off:], p.Probabilities.Row(i))
			rec[len(rec)-1] = p.Labels[i]
		}
	case config.Regression:
		header = append(header, m.Target().Name+"_prediction")
		fill = func(i int, rec []string) { rec[off] = strconv.FormatFloat(p.Values[i], 'g', -1, 32) }
	default: // the features of a pretrained model
		header = append(header, featureHeader(p.Features.Cols)...)
		fill = func(i int, rec []string) { formatRow(rec[off:], p.Features.Row(i)) }
	}
	return in.write(stdout, header, fill)
}

func runEmbed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	in, err := readInput("embed", embedHelp, "to embed", args, stderr)
	if err != nil {
		return err
	}
	feats, err := in.m.Featurize(in.t)
	if err != nil {
		return err
	}
	header := append(in.header(), featureHeader(feats.Cols)...)
	off := len(in.keep)
	return in.write(stdout, header, func(i int, rec []string) { formatRow(rec[off:], feats.Row(i)) })
}

func runEvaluate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("evaluate", evaluateHelp, stderr)
	var modelDir, dataPath string
	var asJSON bool
	var rf readFlags
	fs.StringVar(&modelDir, "model", "", "`directory` of a saved model (required)")
	fs.StringVar(&dataPath, "data", "", "labelled rows, with the target column (required): "+dataFileHelp)
	rf.register(fs)
	fs.BoolVar(&asJSON, "json", false, "print the figures as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model", "data"); err != nil {
		return err
	}
	ropt, err := rf.options()
	if err != nil {
		return err
	}
	m, err := loadModel(modelDir)
	if err != nil {
		return err
	}
	t, err := modelReader(m, ropt, stderr)(dataPath)
	if err != nil {
		return err
	}
	figs, err := m.Evaluate(t)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(figs))
	for k := range figs {
		names = append(names, k)
	}
	slices.SortFunc(names, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "loss":
			return -1
		case b == "loss":
			return 1
		}
		return strings.Compare(a, b)
	})
	if !asJSON {
		for _, k := range names {
			fmt.Fprintf(stdout, "%s %s\n", k, strconv.FormatFloat(figs[k], 'g', 6, 64))
		}
		return nil
	}
	// Written by hand to keep the order of the text output; a figure
	// undefined on these rows (NaN) is null.
	var b strings.Builder
	b.WriteString("{")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		key, _ := json.Marshal(k)
		v := figs[k]
		val := "null"
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			val = strconv.FormatFloat(v, 'g', -1, 64)
		}
		fmt.Fprintf(&b, "%s: %s", key, val)
	}
	b.WriteString("}\n")
	_, err = io.WriteString(stdout, b.String())
	return err
}

// formatRow formats the float32 values of row into rec, each with the
// fewest digits that read back as the same float32.
func formatRow(rec []string, row []float32) {
	for j, v := range row {
		rec[j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
}
