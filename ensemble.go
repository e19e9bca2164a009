package gotabular

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/tensor"
)

// ensemble is a model of several networks of one architecture, trained
// apart (on the folds of cross-fitting) and predicting together. It is a
// models.Network for prediction only: its output is the members' average,
// so that evaluation, prediction and saving treat it as one model.
type ensemble struct {
	members []models.Network
	// classify averages class probabilities: the output is the logarithm
	// of the members' mean probabilities, whose softmax is that mean.
	// Otherwise the outputs themselves are averaged.
	classify bool

	params   []*nn.Param
	out, tmp *tensor.Mat
}

// memberPrefix starts the parameter names of every member but the first,
// whose names are those of a single model: a model of one member saves
// exactly as it did before ensembles existed.
func memberPrefix(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprintf("member%d/", i)
}

// newEnsemble joins networks built alike, renaming the parameters of
// members after the first so that every name is unique.
func newEnsemble(members []models.Network, classify bool) *ensemble {
	e := &ensemble{members: members, classify: classify}
	for i, n := range members {
		for _, p := range n.Params() {
			if i > 0 && !strings.HasPrefix(p.Name, memberPrefix(i)) {
				p.Name = memberPrefix(i) + p.Name
			}
			e.params = append(e.params, p)
		}
	}
	return e
}

// Forward implements models.Network, in evaluation mode only.
func (e *ensemble) Forward(cont *tensor.Mat, cat *tensor.IntMat, train bool) *tensor.Mat {
	if train {
		panic("gotabular: an ensemble is trained member by member")
	}
	for i, n := range e.members {
		y := n.Forward(cont, cat, false)
		if i == 0 {
			e.out = tensor.Ensure(e.out, y.Rows, y.Cols)
			e.out.Zero()
			e.tmp = tensor.Ensure(e.tmp, y.Rows, y.Cols)
		}
		src := y
		if e.classify {
			nn.Softmax(y, e.tmp)
			src = e.tmp
		}
		for r := range y.Rows {
			tensor.Axpy(1/float32(len(e.members)), src.Row(r), e.out.Row(r))
		}
	}
	if e.classify {
		for i, v := range e.out.Data {
			// A class every member rules out keeps a finite logit.
			e.out.Data[i] = float32(math.Log(max(float64(v), 1e-30)))
		}
	}
	return e.out
}

// Backward implements models.Network; an ensemble is never trained whole.
func (e *ensemble) Backward(*tensor.Mat) { panic("gotabular: an ensemble is trained member by member") }

// Params implements models.Network: every member's, in member order.
func (e *ensemble) Params() []*nn.Param { return e.params }

// Trainable implements models.Network.
func (e *ensemble) Trainable() []*nn.Param { return nn.Trainable(e.params) }

// featurizer is a network that can give the features its head reads.
type featurizer interface {
	Features(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat
}

// Features returns the members' average features. The members start from
// one pretrained featurizer (or one architecture), so their features
// share a layout; their mean is the ensemble's representation of a row.
func (e *ensemble) Features(cont *tensor.Mat, cat *tensor.IntMat) *tensor.Mat {
	var out *tensor.Mat
	for _, n := range e.members {
		f := n.(featurizer).Features(cont, cat)
		if out == nil {
			out = tensor.New(f.Rows, f.Cols)
		}
		for r := range f.Rows {
			tensor.Axpy(1/float32(len(e.members)), f.Row(r), out.Row(r))
		}
	}
	return out
}

// part is what one member trains on and stops early on. Under
// cross-fitting, held lists the rows of the pooled labelled rows that
// valid holds, for the out-of-fold predictions.
type part struct {
	train, valid *data.Dataset
	pool         *data.Dataset
	held         []int
}

// labelledParts encodes the labelled rows and divides them among the
// members that tc asks for: one member trains on train and validates on
// validation (or on a share of train held out); a cross-fitted ensemble
// pools both and gives member k of each repeat all folds but fold k.
func labelledParts(prep *data.Preprocessor, target *data.Target, trainTable, validation *data.Table, split float64, tc config.TrainerConfig) ([]part, error) {
	if tc.Folds < 2 {
		tr, va, err := labelledData(prep, target, trainTable, validation, split, tc.Seed)
		return []part{{train: tr, valid: va}}, err
	}
	all, err := encodeLabelled(prep, target, trainTable)
	if err != nil {
		return nil, err
	}
	if validation != nil {
		va, err := encodeLabelled(prep, target, validation)
		if err != nil {
			return nil, err
		}
		all = all.Append(va)
	}
	if all.N < tc.Folds {
		return nil, fmt.Errorf("%d folds of cross-fitting need at least as many labelled rows; there are %d", tc.Folds, all.N)
	}
	var parts []part
	for r := range max(tc.FoldRepeats, 1) {
		rng := rand.New(rand.NewPCG(tc.Seed, 0xf01d+uint64(r)))
		var folds [][]int
		if all.Labels != nil {
			folds, err = data.StratifiedFolds(all.Labels, tc.Folds, rng)
		} else {
			folds, err = data.Folds(all.N, tc.Folds, rng)
		}
		if err != nil {
			return nil, err
		}
		for k, f := range folds {
			var rest []int
			for j, g := range folds {
				if j != k {
					rest = append(rest, g...)
				}
			}
			parts = append(parts, part{train: all.Subset(rest), valid: all.Subset(f), pool: all, held: f})
		}
	}
	return parts, nil
}

// memberTrainer is the trainer config of member i: its own seed, so that
// members shuffle differently, and a progress name that tells them apart.
func memberTrainer(tc config.TrainerConfig, i int) config.TrainerConfig {
	tc.Seed += uint64(i)
	return tc
}

// memberName names member i of n in progress lines.
func memberName(name string, i, n int) string {
	if n == 1 {
		return name
	}
	return fmt.Sprintf("%s %d/%d", name, i+1, n)
}

// crossValidate returns the figures of the out-of-fold predictions of a
// cross-fitted ensemble: each labelled row predicted by the members that
// did not train on it (averaged over repeats). They estimate the
// ensemble's figures on new rows without spending any labelled row on a
// test set. It returns nil for a single model.
func crossValidate(members []models.Network, parts []part, target *data.Target) (map[string]float64, error) {
	if len(parts) < 2 || parts[0].pool == nil {
		return nil, nil
	}
	pool := parts[0].pool
	var sum *tensor.Mat
	counts := make([]int, pool.N)
	for i, p := range parts {
		out := newSupervisedTask(members[i], target).outputs(p.valid)
		if sum == nil {
			sum = tensor.New(pool.N, out.Cols)
		}
		for j, r := range p.held {
			tensor.Axpy(1, out.Row(j), sum.Row(r))
			counts[r]++
		}
	}
	for r, n := range counts {
		if n == 0 {
			return nil, fmt.Errorf("labelled row %d has no out-of-fold prediction", r)
		}
		tensor.Scale(1/float32(n), sum.Row(r))
	}
	figs, err := newSupervisedTask(members[0], target).figures(pool, sum)
	return finite(figs), err
}
