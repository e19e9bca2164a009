package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// pairwiseAUC is the definition of the ROC-AUC, computed in O(n₊·n₋): the
// fraction of (positive, negative) pairs in which the positive scores
// higher, with ties counting one half. It returns NaN for one class.
func pairwiseAUC(positive []bool, scores []float64) float64 {
	var wins, pairs float64
	for i := range scores {
		if !positive[i] {
			continue
		}
		for j := range scores {
			if positive[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				wins++
			case scores[i] == scores[j]:
				wins += 0.5
			}
		}
	}
	if pairs == 0 {
		return math.NaN()
	}
	return wins / pairs
}

func TestROCAUC(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name     string
		positive []bool
		scores   []float64
		want     float64
	}{
		// scikit-learn's roc_curve/roc_auc_score docstring example,
		// y_true = [0, 0, 1, 1], y_score = [0.1, 0.4, 0.35, 0.8]: 0.75.
		// By hand: 0.35 beats 0.1 only, 0.8 beats both; 3 of 4 pairs.
		{name: "SklearnDocExample", positive: []bool{false, false, true, true}, scores: []float64{0.1, 0.4, 0.35, 0.8}, want: 0.75},
		{name: "PerfectRanking", positive: []bool{false, true, false, true, true}, scores: []float64{0.1, 0.9, 0.2, 0.8, 0.7}, want: 1},
		{name: "InvertedRanking", positive: []bool{false, true, false, true, true}, scores: []float64{0.9, 0.1, 0.8, 0.2, 0.3}, want: 0},
		// Every pair is a tie and counts one half.
		{name: "AllTied", positive: []bool{true, false, true, false, false}, scores: []float64{3, 3, 3, 3, 3}, want: 0.5},
		// Positives 0.5, 0.8, 0.9; negatives 0.5, 0.2, 0.2. Average ranks:
		// 0.2, 0.2 → 1.5 each; 0.5, 0.5 → 3.5 each; 0.8 → 5; 0.9 → 6.
		// R₊ = 3.5+5+6 = 14.5, U = R₊ - n₊(n₊+1)/2 = 14.5-6 = 8.5,
		// AUC = 8.5/9 = 17/18.
		{name: "TiesAcrossClasses", positive: []bool{true, false, true, false, true, false}, scores: []float64{0.5, 0.5, 0.8, 0.2, 0.9, 0.2}, want: 17.0 / 18},
		// Ties within one class do not matter: same as PerfectRanking.
		{name: "TiesWithinClass", positive: []bool{false, true, false, true, true}, scores: []float64{0.1, 0.9, 0.1, 0.9, 0.9}, want: 1},
		// One positive above two of three negatives: 2/3.
		{name: "Imbalanced", positive: []bool{false, false, true, false}, scores: []float64{0.1, 0.2, 0.3, 0.4}, want: 2.0 / 3},
		// +Inf beats both negatives, 1 beats -Inf and ties 1: 3.5/4.
		{name: "Infinities", positive: []bool{true, false, true, false}, scores: []float64{inf, -inf, 1, 1}, want: 0.875},
		// -0 == +0, so this is a tie, as in NumPy.
		{name: "SignedZerosTie", positive: []bool{true, false}, scores: []float64{0, math.Copysign(0, -1)}, want: 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ROCAUC(tt.positive, tt.scores)
			if err != nil {
				t.Fatalf("ROCAUC(%v, %v): unexpected error %v", tt.positive, tt.scores, err)
			}
			if !sameFloat(got, tt.want, 1e-15) {
				t.Errorf("ROCAUC(%v, %v):\ngot  %v\nwant %v", tt.positive, tt.scores, got, tt.want)
			}
			if def := pairwiseAUC(tt.positive, tt.scores); !sameFloat(got, def, 1e-15) {
				t.Errorf("ROCAUC(%v, %v) = %v, pairwise definition gives %v", tt.positive, tt.scores, got, def)
			}
		})
	}

	errTests := []struct {
		name     string
		positive []bool
		scores   []float64
		want     error
	}{
		{name: "Empty", positive: nil, scores: nil, want: ErrEmpty},
		{name: "OnlyPositives", positive: []bool{true, true}, scores: []float64{0.1, 0.2}, want: ErrOneClass},
		{name: "OnlyNegatives", positive: []bool{false, false, false}, scores: []float64{0.1, 0.2, 0.3}, want: ErrOneClass},
		{name: "NaNScore", positive: []bool{true, false}, scores: []float64{0.1, math.NaN()}, want: ErrNaN},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ROCAUC(tt.positive, tt.scores)
			if !errors.Is(err, tt.want) {
				t.Errorf("ROCAUC(%v, %v) error:\ngot  %v\nwant %v", tt.positive, tt.scores, err, tt.want)
			}
			if !math.IsNaN(got) {
				t.Errorf("ROCAUC(%v, %v) = %v with an error, want NaN", tt.positive, tt.scores, got)
			}
		})
	}

	t.Run("LengthMismatchPanics", func(t *testing.T) {
		mustPanic(t, func() { ROCAUC([]bool{true, false}, []float64{1}) })
	})

	t.Run("DoesNotModifyInput", func(t *testing.T) {
		positive := []bool{true, false, true, false}
		scores := []float64{0.4, 0.3, 0.2, 0.1}
		want := slices.Clone(scores)
		if _, err := ROCAUC(positive, scores); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(scores, want) {
			t.Errorf("scores changed:\ngot  %v\nwant %v", scores, want)
		}
	})
}

