package data

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gotabular/gotabular/tensor"
)

// ContinuousSpec encodes one continuous column. Under the standard
// transform v becomes (v-Mean)/Std; under the quantile-normal one it is
// mapped through Quantiles onto the standard normal distribution. Either
// way a missing v becomes 0: the mean, or the median.
type ContinuousSpec struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"` // never 0: a constant column is stored with 1
	// Quantiles are the column's quantiles at the evenly spaced levels
	// 0, 1/(m−1), …, 1, non-decreasing (ties repeat), in the column's
	// units; they are set by the quantile-normal transform only, and hold
	// nothing for a column that had no values.
	Quantiles []float64 `json:"quantiles,omitempty"`
	// BinEdges b_0 < … < b_T are the edges of the column's bins for a
	// model's piecewise-linear encoding, in encoded units (after the
	// transform): quantiles of the encoded fitting rows, so that every
	// bin holds about as many of them. Set only when fitting asks for bins
	// ([FitOptions.Bins]); they are data statistics like Mean and Std, so
	// they are fitted with them, once, and kept with them.
	BinEdges []float64 `json:"bin_edges,omitempty"`
	// Lambda is the fitted λ of a power transform (yeo-johnson, box-cox);
	// Mean and Std are then those of the transformed values, by which
	// they are standardised.
	Lambda float64 `json:"lambda,omitempty"`
	// Source and Part say how a derived feature is computed: Part
	// (DatePartYear, …) of the date column Source. Both are empty for a
	// column of the table itself.
	Source string `json:"source,omitempty"`
	Part   string `json:"part,omitempty"`
}

// CategoricalSpec encodes one categorical column: a value's code is 1 plus
// its index in Levels, and code 0 stands for a missing value or one that was
// not seen when fitting, so that new data never makes the encoder fail.
type CategoricalSpec struct {
	Name   string   `json:"name"`
	Levels []string `json:"levels"` // sorted, so that the same data gives the same codes
	// Source and Part say how a derived feature is computed: Part
	// (DatePartMonth, …) of the date column Source, or PartMissing, the
	// missing-value indicator of the continuous column Source. Both are
	// empty for a column of the table itself.
	Source string `json:"source,omitempty"`
	Part   string `json:"part,omitempty"`
}

// Cardinality returns the number of codes, len(Levels)+1, which is the size
// of the embedding table a model needs for the column.
func (s CategoricalSpec) Cardinality() int { return len(s.Levels) + 1 }

// Preprocessor turns a [Table] into model inputs. It is fitted once, on the
// pretraining data, and applied unchanged afterwards: it is stored as JSON
// with a saved model, and a model must see the inputs of fine-tuning and
// prediction encoded exactly as those it was pretrained on.
type Preprocessor struct {
	// ContinuousTransform is how continuous columns are encoded: empty
	// or [TransformStandard] (what models saved before the option existed
	// hold; fitting writes it empty), or [TransformQuantileNormal].
	ContinuousTransform string            `json:"continuous_transform,omitempty"`
	Continuous          []ContinuousSpec  `json:"continuous"`
	Categorical         []CategoricalSpec `json:"categorical"`
	// Dates are the date columns, each expanded into the calendar
	// features (Source = its name) listed with the others above; the date
	// column itself is not a feature.
	Dates []DateColumn `json:"dates,omitempty"`
	// BadDates is what becomes of a value of a date column that is not a
	// date: BadDatesMissing (also written "") or BadDatesError.
	BadDates string `json:"bad_dates,omitempty"`
}

