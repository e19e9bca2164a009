package metrics

import "math"

// Accuracy returns the fraction of rows where pred equals labels.
//
// Accuracy returns NaN if labels is empty. It panics if labels and pred
// differ in length.
func Accuracy(labels, pred []int32) float64 {
	checkLen("labels", "pred", len(labels), len(pred))
	if len(labels) == 0 {
		return math.NaN()
	}
	correct := 0
	for i, l := range labels {
		if l == pred[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

// F1 returns the F1 score of the class positive, the harmonic mean of its
// precision and recall:
//
//	F1 = 2·TP / (2·TP + FP + FN)
//
// where a row counts as positive when its label (or prediction) equals
// positive and every other class counts as negative.
//
// When there are no true and no predicted positives, precision and recall
// are 0/0; F1 then returns 0, as scikit-learn's f1_score does with its
// default zero_division. F1 returns NaN if labels is empty. It panics if
// labels and pred differ in length.
func F1(labels, pred []int32, positive int32) float64 {
	checkLen("labels", "pred", len(labels), len(pred))
	if len(labels) == 0 {
		return math.NaN()
	}
	var tp, fp, fn int
	for i, l := range labels {
		isLabel, isPred := l == positive, pred[i] == positive
		switch {
		case isLabel && isPred:
			tp++
		case isPred:
			fp++
		case isLabel:
			fn++
		}
	}
	return f1(tp, fp, fn)
}

// f1 returns 2·tp / (2·tp + fp + fn), or 0 when the denominator is 0.
func f1(tp, fp, fn int) float64 {
	d := 2*tp + fp + fn
	if d == 0 {
		return 0
	}
	return float64(2*tp) / float64(d)
}

// MacroF1 returns the unweighted mean of the one-vs-rest [F1] scores of the
// classes that occur in labels or in pred. Classes in [0, k) that occur in
// neither are left out of the mean rather than counted as 0, which matches
// scikit-learn's f1_score(labels, pred, average="macro") without its labels
// argument.
//
// MacroF1 returns NaN if labels is empty. It panics if labels and pred
// differ in length, if k < 1, or if a label or prediction is outside
// [0, k).
func MacroF1(labels, pred []int32, k int) float64 {
	checkLen("labels", "pred", len(labels), len(pred))
	if k < 1 {
		panic("metrics: MacroF1 needs k ≥ 1 classes")
	}
	if len(labels) == 0 {
		return math.NaN()
	}
	tp := make([]int, k)
	fp := make([]int, k)
	fn := make([]int, k)
	for i, l := range labels {
		p := pred[i]
		checkLabel("labels", i, l, k)
		checkLabel("pred", i, p, k)
		if l == p {
			tp[l]++
		} else {
			fp[p]++
			fn[l]++
		}
	}
	var sum float64
	present := 0
	for c := range k {
		if tp[c]+fp[c]+fn[c] == 0 {
			continue
		}
		sum += f1(tp[c], fp[c], fn[c])
		present++
	}
	return sum / float64(present)
}

// logLossEps bounds the probabilities LogLoss takes the logarithm of, so
// that one confident mistake costs at most -log(1e-15) ≈ 34.5 instead of
// +Inf. It is scikit-learn's historical default.
const logLossEps = 1e-15

// LogLoss returns the mean negative log-likelihood of the labels,
//
//	-(1/N) Σᵢ log p[i, labels[i]],
//
// where probs is row-major N×k and each probability is first clipped to
// [1e-15, 1-1e-15]. Rows are not renormalised after clipping, so for rows
// that sum to one the result equals scikit-learn's log_loss with eps=1e-15
// except where clipping changed a row. A NaN probability of a true class
// makes the result NaN.
//
// LogLoss returns NaN if labels is empty. It panics if k < 1, if
// len(probs) != len(labels)·k, or if a label is outside [0, k).
func LogLoss(labels []int32, probs []float64, k int) float64 {
	checkProbs(labels, probs, k)
	if len(labels) == 0 {
		return math.NaN()
	}
	var s compensatedSum
	for i, l := range labels {
		checkLabel("labels", i, l, k)
		// The built-in min and max return NaN for a NaN argument.
		p := min(max(probs[i*k+int(l)], logLossEps), 1-logLossEps)
		s.add(-math.Log(p))
	}
	return s.value() / float64(len(labels))
}
