// Package ssltest holds the checks that every self-supervised method's
// tests run: gradients against finite differences, a step that allocates
// nothing, Size against what Build allocates, the JSON round trip, and a
// short training that must lower the loss. A new method's tests call them
// on its own configs.
package ssltest

import (
	"iter"
	"math"
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

// Batches yields the rows of cont and cat in batches of size rows, the
// last one shorter. The views it yields are reused from batch to batch,
// as a caller streaming its rows would do.
func Batches(cont *tensor.Mat, cat *tensor.IntMat, size int) iter.Seq2[*tensor.Mat, *tensor.IntMat] {
	return func(yield func(*tensor.Mat, *tensor.IntMat) bool) {
		var cv tensor.Mat
		var kv tensor.IntMat
		for lo := 0; lo < cont.Rows; lo += size {
			hi := min(lo+size, cont.Rows)
			kv = tensor.IntMat{Rows: hi - lo, Cols: cat.Cols, Data: cat.Data[lo*cat.Cols : hi*cat.Cols]}
			if !yield(cv.SetRowView(cont, lo, hi), &kv) {
				return
			}
		}
	}
}

// CheckFeatureDiagnostics checks a model that implements
// [ssl.FeatureDiagnoser]: an entry per feature of Schema with its name and
// kind; figures that agree with the batch metrics of Forward on the same
// rows and noise (the mean mask accuracy over features is the batch's
// mask accuracy, and so on); and no allocation per batch.
func CheckFeatureDiagnostics(t *testing.T, m ssl.Model) {
	t.Helper()
	fd, ok := m.(ssl.FeatureDiagnoser)
	if !ok {
		t.Fatalf("%T does not implement ssl.FeatureDiagnoser", m)
	}
	const n = 240
	cont, cat := Rows(rand.New(rand.NewPCG(8, 8)), n)
	got := fd.DiagnoseFeatures(Batches(cont, cat, n), rand.New(rand.NewPCG(9, 9)))
	m.Forward(cont, cat, false, rand.New(rand.NewPCG(9, 9)))
	m.Loss(false)
	want := map[string]float64{}
	for _, v := range m.Metrics() {
		want[v.Name] = v.Value
	}

	names := []string{"x1", "x2", "x3", "yes_no", "colour", "city"}
	kinds := []string{ssl.FeatureContinuous, ssl.FeatureContinuous, ssl.FeatureContinuous, ssl.FeatureBinary, ssl.FeatureCategorical, ssl.FeatureCategorical}
	if len(got) != len(names) {
		t.Fatalf("%d feature diagnostics, want %d", len(got), len(names))
	}
	var mask, sq, catErr float64
	for j, f := range got {
		if f.Name != names[j] || f.Kind != kinds[j] || f.Rows != n {
			t.Errorf("feature %d is %q (%s) on %d rows, want %q (%s) on %d", j, f.Name, f.Kind, f.Rows, names[j], kinds[j], n)
		}
		if f.Corrupted < 0 || f.Corrupted > n || f.MaskAccuracy < 0 || f.MaskAccuracy > 1 || f.Error < 0 || f.CorruptedError < 0 {
			t.Errorf("feature %s: figures out of range: %+v", f.Name, f)
		}
		mask += f.MaskAccuracy / float64(len(got))
		if f.Kind == ssl.FeatureContinuous {
			sq += f.Error * f.Error / 3
		} else {
			catErr += f.Error / 3 // every row of Rows has a known category
		}
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"mask_accuracy", mask, want["mask_accuracy"]},
		{"continuous_rmse", math.Sqrt(sq), want["continuous_rmse"]},
		{"categorical_accuracy", 1 - catErr, want["categorical_accuracy"]},
	} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s from the per-feature figures is %v; the batch metric is %v", c.name, c.got, c.want)
		}
	}

	// The corruption draws from the batch, so batches of another size give
	// other figures, but the same rows in the same batches give the same.
	again := fd.DiagnoseFeatures(Batches(cont, cat, n), rand.New(rand.NewPCG(9, 9)))
	if !reflect.DeepEqual(again, got) {
		t.Errorf("the same rows and noise gave other figures:\n%+v\n%+v", again, got)
	}

	noise := rand.New(rand.NewPCG(1, 1))
	allocs := func(size int) float64 {
		return testing.AllocsPerRun(5, func() { fd.DiagnoseFeatures(Batches(cont, cat, size), noise) })
	}
	allocs(n / 8) // size the buffers for batches of n/8 rows
	if one, eight := allocs(n), allocs(n/8); eight > one {
		t.Errorf("%v allocations for 8 batches, %v for one: want none per batch", eight, one)
	}
}