// FitOptions choose how [FitWith] encodes continuous columns. The zero
// value is what [Fit] does.
type FitOptions struct {
	// ContinuousTransform is one of [ContinuousTransforms]:
	// [TransformStandard] (the default, also written ""),
	// [TransformQuantileNormal], [TransformQuantileUniform],
	// [TransformYeoJohnson], [TransformBoxCox] or [TransformRankGauss].
	ContinuousTransform string
	// Dates are the date columns to expand into calendar features (see
	// [DatePartYear]); a date column named among the continuous or
	// categorical columns is taken out of them, since it is replaced by
	// its features.
	Dates []DateColumn
	// BadDates says what becomes of a value of a date column that is not
	// a date, in fitting and in every later Transform: [OddAsMissing] (the
	// default) reads it as missing and tells Warn how many there were and
	// the first; [OddIsError] makes it an error naming the file, row,
	// column and value.
	BadDates OddPolicy
	// MissingIndicator adds, for each continuous column with missing
	// values in the fitting rows, a categorical feature
	// "<column>_missing", "1" where the value is missing and "0"
	// elsewhere, so that a model can tell an imputed value from a real
	// one. A column complete in fitting gets none: its indicator would be
	// constant there, and nothing could be learnt from it.
	MissingIndicator bool
	// Bins, when positive, asks for the edges of up to Bins quantile bins
	// of each continuous column ([ContinuousSpec.BinEdges]), which a
	// model's piecewise-linear encoding reads.
	Bins int
	// MaxLevels caps the levels of a categorical column: a column with
	// more distinct values keeps its MaxLevels most frequent ones (ties
	// broken by text order), and the others share code 0, "other", with
	// missing and unseen values. An embedding table of 100,000 rows costs
	// far more time and memory than it can learn from. 0 means
	// [DefaultMaxLevels]; a negative value keeps every level.
	MaxLevels int
	// Warn, if not nil, hears of each capped column, with the number of
	// its levels and of the rows that fall into "other".
	Warn func(error)
}

// DefaultMaxLevels is the cap on the levels of a categorical column when
// [FitOptions.MaxLevels] is 0.
const DefaultMaxLevels = 1000

// Validate reports an option that cannot work, naming it.
func (o FitOptions) Validate() error {
	if o.ContinuousTransform != "" && !slices.Contains(ContinuousTransforms, o.ContinuousTransform) {
		return fmt.Errorf("preprocessing: continuous transform %q: want one of %s", o.ContinuousTransform, strings.Join(ContinuousTransforms, ", "))
	}
	if o.Bins < 0 {
		return fmt.Errorf("preprocessing: bins %d: must be ≥ 0", o.Bins)
	}
	if o.BadDates != OddAsMissing && o.BadDates != OddIsError {
		return fmt.Errorf("preprocessing: unknown policy for bad dates %d", o.BadDates)
	}
	seen := map[string]bool{}
	for _, d := range o.Dates {
		if d.Name == "" {
			return errors.New("preprocessing: a date column has no name")
		}
		if seen[d.Name] {
			return fmt.Errorf("preprocessing: date column %q is listed twice", d.Name)
		}
		seen[d.Name] = true
	}
	return nil
}

// Fit learns a [Preprocessor] from t for the named continuous and
// categorical columns, in the order given.
//
// A continuous column's mean and standard deviation are those of its
// non-missing values (the population deviation, as scikit-learn's
// StandardScaler has it); a column with no values gets Mean 0 and Std 1. A
// column listed as continuous that t holds as categorical is parsed as
// numbers, and the first value that is not one is an error. A categorical
// column's levels are its distinct non-missing values in text form, so a
// numeric column can be treated as categorical. Unknown names, names listed
// twice and an empty table are errors.
func Fit(t *Table, continuous, categorical []string) (*Preprocessor, error) {
	return FitWith(t, continuous, categorical, FitOptions{})
}

