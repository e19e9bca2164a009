package gandalf_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/gandalf"
	"github.com/gotabular/gotabular/tensor"
)

// GANDALF over 10 embedded columns with PyTorch Tabular's defaults (6
// stages, 30% of the features masked at the start, learned thresholds),
// then used as the body of a supervised model (or, the same way, as an SSL
// method's EncoderConfig).
func Example() {
	c := gandalf.Config{}
	params, out := c.Size(models.FlatInput(10))
	fmt.Println("parameters:", params, "output width:", out)

	b, err := c.Build("backbone", models.FlatInput(10), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	y := b.Forward(tensor.New(8, 10), false)
	fmt.Println("output:", y.Rows, "×", y.Cols)

	masked := 0
	for _, w := range b.(*gandalf.Backbone).MaskWeights(0) {
		if w < 1e-6 {
			masked++
		}
	}
	fmt.Println("features masked by the first stage:", masked, "of 10")

	mc := models.Config{Task: "regression", Backbone: c}
	fmt.Println("valid:", mc.Validate() == nil)
	// Output:
	// parameters: 3846 output width: 10
	// output: 8 × 10
	// features masked by the first stage: 3 of 10
	// valid: true
}
