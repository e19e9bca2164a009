package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
)

const inspectHelp = `Usage: gotabular inspect [flags] PATH

Describes PATH without changing it.

For data (a CSV or Parquet file, or a directory, glob or comma-separated
list of them, read as one table), prints the schema the commands would
infer, with a line per column: its kind, the share of missing values, the
number of distinct values, the minimum, maximum and mean of a continuous
column, and the most frequent values of a categorical one (or of a numeric
one with few values); then the warnings reading gave.

For a saved model directory, prints its kind, its configs, the schema of
its features (continuous columns and categorical ones with their number of
levels), the target, the number of parameters and how training went.

Examples:
  gotabular inspect train.csv
  gotabular inspect -top 5 -delimiter ';' export.csv.gz
  gotabular inspect model/

Flags:
`

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inspect", inspectHelp, stderr)
	var rf readFlags
	var top int
	fs.IntVar(&top, "top", 3, "number of most frequent `values` to show per column")
	rf.register(fs)
	path, rest := splitPath(args)
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if path == "" {
		return usageError(fs, "give one PATH: a data file or a model directory")
	}
	if top < 0 {
		return fmt.Errorf("-top %d: must be ≥ 0", top)
	}
	if _, err := os.Stat(filepath.Join(path, gotabular.ModelFile)); err == nil {
		return inspectModel(stdout, path)
	}
	opt, err := rf.options()
	if err != nil {
		return err
	}
	t, err := data.Read(path, opt)
	if err != nil {
		return err
	}
	return inspectTable(stdout, t, top)
}

// splitPath takes the PATH argument out of args, which may stand before,
// between or after the flags: the first argument that is not a flag and
// does not follow a flag expecting a value.
func splitPath(args []string) (string, []string) {
	boolFlags := map[string]bool{"default-missing": true, "h": true, "help": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return args[i+1], append(slices.Clone(args[:i]), args[i+2:]...)
			}
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !boolFlags[name] {
				i++ // the flag's value
			}
			continue
		}
		return a, append(slices.Clone(args[:i]), args[i+1:]...)
	}
	return "", args
}

// inspectTable prints the schema and statistics of t.
func inspectTable(w io.Writer, t *data.Table, top int) error {
	fmt.Fprintf(w, "%s: %d rows, %d columns\n\n", t.Source, t.Rows, len(t.Columns))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "column\tkind\tmissing\tdistinct\tmin\tmax\tmean\ttop values")
	for _, s := range data.Describe(t, top) {
		lo, hi, mean := "", "", ""
		if s.Kind == data.Continuous && !math.IsNaN(s.Mean) {
			lo, hi, mean = num(s.Min), num(s.Max), num(s.Mean)
		}
		var levels []string
		for _, l := range s.Top {
			levels = append(levels, fmt.Sprintf("%s (%d)", quoteIfNeeded(l.Value), l.Count))
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f%%\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Kind, 100*s.MissingShare(t.Rows), s.Distinct, lo, hi, mean, strings.Join(levels, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(t.Warnings) > 0 {
		fmt.Fprintln(w)
		printWarnings(w, t)
	}
	return nil
}

func num(v float64) string { return fmt.Sprintf("%.6g", v) }

// quoteIfNeeded quotes a value that white space or a comma would make
// ambiguous in the list.
func quoteIfNeeded(s string) string {
	if strings.ContainsAny(s, ", \t\n\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// inspectModel prints what a saved model is and how it was trained.
func inspectModel(w io.Writer, dir string) error {
	m, err := loadModel(dir)
	if err != nil {
		return err
	}
	js, err := os.ReadFile(filepath.Join(dir, gotabular.ModelFile))
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(js, &raw); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, gotabular.ModelFile), err)
	}
	fmt.Fprintf(w, "%s: a %s model, %d parameters\n", dir, m.Kind(), m.ParameterCount())

	fmt.Fprintln(w, "\nconfigs:")
	for _, key := range []string{"data_config", "supervised_model", "ssl_model", "finetune", "optimizer_config", "trainer_config"} {
		if v, ok := raw[key]; ok {
			var b bytes.Buffer
			if err := json.Compact(&b, v); err == nil {
				fmt.Fprintf(w, "  %s: %s\n", key, b.String())
			}
		}
	}

	p := m.Preprocessor()
	transform := p.ContinuousTransform
	if transform == "" {
		transform = "standard"
	}
	fmt.Fprintf(w, "\nfeatures: %d continuous (%s transform), %d categorical\n", len(p.Continuous), transform, len(p.Categorical))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range p.Continuous {
		if transform == data.TransformYeoJohnson || transform == data.TransformBoxCox {
			// Mean and Std are those of the transformed values.
			fmt.Fprintf(tw, "  %s\tcontinuous\tλ %s; transformed mean %s, std %s%s\n", c.Name, num(c.Lambda), num(c.Mean), num(c.Std), derivedFrom(c.Source, c.Part))
			continue
		}
		fmt.Fprintf(tw, "  %s\tcontinuous\tmean %s, std %s%s\n", c.Name, num(c.Mean), num(c.Std), derivedFrom(c.Source, c.Part))
	}
	for _, c := range p.Categorical {
		fmt.Fprintf(tw, "  %s\tcategorical\t%d levels%s\n", c.Name, len(c.Levels), derivedFrom(c.Source, c.Part))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if g := m.Target(); g != nil {
		fmt.Fprintf(w, "\ntarget: %q, %s", g.Name, g.Task)
		if len(g.Classes) > 0 {
			fmt.Fprintf(w, ", classes %s", strings.Join(g.Classes, ", "))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "\ntraining:")
	if h := m.History; h != nil && len(h.Epochs) > 0 {
		fmt.Fprintf(w, "  %d epochs; monitor %s; best epoch %d", len(h.Epochs), h.Monitor, h.BestEpoch)
		if h.BestEpoch > 0 && h.BestEpoch <= len(h.Epochs) {
			e := h.Epochs[h.BestEpoch-1]
			fmt.Fprintf(w, " (train_loss %.4f", e.TrainLoss)
			for _, k := range sortedKeys(e.Valid) {
				fmt.Fprintf(w, ", valid_%s %.4f", k, e.Valid[k])
			}
			fmt.Fprint(w, ")")
		}
		fmt.Fprintln(w)
		if h.Stopped != "" {
			fmt.Fprintf(w, "  stopped: %s\n", h.Stopped)
		}
	} else {
		fmt.Fprintln(w, "  no history")
	}
	if n := len(m.MemberHistories); n > 0 {
		fmt.Fprintf(w, "  ensemble of %d members\n", n+1)
	}
	if len(m.CrossValidation) > 0 {
		var parts []string
		for _, k := range sortedKeys(m.CrossValidation) {
			parts = append(parts, fmt.Sprintf("%s %.4f", k, m.CrossValidation[k]))
		}
		fmt.Fprintf(w, "  cross-validated: %s\n", strings.Join(parts, ", "))
	}
	return nil
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// derivedFrom says where a derived feature comes from, "" for a column of
// the data itself.
func derivedFrom(source, part string) string {
	switch {
	case source == "":
		return ""
	case part == data.PartMissing:
		return fmt.Sprintf(" (missing-value indicator of %q)", source)
	}
	return fmt.Sprintf(" (%s of date column %q)", part, source)
}
