package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a buffer that a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the buffer matches re and returns the match.
func waitFor(t *testing.T, b *syncBuffer, re *regexp.Regexp) []string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
	}
	t.Fatalf("no %q in the log:\n%s", re, b.String())
	return nil
}

// The server answers a CSV file exactly as gotabular predict does; SIGHUP
// reloads the model and SIGTERM stops the server cleanly.
func TestServe(t *testing.T) {
	f := fixtures(t)
	want, _ := mustRun(t, "predict", "-model", f.finetuned, "-data", f.test)

	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(context.Background(), []string{"serve", "-model", f.finetuned, "-addr", "127.0.0.1:0"}, &stdout, &stderr)
	}()
	addr := waitFor(t, &stderr, regexp.MustCompile(`listening on (http://\S+)`))[1]

	body, err := os.ReadFile(f.test)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", addr+"/v1/predict", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || got.String() != want {
		t.Errorf("status %d; the answer differs from gotabular predict's:\n%.300s\nwant:\n%.300s", resp.StatusCode, got.String(), want)
	}

	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, &stderr, regexp.MustCompile(`reloaded`))
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit status %d:\n%s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop on SIGTERM")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("log:\n%s", stderr.String())
	}
}

func TestServeFlags(t *testing.T) {
	f := fixtures(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"help", []string{"serve", "-h"}, 0, "curl -s localhost:8080/v1/predict"},
		{"no model", []string{"serve"}, 2, "-model directory is required"},
		{"missing model", []string{"serve", "-model", f.dir + "/none"}, 1, "no such directory"},
		{"not a model", []string{"serve", "-model", f.dir}, 1, "not a saved model"},
		{"bad size", []string{"serve", "-model", f.finetuned, "-max-body", "10XB"}, 2, "want a positive number of bytes"},
		{"bad rows", []string{"serve", "-model", f.finetuned, "-max-rows", "0"}, 2, "-max-rows must be positive"},
		{"bench help", []string{"bench", "serve", "-h"}, 0, "serve_b1_c8_p99 ms N"},
		{"bench clients", []string{"bench", "serve", "-model", f.finetuned, "-clients", "0"}, 2, "-clients"},
		{"bad gogc", []string{"serve", "-model", f.finetuned, "-gogc", "5"}, 2, "want a percent ≥ 10"},
		{"bench gogc", []string{"bench", "serve", "-model", f.finetuned, "-gogc", "off"}, 2, "want a percent ≥ 10"},
		{"bench profile into the model", []string{"bench", "serve", "-model", f.finetuned, "-cpuprofile", f.finetuned + "/cpu.prof"}, 1, "inside the model directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.output) {
				t.Errorf("exit status %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.output, stdout, stderr)
			}
		})
	}
}

func TestBenchServe(t *testing.T) {
	f := fixtures(t)
	stdout, stderr := mustRun(t, "bench", "serve", "-model", f.finetuned, "-duration", "300ms", "-warmup", "0", "-clients", "1,3", "-batch", "1,16")
	for _, name := range []string{"serve_b1_c1", "serve_b1_c3", "serve_b16_c1", "serve_b16_c3"} {
		for _, line := range []string{name + " requests/s ", name + " rows/s ", name + "_p50 ms ", name + "_p99 ms ", name + " errors 0\n", name + "_heap_live MiB ", name + "_rss_growth MiB "} {
			if !strings.Contains(stdout, line) {
				t.Errorf("no line %q in\n%s\nstderr:\n%s", line, stdout, stderr)
			}
		}
	}
}
