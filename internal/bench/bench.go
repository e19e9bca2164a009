// Package bench runs the engine benchmark of `gotabular bench engine`: the
// workload of the PyTorch reference program, so that the two can be run
// side by side on one machine and compared.
//
// Workload: a float32 denoising autoencoder on 64 dense features, encoder
// Linear(64,512)-ReLU-Linear(512,512)-ReLU-Linear(512,128)-ReLU, decoder
// Linear(128,512)-ReLU-Linear(512,64), loss MSE(model(noisy), clean), Adam
// with lr 1e-3; 65,536 rows of N(0,1) in memory, noisy = clean + 0.1·N(0,1)
// computed once; batches taken in order, wrapping around.
package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gotabular/gotabular/nn"
	"github.com/gotabular/gotabular/optim"
	"github.com/gotabular/gotabular/tensor"
)

// Rows is the number of rows held in memory.
const Rows = 65536

// Options set the timing.
type Options struct {
	Warmup  time.Duration // before the first window (the reference uses 2 s)
	Window  time.Duration // length of one measured window (5 s)
	Windows int           // the median of this many windows is reported (3)
	// Sets names the workloads to run, of [Sets]; empty runs them all.
	Sets []string
}

// Sets are the workloads of [Run], in the order it runs them: the
// denoising autoencoder of torch_mlp_dae.py ("dae"), the FT-Transformer
// shapes of torch_ft_transformer.py ("ftt"), and the default
// FT-Transformer on adult-shaped data ("adult"), which has no reference.
var Sets = []string{"dae", "ftt", "adult"}

// Result is one output line: name, unit, value.
type Result struct {
	Name, Unit string
	Value      float64
}

func (r Result) String() string { return fmt.Sprintf("%s %s %.2f", r.Name, r.Unit, r.Value) }

// Workload holds the data and the network.
type Workload struct {
	clean, noisy *tensor.Mat
	encoder      *nn.Sequential // alone for inference
	net          *nn.Sequential // the decoder after the encoder, for training
	params       []*nn.Param
	opt          *optim.Adam
	grad         *tensor.Mat
	batch        [2]tensor.Mat // views of noisy and clean rows
}

// NewWorkload builds the data and the network from a seed.
func NewWorkload(seed uint64) *Workload {
	rng := rand.New(rand.NewPCG(seed, 0xbe9c))
	w := &Workload{clean: tensor.New(Rows, 64), noisy: tensor.New(Rows, 64)}
	for i := range w.clean.Data {
		v := float32(rng.NormFloat64())
		w.clean.Data[i] = v
		w.noisy.Data[i] = v + 0.1*float32(rng.NormFloat64())
	}
	// Each Linear-ReLU pair is one layer with the ReLU fused into the
	// product, as models build them.
	lin := func(name string, in, out int, act tensor.Activation) *nn.Linear {
		l := nn.NewLinear(name, in, out, rng)
		l.Act = act
		return l
	}
	first := lin("encoder.0", 64, 512, tensor.ReLU)
	first.SkipInputGrad = true // the input is data, as in the reference
	w.encoder = &nn.Sequential{Layers: []nn.Module{
		first, lin("encoder.2", 512, 512, tensor.ReLU), lin("encoder.4", 512, 128, tensor.ReLU),
	}}
	decoder := &nn.Sequential{Layers: []nn.Module{lin("decoder.0", 128, 512, tensor.ReLU), lin("decoder.2", 512, 64, tensor.Identity)}}
	// One stack, so that the backward pass fuses the encoder's last ReLU
	// into the decoder's first input gradient as it does inside each.
	w.net = &nn.Sequential{Layers: []nn.Module{w.encoder, decoder}}
	w.params = w.net.Params()
	w.opt = optim.NewAdam(w.params, 1e-3)
	return w
}

// Step runs training step i at batch size bs (forward, backward, Adam) and
// returns the loss.
func (w *Workload) Step(i, bs int) float64 {
	nb := Rows / bs
	j := (i % nb) * bs
	x := w.batch[0].SetRowView(w.noisy, j, j+bs)
	y := w.batch[1].SetRowView(w.clean, j, j+bs)
	nn.ZeroGrad(w.params)
	out := w.net.Forward(x, true)
	w.grad = tensor.Ensure(w.grad, out.Rows, out.Cols)
	loss := nn.MSE(out, y, w.grad)
	w.net.Backward(w.grad)
	w.opt.Step()
	return loss
}

