// Package metrics computes the evaluation metrics of classification and
// regression: accuracy, ROC-AUC, F1, log-loss, RMSE, MAE and R².
//
// All arithmetic is in float64, whatever the precision of the model. Means
// are accumulated with compensated summation, so their error does not grow
// with the number of rows.
//
// Class labels are int32 codes in [0, k). Class probabilities are passed as
// one row-major N×k slice: probs[i*k+c] is the probability that row i
// belongs to class c.
//
// The functions follow one rule for bad input:
//   - Slices whose lengths disagree, k < 1, and (for functions that do not
//     return an error) labels outside [0, k) are programmer errors and cause
//     a panic whose message starts with "metrics:".
//   - Empty input makes a float64-valued metric return NaN; an
//     error-returning metric returns [ErrEmpty] instead.
//   - Conditions that depend on the data, such as a single class in the
//     labels, are reported as errors that wrap [ErrOneClass] or another of
//     the sentinel errors below, for use with [errors.Is].
//
// The functions never modify their arguments and may be called
// concurrently.
package metrics

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel errors; the errors returned by this package wrap them.
var (
	// ErrEmpty is returned by an error-returning metric given no rows.
	ErrEmpty = errors.New("metrics: empty input")
	// ErrOneClass is returned by ROC-AUC when the labels hold fewer than
	// two classes, for which the AUC is undefined.
	ErrOneClass = errors.New("metrics: only one class present")
	// ErrNaN is returned by ROC-AUC when a score is NaN, which cannot be
	// ranked.
	ErrNaN = errors.New("metrics: NaN score")
	// ErrLabel is returned when a label is outside [0, k).
	ErrLabel = errors.New("metrics: label out of range")
	// ErrUnknownMetric is returned by [HigherIsBetter] for a name it does
	// not know.
	ErrUnknownMetric = errors.New("metrics: unknown metric")
)

// checkLen panics if two slices that hold one value per row differ in
// length.
func checkLen(aName, bName string, a, b int) {
	if a != b {
		panic(fmt.Sprintf("metrics: len(%s) = %d, len(%s) = %d, want equal", aName, a, bName, b))
	}
}

// checkProbs panics unless k ≥ 1 and probs holds len(labels) rows of k
// class probabilities.
func checkProbs(labels []int32, probs []float64, k int) {
	if k < 1 {
		panic(fmt.Sprintf("metrics: k = %d classes, want k ≥ 1", k))
	}
	if len(probs) != len(labels)*k {
		panic(fmt.Sprintf("metrics: len(probs) = %d, want len(labels)·k = %d·%d", len(probs), len(labels), k))
	}
}

// checkLabel panics unless 0 ≤ label < k.
func checkLabel(name string, i int, label int32, k int) {
	if label < 0 || int(label) >= k {
		panic(fmt.Sprintf("metrics: %s[%d] = %d, want a class in [0, %d)", name, i, label, k))
	}
}

// compensatedSum adds float64 values with Neumaier's variant of Kahan
// summation: the rounding error of each addition is carried in c, so the
// error of the total stays near one rounding instead of growing with the
// number of terms. The zero value is an empty sum.
type compensatedSum struct {
	sum, c float64
}

func (s *compensatedSum) add(x float64) {
	t := s.sum + x
	if math.Abs(s.sum) >= math.Abs(x) {
		s.c += (s.sum - t) + x
	} else {
		s.c += (x - t) + s.sum
	}
	s.sum = t
}

// value returns the sum. Once the running sum is infinite the compensation
// is Inf-Inf = NaN and meaningless, so the infinite sum is returned as is.
func (s *compensatedSum) value() float64 {
	if math.IsInf(s.sum, 0) {
		return s.sum
	}
	return s.sum + s.c
}
