package fttransformer_test

import (
	"fmt"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/fttransformer"
	"github.com/gotabular/gotabular/tensor"
)

// A supervised FT-Transformer over two continuous and one categorical
// feature: the embedder gives each row 3 tokens of 16, and the backbone
// gives the head the CLS token's final state.
func Example() {
	c := fttransformer.NewConfig()
	c.InputEmbedDim, c.NumHeads, c.NumAttnBlocks = 16, 4, 2
	s := models.Schema{Continuous: []string{"age", "income"}, Categorical: []models.Categorical{{Name: "city", Cardinality: 5}}}
	net, err := models.NewSupervised(models.Config{Task: "classification", Backbone: c}, s, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("embedder:", net.Embed.Input().Tokens, "tokens of", net.Embed.Input().TokenDim)
	fmt.Println("backbone output:", net.Backbone.OutDim())
	cont := tensor.FromSlice(2, 2, []float32{0.5, -1, 1.2, 0.3})
	cat := &tensor.IntMat{Rows: 2, Cols: 1, Data: []int32{3, 0}} // 0: unknown city
	y := net.Forward(cont, cat, false)
	fmt.Printf("logits: %d×%d\n", y.Rows, y.Cols)
	// Output:
	// embedder: 3 tokens of 16
	// backbone output: 16
	// logits: 2×2
}
