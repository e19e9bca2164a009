package gotabular_test

import (
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

// A clone predicts exactly as its original, and the two can predict at
// the same time (run with -race to see that they share no buffers).
func TestClone(t *testing.T) {
	mc := models.Config{Task: "classification", Backbone: categoryembedding.Config{Layers: "16"}}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, mc, config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Clone(); !errors.Is(err, gotabular.ErrKind) {
		t.Errorf("Clone of an untrained model: err %v, want ErrKind", err)
	}
	if err := m.Fit(t.Context(), synthetic(300, 1), nil); err != nil {
		t.Fatal(err)
	}
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	test := synthetic(50, 3)
	want, err := m.Predict(test)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]*gotabular.Predictions, 2)
	for i, model := range []*gotabular.TabularModel{m, c} {
		wg.Go(func() {
			for range 3 {
				p, err := model.Predict(test)
				if err != nil {
					t.Error(err)
					return
				}
				got[i] = p
			}
		})
	}
	wg.Wait()
	for i, p := range got {
		if p == nil || !reflect.DeepEqual(p.Probabilities.Data, want.Probabilities.Data) || !reflect.DeepEqual(p.Labels, want.Labels) {
			t.Errorf("model %d predicts differently after cloning", i)
		}
	}
	if c.Kind() != m.Kind() || !reflect.DeepEqual(c.Classes(), m.Classes()) || !reflect.DeepEqual(c.History, m.History) {
		t.Error("the clone's kind, classes or history differ from the original's")
	}
}
