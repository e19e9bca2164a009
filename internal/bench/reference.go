package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ReferenceScripts maps each workload of [Sets] that has a PyTorch
// reference to its program's file name.
var ReferenceScripts = map[string]string{
	"dae": "torch_mlp_dae.py",
	"ftt": "torch_ft_transformer.py",
}

// FindReferenceDir returns the first directory named shared/bench, holding
// a reference program, in dir or one of its parents, or "" if none does:
// the reference programs live beside the repository, not in it.
func FindReferenceDir(dir string) string {
	for {
		cand := filepath.Join(dir, "shared", "bench")
		if _, err := os.Stat(filepath.Join(cand, ReferenceScripts["ftt"])); err == nil {
			return cand
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// RunReference runs the reference program of workload set (found in dir)
// with python, with the same windows as o (its warm-up is its own), and
// returns its figures, named as it names them. Its comment lines (the
// PyTorch version and threads) are written to out as they are.
func RunReference(ctx context.Context, python, dir, set string, o Options, out io.Writer) ([]Result, error) {
	script, ok := ReferenceScripts[set]
	if !ok {
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, python, filepath.Join(dir, script))
	// One PyTorch thread, as the references default to: its matrix
	// products still use both cores through OpenBLAS's own threads.
	cmd.Env = append(os.Environ(), "THREADS=1",
		"BENCH_SECONDS="+strconv.FormatFloat(o.Window.Seconds(), 'g', -1, 64),
		"REPS="+strconv.Itoa(max(o.Windows, 1)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%s: %v: %s", script, err, msg)
	}
	var res []Result
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			fmt.Fprintln(out, line)
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			continue
		}
		res = append(res, Result{f[0], f[1], v})
	}
	return res, nil
}

// ReferenceTimeout bounds one reference program's run: its warm-up and
// windows, and PyTorch's start-up.
func ReferenceTimeout(o Options) time.Duration {
	return 2*time.Minute + 10*time.Duration(max(o.Windows, 1))*o.Window
}
