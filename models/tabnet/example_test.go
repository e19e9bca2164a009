package tabnet_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/tabnet"
	"github.com/gotabular/gotabular/nn/nntest"
)

// TabNet over 10 embedded columns with PyTorch Tabular's defaults (3
// steps, n_d = n_a = 8, 2 shared and 2 independent GLU layers, γ 1.3,
// sparsemax masks), then used as the body of a supervised model (or, the
// same way, as an SSL method's EncoderConfig). Each step's mask picks a
// few of the columns for each row.
func Example() {
	c := tabnet.Config{}
	params, out := c.Size(models.FlatInput(10))
	fmt.Println("parameters:", params, "output width:", out)

	b, err := c.Build("backbone", models.FlatInput(10), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	x := nntest.Rand(rand.New(rand.NewPCG(3, 4)), 256, 10)
	y := b.Forward(x, true)
	fmt.Println("output:", y.Rows, "×", y.Cols)

	tn := b.(*tabnet.Backbone)
	m := tn.Mask(0)
	kept := 0
	for _, w := range m.Data {
		if w > 0 {
			kept++
		}
	}
	fmt.Printf("the first step keeps %.1f of 10 columns per row\n", float64(kept)/float64(m.Rows))
	fmt.Printf("sparsity loss: %.4f\n", tn.SparsityLoss())

	mc := models.Config{Task: "regression", Backbone: c}
	fmt.Println("valid:", mc.Validate() == nil)
	// Output:
	// parameters: 7376 output width: 8
	// output: 256 × 8
	// the first step keeps 3.0 of 10 columns per row
	// sparsity loss: 0.0008
	// valid: true
}
