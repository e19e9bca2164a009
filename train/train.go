// Package train is the training loop: epochs over shuffled batches, a
// learning-rate schedule per step, a validation pass after each epoch,
// early stopping on a monitored figure, the best epoch's weights restored
// at the end, and a one-line report per epoch.
package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
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
	// "loss" and metric names, without a prefix. A figure that is
	// undefined on the data (NaN) may be left out.
	Evaluate(d *data.Dataset) (map[string]float64, error)
	// Figures lists the figures Evaluate reports and which way each
	// improves, so that Run can check the monitored figure, and learn its
	// direction, before the first epoch rather than after it.
	Figures() []Figure
}

// Figure is a figure a model's validation reports: a name without the
// "valid_" prefix, such as "loss" or "roc_auc", and whether larger values
// are better.
type Figure struct {
	Name           string
	HigherIsBetter bool
}

// Config drives Run. See config.TrainerConfig for the meaning of the
// fields; Run expects defaults already applied.
type Config struct {
	// BatchSize is the number of rows per step; the last batch of an epoch
	// holds the rest, however few.
	BatchSize, MaxEpochs, MinEpochs int
	// Monitor is "valid_" and one of the model's Figures ("" is
	// "valid_loss"), or "none"; without validation data the training loss
	// is monitored instead.
	Monitor string
	// Mode is "min" or "max" to say which way the monitored figure
	// improves; "" takes the direction the model's Figures give.
	Mode string
	// Patience is the number of epochs without improvement after which
	// the run stops, as in Lightning's EarlyStopping: with 3, the third
	// such epoch in a row is the last; with 0, the first is.
	Patience int
	// MinDelta is the smallest change that counts as an improvement; 0
	// counts any.
	MinDelta float64
	KeepLast bool
	Seed     uint64
	// GradientClip, when positive, bounds the global gradient norm.
	GradientClip float64
	// Schedule, when not nil, sets the learning rate of every step: the
	// optimiser's rate when Run starts times Schedule(step, total), where
	// total is MaxEpochs × the number of batches per epoch. Run puts the
	// starting rate back when it returns.
	Schedule optim.Schedule
	// Progress receives one line per epoch; nil is silent.
	Progress io.Writer
	// Name starts each progress line, e.g. "pretrain".
	Name string
	// Watcher, when not nil, is told of every step and every epoch, for
	// a live display or machine-readable records beside (or instead of)
	// the lines on Progress.
	Watcher Watcher
}

// Watcher follows a run. Run calls it on its own goroutine, between
// steps, so a slow watcher slows training: it should only note the
// status, or print it now and then.
type Watcher interface {
	// Batch is called after every step.
	Batch(s Status)
	// Epoch is called after every epoch, once it is validated, with its
	// record; s.Best says whether it is the best epoch so far.
	Epoch(s Status, e Epoch)
}

// Status is where a run stands. It is passed by value, so that telling a
// Watcher of a step allocates nothing.
type Status struct {
	Name      string // Config.Name
	Epoch     int    // 1-based
	MaxEpochs int
	Batch     int // batches done in this epoch
	Batches   int // batches per epoch
	Rows      int // rows done in this epoch
	TrainRows int // rows per epoch
	// Loss is the mean training loss of this epoch's batches so far.
	Loss float64
	// Elapsed is the time since the epoch began.
	Elapsed time.Duration
	// Best is set on an epoch that is the best so far.
	Best bool
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

// Batches is a source of training batches that need not be held in
// memory as a [data.Dataset]: rows streamed from files, say. Each epoch
// may order the rows differently, but an epoch's batches must depend only
// on the source and the epoch's number, so that runs repeat.
type Batches interface {
	// Rows is the number of rows of an epoch.
	Rows() int
	// Epoch starts epoch e, counted from 1.
	Epoch(ctx context.Context, e int) error
	// Next returns the epoch's next batch, nil after the last. The batch
	// is valid until the next call.
	Next() (*data.Batch, error)
}

// Run trains m on train, validating on valid (which may be nil), and
// leaves m with the best weights unless cfg.KeepLast. On error or
// cancellation the best weights seen so far are restored too.
func Run(ctx context.Context, m Model, opt optim.Optimizer, train, valid *data.Dataset, cfg Config) (*History, error) {
	if train == nil || train.N == 0 {
		return nil, errors.New("train: no training rows")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7a1e))
	src := &shuffled{d: train, rng: rng, size: cfg.BatchSize}
	return run(ctx, m, opt, src, valid, cfg, rng)
}

