package main

import (
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"help", []string{"bench", "-h"}, 0, "gotabular bench engine -seconds 5"},
		{"engine help", []string{"bench", "engine", "-h"}, 0, "train_b256 steps/s N"},
		{"no benchmark named", []string{"bench"}, 2, "gotabular bench engine"},
		{"unknown benchmark", []string{"bench", "disk"}, 2, "gotabular bench engine"},
		{"bad seconds", []string{"bench", "engine", "-seconds", "0"}, 1, "-seconds must be positive"},
		{"run", []string{"bench", "engine", "-seconds", "0.01", "-warmup", "0", "-windows", "1"}, 0, "gemm_256x512x512 GFLOP/s "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.output) {
				t.Errorf("exit status %d, want %d; output lacks %q:\n%s%s", code, tt.code, tt.output, stdout, stderr)
			}
		})
	}
}
