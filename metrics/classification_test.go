package metrics

import (
	"math"
	"testing"
)

func TestAccuracy(t *testing.T) {
	tests := []struct {
		name         string
		labels, pred []int32
		want         float64
	}{
		// scikit-learn's accuracy_score docstring example: 2 of 4 match.
		{name: "SklearnDocExample", labels: []int32{0, 1, 2, 3}, pred: []int32{0, 2, 1, 3}, want: 0.5},
		{name: "AllCorrect", labels: []int32{1, 0, 1}, pred: []int32{1, 0, 1}, want: 1},
		{name: "NoneCorrect", labels: []int32{1, 0, 1}, pred: []int32{0, 1, 0}, want: 0},
		// 2 of 3 by hand.
		{name: "TwoThirds", labels: []int32{5, 5, 7}, pred: []int32{5, 5, 5}, want: 2.0 / 3},
		{name: "Empty", labels: nil, pred: []int32{}, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Accuracy(tt.labels, tt.pred); !sameFloat(got, tt.want, 0) {
				t.Errorf("Accuracy(%v, %v):\ngot  %v\nwant %v", tt.labels, tt.pred, got, tt.want)
			}
		})
	}
	t.Run("LengthMismatchPanics", func(t *testing.T) {
		mustPanic(t, func() { Accuracy([]int32{1, 2}, []int32{1}) })
	})
}

func TestF1(t *testing.T) {
	tests := []struct {
		name         string
		labels, pred []int32
		positive     int32
		want         float64
	}{
		// TP=2 (rows 0, 3), FP=1 (row 2), FN=1 (row 1):
		// 2·2/(2·2+1+1) = 2/3; precision = recall = 2/3.
		{name: "Mixed", labels: []int32{1, 1, 0, 1, 0}, pred: []int32{1, 0, 1, 1, 0}, positive: 1, want: 2.0 / 3},
		// The same rows scored for class 0: TP=1 (row 4), FP=1 (row 1),
		// FN=1 (row 2): 2/(2+1+1) = 1/2.
		{name: "PositiveIsZero", labels: []int32{1, 1, 0, 1, 0}, pred: []int32{1, 0, 1, 1, 0}, positive: 0, want: 0.5},
		{name: "Perfect", labels: []int32{0, 1, 1, 0}, pred: []int32{0, 1, 1, 0}, positive: 1, want: 1},
		// Precision and recall are 0/0; scikit-learn's zero_division
		// default gives 0.
		{name: "NoTrueNoPredictedPositives", labels: []int32{0, 0, 0}, pred: []int32{0, 0, 0}, positive: 1, want: 0},
		// TP=0, FN=2: recall 0 and F1 0.
		{name: "NoPredictedPositives", labels: []int32{1, 0, 1}, pred: []int32{0, 0, 0}, positive: 1, want: 0},
		// TP=0, FP=2: precision 0 and F1 0.
		{name: "NoTruePositives", labels: []int32{0, 0, 0}, pred: []int32{1, 0, 1}, positive: 1, want: 0},
		// Other classes are all negative: TP=1 (row 0), FP=1 (row 3),
		// FN=1 (row 1): 2/4.
		{name: "Multiclass", labels: []int32{2, 2, 0, 1}, pred: []int32{2, 1, 0, 2}, positive: 2, want: 0.5},
		{name: "Empty", labels: []int32{}, pred: []int32{}, positive: 1, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := F1(tt.labels, tt.pred, tt.positive); !sameFloat(got, tt.want, 1e-15) {
				t.Errorf("F1(%v, %v, %d):\ngot  %v\nwant %v", tt.labels, tt.pred, tt.positive, got, tt.want)
			}
		})
	}
	t.Run("LengthMismatchPanics", func(t *testing.T) {
		mustPanic(t, func() { F1([]int32{1}, nil, 1) })
	})
}

