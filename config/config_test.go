package config

import (
	"encoding/json"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string // substring of the error; "" for none
	}{
		{"data ok", DataConfig{Target: []string{"y"}, ContinuousCols: []string{"a"}}.Validate(), ""},
		{"two targets", DataConfig{Target: []string{"y", "z"}}.Validate(), "one target"},
		{"split", DataConfig{ValidationSplit: new(1.0)}.Validate(), "validation_split"},
		{"no split", DataConfig{ValidationSplit: new(0.0)}.Validate(), ""},
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
		{"patience 0", TrainerConfig{EarlyStoppingPatience: new(0)}.Validate(), ""},
		{"patience", TrainerConfig{EarlyStoppingPatience: new(-1)}.Validate(), "early_stopping_patience -1"},
		{"min delta", TrainerConfig{EarlyStoppingMinDelta: new(-0.5)}.Validate(), "early_stopping_min_delta -0.5"},
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
	if tc.BatchSize != 64 || tc.MaxEpochs != 10 || tc.EarlyStopping != "valid_loss" || *tc.EarlyStoppingPatience != 3 ||
		*tc.EarlyStoppingMinDelta != 0.001 || tc.Seed != 42 {
		t.Errorf("trainer defaults %+v", tc)
	}
	if dc := (DataConfig{}).WithDefaults(); *dc.ValidationSplit != 0.2 || !*dc.ScaleTarget {
		t.Errorf("validation split default %v, scale target %v", *dc.ValidationSplit, *dc.ScaleTarget)
	}
	if oc := (OptimizerConfig{}).WithDefaults(); oc.Optimizer != "adam" || oc.LRScheduler != "constant" {
		t.Errorf("optimizer defaults %+v", oc)
	}
	if oc := (OptimizerConfig{Optimizer: "SGD"}).WithDefaults(); oc.Optimizer != "sgd" {
		t.Errorf("optimizer name %q not normalised", oc.Optimizer)
	}
}

// An explicit zero or false is kept where it is a valid setting, by
// WithDefaults and the accessors, and through JSON and YAML; a field left
// out, as in a file saved before it was a pointer, takes the default.
func TestExplicitZero(t *testing.T) {
	zero := TrainerConfig{EarlyStoppingPatience: new(0), EarlyStoppingMinDelta: new(0.0)}.WithDefaults()
	if zero.Patience() != 0 || zero.MinDelta() != 0 || *zero.EarlyStoppingPatience != 0 {
		t.Errorf("patience %d, min delta %v; want the explicit zeros", zero.Patience(), zero.MinDelta())
	}
	dc := DataConfig{ValidationSplit: new(0.0), ScaleTarget: new(false)}.WithDefaults()
	if dc.Split() != 0 || dc.ScalesTarget() {
		t.Errorf("split %v, scale target %v; want 0 and false", dc.Split(), dc.ScalesTarget())
	}
	if (TrainerConfig{}).Patience() != 3 || (TrainerConfig{}).MinDelta() != 0.001 || (DataConfig{}).Split() != 0.2 || !(DataConfig{}).ScalesTarget() {
		t.Error("the accessors of unset fields do not give the defaults")
	}
	for _, tt := range []struct {
		name        string
		trainer     string
		data        string
		patience    int
		minDelta    float64
		split       float64
		scaleTarget bool
	}{
		{"explicit zeros", `{"early_stopping_patience": 0, "early_stopping_min_delta": 0}`, `{"validation_split": 0, "scale_target": false}`, 0, 0, 0, false},
		{"left out", `{}`, `{}`, 3, 0.001, 0.2, true},
		{"values", `{"early_stopping_patience": 10, "early_stopping_min_delta": 0.01}`, `{"validation_split": 0.3, "scale_target": true}`, 10, 0.01, 0.3, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, unmarshal := range []func([]byte, any) error{json.Unmarshal, yaml.Unmarshal} {
				var tc TrainerConfig
				var dc DataConfig
				if err := unmarshal([]byte(tt.trainer), &tc); err != nil {
					t.Fatal(err)
				}
				if err := unmarshal([]byte(tt.data), &dc); err != nil {
					t.Fatal(err)
				}
				tc, dc = tc.WithDefaults(), dc.WithDefaults()
				if tc.Patience() != tt.patience || tc.MinDelta() != tt.minDelta || dc.Split() != tt.split || dc.ScalesTarget() != tt.scaleTarget {
					t.Errorf("patience %d, min delta %v, split %v, scale target %v; want %d, %v, %v, %v",
						tc.Patience(), tc.MinDelta(), dc.Split(), dc.ScalesTarget(), tt.patience, tt.minDelta, tt.split, tt.scaleTarget)
				}
				// Written out and read back, the values stay.
				b, _ := json.Marshal(tc)
				var back TrainerConfig
				if err := json.Unmarshal(b, &back); err != nil || back.Patience() != tt.patience || back.MinDelta() != tt.minDelta {
					t.Errorf("round trip of %s: %+v, %v", b, back, err)
				}
			}
		})
	}
}

func TestDataConfigDates(t *testing.T) {
	for _, c := range []struct {
		name string
		dc   DataConfig
		want string
	}{
		{"ok", DataConfig{DateColumns: []DateColumn{{Name: "d", Format: "2006"}}, BadDates: "error"}, ""},
		{"empty name", DataConfig{DateColumns: []DateColumn{{Format: "2006"}}}, "empty column name"},
		{"twice", DataConfig{DateColumns: []DateColumn{{Name: "d"}, {Name: "d"}}}, "listed in both date_columns and date_columns"},
		{"also categorical", DataConfig{CategoricalCols: []string{"d"}, DateColumns: []DateColumn{{Name: "d"}}}, "categorical_cols and date_columns"},
		{"bad policy", DataConfig{BadDates: "skip"}, "bad_dates"},
		{"transform", DataConfig{ContinuousTransform: "log"}, "rank-gauss"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.dc.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("Validate: %v, want %q", err, c.want)
			}
		})
	}
}
