package config

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string // substring of the error; "" for none
	}{
		{"data ok", DataConfig{Target: []string{"y"}, ContinuousCols: []string{"a"}}.Validate(), ""},
		{"two targets", DataConfig{Target: []string{"y", "z"}}.Validate(), "one target"},
		{"split", DataConfig{ValidationSplit: 1}.Validate(), "validation_split"},
		{"listed twice", DataConfig{ContinuousCols: []string{"a"}, CategoricalCols: []string{"a"}}.Validate(), `"a" is listed in both`},
		{"empty name", DataConfig{CategoricalCols: []string{""}}.Validate(), "empty column name"},
		{"quantile normal", DataConfig{ContinuousTransform: "quantile_normal"}.Validate(), ""},
		{"standard", DataConfig{ContinuousTransform: "standard"}.Validate(), ""},
		{"transform", DataConfig{ContinuousTransform: "rank_gauss"}.Validate(), `continuous_transform "rank_gauss": want one of standard, quantile_normal`},
		{"optimizer ok", OptimizerConfig{Optimizer: "AdamW"}.Validate(), ""},
		{"optimizer", OptimizerConfig{Optimizer: "lbfgs"}.Validate(), `"lbfgs"`},
		{"momentum", OptimizerConfig{Momentum: 1}.Validate(), "momentum"},
		{"trainer ok", TrainerConfig{EarlyStopping: "valid_roc_auc", EarlyStoppingMode: "max"}.Validate(), ""},
		{"batch size", TrainerConfig{BatchSize: -1}.Validate(), "batch_size"},
		{"min epochs", TrainerConfig{MaxEpochs: 2, MinEpochs: 3}.Validate(), "min_epochs"},
		{"mode", TrainerConfig{EarlyStoppingMode: "up"}.Validate(), "early_stopping_mode"},
		{"monitor", TrainerConfig{EarlyStopping: "loss"}.Validate(), `"loss"`},
		{"task", ValidateTask("ranking"), "ranking"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			switch {
			case tt.want == "" && tt.err != nil:
				t.Errorf("unexpected error %v", tt.err)
			case tt.want != "" && (tt.err == nil || !strings.Contains(tt.err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", tt.err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tc := TrainerConfig{}.WithDefaults()
	if tc.BatchSize != 64 || tc.MaxEpochs != 10 || tc.EarlyStopping != "valid_loss" || tc.EarlyStoppingPatience != 3 || tc.Seed != 42 {
		t.Errorf("trainer defaults %+v", tc)
	}
	if dc := (DataConfig{}).WithDefaults(); dc.ValidationSplit != 0.2 {
		t.Errorf("validation split default %v", dc.ValidationSplit)
	}
	if oc := (OptimizerConfig{Optimizer: "SGD"}).WithDefaults(); oc.Optimizer != "sgd" {
		t.Errorf("optimizer name %q not normalised", oc.Optimizer)
	}
}
