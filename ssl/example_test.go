package ssl_test

import (
	"fmt"
	"log"

	"github.com/gotabular/gotabular/ssl"
	_ "github.com/gotabular/gotabular/ssl/methods" // registers dae, scarf and vime
)

// The registry lists the methods that the imported packages registered.
func ExampleAvailable() {
	fmt.Println(ssl.Available())
	for _, m := range ssl.Methods() {
		fmt.Println(m.Label())
	}
	// Output:
	// [DenoisingAutoEncoder SCARF VIME]
	// DenoisingAutoEncoder (dae)
	// SCARF (scarf)
	// VIME (vime)
}

// Lookup accepts a name or an alias, in any case; an unknown name is an
// error that lists the methods there are.
func ExampleLookup() {
	m, err := ssl.Lookup("Vime")
	if err != nil {
		log.Fatal(err)
	}
	cfg := m.New()
	fmt.Println(m.Name, cfg.Name(), "learning rate", cfg.Common().LearningRate)

	_, err = ssl.Lookup("simclr")
	fmt.Println(err)
	// Output:
	// VIME VIME learning rate 0.001
	// unknown self-supervised method "simclr"; available: DenoisingAutoEncoder (dae), SCARF (scarf), VIME (vime)
}

// A method's own settings, by the keys of config files and the flags of
// `gotabular pretrain`, with their defaults; Edit changes them by name on
// a copy, as config files and flags do.
func ExampleEdit() {
	m, err := ssl.Lookup("scarf")
	if err != nil {
		log.Fatal(err)
	}
	e, err := ssl.Edit(m.New())
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range e.Settings() {
		fmt.Printf("%s (-%s): %s\n", s.Key, s.Flag, s)
	}

	s, _ := e.Setting("corruption_rate")
	if err := s.Set("0.4"); err != nil {
		log.Fatal(err)
	}
	e.Common().Seed = 7
	edited, _ := ssl.Edit(e.Config())
	s, _ = edited.Setting("corruption_rate")
	fmt.Println("edited:", s, "seed", e.Config().Common().Seed)
	// Output:
	// corruption_rate (-corruption-rate): 0.6
	// temperature (-temperature): 1
	// symmetric_loss (-symmetric-loss): false
	// projection_layers (-projection-layers): 256-256
	// projection_activation (-projection-activation): ReLU
	// edited: 0.4 seed 7
}

// The settings every method shares, with their defaults.
func ExampleNewSSLModelConfig() {
	c := ssl.NewSSLModelConfig()
	fmt.Println("learning rate:", c.LearningRate, "seed:", c.Seed)
	fmt.Println("embedding dropout:", c.EmbeddingDropout, "one-hot up to:", c.MaxOnehotCardinality, "batch norm:", c.BatchNormContinuousInput)
	// The encoder is the caller's to choose.
	fmt.Println(c.Validate())
	// Output:
	// learning rate: 0.001 seed: 42
	// embedding dropout: 0.1 one-hot up to: 4 batch norm: true
	// ssl config: encoder_config is required (e.g. categoryembedding.Config{Layers: "256-128"})
}
