package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// parquetMagic starts (and ends) every Parquet file.
const parquetMagic = "PAR1"

// ParseParquet reads a Parquet file of size bytes from r. Each leaf column
// of the file's schema is a column of the table, named by its path with
// dots ("address.city"); repeated (list) columns are refused. The column's
// physical type gives its kind, unless [ReadOptions.Kinds] forces one:
// booleans (as 0 and 1), integers, floats, decimals, dates and timestamps
// (as their stored numbers) are Continuous, text is Categorical. Nulls are
// missing, as are text values equal to a missing token. A number that is
// not a finite float32 is odd and follows [ReadOptions.Odd], as in a CSV
// file. [ReadOptions.Delimiter] does not apply.
//
// source names r in errors, which give the row and column.
func ParseParquet(r io.ReaderAt, size int64, source string, opt ReadOptions) (*Table, error) {
	b, berr := newTableBuilder(opt)
	if berr != nil {
		berr.Source = source
		return nil, berr
	}
	if err := b.readParquet(r, size, source); err != nil {
		return nil, err
	}
	return b.table(source)
}

// maxParquetRowsPerByte bounds the rows a Parquet file may claim for its
// size. Run-length encoding packs a column of nulls or of one value very
// tightly, but not a thousandfold across a whole file; a damaged header
// claiming more would make the reader loop over values that are not there.
const maxParquetRowsPerByte = 1000

// parquetKind is how the values of a leaf column are read.
type parquetKind uint8

const (
	pqNumber parquetKind = iota
	pqText
	pqBool
)

func (b *tableBuilder) readParquet(r io.ReaderAt, size int64, source string) (err error) {
	// The library reports some malformed files by panicking; a file is
	// input, and input must give an error.
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Source: source, Err: fmt.Errorf("not a readable Parquet file: %v", p)}
		}
	}()
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return &Error{Source: source, Err: fmt.Errorf("not a readable Parquet file: %w", err)}
	}
	schema := f.Schema()
	paths := schema.Columns()
	if len(paths) == 0 {
		return &Error{Source: source, Err: errors.New("the Parquet file has no columns")}
	}
	names := make([]string, len(paths))
	kinds := make([]parquetKind, len(paths))
	scales := make([]float64, len(paths)) // decimal scale factors, 0 if none
	for j, path := range paths {
		names[j] = strings.Join(path, ".")
		leaf, ok := schema.Lookup(path...)
		if !ok {
			return &Error{Source: source, Column: names[j], Err: errors.New("column not found in the schema")}
		}
		if leaf.MaxRepetitionLevel > 0 {
			return &Error{Source: source, Column: names[j], Err: errors.New("repeated (list) columns cannot be read as a table column")}
		}
		typ := leaf.Node.Type()
		switch typ.Kind() {
		case parquet.Boolean:
			kinds[j] = pqBool
		case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
			kinds[j] = pqNumber
			if lt := typ.LogicalType(); lt != nil {
				if d, ok := lt.Value.(*format.DecimalType); ok {
					scales[j] = math.Pow10(int(d.Scale))
				}
			}
		case parquet.ByteArray:
			kinds[j] = pqText
		default:
			return &Error{Source: source, Column: names[j], Err: fmt.Errorf("Parquet type %v is not supported", typ)}
		}
	}
	order, err := b.setHeader(names, source)
	if err != nil {
		return err
	}
	if b.files == 0 {
		// The file's types are its schema: a numeric column is
		// continuous, a text one categorical, with no inference (unless
		// numbers may become categories, which needs their text).
		for j, k := range kinds {
			c := &b.cols[order[j]]
			if c.forced != 0 {
				continue
			}
			switch {
			case k == pqText:
				c.forced = Categorical
			case b.opt.IntegerCategories == 0:
				c.forced = Continuous
			}
		}
	}
	b.files++
	buf := make([]parquet.Value, 1024)
	rowBase := 0
	for _, rg := range f.RowGroups() {
		n := int(rg.NumRows())
		if n < 0 || int64(n) > maxParquetRowsPerByte*size {
			return &Error{Source: source, Row: rowBase + 1, Err: fmt.Errorf("a row group claims %d rows, which a file of %d bytes cannot hold", rg.NumRows(), size)}
		}
		for j, chunk := range rg.ColumnChunks() {
			if j >= len(order) {
				break
			}
			col := &b.cols[order[j]]
			got, err := b.readChunk(chunk, col, kinds[j], scales[j], source, rowBase, n, buf)
			if err != nil {
				return err
			}
			if got != n {
				return &Error{Source: source, Row: rowBase + got + 1, Column: names[j],
					Err: fmt.Errorf("the row group says %d rows, the column has %d", n, got)}
			}
		}
		rowBase += n
	}
	b.rows += rowBase
	return nil
}

