package gotabular_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// Load reads a model whose files are symbolic links out of its directory,
// as it did before it read the directory through one handle.
func TestLoadSymlinkedFiles(t *testing.T) {
	mc := models.Config{Task: "regression", Backbone: categoryembedding.Config{Layers: "8"}}
	m, err := gotabular.New(config.DataConfig{Target: []string{"amount"}}, mc, config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 1, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Fit(t.Context(), synthetic(100, 1), nil); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	saved := filepath.Join(tmp, "saved")
	if err := m.Save(saved); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(tmp, "linked")
	if err := os.Mkdir(linked, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{gotabular.ModelFile, gotabular.WeightsFile} {
		if err := os.Symlink(filepath.Join(saved, name), filepath.Join(linked, name)); err != nil {
			t.Skip("no symbolic links here:", err)
		}
	}
	if _, err := gotabular.Load(linked); err != nil {
		t.Fatal(err)
	}
	if _, err := gotabular.Load(filepath.Join(tmp, "none")); err == nil || !strings.Contains(err.Error(), filepath.Join(tmp, "none")) {
		t.Errorf("Load of a missing directory: %v", err)
	}
}
