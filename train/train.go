// Package train is the training loop: epochs over shuffled batches, a
// validation pass after each epoch, early stopping on a monitored figure,
// the best epoch's weights restored at the end, and a one-line report per
// epoch.
package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/tensor"
)

// Model is what the loop trains.
type Model interface {
	// Params lists all parameters and state; the best epoch's values are
	// restored from them.
	Params() []*nn.Param
	// Trainable lists what the optimiser updates; the loop zeroes their
	// gradients before each step.
	Trainable() []*nn.Param
	// Step runs the forward and backward pass of one batch, accumulating
	// gradients, and returns the batch's loss. rng supplies any randomness
	// the objective needs (corruption noise, say).
	Step(b *data.Batch, rng *rand.Rand) float64
	// Evaluate returns figures over a whole dataset in evaluation mode:
	// "loss" and metric names, without a prefix.
	Evaluate(d *data.Dataset) (map[string]float64, error)
}

// Config drives Run. See config.TrainerConfig for the meaning of the
// fields; Run expects defaults already applied.
type Config struct {
	BatchSize, MaxEpochs, MinEpochs int
	// Monitor is "valid_<figure>" or "none"; without validation data the
	// training loss is monitored instead.
	Monitor        string
	HigherIsBetter bool
	Patience       int
	MinDelta       float64
	KeepLast       bool
	Seed           uint64
	// GradientClip, when positive, bounds the global gradient norm.
	GradientClip float64
	// Progress receives one line per epoch; nil is silent.
	Progress io.Writer
	// Name starts each progress line, e.g. "pretrain".
	Name string
}

// Epoch records one epoch.
type Epoch struct {
	Epoch     int                `json:"epoch"`
	TrainLoss float64            `json:"train_loss"`
	Valid     map[string]float64 `json:"valid,omitempty"`
	Seconds   float64            `json:"seconds"`
}

// History records a run.
type History struct {
	Epochs    []Epoch `json:"epochs"`
	BestEpoch int     `json:"best_epoch"` // 1-based; 0 when no epoch finished
	Monitor   string  `json:"monitor"`
	Stopped   string  `json:"stopped"` // why the run ended
}

// ErrDiverged is returned when the loss becomes NaN or infinite.
var ErrDiverged = errors.New("training diverged")

