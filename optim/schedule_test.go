package optim

import (
	"math"
	"strings"
	"testing"
)

func TestScheduleValues(t *testing.T) {
	// cos(π/2) = 0, so half-way through a decay the factor is the mean of
	// its two ends.
	tests := []struct {
		name   string
		params map[string]float64
		total  int
		steps  []int
		want   []float64
	}{
		{"constant", nil, 10, []int{0, 5, 9}, []float64{1, 1, 1}},
		// 10 warm-up steps rise by 1/11 from 1/11; the decay starts at
		// step 10 and is half-way (0.5) at step 10 + 90/2.
		{"cosine", map[string]float64{"warmup": 0.1}, 100, []int{0, 4, 9, 10, 55, 99},
			[]float64{1.0 / 11, 5.0 / 11, 10.0 / 11, 1, 0.5, 0.5 * (1 + math.Cos(math.Pi*89/90))}},
		{"cosine", map[string]float64{"warmup": 0, "min_lr_scale": 0.1}, 10, []int{0, 5}, []float64{1, 0.55}},
		// The default warm-up is 5% of the steps: 5 of 100.
		{"cosine", nil, 100, []int{0, 5}, []float64{1.0 / 6, 1}},
		// PyTorch's OneCycleLR with its defaults over 100 steps: from
		// 1/25 at step 0 to 1 at step 0.3·100 − 1 = 29, half-way back at
		// 29 + 70/2 = 64, and 1/25/1e4 at step 99.
		{"onecycle", nil, 100, []int{0, 29, 64, 99}, []float64{0.04, 1, (1 + 4e-6) / 2, 4e-6}},
		// A peak between steps: 0.5·11 − 1 = 4.5, so step 4 still rises
		// and step 5 falls; the rate falls from 1 to 1/10/2.
		{"onecycle", map[string]float64{"pct_start": 0.5, "div_factor": 10, "final_div_factor": 2}, 11, []int{0, 4, 5, 10},
			[]float64{0.1, 0.1 + 0.9*(1-math.Cos(math.Pi*4/4.5))/2, 0.05 + 0.95*(1+math.Cos(math.Pi*0.5/5.5))/2, 0.05}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSchedule(tt.name, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			for i, step := range tt.steps {
				if got := s(step, tt.total); math.Abs(got-tt.want[i]) > 1e-12 {
					t.Errorf("step %d of %d: factor %v, want %v", step, tt.total, got, tt.want[i])
				}
			}
		})
	}
}

// Every registered schedule with its defaults stays within (0, 1] over a
// run and ends no higher than it peaked, whatever the number of steps.
func TestSchedulesInRange(t *testing.T) {
	for _, k := range ScheduleKinds() {
		s, err := NewSchedule(k.Name, nil)
		if err != nil {
			t.Fatalf("%s with its defaults: %v", k.Name, err)
		}
		for _, total := range []int{1, 2, 3, 7, 1000} {
			for step := range total {
				if f := s(step, total); !(f > 0 && f <= 1) {
					t.Errorf("%s: step %d of %d: factor %v, want (0, 1]", k.Name, step, total, f)
				}
			}
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		params map[string]float64
		want   string
	}{
		{"linear", nil, `lr_scheduler "linear": want one of constant, cosine, onecycle`},
		{"cosine", map[string]float64{"warmpu": 0.1}, `"warmpu" is not a parameter of the cosine schedule; it takes min_lr_scale, warmup`},
		{"constant", map[string]float64{"warmup": 0.1}, "it takes none"},
		{"cosine", map[string]float64{"warmup": 1}, "warmup 1"},
		{"cosine", map[string]float64{"min_lr_scale": math.NaN()}, "min_lr_scale NaN"},
		{"onecycle", map[string]float64{"pct_start": 0}, "pct_start 0"},
		{"onecycle", map[string]float64{"div_factor": 0.5}, "div_factor 0.5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSchedule(tt.name, tt.params)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
