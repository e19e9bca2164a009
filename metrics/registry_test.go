package metrics

import (
	"errors"
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
		{task: "classification", want: []string{"accuracy", "roc_auc", "f1", "log_loss"}},
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
