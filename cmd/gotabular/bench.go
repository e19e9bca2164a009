package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/gotabular/gotabular/internal/bench"
)

const benchHelp = `Usage: gotabular bench engine [flags]

Measures the engine on the workload of the PyTorch reference program
(shared/bench/torch_mlp_dae.py), so that both can be run on one machine and
compared: a float32 denoising autoencoder on 64 dense features, encoder
Linear(64,512)-ReLU-Linear(512,512)-ReLU-Linear(512,128)-ReLU, decoder
Linear(128,512)-ReLU-Linear(512,64), MSE loss, Adam (lr 1e-3), 65,536 rows of
N(0,1) in memory, batches taken in order. Each figure is the median of
-windows windows of -seconds after a warm-up.

Example:
  gotabular bench engine -seconds 5

Writes one line per figure to stdout, "name unit value":
  train_b256 steps/s N     training steps per second at batch 256
  train_b1024 steps/s N    the same at batch 1024
  infer_b4096 rows/s N     encoder-only inference rows per second at batch 4096
  gemm_256x512x512 GFLOP/s N   the matrix multiply alone

Flags:
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "engine" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(stdout, benchHelp)
			return nil
		}
		fmt.Fprint(stderr, "gotabular bench: name the benchmark: gotabular bench engine\n")
		return errUsage
	}
	fs := newFlagSet("bench", benchHelp, stderr)
	seconds := fs.Float64("seconds", 5, "length of one measured window in `seconds`")
	warmup := fs.Float64("warmup", 2, "warm-up before the first window, in `seconds`")
	windows := fs.Int("windows", 3, "number of windows; the median is reported")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if !(*seconds > 0) || *warmup < 0 || *windows < 1 {
		return fmt.Errorf("-seconds must be positive, -warmup ≥ 0 and -windows ≥ 1")
	}
	fmt.Fprintf(stdout, "# gotabular engine %s/%s GOMAXPROCS=%d\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	d := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	_, err := bench.Run(ctx, bench.Options{Warmup: d(*warmup), Window: d(*seconds), Windows: *windows}, stdout)
	return err
}
