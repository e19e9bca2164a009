package data

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Stream is a table too large to hold in memory, read from its files in
// two kinds of pass, as pretraining on every row needs:
//
//  1. [OpenStream] reads every row once and keeps bounded statistics of
//     each column: its kind, inferred by the rules of [MaxOddShare] over
//     the whole column as [Read] infers it; exact counts of the values of
//     categorical columns; the mean and standard deviation of continuous
//     columns (Welford's update, in float64); and a sample of their values
//     for the quantiles of the quantile-normal transform and of bin edges
//     (see [StreamOptions.SketchRows]). [Stream.Fit] fits a [Preprocessor]
//     from them.
//  2. [Stream.Batches] reads the rows again for each epoch, encodes them
//     with the preprocessor (through [Preprocessor.Transform], a chunk of
//     rows at a time, so that the encoding is exactly the one fine-tuning
//     and prediction apply) and yields them in batches through a bounded
//     shuffle buffer.
//
// Memory is bounded by the options, the number of columns and the number
// of distinct values of the categorical columns, never by the number of
// rows.
//
// # Validation rows
//
// A row is held out for validation when a hash of the seed, the base name
// of its file and its row number in that file (1-based, as errors count
// rows) falls below the validation share. The split is therefore the same
// from run to run and for any buffer or chunk size, and a file keeps its
// split when other files are added beside it or the files are read in
// another order; renaming a file changes its split. Held-out rows are
// never trained on. Of them, the [StreamOptions.MaxValidRows] with the
// smallest hashes (a uniform sample of them) are kept in memory, encoded,
// for the validation pass after each epoch.
type Stream struct {
	spec  string
	files []string
	opt   StreamOptions
	miss  missingSet

	names  []string       // every column, in the first file's order
	kept   []int          // indexes into names of the columns read (not excluded)
	cols   []streamColumn // one per kept column
	schema *Table

	rows, held int
	threshold  uint64 // a row is held out when its hash is below this

	valid  validHeap
	sample []heldRow // the first rows, for a model to look at before training
}

// StreamOptions configure [OpenStream].
type StreamOptions struct {
	// Read are the reading options, as for [Read]: forced kinds, missing
	// tokens, the policy for odd values, the delimiter.
	Read ReadOptions
	// Exclude names columns not to read at all, such as an identifier
	// whose distinct values would all have to be counted. Each must be a
	// column of the files.
	Exclude []string
	// ValidationShare is the share of rows held out for validation, in
	// [0, 1).
	ValidationShare float64
	// Seed fixes the validation split, the sample of each column and the
	// shuffling of every epoch.
	Seed uint64
	// ShuffleRows is the size of the shuffle buffer in rows; 0 means
	// [DefaultShuffleRows]. Each epoch's rows come out of a buffer of
	// this many in random order: a buffer at least as large as the data
	// shuffles it completely, a smaller one mixes rows that are at most
	// about this far apart in the files.
	ShuffleRows int
	// SketchRows is the size of the sample of each continuous column from
	// which quantiles are computed; 0 means [DefaultSketchRows]. A column
	// with no more values has them all, and its quantiles are exact.
	// Otherwise the sample is a uniform one (reservoir sampling with a
	// seeded generator), and each quantile's level is off by more than ε
	// with probability at most 2·exp(−2·k·ε²) for k sampled values (the
	// Dvoretzky–Kiefer–Wolfowitz inequality), over all levels at once:
	// for the default k = 65,536, ε = 0.0075 (0.75 percentile points) is
	// exceeded with probability below 0.2%.
	SketchRows int
	// MaxValidRows bounds the held-out rows kept for validation; 0 means
	// [DefaultMaxValidRows].
	MaxValidRows int
}

// Defaults of [StreamOptions].
const (
	DefaultShuffleRows  = 1 << 16
	DefaultSketchRows   = 1 << 16
	DefaultMaxValidRows = 50_000
)

// maxTrackedLevels bounds the distinct values kept for a column that reads
// as numbers while its kind is still open: past it the column is taken
// for a continuous one and its value counts are dropped, since a numeric
// column of ten million rows can have ten million distinct values.
const maxTrackedLevels = 1 << 15

