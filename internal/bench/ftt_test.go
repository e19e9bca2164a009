package bench

import (
	"math"
	"testing"
)

// The FT-Transformer workloads train: the loss stays finite, and steps in
// steady state allocate nothing.
func TestFTTWorkloads(t *testing.T) {
	w := newFTTWorkload(1, 256)
	for i := range 3 {
		if l := w.Step(i, 64); math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("step %d: loss %v", i, l)
		}
	}
	i := 3
	if n := testing.AllocsPerRun(2, func() { w.Step(i, 64); i++ }); n != 0 {
		t.Errorf("%v allocations per FT-Transformer step, want 0", n)
	}
	if out := w.Infer(16); out.Rows != 16 || out.Cols != 1 {
		t.Errorf("inference gave %d×%d, want 16×1", out.Rows, out.Cols)
	}
	a := NewAdultWorkload(1)
	// The last step of an epoch is the short batch.
	for _, i := range []int{0, AdultSteps - 1} {
		if l := a.Step(i); math.IsNaN(l) || math.IsInf(l, 0) {
			t.Fatalf("adult-shaped step %d: loss %v", i, l)
		}
	}
	if n := testing.AllocsPerRun(2, func() { a.Step(i); i++ }); n != 0 {
		t.Errorf("%v allocations per adult-shaped step, want 0", n)
	}
}

func BenchmarkFTTTrainB256(b *testing.B) {
	w := NewFTTWorkload(1)
	w.Step(0, 256)
	b.ResetTimer()
	for i := range b.N {
		w.Step(i+1, 256)
	}
}

func BenchmarkFTTInferB4096(b *testing.B) {
	w := NewFTTWorkload(1)
	w.Infer(4096)
	b.ResetTimer()
	for range b.N {
		w.Infer(4096)
	}
}

func BenchmarkAdultStep(b *testing.B) {
	w := NewAdultWorkload(1)
	w.Step(0)
	b.ResetTimer()
	for i := range b.N {
		w.Step(i + 1)
	}
}
