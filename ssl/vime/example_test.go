package vime_test

import (
	"context"
	"fmt"
	"log"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/vime"
)

// rows makes n unlabelled rows: two related numbers and a colour.
func rows(n int, seed uint64) *data.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x1,x2,colour\n")
	for range n {
		x1 := rng.NormFloat64()
		fmt.Fprintf(&b, "%.3f,%.3f,%s\n", x1, x1+0.5*rng.NormFloat64(), []string{"red", "green", "blue"}[rng.IntN(3)])
	}
	t, err := data.ParseCSV(strings.NewReader(b.String()), "rows.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	return t
}

// The defaults of NewConfig, those of the VIME paper's code, and what
// Validate says of a setting that cannot work.
func ExampleNewConfig() {
	c := vime.NewConfig()
	fmt.Println("mask probability:", c.MaskProbability, "alpha:", c.Alpha)
	fmt.Println("learning rate:", c.LearningRate, "seed:", c.Seed)

	c.EncoderConfig = categoryembedding.Config{Layers: "64-32"}
	fmt.Println(c.Validate())
	c.MaskProbability = 1.5
	fmt.Println(c.Validate())
	// Output:
	// mask probability: 0.3 alpha: 2
	// learning rate: 0.001 seed: 42
	// <nil>
	// vime config: mask_probability 1.5: want a probability in [0, 1]
}

// VIME as the method of a pretraining: the mask estimator and the
// feature estimator read the encoder's output (no decoder by default).
func Example() {
	c := vime.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.MaskProbability = 0.4

	m, err := gotabular.New(config.DataConfig{}, c, config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), rows(300, 1), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Kind(), m.ModelConfig.(vime.Config).Name())
	fmt.Println("validation figures:", slices.Sorted(maps.Keys(m.History.Epochs[0].Valid)))
	f, err := m.Featurize(rows(5, 2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("features: %d×%d\n", f.Rows, f.Cols)
	// Output:
	// pretrained VIME
	// validation figures: [categorical_accuracy categorical_loss continuous_loss continuous_rmse loss mask_accuracy mask_loss]
	// features: 5×16
}
