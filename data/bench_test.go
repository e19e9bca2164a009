package data

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// numericCSV is rows×cols of random numbers with four decimals, as
// exported measurements usually are.
func numericCSV(rows, cols int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for j := range cols {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "f%d", j)
	}
	b.WriteByte('\n')
	for range rows {
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.4f", rng.NormFloat64()*100)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// numericParquet is the table of numericCSV as a Parquet file of float
// columns.
func numericParquet(tb testing.TB, rows, cols int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	group := parquet.Group{}
	for j := range cols {
		group[fmt.Sprintf("f%d", j)] = parquet.Leaf(parquet.FloatType)
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, parquet.NewSchema("t", group))
	row := make(parquet.Row, cols)
	for range rows {
		for j := range cols {
			row[j] = parquet.FloatValue(float32(rng.NormFloat64()*100)).Level(0, 0, j)
		}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadNumericCSV measures the CSV reader on numeric data; its
// MB/s is the figure the README gives.
func BenchmarkReadNumericCSV(b *testing.B) {
	text := numericCSV(50000, 20)
	b.SetBytes(int64(len(text)))
	start := cpuTime()
	for b.Loop() {
		if _, err := ParseCSV(bytes.NewReader(text), "bench.csv", ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start, len(text))
}

// reportCPU adds the throughput per second of processor time, which the
// machine's other tenants do not slow down as they do wall time. It counts
// the garbage collector's work on other threads too.
func reportCPU(b *testing.B, start time.Duration, size int) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/used.Seconds()/1e6, "cpu-MB/s")
	}
}

// BenchmarkReadNumericParquet reads the same table from Parquet. Its MB/s
// counts the bytes of the equivalent CSV text, so that the two figures
// compare rows per second.
func BenchmarkReadNumericParquet(b *testing.B) {
	const rows, cols = 50000, 20
	file := numericParquet(b, rows, cols)
	size := len(numericCSV(rows, cols))
	b.SetBytes(int64(size))
	start := cpuTime()
	for b.Loop() {
		if _, err := ParseParquet(bytes.NewReader(file), int64(len(file)), "bench.parquet", ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start, size)
}

func TestNumericParquetMatchesCSV(t *testing.T) {
	file := numericParquet(t, 30, 3)
	tab, err := ParseParquet(bytes.NewReader(file), int64(len(file)), "t.parquet", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 30 || len(tab.Columns) != 3 || tab.Columns[0].Kind != Continuous || !strings.HasPrefix(tab.Columns[2].Name, "f") {
		t.Errorf("got %d rows, %d columns, first %v", tab.Rows, len(tab.Columns), tab.Columns[0].Kind)
	}
}
