package dae_test

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
	"github.com/gotabular/gotabular/ssl/dae"
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

// The defaults of NewConfig, and what Validate says of a setting that
// cannot work.
func ExampleNewConfig() {
	c := dae.NewConfig()
	fmt.Println("noise:", c.NoiseStrategy, c.DefaultNoiseProbability)
	fmt.Println("loss weights:", c.ReconstructionLossWeight, c.MaskLossWeight)
	fmt.Println("learning rate:", c.LearningRate, "seed:", c.Seed)

	c.EncoderConfig = categoryembedding.Config{Layers: "64-32"}
	fmt.Println(c.Validate())
	c.NoiseStrategy = "gaussian"
	fmt.Println(c.Validate())
	// Output:
	// noise: swap 0.3
	// loss weights: 1 8
	// learning rate: 0.001 seed: 42
	// <nil>
	// dae config: noise_strategy "gaussian": want "swap" or "zero"
}

// The denoising autoencoder as the method of a pretraining: an encoder
// whose output is the learned representation, and a decoder (nil: the
// reconstruction heads read the encoder's output).
func Example() {
	c := dae.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "32-16"}
	c.DecoderConfig = categoryembedding.Config{Layers: "32"}
	c.NoiseStrategy = dae.Zero
	c.NoiseProbabilities = map[string]float64{"colour": 0.5}

	m, err := gotabular.New(config.DataConfig{}, c, config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), rows(300, 1), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Kind(), m.ModelConfig.(dae.Config).Name())
	fmt.Println("validation figures:", slices.Sorted(maps.Keys(m.History.Epochs[0].Valid)))
	f, err := m.Featurize(rows(5, 2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("features: %d×%d\n", f.Rows, f.Cols)
	// Output:
	// pretrained DenoisingAutoEncoder
	// validation figures: [categorical_accuracy categorical_loss continuous_loss continuous_rmse loss mask_accuracy mask_loss]
	// features: 5×16
}
