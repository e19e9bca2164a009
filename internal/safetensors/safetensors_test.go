package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	ts := []Tensor{
		{Name: "b", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, -6.5}},
		{Name: "a", Shape: []int{1, 0}, Data: []float32{}},
		{Name: "c", Shape: []int{1}, Data: []float32{3.25}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, ts, map[string]string{"format": "gotabular"}); err != nil {
		t.Fatal(err)
	}
	if n := binary.LittleEndian.Uint64(buf.Bytes()); (8+n)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", 8+n)
	}
	got, meta, err := Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []Tensor{ts[1], ts[0], ts[2]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if meta["format"] != "gotabular" {
		t.Errorf("metadata %v", meta)
	}
}

func file(header string, data ...byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestReadErrors(t *testing.T) {
	four := []byte{0, 0, 128, 63}
	for _, tt := range []struct {
		name string
		b    []byte
	}{
		{"short", []byte{1, 2}},
		{"header too long", binary.LittleEndian.AppendUint64(nil, 1<<40)},
		{"bad json", file(`{"a":`)},
		{"dtype", file(`{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, 0, 0)},
		{"offsets count", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, four...)},
		{"past end", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, four...)},
		{"shape mismatch", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, four...)},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, four...)},
		{"huge dims", file(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, four...)},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, four...)},
		{"metadata", file(`{"__metadata__":{"x":1}}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Read(tt.b); !errors.Is(err, ErrFormat) {
				t.Errorf("got %v, want ErrFormat", err)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	for _, ts := range [][]Tensor{
		{{Name: "a", Shape: []int{2}, Data: []float32{1}}},
		{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}},
		{{Name: "", Shape: []int{1}, Data: []float32{1}}},
	} {
		if err := Write(new(bytes.Buffer), ts, nil); err == nil {
			t.Errorf("Write(%v) accepted", ts)
		}
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	f.Add(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 0, 0, 128, 63))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, _, err := Read(b)
		if err != nil {
			return
		}
		for _, x := range ts {
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if n != len(x.Data) {
				t.Fatalf("tensor %q: shape %v with %d values", x.Name, x.Shape, len(x.Data))
			}
		}
	})
}
