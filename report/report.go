// Package report writes the report of a trained model: one HTML file,
// with its plots drawn inline in SVG, that any browser opens offline. It
// shows how training went (the loss and metric curves, train and
// validation) and how the model predicts on its validation rows: the ROC
// curves and the confusion matrix of a classifier, the predicted against
// the actual values of a regressor. A pretrained self-supervised model
// gets its pretext figures per epoch, such as how well it finds the
// corrupted values, and, when its method restores its input (the DAE,
// VIME), how well it restores each feature and finds its corruption.
//
// The command-line tool writes report.html beside every model it trains;
// a program using the library calls [Write] itself.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/train"
)

// Options adjust a report.
type Options struct {
	// Title heads the page (default: "gotabular model").
	Title string
	// Diagnostics, when not nil, are shown instead of those the model
	// saved from its validation rows: the predictions of other labelled
	// rows, or a pretrained model's reconstruction of other rows, from
	// [gotabular.TabularModel.Diagnose].
	Diagnostics *gotabular.Diagnostics
	// Now dates the report (default: the time of writing); tests fix it.
	Now time.Time
}

// A plot of a report, by the id of its SVG element.
const (
	PlotLoss      = "plot-loss"      // training and validation loss per epoch
	PlotROC       = "plot-roc"       // classifiers: ROC curves
	PlotConfusion = "plot-confusion" // classifiers: confusion matrix
	PlotPredicted = "plot-predicted" // regressors: predicted against actual
	// Pretrained models whose method restores its input: per feature,
	// the reconstruction error and the accuracy of the corruption mask.
	PlotReconstruction = "plot-reconstruction"
	PlotMaskAccuracy   = "plot-mask-accuracy"
	// PlotMetricPrefix starts the id of the curve of each validation
	// figure other than the loss, such as "plot-metric-roc_auc".
	PlotMetricPrefix = "plot-metric-"
)

// section is a heading with its plots and notes.
type section struct {
	title string
	notes []string
	plots []plot
}

type plot struct {
	id, svg string
}

// Plots returns the ids of the plots Write draws for m, in order.
func Plots(m *gotabular.TabularModel, opt Options) ([]string, error) {
	ss, err := sections(m, opt)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range ss {
		for _, p := range s.plots {
			ids = append(ids, p.id)
		}
	}
	return ids, nil
}

