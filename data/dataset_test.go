package data

import (
	"slices"
	"testing"

	"github.com/gotabular/gotabular/tensor"
)

// seqDataset returns n rows whose every value identifies its row: Cont row
// i is (i, 10i), Cat row i is (i, -i, 2i), label i%3, target 0.5i.
func seqDataset(n int, labels, targets bool) *Dataset {
	d := &Dataset{N: n, Cont: tensor.New(n, 2), Cat: tensor.NewInt(n, 3)}
	for i := range n {
		d.Cont.Set(i, 0, float32(i))
		d.Cont.Set(i, 1, float32(10*i))
		copy(d.Cat.Row(i), []int32{int32(i), int32(-i), int32(2 * i)})
	}
	if labels {
		d.Labels = make([]int32, n)
		for i := range n {
			d.Labels[i] = int32(i % 3)
		}
	}
	if targets {
		d.Targets = tensor.New(n, 1)
		for i := range n {
			d.Targets.Data[i] = 0.5 * float32(i)
		}
	}
	return d
}

func checkRows(t *testing.T, d *Dataset, rows []int, n int, cont *tensor.Mat, cat *tensor.IntMat, labels []int32, targets *tensor.Mat) {
	t.Helper()
	if n != len(rows) || cont.Rows != n || cat.Rows != n || cont.Cols != 2 || cat.Cols != 3 {
		t.Fatalf("shapes: N %d, Cont %d×%d, Cat %d×%d for %d rows", n, cont.Rows, cont.Cols, cat.Rows, cat.Cols, len(rows))
	}
	for i, r := range rows {
		if !slices.Equal(cont.Row(i), d.Cont.Row(r)) || !slices.Equal(cat.Row(i), d.Cat.Row(r)) {
			t.Errorf("row %d: got %v %v, want row %d: %v %v", i, cont.Row(i), cat.Row(i), r, d.Cont.Row(r), d.Cat.Row(r))
		}
		if d.Labels != nil && labels[i] != d.Labels[r] {
			t.Errorf("label %d: got %d, want %d", i, labels[i], d.Labels[r])
		}
		if d.Targets != nil && targets.At(i, 0) != d.Targets.At(r, 0) {
			t.Errorf("target %d: got %v, want %v", i, targets.At(i, 0), d.Targets.At(r, 0))
		}
	}
	if (d.Labels == nil) != (labels == nil) || (d.Targets == nil) != (targets == nil) {
		t.Errorf("labels %v targets %v present, want as in the dataset", labels != nil, targets != nil)
	}
}

func TestGather(t *testing.T) {
	for _, tt := range []struct {
		name              string
		labels, targets   bool
		first, then, last []int
	}{
		{"classification", true, false, []int{5, 2, 9, 2}, []int{0, 1}, []int{7, 7, 7, 7, 7}},
		{"regression", false, true, []int{1, 3}, []int{9, 8, 7, 6}, nil},
		{"unlabelled", false, false, []int{4}, []int{}, []int{3, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := seqDataset(10, tt.labels, tt.targets)
			var b Batch
			for _, rows := range [][]int{tt.first, tt.then, tt.last} {
				d.Gather(rows, &b)
				checkRows(t, d, rows, b.N, b.Cont, b.Cat, b.Labels, b.Targets)
			}
			s := d.Subset(tt.first)
			checkRows(t, d, tt.first, s.N, s.Cont, s.Cat, s.Labels, s.Targets)
			s.Cont.Set(0, 0, -99)
			if d.Cont.At(tt.first[0], 0) == -99 {
				t.Error("Subset shares storage with the dataset")
			}
		})
	}
}

func TestGatherAllocs(t *testing.T) {
	for _, tt := range []struct {
		name            string
		labels, targets bool
	}{
		{"classification", true, false},
		{"regression", false, true},
		{"unlabelled", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := seqDataset(1000, tt.labels, tt.targets)
			big := make([]int, 256)
			small := make([]int, 100)
			for i := range big {
				big[i] = (i * 7) % 1000
			}
			for i := range small {
				small[i] = (i * 13) % 1000
			}
			var b Batch
			d.Gather(big, &b)
			allocs := testing.AllocsPerRun(100, func() {
				d.Gather(big, &b)
				d.Gather(small, &b) // a smaller last batch reuses the buffers too
			})
			if allocs != 0 {
				t.Errorf("Gather allocates %v times per call pair, want 0", allocs)
			}
		})
	}
}

func TestDatasetWithoutColumns(t *testing.T) {
	// A preprocessor with only categorical (or only continuous) columns
	// gives 0-column matrices; gathering them must work too.
	p := &Preprocessor{Categorical: []CategoricalSpec{{Name: "c", Levels: []string{"a"}}}}
	d, err := p.Transform(mustParse(t, "c\na\nb\n", ReadOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	d.Gather([]int{1, 0}, &b)
	if b.N != 2 || b.Cont.Rows != 2 || b.Cont.Cols != 0 || !slices.Equal(b.Cat.Data, []int32{0, 1}) {
		t.Errorf("got N %d, Cont %d×%d, Cat %v", b.N, b.Cont.Rows, b.Cont.Cols, b.Cat.Data)
	}
	(&Dataset{N: 2}).Gather([]int{1, 0}, &b) // nil matrices count as 0 columns
	if b.Cont.Cols != 0 || b.Cat.Cols != 0 || b.N != 2 {
		t.Errorf("nil matrices: got Cont %d×%d, Cat %d×%d", b.Cont.Rows, b.Cont.Cols, b.Cat.Rows, b.Cat.Cols)
	}
}
