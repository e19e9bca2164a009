package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gotabular/gotabular/tensor"
)

// Initializations lists the weight initialisation schemes.
var Initializations = []string{"kaiming", "xavier", "random"}

// Gain returns the recommended initialisation gain for an activation, as
// torch.nn.init.calculate_gain does.
func Gain(activation string) float64 {
	switch strings.ToLower(activation) {
	case "relu":
		return math.Sqrt2
	case "leakyrelu":
		return math.Sqrt(2 / (1 + LeakySlope*LeakySlope))
	default:
		return 1
	}
}

// Initialize re-initialises the weights w (fanIn×fanOut) of a Linear layer
// followed by activation: "kaiming" is He-normal with the activation's gain
// (activations other than ReLU use the leaky-ReLU gain, as PyTorch Tabular
// does), "xavier" is Glorot-normal, "random" keeps PyTorch's default
// uniform initialisation.
func Initialize(w *tensor.Mat, scheme, activation string, rng *rand.Rand) error {
	fanIn, fanOut := w.Rows, w.Cols
	switch strings.ToLower(scheme) {
	case "kaiming", "":
		g := Gain(activation)
		if !strings.EqualFold(activation, "relu") {
			g = Gain("leakyrelu")
		}
		normal(w.Data, g/math.Sqrt(float64(fanIn)), rng)
	case "xavier":
		normal(w.Data, Gain(activation)*math.Sqrt(2/float64(fanIn+fanOut)), rng)
	case "random":
		uniform(w.Data, 1/math.Sqrt(float64(fanIn)), rng)
	default:
		return fmt.Errorf("initialization %q: want one of %s", scheme, strings.Join(Initializations, ", "))
	}
	return nil
}

func normal(d []float32, std float64, rng *rand.Rand) {
	for i := range d {
		d[i] = float32(rng.NormFloat64() * std)
	}
}

func uniform(d []float32, bound float64, rng *rand.Rand) {
	for i := range d {
		d[i] = float32((2*rng.Float64() - 1) * bound)
	}
}
