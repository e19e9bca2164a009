package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

const benchGenHelp = `Usage: gotabular bench gen -rows N -cols C -out FILE [-seed S]

Writes a synthetic table of N rows and C columns, for measuring reading and
streaming pretraining on files larger than memory: C−2 numeric columns
(normal numbers with four decimals, one in fifty missing) and two text
columns, "cat_a" with 8 levels and "cat_b" with 200. The format follows the
name of FILE: .parquet (row groups of 65,536 rows, floats and strings), .gz
(gzip-compressed CSV) or anything else for CSV. Rows are written as they
are made, so memory does not grow with N. The same seed gives the same
file.

Example:
  gotabular bench gen -rows 10000000 -cols 20 -out big.parquet

Flags:
`

func runBenchGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench gen", benchGenHelp, stderr)
	rows := fs.Int("rows", 1000000, "`rows` to write")
	cols := fs.Int("cols", 20, "`columns` to write, at least 3")
	out := fs.String("out", "", "`file` to write (required)")
	seed := fs.Uint64("seed", 1, "`seed` of the values")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	if *rows < 1 || *cols < 3 {
		return fmt.Errorf("-rows must be ≥ 1 and -cols ≥ 3")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	g := &generator{rng: rand.New(rand.NewPCG(*seed, 0x6e6)), numeric: *cols - 2}
	if strings.HasSuffix(*out, ".parquet") {
		err = g.writeParquet(ctx, f, *rows)
	} else {
		err = g.writeCSV(ctx, f, *rows, strings.HasSuffix(*out, ".gz"))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d rows, %d columns\n", *out, *rows, *cols)
	return nil
}

// generator makes the rows of bench gen.
type generator struct {
	rng     *rand.Rand
	numeric int
}

func (g *generator) names() []string {
	names := make([]string, 0, g.numeric+2)
	for j := range g.numeric {
		names = append(names, "num_"+strconv.Itoa(j))
	}
	return append(names, "cat_a", "cat_b")
}

// row returns the next row: the numbers (NaN for missing, rounded to four
// decimals) and the two levels.
func (g *generator) row(nums []float64) (a, b int) {
	for j := range nums {
		if g.rng.IntN(50) == 0 {
			nums[j] = math.NaN()
			continue
		}
		nums[j] = math.Round((g.rng.NormFloat64()*float64(j+1)+float64(j))*1e4) / 1e4
	}
	return g.rng.IntN(8), int(math.Abs(g.rng.NormFloat64())*40) % 200
}

func (g *generator) writeCSV(ctx context.Context, f io.Writer, rows int, compress bool) error {
	w := f
	var zw *gzip.Writer
	if compress {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(strings.Join(g.names(), ",") + "\n")
	nums := make([]float64, g.numeric)
	var line []byte
	for i := range rows {
		if i%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		a, b := g.row(nums)
		line = line[:0]
		for _, v := range nums {
			if !math.IsNaN(v) {
				line = strconv.AppendFloat(line, v, 'f', -1, 64)
			}
			line = append(line, ',')
		}
		line = append(line, "a"...)
		line = strconv.AppendInt(line, int64(a), 10)
		line = append(line, ",b"...)
		line = strconv.AppendInt(line, int64(b), 10)
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

// parquetGroupRows is the size of the row groups bench gen writes.
const parquetGroupRows = 1 << 16

func (g *generator) writeParquet(ctx context.Context, f io.Writer, rows int) error {
	names := g.names()
	group := parquet.Group{}
	for _, n := range names[:g.numeric] {
		group[n] = parquet.Optional(parquet.Leaf(parquet.FloatType))
	}
	group["cat_a"] = parquet.Optional(parquet.String())
	group["cat_b"] = parquet.Optional(parquet.String())
	schema := parquet.NewSchema("table", group)
	index := make([]int, len(names))
	for j, n := range names {
		leaf, _ := schema.Lookup(n)
		index[j] = leaf.ColumnIndex
	}
	pw := parquet.NewWriter(f, schema)
	nums := make([]float64, g.numeric)
	batch := make([]parquet.Row, 0, 1024)
	for i := 0; i < rows; {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		batch = batch[:0]
		for ; i < rows && len(batch) < cap(batch); i++ {
			a, b := g.row(nums)
			row := make(parquet.Row, len(names))
			for j, v := range nums {
				if math.IsNaN(v) {
					row[index[j]] = parquet.NullValue().Level(0, 0, index[j])
				} else {
					row[index[j]] = parquet.FloatValue(float32(v)).Level(0, 1, index[j])
				}
			}
			row[index[g.numeric]] = parquet.ByteArrayValue([]byte("a"+strconv.Itoa(a))).Level(0, 1, index[g.numeric])
			row[index[g.numeric+1]] = parquet.ByteArrayValue([]byte("b"+strconv.Itoa(b))).Level(0, 1, index[g.numeric+1])
			batch = append(batch, row)
			if (i+1)%parquetGroupRows == 0 {
				if _, err := pw.WriteRows(batch); err != nil {
					return err
				}
				batch = batch[:0]
				if err := pw.Flush(); err != nil {
					return err
				}
			}
		}
		if _, err := pw.WriteRows(batch); err != nil {
			return err
		}
	}
	return pw.Close()
}
