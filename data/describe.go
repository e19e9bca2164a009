package data

import (
	"cmp"
	"math"
	"slices"
)

// ColumnStats describe one column of a table, as `gotabular inspect`
// prints them.
type ColumnStats struct {
	Name     string
	Kind     Kind
	Missing  int // number of missing values
	Distinct int // distinct non-missing values
	// Continuous columns: the range and mean of the non-missing values
	// (NaN when there are none).
	Min  float64
	Max  float64
	Mean float64
	// Top are the most frequent values with their counts, most frequent
	// first (ties in text order): for categorical columns, and for
	// continuous ones with few distinct values.
	Top []LevelCount
}

// LevelCount is a value and how many rows hold it.
type LevelCount struct {
	Value string
	Count int
}

// MissingShare is the fraction of rows whose value is missing.
func (s ColumnStats) MissingShare(rows int) float64 {
	if rows == 0 {
		return 0
	}
	return float64(s.Missing) / float64(rows)
}

// Describe computes the statistics of every column of t, with up to top
// most frequent values per column (for a continuous column only if it has
// no more than top distinct values, when they say more than the range).
func Describe(t *Table, top int) []ColumnStats {
	out := make([]ColumnStats, len(t.Columns))
	for j, c := range t.Columns {
		s := ColumnStats{Name: c.Name, Kind: c.Kind}
		counts := map[string]int{}
		switch c.Kind {
		case Categorical:
			byCode := make([]int, len(c.Dict))
			for _, code := range c.Codes {
				if code < 0 || int(code) >= len(c.Dict) {
					s.Missing++
					continue
				}
				byCode[code]++
			}
			for k, n := range byCode {
				if n > 0 {
					counts[c.Dict[k]] += n
				}
			}
		default:
			lo, hi, sum, n := math.Inf(1), math.Inf(-1), 0.0, 0
			byValue := map[float32]int{}
			for _, v := range c.Floats {
				if isNaN32(v) {
					s.Missing++
					continue
				}
				x := float64(v)
				lo, hi, sum, n = min(lo, x), max(hi, x), sum+x, n+1
				byValue[v]++
			}
			s.Min, s.Max, s.Mean = math.NaN(), math.NaN(), math.NaN()
			if n > 0 {
				s.Min, s.Max, s.Mean = lo, hi, sum/float64(n)
			}
			if len(byValue) <= top {
				for v, k := range byValue {
					counts[formatFloat32(v)] += k
				}
			}
			s.Distinct = len(byValue)
		}
		if c.Kind == Categorical {
			s.Distinct = len(counts)
		}
		for v, n := range counts {
			s.Top = append(s.Top, LevelCount{v, n})
		}
		slices.SortFunc(s.Top, func(a, b LevelCount) int {
			if d := cmp.Compare(b.Count, a.Count); d != 0 {
				return d
			}
			return cmp.Compare(a.Value, b.Value)
		})
		if len(s.Top) > top {
			s.Top = s.Top[:top]
		}
		out[j] = s
	}
	return out
}
