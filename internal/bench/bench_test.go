package bench

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

// The workload learns: the denoising loss falls well below the variance of
// the data (1) within a hundred steps.
func TestWorkloadLearns(t *testing.T) {
	w := NewWorkload(1)
	first := w.Step(0, 256)
	var last float64
	for i := 1; i < 100; i++ {
		last = w.Step(i, 256)
	}
	if !(last < 0.5*first) || math.IsNaN(last) {
		t.Errorf("loss %v at the first step, %v at step 100", first, last)
	}
}

func TestStepAllocations(t *testing.T) {
	w := NewWorkload(1)
	w.Step(0, 256)
	i := 1
	if n := testing.AllocsPerRun(5, func() { w.Step(i, 256); i++ }); n != 0 {
		t.Errorf("%v allocations per training step, want 0", n)
	}
}

func TestRunPrintsEveryFigure(t *testing.T) {
	var out strings.Builder
	res, err := Run(context.Background(), Options{Window: 20 * time.Millisecond, Windows: 1, Sets: []string{"dae"}}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"train_b256 steps/s ", "train_b1024 steps/s ", "infer_b4096 rows/s ", "gemm_256x512x512 GFLOP/s "}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(res) != len(want) || len(lines) != len(want) {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || !(res[i].Value > 0) {
			t.Errorf("line %d = %q, want prefix %q and a positive value", i, lines[i], w)
		}
	}
}

func BenchmarkTrainStep256(b *testing.B)  { benchStep(b, 256) }
func BenchmarkTrainStep1024(b *testing.B) { benchStep(b, 1024) }

func benchStep(b *testing.B, bs int) {
	w := NewWorkload(1)
	w.Step(0, bs)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Step(i, bs)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkInfer4096(b *testing.B) {
	w := NewWorkload(1)
	w.Infer(4096)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Infer(4096)
	}
	b.ReportMetric(float64(b.N)*4096/b.Elapsed().Seconds(), "rows/s")
}
