package models_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

// binned is schema with PLE bin edges: three bins for a, one for b.
func binned() models.Schema {
	s := schema
	s.BinEdges = [][]float64{{-1, -0.2, 0.6, 1.5}, {-3, 3}}
	return s
}

var numEmbeddingConfigs = []struct {
	name string
	cfg  models.EmbeddingConfig
}{
	{"plr", models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: "plr", Dim: 3, Frequencies: 4, FrequencyScale: 0.2}}},
	{"plr per feature + bn", models.EmbeddingConfig{BatchNormContinuous: true, MaxOnehotCardinality: 4,
		NumEmbedding: models.NumEmbeddingConfig{Kind: "plr", Dim: 3, Frequencies: 4, FrequencyScale: 0.2, PerFeatureLinear: true}}},
	{"ple", models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: "ple", Bins: 3}}},
	{"ple linear + bn", models.EmbeddingConfig{BatchNormContinuous: true, MaxOnehotCardinality: 4,
		NumEmbedding: models.NumEmbeddingConfig{Kind: "ple", Bins: 4, Dim: 2}}},
	{"none", models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: "none"}}},
}

// awayFromEdges keeps continuous inputs off the bin edges of binned, so
// that finite differences do not straddle a clamp.
func awayFromEdges(cont *tensor.Mat) {
	s := binned()
	for i := range cont.Rows {
		r := cont.Row(i)
		for j := range r {
			for _, b := range s.BinEdges[j] {
				if d := float64(r[j]) - b; d > -0.05 && d < 0.05 {
					r[j] = float32(b + 0.1)
				}
			}
		}
	}
}

// The numerical embeddings inside the embedding layer, with its batch
// norm after them: the layers' own gradients are checked in nn, this
// checks how the embedding layer wires them.
func TestNumEmbeddingGradients(t *testing.T) {
	for _, tt := range numEmbeddingConfigs {
		t.Run(tt.name, func(t *testing.T) {
			e, err := models.NewEmbedding("e", binned(), tt.cfg, rand.New(rand.NewPCG(4, 4)))
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := batch(rand.New(rand.NewPCG(2, 2)), 6)
			awayFromEdges(cont)
			outputGrad(t, func(train bool) *tensor.Mat { return e.Forward(cont, cat, train) }, e.Backward, e.Params(),
				nntest.Options{Train: true, Eps: 1e-3, Tol: 1e-2})
		})
	}
}

func TestNumEmbeddingLayout(t *testing.T) {
	cfg := models.EmbeddingConfig{MaxOnehotCardinality: 2, Dims: map[string]int{"big": 4}, NumEmbedding: models.NumEmbeddingConfig{Kind: "ple"}}
	e, err := models.NewEmbedding("e", binned(), cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// 3 + 1 bins, 2 one-hot columns for "small", 4 embedding columns.
	if got := e.OutDim(); got != 10 {
		t.Fatalf("OutDim = %d, want 10", got)
	}
	cont := tensor.FromSlice(1, 2, []float32{0.2, 6})
	cat := &tensor.IntMat{Rows: 1, Cols: 2, Data: []int32{2, 1}}
	y := e.Forward(cont, cat, false)
	// a = 0.2 is halfway through its second bin; b = 6 is 1.5 times its
	// single bin's width above its left edge.
	want := []float32{1, 0.5, 0, 1.5, 0, 1}
	for k, w := range want {
		if d := y.Row(0)[k] - w; d > 1e-6 || d < -1e-6 {
			t.Fatalf("row %v, want it to start %v", y.Row(0), want)
		}
	}
	for _, p := range e.Params() {
		if strings.Contains(p.Name, "ple") {
			t.Errorf("the parameter-free encoding has parameter %s", p.Name)
		}
	}
}

// Size must agree with what NewEmbedding allocates: loading relies on it.
func TestNumEmbeddingSize(t *testing.T) {
	for _, tt := range numEmbeddingConfigs {
		t.Run(tt.name, func(t *testing.T) {
			e, err := models.NewEmbedding("e", binned(), tt.cfg, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			params, out := tt.cfg.Size(binned())
			if params != nn.Size(e.Params()) || out != e.OutDim() {
				t.Errorf("Size() = %d, %d; NewEmbedding makes %d, %d", params, out, nn.Size(e.Params()), e.OutDim())
			}
		})
	}
	// The defaults of rtdl_num_embeddings: 48 frequencies and 24 columns
	// per feature, and one shared Linear.
	params, out := models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: "plr"}}.Size(models.Schema{Continuous: []string{"a", "b", "c"}})
	if want := 3*48 + 96*24 + 24; params != want || out != 72 {
		t.Errorf("default PLR: Size() = %d, %d; want %d, 72", params, out, want)
	}
}

func TestNumEmbeddingConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		cfg    models.NumEmbeddingConfig
		schema models.Schema
		want   string
	}{
		{"kind", models.NumEmbeddingConfig{Kind: "periodic"}, schema, `num_embedding: kind "periodic": want one of none, plr, ple`},
		{"dim", models.NumEmbeddingConfig{Kind: "plr", Dim: -1}, schema, "num_embedding: dim -1"},
		{"huge dim", models.NumEmbeddingConfig{Kind: "plr", Dim: 1 << 40}, schema, "num_embedding: dim 1099511627776: want 0..1024"},
		{"frequencies", models.NumEmbeddingConfig{Kind: "plr", Frequencies: 5000}, schema, "num_embedding: frequencies 5000"},
		{"scale", models.NumEmbeddingConfig{Kind: "plr", FrequencyScale: -1}, schema, "num_embedding: frequency_scale -1"},
		{"bins", models.NumEmbeddingConfig{Kind: "ple", Bins: -2}, binned(), "num_embedding: bins -2"},
		{"bins of plr", models.NumEmbeddingConfig{Kind: "plr", Bins: 8}, schema, `num_embedding: bins is set, but kind "plr" does not use it`},
		{"frequencies of ple", models.NumEmbeddingConfig{Kind: "ple", Frequencies: 8}, binned(), `num_embedding: frequencies is set, but kind "ple" does not use it`},
		{"dim without kind", models.NumEmbeddingConfig{Dim: 8}, schema, `num_embedding: dim is set, but kind "none" does not use it`},
		{"per feature of ple", models.NumEmbeddingConfig{Kind: "ple", PerFeatureLinear: true}, binned(), "per_feature_linear is set"},
		{"ple without edges", models.NumEmbeddingConfig{Kind: "ple"}, schema, "num_embedding: ple needs the bin edges of the 2 continuous features, fitted with the preprocessing; there are 0"},
		{"more bins than asked", models.NumEmbeddingConfig{Kind: "ple", Bins: 2}, binned(), `num_embedding: ple: "a" has 4 bin edges; want 2..3 (bins 2)`},
		{"one edge", models.NumEmbeddingConfig{Kind: "ple"}, models.Schema{Continuous: []string{"a"}, BinEdges: [][]float64{{1}}}, `"a" has 1 bin edges`},
		{"unsorted edges", models.NumEmbeddingConfig{Kind: "ple"}, models.Schema{Continuous: []string{"a"}, BinEdges: [][]float64{{1, 0}}}, `"a": bin edge 1 (0) does not exceed the one before (1)`},
		{"edges equal in float32", models.NumEmbeddingConfig{Kind: "ple"}, models.Schema{Continuous: []string{"a"}, BinEdges: [][]float64{{1, 1.00000001}}}, "does not exceed"},
		{"edge beyond float32", models.NumEmbeddingConfig{Kind: "ple"}, models.Schema{Continuous: []string{"a"}, BinEdges: [][]float64{{0, 1e39}}}, "bin edge 1 is 1e+39"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := models.NewEmbedding("e", tt.schema, models.EmbeddingConfig{NumEmbedding: tt.cfg}, rand.New(rand.NewPCG(1, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// A supervised config is refused before any schema is known, so that
	// loading never sizes a network from absurd settings.
	c := models.Config{Task: "regression", Backbone: categoryembedding.Config{}, Embedding: models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: "plr", Frequencies: 1 << 30}}}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "model config: embedding: num_embedding: frequencies") {
		t.Errorf("Config.Validate: got %v", err)
	}
}

// A training step of a supervised network with a numerical embedding
// allocates nothing once its buffers are sized.
func TestNumEmbeddingStepAllocations(t *testing.T) {
	for _, tt := range numEmbeddingConfigs {
		t.Run(tt.name, func(t *testing.T) {
			n, err := models.NewSupervised(models.Config{
				Task: "classification", Backbone: categoryembedding.Config{Layers: "8"}, Embedding: tt.cfg,
			}, binned(), 2)
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := batch(rand.New(rand.NewPCG(5, 5)), 32)
			labels := make([]int32, 32)
			grad := tensor.New(32, 2)
			params := n.Params()
			step := func() {
				nn.ZeroGrad(params)
				nn.CrossEntropy(n.Forward(cont, cat, true), labels, grad)
				n.Backward(grad)
			}
			step()
			if a := testing.AllocsPerRun(10, step); a != 0 {
				t.Errorf("%v allocations per step, want 0", a)
			}
		})
	}
}
