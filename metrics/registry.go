package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// higherIsBetter maps every metric name the package knows to whether
// larger values of it are better. "loss" is the training objective, which
// is minimised.
var higherIsBetter = map[string]bool{
	"accuracy": true,
	"roc_auc":  true,
	"f1":       true,
	"r2":       true,
	"log_loss": false,
	"rmse":     false,
	"mae":      false,
	"loss":     false,
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

// Names returns the names of the metrics reported for a task, in the order
// they should be shown:
//
//	"classification": accuracy, roc_auc, f1, log_loss
//	"regression":     rmse, mae, r2
//
// "f1" means [F1] for two classes and [MacroF1] for more, and "roc_auc"
// likewise [ROCAUC] or [MacroROCAUC]. Names returns a new slice on each
// call, and nil for any other task.
func Names(task string) []string {
	switch task {
	case "classification":
		return []string{"accuracy", "roc_auc", "f1", "log_loss"}
	case "regression":
		return []string{"rmse", "mae", "r2"}
	}
	return nil
}
