package scarf_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/scarf"
)

// table makes n rows of two numbers, a colour and, if labelled, a class
// that depends on them.
func table(n int, seed uint64, labelled bool) *data.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x1,x2,colour")
	if labelled {
		b.WriteString(",label")
	}
	b.WriteString("\n")
	for range n {
		x1, x2, c := rng.NormFloat64(), rng.NormFloat64(), rng.IntN(3)
		fmt.Fprintf(&b, "%.3f,%.3f,%s", x1, x2, []string{"red", "green", "blue"}[c])
		if labelled {
			label := "no"
			if x1+float64(c-1) > 0 {
				label = "yes"
			}
			b.WriteString("," + label)
		}
		b.WriteString("\n")
	}
	t, err := data.ParseCSV(strings.NewReader(b.String()), "example.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	return t
}

// SCARF pretraining through the facade: pretrain on unlabelled rows, save
// and load the model, fine-tune a copy of its encoder on labelled rows.
func Example() {
	cfg := scarf.NewConfig()
	cfg.EncoderConfig = categoryembedding.Config{Layers: "16-8"}
	cfg.ProjectionLayers = "8"
	cfg.CorruptionRate = 0.5 // of 3 features, 1 is redrawn per row
	fmt.Println(cfg.Name(), "temperature", cfg.Temperature)

	m, err := gotabular.New(config.DataConfig{}, cfg, config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), table(300, 1, false), nil); err != nil {
		log.Fatal(err)
	}
	_, ok := m.History.Epochs[0].Valid["contrastive_accuracy"]
	fmt.Println("reports contrastive_accuracy:", ok)

	dir, err := os.MkdirTemp("", "scarf-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := m.Save(filepath.Join(dir, "pre")); err != nil {
		log.Fatal(err)
	}
	pre, err := gotabular.Load(filepath.Join(dir, "pre"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded:", pre.Kind(), pre.ModelConfig.(scarf.Config).CorruptionRate)

	ft, err := pre.CreateFinetuneModel(gotabular.FinetuneOptions{
		Task: "classification", Train: table(100, 2, true), Target: "label", Head: models.HeadConfig{Layers: "4"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{MaxEpochs: 2}); err != nil {
		log.Fatal(err)
	}
	features, err := ft.Featurize(table(5, 3, false))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("features of 5 rows:", features.Rows, "×", features.Cols)
	// Output:
	// SCARF temperature 1
	// reports contrastive_accuracy: true
	// loaded: pretrained 0.5
	// features of 5 rows: 5 × 8
}
