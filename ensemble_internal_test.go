package gotabular

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/metrics"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/dae"
)

// TestCrossValidateAligned checks that each labelled row's out-of-fold
// prediction is paired with that row's label: the cross-validated ROC-AUC
// equals the one computed here from each member's predictions on the rows
// it held out, put back in the pooled rows' order.
func TestCrossValidateAligned(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	var b strings.Builder
	b.WriteString("x1,x2,colour,label\n")
	for range 150 {
		x1 := rng.NormFloat64()
		c := rng.IntN(3)
		l := "neg"
		if 1.5*x1+[]float64{-1, 0, 1}[c]+0.5*rng.NormFloat64() > 0 {
			l = "pos"
		}
		fmt.Fprintf(&b, "%.4f,%.4f,%s,%s\n", x1, rng.NormFloat64(), []string{"r", "g", "b"}[c], l)
	}
	labelled, err := data.ParseCSV(strings.NewReader(b.String()), "labelled.csv", data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := dae.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "16"}
	m, err := New(config.DataConfig{}, c, config.OptimizerConfig{}, config.TrainerConfig{BatchSize: 64, MaxEpochs: 2, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pretrain(context.Background(), labelled.Without("label"), nil); err != nil {
		t.Fatal(err)
	}
	tr := config.TrainerConfig{BatchSize: 32, MaxEpochs: 10, Quiet: true, Folds: 3, FoldRepeats: 2}
	ft, err := m.CreateFinetuneModel(FinetuneOptions{Task: config.Classification, Target: "label", Train: labelled, Trainer: &tr})
	if err != nil {
		t.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), FinetuneRun{}); err != nil {
		t.Fatal(err)
	}
	pool := ft.ft.parts[0].pool
	score := make([]float64, pool.N)
	for i, p := range ft.ft.parts {
		out := newSupervisedTask(ft.members()[i], ft.target).outputs(p.valid)
		for j, r := range p.held {
			if p.valid.Labels[j] != pool.Labels[r] {
				t.Fatalf("member %d: held-out row %d has label %d, pooled row %d has %d", i, j, p.valid.Labels[j], r, pool.Labels[r])
			}
			score[r] += float64(out.At(j, 1)) / 2 // two repeats
		}
	}
	pos := make([]bool, pool.N)
	for i, l := range pool.Labels {
		pos[i] = l == 1
	}
	want, err := metrics.ROCAUC(pos, score)
	if err != nil {
		t.Fatal(err)
	}
	if got := ft.CrossValidation["roc_auc"]; abs(got-want) > 1e-6 {
		t.Errorf("cross-validated ROC-AUC %v, recomputed %v", got, want)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
