package data

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// This file reads a data file one row at a time, for [Stream], which must
// never hold a file whole. [Read] builds columns instead; both take a file
// the same way (format from the first bytes, the same delimiter detection,
// missing tokens and trimming), so that a file read either way gives the
// same values.

// cellKind says what a cell holds.
type cellKind uint8

const (
	cellText   cellKind = iota // text: a CSV field or a Parquet string, trimmed
	cellNumber                 // a typed Parquet number, in num
	cellNull                   // a Parquet null
)

// cell is one field of a row as the file gives it.
type cell struct {
	kind cellKind
	text string
	num  float64
}

// rowReader yields the rows of one file.
type rowReader interface {
	// header is the file's column names, in the file's order.
	header() []string
	// next fills cells, one per column of the header, with the next row;
	// it returns io.EOF after the last. Text in cells is valid until the
	// next call.
	next(cells []cell) error
	// pos is where the row last returned was read.
	pos() position
	// parquet reports the type of each column for a Parquet file, nil for
	// CSV.
	parquet() []parquetKind
	close() error
}

// openRows opens path for reading row by row; the format is chosen from
// the first bytes, as [Read] chooses it.
func openRows(path string, opt ReadOptions) (rowReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, len(parquetMagic))
	n, _ := io.ReadFull(f, head)
	if string(head[:n]) == parquetMagic {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		r, err := openParquetRows(f, fi.Size(), path)
		if err != nil {
			f.Close()
			return nil, err
		}
		return r, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	r, err := newCSVRows(f, path, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// csvRows reads a CSV file, gzip-compressed or not, a record at a time.
type csvRows struct {
	f      io.Closer
	zr     *gzip.Reader
	rr     *recordReader
	source string
	names  []string
	row    int
}

func newCSVRows(f io.ReadCloser, source string, opt ReadOptions) (*csvRows, error) {
	c := &csvRows{f: f, source: source}
	br := bufio.NewReaderSize(f, 1<<16)
	if m, err := br.Peek(2); err == nil && string(m) == gzipMagic {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{Source: source, Err: fmt.Errorf("gzip: %w", err)}
		}
		c.zr = zr
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	if m, err := br.Peek(3); err == nil && string(m) == "\ufeff" {
		br.Discard(3)
	}
	comma := opt.Delimiter
	if comma == 0 {
		sample, _ := br.Peek(sniffBytes)
		comma = DetectDelimiter(sample)
	}
	c.rr = newRecordReader(br, comma)
	header, err := c.rr.read()
	if err == io.EOF {
		return nil, &Error{Source: source, Err: errors.New("empty file: a header row is required")}
	}
	if err != nil {
		return nil, readError(source, 0, err, c.rr, nil)
	}
	c.names = make([]string, len(header))
	for j, h := range header {
		c.names[j] = strings.TrimSpace(h)
	}
	return c, nil
}

func (c *csvRows) header() []string       { return c.names }
func (c *csvRows) parquet() []parquetKind { return nil }

func (c *csvRows) pos() position {
	return position{source: c.source, row: c.row, line: c.rr.start}
}

func (c *csvRows) next(cells []cell) error {
	rec, err := c.rr.read()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return readError(c.source, c.row+1, err, c.rr, c.names)
	}
	c.row++
	if len(rec) != len(c.names) {
		return &Error{Source: c.source, Row: c.row, Line: c.rr.start,
			Err: fmt.Errorf("%w: %d, the header has %d", csv.ErrFieldCount, len(rec), len(c.names))}
	}
	for j, f := range rec {
		cells[j] = cell{kind: cellText, text: strings.TrimSpace(f)}
	}
	return nil
}

func (c *csvRows) close() error {
	if c.zr != nil {
		c.zr.Close()
	}
	return c.f.Close()
}

// parquetRows reads a Parquet file row group by row group, a few hundred
// rows at a time, so that only the pages being read are in memory.
type parquetRows struct {
	f      io.Closer
	pf     *parquet.File
	source string
	names  []string
	kinds  []parquetKind
	scales []float64
	size   int64

	group   int           // next row group
	rows    parquet.Rows  // of the current row group, nil between groups
	left    int           // rows the current group still claims
	buf     []parquet.Row // rows read and not yet returned
	pending []parquet.Row // buf[i:]
	row     int           // rows returned so far
}

// parquetBatch is how many rows are read from a Parquet file at once.
const parquetBatch = 256

func openParquetRows(f *os.File, size int64, source string) (r *parquetRows, err error) {
	// The library reports some malformed files by panicking; a file is
	// input, and input must give an error.
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, &Error{Source: source, Err: fmt.Errorf("not a readable Parquet file: %v", p)}
		}
	}()
	pf, err := parquet.OpenFile(f, size)
	if err != nil {
		return nil, &Error{Source: source, Err: fmt.Errorf("not a readable Parquet file: %w", err)}
	}
	schema := pf.Schema()
	paths := schema.Columns()
	if len(paths) == 0 {
		return nil, &Error{Source: source, Err: errors.New("the Parquet file has no columns")}
	}
	r = &parquetRows{f: f, pf: pf, source: source, size: size,
		names: make([]string, len(paths)), kinds: make([]parquetKind, len(paths)), scales: make([]float64, len(paths))}
	for j, path := range paths {
		r.names[j] = strings.Join(path, ".")
		leaf, ok := schema.Lookup(path...)
		if !ok {
			return nil, &Error{Source: source, Column: r.names[j], Err: errors.New("column not found in the schema")}
		}
		if leaf.MaxRepetitionLevel > 0 {
			return nil, &Error{Source: source, Column: r.names[j], Err: errors.New("repeated (list) columns cannot be read as a table column")}
		}
		typ := leaf.Node.Type()
		switch typ.Kind() {
		case parquet.Boolean:
			r.kinds[j] = pqBool
		case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
			r.kinds[j] = pqNumber
			if lt := typ.LogicalType(); lt != nil {
				if d, ok := lt.Value.(*format.DecimalType); ok {
					r.scales[j] = math.Pow10(int(d.Scale))
				}
			}
		case parquet.ByteArray:
			r.kinds[j] = pqText
		default:
			return nil, &Error{Source: source, Column: r.names[j], Err: fmt.Errorf("Parquet type %v is not supported", typ)}
		}
	}
	r.buf = make([]parquet.Row, parquetBatch)
	return r, nil
}