// Run trains m on train, validating on valid (which may be nil), and
// leaves m with the best weights unless cfg.KeepLast. On error or
// cancellation the best weights seen so far are restored too.
func Run(ctx context.Context, m Model, opt optim.Optimizer, train, valid *data.Dataset, cfg Config) (*History, error) {
	if train == nil || train.N == 0 {
		return nil, errors.New("train: no training rows")
	}
	if cfg.BatchSize < 1 || cfg.MaxEpochs < 1 {
		return nil, fmt.Errorf("train: batch size %d and max epochs %d must be ≥ 1", cfg.BatchSize, cfg.MaxEpochs)
	}
	monitor := cfg.Monitor
	early := monitor != "none"
	if valid == nil || valid.N == 0 {
		valid = nil
		if early {
			monitor = "train_loss"
			cfg.HigherIsBetter = false
		}
	}
	h := &History{Monitor: monitor}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7a1e))
	params := m.Params()
	trainable := m.Trainable()
	best := math.Inf(1)
	if cfg.HigherIsBetter {
		best = math.Inf(-1)
	}
	var snap []*tensor.Mat
	restore := func() {
		if snap != nil && !cfg.KeepLast {
			nn.Restore(params, snap)
		}
	}
	order := make([]int, train.N)
	for i := range order {
		order[i] = i
	}
	var batch data.Batch
	sinceBest := 0
	for epoch := 1; epoch <= cfg.MaxEpochs; epoch++ {
		start := time.Now()
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		var seen int
		for lo := 0; lo < len(order); lo += cfg.BatchSize {
			if err := ctx.Err(); err != nil {
				restore()
				h.Stopped = "cancelled"
				return h, err
			}
			hi := min(lo+cfg.BatchSize, len(order))
			if hi-lo < 2 && len(order) > 1 {
				// A one-row batch has no batch statistics; its row is
				// seen again next epoch in another position.
				continue
			}
			train.Gather(order[lo:hi], &batch)
			nn.ZeroGrad(trainable)
			loss := m.Step(&batch, rng)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				restore()
				h.Stopped = "diverged"
				return h, fmt.Errorf("%w at epoch %d: the loss is %v; try a lower learning rate or gradient clipping", ErrDiverged, epoch, loss)
			}
			if cfg.GradientClip > 0 {
				optim.ClipGradNorm(trainable, cfg.GradientClip)
			}
			opt.Step()
			sum += loss * float64(hi-lo)
			seen += hi - lo
		}
		e := Epoch{Epoch: epoch, TrainLoss: sum / float64(max(seen, 1))}
		if valid != nil {
			figs, err := m.Evaluate(valid)
			if err != nil {
				restore()
				return h, fmt.Errorf("validation after epoch %d: %w", epoch, err)
			}
			e.Valid = figs
		}
		e.Seconds = time.Since(start).Seconds()
		h.Epochs = append(h.Epochs, e)

		improved := false
		if early {
			v, err := figure(e, monitor)
			if err != nil {
				return h, err
			}
			if cfg.HigherIsBetter && v > best+cfg.MinDelta || !cfg.HigherIsBetter && v < best-cfg.MinDelta || h.BestEpoch == 0 {
				improved = true
				best = v
			}
		} else {
			improved = true // without monitoring the last epoch is the best
		}
		if improved {
			h.BestEpoch = epoch
			sinceBest = 0
			if snap == nil {
				snap = nn.Snapshot(params)
			} else {
				nn.SnapshotInto(snap, params)
			}
		} else {
			sinceBest++
		}
		report(cfg, e, improved)
		if early && epoch >= cfg.MinEpochs && sinceBest > cfg.Patience {
			h.Stopped = fmt.Sprintf("early stopping: %s did not improve for %d epochs", monitor, sinceBest)
			break
		}
	}
	if h.Stopped == "" {
		h.Stopped = fmt.Sprintf("reached max epochs (%d)", cfg.MaxEpochs)
	}
	restore()
	if cfg.Progress != nil && early && !cfg.KeepLast {
		fmt.Fprintf(cfg.Progress, "%s: %s; restored epoch %d (%s %.4f)\n", cfg.Name, h.Stopped, h.BestEpoch, monitor, best)
	}
	return h, nil
}

// figure looks up the monitored figure of an epoch.
func figure(e Epoch, monitor string) (float64, error) {
	if monitor == "train_loss" {
		return e.TrainLoss, nil
	}
	name := strings.TrimPrefix(monitor, "valid_")
	v, ok := e.Valid[name]
	if !ok {
		var names []string
		for k := range e.Valid {
			names = append(names, "valid_"+k)
		}
		sort.Strings(names)
		return 0, fmt.Errorf("train: cannot monitor %q: validation reports %s", monitor, strings.Join(names, ", "))
	}
	return v, nil
}

func report(cfg Config, e Epoch, improved bool) {
	if cfg.Progress == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s epoch %*d/%d  train_loss %.4f", cfg.Name, len(fmt.Sprint(cfg.MaxEpochs)), e.Epoch, cfg.MaxEpochs, e.TrainLoss)
	var names []string
	for k := range e.Valid {
		names = append(names, k)
	}
	sort.Strings(names)
	// Loss first, then the metrics alphabetically.
	sort.SliceStable(names, func(i, j int) bool { return names[i] == "loss" && names[j] != "loss" })
	for _, k := range names {
		fmt.Fprintf(&b, "  valid_%s %.4f", k, e.Valid[k])
	}
	fmt.Fprintf(&b, "  %.1fs", e.Seconds)
	if improved {
		b.WriteString("  *")
	}
	fmt.Fprintln(cfg.Progress, b.String())
}
