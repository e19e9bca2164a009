package models_test

import (
	"fmt"
	"slices"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

// Layer widths are written as in PyTorch Tabular, hyphen-separated.
func ExampleParseLayers() {
	fmt.Println(models.ParseLayers("512-256-128"))
	fmt.Println(models.ParseLayers(""))
	fmt.Println(models.ParseLayers("64-x"))
	// Output:
	// [512 256 128] <nil>
	// [] <nil>
	// [] layers "64-x": "x" is not a positive width (want e.g. "512-256-128")
}

// Backbones lists the backbones registered by the packages a program
// imports; a saved model names its backbone, and loading finds it here.
func ExampleBackbones() {
	fmt.Println(slices.Contains(models.Backbones(), categoryembedding.Name))
	// Output:
	// true
}

// How rows are embedded: categorical columns of few levels one-hot, the
// others as learned vectors of EmbeddingDim(cardinality) columns unless
// Dims says otherwise. Validate checks the settings against the columns.
func ExampleEmbeddingConfig() {
	schema := models.Schema{
		Continuous: []string{"age", "hours"},
		// Cardinalities count the unknown code 0.
		Categorical: []models.Categorical{{Name: "sex", Cardinality: 3}, {Name: "occupation", Cardinality: 15}},
	}
	fmt.Println("occupation embedded in", models.EmbeddingDim(15), "columns")

	ec := models.EmbeddingConfig{
		MaxOnehotCardinality: 4, // sex is one-hot
		Dims:                 map[string]int{"occupation": 4},
		Dropout:              0.1,
		BatchNormContinuous:  true,
	}
	fmt.Println(ec.Validate(schema))

	ec.Dims = map[string]int{"age": 4}
	fmt.Println(ec.Validate(schema))
	// Output:
	// occupation embedded in 8 columns
	// <nil>
	// embedding dims: "age" is not a categorical column
}

// The numerical embeddings of continuous features, with the defaults of
// each kind; a setting the kind does not use is an error.
func ExampleNumEmbeddingConfig() {
	plr := models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR}.WithDefaults()
	fmt.Printf("plr: dim %d, %d frequencies, scale %v, shared linear %v\n",
		plr.Dim, plr.Frequencies, plr.FrequencyScale, !plr.PerFeatureLinear)
	ple := models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE}.WithDefaults()
	fmt.Printf("ple: up to %d bins, dim %d\n", ple.Bins, ple.Dim)
	fmt.Println("none enabled:", models.NumEmbeddingConfig{}.Enabled())

	fmt.Println(models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Frequencies: 8}.Validate())
	fmt.Println(models.NumEmbeddingConfig{Kind: "fourier"}.Validate())
	// Output:
	// plr: dim 24, 48 frequencies, scale 0.01, shared linear true
	// ple: up to 16 bins, dim 0
	// none enabled: false
	// num_embedding: frequencies is set, but kind "ple" does not use it
	// num_embedding: kind "fourier": want one of none, plr, ple
}

// A supervised model: a backbone and a head, with defaults for the rest.
func ExampleConfig() {
	c := models.Config{
		Task:     "classification",
		Backbone: categoryembedding.Config{Layers: "128-64"},
		Head:     models.HeadConfig{Layers: "32", Dropout: 0.1},
	}
	fmt.Println(c.Validate())
	d := c.WithDefaults()
	fmt.Println("learning rate:", d.LearningRate, "seed:", d.Seed, "head:", d.Head.Layers, d.Head.Activation, d.Head.Initialization)

	c.Task = "ranking"
	fmt.Println(c.Validate())
	// Output:
	// <nil>
	// learning rate: 0.001 seed: 42 head: 32 ReLU kaiming
	// model config: task "ranking": want "classification" or "regression"
}
