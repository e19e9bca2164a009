package tensor_test

import (
	"fmt"
	"math"

	"github.com/gotabular/gotabular/tensor"
)

// A linear layer's forward pass: y = ReLU(x·W + b), with the bias and the
// activation applied in the product's write-back.
func ExampleGemmBias() {
	x := &tensor.Mat{Rows: 2, Cols: 3, Stride: 3, Data: []float32{
		1, 2, 3,
		-1, 0, 1,
	}}
	w := &tensor.Mat{Rows: 3, Cols: 2, Stride: 2, Data: []float32{
		1, -1,
		0, 1,
		1, 0,
	}}
	b := []float32{0.5, -2}
	y := tensor.New(2, 2)
	tensor.GemmBias(false, false, x, w, b, tensor.ReLU, y)
	fmt.Println(y.Row(0), y.Row(1))
	// Output: [4.5 0] [0.5 0]
}

// The backward pass through a ReLU and the linear layer after it: the
// gradient reaching the ReLU's output h is dz·W2ᵀ, and the ReLU passes it
// on only where h > 0. GemmReLUGrad does both in one product.
func ExampleGemmReLUGrad() {
	h := &tensor.Mat{Rows: 2, Cols: 3, Stride: 3, Data: []float32{
		1, 0, 2,
		0, 3, 0,
	}}
	w2 := &tensor.Mat{Rows: 3, Cols: 2, Stride: 2, Data: []float32{
		1, 2,
		0, 1,
		-1, 1,
	}}
	dz := &tensor.Mat{Rows: 2, Cols: 2, Stride: 2, Data: []float32{
		1, 1,
		2, -1,
	}}
	dh := tensor.New(2, 3)
	tensor.GemmReLUGrad(false, true, dz, w2, h, dh)
	fmt.Println(dh.Row(0), dh.Row(1))
	// Output: [3 0 0] [0 -1 0]
}

// Batch normalisation in training: the column means and variances of the
// batch, then each column brought to mean 0 and variance 1 and mapped by
// its scale γ and shift β.
func ExampleNormalizeColumns() {
	x := &tensor.Mat{Rows: 4, Cols: 2, Stride: 2, Data: []float32{
		1, 10,
		2, 20,
		3, 30,
		4, 40,
	}}
	rows := float32(x.Rows)
	mean := make([]float32, 2)
	tensor.AddColumnSums(mean, x)
	for j := range mean {
		mean[j] /= rows
	}
	invStd := make([]float32, 2)
	tensor.AddColumnSquares(invStd, x, mean) // Σ (x − mean)²
	for j, s := range invStd {
		invStd[j] = float32(1 / math.Sqrt(float64(s/rows)+1e-5))
	}
	gamma, beta := []float32{1, 2}, []float32{0, 1}
	xhat, y := tensor.New(4, 2), tensor.New(4, 2)
	tensor.NormalizeColumns(x, mean, invStd, gamma, beta, xhat, y)
	fmt.Printf("mean %v\n", mean)
	for i := range y.Rows {
		fmt.Printf("%.3f\n", y.Row(i))
	}
	// Output:
	// mean [2.5 25]
	// [-1.342 -1.683]
	// [-0.447 0.106]
	// [0.447 1.894]
	// [1.342 3.683]
}

func ExampleKernel() {
	switch tensor.Kernel() {
	case "avx512", "avx2", "go":
		fmt.Println("a known kernel")
	}
	// Output: a known kernel
}