func TestMacroF1(t *testing.T) {
	tests := []struct {
		name         string
		labels, pred []int32
		k            int
		want         float64
	}{
		// scikit-learn's f1_score docstring example, average="macro":
		// 0.26666... Class 0: TP=2, FP=1, FN=0, F1=4/5; classes 1 and 2
		// have TP=0, F1=0; mean (4/5)/3 = 4/15.
		{name: "SklearnDocExample", labels: []int32{0, 1, 2, 0, 1, 2}, pred: []int32{0, 2, 1, 0, 0, 1}, k: 3, want: 4.0 / 15},
		// Classes 3 and 4 occur in neither slice and are not averaged.
		{name: "AbsentClassesSkipped", labels: []int32{0, 1, 2, 0, 1, 2}, pred: []int32{0, 2, 1, 0, 0, 1}, k: 5, want: 4.0 / 15},
		// Class 2 occurs only among the predictions: it counts with F1=0.
		// Class 0: TP=1, F1=1; class 1: TP=1, FN=1, F1=2/3; class 2: 0.
		// Mean (1 + 2/3 + 0)/3 = 5/9.
		{name: "PredictedOnlyClassCounts", labels: []int32{0, 1, 1}, pred: []int32{0, 1, 2}, k: 3, want: 5.0 / 9},
		{name: "Perfect", labels: []int32{0, 1, 2, 2}, pred: []int32{0, 1, 2, 2}, k: 3, want: 1},
		// Binary with both classes: class 1 as in TestF1/Mixed (2/3) and
		// class 0 as in TestF1/PositiveIsZero (1/2); mean 7/12.
		{name: "BinaryIsMeanOfBothF1", labels: []int32{1, 1, 0, 1, 0}, pred: []int32{1, 0, 1, 1, 0}, k: 2, want: 7.0 / 12},
		{name: "Empty", labels: nil, pred: nil, k: 3, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MacroF1(tt.labels, tt.pred, tt.k); !sameFloat(got, tt.want, 1e-15) {
				t.Errorf("MacroF1(%v, %v, %d):\ngot  %v\nwant %v", tt.labels, tt.pred, tt.k, got, tt.want)
			}
		})
	}

	panics := []struct {
		name         string
		labels, pred []int32
		k            int
	}{
		{name: "LengthMismatch", labels: []int32{0, 1}, pred: []int32{0}, k: 2},
		{name: "ZeroClasses", labels: []int32{0}, pred: []int32{0}, k: 0},
		{name: "LabelTooLarge", labels: []int32{0, 2}, pred: []int32{0, 1}, k: 2},
		{name: "NegativePrediction", labels: []int32{0, 1}, pred: []int32{0, -1}, k: 2},
	}
	for _, tt := range panics {
		t.Run(tt.name+"Panics", func(t *testing.T) {
			mustPanic(t, func() { MacroF1(tt.labels, tt.pred, tt.k) })
		})
	}
}

func TestLogLoss(t *testing.T) {
	tests := []struct {
		name   string
		labels []int32
		probs  []float64
		k      int
		want   float64
		tol    float64
	}{
		// scikit-learn's log_loss docstring example, 0.21616... with
		// "ham" = 0 and "spam" = 1 (classes sort alphabetically):
		// -(ln 0.9 + ln 0.9 + ln 0.8 + ln 0.65)/4.
		{
			name:   "SklearnDocExample",
			labels: []int32{1, 0, 0, 1},
			probs:  []float64{0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65},
			k:      2,
			want:   -(math.Log(0.9) + math.Log(0.9) + math.Log(0.8) + math.Log(0.65)) / 4,
			tol:    1e-15,
		},
		// Uniform over 3 classes: every row costs ln 3.
		{name: "Uniform", labels: []int32{0, 2, 1}, probs: []float64{1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3, 1. / 3}, k: 3, want: math.Log(3), tol: 1e-15},
		// p = 1 is clipped to 1-1e-15: -ln(1-1e-15) ≈ 1e-15, not 0.
		{name: "CertainAndRightClipped", labels: []int32{1}, probs: []float64{0, 1}, k: 2, want: -math.Log(1 - 1e-15), tol: 0},
		// p = 0 is clipped to 1e-15: -ln(1e-15) = 15 ln 10 ≈ 34.539, not +Inf.
		{name: "CertainAndWrongClipped", labels: []int32{0}, probs: []float64{0, 1}, k: 2, want: -math.Log(1e-15), tol: 0},
		// Only the true class's probability matters; a NaN elsewhere is
		// not read.
		{name: "NaNInOtherClass", labels: []int32{0}, probs: []float64{0.5, math.NaN()}, k: 2, want: math.Ln2, tol: 1e-15},
		{name: "NaNInTrueClass", labels: []int32{1}, probs: []float64{0.5, math.NaN()}, k: 2, want: math.NaN()},
		{name: "Empty", labels: nil, probs: nil, k: 2, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LogLoss(tt.labels, tt.probs, tt.k); !sameFloat(got, tt.want, tt.tol) {
				t.Errorf("LogLoss(%v, %v, %d):\ngot  %v\nwant %v", tt.labels, tt.probs, tt.k, got, tt.want)
			}
		})
	}

	panics := []struct {
		name   string
		labels []int32
		probs  []float64
		k      int
	}{
		{name: "ShortProbs", labels: []int32{0, 1}, probs: []float64{0.5, 0.5, 0.5}, k: 2},
		{name: "ZeroClasses", labels: nil, probs: nil, k: 0},
		{name: "LabelOutOfRange", labels: []int32{2}, probs: []float64{0.5, 0.5}, k: 2},
		{name: "NegativeLabel", labels: []int32{-1}, probs: []float64{0.5, 0.5}, k: 2},
	}
	for _, tt := range panics {
		t.Run(tt.name+"Panics", func(t *testing.T) {
			mustPanic(t, func() { LogLoss(tt.labels, tt.probs, tt.k) })
		})
	}
}