func (r *parquetRows) header() []string       { return r.names }
func (r *parquetRows) parquet() []parquetKind { return r.kinds }
func (r *parquetRows) pos() position          { return position{source: r.source, row: r.row} }

func (r *parquetRows) next(cells []cell) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Source: r.source, Row: r.row + 1, Err: fmt.Errorf("not a readable Parquet file: %v", p)}
		}
	}()
	for len(r.pending) == 0 {
		if err := r.fill(); err != nil {
			return err
		}
	}
	row := r.pending[0]
	r.pending = r.pending[1:]
	r.row++
	for j := range cells {
		cells[j] = cell{kind: cellNull}
	}
	for _, v := range row {
		j := v.Column()
		if j < 0 || j >= len(cells) {
			return &Error{Source: r.source, Row: r.row, Err: fmt.Errorf("a value of column %d, which the schema does not have", j)}
		}
		if v.IsNull() {
			continue
		}
		switch r.kinds[j] {
		case pqText:
			cells[j] = cell{kind: cellText, text: strings.TrimSpace(string(v.ByteArray()))}
		default:
			cells[j] = cell{kind: cellNumber, num: parquetNumber(v, r.scales[j])}
		}
	}
	return nil
}

// fill reads the next rows into pending, moving to the next row group
// when the current one is done; io.EOF after the last.
func (r *parquetRows) fill() error {
	if r.rows == nil {
		groups := r.pf.RowGroups()
		if r.group >= len(groups) {
			return io.EOF
		}
		rg := groups[r.group]
		r.group++
		n := rg.NumRows()
		if n < 0 || n > maxParquetRowsPerByte*r.size {
			return &Error{Source: r.source, Row: r.row + 1, Err: fmt.Errorf("a row group claims %d rows, which a file of %d bytes cannot hold", n, r.size)}
		}
		r.rows, r.left = rg.Rows(), int(n)
	}
	want := min(len(r.buf), r.left)
	if want == 0 {
		r.rows.Close()
		r.rows = nil
		return nil
	}
	n, err := r.rows.ReadRows(r.buf[:want])
	r.left -= n
	r.pending = r.buf[:n]
	if err != nil && err != io.EOF {
		return &Error{Source: r.source, Row: r.row + 1, Err: err}
	}
	if n == 0 {
		// The group ended before the rows it claimed.
		r.rows.Close()
		r.rows = nil
		return &Error{Source: r.source, Row: r.row + 1, Err: fmt.Errorf("a row group ended %d rows short of what it claims", r.left)}
	}
	return nil
}

func (r *parquetRows) close() error {
	if r.rows != nil {
		r.rows.Close()
	}
	return r.f.Close()
}
