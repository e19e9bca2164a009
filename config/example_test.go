package config_test

import (
	"encoding/json"
	"fmt"
	"log"

	"go.yaml.in/yaml/v3"

	"github.com/gotabular/gotabular/config"
)

// A zero field means the default where zero is not a valid setting;
// WithDefaults fills those in, and the accessors read a pointer field
// with its default.
func ExampleTrainerConfig_WithDefaults() {
	tc := config.TrainerConfig{MaxEpochs: 50}.WithDefaults()
	fmt.Println("batch_size:", tc.BatchSize)
	fmt.Println("max_epochs:", tc.MaxEpochs)
	fmt.Println("early_stopping:", tc.EarlyStopping, "patience:", tc.Patience(), "min_delta:", tc.MinDelta())
	fmt.Println("seed:", tc.Seed)
	fmt.Println("members:", tc.Members())

	// A cross-fitted ensemble: 5 folds, twice over.
	fmt.Println("members:", config.TrainerConfig{Folds: 5, FoldRepeats: 2}.Members())
	// Output:
	// batch_size: 64
	// max_epochs: 50
	// early_stopping: valid_loss patience: 3 min_delta: 0.001
	// seed: 42
	// members: 1
	// members: 10
}

// Where 0 is a valid setting, the field is a pointer: nil is the
// default, an explicit 0 is kept.
func ExampleDataConfig_WithDefaults() {
	var dc config.DataConfig
	fmt.Println("validation split:", dc.Split(), "scale target:", dc.ScalesTarget())

	dc.ValidationSplit = new(0.0) // hold out no rows
	dc = dc.WithDefaults()
	fmt.Println("validation split:", *dc.ValidationSplit, "scale target:", *dc.ScaleTarget)
	// Output:
	// validation split: 0.2 scale target: true
	// validation split: 0 scale target: true
}

// Validate names the field at fault.
func ExampleDataConfig_Validate() {
	dcs := []config.DataConfig{
		{Target: []string{"income"}, ContinuousCols: []string{"age"}, CategoricalCols: []string{"city"}},
		{Target: []string{"income", "age"}},
		{ContinuousTransform: "log"},
		{ContinuousCols: []string{"age"}, CategoricalCols: []string{"age"}},
	}
	for _, dc := range dcs {
		fmt.Println(dc.Validate())
	}
	// Output:
	// <nil>
	// data config: target: 2 columns given (income, age); one target column is supported
	// data config: continuous_transform "log": want one of standard, quantile_normal, quantile_uniform, yeo-johnson, box-cox, rank-gauss
	// data config: column "age" is listed in both continuous_cols and categorical_cols
}

func ExampleTrainerConfig_Validate() {
	fmt.Println(config.TrainerConfig{BatchSize: -1}.Validate())
	fmt.Println(config.TrainerConfig{MaxEpochs: 5, MinEpochs: 10}.Validate())
	fmt.Println(config.TrainerConfig{FoldRepeats: 3}.Validate())
	fmt.Println(config.OptimizerConfig{Optimizer: "rmsprop"}.Validate())
	fmt.Println(config.ValidateTask("ranking"))
	// Output:
	// trainer config: batch_size -1: must be ≥ 1
	// trainer config: min_epochs 10: want 0..max_epochs (5)
	// trainer config: fold_repeats 3 needs folds ≥ 2
	// optimizer config: optimizer "rmsprop": want one of adam, adamw, sgd
	// task "ranking": task must be "classification" or "regression"
}

// The configs carry JSON and YAML keys (those of the command line's
// -config files): a field left unset is left out, and an explicit zero of
// a pointer field survives the round trip.
func ExampleTrainerConfig_json() {
	tc := config.TrainerConfig{MaxEpochs: 30, EarlyStopping: "valid_roc_auc", EarlyStoppingPatience: new(0)}
	b, err := json.Marshal(tc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))

	var back config.TrainerConfig
	if err := json.Unmarshal(b, &back); err != nil {
		log.Fatal(err)
	}
	fmt.Println("patience:", back.Patience())
	// Output:
	// {"max_epochs":30,"early_stopping":"valid_roc_auc","early_stopping_patience":0}
	// patience: 0
}

func ExampleDataConfig_yaml() {
	const text = `
target: [income]
categorical_cols: [workclass, education]
validation_split: 0.1
continuous_transform: quantile_normal
`
	var dc config.DataConfig
	if err := yaml.Unmarshal([]byte(text), &dc); err != nil {
		log.Fatal(err)
	}
	if err := dc.Validate(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(dc.Target, dc.CategoricalCols, dc.Split(), dc.ContinuousTransform)

	out, err := yaml.Marshal(dc)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// [income] [workclass education] 0.1 quantile_normal
	// target:
	//     - income
	// categorical_cols:
	//     - workclass
	//     - education
	// validation_split: 0.1
	// continuous_transform: quantile_normal
}
