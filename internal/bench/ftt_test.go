package bench

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// The reference's figures are read back by name, its comment lines passed
// on; the environment carries the windows. A shell stands in for Python.
func TestRunReference(t *testing.T) {
	dir := t.TempDir()
	script := "echo \"# torch fake threads=$THREADS\"\necho \"ftt_train_b256 steps/s $REPS.5\"\necho not a figure\n"
	if err := os.WriteFile(filepath.Join(dir, ReferenceScripts["ftt"]), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	res, err := RunReference(context.Background(), "/bin/sh", dir, "ftt", Options{Window: time.Second, Windows: 2}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0] != (Result{"ftt_train_b256", "steps/s", 2.5}) {
		t.Errorf("figures %v", res)
	}
	if out.String() != "# torch fake threads=1\n" {
		t.Errorf("comments %q", out.String())
	}
	if FindReferenceDir(filepath.Join(dir, "a", "b")) != "" {
		t.Error("found a reference directory where there is none")
	}
	if _, err := RunReference(context.Background(), "/bin/false", dir, "ftt", Options{}, &out); err == nil {
		t.Error("a failing reference gave no error")
	}
}