// streamColumn holds the statistics of a column from the first pass.
type streamColumn struct {
	name   string
	forced Kind
	kind   Kind // set when the pass ends

	nonMissing, numbers int
	oddText, oddNumber  oddCount
	integral            bool

	// Welford's running mean and sum of squared deviations.
	n         int
	mean, m2  float64
	lo, hi    float32
	sketch    []float32
	sketchRNG *rand.Rand

	counts  map[string]int // non-missing values in text form
	dropped bool           // counts were given up, see maxTrackedLevels
	// numeric marks a column made categorical by
	// ReadOptions.IntegerCategories: its odd values are missing, not
	// levels.
	numeric bool
}

// heldRow is a row kept from the first pass: its cells (the kept columns
// only) and where it was read.
type heldRow struct {
	hash  uint64
	cells []cell
	pos   position
}

// OpenStream makes the first pass over the files spec names (as [Read]
// takes them: a file, a directory, a glob or a list), reading one row at a
// time. Errors name the file, row and column, as those of Read do.
func OpenStream(spec string, opt StreamOptions) (*Stream, error) {
	if !(opt.ValidationShare >= 0 && opt.ValidationShare < 1) {
		return nil, fmt.Errorf("stream: validation share %v: want a value in [0, 1)", opt.ValidationShare)
	}
	if opt.ShuffleRows < 0 || opt.SketchRows < 0 || opt.MaxValidRows < 0 {
		return nil, fmt.Errorf("stream: shuffle rows %d, sketch rows %d and max validation rows %d must be ≥ 0", opt.ShuffleRows, opt.SketchRows, opt.MaxValidRows)
	}
	if opt.ShuffleRows == 0 {
		opt.ShuffleRows = DefaultShuffleRows
	}
	if opt.SketchRows == 0 {
		opt.SketchRows = DefaultSketchRows
	}
	if opt.MaxValidRows == 0 {
		opt.MaxValidRows = DefaultMaxValidRows
	}
	files, err := Files(spec)
	if err != nil {
		return nil, err
	}
	if _, berr := newTableBuilder(opt.Read); berr != nil {
		berr.Source = spec
		return nil, berr
	}
	s := &Stream{spec: spec, files: files, opt: opt, miss: newMissingSet(opt.Read)}
	// The share as a threshold on 64-bit hashes; 2⁶⁴·share rounds down.
	s.threshold = uint64(math.Ldexp(opt.ValidationShare, 64))
	if opt.ValidationShare > 0 && s.threshold == 0 {
		s.threshold = 1
	}
	for i, path := range files {
		if err := s.scanFile(i, path); err != nil {
			return nil, err
		}
	}
	if s.rows == 0 {
		return nil, fmt.Errorf("%s has no data rows", spec)
	}
	if err := s.finish(); err != nil {
		return nil, err
	}
	return s, nil
}

// order maps the columns of a file's header onto the stream's: order[j]
// is the index in s.cols of the file's column j, or −1 if it is excluded.
// The first file sets the columns.
func (s *Stream) order(r rowReader, source string) ([]int, error) {
	var hb tableBuilder
	if s.names != nil {
		hb.names = s.names
	}
	byName, err := hb.setHeader(r.header(), source)
	if err != nil {
		return nil, err
	}
	if s.names == nil {
		s.names = hb.names
		pk := r.parquet()
		for _, name := range s.opt.Exclude {
			if !slices.Contains(s.names, name) {
				return nil, &Error{Source: source, Column: name, Err: fmt.Errorf("cannot exclude a column the file does not have (it has %s)", quotedList(s.names, 20))}
			}
		}
		for j, name := range s.names {
			if slices.Contains(s.opt.Exclude, name) {
				continue
			}
			c := streamColumn{name: name, forced: s.opt.Read.Kinds[name], integral: true,
				sketchRNG: rand.New(rand.NewPCG(s.opt.Seed, uint64(j)+1))}
			// As Read does, a Parquet file's types are its schema.
			if c.forced == 0 && pk != nil {
				switch {
				case pk[j] == pqText:
					c.forced = Categorical
				case s.opt.Read.IntegerCategories == 0:
					c.forced = Continuous
				}
			}
			s.kept = append(s.kept, j)
			s.cols = append(s.cols, c)
		}
	}
	order := make([]int, len(byName))
	for j, k := range byName {
		order[j] = slices.Index(s.kept, k)
	}
	return order, nil
}