// Infer runs the encoder on the first bs rows without training.
func (w *Workload) Infer(bs int) *tensor.Mat {
	return w.encoder.Forward(w.batch[0].SetRowView(w.clean, 0, bs), false)
}

// rate measures calls of f per second: a warm-up, then the median of the
// windows.
func rate(ctx context.Context, o Options, f func(i int)) (float64, error) {
	i := 0
	for start := time.Now(); time.Since(start) < o.Warmup; i++ {
		f(i)
	}
	var rates []float64
	for range o.Windows {
		n, start := 0, time.Now()
		for {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			f(i)
			i++
			n++
			if el := time.Since(start); el >= o.Window {
				rates = append(rates, float64(n)/el.Seconds())
				break
			}
		}
	}
	slices.Sort(rates)
	return rates[len(rates)/2], nil
}

// Run measures the figures of the chosen workloads and writes each line to
// out as soon as it is known.
func Run(ctx context.Context, o Options, out io.Writer) ([]Result, error) {
	if o.Windows < 1 {
		o.Windows = 1
	}
	for _, s := range o.Sets {
		if !slices.Contains(Sets, s) {
			return nil, fmt.Errorf("bench: no workload %q (want one of %v)", s, Sets)
		}
	}
	var res []Result
	emit := func(r Result) {
		res = append(res, r)
		if out != nil {
			fmt.Fprintln(out, r)
		}
	}
	run := func(set string, f func(emit func(Result)) error) error {
		if len(o.Sets) > 0 && !slices.Contains(o.Sets, set) {
			return nil
		}
		return f(emit)
	}
	if err := run("dae", func(emit func(Result)) error { return runDAE(ctx, o, emit) }); err != nil {
		return res, err
	}
	if err := run("ftt", func(emit func(Result)) error { return runFTT(ctx, o, emit) }); err != nil {
		return res, err
	}
	err := run("adult", func(emit func(Result)) error { return runAdult(ctx, o, emit) })
	return res, err
}

// runDAE measures the four figures of the denoising autoencoder.
func runDAE(ctx context.Context, o Options, emit func(Result)) error {
	w := NewWorkload(1)
	for _, bs := range []int{256, 1024} {
		v, err := rate(ctx, o, func(i int) { w.Step(i, bs) })
		if err != nil {
			return err
		}
		emit(Result{fmt.Sprintf("train_b%d", bs), "steps/s", v})
	}
	v, err := rate(ctx, o, func(int) { w.Infer(4096) })
	if err != nil {
		return err
	}
	emit(Result{"infer_b4096", "rows/s", v * 4096})
	g, err := gemmRate(ctx, o, 256, 512, 512)
	if err != nil {
		return err
	}
	emit(Result{"gemm_256x512x512", "GFLOP/s", g})
	return nil
}

// runFTT measures the two figures of the FT-Transformer reference.
func runFTT(ctx context.Context, o Options, emit func(Result)) error {
	w := NewFTTWorkload(1)
	v, err := rate(ctx, o, func(i int) { w.Step(i, 256) })
	if err != nil {
		return err
	}
	emit(Result{"ftt_train_b256", "steps/s", v})
	v, err = rate(ctx, o, func(int) { w.Infer(4096) })
	if err != nil {
		return err
	}
	emit(Result{"ftt_infer_b4096", "rows/s", v * 4096})
	return nil
}

// runAdult measures the seconds of an epoch of the default FT-Transformer
// over adult-shaped data: the steps of an epoch over steps per second.
func runAdult(ctx context.Context, o Options, emit func(Result)) error {
	w := NewAdultWorkload(1)
	v, err := rate(ctx, o, func(i int) { w.Step(i) })
	if err != nil {
		return err
	}
	emit(Result{"ftt_adult_epoch", "s", AdultSteps / v})
	return nil
}

// gemmRate measures C = A·B for an m×k by k×n product in GFLOP/s.
func gemmRate(ctx context.Context, o Options, m, n, k int) (float64, error) {
	rng := rand.New(rand.NewPCG(2, 2))
	fill := func(r, c int) *tensor.Mat {
		x := tensor.New(r, c)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		return x
	}
	a, b, c := fill(m, k), fill(k, n), tensor.New(m, n)
	v, err := rate(ctx, o, func(int) { tensor.Gemm(false, false, 1, a, b, 0, c) })
	return v * 2 * float64(m*n*k) / 1e9, err
}
