package data

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// checkPartition fails unless train and valid are sorted, disjoint and
// together hold 0..n-1.
func checkPartition(t *testing.T, n int, train, valid []int) {
	t.Helper()
	if !slices.IsSorted(train) || !slices.IsSorted(valid) {
		t.Errorf("lists not sorted: train %v valid %v", train, valid)
	}
	all := slices.Sorted(slices.Values(slices.Concat(train, valid)))
	for i, r := range all {
		if r != i {
			t.Fatalf("train+valid is not a partition of 0..%d: %v", n-1, all)
		}
	}
	if len(all) != n {
		t.Fatalf("train+valid has %d rows, want %d", len(all), n)
	}
}

func TestSplit(t *testing.T) {
	for _, tt := range []struct {
		name      string
		n         int
		frac      float64
		wantValid int
	}{
		{"fifth", 100, 0.2, 20},
		{"rounds", 10, 0.25, 3}, // 2.5 rounds away from zero
		{"at least one", 10, 0.01, 1},
		{"leaves one for training", 3, 0.99, 2},
		{"two rows", 2, 0.1, 1},
		{"one row", 1, 0.5, 0},
		{"no rows", 0, 0.5, 0},
		{"zero", 10, 0, 0},
		{"negative", 10, -0.5, 0},
		{"all", 10, 1, 9},
		{"more than all", 10, 3, 9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			train, valid := Split(tt.n, tt.frac, newRand(1))
			if len(valid) != tt.wantValid {
				t.Errorf("got %d validation rows, want %d", len(valid), tt.wantValid)
			}
			checkPartition(t, tt.n, train, valid)
		})
	}
	t1, v1 := Split(1000, 0.3, newRand(7))
	t2, v2 := Split(1000, 0.3, newRand(7))
	_, v3 := Split(1000, 0.3, newRand(8))
	if !slices.Equal(t1, t2) || !slices.Equal(v1, v2) {
		t.Error("the same seed gave different splits")
	}
	if slices.Equal(v1, v3) {
		t.Error("different seeds gave the same split")
	}
	if first := v1[len(v1)-1]; first < 500 {
		t.Errorf("validation rows end at %d: not spread over the data", first)
	}
}

func classCounts(labels []int32, rows []int) map[int32]int {
	m := make(map[int32]int)
	for _, r := range rows {
		m[labels[r]]++
	}
	return m
}

func TestStratifiedSplit(t *testing.T) {
	// Labels 0: 700 rows, 1: 250, 2: 45, 3: 4, 4: 1, interleaved.
	var labels []int32
	for i := range 1000 {
		switch {
		case i%200 == 199 && i < 800:
			labels = append(labels, 3)
		case i == 500:
			labels = append(labels, 4)
		case i%20 == 3 && i < 900:
			labels = append(labels, 2)
		case i%4 == 1:
			labels = append(labels, 1)
		default:
			labels = append(labels, 0)
		}
	}
	total := make(map[int32]int)
	for _, l := range labels {
		total[l]++
	}
	for _, tt := range []struct {
		name string
		frac float64
	}{
		{"tenth", 0.1},
		{"fifth", 0.2},
		{"half", 0.5},
		{"tiny", 0.004},
	} {
		t.Run(tt.name, func(t *testing.T) {
			train, valid := StratifiedSplit(labels, tt.frac, newRand(3))
			checkPartition(t, len(labels), train, valid)
			if want := validCount(len(labels), tt.frac); len(valid) != want {
				t.Errorf("got %d validation rows, want %d", len(valid), want)
			}
			got := classCounts(labels, valid)
			trainCounts := classCounts(labels, train)
			for c, n := range total {
				ideal := tt.frac * float64(n)
				// Within one row of the ideal share, except that a class of
				// two or more rows gets one validation row when there is room.
				if d := float64(got[c]) - ideal; (d >= 1 || d <= -1) && !(got[c] == 1 && n >= 2) {
					t.Errorf("class %d: %d of %d rows in validation, ideal %.2f", c, got[c], n, ideal)
				}
				if trainCounts[c] == 0 {
					t.Errorf("class %d: no training row", c)
				}
			}
		})
	}
	a1, b1 := StratifiedSplit(labels, 0.2, newRand(5))
	a2, b2 := StratifiedSplit(labels, 0.2, newRand(5))
	if !slices.Equal(a1, a2) || !slices.Equal(b1, b2) {
		t.Error("the same seed gave different splits")
	}
}

