package dae

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// numEmbedded are configs with numerical embeddings, and the schema
// each needs: PLE reads bin edges fitted with the preprocessing.
func numEmbedded() []struct {
	name   string
	cfg    Config
	schema models.Schema
} {
	binned := schema
	binned.BinEdges = [][]float64{{-2, -0.5, 0.5, 2}, {-1, 1}, {-1.5, 0, 1.5}}
	plr := smallConfig()
	plr.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, Dim: 3, Frequencies: 4, FrequencyScale: 0.1}
	plrBN := plr
	plrBN.BatchNormContinuousInput = true
	plrBN.NumEmbedding.PerFeatureLinear = true
	ple := smallConfig()
	ple.NumEmbedding = models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLE, Bins: 3}
	pleLinear := ple
	pleLinear.NumEmbedding.Dim = 2
	return []struct {
		name   string
		cfg    Config
		schema models.Schema
	}{
		{"plr", plr, schema},
		{"plr per feature, batch norm", plrBN, schema},
		{"ple", ple, binned},
		{"ple linear", pleLinear, binned},
	}
}

func TestNumEmbedding(t *testing.T) {
	for _, tt := range numEmbedded() {
		t.Run(tt.name, func(t *testing.T) {
			built, err := tt.cfg.Build(tt.schema)
			if err != nil {
				t.Fatal(err)
			}
			m := built
			cont, cat := rows(rand.New(rand.NewPCG(1, 2)), 9)
			noise := rand.NewPCG(3, 4)
			t.Run("gradients", func(t *testing.T) {
				f := nntest.Func{
					Forward: func(*tensor.Mat) float64 {
						noise.Seed(3, 4)
						m.Forward(cont, cat, true, rand.New(noise))
						return m.Loss(true)
					},
					Backward: func() *tensor.Mat { m.Backward(); return nil },
					Params:   m.Params(),
				}
				nntest.Check(t, f, nil, nntest.Options{Eps: 1e-3, Tol: 1e-2})
			})
			t.Run("size", func(t *testing.T) {
				z := tt.cfg.Size(tt.schema)
				embed, enc, err := tt.cfg.BuildFeaturizer(tt.schema)
				if err != nil {
					t.Fatal(err)
				}
				if z.All != nn.Size(m.Params()) || z.Featurizer != nn.Size(embed.Params())+nn.Size(enc.Params()) || z.InputDim != embed.OutDim() {
					t.Errorf("Size() = %+v; Build allocates %d, BuildFeaturizer %d with input width %d",
						z, nn.Size(m.Params()), nn.Size(embed.Params())+nn.Size(enc.Params()), embed.OutDim())
				}
			})
			t.Run("allocations", func(t *testing.T) {
				params := m.Params()
				r := rand.New(rand.NewPCG(5, 6))
				step := func() {
					nn.ZeroGrad(params)
					m.Forward(cont, cat, true, r)
					m.Loss(true)
					m.Backward()
				}
				step()
				if n := testing.AllocsPerRun(10, step); n != 0 {
					t.Errorf("%v allocations per pretraining step, want 0", n)
				}
			})
			t.Run("json", func(t *testing.T) {
				b, err := ssl.MarshalConfig(tt.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), `"num_embedding":{"kind":`) {
					t.Errorf("no num_embedding in %s", b)
				}
				back, err := ssl.UnmarshalConfig(b)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(back, ssl.Config(tt.cfg)) {
					t.Errorf("round trip:\ngot  %#v\nwant %#v", back, tt.cfg)
				}
			})
		})
	}
}

// Configs saved before numerical embeddings existed have no
// num_embedding: they load as before, and a plain config writes none.
func TestNumEmbeddingAbsent(t *testing.T) {
	b, err := ssl.MarshalConfig(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "num_embedding") {
		t.Errorf("a config without numerical embedding writes %s", b)
	}
	back, err := ssl.UnmarshalConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Common().NumEmbedding.Enabled() {
		t.Errorf("decoded %+v", back.Common().NumEmbedding)
	}
	var bad map[string]any
	json.Unmarshal(b, &bad)
	bad["config"].(map[string]any)["common"].(map[string]any)["num_embedding"] = map[string]any{"kind": "plr", "bins": 3}
	b, _ = json.Marshal(bad)
	if _, err := ssl.UnmarshalConfig(b); err == nil || !strings.Contains(err.Error(), `ssl config: num_embedding: bins is set, but kind "plr" does not use it`) {
		t.Errorf("a damaged num_embedding: got %v", err)
	}
}
