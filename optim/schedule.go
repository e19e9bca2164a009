package optim

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
)

// Schedule gives the learning rate of each training step as a multiple of
// the base rate: step counts from 0, and total is the number of steps the
// run would take to its last epoch (max epochs × batches per epoch), so
// that a schedule can plan its shape; early stopping may end the run
// before. It is called once per step and must not allocate.
type Schedule func(step, total int) float64

// ScheduleKind is a schedule that can be chosen by name, with its
// parameters.
type ScheduleKind struct {
	Name string
	// Doc says in a line what the schedule does, for help texts.
	Doc string
	// Params are the names of the parameters the schedule takes, with
	// their defaults; [NewSchedule] refuses any other name.
	Params map[string]float64
	// New builds the schedule from a value for every parameter of Params,
	// or says which value cannot work.
	New func(params map[string]float64) (Schedule, error)
}

var (
	schedulesMu sync.Mutex
	schedules   = map[string]ScheduleKind{}
)

// RegisterSchedule makes a schedule available by name to [NewSchedule],
// and so to the configs and command-line flags that name one. Packages
// call it from init; registering a name twice panics.
func RegisterSchedule(k ScheduleKind) {
	schedulesMu.Lock()
	defer schedulesMu.Unlock()
	if _, dup := schedules[k.Name]; dup || k.Name == "" || k.New == nil {
		panic(fmt.Sprintf("optim: schedule %q registered twice, without a name or without New", k.Name))
	}
	schedules[k.Name] = k
}

// ScheduleKinds lists the registered schedules, sorted by name.
func ScheduleKinds() []ScheduleKind {
	schedulesMu.Lock()
	defer schedulesMu.Unlock()
	return slices.SortedFunc(maps.Values(schedules), func(a, b ScheduleKind) int { return strings.Compare(a.Name, b.Name) })
}

// ConstantSchedule is the name of the schedule that keeps the base rate,
// the default.
const ConstantSchedule = "constant"

// NewSchedule returns the schedule registered as name ("" is
// [ConstantSchedule]) with params, which may set any of its parameters;
// the others take their defaults. An unknown name or parameter is an error
// that lists the known ones.
func NewSchedule(name string, params map[string]float64) (Schedule, error) {
	if name == "" {
		name = ConstantSchedule
	}
	schedulesMu.Lock()
	k, ok := schedules[name]
	schedulesMu.Unlock()
	if !ok {
		var names []string
		for _, k := range ScheduleKinds() {
			names = append(names, k.Name)
		}
		return nil, fmt.Errorf("lr_scheduler %q: want one of %s", name, strings.Join(names, ", "))
	}
	all := maps.Clone(k.Params)
	if all == nil {
		all = map[string]float64{}
	}
	for p, v := range params {
		if _, ok := k.Params[p]; !ok {
			known := "it takes none"
			if len(k.Params) > 0 {
				known = "it takes " + strings.Join(slices.Sorted(maps.Keys(k.Params)), ", ")
			}
			return nil, fmt.Errorf("lr_scheduler_params: %q is not a parameter of the %s schedule; %s", p, name, known)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("lr_scheduler_params: %s %v: want a finite number", p, v)
		}
		all[p] = v
	}
	s, err := k.New(all)
	if err != nil {
		return nil, fmt.Errorf("lr_scheduler %s: %w", name, err)
	}
	return s, nil
}

func init() {
	RegisterSchedule(ScheduleKind{
		Name: ConstantSchedule,
		Doc:  "the base rate at every step",
		New:  func(map[string]float64) (Schedule, error) { return func(int, int) float64 { return 1 }, nil },
	})
	RegisterSchedule(ScheduleKind{
		Name:   "cosine",
		Doc:    "a linear warm-up over the first warmup share of the steps, then a cosine decay to min_lr_scale × the base rate",
		Params: map[string]float64{"warmup": 0.05, "min_lr_scale": 0},
		New:    newCosine,
	})
	RegisterSchedule(ScheduleKind{
		Name:   "onecycle",
		Doc:    "PyTorch's OneCycleLR: a cosine rise from the base rate / div_factor to the base rate over the first pct_start share of the steps, then a cosine fall to that start / final_div_factor",
		Params: map[string]float64{"pct_start": 0.3, "div_factor": 25, "final_div_factor": 1e4},
		New:    newOneCycle,
	})
}

// newCosine is warm-up then cosine decay, as in Hugging Face's
// get_cosine_schedule_with_warmup but with a warm-up that starts above 0,
// so that no step is spent at rate 0: with W warm-up steps, step s < W has
// factor (s+1)/(W+1); after it the factor falls from 1 along half a cosine
// towards min_lr_scale, which the step after the last would reach.
func newCosine(p map[string]float64) (Schedule, error) {
	warmup, floor := p["warmup"], p["min_lr_scale"]
	if warmup < 0 || warmup >= 1 {
		return nil, fmt.Errorf("warmup %v: want a share of the steps in [0, 1)", warmup)
	}
	if floor < 0 || floor > 1 {
		return nil, fmt.Errorf("min_lr_scale %v: want a value in [0, 1]", floor)
	}
	return func(step, total int) float64 {
		w := int(math.Round(warmup * float64(total)))
		if step < w {
			return float64(step+1) / float64(w+1)
		}
		done := min(float64(step-w)/float64(max(total-w, 1)), 1)
		return floor + (1-floor)*0.5*(1+math.Cos(math.Pi*done))
	}, nil
}

// newOneCycle is torch.optim.lr_scheduler.OneCycleLR with cosine
// annealing and two phases, the base rate as max_lr. Its steps are
// counted as PyTorch counts them: the first phase ends at step
// pct_start·total − 1, the second at total − 1.
func newOneCycle(p map[string]float64) (Schedule, error) {
	pct, div, finalDiv := p["pct_start"], p["div_factor"], p["final_div_factor"]
	if !(pct > 0 && pct < 1) {
		return nil, fmt.Errorf("pct_start %v: want a share of the steps in (0, 1)", pct)
	}
	if !(div >= 1) {
		return nil, fmt.Errorf("div_factor %v: want a value ≥ 1 (the first rate is the base rate / div_factor)", div)
	}
	if !(finalDiv >= 1) {
		return nil, fmt.Errorf("final_div_factor %v: want a value ≥ 1 (the last rate is the first / final_div_factor)", finalDiv)
	}
	start := 1 / div
	end := start / finalDiv
	anneal := func(from, to, done float64) float64 { return to + (from-to)/2*(math.Cos(math.Pi*done)+1) }
	return func(step, total int) float64 {
		peak := pct*float64(total) - 1
		last := float64(total - 1)
		s := float64(step)
		if s <= peak {
			if peak <= 0 {
				return 1 // a first phase shorter than a step is at its peak
			}
			return anneal(start, 1, s/peak)
		}
		if last <= peak {
			return end
		}
		return anneal(1, end, min((s-peak)/(last-peak), 1))
	}, nil
}
