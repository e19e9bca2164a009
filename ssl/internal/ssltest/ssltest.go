// Package ssltest holds the checks that every self-supervised method's
// tests run: gradients against finite differences, a step that allocates
// nothing, Size against what Build allocates, the JSON round trip, and a
// short training that must lower the loss. A new method's tests call them
// on its own configs.
package ssltest

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/nn/nntest"
	"github.com/gotabular/gotabular/ssl"
	"github.com/gotabular/gotabular/tensor"
)

// Schema has a feature of every kind: three continuous, a binary
// categorical, and two more categoricals, which with a one-hot limit of 3
// enter the encoder one-hot and embedded.
var Schema = models.Schema{
	Continuous: []string{"x1", "x2", "x3"},
	Categorical: []models.Categorical{
		{Name: "yes_no", Cardinality: 3}, // binary
		{Name: "colour", Cardinality: 4}, // one-hot input, cross-entropy target
		{Name: "city", Cardinality: 9},   // embedded input, cross-entropy target
	},
}

// Rows returns n rows of Schema. x2 and yes_no follow x1, so that there is
// something to reconstruct; x3 and city vary freely, so that rows differ
// from each other and a contrastive method can tell them apart.
func Rows(rng *rand.Rand, n int) (*tensor.Mat, *tensor.IntMat) {
	cont := tensor.New(n, 3)
	cat := tensor.NewInt(n, 3)
	for i := range n {
		z := rng.NormFloat64()
		cont.Set(i, 0, float32(z))
		cont.Set(i, 1, float32(z+0.1*rng.NormFloat64()))
		cont.Set(i, 2, float32(rng.NormFloat64()))
		c := cat.Row(i)
		c[0] = 1
		if z > 0 {
			c[0] = 2
		}
		c[1] = int32(1 + rng.IntN(3))
		c[2] = int32(rng.IntN(9))
	}
	return cont, cat
}

// Build builds c for Schema.
func Build(t testing.TB, c ssl.Config) ssl.Model {
	t.Helper()
	m, err := c.Build(Schema)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// CheckGradients checks the gradients of m's loss on a batch of 9 rows
// against central differences, with the same corruption on every pass.
// The loss is multiplied by scale, so that a loss whose gradients are far
// below 1 is not checked against nntest's tolerance floor of 1 alone.
func CheckGradients(t *testing.T, m ssl.Model, scale float64) {
	t.Helper()
	cont, cat := Rows(rand.New(rand.NewPCG(1, 2)), 9)
	noise := rand.NewPCG(3, 4)
	f := nntest.Func{
		Forward: func(*tensor.Mat) float64 {
			noise.Seed(3, 4)
			m.Forward(cont, cat, true, rand.New(noise))
			return scale * m.Loss(true)
		},
		Backward: func() *tensor.Mat {
			m.Backward()
			for _, p := range nn.Trainable(m.Params()) {
				tensor.Scale(float32(scale), p.Grad.Data)
			}
			return nil
		},
		Params: m.Params(),
	}
	nntest.Check(t, f, nil, nntest.Options{Eps: 1e-2, Tol: 1e-2})
}

// CheckStepAllocations checks that a pretraining step in steady state
// allocates nothing.
func CheckStepAllocations(t *testing.T, m ssl.Model) {
	t.Helper()
	cont, cat := Rows(rand.New(rand.NewPCG(1, 1)), 32)
	noise := rand.New(rand.NewPCG(2, 2))
	params := m.Params()
	step := func() {
		nn.ZeroGrad(params)
		m.Forward(cont, cat, true, noise)
		m.Loss(true)
		m.Backward()
	}
	step()
	if n := testing.AllocsPerRun(10, step); n != 0 {
		t.Errorf("%v allocations per pretraining step, want 0", n)
	}
}

// CheckSize checks that Size agrees with what Build and BuildFeaturizer
// allocate: loading relies on it to refuse damaged files before
// allocating.
func CheckSize(t *testing.T, c ssl.Config) {
	t.Helper()
	m := Build(t, c)
	z := c.Size(Schema)
	embed, enc, err := c.BuildFeaturizer(Schema)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := z.All, nn.Size(m.Params()); got != want {
		t.Errorf("Size().All = %d, Build allocates %d", got, want)
	}
	if got, want := z.Featurizer, nn.Size(embed.Params())+nn.Size(enc.Params()); got != want {
		t.Errorf("Size().Featurizer = %d, BuildFeaturizer allocates %d", got, want)
	}
	if z.FeatureDim != enc.OutDim() || z.InputDim != embed.OutDim() {
		t.Errorf("Size() dims %d, %d; built %d, %d", z.FeatureDim, z.InputDim, enc.OutDim(), embed.OutDim())
	}
	for i, p := range append(embed.Params(), enc.Params()...) {
		if q := m.Params()[i]; q.Name != p.Name {
			t.Errorf("parameter %d: BuildFeaturizer names it %q, Build %q", i, p.Name, q.Name)
		}
	}
}

// CheckJSONRoundTrip checks that c comes back unchanged through the
// registry's JSON, and that the struct tags of its method's default
// config describe settings the command line can offer.
func CheckJSONRoundTrip(t *testing.T, c ssl.Config) {
	t.Helper()
	b, err := ssl.MarshalConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ssl.UnmarshalConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\ngot  %#v\nwant %#v", back, c)
	}
	m, err := ssl.Lookup(c.Name())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ssl.Edit(m.New()); err != nil {
		t.Errorf("the config's struct tags: %v", err)
	}
}

// CheckRejects checks that every modification of a valid config makes
// Build fail.
func CheckRejects[C ssl.Config](t *testing.T, valid C, cases map[string]func(*C)) {
	t.Helper()
	for name, modify := range cases {
		t.Run(name, func(t *testing.T) {
			c := valid
			modify(&c)
			if _, err := c.Build(Schema); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// Train runs steps of plain gradient descent with rate lr on n rows and
// returns the loss, and the metrics, of an evaluation pass with fixed
// noise before and after.
func Train(m ssl.Model, n, steps int, lr float32) (before, after float64, mBefore, mAfter []ssl.Value) {
	cont, cat := Rows(rand.New(rand.NewPCG(4, 4)), n)
	noise := rand.New(rand.NewPCG(5, 5))
	eval := func() (float64, []ssl.Value) {
		m.Forward(cont, cat, false, rand.New(rand.NewPCG(6, 6)))
		return m.Loss(false), append([]ssl.Value(nil), m.Metrics()...)
	}
	before, mBefore = eval()
	for range steps {
		nn.ZeroGrad(m.Params())
		m.Forward(cont, cat, true, noise)
		m.Loss(true)
		m.Backward()
		for _, p := range nn.Trainable(m.Params()) {
			tensor.Axpy(-lr, p.Grad.Data, p.Value.Data)
		}
	}
	after, mAfter = eval()
	return before, after, mBefore, mAfter
}