// FitWith is [Fit] with options: the transform of the continuous columns,
// and bin edges for a piecewise-linear encoding.
//
// The quantile-normal transform stores numQuantiles quantiles of each
// column's non-missing values (n/30 of n values, clipped to [10, 1000]);
// see [ContinuousSpec.Quantiles]. The bin edges are quantiles of the
// encoded non-missing values of each column; see [ContinuousSpec.BinEdges].
// Mean and Std are fitted in every case.
func FitWith(t *Table, continuous, categorical []string, opt FitOptions) (*Preprocessor, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if t.Rows == 0 {
		return nil, fmt.Errorf("%s has no rows to fit preprocessing on", t.source())
	}
	policy := BadDatesMissing
	if opt.BadDates == OddIsError {
		policy = BadDatesError
	}
	continuous, categorical = withoutDates(continuous, opt.Dates), withoutDates(categorical, opt.Dates)
	t, derivedCont, derivedCat, err := fitDerived(t, continuous, opt, policy)
	if err != nil {
		return nil, err
	}
	for _, s := range derivedCont {
		continuous = append(continuous, s.Name)
	}
	for _, s := range derivedCat {
		categorical = append(categorical, s.Name)
	}
	if _, err := listedOnce(continuous, categorical); err != nil {
		return nil, err
	}
	p := &Preprocessor{
		Continuous:  make([]ContinuousSpec, 0, len(continuous)),
		Categorical: make([]CategoricalSpec, 0, len(categorical)),
	}
	if opt.ContinuousTransform != TransformStandard {
		p.ContinuousTransform = opt.ContinuousTransform
	}
	if len(opt.Dates) > 0 {
		p.Dates = slices.Clone(opt.Dates)
		if policy == BadDatesError {
			p.BadDates = policy
		}
	}
	for _, name := range continuous {
		c, err := column(t, name)
		if err != nil {
			return nil, err
		}
		vals, err := numbers(t, c)
		if err != nil {
			return nil, err
		}
		mean, std := meanStd(vals)
		s := ContinuousSpec{Name: name, Mean: mean, Std: std}
		if k := slices.IndexFunc(derivedCont, func(d ContinuousSpec) bool { return d.Name == name }); k >= 0 {
			s.Source, s.Part = derivedCont[k].Source, derivedCont[k].Part
		}
		if isPower(p.ContinuousTransform) {
			if err := fitPowerSpec(t, p.ContinuousTransform, &s, vals); err != nil {
				return nil, err
			}
		}
		if usesQuantiles(p.ContinuousTransform) || opt.Bins > 0 {
			sorted := make([]float32, 0, len(vals))
			for _, v := range vals {
				if !isNaN32(v) {
					sorted = append(sorted, v)
				}
			}
			slices.Sort(sorted)
			if usesQuantiles(p.ContinuousTransform) && len(sorted) > 0 {
				s.Quantiles = quantiles(sorted, quantileCount(p.ContinuousTransform, len(sorted)))
			}
			if opt.Bins > 0 {
				// The encoding is monotone, so the encoded values
				// stay sorted; sorting again costs a pass and guards
				// against a rounding that is not.
				for i, v := range sorted {
					sorted[i] = p.encode(&s, v)
				}
				slices.Sort(sorted)
				s.BinEdges = binEdges(sorted, opt.Bins)
			}
		}
		p.Continuous = append(p.Continuous, s)
	}
	for _, name := range categorical {
		c, err := column(t, name)
		if err != nil {
			return nil, err
		}
		lv := levels(c)
		if limit := opt.maxLevels(); limit > 0 && len(lv) > limit {
			var others int
			lv, others = frequentLevels(c, limit)
			if opt.Warn != nil {
				opt.Warn(&Error{Source: t.source(), Column: name, Err: fmt.Errorf(
					"%d distinct values: the %d most frequent are kept as categories, and the other values (%d rows) are one category, \"other\", shared with missing and unseen values",
					len(levels(c)), limit, others)})
			}
		}
		s := CategoricalSpec{Name: name, Levels: lv}
		if k := slices.IndexFunc(derivedCat, func(d CategoricalSpec) bool { return d.Name == name }); k >= 0 {
			s.Source, s.Part = derivedCat[k].Source, derivedCat[k].Part
			if s.Part == PartMissing {
				// Both levels, whatever the fitting rows held, so
				// that the indicator's codes are fixed: 1 a value,
				// 2 missing.
				s.Levels = []string{"0", "1"}
			}
		}
		p.Categorical = append(p.Categorical, s)
	}
	return p, nil
}

// Has reports whether name is one of the feature columns.
func (p *Preprocessor) Has(name string) bool {
	for _, c := range p.Continuous {
		if c.Name == name {
			return true
		}
	}
	for _, c := range p.Categorical {
		if c.Name == name {
			return true
		}
	}
	return false
}

