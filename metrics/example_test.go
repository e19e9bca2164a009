package metrics_test

import (
	"errors"
	"fmt"

	"github.com/gotabular/gotabular/metrics"
)

func ExampleROCAUC() {
	positive := []bool{false, false, true, true}
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	auc, err := metrics.ROCAUC(positive, scores)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AUC = %.2f\n", auc)

	// With one class there are no positive-negative pairs to rank.
	_, err = metrics.ROCAUC([]bool{true, true}, []float64{0.3, 0.9})
	fmt.Println(errors.Is(err, metrics.ErrOneClass))
	// Output:
	// AUC = 0.75
	// true
}

func ExampleMacroROCAUC() {
	// Three rows, three classes; probs is row-major 3×3.
	labels := []int32{0, 1, 2}
	probs := []float64{
		0.8, 0.1, 0.1,
		0.2, 0.7, 0.1,
		0.3, 0.3, 0.4,
	}
	auc, err := metrics.MacroROCAUC(labels, probs, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("macro AUC = %.2f\n", auc)
	// Output:
	// macro AUC = 1.00
}

func ExampleLogLoss() {
	labels := []int32{1, 0, 0, 1}
	probs := []float64{
		0.1, 0.9,
		0.9, 0.1,
		0.8, 0.2,
		0.35, 0.65,
	}
	fmt.Printf("log-loss = %.5f\n", metrics.LogLoss(labels, probs, 2))
	// Output:
	// log-loss = 0.21616
}

func ExampleMacroF1() {
	labels := []int32{0, 1, 2, 0, 1, 2}
	pred := []int32{0, 2, 1, 0, 0, 1}
	fmt.Printf("accuracy = %.3f\n", metrics.Accuracy(labels, pred))
	fmt.Printf("F1(class 0) = %.3f\n", metrics.F1(labels, pred, 0))
	fmt.Printf("macro F1 = %.3f\n", metrics.MacroF1(labels, pred, 3))
	// Output:
	// accuracy = 0.333
	// F1(class 0) = 0.800
	// macro F1 = 0.267
}

func ExampleR2() {
	y := []float64{3, -0.5, 2, 7}
	yhat := []float64{2.5, 0.0, 2, 8}
	fmt.Printf("RMSE = %.4f\n", metrics.RMSE(y, yhat))
	fmt.Printf("MAE  = %.4f\n", metrics.MAE(y, yhat))
	fmt.Printf("R²   = %.4f\n", metrics.R2(y, yhat))

	// R² is undefined for a constant target.
	fmt.Println(metrics.R2([]float64{5, 5, 5}, []float64{5, 5, 5}))
	// Output:
	// RMSE = 0.6124
	// MAE  = 0.5000
	// R²   = 0.9486
	// NaN
}

func ExampleHigherIsBetter() {
	for _, name := range metrics.Names("regression") {
		higher, err := metrics.HigherIsBetter(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(name, higher)
	}
	_, err := metrics.HigherIsBetter("auc")
	fmt.Println(err)
	// Output:
	// rmse false
	// mae false
	// r2 true
	// metrics: unknown metric "auc" (known: accuracy, f1, log_loss, loss, mae, r2, rmse, roc_auc)
}

func ExampleROCCurve() {
	positive := []bool{false, false, true, true}
	scores := []float64{0.1, 0.4, 0.35, 0.8}
	fpr, tpr := metrics.ROCCurve(positive, scores)
	for i := range fpr {
		fmt.Printf("(%.1f, %.1f) ", fpr[i], tpr[i])
	}
	fmt.Println()
	// Output: (0.0, 0.0) (0.0, 0.5) (0.5, 0.5) (0.5, 1.0) (1.0, 1.0)
}
