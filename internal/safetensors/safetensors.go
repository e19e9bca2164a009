// Package safetensors reads and writes float32 tensors in the safetensors
// format (an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data),
// so that saved weights can be read by other tools.
//
// Reading validates every length, offset and shape before touching the
// data: a corrupt or hostile file gives an error, never a panic or a huge
// allocation.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// Tensor is a named float32 tensor.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

type entry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// maxHeader bounds the JSON header: a model's header is a few kilobytes.
const maxHeader = 100 << 20

// Write encodes ts in the given order with optional string metadata.
func Write(w io.Writer, ts []Tensor, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var off int64
	for _, t := range ts {
		if _, dup := header[t.Name]; dup || t.Name == "" {
			return fmt.Errorf("safetensors: tensor name %q is empty or repeated", t.Name)
		}
		n := 1
		shape := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			n *= d
			shape[i] = int64(d)
		}
		if n != len(t.Data) {
			return fmt.Errorf("safetensors: tensor %q has shape %v but %d values", t.Name, t.Shape, len(t.Data))
		}
		header[t.Name] = entry{DType: "F32", Shape: shape, Offsets: []int64{off, off + 4*int64(n)}}
		off += 4 * int64(n)
	}
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	// Pad the header with spaces so that the data is 8-byte aligned, as
	// the format recommends.
	for (8+len(h))%8 != 0 {
		h = append(h, ' ')
	}
	buf := make([]byte, 8, 8+len(h)+int(off))
	binary.LittleEndian.PutUint64(buf, uint64(len(h)))
	buf = append(buf, h...)
	for _, t := range ts {
		for _, v := range t.Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	_, err = w.Write(buf)
	return err
}

// ErrFormat is wrapped by every error about the file's content.
var ErrFormat = errors.New("not a valid safetensors file")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// Read decodes a whole file. The tensors come back sorted by name.
func Read(b []byte) ([]Tensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, formatErr("%d bytes, shorter than the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > maxHeader || n > uint64(len(b)-8) {
		return nil, nil, formatErr("header length %d does not fit in %d bytes", n, len(b))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		return nil, nil, formatErr("header: %v", err)
	}
	data := b[8+n:]
	var meta map[string]string
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &meta); err != nil {
			return nil, nil, formatErr("__metadata__: %v", err)
		}
		delete(raw, "__metadata__")
	}
	type span struct {
		name       string
		begin, end int64
	}
	var spans []span
	var ts []Tensor
	for name, r := range raw {
		var e entry
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, nil, formatErr("tensor %q: %v", name, err)
		}
		if e.DType != "F32" {
			return nil, nil, formatErr("tensor %q: dtype %q, want F32", name, e.DType)
		}
		if len(e.Offsets) != 2 {
			return nil, nil, formatErr("tensor %q: data_offsets has %d values, want 2", name, len(e.Offsets))
		}
		count := int64(1)
		shape := make([]int, len(e.Shape))
		for i, d := range e.Shape {
			if d < 0 || d > int64(len(data)) || (d > 0 && count > int64(len(data))/d) {
				return nil, nil, formatErr("tensor %q: shape %v does not fit in %d data bytes", name, e.Shape, len(data))
			}
			count *= d
			shape[i] = int(d)
		}
		begin, end := e.Offsets[0], e.Offsets[1]
		if begin < 0 || end < begin || end > int64(len(data)) || end-begin != 4*count {
			return nil, nil, formatErr("tensor %q: data_offsets [%d, %d] do not hold shape %v in %d data bytes", name, begin, end, e.Shape, len(data))
		}
		if end > begin { // an empty tensor occupies no bytes and overlaps nothing
			spans = append(spans, span{name, begin, end})
		}
		vals := make([]float32, count)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[begin+4*int64(i):]))
		}
		ts = append(ts, Tensor{Name: name, Shape: shape, Data: vals})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	for i := 1; i < len(spans); i++ {
		if spans[i].begin < spans[i-1].end {
			return nil, nil, formatErr("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, meta, nil
}
