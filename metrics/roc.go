package metrics

import (
	"cmp"
	"slices"
)

// ROCCurve returns the points of the ROC curve of scores for the
// positive rows: the false- and true-positive rates as the threshold
// falls from above the highest score to below the lowest, starting at
// (0, 0) and ending at (1, 1). Tied scores make one point, so the curve
// does not depend on the order of the rows. With no positive or no
// negative row the rates are undefined and the result is nil.
func ROCCurve(positive []bool, scores []float64) (fpr, tpr []float64) {
	checkLen("positive", "scores", len(positive), len(scores))
	idx := make([]int, len(scores))
	pos, neg := 0, 0
	for i := range idx {
		idx[i] = i
		if positive[i] {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil, nil
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	fpr, tpr = []float64{0}, []float64{0}
	tp, fp := 0, 0
	for k, i := range idx {
		if positive[i] {
			tp++
		} else {
			fp++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue
		}
		fpr = append(fpr, float64(fp)/float64(neg))
		tpr = append(tpr, float64(tp)/float64(pos))
	}
	return fpr, tpr
}
