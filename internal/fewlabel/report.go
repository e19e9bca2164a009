package fewlabel

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// cellKey names a dataset and label count.
type cellKey struct {
	dataset string
	labels  int
}

// table indexes records by cell, method and seed.
type table struct {
	cells   []cellKey
	metric  map[cellKey]string
	values  map[cellKey]map[string]map[int]float64
	seconds map[string][]float64
	pre     map[string]map[string]float64 // method → "dataset/seed" → pretraining seconds
	cv      map[cellKey]map[string][]float64
}

func index(rs []Record) *table {
	t := &table{metric: map[cellKey]string{}, values: map[cellKey]map[string]map[int]float64{},
		seconds: map[string][]float64{}, pre: map[string]map[string]float64{}, cv: map[cellKey]map[string][]float64{}}
	for _, r := range rs {
		k := cellKey{r.Dataset, r.Labels}
		if t.values[k] == nil {
			t.values[k] = map[string]map[int]float64{}
			t.cells = append(t.cells, k)
			t.metric[k] = r.Metric
		}
		if t.values[k][r.Method] == nil {
			t.values[k][r.Method] = map[int]float64{}
		}
		t.values[k][r.Method][r.Seed] = r.Value
		if !strings.HasPrefix(r.Method, "ref-") {
			t.seconds[r.Method] = append(t.seconds[r.Method], r.Seconds)
		}
		if r.CV != nil {
			if t.cv[k] == nil {
				t.cv[k] = map[string][]float64{}
			}
			t.cv[k][r.Method] = append(t.cv[k][r.Method], *r.CV)
		}
		if r.PretrainSeconds > 0 {
			if t.pre[r.Method] == nil {
				t.pre[r.Method] = map[string]float64{}
			}
			t.pre[r.Method][fmt.Sprintf("%s/%d", r.Dataset, r.Seed)] = r.PretrainSeconds
		}
	}
	return t
}

// lowerIsBetter reports the direction of a benchmark metric.
func lowerIsBetter(metric string) bool { return metric == "rmse" }

func meanStd(v []float64) (mean, std float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)-1))
}

func (t *table) seedValues(k cellKey, method string) []float64 {
	m := t.values[k][method]
	var seeds []int
	for s := range m {
		seeds = append(seeds, s)
	}
	slices.Sort(seeds)
	var out []float64
	for _, s := range seeds {
		out = append(out, m[s])
	}
	return out
}