// readChunk adds the values of one column chunk to col and returns their
// number. rowBase is the number of rows of the file before the chunk.
func (b *tableBuilder) readChunk(chunk parquet.ColumnChunk, col *columnBuilder, kind parquetKind, scale float64, source string, rowBase, rows int, buf []parquet.Value) (int, error) {
	pages := chunk.Pages()
	defer pages.Close()
	policy := b.opt.Odd
	got := 0
	var text []byte
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return got, &Error{Source: source, Row: rowBase + got + 1, Column: col.name, Err: err}
		}
		vr := page.Values()
		for {
			n, rerr := vr.ReadValues(buf)
			if got+n > rows {
				// A damaged page can claim any number of values; the
				// row group's count bounds the work.
				parquet.Release(page)
				return got, &Error{Source: source, Row: rowBase + rows + 1, Column: col.name,
					Err: fmt.Errorf("more values than the %d rows of the row group", rows)}
			}
			for _, v := range buf[:n] {
				got++
				pos := position{source: source, row: rowBase + got}
				if v.IsNull() {
					if err := col.add("", true, pos, policy); err != nil {
						parquet.Release(page)
						return got, err
					}
					continue
				}
				var err error
				switch kind {
				case pqText:
					s := string(v.ByteArray())
					f := strings.TrimSpace(s)
					err = col.add(f, b.missing.has(f), pos, policy)
				default:
					x := parquetNumber(v, scale)
					text = text[:0]
					err = col.addNumber(x, &text, pos, policy)
				}
				if err != nil {
					parquet.Release(page)
					return got, err
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				parquet.Release(page)
				return got, &Error{Source: source, Row: rowBase + got + 1, Column: col.name, Err: rerr}
			}
		}
		parquet.Release(page)
	}
	return got, nil
}

// addNumber appends a typed number. A column forced Continuous takes it
// as it is, with no text; any other goes through the text path, which a
// column that may still become categorical needs. scratch is reused for
// the text.
func (b *columnBuilder) addNumber(x float64, scratch *[]byte, pos position, policy OddPolicy) error {
	v := float32(x)
	if b.forced == Continuous && !math.IsInf(float64(v), 0) && !math.IsNaN(x) {
		b.nonMissing++
		b.numbers++
		if b.integral && v != float32(math.Trunc(float64(v))) {
			b.integral = false
		}
		b.floats = append(b.floats, v)
		return nil
	}
	*scratch = strconv.AppendFloat((*scratch)[:0], x, 'g', -1, 64)
	return b.add(string(*scratch), false, pos, policy)
}

// WriteParquet writes t as a Parquet file: a continuous column as
// optional FLOAT, a categorical one as optional UTF-8 text, missing values
// as nulls. [ParseParquet] reads it back as the same table, with the
// columns in name order (a Parquet group orders its fields by name).
func WriteParquet(w io.Writer, t *Table) error {
	group := parquet.Group{}
	for _, c := range t.Columns {
		if c.Len() != t.Rows {
			return &Error{Source: t.source(), Column: c.Name, Err: fmt.Errorf("%d values in a table of %d rows", c.Len(), t.Rows)}
		}
		if c.Kind == Categorical {
			group[c.Name] = parquet.Optional(parquet.String())
		} else {
			group[c.Name] = parquet.Optional(parquet.Leaf(parquet.FloatType))
		}
	}
	schema := parquet.NewSchema("table", group)
	// The schema orders the columns by name; each value goes to its
	// column's index there.
	index := make([]int, len(t.Columns))
	for j, c := range t.Columns {
		leaf, ok := schema.Lookup(c.Name)
		if !ok {
			return &Error{Source: t.source(), Column: c.Name, Err: errors.New("not in the Parquet schema")}
		}
		index[j] = leaf.ColumnIndex
	}
	pw := parquet.NewWriter(w, schema)
	const batch = 1024
	rows := make([]parquet.Row, 0, batch)
	for lo := 0; lo < t.Rows; lo += batch {
		rows = rows[:0]
		for i := lo; i < min(lo+batch, t.Rows); i++ {
			row := make(parquet.Row, len(t.Columns))
			for j, c := range t.Columns {
				var v parquet.Value
				switch {
				case c.Missing(i):
					v = parquet.NullValue().Level(0, 0, index[j])
				case c.Kind == Categorical:
					v = parquet.ByteArrayValue([]byte(c.Dict[c.Codes[i]])).Level(0, 1, index[j])
				default:
					v = parquet.FloatValue(c.Floats[i]).Level(0, 1, index[j])
				}
				row[index[j]] = v
			}
			rows = append(rows, row)
		}
		if _, err := pw.WriteRows(rows); err != nil {
			return err
		}
	}
	return pw.Close()
}

// parquetNumber is the value of a numeric Parquet cell: booleans as 0 and
// 1, integers and floats as they are, a decimal's unscaled integer divided
// by scale (0 for no scale).
func parquetNumber(v parquet.Value, scale float64) float64 {
	var x float64
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			x = 1
		}
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Int64:
		x = float64(v.Int64())
	case parquet.Float:
		x = float64(v.Float())
	case parquet.Double:
		x = v.Double()
	}
	if scale != 0 {
		x /= scale
	}
	return x
}