// RunBatches is [Run] with the training rows drawn from src, which sets
// the batches; their size should be cfg.BatchSize, by which the steps of
// an epoch are counted for the learning-rate schedule and the progress.
func RunBatches(ctx context.Context, m Model, opt optim.Optimizer, src Batches, valid *data.Dataset, cfg Config) (*History, error) {
	if src == nil || src.Rows() == 0 {
		return nil, errors.New("train: no training rows")
	}
	return run(ctx, m, opt, src, valid, cfg, rand.New(rand.NewPCG(cfg.Seed, 0x7a1e)))
}

// shuffled is the Batches of a dataset in memory: a new permutation of its
// rows each epoch, drawn from the loop's generator.
type shuffled struct {
	d     *data.Dataset
	rng   *rand.Rand
	size  int
	order []int
	lo    int
	batch data.Batch
}

func (s *shuffled) Rows() int { return s.d.N }

func (s *shuffled) Epoch(context.Context, int) error {
	if s.order == nil {
		s.order = make([]int, s.d.N)
		for i := range s.order {
			s.order[i] = i
		}
	}
	s.rng.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
	s.lo = 0
	return nil
}

func (s *shuffled) Next() (*data.Batch, error) {
	if s.lo >= len(s.order) {
		return nil, nil
	}
	hi := min(s.lo+s.size, len(s.order))
	s.d.Gather(s.order[s.lo:hi], &s.batch)
	s.lo = hi
	return &s.batch, nil
}

