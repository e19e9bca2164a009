package data

import (
	"fmt"
	"math"
	"slices"
)

// The transforms of continuous columns, the values of
// [FitOptions.ContinuousTransform] and [Preprocessor.ContinuousTransform].
const (
	// TransformStandard standardises a value: (v−Mean)/Std.
	TransformStandard = "standard"
	// TransformQuantileNormal maps a value through the column's empirical
	// CDF onto the standard normal distribution ("rank-gauss", as
	// scikit-learn's QuantileTransformer with a normal output does it).
	TransformQuantileNormal = "quantile_normal"
)

// normalBound clips the quantile-normal output: Φ⁻¹(1−10⁻⁷) ≈ 5.1993, the
// bound scikit-learn uses, so that the lowest and highest values seen in
// fitting (and anything beyond them) map to a finite value instead of ∓∞.
var normalBound = math.Sqrt2 * math.Erfcinv(2e-7)

// numQuantiles returns how many quantiles describe a column of n values:
// n/30 clipped to [10, 1000], as the reference experiments of Gorishniy et
// al. (rtdl, lib/data.py) configure scikit-learn's QuantileTransformer,
// but no more than n (scikit-learn does the same), and at least 2 so that
// a single value still spans the levels 0 and 1.
func numQuantiles(n int) int {
	return max(2, min(n, max(10, min(n/30, 1000))))
}

// quantiles returns the values of sorted (ascending, no NaN) at m evenly
// spaced levels 0, 1/(m−1), …, 1, interpolated linearly between the order
// statistics as numpy.percentile does by default. Rounding cannot make
// the result decrease: it is made non-decreasing explicitly, as
// scikit-learn does.
func quantiles(sorted []float32, m int) []float64 {
	n := len(sorted)
	q := make([]float64, m)
	for k := range q {
		h := float64(k) / float64(m-1) * float64(n-1)
		lo := min(int(h), n-1)
		v := float64(sorted[lo])
		if lo+1 < n {
			v += (h - float64(lo)) * (float64(sorted[lo+1]) - v)
		}
		q[k] = v
		if k > 0 && q[k] < q[k-1] {
			q[k] = q[k-1]
		}
	}
	return q
}

// quantileNormal encodes v with a column's quantiles q (non-decreasing,
// none or at least two): the level u of v is interpolated between the
// quantiles, whose levels are evenly spaced from 0 to 1, and mapped to
// Φ⁻¹(u), clipped to ±normalBound.
//
// Where v equals a run of tied quantiles (a column that is 0 in 80% of the
// rows has 0 as its quantiles from level 0 to 0.8), u is the middle of the
// run's levels (0.4 there, so 0 maps to Φ⁻¹(0.4) ≈ −0.25): scikit-learn's
// mean of the interpolations from either side. Unlike scikit-learn, the
// lowest and highest quantiles are not forced to the clip bounds when they
// are tied, which would send those 80% of zeros to −5.2; a value strictly
// outside the quantiles is clipped. A column without quantiles (no values
// were seen in fitting) encodes everything as 0.
func quantileNormal(q []float64, v float64) float64 {
	m := len(q)
	if m == 0 {
		return 0
	}
	switch {
	case v < q[0]:
		return -normalBound
	case v > q[m-1]:
		return normalBound
	}
	// lo is the first quantile ≥ v, hi the last ≤ v.
	lo, _ := slices.BinarySearch(q, v)
	var u float64
	if q[lo] == v {
		hi, end := lo, m
		for hi+1 < end { // the last index of the run equal to v
			mid := int(uint(hi+1+end) >> 1)
			if q[mid] == v {
				hi = mid
			} else {
				end = mid
			}
		}
		u = float64(lo+hi) / 2 / float64(m-1)
	} else {
		// q[lo−1] < v < q[lo]: lo ≥ 1 because v ≥ q[0].
		a, b := q[lo-1], q[lo]
		u = (float64(lo-1) + (v-a)/(b-a)) / float64(m-1)
	}
	var z float64
	if u < 0.5 {
		// Φ⁻¹ through erfc⁻¹ keeps its precision in the tails.
		z = -math.Sqrt2 * math.Erfcinv(2*u)
	} else {
		z = math.Sqrt2 * math.Erfcinv(2*(1-u))
	}
	return max(-normalBound, min(normalBound, z))
}

// minBinWidth is the smallest accepted width of a piecewise-linear bin:
// 2⁻¹²⁶, the smallest normal float32, so that a model's 1/width is finite
// in float32.
const minBinWidth = 0x1p-126

// binEdges returns the edges of up to bins quantile bins of sorted
// (ascending, no NaN) encoded values, as rtdl_num_embeddings' compute_bins
// makes them: the quantiles at levels 0, 1/bins, …, 1, rounded to float32
// (the precision of the model that reads them), with repeated edges
// dropped, so a column with ties or few distinct values gets fewer bins (a
// 0/1 column gets one). Edges closer than minBinWidth are merged. A column
// with a single value c gets the one bin [c−1, c+1]; both transforms encode
// a constant column as c = 0, and a column without values, whose missing
// values are 0 too, gets [−1, 1].
func binEdges(sorted []float32, bins int) []float64 {
	var edges []float64
	if len(sorted) > 0 {
		for _, q := range quantiles(sorted, bins+1) {
			e := float64(float32(q))
			if len(edges) == 0 || e-edges[len(edges)-1] >= minBinWidth {
				edges = append(edges, e)
			}
		}
	}
	if len(edges) < 2 {
		edges = []float64{-1, 1}
		if len(sorted) > 0 {
			c := sorted[0]
			if e := []float64{float64(c - 1), float64(c + 1)}; validateBinEdges(e) == nil {
				edges = e
			}
		}
	}
	return edges
}

// validateQuantiles checks stored quantiles: none, or at least two finite
// non-decreasing values.
func validateQuantiles(q []float64) error {
	if len(q) == 1 {
		return fmt.Errorf("1 quantile; want none or at least 2")
	}
	for k, v := range q {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("quantiles[%d] is %v", k, v)
		}
		if k > 0 && v < q[k-1] {
			return fmt.Errorf("quantiles[%d] = %v is below quantiles[%d] = %v; they must be sorted", k, v, k-1, q[k-1])
		}
	}
	return nil
}

// validateBinEdges checks stored bin edges: at least two finite values,
// increasing by at least minBinWidth in float32, the precision a model
// reads them in.
func validateBinEdges(e []float64) error {
	if len(e) < 2 {
		return fmt.Errorf("%d bin edges; want at least 2", len(e))
	}
	for k, v := range e {
		f := float32(v)
		if math.IsNaN(v) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("bin_edges[%d] is %v", k, v)
		}
		if k > 0 && !(float64(f)-float64(float32(e[k-1])) >= minBinWidth) {
			return fmt.Errorf("bin_edges[%d] = %v does not exceed bin_edges[%d] = %v; they must increase", k, v, k-1, e[k-1])
		}
	}
	return nil
}