func TestStratifiedSplitSmall(t *testing.T) {
	for _, tt := range []struct {
		name      string
		labels    []int32
		frac      float64
		wantValid map[int32]int
	}{
		{"each class once when there is room", []int32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, 0.2, map[int32]int{0: 1, 1: 1}},
		{"room for fewer than the classes", []int32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, 0.1, map[int32]int{0: 1}},
		{"singletons stay in training", []int32{0, 0, 0, 0, 1, 2}, 0.34, map[int32]int{0: 2}},
		{"too few rows to keep every class", []int32{0, 0, 1, 1}, 0.9, map[int32]int{0: 2, 1: 1}},
		{"negative labels", []int32{-1, -1, 5, 5}, 0.5, map[int32]int{-1: 1, 5: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			train, valid := StratifiedSplit(tt.labels, tt.frac, newRand(2))
			checkPartition(t, len(tt.labels), train, valid)
			got := classCounts(tt.labels, valid)
			if len(got) != len(tt.wantValid) {
				t.Errorf("validation classes: got %v, want %v", got, tt.wantValid)
			}
			for c, n := range tt.wantValid {
				if got[c] != n {
					t.Errorf("validation classes: got %v, want %v", got, tt.wantValid)
				}
			}
		})
	}
	// When every class is a singleton, the validation set still gets its
	// size, as with Split.
	if train, valid := StratifiedSplit([]int32{1, 2, 3, 4}, 0.5, newRand(1)); len(valid) != 2 || len(train) != 2 {
		t.Errorf("singletons only: got train %v valid %v", train, valid)
	}
}

func TestStratifiedSample(t *testing.T) {
	// Four classes of very different sizes, one of a single row, and 20
	// missing labels.
	var text strings.Builder
	text.WriteString("y\n")
	for i := range 120 {
		switch {
		case i%6 == 5:
			text.WriteString("\"\"\n") // missing
		case i == 7:
			text.WriteString("d\n")
		case i%10 == 2 && i < 100:
			text.WriteString("c\n")
		case i%3 == 1:
			text.WriteString("b\n")
		default:
			text.WriteString("a\n")
		}
	}
	tab := mustParse(t, text.String(), ReadOptions{})
	col, _ := tab.Col("y")
	total := map[string]int{}
	for i := range tab.Rows {
		if s, ok := col.Text(i); ok {
			total[s]++
		}
	}
	avail := 0
	for _, n := range total {
		avail += n
	}
	for _, tt := range []struct {
		name string
		n    int
		want map[string]int // nil: check proportions only
	}{
		{"none", 0, map[string]int{}},
		{"fewer than the classes", 2, nil},
		{"one per class", 4, map[string]int{"a": 1, "b": 1, "c": 1, "d": 1}},
		{"ten", 10, nil},
		{"half", avail / 2, nil},
		{"all", avail, total},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := StratifiedSample(col, tt.n, newRand(4))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tt.n || !slices.IsSorted(rows) || len(slices.Compact(slices.Clone(rows))) != tt.n {
				t.Fatalf("got %d rows %v, want %d distinct sorted rows", len(rows), rows, tt.n)
			}
			got := map[string]int{}
			for _, r := range rows {
				s, ok := col.Text(r)
				if !ok {
					t.Fatalf("row %d is missing a label", r)
				}
				got[s]++
			}
			for c, n := range total {
				switch {
				case tt.want != nil:
					if got[c] != tt.want[c] {
						t.Errorf("class %s: got %d rows, want %d (all: %v)", c, got[c], tt.want[c], got)
					}
				case tt.n >= len(total):
					ideal := float64(tt.n) * float64(n) / float64(avail)
					if d := float64(got[c]) - ideal; (d >= 1 || d <= -1) && got[c] != 1 {
						t.Errorf("class %s: got %d rows, ideal %.2f (all: %v)", c, got[c], ideal, got)
					}
				}
			}
		})
	}
	r1, _ := StratifiedSample(col, 17, newRand(9))
	r2, _ := StratifiedSample(col, 17, newRand(9))
	if !slices.Equal(r1, r2) {
		t.Error("the same seed gave different samples")
	}

	for _, n := range []int{avail + 1, -1} {
		if _, err := StratifiedSample(col, n, newRand(1)); err == nil || !strings.Contains(err.Error(), `column "y"`) {
			t.Errorf("StratifiedSample(%d) of %d: got error %v", n, avail, err)
		}
	}

	// A continuous column groups by value.
	num := mustParse(t, "y\n1\n1\n1\n2\n\n2\n3\n", ReadOptions{Kinds: map[string]Kind{"y": Continuous}})
	ncol, _ := num.Col("y")
	rows, err := StratifiedSample(ncol, 3, newRand(1))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float32]bool{}
	for _, r := range rows {
		seen[ncol.Floats[r]] = true
	}
	if len(seen) != 3 {
		t.Errorf("continuous column: got rows %v, want one of each value", rows)
	}
}

func TestApportion(t *testing.T) {
	for _, tt := range []struct {
		name         string
		counts       []int
		total        int
		lo, hi, want []int
	}{
		{"exact", []int{50, 30, 20}, 10, []int{0, 0, 0}, []int{50, 30, 20}, []int{5, 3, 2}},
		{"largest remainder", []int{5, 3, 2}, 5, []int{0, 0, 0}, []int{5, 3, 2}, []int{3, 1, 1}}, // 2.5 1.5 1.0: ties to the first
		{"minimum", []int{97, 2, 1}, 5, []int{1, 1, 1}, []int{97, 2, 1}, []int{3, 1, 1}},
		{"maximum", []int{3, 1}, 3, []int{0, 0}, []int{2, 1}, []int{2, 1}},
		{"take back", []int{10, 10, 10}, 3, []int{0, 2, 0}, []int{10, 10, 10}, []int{0, 2, 1}}, // ties go to the first
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := apportion(tt.counts, tt.total, tt.lo, tt.hi); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