// Write writes the report of m to w.
func Write(w io.Writer, m *gotabular.TabularModel, opt Options) error {
	ss, err := sections(m, opt)
	if err != nil {
		return err
	}
	title := cmp.Or(opt.Title, "gotabular model")
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n", esc(title), css)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"sub\">Report written %s.</p>\n", esc(title), now.UTC().Format("2006-01-02 15:04 UTC"))
	b.WriteString(summary(m))
	for _, s := range ss {
		fmt.Fprintf(&b, "<h2>%s</h2>\n", esc(s.title))
		for _, n := range s.notes {
			fmt.Fprintf(&b, "<p>%s</p>\n", esc(n))
		}
		if len(s.plots) == 0 {
			continue
		}
		b.WriteString("<div class=\"plots\">\n")
		for _, p := range s.plots {
			b.WriteString(p.svg)
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</body>\n</html>\n")
	_, err = io.WriteString(w, b.String())
	return err
}

const css = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:.3em}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:1em}
svg.plot{background:#fff;border:1px solid #ddd}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}svg .ref{stroke:#aaa;stroke-dasharray:4 4}
svg .title{font-weight:600;font-size:14px}
`

// summary is the table of what the model is and how training ended.
func summary(m *gotabular.TabularModel) string {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	add("kind", string(m.Kind()))
	if t := m.Target(); t != nil {
		add("task", t.Task)
		add("target", t.Name)
		if len(t.Classes) > 0 {
			add("classes", strings.Join(t.Classes, ", "))
		}
	}
	if p := m.Preprocessor(); p != nil {
		add("features", fmt.Sprintf("%d continuous, %d categorical", len(p.Continuous), len(p.Categorical)))
	}
	if n := len(m.MemberHistories); n > 0 {
		add("ensemble", fmt.Sprintf("%d members; the curves are those of the first", n+1))
	}
	if h := m.History; h != nil {
		add("epochs", fmt.Sprint(len(h.Epochs)))
		if h.BestEpoch > 0 && h.BestEpoch <= len(h.Epochs) {
			best := fmt.Sprintf("%d (monitoring %s)", h.BestEpoch, h.Monitor)
			add("best epoch", best)
			e := h.Epochs[h.BestEpoch-1]
			add("train loss at the best epoch", fmt.Sprintf("%.4f", e.TrainLoss))
			for _, k := range slices.Sorted(maps.Keys(e.Valid)) {
				add("valid "+k+" at the best epoch", fmt.Sprintf("%.4f", e.Valid[k]))
			}
		}
		add("stopped", h.Stopped)
	}
	for _, k := range slices.Sorted(maps.Keys(m.CrossValidation)) {
		add("cross-validated "+k, fmt.Sprintf("%.4f", m.CrossValidation[k]))
	}
	var b strings.Builder
	b.WriteString("<table>\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>\n", esc(r[0]), esc(r[1]))
	}
	b.WriteString("</table>\n")
	return b.String()
}

// sections lays out the report's plots.
func sections(m *gotabular.TabularModel, opt Options) ([]section, error) {
	if m == nil || m.Kind() == gotabular.Untrained {
		return nil, errors.New("report: the model is untrained")
	}
	var out []section
	if h := m.History; h != nil && len(h.Epochs) > 0 {
		out = append(out, curves(h))
	}
	d := opt.Diagnostics
	if d == nil {
		d = m.Validation
	}
	switch {
	case d != nil && len(d.Features) > 0:
		out = append(out, reconstruction(d))
	case m.Kind() == gotabular.Pretrained:
		out = append(out, noReconstruction(m))
	case d != nil && d.Rows > 0:
		out = append(out, predictions(d))
	}
	return out, nil
}

// reconstruction plots how well a pretrained model restores each feature
// of corrupted rows and tells which were corrupted.
func reconstruction(d *gotabular.Diagnostics) section {
	s := section{title: "Reconstruction"}
	s.notes = append(s.notes,
		fmt.Sprintf("On %d rows: %s, each corrupted as in pretraining, with noise from a fixed seed.", d.Rows, d.Source),
		"Reconstruction error is the RMSE in encoded units (the standardised values the network reads) for a continuous feature, "+
			"and the share of values restored to a wrong category for a categorical one. Over all values it tells how faithfully "+
			"the representation keeps what the model saw; over the corrupted values alone, how well the model infers a value it "+
			"did not see from the rest of the row. A feature no better restored when corrupted than its spread allows (an RMSE "+
			"near 1 for a standardised one) is one the other features do not predict.",
		"Mask accuracy is the share of rows whose corruption flag (changed or not) the model predicts right, beside the score "+
			"of predicting no corruption at all.")
	n := len(d.Features)
	names := make([]string, n)
	all, corrupted := make([]float64, n), make([]float64, n)
	mask, baseline := make([]float64, n), make([]float64, n)
	for i, f := range d.Features {
		names[i] = f.Name
		if f.Kind != ssl.FeatureContinuous {
			names[i] += " (cat.)"
		}
		all[i], mask[i] = f.Error, f.MaskAccuracy
		corrupted[i], baseline[i] = nan, nan
		if f.Corrupted > 0 {
			corrupted[i] = f.CorruptedError
		}
		if f.Rows > 0 {
			baseline[i] = 1 - float64(f.Corrupted)/float64(f.Rows)
		}
	}
	s.plots = append(s.plots,
		plot{PlotReconstruction, svgBars(PlotReconstruction, "Reconstruction error per feature",
			"RMSE (continuous) or error rate (cat.)", names,
			[]bars{{"all values", all}, {"corrupted values", corrupted}}, 0)},
		plot{PlotMaskAccuracy, svgBars(PlotMaskAccuracy, "Mask accuracy per feature", "share of rows right", names,
			[]bars{{"model", mask}, {"predicting no corruption", baseline}}, 1)})
	return s
}

// noReconstruction says why a pretrained model's report has no
// per-feature figures.
func noReconstruction(m *gotabular.TabularModel) section {
	s := section{title: "Reconstruction"}
	name := "its method"
	if c, ok := m.ModelConfig.(ssl.Config); ok {
		name = c.Name()
	}
	if !m.DiagnosesFeatures() {
		s.notes = append(s.notes, name+" learns without restoring values, so there is no per-feature reconstruction error "+
			"or mask accuracy to show; its own figures per epoch, such as a contrastive accuracy, are among the training curves.")
		return s
	}
	s.notes = append(s.notes, "The per-feature reconstruction error and mask accuracy are computed on the validation rows at the "+
		"end of pretraining; this model has none, pretrained without validation rows or saved by an earlier version. "+
		"TabularModel.Diagnose computes them for any rows.")
	return s
}

// curves plots the figures of a run per epoch.
func curves(h *train.History) section {
	s := section{title: "Training"}
	n := len(h.Epochs)
	x := make([]float64, n)
	trainLoss := make([]float64, n)
	valid := map[string][]float64{}
	for i, e := range h.Epochs {
		x[i], trainLoss[i] = float64(e.Epoch), e.TrainLoss
		for k := range e.Valid {
			if valid[k] == nil {
				valid[k] = nanSlice(n)
			}
		}
	}
	for i, e := range h.Epochs {
		for k, v := range e.Valid {
			valid[k][i] = v
		}
	}
	loss := []series{{name: "train", x: x, y: trainLoss}}
	if v, ok := valid["loss"]; ok {
		loss = append(loss, series{name: "validation", x: x, y: v, dashed: true})
	}
	note := fmt.Sprintf("%d epochs; %s.", n, h.Stopped)
	if h.BestEpoch > 0 {
		note = fmt.Sprintf("%d epochs; the best by %s is epoch %d, whose weights the model keeps unless told to keep the last; %s.", n, h.Monitor, h.BestEpoch, h.Stopped)
	}
	s.notes = append(s.notes, note)
	s.plots = append(s.plots, plot{PlotLoss, svgPlot(PlotLoss, "Loss", "epoch", "loss", loss, nil, false)})
	for _, k := range slices.Sorted(maps.Keys(valid)) {
		if k == "loss" {
			continue
		}
		id := PlotMetricPrefix + k
		s.plots = append(s.plots, plot{id, svgPlot(id, "Validation "+strings.ReplaceAll(k, "_", " "), "epoch", k,
			[]series{{name: "validation", x: x, y: valid[k], dashed: true}}, nil, false)})
	}
	return s
}

// predictions plots diagnostics of a model's predictions.
func predictions(d *gotabular.Diagnostics) section {
	s := section{title: "Predictions"}
	s.notes = append(s.notes, fmt.Sprintf("On %d rows: %s.", d.Rows, d.Source))
	if len(d.Classes) > 0 {
		var roc []series
		for _, c := range d.ROC {
			if len(c.FPR) != len(c.TPR) {
				continue // a damaged file; leave the curve out
			}
			roc = append(roc, series{name: fmt.Sprintf("%s (AUC %.3f)", short(c.Class), c.AUC), x: c.FPR, y: c.TPR})
		}
		s.plots = append(s.plots,
			plot{PlotROC, svgPlot(PlotROC, "ROC curve", "false positive rate", "true positive rate", roc, &axes{0, 1, 0, 1}, true)},
			plot{PlotConfusion, svgMatrix(PlotConfusion, "Confusion matrix", d.Classes, d.Confusion)})
		return s
	}
	if len(d.Actual) > 0 && len(d.Actual) == len(d.Predicted) {
		if len(d.Actual) < d.Rows {
			s.notes = append(s.notes, fmt.Sprintf("The plot shows %d of them, evenly spread.", len(d.Actual)))
		}
		s.plots = append(s.plots, plot{PlotPredicted, svgPlot(PlotPredicted, "Predicted against actual", "actual", "predicted",
			[]series{{name: "rows", x: d.Actual, y: d.Predicted, points: true}}, nil, true)})
	}
	return s
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = nan
	}
	return s
}
