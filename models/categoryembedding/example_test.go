package categoryembedding_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

// The MLP backbone; unset fields take PyTorch Tabular's defaults.
func ExampleConfig_WithDefaults() {
	c := categoryembedding.Config{Dropout: 0.1}.WithDefaults()
	fmt.Printf("layers %s, activation %s, initialization %s, dropout %v, batch norm %v\n",
		c.Layers, c.Activation, c.Initialization, c.Dropout, c.UseBatchNorm)
	// Output:
	// layers 128-64-32, activation ReLU, initialization kaiming, dropout 0.1, batch norm false
}

func ExampleConfig_Validate() {
	for _, c := range []categoryembedding.Config{
		{Layers: "256-128", Activation: "GELU", UseBatchNorm: true},
		{Layers: "256-0"},
		{Activation: "Swish"},
		{Dropout: 1},
	} {
		fmt.Println(c.Validate())
	}
	// Output:
	// <nil>
	// layers "256-0": "0" is not a positive width (want e.g. "512-256-128")
	// activation "Swish": want one of ReLU, LeakyReLU, GELU
	// dropout 1: want a probability in [0, 1)
}

// A backbone config is saved with its name, so that a saved model can
// rebuild it.
func ExampleConfig_json() {
	b, err := models.MarshalBackbone(categoryembedding.Config{Layers: "64-32", Dropout: 0.2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
	back, err := models.UnmarshalBackbone(b)
	if err != nil {
		log.Fatal(err)
	}
	c := back.(categoryembedding.Config)
	fmt.Println(back.Name(), c.Layers, c.Dropout)

	// In JSON or YAML the config is its fields.
	if err := json.Unmarshal([]byte(`{"layers": "16", "use_batch_norm": true}`), &c); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Layers, c.UseBatchNorm)
	// Output:
	// {"name":"CategoryEmbedding","config":{"layers":"64-32","dropout":0.2}}
	// CategoryEmbedding 64-32 0.2
	// 16 true
}