// Validate checks a Preprocessor decoded from a file, so that a damaged or
// hand-edited model is refused when it is loaded rather than producing
// infinities or ambiguous codes later.
func (p *Preprocessor) Validate() error {
	if p == nil {
		return errors.New("preprocessing: missing")
	}
	quantile := usesQuantiles(p.ContinuousTransform)
	powered := isPower(p.ContinuousTransform)
	if p.ContinuousTransform != "" && !slices.Contains(ContinuousTransforms, p.ContinuousTransform) {
		return fmt.Errorf("preprocessing: continuous_transform %q: want one of %s", p.ContinuousTransform, strings.Join(ContinuousTransforms, ", "))
	}
	owner := make(map[string]string)
	checkName := func(field, name string) error {
		if name == "" {
			return fmt.Errorf("preprocessing: %s: empty name", field)
		}
		if other, dup := owner[name]; dup {
			return fmt.Errorf("preprocessing: %s %q: name also used by %s", field, name, other)
		}
		owner[name] = field
		return nil
	}
	for i, s := range p.Continuous {
		field := fmt.Sprintf("continuous[%d]", i)
		if err := checkName(field, s.Name); err != nil {
			return err
		}
		if math.IsNaN(s.Mean) || math.IsInf(s.Mean, 0) {
			return fmt.Errorf("preprocessing: %s %q: mean is %v", field, s.Name, s.Mean)
		}
		if !(s.Std > 0) || math.IsInf(s.Std, 0) {
			return fmt.Errorf("preprocessing: %s %q: std is %v", field, s.Name, s.Std)
		}
		if !quantile && len(s.Quantiles) > 0 {
			return fmt.Errorf("preprocessing: %s %q: quantiles are set but the continuous transform is %s", field, s.Name, p.transformName())
		}
		if !powered && s.Lambda != 0 {
			return fmt.Errorf("preprocessing: %s %q: lambda is set but the continuous transform is %s", field, s.Name, p.transformName())
		}
		if err := validateLambda(s.Lambda); err != nil {
			return fmt.Errorf("preprocessing: %s %q: %v", field, s.Name, err)
		}
		if err := validateQuantiles(s.Quantiles); err != nil {
			return fmt.Errorf("preprocessing: %s %q: %v", field, s.Name, err)
		}
		// Bin edges are for every column or none: a model encodes all
		// its continuous features alike.
		if hasBins := len(s.BinEdges) > 0; hasBins != (len(p.Continuous[0].BinEdges) > 0) {
			return fmt.Errorf("preprocessing: %s %q: bin_edges are set for some continuous columns but not others (%q has %d)", field, s.Name, p.Continuous[0].Name, len(p.Continuous[0].BinEdges))
		} else if hasBins {
			if err := validateBinEdges(s.BinEdges); err != nil {
				return fmt.Errorf("preprocessing: %s %q: %v", field, s.Name, err)
			}
		}
	}
	for i, s := range p.Categorical {
		field := fmt.Sprintf("categorical[%d]", i)
		if err := checkName(field, s.Name); err != nil {
			return err
		}
		seen := make(map[string]int, len(s.Levels))
		for j, l := range s.Levels {
			if k, dup := seen[l]; dup {
				return fmt.Errorf("preprocessing: %s %q: level %q appears twice (levels[%d] and levels[%d])", field, s.Name, l, k, j)
			}
			seen[l] = j
		}
		if len(s.Levels) >= math.MaxInt32 {
			return fmt.Errorf("preprocessing: %s %q: %d levels are too many", field, s.Name, len(s.Levels))
		}
	}
	return p.validateDerived()
}

// transformName is the continuous transform, "standard" when empty.
func (p *Preprocessor) transformName() string {
	if p.ContinuousTransform == "" {
		return TransformStandard
	}
	return p.ContinuousTransform
}

// Transform encodes t: one row of the result per row of t, in the same
// order. Continuous columns are standardised, or mapped onto the normal
// distribution under the quantile-normal transform, with missing values
// set to 0;
// categorical values get their codes, with 0 for missing and unseen values.
// A continuous column that t holds as categorical (because the reader met a
// field that is not a number) is parsed, and the first value that fails is
// an error naming its row and column; so is a value so far from the fitted
// ones that its encoding overflows float32. A column of p that t lacks is
// an error.
//
// Transform trusts p; a Preprocessor from a file should pass
// [Preprocessor.Validate] first.
func (p *Preprocessor) Transform(t *Table) (*Dataset, error) {
	return p.TransformWarn(t, nil)
}

