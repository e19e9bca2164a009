package data

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Folds divides the rows 0..n-1 at random into k folds of sizes that
// differ by at most one, for cross-fitting: each fold serves once as the
// held-out rows of a model trained on the others. Each fold is in
// increasing order. k must be at least 2 and at most n.
func Folds(n, k int, rng *rand.Rand) ([][]int, error) {
	if k < 2 || k > n {
		return nil, fmt.Errorf("cannot make %d folds of %d rows: want 2 ≤ folds ≤ rows", k, n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	folds := make([][]int, k)
	for i, r := range idx {
		folds[i%k] = append(folds[i%k], r)
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds, nil
}

// StratifiedFolds is [Folds] for classification: the rows of each class
// are dealt round the folds in turn, continuing where the previous class
// stopped, so every fold has the class balance of the whole to within one
// row per class and the fold sizes differ by at most one. A class with
// fewer rows than folds is absent from some folds.
func StratifiedFolds(labels []int32, k int, rng *rand.Rand) ([][]int, error) {
	n := len(labels)
	if k < 2 || k > n {
		return nil, fmt.Errorf("cannot make %d folds of %d rows: want 2 ≤ folds ≤ rows", k, n)
	}
	groups := groupBy(n, func(i int) (int64, bool) { return int64(labels[i]), true })
	slices.SortFunc(groups, func(a, b group) int { return cmp.Compare(labels[a.rows[0]], labels[b.rows[0]]) })
	folds := make([][]int, k)
	next := 0
	for _, g := range groups {
		rows := slices.Clone(g.rows)
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		for _, r := range rows {
			folds[next] = append(folds[next], r)
			next = (next + 1) % k
		}
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds, nil
}
