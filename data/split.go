package data

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Split divides the rows 0..n-1 at random into a training and a validation
// set. The validation set gets round(validFrac·n) rows, but at least one when
// validFrac > 0 and n ≥ 2, and never so many that no training row is left; a
// validFrac of 0 or less (or NaN) gives no validation rows. Both lists are
// in increasing order, so that a subset keeps the order of the file. The
// same rng state gives the same split.
func Split(n int, validFrac float64, rng *rand.Rand) (train, valid []int) {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	nv := validCount(n, validFrac)
	pick(idx, nv, rng)
	valid = slices.Clone(idx[:nv])
	train = slices.Clone(idx[nv:])
	slices.Sort(valid)
	slices.Sort(train)
	return train, valid
}

// StratifiedSplit is [Split] for classification: each class is split in
// the overall proportion (largest remainder), so the validation set has the
// class balance of the whole, and its size is that of [Split]. Every class
// keeps at least one row for training unless the validation set could not
// be filled otherwise. When the validation set can hold one row of each
// class of two or more rows, each such class gives one, so that a rare class
// is not absent from the validation metrics.
func StratifiedSplit(labels []int32, validFrac float64, rng *rand.Rand) (train, valid []int) {
	n := len(labels)
	groups := groupBy(n, func(i int) (int64, bool) { return int64(labels[i]), true })
	slices.SortFunc(groups, func(a, b group) int { return cmp.Compare(labels[a.rows[0]], labels[b.rows[0]]) })
	nv := validCount(n, validFrac)

	counts := make([]int, len(groups))
	lo := make([]int, len(groups))
	hi := make([]int, len(groups))
	eligible, room := 0, 0
	for c, g := range groups {
		counts[c] = len(g.rows)
		if counts[c] >= 2 {
			eligible++
		}
		hi[c] = counts[c] - 1
		room += hi[c]
	}
	for c := range groups {
		if eligible <= nv && counts[c] >= 2 {
			lo[c] = 1
		}
		if room < nv {
			hi[c] = counts[c] // too few rows to keep one of every class for training
		}
	}
	alloc := apportion(counts, nv, lo, hi)

	train = make([]int, 0, n-nv)
	valid = make([]int, 0, nv)
	for c, g := range groups {
		pick(g.rows, alloc[c], rng)
		valid = append(valid, g.rows[:alloc[c]]...)
		train = append(train, g.rows[alloc[c]:]...)
	}
	slices.Sort(valid)
	slices.Sort(train)
	return train, valid
}

// StratifiedSample draws n rows without replacement so that the classes of
// column c keep their proportions (largest remainder), with at least one row
// of every class when n is at least the number of classes. Rows where c is
// missing are never drawn. The rows are returned in increasing order. It is
// an error if c has fewer than n non-missing values.
func StratifiedSample(c *Column, n int, rng *rand.Rand) ([]int, error) {
	var key func(i int) (int64, bool)
	if c.Kind == Categorical {
		key = func(i int) (int64, bool) { return int64(c.Codes[i]), c.Codes[i] >= 0 }
	} else {
		key = func(i int) (int64, bool) { return int64(math.Float32bits(c.Floats[i])), !isNaN32(c.Floats[i]) }
	}
	groups := groupBy(c.Len(), key)
	avail := 0
	counts := make([]int, len(groups))
	for k, g := range groups {
		counts[k] = len(g.rows)
		avail += counts[k]
	}
	if n < 0 || n > avail {
		return nil, fmt.Errorf("cannot sample %d rows by column %q: it has %d non-missing values", n, c.Name, avail)
	}
	lo := make([]int, len(groups))
	if n >= len(groups) {
		for k := range lo {
			lo[k] = 1
		}
	}
	alloc := apportion(counts, n, lo, counts)
	out := make([]int, 0, n)
	for k, g := range groups {
		pick(g.rows, alloc[k], rng)
		out = append(out, g.rows[:alloc[k]]...)
	}
	slices.Sort(out)
	return out, nil
}