// TransformWarn is [Preprocessor.Transform], telling warn (if not nil)
// what it reads as missing: values of a date column that are not dates.
func (p *Preprocessor) TransformWarn(t *Table, warn func(error)) (*Dataset, error) {
	t, err := p.derive(t, warn)
	if err != nil {
		return nil, err
	}
	d := &Dataset{
		N:    t.Rows,
		Cont: tensor.New(t.Rows, len(p.Continuous)),
		Cat:  tensor.NewInt(t.Rows, len(p.Categorical)),
	}
	nc := len(p.Continuous)
	for j, s := range p.Continuous {
		c, err := column(t, s.Name)
		if err != nil {
			return nil, err
		}
		vals, err := numbers(t, c)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			e := p.encode(&p.Continuous[j], v)
			if isNaN32(e) && !isNaN32(v) {
				// Only box-cox has values it cannot encode.
				return nil, &Error{Source: t.source(), Row: i + 1, Column: s.Name,
					Err: fmt.Errorf("%s is not positive, and the column's %s transform needs positive values", formatFloat32(v), p.ContinuousTransform)}
			}
			if math.IsInf(float64(e), 0) {
				// A finite value far beyond the fitted range (3e38 in
				// a column of small numbers) overflows float32 once
				// standardised, and the model would answer NaN.
				return nil, &Error{Source: t.source(), Row: i + 1, Column: s.Name,
					Err: fmt.Errorf("%s is too far from the fitted values (mean %.4g, standard deviation %.4g) to be encoded as a float32", formatFloat32(v), s.Mean, s.Std)}
			}
			d.Cont.Data[i*nc+j] = e
		}
	}
	nk := len(p.Categorical)
	for j, s := range p.Categorical {
		c, err := column(t, s.Name)
		if err != nil {
			return nil, err
		}
		codes := d.Cat.Data
		if c.Kind == Categorical && len(c.Dict)*len(s.Levels) <= scanLevelsMax {
			// A few rows (a request to a server, say): scanning the
			// levels for each value of the column costs less than
			// building their index, which would be most of the work.
			for i, code := range c.Codes {
				if code >= 0 {
					codes[i*nk+j] = scanLevel(s.Levels, c.Dict[code])
				}
			}
			continue
		}
		index := make(map[string]int32, len(s.Levels))
		for k, l := range s.Levels {
			index[l] = int32(k + 1)
		}
		if c.Kind == Categorical {
			// Look each dictionary entry up once rather than each row.
			dictCode := make([]int32, len(c.Dict))
			for k, v := range c.Dict {
				dictCode[k] = lookupLevel(index, v)
			}
			for i, code := range c.Codes {
				if code >= 0 {
					codes[i*nk+j] = dictCode[code]
				}
			}
			continue
		}
		byBits := make(map[uint32]int32)
		for i, v := range c.Floats {
			if isNaN32(v) {
				continue
			}
			b := math.Float32bits(v)
			code, ok := byBits[b]
			if !ok {
				code = index[formatFloat32(v)]
				byBits[b] = code
			}
			codes[i*nk+j] = code
		}
	}
	return d, nil
}

// encode returns the model input for the value v of the continuous column
// s: 0 for a missing value, the mean or the median.
func (p *Preprocessor) encode(s *ContinuousSpec, v float32) float32 {
	switch {
	case isNaN32(v):
		return 0
	case p.ContinuousTransform == TransformQuantileNormal:
		return float32(quantileNormal(s.Quantiles, float64(v)))
	case p.ContinuousTransform == TransformQuantileUniform:
		return float32(quantileUniform(s.Quantiles, float64(v)))
	case p.ContinuousTransform == TransformRankGauss:
		return float32(rankGauss(s.Quantiles, float64(v)))
	case isPower(p.ContinuousTransform):
		return float32(encodePower(p.ContinuousTransform, s, float64(v)))
	}
	return float32((float64(v) - s.Mean) / s.Std)
}

// lookupLevel returns the code of text s, 0 if it is not a level. Numbers
// written differently ("1.0" where fitting saw "1") are matched through
// their canonical form, because whether a column is read as numbers or text
// can change from file to file with a single odd field.
func lookupLevel(index map[string]int32, s string) int32 {
	if code, ok := index[s]; ok {
		return code
	}
	if v, ok := parseFloat32(s); ok {
		return index[formatFloat32(v)]
	}
	return 0
}

// scanLevelsMax bounds the values × levels of a categorical column that
// Transform matches by scanning the levels rather than through an index.
const scanLevelsMax = 4096

// scanLevel is lookupLevel by a scan of the levels.
func scanLevel(levels []string, s string) int32 {
	if k := slices.Index(levels, s); k >= 0 {
		return int32(k + 1)
	}
	if v, ok := parseFloat32(s); ok {
		if k := slices.Index(levels, formatFloat32(v)); k >= 0 {
			return int32(k + 1)
		}
	}
	return 0
}

// column is [Table.Col] for code that indexes the column by row: a table
// assembled by hand with a column of the wrong length is an error, not a
// panic.
func column(t *Table, name string) (*Column, error) {
	c, err := t.Col(name)
	if err != nil {
		return nil, err
	}
	if c.Len() != t.Rows {
		return nil, &Error{Source: t.source(), Column: name, Err: fmt.Errorf("%d values in a table of %d rows", c.Len(), t.Rows)}
	}
	return c, nil
}