// rowHash is the hash that decides whether a row is held out: of the
// seed, the file's base name and the row's number in it.
func rowHash(seed uint64, file uint64, row int) uint64 {
	return mix64(mix64(seed^0x9e3779b97f4a7c15) ^ mix64(file) ^ mix64(uint64(row)+0x632be59bd9b4e019))
}

// mix64 is the finaliser of SplitMix64: it scatters every input bit over
// the output.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// fileHash hashes the base name of path, which identifies a file in the
// validation split.
func fileHash(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(filepath.Base(path)))
	return h.Sum64()
}

// eachRow calls f with every row of the file at path: its cells in the
// file's column order, order mapping them to the stream's columns (−1 for
// a column not kept), the row's place and its hash, which decides whether
// it is held out (below s.threshold). Both passes walk the files by it, so
// that they read the same rows and split them alike.
func (s *Stream) eachRow(path string, f func(cells []cell, order []int, pos position, hash uint64) error) error {
	r, err := openRows(path, s.opt.Read)
	if err != nil {
		return err
	}
	defer r.close()
	order, err := s.order(r, path)
	if err != nil {
		return err
	}
	fh := fileHash(path)
	cells := make([]cell, len(order))
	for {
		err := r.next(cells)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		pos := r.pos()
		if err := f(cells, order, pos, rowHash(s.opt.Seed, fh, pos.row)); err != nil {
			return err
		}
	}
}

// scanFile adds the rows of one file to the statistics.
func (s *Stream) scanFile(index int, path string) error {
	return s.eachRow(path, func(cells []cell, order []int, pos position, h uint64) error {
		s.rows++
		held := h < s.threshold
		if held {
			s.held++
		}
		for j, k := range order {
			if k < 0 {
				continue
			}
			text, v, kind, missing := s.cellValue(&cells[j], s.cols[k].forced)
			if err := s.cols[k].add(text, v, kind, missing, pos, s.opt); err != nil {
				return err
			}
		}
		if held && (s.valid.Len() < s.opt.MaxValidRows || h < s.valid.max()) {
			s.valid.add(heldRow{hash: h, cells: keptCells(cells, order, len(s.cols)), pos: pos}, s.opt.MaxValidRows)
		}
		if !held && len(s.sample) < 2 {
			s.sample = append(s.sample, heldRow{cells: keptCells(cells, order, len(s.cols)), pos: pos})
		}
		return nil
	})
}

// keptCells copies the cells of the kept columns, in the stream's order,
// with their text cloned from the reader's buffer.
func keptCells(cells []cell, order []int, n int) []cell {
	out := make([]cell, n)
	for j, k := range order {
		if k >= 0 {
			out[k] = cells[j]
			out[k].text = strings.Clone(cells[j].text)
		}
	}
	return out
}

// cellValue reads a cell as [Read] reads the field: its text, its value
// and kind of field (fieldNumber, …) if the column may be numeric, and
// whether it is missing. A typed Parquet number in a column that is not
// forced continuous goes through its text, as Read does, since the column
// may become categorical.
func (s *Stream) cellValue(c *cell, forced Kind) (text string, v float32, kind int, missing bool) {
	switch c.kind {
	case cellNull:
		return "", 0, 0, true
	case cellNumber:
		if forced == Continuous {
			v = float32(c.num)
			if math.IsInf(float64(v), 0) || math.IsNaN(c.num) {
				return strconv.FormatFloat(c.num, 'g', -1, 64), 0, fieldOddNumber, false
			}
			return "", v, fieldNumber, false
		}
		text = strconv.FormatFloat(c.num, 'g', -1, 64)
	default:
		text = c.text
		if s.miss.has(text) {
			return "", 0, 0, true
		}
	}
	if forced == Categorical {
		return text, 0, fieldOddText, false
	}
	v, kind = parseField(text)
	return text, v, kind, false
}

