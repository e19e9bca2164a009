package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The histogram's quantiles are those of the exact sorted latencies to
// within its resolution, from nanoseconds to minutes.
func TestLatencies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		name string
		draw func() time.Duration
	}{
		{"sub-microsecond", func() time.Duration { return time.Duration(rng.IntN(1000)) }},
		{"milliseconds", func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(time.Millisecond)) }},
		{"wide", func() time.Duration { return time.Duration(rng.Float64() * float64(time.Minute)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h, other latencies
			var all []time.Duration
			for i := range 20000 {
				d := tt.draw()
				all = append(all, d)
				if i%2 == 0 {
					h.add(d)
				} else {
					other.add(d)
				}
			}
			h.merge(&other)
			slices.Sort(all)
			for _, p := range []float64{0, 0.5, 0.9, 0.99, 1} {
				want := all[min(len(all)-1, int(p*float64(len(all))))]
				got := h.quantile(p)
				if diff := (got - want).Abs(); float64(diff) > float64(want)/latencySub+1 {
					t.Errorf("quantile %v: %v, want %v within 1/%d", p, got, want, latencySub)
				}
			}
		})
	}
	var empty latencies
	if empty.quantile(0.5) != 0 {
		t.Error("an empty histogram's median is not 0")
	}
	for _, d := range []time.Duration{0, 63, 64, 65, 127, 128, 1 << 40, 1<<63 - 1} {
		i := latencyBucket(d)
		if i < 0 || i >= latencyBuckets {
			t.Fatalf("%v: bucket %d outside [0, %d)", d, i, latencyBuckets)
		}
		if got := latencyOf(i); (got - d).Abs() > d/latencySub+1 {
			t.Errorf("%v: bucket %d stands for %v", d, i, got)
		}
	}
}
