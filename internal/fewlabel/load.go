package fewlabel

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gotabular/gotabular/data"
)

// Dataset is one dataset read by the protocol, with its splits.
type Dataset struct {
	Entry Entry
	// Train holds every training row in file order, Test the test rows.
	Train, Test *data.Table
	// Continuous and Categorical name the feature columns.
	Continuous, Categorical []string
	// Positive is the positive class of a binary target, as text.
	Positive string
	Splits   *Splits
	// position maps a source row id to its row in Train.
	position map[int]int
}

// missingLevel is the category a missing categorical value becomes.
const missingLevel = "Missing"

// Load reads a dataset of the manifest by the protocol: categorical
// columns and a binary target as text, other columns as numbers; a missing
// categorical value is the level "Missing" and a missing continuous value
// the median of all training rows. splits may be nil: then the rows are
// drawn by [Draw] for the given seeds and label counts.
func Load(m *Manifest, e Entry, splits *Splits, seeds, labels []int) (*Dataset, error) {
	kind := e.Kind()
	if kind != Binary && kind != Regression {
		return nil, fmt.Errorf("dataset %s: task %q is not scored by the benchmark (binary classification and regression are)", e.Name, e.Task)
	}
	dir := filepath.Join(filepath.Dir(m.Path), e.Name)
	// Only the empty field is missing, as the protocol was first run: the
	// reader's default tokens (NA, ?, ...) would merge levels such as "?"
	// into "Missing" and move the recorded figures.
	opt := data.ReadOptions{Kinds: map[string]data.Kind{}, MissingValues: []string{}}
	for _, f := range e.Files {
		for _, c := range f.Columns {
			opt.Kinds[c] = data.Continuous
		}
	}
	for _, c := range e.Categorical {
		opt.Kinds[c] = data.Categorical
	}
	opt.Kinds[e.Target] = data.Continuous
	if kind == Binary {
		opt.Kinds[e.Target] = data.Categorical
	}
	read := func(name string) (*data.Table, error) { return data.ReadCSV(filepath.Join(dir, name), opt) }

	var train, test, all *data.Table
	var err error
	trainRows, testRows := 0, 0
	if e.TrainTest() {
		if train, err = read("train.csv"); err != nil {
			return nil, err
		}
		if test, err = read("test.csv"); err != nil {
			return nil, err
		}
		trainRows, testRows = train.Rows, test.Rows
	} else {
		if all, err = read("data.csv"); err != nil {
			return nil, err
		}
		trainRows, testRows = all.Rows, all.Rows
	}
	if splits == nil {
		src := all
		if src == nil {
			src = train
		}
		if splits, err = Draw(e, src, e.TrainTest(), testRows, seeds, labels); err != nil {
			return nil, err
		}
	} else if err := splits.Check(e, trainRows, testRows); err != nil {
		return nil, err
	}
	d := &Dataset{Entry: e, Splits: splits, position: map[int]int{}}
	if e.TrainTest() {
		test = test.Take(splits.TestRowIDs)
		for i := range train.Rows {
			d.position[i] = i
		}
	} else {
		isTest := make([]bool, all.Rows)
		for _, r := range splits.TestRowIDs {
			isTest[r] = true
		}
		var ids []int
		for r := range all.Rows {
			if !isTest[r] {
				d.position[r] = len(ids)
				ids = append(ids, r)
			}
		}
		train, test = all.Take(ids), all.Take(splits.TestRowIDs)
	}
	for _, c := range splits.DroppedColumns {
		if _, err := train.Col(c); err != nil {
			return nil, fmt.Errorf("splits of %s drop column %q: %w", e.Name, c, err)
		}
	}
	d.Train, d.Test = train.Without(splits.DroppedColumns...), test.Without(splits.DroppedColumns...)
	for _, c := range d.Train.Columns {
		switch {
		case c.Name == e.Target:
		case c.Kind == data.Categorical:
			d.Categorical = append(d.Categorical, c.Name)
		default:
			d.Continuous = append(d.Continuous, c.Name)
		}
	}
	if err := d.fillMissing(); err != nil {
		return nil, err
	}
	if kind == Binary {
		if d.Positive, err = positiveClass(d.Train, e); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// fillMissing applies the protocol's handling of missing features.
func (d *Dataset) fillMissing() error {
	for _, name := range d.Categorical {
		for _, t := range []*data.Table{d.Train, d.Test} {
			c, err := t.Col(name)
			if err != nil {
				return err
			}
			code := int32(-1)
			for i, v := range c.Codes {
				if v >= 0 {
					continue
				}
				if code < 0 {
					code = int32(slices.Index(c.Dict, missingLevel))
					if code < 0 {
						c.Dict = append(c.Dict, missingLevel)
						code = int32(len(c.Dict) - 1)
					}
				}
				c.Codes[i] = code
			}
		}
	}
	for _, name := range d.Continuous {
		c, err := d.Train.Col(name)
		if err != nil {
			return err
		}
		med := median(c.Floats)
		for _, t := range []*data.Table{d.Train, d.Test} {
			c, err := t.Col(name)
			if err != nil {
				return err
			}
			for i, v := range c.Floats {
				if v != v {
					c.Floats[i] = med
				}
			}
		}
	}
	return nil
}

// median returns the median of the values that are not NaN, averaging the
// middle two of an even count as pandas does; 0 if there are none.
func median(vals []float32) float32 {
	var s []float64
	for _, v := range vals {
		if v == v {
			s = append(s, float64(v))
		}
	}
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float32(s[n/2])
	}
	return float32((s[n/2-1] + s[n/2]) / 2)
}

// positiveClass finds the manifest's positive class among the target's
// values: as written, else ignoring case, else its first word ("1 (signal)"
// names the class "1").
func positiveClass(t *data.Table, e Entry) (string, error) {
	c, err := t.Col(e.Target)
	if err != nil {
		return "", err
	}
	if slices.Contains(c.Dict, e.Positive) {
		return e.Positive, nil
	}
	for _, v := range c.Dict {
		if strings.EqualFold(v, e.Positive) {
			return v, nil
		}
	}
	if f := strings.Fields(e.Positive); len(f) > 0 && slices.Contains(c.Dict, f[0]) {
		return f[0], nil
	}
	return "", fmt.Errorf("dataset %s: the positive class %q is not a value of %s (values: %s)", e.Name, e.Positive, e.Target, strings.Join(c.Dict, ", "))
}

// Labelled returns the labelled rows of a seed and label count: the rows
// to fine-tune on, the validation rows, and both together.
func (d *Dataset) Labelled(seed, labels int) (train, valid, all *data.Table, err error) {
	l, err := d.Splits.Subset(seed, labels)
	if err != nil {
		return nil, nil, nil, err
	}
	take := func(ids []int) (*data.Table, error) {
		rows := make([]int, len(ids))
		for i, r := range ids {
			p, ok := d.position[r]
			if !ok {
				return nil, fmt.Errorf("splits of %s: labelled row %d is not a training row", d.Entry.Name, r)
			}
			rows[i] = p
		}
		return d.Train.Take(rows), nil
	}
	if train, err = take(l.Train); err != nil {
		return nil, nil, nil, err
	}
	if valid, err = take(l.Valid); err != nil {
		return nil, nil, nil, err
	}
	if all, err = take(slices.Concat(l.Train, l.Valid)); err != nil {
		return nil, nil, nil, err
	}
	return train, valid, all, nil
}

// Unlabelled returns every training row without its target: the rows of
// pretraining.
func (d *Dataset) Unlabelled() *data.Table { return d.Train.Without(d.Entry.Target) }

// truth returns the test rows' targets: whether each is positive, or its
// value.
func (d *Dataset) truth() (pos []bool, y []float64, err error) { return d.truthOf(d.Test, "test") }

// truthOf returns the targets of rows of the dataset, which names in
// errors.
func (d *Dataset) truthOf(t *data.Table, which string) (pos []bool, y []float64, err error) {
	c, err := t.Col(d.Entry.Target)
	if err != nil {
		return nil, nil, err
	}
	for i := range t.Rows {
		if c.Missing(i) {
			return nil, nil, fmt.Errorf("dataset %s: %s row %d has no target", d.Entry.Name, which, i+1)
		}
		if d.Entry.Kind() == Binary {
			s, _ := c.Text(i)
			pos = append(pos, s == d.Positive)
		} else {
			v := float64(c.Floats[i])
			if math.IsNaN(v) {
				return nil, nil, fmt.Errorf("dataset %s: %s row %d has no target", d.Entry.Name, which, i+1)
			}
			y = append(y, v)
		}
	}
	return pos, y, nil
}
