package resnet_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/resnet"
	"github.com/gotabular/gotabular/tensor"
)

// A ResNet backbone over 20 embedded columns, then used as the body of a
// supervised model (or, the same way, as an SSL method's EncoderConfig).
func Example() {
	c := resnet.Config{Blocks: 2, Main: 64, Hidden: 128} // dropouts: 0.2 hidden, 0 residual
	params, out := c.Size(models.FlatInput(20))
	fmt.Println("parameters:", params, "output width:", out)

	b, err := c.Build("backbone", models.FlatInput(20), rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	y := b.Forward(tensor.New(8, 20), false)
	fmt.Println("output:", y.Rows, "×", y.Cols, "in", len(b.(models.Staged).Stages()), "stages")

	mc := models.Config{Task: "classification", Backbone: c}
	fmt.Println("valid:", mc.Validate() == nil)
	// Output:
	// parameters: 35264 output width: 64
	// output: 8 × 64 in 2 stages
	// valid: true
}
