package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Loss is the name under which a model reports its training objective
// (log-loss for classification, mean squared error in training units for
// regression), beside the metrics of [Names]. It is minimised.
const Loss = "loss"

// higherIsBetter maps every metric name the package knows to whether
// larger values of it are better.
var higherIsBetter = map[string]bool{
	"accuracy": true,
	"roc_auc":  true,
	"f1":       true,
	"r2":       true,
	"log_loss": false,
	"rmse":     false,
	"mae":      false,
	Loss:       false,
}

// HigherIsBetter reports whether larger values of the named metric are
// better, so that a caller can pick the best epoch or model by name. The
// names are "accuracy", "roc_auc", "f1", "log_loss", "rmse", "mae", "r2" and
// "loss", matched exactly.
//
// For any other name HigherIsBetter returns an error that wraps
// [ErrUnknownMetric] and lists the known names.
func HigherIsBetter(name string) (bool, error) {
	hib, ok := higherIsBetter[name]
	if !ok {
		known := slices.Sorted(maps.Keys(higherIsBetter))
		return false, fmt.Errorf("%w %q (known: %s)", ErrUnknownMetric, name, strings.Join(known, ", "))
	}
	return hib, nil
}

// Names returns the names of the metrics reported for a task beside its
// [Loss], in the order they should be shown:
//
//	"classification": accuracy, roc_auc, f1
//	"regression":     rmse, mae, r2
//
// The loss of classification is the log-loss, so "log_loss" is not listed
// again. "f1" means [F1] for two classes and [MacroF1] for more, and
// "roc_auc" likewise [ROCAUC] or [MacroROCAUC]. [Classification] and
// [Regression] compute exactly these. Names returns a new slice on each
// call, and nil for any other task.
func Names(task string) []string {
	switch task {
	case "classification":
		return []string{"accuracy", "roc_auc", "f1"}
	case "regression":
		return []string{"rmse", "mae", "r2"}
	}
	return nil
}

// Classification returns the metrics of Names("classification") for
// labels in [0, k) and the row-major N×k class probabilities probs. The
// predicted class of a row is its most probable one (the first of ties).
// A metric that is undefined on the data (ROC-AUC when the labels hold one
// class) is left out rather than reported as NaN. Lengths that disagree
// panic, as in the functions it calls.
func Classification(labels []int32, probs []float64, k int) map[string]float64 {
	checkProbs(labels, probs, k)
	pred := make([]int32, len(labels))
	for i := range pred {
		row := probs[i*k : (i+1)*k]
		best := 0
		for j, p := range row {
			if p > row[best] {
				best = j
			}
		}
		pred[i] = int32(best)
	}
	figs := map[string]float64{"accuracy": Accuracy(labels, pred)}
	if k == 2 {
		pos := make([]bool, len(labels))
		score := make([]float64, len(labels))
		for i, l := range labels {
			pos[i], score[i] = l == 1, probs[i*2+1]
		}
		if auc, err := ROCAUC(pos, score); err == nil {
			figs["roc_auc"] = auc
		}
		figs["f1"] = F1(labels, pred, 1)
		return figs
	}
	if auc, err := MacroROCAUC(labels, probs, k); err == nil {
		figs["roc_auc"] = auc
	}
	figs["f1"] = MacroF1(labels, pred, k)
	return figs
}

// Regression returns the metrics of Names("regression") for the targets y
// and the predictions yhat, in the same units.
func Regression(y, yhat []float64) map[string]float64 {
	return map[string]float64{"rmse": RMSE(y, yhat), "mae": MAE(y, yhat), "r2": R2(y, yhat)}
}