// formatValue writes a figure of a cell whose mean is scale: ROC-AUC and
// small errors to four decimals, errors in the hundreds and more to units.
func formatValue(metric string, v, scale float64) string {
	if lowerIsBetter(metric) && math.Abs(scale) >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

// bestRef returns the better of the reference baselines' means in a cell.
func (t *table) bestRef(k cellKey) (float64, bool) {
	best, ok := 0.0, false
	for _, m := range []string{RefXGBoost, RefLinear} {
		v := t.seedValues(k, m)
		if len(v) == 0 {
			continue
		}
		mean, _ := meanStd(v)
		if !ok || lowerIsBetter(t.metric[k]) && mean < best || !lowerIsBetter(t.metric[k]) && mean > best {
			best, ok = mean, true
		}
	}
	return best, ok
}

// Report writes the markdown tables of the records: the scores (mean ±
// sample standard deviation over seeds), the paired differences of each
// method against each baseline (positive means better, with the number of
// seeds it won), a summary against the better reference baseline with the
// methods' cross-validated figures (out-of-fold on the labelled rows,
// which choose between methods without the test rows), and the time per
// run. methods orders the columns; baselines are the methods
// compared against, where present.
func Report(w io.Writer, rs []Record, methods, baselines []string) {
	t := index(rs)
	var cols []string
	for _, m := range slices.Concat(methods, []string{RefXGBoost, RefLinear}) {
		if !slices.Contains(cols, m) && t.has(m) {
			cols = append(cols, m)
		}
	}
	hasRef := t.has(RefXGBoost) || t.has(RefLinear)

	fmt.Fprintf(w, "### Test scores (mean ± std over seeds; ROC-AUC higher is better, RMSE lower)\n\n")
	head := "| dataset | labels | metric | " + strings.Join(cols, " | ") + " |"
	if hasRef {
		head += " best ref |"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, strings.Repeat("|---", strings.Count(head, "|")-1)+"|")
	for _, k := range t.cells {
		metric := t.metric[k]
		best, okBest := t.bestRef(k)
		line := fmt.Sprintf("| %s | %d | %s |", k.dataset, k.labels, metric)
		for _, m := range cols {
			v := t.seedValues(k, m)
			if len(v) == 0 {
				line += " - |"
				continue
			}
			mean, std := meanStd(v)
			s := formatValue(metric, mean, mean)
			if len(v) > 1 {
				s += " ± " + formatValue(metric, std, mean)
			}
			if okBest && !strings.HasPrefix(m, "ref-") && beats(metric, mean, best) {
				s = "**" + s + "**"
			}
			line += " " + s + " |"
		}
		if hasRef {
			if okBest {
				line += " " + formatValue(metric, best, best) + " |"
			} else {
				line += " - |"
			}
		}
		fmt.Fprintln(w, line)
	}
	if hasRef {
		fmt.Fprintf(w, "\nBold: the mean is at least the better of the reference baselines' means (best ref).\n")
	}

	for _, b := range slices.Concat(baselines, []string{RefXGBoost, RefLinear}) {
		if !t.has(b) {
			continue
		}
		var others []string
		for _, m := range cols {
			if m != b && !strings.HasPrefix(m, "ref-") {
				others = append(others, m)
			}
		}
		if len(others) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n### Paired differences against %s (positive is better; seeds won)\n\n", b)
		head := "| dataset | labels | " + strings.Join(others, " | ") + " |"
		fmt.Fprintln(w, head)
		fmt.Fprintln(w, strings.Repeat("|---", strings.Count(head, "|")-1)+"|")
		for _, k := range t.cells {
			line := fmt.Sprintf("| %s | %d |", k.dataset, k.labels)
			for _, m := range others {
				d, wins, n := t.paired(k, m, b)
				if n == 0 {
					line += " - |"
					continue
				}
				best, _ := t.bestRef(k)
				s := formatValue(t.metric[k], d, max(best, math.Abs(d)))
				if d >= 0 {
					s = "+" + s
				}
				line += fmt.Sprintf(" %s (%d/%d) |", s, wins, n)
			}
			fmt.Fprintln(w, line)
		}
	}

	fmt.Fprintf(w, "\n### Summary\n\n")
	head = "| method | seconds per run | pretraining seconds per dataset and seed |"
	if hasRef {
		head = "| method | cells ≥ best ref | mean ROC-AUC (binary cells) | mean cross-validated ROC-AUC (binary cells) | seconds per run | pretraining seconds per dataset and seed |"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, strings.Repeat("|---", strings.Count(head, "|")-1)+"|")
	if hasRef {
		var refAUC []float64
		for _, k := range t.cells {
			if b, ok := t.bestRef(k); ok && !lowerIsBetter(t.metric[k]) {
				refAUC = append(refAUC, b)
			}
		}
		if len(refAUC) > 0 {
			m, _ := meanStd(refAUC)
			fmt.Fprintf(w, "| best ref | | %.4f | | | |\n", m)
		}
	}
	for _, m := range cols {
		if strings.HasPrefix(m, "ref-") {
			continue
		}
		secs, _ := meanStd(t.seconds[m])
		pre := "-"
		if p := t.pre[m]; len(p) > 0 {
			var v []float64
			for _, s := range p {
				v = append(v, s)
			}
			mean, _ := meanStd(v)
			pre = fmt.Sprintf("%.1f", mean)
		}
		if !hasRef {
			fmt.Fprintf(w, "| %s | %.2f | %s |\n", m, secs, pre)
			continue
		}
		won, cells := 0, 0
		var auc, cvAUC []float64
		for _, k := range t.cells {
			v := t.seedValues(k, m)
			best, ok := t.bestRef(k)
			if len(v) == 0 || !ok {
				continue
			}
			mean, _ := meanStd(v)
			cells++
			if beats(t.metric[k], mean, best) {
				won++
			}
			if !lowerIsBetter(t.metric[k]) {
				auc = append(auc, mean)
				if v := t.cv[k][m]; len(v) > 0 {
					c, _ := meanStd(v)
					cvAUC = append(cvAUC, c)
				}
			}
		}
		meanAUC := "-"
		if len(auc) > 0 {
			a, _ := meanStd(auc)
			meanAUC = fmt.Sprintf("%.4f", a)
		}
		meanCV := "-"
		if len(cvAUC) > 0 && len(cvAUC) == len(auc) {
			c, _ := meanStd(cvAUC)
			meanCV = fmt.Sprintf("%.4f", c)
		}
		fmt.Fprintf(w, "| %s | %d/%d | %s | %s | %.2f | %s |\n", m, won, cells, meanAUC, meanCV, secs, pre)
	}
}

// beats reports whether a mean is at least as good as a reference.
func beats(metric string, mean, ref float64) bool {
	if lowerIsBetter(metric) {
		return mean <= ref
	}
	return mean >= ref
}

func (t *table) has(method string) bool {
	for _, k := range t.cells {
		if len(t.values[k][method]) > 0 {
			return true
		}
	}
	return false
}

// paired returns the mean difference of method against base over the seeds
// both have in cell k, signed so that positive is better, and the number of
// seeds where method was strictly better.
func (t *table) paired(k cellKey, method, base string) (diff float64, wins, n int) {
	a, b := t.values[k][method], t.values[k][base]
	for s, v := range a {
		u, ok := b[s]
		if !ok {
			continue
		}
		d := v - u
		if lowerIsBetter(t.metric[k]) {
			d = -d
		}
		diff += d
		n++
		if d > 0 {
			wins++
		}
	}
	if n > 0 {
		diff /= float64(n)
	}
	return diff, wins, n
}