// numbers returns the values of c as numbers, NaN for missing. A
// categorical column is parsed; its first value that is not a number is an
// error naming the row.
func numbers(t *Table, c *Column) ([]float32, error) {
	if c.Kind != Categorical {
		return c.Floats, nil
	}
	parsed := make([]float32, len(c.Dict))
	good := make([]bool, len(c.Dict))
	for k, s := range c.Dict {
		parsed[k], good[k] = parseFloat32(s)
	}
	vals := make([]float32, len(c.Codes))
	for i, code := range c.Codes {
		switch {
		case code < 0:
			vals[i] = float32(math.NaN())
		case good[code]:
			vals[i] = parsed[code]
		default:
			return nil, &Error{Source: t.source(), Row: i + 1, Column: c.Name,
				Err: fmt.Errorf("%q is not a number, but the column is continuous", c.Dict[code])}
		}
	}
	return vals, nil
}

// meanStd returns the mean and population standard deviation of the
// non-missing values, with Std 1 where it would be 0 so that standardising
// never divides by zero.
func meanStd(vals []float32) (mean, std float64) {
	var n int
	var sum float64
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range vals {
		if isNaN32(v) {
			continue
		}
		n++
		sum += float64(v)
		lo, hi = min(lo, v), max(hi, v)
	}
	if n == 0 {
		return 0, 1
	}
	mean = sum / float64(n)
	// A constant column is detected exactly: the two-pass variance of
	// identical values can come out as a rounding residue instead of 0,
	// which would blow the residues up to ±1.
	if lo == hi {
		return float64(lo), 1
	}
	var ss float64
	for _, v := range vals {
		if !isNaN32(v) {
			d := float64(v) - mean
			ss += d * d
		}
	}
	std = math.Sqrt(ss / float64(n))
	if !(std > 0) {
		std = 1
	}
	return mean, std
}

func (o FitOptions) maxLevels() int {
	if o.MaxLevels == 0 {
		return DefaultMaxLevels
	}
	return o.MaxLevels
}

// frequentLevels returns the limit most frequent values of c in text
// form, sorted, and the number of rows holding another value.
func frequentLevels(c *Column, limit int) ([]string, int) {
	counts := map[string]int{}
	for i := range c.Len() {
		if s, ok := c.Text(i); ok {
			counts[s]++
		}
	}
	all := make([]string, 0, len(counts))
	for s := range counts {
		all = append(all, s)
	}
	slices.SortFunc(all, func(a, b string) int {
		if d := counts[b] - counts[a]; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	others := 0
	for _, s := range all[limit:] {
		others += counts[s]
	}
	kept := all[:limit]
	slices.Sort(kept)
	return kept, others
}

// levels returns the sorted distinct non-missing values of c in text form.
func levels(c *Column) []string {
	var out []string
	if c.Kind == Categorical {
		// Only codes in use: a table from Take keeps its whole dictionary.
		used := make([]bool, len(c.Dict))
		for _, code := range c.Codes {
			if code >= 0 {
				used[code] = true
			}
		}
		for k, u := range used {
			if u {
				out = append(out, c.Dict[k])
			}
		}
	} else {
		seen := make(map[uint32]bool)
		for _, v := range c.Floats {
			if isNaN32(v) {
				continue
			}
			b := math.Float32bits(v)
			if !seen[b] {
				seen[b] = true
				out = append(out, formatFloat32(v))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// listedOnce returns the set of the feature columns, refusing a column
// listed twice.
func listedOnce(continuous, categorical []string) (map[string]bool, error) {
	listed := make(map[string]bool, len(continuous)+len(categorical))
	for _, name := range slices.Concat(continuous, categorical) {
		if listed[name] {
			return nil, fmt.Errorf("preprocessing: column %q is listed twice", name)
		}
		listed[name] = true
	}
	return listed, nil
}

// withoutDates returns names without the date columns, which their
// calendar features replace; names itself when there are none.
func withoutDates(names []string, dates []DateColumn) []string {
	if len(dates) == 0 {
		return names
	}
	return slices.DeleteFunc(slices.Clone(names), func(name string) bool {
		return slices.ContainsFunc(dates, func(d DateColumn) bool { return d.Name == name })
	})
}
