// Package tensor holds the float32 matrices the engine computes on, the one
// matrix-multiply entry point [Gemm] (with [GemmBias], its fused form for
// linear layers), the element-wise kernels that the layers share, and the
// fixed worker pool that they all split their work over ([Parallel]).
//
// Matrices are row-major with an explicit stride so that a block of columns
// of a wider matrix can be used in place (the embedding layer writes each
// feature's slice of the concatenated input this way).
package tensor

import "fmt"

// Mat is a row-major float32 matrix. Element (i, j) is Data[i*Stride+j].
// A Mat whose Stride is larger than Cols is a view into a wider matrix.
type Mat struct {
	Rows, Cols int
	Stride     int
	Data       []float32
}

// New returns a zeroed r×c matrix.
func New(r, c int) *Mat {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("tensor: negative dimension %d×%d", r, c))
	}
	return &Mat{Rows: r, Cols: c, Stride: c, Data: make([]float32, r*c)}
}

// FromSlice wraps data as an r×c matrix without copying.
func FromSlice(r, c int, data []float32) *Mat {
	if len(data) != r*c {
		panic(fmt.Sprintf("tensor: %d values for a %d×%d matrix", len(data), r, c))
	}
	return &Mat{Rows: r, Cols: c, Stride: c, Data: data}
}

// At returns element (i, j).
func (m *Mat) At(i, j int) float32 { return m.Data[i*m.Stride+j] }

// Set sets element (i, j).
func (m *Mat) Set(i, j int, v float32) { m.Data[i*m.Stride+j] = v }

// Row returns row i as a slice of length Cols sharing m's storage.
func (m *Mat) Row(i int) []float32 {
	o := i * m.Stride
	return m.Data[o : o+m.Cols : o+m.Cols]
}

// Contiguous reports whether the rows follow each other without gaps.
func (m *Mat) Contiguous() bool { return m.Stride == m.Cols || m.Rows <= 1 }

// ColView returns the view of columns [c0, c1) sharing m's storage.
func (m *Mat) ColView(c0, c1 int) *Mat { return new(Mat).SetColView(m, c0, c1) }

// SetColView makes v the view of columns [c0, c1) of m and returns v. It
// allocates nothing, so layers keep views they need on every step in
// fields and refresh them this way.
func (v *Mat) SetColView(m *Mat, c0, c1 int) *Mat {
	if c0 < 0 || c1 < c0 || c1 > m.Cols {
		panic(fmt.Sprintf("tensor: column view [%d,%d) of %d columns", c0, c1, m.Cols))
	}
	*v = Mat{Rows: m.Rows, Cols: c1 - c0, Stride: m.Stride}
	if m.Rows > 0 {
		v.Data = m.Data[c0 : (m.Rows-1)*m.Stride+c1]
	}
	return v
}

// RowView returns the view of rows [r0, r1) sharing m's storage.
func (m *Mat) RowView(r0, r1 int) *Mat { return new(Mat).SetRowView(m, r0, r1) }

// SetRowView makes v the view of rows [r0, r1) of m and returns v, without
// allocating.
func (v *Mat) SetRowView(m *Mat, r0, r1 int) *Mat {
	if r0 < 0 || r1 < r0 || r1 > m.Rows {
		panic(fmt.Sprintf("tensor: row view [%d,%d) of %d rows", r0, r1, m.Rows))
	}
	*v = Mat{Rows: r1 - r0, Cols: m.Cols, Stride: m.Stride}
	if v.Rows > 0 {
		v.Data = m.Data[r0*m.Stride : (r1-1)*m.Stride+m.Cols]
	}
	return v
}

// Resize makes m an r×c contiguous matrix, reusing its storage when it is
// large enough. Layers size their buffers this way so that a smaller last
// batch of an epoch costs no allocation. The contents are unspecified.
func (m *Mat) Resize(r, c int) {
	n := r * c
	if cap(m.Data) < n {
		m.Data = make([]float32, n)
	}
	m.Data = m.Data[:n]
	m.Rows, m.Cols, m.Stride = r, c, c
}

// Ensure returns m resized to r×c, allocating m if it is nil.
func Ensure(m *Mat, r, c int) *Mat {
	if m == nil {
		return New(r, c)
	}
	m.Resize(r, c)
	return m
}

// Zero sets every element of m to 0.
func (m *Mat) Zero() {
	if m.Contiguous() {
		clear(m.Data[:m.Rows*m.Cols])
		return
	}
	for i := range m.Rows {
		clear(m.Row(i))
	}
}

// Fill sets every element of m to v.
func (m *Mat) Fill(v float32) {
	for i := range m.Rows {
		r := m.Row(i)
		for j := range r {
			r[j] = v
		}
	}
}

// CopyFrom copies src into m; the shapes must match.
func (m *Mat) CopyFrom(src *Mat) {
	mustSameShape("CopyFrom", m, src)
	if m.Contiguous() && src.Contiguous() {
		copy(m.Data[:m.Rows*m.Cols], src.Data[:m.Rows*m.Cols])
		return
	}
	for i := range m.Rows {
		copy(m.Row(i), src.Row(i))
	}
}

// Clone returns a contiguous copy of m.
func (m *Mat) Clone() *Mat {
	c := New(m.Rows, m.Cols)
	c.CopyFrom(m)
	return c
}

func mustSameShape(op string, a, b *Mat) {
	if a.Rows != b.Rows || a.Cols != b.Cols {
		panic(fmt.Sprintf("tensor: %s: shapes %d×%d and %d×%d differ", op, a.Rows, a.Cols, b.Rows, b.Cols))
	}
}

// mustHold panics if m's data is too short for its shape and stride (the
// assembly kernels would read past it).
func mustHold(op string, m *Mat) {
	if len(m.Data) < (m.Rows-1)*m.Stride+m.Cols {
		panic(fmt.Sprintf("tensor: %s %d×%d matrix (stride %d) over %d values", op, m.Rows, m.Cols, m.Stride, len(m.Data)))
	}
}

// IntMat is a row-major int32 matrix; it holds categorical codes, one
// column per feature.
type IntMat struct {
	Rows, Cols int
	Data       []int32
}

// NewInt returns a zeroed r×c integer matrix.
func NewInt(r, c int) *IntMat {
	return &IntMat{Rows: r, Cols: c, Data: make([]int32, r*c)}
}

// At returns element (i, j).
func (m *IntMat) At(i, j int) int32 { return m.Data[i*m.Cols+j] }

// Row returns row i sharing m's storage.
func (m *IntMat) Row(i int) []int32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// Resize makes m an r×c matrix, reusing its storage when large enough.
func (m *IntMat) Resize(r, c int) {
	if cap(m.Data) < r*c {
		m.Data = make([]int32, r*c)
	}
	m.Data = m.Data[:r*c]
	m.Rows, m.Cols = r, c
}