// add records one value of the column.
func (c *streamColumn) add(text string, v float32, kind int, missing bool, pos position, opt StreamOptions) error {
	if missing {
		return nil
	}
	c.nonMissing++
	if c.forced == Categorical {
		return c.count(text, pos)
	}
	switch kind {
	case fieldNumber:
		c.numbers++
		if c.integral && v != float32(math.Trunc(float64(v))) {
			c.integral = false
		}
		c.addNumber(v, opt.SketchRows)
	default:
		if c.forced == Continuous && opt.Read.Odd == OddIsError {
			return pos.error(c.name, fmt.Errorf("%q is not a finite number (float32), and the column is continuous", text))
		}
		if kind == fieldOddText && !utf8.ValidString(text) {
			return pos.error(c.name, notUTF8(text))
		}
		odd := &c.oddText
		if kind == fieldOddNumber {
			odd = &c.oddNumber
		}
		if odd.n == 0 {
			odd.first = pos.error(c.name, fmt.Errorf("%q", text))
		}
		odd.n++
	}
	if c.forced == Continuous || c.dropped {
		return nil
	}
	if err := c.count(text, pos); err != nil {
		return err
	}
	if len(c.counts) > maxTrackedLevels && len(c.counts) > opt.Read.IntegerCategories && c.numbers > 0 &&
		float64(c.oddText.n) <= MaxOddShare*float64(c.nonMissing) {
		c.counts, c.dropped = nil, true
	}
	return nil
}

// count adds one occurrence of a value in text form.
func (c *streamColumn) count(text string, pos position) error {
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	if n, ok := c.counts[text]; ok {
		c.counts[text] = n + 1
		return nil
	}
	if !utf8.ValidString(text) {
		return pos.error(c.name, notUTF8(text))
	}
	c.counts[strings.Clone(text)] = 1
	return nil
}

// addNumber updates the mean, the deviation and the sample with a finite
// value.
func (c *streamColumn) addNumber(v float32, k int) {
	c.n++
	if c.n == 1 {
		c.lo, c.hi = v, v
	} else {
		c.lo, c.hi = min(c.lo, v), max(c.hi, v)
	}
	d := float64(v) - c.mean
	c.mean += d / float64(c.n)
	c.m2 += d * (float64(v) - c.mean)
	// Reservoir sampling (Vitter's algorithm R): after n values each is
	// in the sample with probability k/n.
	if len(c.sketch) < k {
		c.sketch = append(c.sketch, v)
	} else if i := c.sketchRNG.IntN(c.n); i < k {
		c.sketch[i] = v
	}
}

// meanStd is meanStd of the values seen: the population deviation, 1 for
// a constant column or one without values.
func (c *streamColumn) meanStd() (float64, float64) {
	if c.n == 0 {
		return 0, 1
	}
	if c.lo == c.hi {
		return float64(c.lo), 1
	}
	std := math.Sqrt(c.m2 / float64(c.n))
	if !(std > 0) || math.IsInf(std, 0) {
		std = 1
	}
	return c.mean, std
}

// finish settles each column's kind by the rules [Read] applies, with the
// same warnings and errors, and builds the schema.
func (s *Stream) finish() error {
	s.schema = &Table{Source: s.spec}
	for k := range s.cols {
		c := &s.cols[k]
		warns, err := c.finish(s.opt.Read)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Source == "" {
				e.Source = s.spec
			}
			return err
		}
		for _, w := range warns {
			if w.Source == "" {
				w.Source = s.spec
			}
		}
		s.schema.Warnings = append(s.schema.Warnings, warns...)
		s.schema.Columns = append(s.schema.Columns, &Column{Name: c.name, Kind: c.kind})
	}
	return nil
}

