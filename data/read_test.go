package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// pqRow is the schema of the Parquet files the tests write.
type pqRow struct {
	X    *float64 `parquet:"x,optional"`
	N    int64    `parquet:"n"`
	City *string  `parquet:"city,optional"`
	OK   bool     `parquet:"ok"`
}

func ptr[T any](v T) *T { return &v }

// parquetBytes writes rows as a Parquet file.
func parquetBytes(t testing.TB, rows []pqRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t testing.TB, text string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(text))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var pqRows = []pqRow{
	{X: ptr(1.5), N: 7, City: ptr("paris"), OK: true},
	{X: nil, N: 8, City: ptr("NA"), OK: false},
	{X: ptr(1e300), N: 9, City: nil, OK: true},
}

func TestParseParquet(t *testing.T) {
	b := parquetBytes(t, pqRows)
	tab, err := ParseParquet(bytes.NewReader(b), int64(len(b)), "t.parquet", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"x":    "continuous:1.5,NA,NA", // 1e300 overflows float32: odd, missing
		"n":    "continuous:7,8,9",
		"city": "categorical:paris,NA,NA",
		"ok":   "continuous:1,0,1",
	}
	for name, w := range want {
		c, err := tab.Col(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(c); got != w {
			t.Errorf("%s: got %q, want %q", name, got, w)
		}
	}
	if len(tab.Warnings) != 1 || !strings.Contains(tab.Warnings[0].Error(), `t.parquet: row 3, column "x"`) {
		t.Errorf("warnings %v, want one about row 3 of x", tab.Warnings)
	}
	_, err = ParseParquet(bytes.NewReader(b), int64(len(b)), "t.parquet", ReadOptions{Odd: OddIsError})
	var pe *Error
	if !errors.As(err, &pe) || pe.Row != 3 || pe.Column != "x" || !strings.Contains(err.Error(), `"1e+300"`) {
		t.Errorf("OddIsError: got %v, want row 3, column x, quoting the value", err)
	}
	forced, err := ParseParquet(bytes.NewReader(b), int64(len(b)), "t.parquet", ReadOptions{Kinds: map[string]Kind{"n": Categorical}})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := forced.Col("n"); render(c) != "categorical:7,8,9" {
		t.Errorf("forced n: %s", render(c))
	}
	_, err = ParseParquet(bytes.NewReader(b[:len(b)/2]), int64(len(b)/2), "cut.parquet", ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "cut.parquet") {
		t.Errorf("truncated file: got %v", err)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	shards := filepath.Join(dir, "shards")
	os.Mkdir(shards, 0o755)
	csvA := writeFile(t, shards, "a.csv", []byte("x;n;city;ok\n2;1;rome;0\n"))
	writeFile(t, shards, "b.csv.gz", gzipBytes(t, "city,ok,x,n\noslo,1,3,2\n"))
	writeFile(t, shards, "c.parquet", parquetBytes(t, pqRows[:2]))
	writeFile(t, shards, ".hidden.csv", []byte("junk\n"))
	writeFile(t, shards, "notes.md", []byte("junk\n"))
	for _, tt := range []struct {
		name, spec string
		rows       int
		x          string
	}{
		{"file", csvA, 1, "continuous:2"},
		{"directory", shards, 4, "continuous:2,3,1.5,NA"},
		{"glob", filepath.Join(shards, "*.csv*"), 2, "continuous:2,3"},
		{"list", csvA + "," + filepath.Join(shards, "c.parquet"), 3, "continuous:2,1.5,NA"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := Read(tt.spec, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tab.Rows != tt.rows || tab.Source != tt.spec {
				t.Errorf("got %d rows from %q, want %d from %q", tab.Rows, tab.Source, tt.rows, tt.spec)
			}
			if c, _ := tab.Col("x"); render(c) != tt.x {
				t.Errorf("x: got %s, want %s", render(c), tt.x)
			}
			if c, _ := tab.Col("city"); c.Kind != Categorical {
				t.Errorf("city is %v", c.Kind)
			}
		})
	}

	bad := filepath.Join(dir, "bad")
	os.Mkdir(bad, 0o755)
	writeFile(t, bad, "1.csv", []byte("x,y\n1,2\n"))
	writeFile(t, bad, "2.csv", []byte("x,z\n1,2\n"))
	for _, tt := range []struct{ name, spec, want string }{
		{"other columns", bad, filepath.Join(bad, "2.csv") + `: line 1, column "z": the first file has no such column`},
		{"no match", filepath.Join(dir, "*.nothing"), "no file matches"},
		{"missing", filepath.Join(dir, "absent.csv"), "absent.csv"},
		{"empty dir", t.TempDir(), "no data files"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.spec, ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// Inference spans the files of a dataset: a typo in one shard does not
// make the column categorical there and numeric elsewhere.
func TestReadInfersAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	var clean strings.Builder
	clean.WriteString("x\n")
	for i := range 100 {
		clean.WriteString(strings.Repeat("1", 1+i%3) + "\n")
	}
	writeFile(t, dir, "1.csv", []byte(clean.String()))
	writeFile(t, dir, "2.csv", []byte("x\n5\noops\n"))
	tab, err := Read(dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := tab.Col("x"); c.Kind != Continuous || !c.Missing(101) {
		t.Errorf("x: %v, row 102 missing %v; want continuous with the typo missing", c.Kind, c.Missing(101))
	}
	if len(tab.Warnings) != 1 || !strings.Contains(tab.Warnings[0].Error(), filepath.Join(dir, "2.csv")+`: row 2 (line 3), column "x"`) {
		t.Errorf("warnings %v", tab.Warnings)
	}
}

func TestFromRecordsAndNewTable(t *testing.T) {
	tab, err := FromRecords("mem", [][]string{{"a", "b"}, {"1", "x"}, {"NA", "y"}}, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := tab.Col("a"); render(a) != "continuous:1,NA" {
		t.Errorf("a: %s", render(a))
	}
	if _, err := FromRecords("mem", [][]string{{"a"}, {"1", "2"}}, ReadOptions{}); err == nil || !strings.Contains(err.Error(), "mem: row 1") {
		t.Errorf("ragged: %v", err)
	}
	for _, tt := range []struct {
		name string
		cols []*Column
		want string // "" for success
	}{
		{"ok", []*Column{NewContinuous("x", []float32{1, nan}), NewCategorical("c", []string{"a", ""})}, ""},
		{"lengths", []*Column{NewContinuous("x", []float32{1}), NewCategorical("c", []string{"a", "b"})}, `column "c": 2 values`},
		{"infinite", []*Column{NewContinuous("x", []float32{1, float32(math.Inf(1))})}, `row 2, column "x"`},
		{"duplicate", []*Column{NewContinuous("x", nil), NewContinuous("x", nil)}, "repeated"},
		{"bad code", []*Column{{Name: "c", Kind: Categorical, Codes: []int32{3}, Dict: []string{"a"}}}, `row 1, column "c": code 3`},
		{"none", nil, "at least one column"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTable("mem", tt.cols...)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestWriteParquetRoundTrip(t *testing.T) {
	orig, err := NewTable("mem",
		NewContinuous("b", []float32{1.5, nan, -2}),
		NewCategorical("a", []string{"x", "", "y"}),
		NewContinuous("c", []float32{0, 1, 2}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteParquet(&buf, orig); err != nil {
		t.Fatal(err)
	}
	back, err := ParseParquet(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "rt.parquet", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range orig.Columns {
		d, err := back.Col(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		if render(c) != render(d) {
			t.Errorf("%s: got %s, want %s", c.Name, render(d), render(c))
		}
	}
}
