package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/gotabular/gotabular/data"
)

const benchReadHelp = `Usage: gotabular bench read [flags]

Measures the readers on a table of -rows rows of 20 numeric columns (random
numbers with four decimals), made in memory: data.ParseCSV on its CSV text
and data.ParseParquet on the same table as a Parquet file of floats. Each
figure is the median of -windows passes. Both are given in megabytes of the
CSV text per second, so that the two compare rows per second.

Example:
  gotabular bench read -rows 200000

Writes one line per figure to stdout, "name unit value":
  read_csv_numeric MB/s N       CSV reading
  read_parquet_numeric MB/s N   Parquet reading, in MB of the equivalent CSV

Flags:
`

func runBenchRead(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench read", benchReadHelp, stderr)
	rows := fs.Int("rows", 200000, "`rows` of the table")
	windows := fs.Int("windows", 5, "number of passes; the median is reported")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rows < 1 || *windows < 1 {
		return fmt.Errorf("-rows and -windows must be ≥ 1")
	}
	const cols = 20
	rng := rand.New(rand.NewPCG(1, 2))
	columns := make([]*data.Column, cols)
	for j := range columns {
		vals := make([]float32, *rows)
		for i := range vals {
			vals[i] = float32(rng.NormFloat64() * 100)
		}
		columns[j] = data.NewContinuous("f"+strconv.Itoa(j), vals)
	}
	tab, err := data.NewTable("bench", columns...)
	if err != nil {
		return err
	}
	var text bytes.Buffer
	for j := range cols {
		if j > 0 {
			text.WriteByte(',')
		}
		text.WriteString(columns[j].Name)
	}
	text.WriteByte('\n')
	for i := range *rows {
		for j, c := range columns {
			if j > 0 {
				text.WriteByte(',')
			}
			text.Write(strconv.AppendFloat(nil, float64(c.Floats[i]), 'f', 4, 32))
		}
		text.WriteByte('\n')
	}
	var pq bytes.Buffer
	if err := data.WriteParquet(&pq, tab); err != nil {
		return err
	}
	csvBytes, pqBytes := text.Bytes(), pq.Bytes()
	fmt.Fprintf(stdout, "# gotabular read %s/%s GOMAXPROCS=%d, %d rows, CSV %d bytes, Parquet %d bytes\n",
		runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), *rows, len(csvBytes), len(pqBytes))
	for _, r := range []struct {
		name string
		read func() error
	}{
		{"read_csv_numeric", func() error {
			_, err := data.ParseCSV(bytes.NewReader(csvBytes), "bench.csv", data.ReadOptions{})
			return err
		}},
		{"read_parquet_numeric", func() error {
			_, err := data.ParseParquet(bytes.NewReader(pqBytes), int64(len(pqBytes)), "bench.parquet", data.ReadOptions{})
			return err
		}},
	} {
		rates := make([]float64, *windows)
		for w := range rates {
			if err := ctx.Err(); err != nil {
				return err
			}
			start := time.Now()
			if err := r.read(); err != nil {
				return err
			}
			rates[w] = float64(len(csvBytes)) / time.Since(start).Seconds() / 1e6
		}
		slices.Sort(rates)
		fmt.Fprintf(stdout, "%s MB/s %.1f\n", r.name, rates[len(rates)/2])
	}
	return nil
}
