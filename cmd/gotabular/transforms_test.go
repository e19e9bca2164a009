package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

// -date-columns with a layout holding colons, -missing-indicator and a
// power transform reach the saved model; a bad date is a warning, or an
// error naming row, column and value under -odd-values error.
func TestDateAndMissingFlags(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("x,stamp,label\n")
	for i := range 60 {
		x := fmt.Sprint(1 + i%7)
		if i%9 == 0 {
			x = ""
		}
		stamp := fmt.Sprintf("%02d.%02d.2024 %02d:15", 1+i%28, 1+i%12, i%24)
		if i == 5 {
			stamp = "later"
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", x, stamp, []string{"a", "b"}[i%2])
	}
	file := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m")
	_, stderr := mustRun(t, "fit", "-data", file, "-target", "label", "-out", out, "-epochs", "1", "-folds", "0", "-quiet",
		"-date-columns", "stamp:02.01.2006 15:04", "-missing-indicator", "-continuous-transform", "yeo-johnson")
	if !strings.Contains(stderr, `row 6, column "stamp": 1 value is not a date`) {
		t.Errorf("stderr lacks the bad-date warning:\n%s", stderr)
	}
	m, err := gotabular.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.DataConfig.DateColumns, []config.DateColumn{{Name: "stamp", Format: "02.01.2006 15:04"}}; !slices.Equal(got, want) {
		t.Errorf("date columns %+v, want %+v", got, want)
	}
	var names []string
	for _, c := range m.Preprocessor().Categorical {
		names = append(names, c.Name)
	}
	if want := []string{"stamp_month", "stamp_day", "stamp_weekday", "stamp_hour", "x_missing"}; !slices.Equal(names, want) {
		t.Errorf("categorical features %v, want %v", names, want)
	}
	if stdout, _ := mustRun(t, "predict", "-model", out, "-data", file); strings.Count(stdout, "\n") != 61 {
		t.Errorf("predictions:\n%s", stdout)
	}

	code, _, stderr := runArgs(t, "fit", "-data", file, "-target", "label", "-out", filepath.Join(dir, "m2"), "-epochs", "1", "-folds", "0", "-quiet",
		"-date-columns", "stamp:02.01.2006 15:04", "-odd-values", "error")
	if code == 0 || !strings.Contains(stderr, `row 6, column "stamp": "later" is not a date`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	// x is 1 to 7, so box-cox fits it; a value ≤ 0 is tested in package data.
	mustRun(t, "fit", "-data", file, "-target", "label", "-out", filepath.Join(dir, "m3"), "-epochs", "1", "-folds", "0", "-quiet",
		"-continuous-transform", "box-cox", "-exclude", "stamp")
}