func (c *streamColumn) finish(opt ReadOptions) ([]*Error, error) {
	b := columnBuilder{name: c.name, forced: c.forced, nonMissing: c.nonMissing, numbers: c.numbers,
		oddText: c.oddText, oddNumber: c.oddNumber}
	c.kind = b.inferredKind()
	if c.kind == Categorical {
		if c.dropped {
			return nil, &Error{Column: c.name, Err: fmt.Errorf(
				"the column reads as categorical (%d of %d values are not numbers), but it has too many distinct values to count in a stream; read it as continuous or categorical by name", c.oddText.n, c.nonMissing)}
		}
		return nil, nil
	}
	var warns []*Error
	if c.forced == Continuous && float64(c.oddText.n) > MaxOddShare*float64(c.nonMissing) {
		f := c.oddText.first
		return nil, &Error{Source: f.Source, Row: f.Row, Line: f.Line, Column: c.name,
			Err: fmt.Errorf("%v is not a number, and %d of the %d values of this column, listed as continuous, are not numbers", f.Err, c.oddText.n, c.nonMissing)}
	}
	if odd := c.oddText.n + c.oddNumber.n; odd > 0 {
		first := c.oddText.first
		if first == nil || c.oddNumber.first != nil && before(c.oddNumber.first, first) {
			first = c.oddNumber.first
		}
		if opt.Odd == OddIsError {
			return nil, &Error{Source: first.Source, Row: first.Row, Line: first.Line, Column: c.name,
				Err: fmt.Errorf("%v is not a finite number (float32), and the column is continuous", first.Err)}
		}
		warns = append(warns, &Error{Source: first.Source, Row: first.Row, Line: first.Line, Column: c.name,
			Err: fmt.Errorf("%d of %d values are not finite numbers and are read as missing (the first is %v); the column stays continuous", odd, c.nonMissing, first.Err)})
	}
	if ic := opt.IntegerCategories; c.forced == 0 && ic > 0 && c.numbers > 0 && c.integral && !c.dropped {
		// Odd fields stay missing, as in a continuous column: only the
		// numbers are levels.
		distinct := map[float32]bool{}
		for text := range c.counts {
			if v, kind := parseField(text); kind == fieldNumber {
				distinct[v] = true
			} else {
				delete(c.counts, text)
			}
		}
		if len(distinct) <= ic {
			c.kind, c.numeric = Categorical, true
			warns = append(warns, &Error{Column: c.name,
				Err: fmt.Errorf("%d distinct integer values (at most %d): read as categorical", len(distinct), ic)})
			return warns, nil
		}
	}
	c.counts = nil // a continuous column needs no counts
	return warns, nil
}

// Schema returns the columns the stream reads (the excluded ones left
// out), with their kinds, as a table of no rows, and the warnings the
// first pass gave.
func (s *Stream) Schema() *Table { return s.schema }

// Rows returns the number of rows of the files.
func (s *Stream) Rows() int { return s.rows }

// TrainRows returns the number of rows each epoch trains on: those not
// held out.
func (s *Stream) TrainRows() int { return s.rows - s.held }

// HeldOut returns the number of rows held out for validation; at most
// [StreamOptions.MaxValidRows] of them are in [Stream.Validation].
func (s *Stream) HeldOut() int { return s.held }