// randomBinary returns n rows with both classes present and scores drawn
// from a few multiples of 1/4, so that ties are common.
func randomBinary(rng *rand.Rand, n int) ([]bool, []float64) {
	positive := make([]bool, n)
	scores := make([]float64, n)
	for i := range n {
		positive[i] = rng.IntN(3) == 0
		scores[i] = float64(rng.IntN(20)) / 4
	}
	positive[0], positive[1] = true, false
	return positive, scores
}

// TestROCAUCMonotoneInvariance checks that the AUC depends only on the
// order of the scores: a strictly increasing transform keeps it exactly and
// a strictly decreasing one turns it into 1 - AUC.
func TestROCAUCMonotoneInvariance(t *testing.T) {
	transforms := []struct {
		name       string
		f          func(float64) float64
		increasing bool
	}{
		{name: "Affine", f: func(x float64) float64 { return 3*x - 7 }, increasing: true},
		{name: "Exp", f: math.Exp, increasing: true},
		{name: "Cube", f: func(x float64) float64 { return x * x * x }, increasing: true},
		{name: "Logistic", f: func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, increasing: true},
		{name: "Atan", f: math.Atan, increasing: true},
		{name: "Negate", f: func(x float64) float64 { return -x }, increasing: false},
		{name: "ExpNegate", f: func(x float64) float64 { return math.Exp(-x) }, increasing: false},
		{name: "Reciprocal", f: func(x float64) float64 { return 1 / (1 + x) }, increasing: false},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	positive, scores := randomBinary(rng, 200)
	base, err := ROCAUC(positive, scores)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range transforms {
		t.Run(tr.name, func(t *testing.T) {
			transformed := make([]float64, len(scores))
			for i, s := range scores {
				transformed[i] = tr.f(s)
			}
			got, err := ROCAUC(positive, transformed)
			if err != nil {
				t.Fatal(err)
			}
			want, tol := base, 0.0
			if !tr.increasing {
				want, tol = 1-base, 1e-15
			}
			if !sameFloat(got, want, tol) {
				t.Errorf("AUC after transform:\ngot  %v\nwant %v", got, want)
			}
		})
	}
}

// TestROCAUCMatchesDefinition compares ROCAUC with the O(n²) pairwise
// definition on random inputs with many ties.
func TestROCAUCMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		positive, scores := randomBinary(rng, 2+rng.IntN(60))
		got, err := ROCAUC(positive, scores)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if want := pairwiseAUC(positive, scores); !sameFloat(got, want, 1e-15) {
			t.Fatalf("trial %d: ROCAUC(%v, %v):\ngot  %v\nwant %v", trial, positive, scores, got, want)
		}
	}
}

// FuzzROCAUC checks ROCAUC against the pairwise definition. Each input byte
// is one row: the low bit is the class and the rest a score, so that ties
// are common; the byte 0xff stands for a NaN score.
func FuzzROCAUC(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1})
	f.Add([]byte{2, 3, 4, 5, 4, 7})
	f.Add([]byte{1, 1, 0xff, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		positive := make([]bool, len(data))
		scores := make([]float64, len(data))
		hasNaN, nPos := false, 0
		for i, b := range data {
			positive[i] = b&1 == 1
			scores[i] = float64(b >> 1)
			if b == 0xff {
				scores[i] = math.NaN()
				hasNaN = true
			}
			if positive[i] {
				nPos++
			}
		}
		got, err := ROCAUC(positive, scores)
		switch {
		case len(data) == 0:
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("empty input: error %v, want %v", err, ErrEmpty)
			}
		case hasNaN:
			if !errors.Is(err, ErrNaN) {
				t.Fatalf("NaN score: error %v, want %v", err, ErrNaN)
			}
		case nPos == 0 || nPos == len(data):
			if !errors.Is(err, ErrOneClass) {
				t.Fatalf("one class: error %v, want %v", err, ErrOneClass)
			}
		default:
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if want := pairwiseAUC(positive, scores); !sameFloat(got, want, 1e-12) {
				t.Fatalf("ROCAUC(%v, %v):\ngot  %v\nwant %v", positive, scores, got, want)
			}
		}
	})
}

