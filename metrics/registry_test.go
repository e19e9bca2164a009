package metrics

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestHigherIsBetter(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{name: "accuracy", want: true},
		{name: "roc_auc", want: true},
		{name: "f1", want: true},
		{name: "r2", want: true},
		{name: "log_loss", want: false},
		{name: "rmse", want: false},
		{name: "mae", want: false},
		{name: "loss", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := HigherIsBetter(tt.name)
			if err != nil {
				t.Fatalf("HigherIsBetter(%q): unexpected error %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("HigherIsBetter(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}

	for _, name := range []string{"", "AUC", "Accuracy", "rmse "} {
		t.Run("Unknown"+name, func(t *testing.T) {
			_, err := HigherIsBetter(name)
			if !errors.Is(err, ErrUnknownMetric) {
				t.Fatalf("HigherIsBetter(%q) error:\ngot  %v\nwant %v", name, err, ErrUnknownMetric)
			}
			for _, tt := range tests {
				if !strings.Contains(err.Error(), tt.name) {
					t.Errorf("error %q does not list %q", err, tt.name)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		task string
		want []string
	}{
		{task: "classification", want: []string{"accuracy", "roc_auc", "f1"}},
		{task: "regression", want: []string{"rmse", "mae", "r2"}},
		{task: "clustering", want: nil},
		{task: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.task, func(t *testing.T) {
			got := Names(tt.task)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Names(%q):\ngot  %q\nwant %q", tt.task, got, tt.want)
			}
			for _, name := range got {
				if _, err := HigherIsBetter(name); err != nil {
					t.Errorf("Names(%q) lists %q, which HigherIsBetter rejects: %v", tt.task, name, err)
				}
			}
		})
	}

	t.Run("ReturnsFreshSlice", func(t *testing.T) {
		Names("regression")[0] = "changed"
		if got := Names("regression")[0]; got != "rmse" {
			t.Errorf("Names(%q)[0] = %q after the caller changed an earlier result, want %q", "regression", got, "rmse")
		}
	})
}

// Classification and Regression compute exactly the metrics Names lists,
// so that what a model reports and what may be monitored agree.
func TestTaskMetrics(t *testing.T) {
	tests := []struct {
		name string
		figs map[string]float64
		task string
		want map[string]float64
	}{
		{
			name: "binary",
			// Predictions 1, 0, 1, 1 against labels 1, 0, 0, 1: 3 right,
			// F1 of class 1 = 2·2/(2·2+1+0); of the four pairs of a
			// positive and a negative only 0.55 < 0.6 is misordered, so
			// AUC = 3/4.
			figs: Classification([]int32{1, 0, 0, 1}, []float64{0.2, 0.8, 0.6, 0.4, 0.4, 0.6, 0.45, 0.55}, 2),
			task: "classification",
			want: map[string]float64{"accuracy": 0.75, "f1": 0.8, "roc_auc": 0.75},
		},
		{
			name: "three classes",
			figs: Classification([]int32{0, 1, 2}, []float64{0.8, 0.1, 0.1, 0.1, 0.8, 0.1, 0.1, 0.1, 0.8}, 3),
			task: "classification",
			want: map[string]float64{"accuracy": 1, "f1": 1, "roc_auc": 1},
		},
		{
			name: "one class leaves ROC-AUC out",
			figs: Classification([]int32{1, 1}, []float64{0.3, 0.7, 0.6, 0.4}, 2),
			want: map[string]float64{"accuracy": 0.5, "f1": 2.0 / 3},
		},
		{
			name: "regression",
			figs: Regression([]float64{1, 2, 3}, []float64{1, 2, 5}),
			task: "regression",
			want: map[string]float64{"rmse": math.Sqrt(4.0 / 3), "mae": 2.0 / 3, "r2": -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, w := range tt.want {
				if got, ok := tt.figs[name]; !ok || math.Abs(got-w) > 1e-12 {
					t.Errorf("%s = %v (reported %v), want %v", name, got, ok, w)
				}
			}
			if len(tt.figs) != len(tt.want) {
				t.Errorf("figures %v, want %v", tt.figs, tt.want)
			}
			if tt.task == "" {
				return
			}
			if got := slices.Sorted(maps.Keys(tt.figs)); !slices.Equal(got, slices.Sorted(slices.Values(Names(tt.task)))) {
				t.Errorf("figures %q, want Names(%q) = %q", got, tt.task, Names(tt.task))
			}
		})
	}
}
