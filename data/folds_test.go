package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFolds(t *testing.T) {
	labels := make([]int32, 103)
	for i := range labels {
		if i%5 == 0 {
			labels[i] = 1 // a minority of 21 rows
		}
	}
	for _, k := range []int{2, 5, 10} {
		for _, strat := range []bool{false, true} {
			t.Run(fmt.Sprintf("k=%d/stratified=%v", k, strat), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				var folds [][]int
				var err error
				if strat {
					folds, err = StratifiedFolds(labels, k, rng)
				} else {
					folds, err = Folds(len(labels), k, rng)
				}
				if err != nil {
					t.Fatal(err)
				}
				var all []int
				lo, hi := len(labels), 0
				for _, f := range folds {
					if !slices.IsSorted(f) {
						t.Errorf("fold %v is not in increasing order", f)
					}
					all = append(all, f...)
					lo, hi = min(lo, len(f)), max(hi, len(f))
					if strat {
						pos := 0
						for _, r := range f {
							pos += int(labels[r])
						}
						// 21 positives over k folds: each gets ⌊21/k⌋ or ⌈21/k⌉.
						if pos < 21/k || pos > (21+k-1)/k {
							t.Errorf("a fold of %d rows has %d positives; want 21/%d", len(f), pos, k)
						}
					}
				}
				slices.Sort(all)
				for i, r := range all {
					if r != i {
						t.Fatalf("the folds do not partition the rows: %v", all)
					}
				}
				if hi-lo > 1 {
					t.Errorf("fold sizes from %d to %d; want them within one", lo, hi)
				}
			})
		}
	}
	for _, k := range []int{1, 104} {
		if _, err := Folds(103, k, rand.New(rand.NewPCG(1, 2))); err == nil {
			t.Errorf("Folds(103, %d) did not fail", k)
		}
		if _, err := StratifiedFolds(labels, k, rand.New(rand.NewPCG(1, 2))); err == nil {
			t.Errorf("StratifiedFolds(k=%d) did not fail", k)
		}
	}
}