// validCount is the size of the validation set of [Split].
func validCount(n int, frac float64) int {
	if !(frac > 0) || n < 2 {
		return 0
	}
	if frac >= 1 {
		return n - 1
	}
	nv := int(math.Round(frac * float64(n)))
	return min(max(nv, 1), n-1)
}

// pick moves k random elements of s to its front (a partial Fisher–Yates
// shuffle: only k draws, whatever the length of s).
func pick(s []int, k int, rng *rand.Rand) {
	for i := range k {
		j := i + rng.IntN(len(s)-i)
		s[i], s[j] = s[j], s[i]
	}
}

// group is the rows of one class, in increasing order.
type group struct{ rows []int }

// groupBy groups the rows 0..n-1 by key, skipping rows where ok is false;
// the groups are in order of first appearance.
func groupBy(n int, key func(i int) (k int64, ok bool)) []group {
	at := make(map[int64]int)
	var groups []group
	for i := range n {
		k, ok := key(i)
		if !ok {
			continue
		}
		g, seen := at[k]
		if !seen {
			g = len(groups)
			at[k] = g
			groups = append(groups, group{})
		}
		groups[g].rows = append(groups[g].rows, i)
	}
	return groups
}

// apportion divides total among classes in proportion to counts by the
// largest remainder method, keeping class c's share within [lo[c], hi[c]].
// The caller ensures that sum(lo) ≤ total ≤ sum(hi). Ties go to the class
// that comes first, for determinism.
func apportion(counts []int, total int, lo, hi []int) []int {
	sum := 0
	for _, n := range counts {
		sum += n
	}
	alloc := make([]int, len(counts))
	if sum == 0 {
		return alloc
	}
	ideal := make([]float64, len(counts))
	have := 0
	for c, n := range counts {
		ideal[c] = float64(total) * float64(n) / float64(sum)
		alloc[c] = min(max(int(ideal[c]), lo[c]), hi[c])
		have += alloc[c]
	}
	// Hand out (or take back) the difference one row at a time to the class
	// furthest below (above) its ideal share.
	for sign := 1; have != total; sign = -sign {
		h := &remainders{ideal: ideal, alloc: alloc, sign: sign}
		for c := range counts {
			if (sign > 0 && alloc[c] < hi[c]) || (sign < 0 && alloc[c] > lo[c]) {
				h.classes = append(h.classes, c)
			}
		}
		heap.Init(h)
		for (total-have)*sign > 0 && h.Len() > 0 {
			c := h.classes[0]
			alloc[c] += sign
			have += sign
			if alloc[c] == hi[c] && sign > 0 || alloc[c] == lo[c] && sign < 0 {
				heap.Pop(h)
			} else {
				heap.Fix(h, 0)
			}
		}
		if (total-have)*sign > 0 {
			panic("data: apportion bounds cannot hold the total") // the callers' arithmetic is wrong
		}
	}
	return alloc
}

// remainders is a heap of classes by how far their allocation is below
// (sign 1) or above (sign -1) their ideal share, largest first.
type remainders struct {
	classes []int
	ideal   []float64
	alloc   []int
	sign    int
}

func (h *remainders) Len() int { return len(h.classes) }
func (h *remainders) Less(i, j int) bool {
	a, b := h.classes[i], h.classes[j]
	da := float64(h.sign) * (h.ideal[a] - float64(h.alloc[a]))
	db := float64(h.sign) * (h.ideal[b] - float64(h.alloc[b]))
	if da != db {
		return da > db
	}
	return a < b
}
func (h *remainders) Swap(i, j int) { h.classes[i], h.classes[j] = h.classes[j], h.classes[i] }
func (h *remainders) Push(x any)    { h.classes = append(h.classes, x.(int)) }
func (h *remainders) Pop() any {
	x := h.classes[len(h.classes)-1]
	h.classes = h.classes[:len(h.classes)-1]
	return x
}
