package models_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/tensor"
)

var schema = models.Schema{
	Continuous: []string{"a", "b"},
	Categorical: []models.Categorical{
		{Name: "small", Cardinality: 3}, // two levels: one-hot when allowed
		{Name: "big", Cardinality: 9},   // embedded
	},
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

// outputGrad checks a network's gradients on L = Σ y ⊙ r.
func outputGrad(t *testing.T, forward func(train bool) *tensor.Mat, backward func(*tensor.Mat), params []*nn.Param, opt nntest.Options) {
	t.Helper()
	var r *tensor.Mat
	rng := rand.New(rand.NewPCG(1, 9))
	f := nntest.Func{
		Forward: func(*tensor.Mat) float64 {
			if opt.Reset != nil {
				opt.Reset()
			}
			y := forward(opt.Train)
			if r == nil {
				r = nntest.Rand(rng, y.Rows, y.Cols)
			}
			var s float64
			for i := range y.Rows {
				for j, v := range y.Row(i) {
					s += float64(v) * float64(r.At(i, j))
				}
			}
			return s
		},
		Backward: func() *tensor.Mat { backward(r); return nil },
		Params:   params,
	}
	nntest.Check(t, f, nil, opt)
}

func TestEmbeddingGradients(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  models.EmbeddingConfig
	}{
		{"embedded", models.EmbeddingConfig{}},
		{"onehot+bn", models.EmbeddingConfig{MaxOnehotCardinality: 4, BatchNormContinuous: true}},
		{"dropout", models.EmbeddingConfig{Dropout: 0.3, Dims: map[string]int{"big": 3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := rand.NewPCG(4, 4)
			e, err := models.NewEmbedding("e", schema, tt.cfg, rand.New(src))
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := batch(rand.New(rand.NewPCG(2, 2)), 6)
			outputGrad(t, func(train bool) *tensor.Mat { return e.Forward(cont, cat, train) }, e.Backward, e.Params(),
				nntest.Options{Train: true, Reset: func() { src.Seed(5, 5) }})
		})
	}
}

func TestEmbeddingLayout(t *testing.T) {
	e, err := models.NewEmbedding("e", schema, models.EmbeddingConfig{MaxOnehotCardinality: 2, Dims: map[string]int{"big": 4}}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// 2 continuous + 2 one-hot columns for "small" + 4 embedding columns.
	if got := e.OutDim(); got != 8 {
		t.Fatalf("OutDim = %d, want 8", got)
	}
	cont := tensor.FromSlice(2, 2, []float32{1, 2, 3, 4})
	cat := &tensor.IntMat{Rows: 2, Cols: 2, Data: []int32{2, 1, 0, 1}}
	y := e.Forward(cont, cat, false)
	if got, want := y.Row(0)[:4], []float32{1, 2, 0, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("row 0 = %v, want %v", got, want)
	}
	// Code 0 (unknown) is the zero one-hot vector.
	if got, want := y.Row(1)[:4], []float32{3, 4, 0, 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("row 1 = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(y.Row(0)[4:], y.Row(1)[4:]) {
		t.Error("the same code embedded differently")
	}
}

func TestEmbeddingConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  models.EmbeddingConfig
	}{
		{"dropout", models.EmbeddingConfig{Dropout: 1}},
		{"unknown column", models.EmbeddingConfig{Dims: map[string]int{"nope": 3}}},
		{"zero width", models.EmbeddingConfig{Dims: map[string]int{"big": 0}}},
		{"onehot", models.EmbeddingConfig{MaxOnehotCardinality: -1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := models.NewEmbedding("e", schema, tt.cfg, rand.New(rand.NewPCG(1, 1))); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestSupervisedGradients(t *testing.T) {
	for _, tt := range []struct {
		task        string
		deep, input bool
	}{
		{"classification", false, false}, {"regression", false, false},
		{"classification", true, false}, {"regression", false, true}, {"classification", true, true},
	} {
		task := tt.task
		t.Run(fmt.Sprintf("%s deep=%v input=%v", task, tt.deep, tt.input), func(t *testing.T) {
			c := models.Config{
				Task:         task,
				Backbone:     categoryembedding.Config{Layers: "8-6", Activation: "GELU", UseBatchNorm: true},
				Head:         models.HeadConfig{Layers: "5", Activation: "GELU"},
				Embedding:    models.EmbeddingConfig{MaxOnehotCardinality: 2, BatchNormContinuous: true},
				DeepFeatures: tt.deep, IncludeInput: tt.input,
			}
			n, err := models.NewSupervised(c, schema, 3)
			if err != nil {
				t.Fatal(err)
			}
			cont, cat := batch(rand.New(rand.NewPCG(3, 3)), 7)
			outputGrad(t, func(train bool) *tensor.Mat { return n.Forward(cont, cat, train) }, n.Backward, n.Params(), nntest.Options{Train: true})
			size, err := c.Size(schema, 3)
			if err != nil {
				t.Fatal(err)
			}
			if allocated := nn.Size(n.Params()); size != allocated {
				t.Errorf("Size() = %d, NewSupervised allocates %d", size, allocated)
			}
		})
	}
}

func TestParseLayers(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"512-256-128", []int{512, 256, 128}, false},
		{" 64 ", []int{64}, false},
		{"", nil, false},
		{"64--32", nil, true},
		{"64-x", nil, true},
		{"0", nil, true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := models.ParseLayers(tt.in)
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLayers(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestBackboneConfigRoundTrip(t *testing.T) {
	c := categoryembedding.Config{Layers: "32-16", Activation: "GELU", Dropout: 0.1, UseBatchNorm: true, Initialization: "xavier"}
	b, err := models.MarshalBackbone(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := models.UnmarshalBackbone(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, models.BackboneConfig(c)) {
		t.Errorf("round trip gave %#v, want %#v", back, c)
	}
	for _, bad := range []string{`{"name":"Nope","config":{}}`, `{"name":"CategoryEmbedding","config":{"layers":"1-x"}}`, `[`} {
		if _, err := models.UnmarshalBackbone([]byte(bad)); err == nil {
			t.Errorf("UnmarshalBackbone(%s) accepted", bad)
		}
	}
}
