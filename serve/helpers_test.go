package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl/dae"
)

// rowsCSV returns n rows whose label depends on a continuous and a
// categorical feature, with a regression target beside it, as CSV. The
// column "tiny" has a spread of 1e-3, so that a value near the float32
// limit overflows when standardised.
func rowsCSV(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x1,x2,tiny,colour,city,label,amount\n")
	colours := []string{"red", "green", "blue"}
	for range n {
		x1 := rng.NormFloat64()
		x2 := x1 + 0.5*rng.NormFloat64()
		c := rng.IntN(3)
		score := 1.5*x1 + []float64{-1, 0, 1}[c] + 0.3*rng.NormFloat64()
		label := "neg"
		if score > 0 {
			label = "pos"
		}
		amount := 100 + 20*x1 + 10*float64(c) + rng.NormFloat64()
		x2s := fmt.Sprintf("%.4f", x2)
		if rng.IntN(20) == 0 {
			x2s = "" // some missing values
		}
		fmt.Fprintf(&b, "%.4f,%s,%.6f,%s,c%d,%s,%.3f\n", x1, x2s, 1e-3*rng.NormFloat64(), colours[c], rng.IntN(8), label, amount)
	}
	return b.String()
}

func table(t testing.TB, csv string) *data.Table {
	t.Helper()
	tb, err := data.ParseCSV(strings.NewReader(csv), "test.csv", data.ReadOptions{Kinds: map[string]data.Kind{"city": data.Categorical}})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

var quiet = config.TrainerConfig{BatchSize: 64, MaxEpochs: 3, Quiet: true}

// The models of the tests are trained once.
var (
	modelsOnce                             sync.Once
	classifier, regressor, pretrainedModel *gotabular.TabularModel
	classifier2                            *gotabular.TabularModel // another classifier, for reloads
	modelsErr                              error
)

func trainModels() error {
	ctx := context.Background()
	tb, err := data.ParseCSV(strings.NewReader(rowsCSV(400, 1)), "train.csv", data.ReadOptions{Kinds: map[string]data.Kind{"city": data.Categorical}})
	if err != nil {
		return err
	}
	fit := func(task, target string, layers string, seed uint64) (*gotabular.TabularModel, error) {
		mc := models.Config{Task: task, Backbone: categoryembedding.Config{Layers: layers}, Seed: seed}
		m, err := gotabular.New(config.DataConfig{Target: []string{target}}, mc, config.OptimizerConfig{}, quiet)
		if err != nil {
			return nil, err
		}
		exclude := "amount"
		if target == "amount" {
			exclude = "label"
		}
		return m, m.Fit(ctx, tb.Without(exclude), nil)
	}
	if classifier, err = fit(config.Classification, "label", "16", 1); err != nil {
		return err
	}
	if classifier2, err = fit(config.Classification, "label", "8-8", 2); err != nil {
		return err
	}
	if regressor, err = fit(config.Regression, "amount", "16", 1); err != nil {
		return err
	}
	c := dae.NewConfig()
	c.EncoderConfig = categoryembedding.Config{Layers: "16-8"}
	c.DecoderConfig = categoryembedding.Config{Layers: "16"}
	if pretrainedModel, err = gotabular.New(config.DataConfig{}, c, config.OptimizerConfig{}, quiet); err != nil {
		return err
	}
	return pretrainedModel.Pretrain(ctx, tb.Without("label", "amount"), nil)
}

func testModels(t testing.TB) {
	t.Helper()
	modelsOnce.Do(func() { modelsErr = trainModels() })
	if modelsErr != nil {
		t.Fatal(modelsErr)
	}
}

// jsonRows renders the feature columns of a table as the rows of a JSON
// request, missing values left out.
func jsonRows(tb *data.Table, drop ...string) string {
	var rows []map[string]any
	for i := range tb.Rows {
		row := map[string]any{}
		for _, c := range tb.Columns {
			if strings.Contains(strings.Join(drop, ","), c.Name) || c.Missing(i) {
				continue
			}
			if c.Kind == data.Continuous {
				row[c.Name] = c.Floats[i]
			} else {
				row[c.Name], _ = c.Text(i)
			}
		}
		rows = append(rows, row)
	}
	b, _ := json.Marshal(map[string]any{"rows": rows})
	return string(b)
}

// result is a JSON answer of /v1/predict or /v1/embed.
type result struct {
	Task          string      `json:"task"`
	Target        string      `json:"target"`
	Classes       []string    `json:"classes"`
	Labels        []string    `json:"labels"`
	Probabilities [][]float32 `json:"probabilities"`
	Values        []float64   `json:"values"`
	Features      [][]float32 `json:"features"`
}

// errorBody is a JSON error answer.
type errorBody struct {
	Error  string  `json:"error"`
	Row    int     `json:"row"`
	Column string  `json:"column"`
	Value  *string `json:"value"`
}

// do sends a request to h and returns the status and body.
func do(t testing.TB, h http.Handler, method, path, contentType, accept, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

func decode[T any](t testing.TB, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v in %q", err, body)
	}
	return v
}