// Fit fits a [Preprocessor] from the statistics of the first pass, as
// [FitWith] fits one from a table: the same categories and, up to the
// rounding of Welford's update, the same means and standard deviations;
// quantiles and bin edges come from each column's sample, exact when the
// sample holds the whole column. The continuous transforms are
// [TransformStandard] and [TransformQuantileNormal].
func (s *Stream) Fit(continuous, categorical []string, opt FitOptions) (*Preprocessor, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	var dates *Preprocessor
	if len(opt.Dates) > 0 {
		continuous, categorical = withoutDates(continuous, opt.Dates), withoutDates(categorical, opt.Dates)
		var err error
		if dates, err = s.fitDates(opt); err != nil {
			return nil, err
		}
	}
	if opt.ContinuousTransform != "" && !slices.Contains(ContinuousTransforms, opt.ContinuousTransform) {
		return nil, fmt.Errorf("preprocessing: continuous transform %q: want one of %v", opt.ContinuousTransform, ContinuousTransforms)
	}
	listed, err := listedOnce(continuous, categorical)
	if err != nil {
		return nil, err
	}
	p := &Preprocessor{
		Continuous:  make([]ContinuousSpec, 0, len(continuous)),
		Categorical: make([]CategoricalSpec, 0, len(categorical)),
	}
	if opt.ContinuousTransform != TransformStandard {
		p.ContinuousTransform = opt.ContinuousTransform
	}
	for _, name := range continuous {
		c, err := s.column(name)
		if err != nil {
			return nil, err
		}
		if c.kind != Continuous {
			return nil, &Error{Source: s.spec, Column: name, Err: errors.New("the column reads as categorical; read it as continuous by name to fit it as numbers")}
		}
		mean, std := c.meanStd()
		spec := ContinuousSpec{Name: name, Mean: mean, Std: std}
		if isPower(p.ContinuousTransform) {
			// λ and the statistics of the transformed values come from
			// the column's sample, as the quantiles do: its likelihood
			// needs every value it is fitted on at each trial λ, which a
			// single pass over the files cannot give.
			if p.ContinuousTransform == TransformBoxCox && c.n > 0 && !(c.lo > 0) {
				return nil, &Error{Source: s.spec, Column: name,
					Err: fmt.Errorf("%s is not positive: the box-cox transform needs strictly positive values (yeo-johnson accepts any)", formatFloat32(c.lo))}
			}
			if err := fitPowerSpec(&Table{Source: s.spec}, p.ContinuousTransform, &spec, c.sketch); err != nil {
				return nil, err
			}
		}
		if usesQuantiles(p.ContinuousTransform) || opt.Bins > 0 {
			sorted := slices.Clone(c.sketch)
			slices.Sort(sorted)
			if usesQuantiles(p.ContinuousTransform) && len(sorted) > 0 {
				// As many quantiles as the whole column would get.
				// No more than the sample has, but at least two.
				spec.Quantiles = quantiles(sorted, min(quantileCount(p.ContinuousTransform, c.n), max(2, len(sorted))))
			}
			if opt.Bins > 0 {
				for i, v := range sorted {
					sorted[i] = p.encode(&spec, v)
				}
				slices.Sort(sorted)
				spec.BinEdges = binEdges(sorted, opt.Bins)
			}
		}
		p.Continuous = append(p.Continuous, spec)
	}
	if dates != nil {
		// After the listed columns, as FitWith puts them.
		p.Continuous = append(p.Continuous, dates.Continuous...)
		p.Dates, p.BadDates = dates.Dates, dates.BadDates
	}
	for _, name := range categorical {
		c, err := s.column(name)
		if err != nil {
			return nil, err
		}
		if c.kind != Categorical {
			return nil, &Error{Source: s.spec, Column: name, Err: errors.New("the column reads as continuous; read it as categorical by name to fit it as categories")}
		}
		lv := make([]string, 0, len(c.counts))
		for text := range c.counts {
			lv = append(lv, text)
		}
		if limit := opt.maxLevels(); limit > 0 && len(lv) > limit {
			// The most frequent, ties broken by text, as FitWith keeps
			// them.
			slices.SortFunc(lv, func(a, b string) int {
				if d := cmp.Compare(c.counts[b], c.counts[a]); d != 0 {
					return d
				}
				return strings.Compare(a, b)
			})
			others := 0
			for _, text := range lv[limit:] {
				others += c.counts[text]
			}
			if opt.Warn != nil {
				opt.Warn(&Error{Source: s.spec, Column: name, Err: fmt.Errorf(
					"%d distinct values: the %d most frequent are kept as categories, and the other values (%d rows) are one category, \"other\", shared with missing and unseen values",
					len(lv), limit, others)})
			}
			lv = lv[:limit]
		}
		slices.Sort(lv)
		p.Categorical = append(p.Categorical, CategoricalSpec{Name: name, Levels: slices.Clip(lv)})
	}
	if dates != nil {
		p.Categorical = append(p.Categorical, dates.Categorical...)
	}
	var derived []string
	if dates != nil {
		for _, d := range dates.Continuous {
			derived = append(derived, d.Name)
		}
		for _, d := range dates.Categorical {
			derived = append(derived, d.Name)
		}
	}
	for _, name := range derived {
		if _, err := s.column(name); err == nil || listed[name] {
			return nil, &Error{Source: s.spec, Column: name, Err: errDerivedClash}
		}
	}
	if opt.MissingIndicator {
		// As FitWith adds them: after the listed columns, one per
		// continuous column with a missing value in the first pass,
		// with both levels whatever the rows held.
		for _, name := range continuous {
			c, _ := s.column(name)
			if c.n == s.rows {
				continue
			}
			ind := name + "_" + PartMissing
			if _, err := s.column(ind); err == nil || listed[ind] {
				return nil, &Error{Source: s.spec, Column: ind, Err: errDerivedClash}
			}
			p.Categorical = append(p.Categorical, CategoricalSpec{Name: ind, Levels: []string{"0", "1"}, Source: name, Part: PartMissing})
		}
	}
	return p, nil
}

