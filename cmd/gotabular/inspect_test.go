package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInspect(t *testing.T) {
	f := fixtures(t)
	dir := t.TempDir()
	semi := filepath.Join(dir, "semi.csv")
	os.WriteFile(semi, []byte("age;city;income\n25;paris;1\n35;london;2\nNA;rome;3\n40;paris;Inf\n"), 0o644)
	for _, tt := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"data", []string{"inspect", semi}, 0, []string{
			"semi.csv: 4 rows, 3 columns",
			"age     continuous   25.0%    3         25   40   33.3333",
			"city    categorical  0.0%     3                            paris (2), london (1), rome (1)",
			`warning: ` + semi + `: row 4 (line 5), column "income": 1 of 4 values are not finite numbers`,
		}},
		{"flags after the path", []string{"inspect", semi, "-top", "1"}, 0, []string{"paris (2)\n"}},
		{"odd values as errors", []string{"inspect", "-odd-values", "error", semi}, 1, []string{`column "income": "Inf" is not a finite number`}},
		{"model", []string{"inspect", f.finetuned}, 0, []string{"a finetuned model,", "parameters", "data_config:", "ssl_model:", "features: 3 continuous", "color", "categorical", `target: "label", classification, classes no, yes`, "best epoch"}},
		{"no path", []string{"inspect"}, 2, []string{"give one PATH"}},
		{"missing file", []string{"inspect", filepath.Join(dir, "absent.csv")}, 1, []string{"absent.csv"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runArgs(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit status %d, want %d; stderr %s", code, tt.code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
		})
	}
}

func TestBenchRead(t *testing.T) {
	stdout, _ := mustRun(t, "bench", "read", "-rows", "200", "-windows", "1")
	for _, name := range []string{"\nread_csv_numeric MB/s ", "\nread_parquet_numeric MB/s "} {
		if !strings.Contains(stdout, name) {
			t.Errorf("output lacks %q:\n%s", name, stdout)
		}
	}
}
