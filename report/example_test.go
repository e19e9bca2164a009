package report_test

import (
	"bytes"
	"fmt"

	"github.com/gotabular/gotabular/report"
)

// A classifier's report: its curves per epoch, then its predictions on
// the validation rows.
func ExamplePlots() {
	m, err := fit("classification", "label")
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, err := report.Plots(m, report.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range ids {
		fmt.Println(id)
	}
	// Output:
	// plot-loss
	// plot-metric-accuracy
	// plot-metric-f1
	// plot-metric-roc_auc
	// plot-roc
	// plot-confusion
}

// A pretrained denoising autoencoder's report: its pretext figures per
// epoch, then how well it restores each feature and finds its corruption
// on its validation rows.
func ExamplePlots_pretrained() {
	m, err := pretrain()
	if err != nil {
		fmt.Println(err)
		return
	}
	ids, err := report.Plots(m, report.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, id := range ids {
		fmt.Println(id)
	}
	// Output:
	// plot-loss
	// plot-metric-categorical_accuracy
	// plot-metric-categorical_loss
	// plot-metric-continuous_loss
	// plot-metric-continuous_rmse
	// plot-metric-mask_accuracy
	// plot-metric-mask_loss
	// plot-reconstruction
	// plot-mask-accuracy
}

func ExampleWrite() {
	m, err := fit("regression", "amount")
	if err != nil {
		fmt.Println(err)
		return
	}
	var page bytes.Buffer
	if err := report.Write(&page, m, report.Options{Title: "amount"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(page.Bytes(), []byte(`<svg id="`+report.PlotPredicted+`"`)))
	// Output: true
}
