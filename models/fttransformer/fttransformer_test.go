package fttransformer_test

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/fttransformer"
	"github.com/gotabular/gotabular/models/modeltest"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

var schema = models.Schema{
	Continuous: []string{"a", "b"},
	Categorical: []models.Categorical{
		{Name: "small", Cardinality: 3},
		{Name: "big", Cardinality: 9},
	},
}

// small is a config quick enough to check gradients on.
func small() fttransformer.Config {
	c := fttransformer.NewConfig()
	c.InputEmbedDim, c.NumHeads, c.NumAttnBlocks, c.FFHiddenMultiplier = 8, 2, 2, 1.5
	return c
}

func batch(rng *rand.Rand, rows int) (*tensor.Mat, *tensor.IntMat) {
	cont := nntest.Rand(rng, rows, len(schema.Continuous))
	cat := tensor.NewInt(rows, len(schema.Categorical))
	for i := range rows {
		for j, f := range schema.Categorical {
			cat.Data[i*cat.Cols+j] = int32(rng.IntN(f.Cardinality))
		}
	}
	return cont, cat
}

// Size is exact, for tokens and for a flat input, with every kind of
// feed-forward activation: loading checks it against the weights file.
func TestSize(t *testing.T) {
	tokens := models.Input{Schema: schema, Width: 4 * 8, Tokens: 4, TokenDim: 8}
	for _, tt := range []struct {
		name string
		edit func(*fttransformer.Config)
		in   models.Input
	}{
		{"tokens/GEGLU", func(*fttransformer.Config) {}, tokens},
		{"tokens/ReLU", func(c *fttransformer.Config) { c.TransformerActivation = "ReLU" }, tokens},
		{"tokens/one block", func(c *fttransformer.Config) { c.NumAttnBlocks = 1 }, tokens},
		{"flat", func(*fttransformer.Config) {}, models.FlatInput(5)},
		{"flat/ReGLU", func(c *fttransformer.Config) { c.TransformerActivation = "reglu" }, models.FlatInput(3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := small()
			tt.edit(&c)
			b, err := c.Build("b", tt.in, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			params, out := c.Size(tt.in)
			if got := nn.Size(b.Params()); got != params || out != b.OutDim() {
				t.Errorf("Size = %d values, width %d; the built backbone has %d, width %d", params, out, got, b.OutDim())
			}
		})
	}
	for _, emb := range []models.EmbeddingConfig{
		{},
		{BatchNormContinuous: true, Dropout: 0.1, MaxOnehotCardinality: 4},
		{NumEmbedding: models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR}},
	} {
		modeltest.ConfigSize(t, models.Config{Task: "classification", Backbone: small(), Embedding: emb, IncludeInput: true}, schema, 3)
	}
}

// The whole backbone's gradient, dropout included, against finite
// differences; each check would catch a gradient 10% off. The step is
// smaller than the default: the output is a ReLU after a LayerNorm, whose
// small per-row spread makes a step of 1e-2 cross the ReLU's kink; the
// seed is one whose rows stay clear of it at 1e-3.
func TestGradient(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   models.Input
		act  string
	}{
		{"tokens", models.Input{Schema: schema, Width: 3 * 8, Tokens: 3, TokenDim: 8}, "GEGLU"},
		{"flat", models.FlatInput(3), "GELU"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := rand.NewPCG(5, 5)
			c := small()
			c.TransformerActivation = tt.act
			b, err := c.Build("b", tt.in, rand.New(src))
			if err != nil {
				t.Fatal(err)
			}
			x := nntest.Rand(rand.New(rand.NewPCG(4, 4)), 4, tt.in.Width)
			opt := nntest.Options{Train: true, Reset: func() { src.Seed(5, 5) }, MaxChecks: 12, Eps: 1e-3, Tol: 3e-2}
			nntest.CheckModule(t, b, x, opt)
			nntest.CheckCatches(t, nntest.ModuleFunc(b, opt), x, opt)
		})
	}
}