func TestMacroROCAUC(t *testing.T) {
	// Three classes, two rows each. Per class, by pair counting:
	//   class 0: positives 0.7, 0.4 vs negatives 0.3, 0.2, 0.5, 0.1:
	//            4 + 3 wins of 8 → 7/8;
	//   class 1: positives 0.4, 0.3 vs negatives 0.2, 0.3, 0.4, 0.2:
	//            (3 + ½) + (2 + ½) of 8 → 6/8;
	//   class 2: positives 0.5, 0.7 beat all of 0.1, 0.3, 0.2, 0.2 → 1.
	// Macro mean (7/8 + 6/8 + 1)/3 = 0.875.
	labels3 := []int32{0, 1, 2, 0, 1, 2}
	probs3 := []float64{
		0.7, 0.2, 0.1,
		0.3, 0.4, 0.3,
		0.2, 0.3, 0.5,
		0.4, 0.4, 0.2,
		0.5, 0.3, 0.2,
		0.1, 0.2, 0.7,
	}
	// The same rows with a fourth, never-seen class whose column is 0.
	probs4 := make([]float64, 0, 6*4)
	for i := range 6 {
		probs4 = append(probs4, probs3[3*i:3*i+3]...)
		probs4 = append(probs4, 0)
	}

	tests := []struct {
		name   string
		labels []int32
		probs  []float64
		k      int
		want   float64
	}{
		{name: "ThreeClassesByHand", labels: labels3, probs: probs3, k: 3, want: 0.875},
		{name: "AbsentClassSkipped", labels: labels3, probs: probs4, k: 4, want: 0.875},
		// The binary docstring example as two columns p₀ = 1-p₁: both
		// one-vs-rest AUCs equal the binary AUC, 0.75.
		{name: "BinaryEqualsROCAUC", labels: []int32{0, 0, 1, 1}, probs: []float64{0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8}, k: 2, want: 0.75},
		{name: "Perfect", labels: []int32{2, 0, 1}, probs: []float64{0, 0, 1, 1, 0, 0, 0, 1, 0}, k: 3, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MacroROCAUC(tt.labels, tt.probs, tt.k)
			if err != nil {
				t.Fatalf("MacroROCAUC: unexpected error %v", err)
			}
			if !sameFloat(got, tt.want, 1e-15) {
				t.Errorf("MacroROCAUC(%v, %v, %d):\ngot  %v\nwant %v", tt.labels, tt.probs, tt.k, got, tt.want)
			}
		})
	}

	errTests := []struct {
		name   string
		labels []int32
		probs  []float64
		k      int
		want   error
	}{
		{name: "Empty", labels: nil, probs: nil, k: 3, want: ErrEmpty},
		{name: "OneClass", labels: []int32{1, 1}, probs: []float64{0.2, 0.8, 0.3, 0.7}, k: 2, want: ErrOneClass},
		{name: "SingleClassModel", labels: []int32{0, 0}, probs: []float64{1, 1}, k: 1, want: ErrOneClass},
		{name: "LabelOutOfRange", labels: []int32{0, 2}, probs: []float64{0.5, 0.5, 0.5, 0.5}, k: 2, want: ErrLabel},
		{name: "NegativeLabel", labels: []int32{0, -1}, probs: []float64{0.5, 0.5, 0.5, 0.5}, k: 2, want: ErrLabel},
		{name: "NaNProbability", labels: []int32{0, 1}, probs: []float64{0.5, 0.5, math.NaN(), 0.5}, k: 2, want: ErrNaN},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MacroROCAUC(tt.labels, tt.probs, tt.k)
			if !errors.Is(err, tt.want) {
				t.Errorf("MacroROCAUC(%v, %v, %d) error:\ngot  %v\nwant %v", tt.labels, tt.probs, tt.k, err, tt.want)
			}
			if !math.IsNaN(got) {
				t.Errorf("MacroROCAUC = %v with an error, want NaN", got)
			}
		})
	}

	panics := []struct {
		name   string
		labels []int32
		probs  []float64
		k      int
	}{
		{name: "ZeroClasses", labels: nil, probs: nil, k: 0},
		{name: "ShortProbs", labels: []int32{0, 1}, probs: []float64{0.5, 0.5, 0.5}, k: 2},
	}
	for _, tt := range panics {
		t.Run(tt.name+"Panics", func(t *testing.T) {
			mustPanic(t, func() { MacroROCAUC(tt.labels, tt.probs, tt.k) })
		})
	}
}
