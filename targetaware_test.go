package gotabular_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

func TestPretrainTargetAware(t *testing.T) {
	labelled := synthetic(80, 4).Without("amount")
	newModel := func() *gotabular.TabularModel {
		m, err := gotabular.New(config.DataConfig{}, daeConfig(), config.OptimizerConfig{}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	unlabelled := synthetic(400, 1).Without("label", "amount")
	plain, aware := newModel(), newModel()
	if err := plain.Pretrain(context.Background(), unlabelled, nil); err != nil {
		t.Fatal(err)
	}
	if err := aware.PretrainTargetAware(context.Background(), unlabelled, nil,
		gotabular.TargetAware{Labelled: labelled, Target: "label", Task: config.Classification, Weight: 2}); err != nil {
		t.Fatal(err)
	}
	if aware.Kind() != gotabular.Pretrained {
		t.Fatalf("kind %s, want pretrained", aware.Kind())
	}
	// The supervised loss reaches the encoder: its weights differ from
	// those of the same pretraining without it.
	a, p := paramsOf(t, aware), paramsOf(t, plain)
	if len(a) != len(p) {
		t.Fatalf("%d parameters, %d without the supervised loss: the head must not be kept", len(a), len(p))
	}
	if equal(a["encoder.0.linear.weight"], p["encoder.0.linear.weight"]) {
		t.Error("the encoder is the same with and without the supervised loss")
	}
	back := roundTrip(t, aware)
	ft, err := back.CreateFinetuneModel(gotabular.FinetuneOptions{Task: config.Classification, Target: "label", Train: labelled, Trainer: &quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := ft.Finetune(context.Background(), gotabular.FinetuneRun{}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		ta   gotabular.TargetAware
		want string
	}{
		{"no rows", gotabular.TargetAware{Target: "label", Task: config.Classification}, "no rows"},
		{"bad task", gotabular.TargetAware{Labelled: labelled, Target: "label", Task: "ranking"}, "task"},
		{"negative weight", gotabular.TargetAware{Labelled: labelled, Target: "label", Task: config.Classification, Weight: -1}, "weight"},
		{"no target column", gotabular.TargetAware{Labelled: labelled, Target: "price", Task: config.Classification}, "price"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := newModel().PretrainTargetAware(context.Background(), synthetic(100, 1).Without("label", "amount"), nil, tc.ta)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}
