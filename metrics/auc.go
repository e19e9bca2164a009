package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// scored is one row seen by the AUC: its score and whether it is positive.
type scored struct {
	score    float64
	positive bool
}

// ROCAUC returns the area under the ROC curve of scores for the binary
// labels positive: the probability that a randomly drawn positive row scores
// higher than a randomly drawn negative row, with ties counting one half.
// This is the Mann-Whitney U statistic divided by n₊·n₋, computed with
// average ranks for tied scores, and it equals scikit-learn's
// roc_auc_score(positive, scores). Larger scores must mean "more likely
// positive"; the result depends only on the order of the scores, so any
// strictly increasing transform of them leaves it unchanged.
//
// ROCAUC returns an error wrapping [ErrEmpty] if there are no rows,
// [ErrOneClass] if all rows are positive or all negative, and [ErrNaN] if a
// score is NaN. ±Inf scores are ranked as usual. It panics if positive and
// scores differ in length.
//
// ROCAUC takes O(n log n) time and O(n) extra space.
func ROCAUC(positive []bool, scores []float64) (float64, error) {
	checkLen("positive", "scores", len(positive), len(scores))
	if len(scores) == 0 {
		return math.NaN(), ErrEmpty
	}
	rows := make([]scored, len(scores))
	for i, s := range scores {
		if math.IsNaN(s) {
			return math.NaN(), fmt.Errorf("%w: scores[%d]", ErrNaN, i)
		}
		rows[i] = scored{score: s, positive: positive[i]}
	}
	return auc(rows)
}

// auc returns the ROC-AUC of rows, which it reorders. No score may be NaN.
//
// Walking the rows in increasing score, each group of p positives and q
// negatives tied at one score wins against every negative below it and ties
// with the q negatives beside it, so it adds p·(neg + q/2) to U. The sum is
// kept doubled in integers, which makes it exact.
func auc(rows []scored) (float64, error) {
	slices.SortFunc(rows, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	var nPos, nNeg, twiceU int64
	for i := 0; i < len(rows); {
		var p, q int64
		j := i
		for ; j < len(rows) && rows[j].score == rows[i].score; j++ {
			if rows[j].positive {
				p++
			} else {
				q++
			}
		}
		twiceU += p * (2*nNeg + q)
		nPos += p
		nNeg += q
		i = j
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN(), ErrOneClass
	}
	return float64(twiceU) / (2 * float64(nPos) * float64(nNeg)), nil
}

// MacroROCAUC returns the one-vs-rest ROC-AUC of a k-class classifier: for
// every class c that occurs in labels, the [ROCAUC] of column c of probs
// with class c as positive and all other rows as negative, averaged with
// equal weight over those classes. probs is row-major N×k; probs[i*k+c] is
// the score of class c for row i.
//
// Classes that do not occur in labels are left out of the mean. When every
// class in [0, k) occurs, the result equals scikit-learn's
// roc_auc_score(labels, probs, multi_class="ovr", average="macro"); where
// scikit-learn raises an error for a class missing from the labels,
// MacroROCAUC skips it. For k = 2 with p₀ = 1 - p₁ both classes have the
// same AUC, which equals the binary ROCAUC of p₁.
//
// MacroROCAUC returns an error wrapping [ErrEmpty] if there are no rows,
// [ErrLabel] if a label is outside [0, k), [ErrNaN] if a probability is
// NaN, and [ErrOneClass] if fewer than two classes occur. It panics if
// k < 1 or len(probs) != len(labels)·k.
func MacroROCAUC(labels []int32, probs []float64, k int) (float64, error) {
	checkProbs(labels, probs, k)
	n := len(labels)
	if n == 0 {
		return math.NaN(), ErrEmpty
	}
	count := make([]int, k)
	for i, l := range labels {
		if l < 0 || int(l) >= k {
			return math.NaN(), fmt.Errorf("%w: labels[%d] = %d, want a class in [0, %d)", ErrLabel, i, l, k)
		}
		count[l]++
	}
	for i, p := range probs {
		if math.IsNaN(p) {
			return math.NaN(), fmt.Errorf("%w: probs[%d] (row %d, class %d)", ErrNaN, i, i/k, i%k)
		}
	}
	present := 0
	for _, c := range count {
		if c > 0 {
			present++
		}
	}
	if present < 2 {
		return math.NaN(), ErrOneClass
	}

	rows := make([]scored, n)
	var sum float64
	for c := range k {
		if count[c] == 0 {
			continue
		}
		for i, l := range labels {
			rows[i] = scored{score: probs[i*k+c], positive: int(l) == c}
		}
		// Cannot fail: class c and at least one other class occur.
		a, err := auc(rows)
		if err != nil {
			panic("metrics: internal error: " + err.Error())
		}
		sum += a
	}
	return sum / float64(present), nil
}
