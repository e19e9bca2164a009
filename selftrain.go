package gotabular

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/nn"
)

// prepareSelfTraining checks and encodes the rows of self-training.
func (f *finetuneSpec) prepareSelfTraining(prep *data.Preprocessor, opts FinetuneOptions) error {
	switch {
	case opts.PseudoLabels < 0:
		return fmt.Errorf("PseudoLabels %d: must be ≥ 0", opts.PseudoLabels)
	case opts.PseudoLabels == 0:
		return nil
	case opts.Task != config.Classification:
		return errors.New("self-training (PseudoLabels) is for classification: a regression has no confidence to choose rows by")
	case opts.Unlabelled == nil || opts.Unlabelled.Rows == 0:
		return errors.New("self-training (PseudoLabels) needs the unlabelled rows (FinetuneOptions.Unlabelled)")
	}
	d, err := prep.Transform(opts.Unlabelled)
	if err != nil {
		return err
	}
	f.PseudoLabels, f.unlabelled = min(opts.PseudoLabels, d.N), d
	return nil
}

// selfTrain fine-tunes the members, labels the unlabelled rows with the
// model, and fine-tunes the members again from their initial weights with
// the rows it is surest of.
func (m *TabularModel) selfTrain(ctx context.Context, run FinetuneRun, tc config.TrainerConfig, scale float64) error {
	if err := m.trainMembers(ctx, run, tc, scale, nil); err != nil {
		return err
	}
	pseudo := m.pseudoLabelled()
	for i, net := range m.members() {
		nn.Restore(net.Params(), m.ft.init[i])
	}
	return m.trainMembers(ctx, run, tc, scale, pseudo)
}

// pseudoLabelled returns the PseudoLabels unlabelled rows the model is
// surest of, labelled with its most probable class: for each class, the
// rows predicted to be of it with the highest probability, as many as its
// share of the labelled rows, so that self-training keeps the class
// balance.
func (m *TabularModel) pseudoLabelled() *data.Dataset {
	d := m.ft.unlabelled
	probs := newSupervisedTask(m.net, m.target).outputs(d)
	k := probs.Cols
	counts := make([]int, k)
	total := 0
	for _, p := range m.ft.parts {
		for _, d := range []*data.Dataset{p.train, p.valid} {
			if d == nil {
				continue
			}
			for _, l := range d.Labels {
				counts[l]++
				total++
			}
		}
	}
	byClass := make([][]int, k)
	for i := range d.N {
		row := probs.Row(i)
		byClass[argmax(row)] = append(byClass[argmax(row)], i)
	}
	var rows []int
	var labels []int32
	for c, idx := range byClass {
		want := int(math.Round(float64(m.ft.PseudoLabels) * float64(counts[c]) / float64(max(total, 1))))
		slices.SortStableFunc(idx, func(a, b int) int {
			pa, pb := probs.At(a, c), probs.At(b, c)
			switch {
			case pa > pb:
				return -1
			case pa < pb:
				return 1
			}
			return 0
		})
		for _, i := range idx[:min(want, len(idx))] {
			rows = append(rows, i)
			labels = append(labels, int32(c))
		}
	}
	out := d.Subset(rows)
	out.Labels = labels
	return out
}

func argmax(v []float32) int {
	best := 0
	for j, x := range v {
		if x > v[best] {
			best = j
		}
	}
	return best
}
