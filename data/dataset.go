package data

import "github.com/gotabular/gotabular/tensor"

// Dataset is an encoded table: the model inputs of N rows and, once a
// [Target] has encoded them, their targets.
type Dataset struct {
	N       int
	Cont    *tensor.Mat    // N×len(Preprocessor.Continuous), encoded (standardised or quantile-normal)
	Cat     *tensor.IntMat // N×len(Preprocessor.Categorical), codes
	Labels  []int32        // classification targets, or nil
	Targets *tensor.Mat    // regression targets N×1, or nil
}

// Batch is a set of rows of a [Dataset], laid out as the model takes them.
// Its buffers are reused from one [Dataset.Gather] to the next.
type Batch struct {
	N       int
	Cont    *tensor.Mat
	Cat     *tensor.IntMat
	Labels  []int32     // nil if the dataset has no labels
	Targets *tensor.Mat // nil if the dataset has no regression targets
}

// Gather fills b with the given rows of d, in that order. It reuses b's
// buffers, so once b has held a batch at least as large, Gather allocates
// nothing: the training loop calls it for every step. Gather panics if a row
// is out of range.
func (d *Dataset) Gather(rows []int, b *Batch) {
	n := len(rows)
	b.N = n
	b.Cont = gatherMat(d.Cont, rows, b.Cont)
	if b.Cat == nil {
		b.Cat = &tensor.IntMat{}
	}
	nk := 0
	if d.Cat != nil {
		nk = d.Cat.Cols
	}
	b.Cat.Resize(n, nk)
	if nk > 0 {
		for i, r := range rows {
			copy(b.Cat.Row(i), d.Cat.Row(r))
		}
	}
	if d.Labels != nil {
		if b.Labels == nil {
			b.Labels = make([]int32, 0, n)
		}
		b.Labels = b.Labels[:0]
		for _, r := range rows {
			b.Labels = append(b.Labels, d.Labels[r])
		}
	} else {
		b.Labels = nil
	}
	if d.Targets != nil {
		b.Targets = gatherMat(d.Targets, rows, b.Targets)
	} else {
		b.Targets = nil
	}
}

// gatherMat copies rows of src into dst, resized; a nil src counts as a
// matrix with no columns.
func gatherMat(src *tensor.Mat, rows []int, dst *tensor.Mat) *tensor.Mat {
	cols := 0
	if src != nil {
		cols = src.Cols
	}
	dst = tensor.Ensure(dst, len(rows), cols)
	if cols == 0 {
		return dst
	}
	for i, r := range rows {
		copy(dst.Row(i), src.Row(r))
	}
	return dst
}

// Subset returns a new dataset holding copies of the given rows of d, in
// that order. Subset panics if a row is out of range.
func (d *Dataset) Subset(rows []int) *Dataset {
	var b Batch
	d.Gather(rows, &b)
	return &Dataset{N: b.N, Cont: b.Cont, Cat: b.Cat, Labels: b.Labels, Targets: b.Targets}
}

// Append returns a new dataset of the rows of d followed by those of e,
// which must have the same columns and the same kind of target.
func (d *Dataset) Append(e *Dataset) *Dataset {
	out := &Dataset{N: d.N + e.N}
	out.Cont = tensor.New(out.N, d.Cont.Cols)
	copy(out.Cont.Data, d.Cont.Data[:d.N*d.Cont.Cols])
	copy(out.Cont.Data[d.N*d.Cont.Cols:], e.Cont.Data[:e.N*e.Cont.Cols])
	out.Cat = tensor.NewInt(out.N, d.Cat.Cols)
	copy(out.Cat.Data, d.Cat.Data[:d.N*d.Cat.Cols])
	copy(out.Cat.Data[d.N*d.Cat.Cols:], e.Cat.Data[:e.N*e.Cat.Cols])
	if d.Labels != nil {
		out.Labels = append(append(make([]int32, 0, out.N), d.Labels...), e.Labels...)
	}
	if d.Targets != nil {
		out.Targets = tensor.New(out.N, 1)
		copy(out.Targets.Data, d.Targets.Data[:d.N])
		copy(out.Targets.Data[d.N:], e.Targets.Data[:e.N])
	}
	return out
}