func run(ctx context.Context, m Model, opt optim.Optimizer, src Batches, valid *data.Dataset, cfg Config, rng *rand.Rand) (*History, error) {
	if cfg.BatchSize < 1 || cfg.MaxEpochs < 1 {
		return nil, fmt.Errorf("train: batch size %d and max epochs %d must be ≥ 1", cfg.BatchSize, cfg.MaxEpochs)
	}
	if cfg.Patience < 0 || !(cfg.MinDelta >= 0) {
		return nil, fmt.Errorf("train: patience %d and min delta %v must be ≥ 0", cfg.Patience, cfg.MinDelta)
	}
	if valid != nil && valid.N == 0 {
		valid = nil
	}
	monitor, higher, err := monitored(m, cfg, valid != nil)
	if err != nil {
		return nil, err
	}
	early := monitor != "none"
	h := &History{Monitor: monitor}
	params := m.Params()
	trainable := m.Trainable()
	best := math.Inf(1)
	if higher {
		best = math.Inf(-1)
	}
	var snap []*tensor.Mat
	restore := func() {
		if snap != nil && !cfg.KeepLast {
			nn.Restore(params, snap)
		}
	}
	rows := src.Rows()
	batches := (rows + cfg.BatchSize - 1) / cfg.BatchSize
	total := cfg.MaxEpochs * batches
	st := Status{Name: cfg.Name, MaxEpochs: cfg.MaxEpochs, Batches: batches, TrainRows: rows}
	base := opt.LearningRate()
	defer opt.SetLearningRate(base)
	step := 0
	sinceBest := 0
	for epoch := 1; epoch <= cfg.MaxEpochs; epoch++ {
		start := time.Now()
		if err := src.Epoch(ctx, epoch); err != nil {
			restore()
			return h, fmt.Errorf("epoch %d: %w", epoch, err)
		}
		var sum float64
		var seen, done int
		for {
			batch, err := src.Next()
			if cerr := ctx.Err(); cerr != nil && (err != nil || batch != nil) {
				restore()
				h.Stopped = "cancelled"
				return h, cerr
			}
			if err != nil {
				restore()
				return h, fmt.Errorf("epoch %d: %w", epoch, err)
			}
			if batch == nil {
				break
			}
			if cfg.Schedule != nil {
				opt.SetLearningRate(base * cfg.Schedule(min(step, total-1), total))
			}
			step++
			done++
			nn.ZeroGrad(trainable)
			loss := m.Step(batch, rng)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				restore()
				h.Stopped = "diverged"
				return h, fmt.Errorf("%w at epoch %d: the loss is %v; try a lower learning rate or gradient clipping", ErrDiverged, epoch, loss)
			}
			if cfg.GradientClip > 0 {
				optim.ClipGradNorm(trainable, cfg.GradientClip)
			}
			opt.Step()
			sum += loss * float64(batch.N)
			seen += batch.N
			if cfg.Watcher != nil {
				st.Epoch, st.Batch, st.Rows = epoch, done, seen
				st.Loss, st.Elapsed, st.Best = sum/float64(seen), time.Since(start), false
				cfg.Watcher.Batch(st)
			}
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
			v, ok := figure(e, monitor)
			if !ok {
				restore()
				h.Stopped = "monitored figure missing"
				return h, fmt.Errorf("train: %s is not reported after epoch %d: it is undefined on the validation rows (ROC-AUC when they hold one class, say); monitor another figure", monitor, epoch)
			}
			if higher && v > best+cfg.MinDelta || !higher && v < best-cfg.MinDelta || h.BestEpoch == 0 {
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
		if cfg.Watcher != nil {
			st.Epoch, st.Batch, st.Rows, st.Loss = epoch, batches, seen, e.TrainLoss
			st.Elapsed, st.Best = time.Since(start), improved
			cfg.Watcher.Epoch(st, e)
		}
		if early && !improved && epoch >= cfg.MinEpochs && sinceBest >= cfg.Patience {
			epochs := "epochs"
			if sinceBest == 1 {
				epochs = "epoch"
			}
			h.Stopped = fmt.Sprintf("early stopping: %s did not improve for %d %s", monitor, sinceBest, epochs)
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

// CheckMonitor reports whether Run could monitor cfg.Monitor on m, as Run
// checks before its first epoch, for a caller that does other work first.
func CheckMonitor(m Model, cfg Config) error {
	_, _, err := monitored(m, cfg, true)
	return err
}

// monitored checks cfg.Monitor against the figures m reports and returns
// what to watch, "none" or the "valid_" or "train_loss" figure, and which
// way it improves. A name the model does not report is refused even when
// there is no validation data to report it, since it is a mistake either
// way.
func monitored(m Model, cfg Config, validated bool) (monitor string, higher bool, err error) {
	if cfg.Mode != "" && cfg.Mode != "min" && cfg.Mode != "max" {
		return "", false, fmt.Errorf("train: mode %q: want \"min\", \"max\" or \"\" (the figure's own direction)", cfg.Mode)
	}
	switch cfg.Monitor {
	case "none":
		return "none", false, nil
	case "":
		cfg.Monitor = "valid_loss"
	}
	figs := m.Figures()
	i := slices.IndexFunc(figs, func(f Figure) bool { return "valid_"+f.Name == cfg.Monitor })
	if i < 0 {
		names := make([]string, len(figs))
		for i, f := range figs {
			names[i] = "valid_" + f.Name
		}
		slices.Sort(names)
		return "", false, fmt.Errorf("train: cannot monitor %q: validation reports %s", cfg.Monitor, strings.Join(names, ", "))
	}
	if !validated {
		return "train_loss", false, nil
	}
	return cfg.Monitor, cfg.Mode == "max" || cfg.Mode == "" && figs[i].HigherIsBetter, nil
}

// figure looks up the monitored figure of an epoch.
func figure(e Epoch, monitor string) (float64, bool) {
	if monitor == "train_loss" {
		return e.TrainLoss, true
	}
	v, ok := e.Valid[strings.TrimPrefix(monitor, "valid_")]
	return v, ok
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