// fitDates fits the calendar features of the date columns of opt on the
// rows the first pass kept of those held out for validation: a uniform
// sample of up to [StreamOptions.MaxValidRows] rows. Their levels (months,
// days, weekdays, hours) are all there in a sample of thousands, and the
// statistics of the year and the day of the year are estimated from it as
// the quantiles of other columns are from theirs; one pass cannot parse
// and count dates of columns it does not know to be dates.
func (s *Stream) fitDates(opt FitOptions) (*Preprocessor, error) {
	for _, d := range opt.Dates {
		if _, err := s.column(d.Name); err != nil {
			return nil, err
		}
	}
	if s.valid.Len() == 0 {
		return nil, errors.New("preprocessing: date columns are fitted from a stream on its held-out rows, and this stream holds none out; give it a validation share")
	}
	ch := s.newChunk(s.valid.Len())
	for _, r := range s.valid.rows {
		ch.add(s, r.cells, r.pos)
	}
	return FitWith(ch.t, nil, nil, FitOptions{Dates: opt.Dates, BadDates: opt.BadDates,
		ContinuousTransform: opt.ContinuousTransform, Bins: opt.Bins, Warn: opt.Warn})
}

// inputColumns lists the columns of the data that p reads: its features'
// names, or, for a derived feature (a date part, a missing indicator), the
// column it comes from.
func (p *Preprocessor) inputColumns() []string {
	var names []string
	add := func(name, source string) {
		if source != "" {
			name = source
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, c := range p.Continuous {
		add(c.Name, c.Source)
	}
	for _, c := range p.Categorical {
		add(c.Name, c.Source)
	}
	return names
}

func (s *Stream) column(name string) (*streamColumn, error) {
	for k := range s.cols {
		if s.cols[k].name == name {
			return &s.cols[k], nil
		}
	}
	if slices.Contains(s.names, name) {
		return nil, &Error{Source: s.spec, Column: name, Err: errors.New("the column is excluded")}
	}
	return nil, &Error{Source: s.spec, Column: name, Err: fmt.Errorf("no such column (the files have %s)", quotedList(s.names, 20))}
}

// Validation returns the held-out rows kept for validation (see [Stream]),
// encoded with p, in the order of their hashes; nil if none were held
// out.
func (s *Stream) Validation(p *Preprocessor) (*Dataset, error) {
	if s.valid.Len() == 0 {
		return nil, nil
	}
	rows := slices.Clone(s.valid.rows)
	slices.SortFunc(rows, func(a, b heldRow) int { return cmp.Compare(a.hash, b.hash) })
	return s.encodeRows(p, rows)
}

// Sample returns up to two training rows encoded with p, for a model to
// look at before training (to learn which figures it reports, say).
func (s *Stream) Sample(p *Preprocessor) (*Dataset, error) {
	return s.encodeRows(p, s.sample)
}

// encodeRows encodes rows kept from the first pass.
func (s *Stream) encodeRows(p *Preprocessor, rows []heldRow) (*Dataset, error) {
	ch := s.newChunk(len(rows))
	for _, r := range rows {
		ch.add(s, r.cells, r.pos)
	}
	return ch.transform(p)
}

// validHeap keeps the held-out rows of smallest hash: a max-heap on the
// hash, so the largest is dropped when a smaller one comes.
type validHeap struct{ rows []heldRow }

func (h *validHeap) Len() int    { return len(h.rows) }
func (h *validHeap) max() uint64 { return h.rows[0].hash }

func (h *validHeap) add(r heldRow, limit int) {
	if limit <= 0 {
		return
	}
	if len(h.rows) < limit {
		h.rows = append(h.rows, r)
		for i := len(h.rows) - 1; i > 0; {
			parent := (i - 1) / 2
			if h.rows[parent].hash >= h.rows[i].hash {
				break
			}
			h.rows[parent], h.rows[i] = h.rows[i], h.rows[parent]
			i = parent
		}
		return
	}
	h.rows[0] = r
	for i := 0; ; {
		l, big := 2*i+1, i
		if l < len(h.rows) && h.rows[l].hash > h.rows[big].hash {
			big = l
		}
		if l+1 < len(h.rows) && h.rows[l+1].hash > h.rows[big].hash {
			big = l + 1
		}
		if big == i {
			return
		}
		h.rows[i], h.rows[big] = h.rows[big], h.rows[i]
		i = big
	}
}