// The supervised network's gradients reach the token embedder: the
// tokenizer (or PLR), the continuous batch norm and the categorical
// tables.
func TestSupervisedGradient(t *testing.T) {
	for _, tt := range []struct {
		name string
		emb  models.EmbeddingConfig
	}{
		{"tokenizer", models.EmbeddingConfig{BatchNormContinuous: true}},
		{"plr", models.EmbeddingConfig{NumEmbedding: models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, FrequencyScale: 0.1}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := small()
			c.AttnDropout, c.AddNormDropout, c.FFDropout = 0, 0, 0
			c.NumAttnBlocks = 1
			c.TransformerActivation = "GEGLU"
			n, err := models.NewSupervised(models.Config{Task: "regression", Backbone: c, Embedding: tt.emb}, schema, 2)
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := batch(rand.New(rand.NewPCG(5, 5)), 6)
			r := nntest.Rand(rand.New(rand.NewPCG(6, 6)), 6, 2)
			f := nntest.Func{
				Forward: func(*tensor.Mat) float64 {
					y := n.Forward(cont, cat, true)
					s := 0.0
					for i, v := range y.Data[:y.Rows*y.Cols] {
						s += float64(v) * float64(r.Data[i])
					}
					return s
				},
				Backward: func() *tensor.Mat { n.Backward(r); return nil },
				Params:   n.Params(),
			}
			nntest.Check(t, f, nil, nntest.Options{Train: true, MaxChecks: 8, Eps: 1e-3, Tol: 3e-2})
		})
	}
}

// A training step of a supervised FT-Transformer allocates nothing once
// its buffers are sized, for a full batch and a smaller last one.
func TestStepAllocations(t *testing.T) {
	n, err := models.NewSupervised(models.Config{
		Task: "classification", Backbone: small(), Embedding: models.EmbeddingConfig{BatchNormContinuous: true, Dropout: 0.1},
	}, schema, 2)
	if err != nil {
		t.Fatal(err)
	}
	cont, cat := batch(rand.New(rand.NewPCG(5, 5)), 64)
	modeltest.SupervisedStepAllocations(t, n, cont, cat, 40)
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name, want string
		edit       func(*fttransformer.Config)
	}{
		{"heads", "num_heads", func(c *fttransformer.Config) { c.NumHeads = 3 }},
		{"dim", "input_embed_dim", func(c *fttransformer.Config) { c.InputEmbedDim = -1 }},
		{"blocks", "num_attn_blocks", func(c *fttransformer.Config) { c.NumAttnBlocks = 1 << 20 }},
		{"dropout", "ff_dropout", func(c *fttransformer.Config) { c.FFDropout = 1 }},
		{"multiplier", "ff_hidden_multiplier", func(c *fttransformer.Config) { c.FFHiddenMultiplier = 1e9 }},
		{"activation", "transformer_activation", func(c *fttransformer.Config) { c.TransformerActivation = "swish" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := fttransformer.NewConfig()
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: %v, want an error naming %s", err, tt.want)
			}
		})
	}
	// The token embedder refuses what cannot be tokens.
	for _, emb := range []models.EmbeddingConfig{
		{Dims: map[string]int{"big": 4}},
		{NumEmbedding: models.NumEmbeddingConfig{Kind: models.NumEmbeddingPLR, Dim: 5}},
	} {
		if _, err := models.NewSupervised(models.Config{Task: "regression", Backbone: small(), Embedding: emb}, schema, 1); err == nil {
			t.Errorf("embedding %+v with tokens of 8: no error", emb)
		}
	}
}

// The registry decodes a saved config, and a file's missing fields take
// the defaults.
func TestRegistry(t *testing.T) {
	c := small()
	b, err := models.MarshalBackbone(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := models.UnmarshalBackbone(b)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip: %#v (%v), want %#v", back, err, c)
	}
	raw, _ := json.Marshal(map[string]any{"name": fttransformer.Name, "config": map[string]any{"num_attn_blocks": 3}})
	got, err := models.UnmarshalBackbone(raw)
	want := fttransformer.NewConfig()
	want.NumAttnBlocks = 3
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("partial config: %#v (%v), want %#v", got, err, want)
	}
}
