package data

import (
	"fmt"
	"math"
	"slices"
)

// The transforms added to [TransformStandard] and [TransformQuantileNormal],
// named as in PyTorch Tabular's DataConfig.continuous_feature_transform
// where it has them.
const (
	// TransformQuantileUniform maps a value through the column's
	// empirical CDF to u in [0, 1], then to (u−½)·√12, which has mean 0
	// and variance 1 for a uniform u: the standardisation PyTorch Tabular
	// applies after its transform, done exactly. A missing value becomes
	// 0, the median.
	TransformQuantileUniform = "quantile_uniform"
	// TransformYeoJohnson is the Yeo-Johnson power transform with λ fitted
	// per column by maximum likelihood (as scikit-learn's PowerTransformer
	// does), followed by standardisation of the transformed values. It
	// accepts any real value.
	TransformYeoJohnson = "yeo-johnson"
	// TransformBoxCox is the Box-Cox power transform, fitted and
	// standardised in the same way; it is defined only for strictly
	// positive values, so a column with a value ≤ 0 is an error.
	TransformBoxCox = "box-cox"
	// TransformRankGauss is the transform of the Porto Seguro winning
	// denoising autoencoder: a value's rank among the fitting rows, scaled
	// to (−1, 1), clipped to [−1+ε, 1−ε] and mapped through erf⁻¹.
	//
	// It differs from [TransformQuantileNormal] in three ways. The output
	// is erf⁻¹(2u−1) = Φ⁻¹(u)/√2, a normal of variance ½ rather than 1,
	// as the original has it, which halves the weight of continuous
	// columns against the others in a reconstruction loss. The clip is
	// rankGaussEpsilon, so the extremes are ±2.75 rather than ±5.2. And
	// the ranks are exact for up to rankGaussPoints fitting rows (one
	// point per row; quantile_normal keeps n/30), with linear
	// interpolation between them for values not seen in fitting, so that
	// small pretraining sets keep every distinction between their values.
	TransformRankGauss = "rank-gauss"
)

// ContinuousTransforms lists the accepted continuous transforms.
var ContinuousTransforms = []string{TransformStandard, TransformQuantileNormal,
	TransformQuantileUniform, TransformYeoJohnson, TransformBoxCox, TransformRankGauss}

// rankGaussEpsilon is how far from ±1 the rank-gauss transform clips 2u−1
// before erf⁻¹, so that the lowest and highest ranks map to finite values
// (erf⁻¹(1−10⁻⁴) ≈ 2.75).
const rankGaussEpsilon = 1e-4

// rankGaussPoints is the most points of a column's empirical distribution
// the rank-gauss transform keeps: every row of a small column, and evenly
// spaced quantiles of a larger one, so that the JSON stays small.
const rankGaussPoints = 1000

// usesQuantiles reports whether transform t stores quantiles.
func usesQuantiles(t string) bool {
	return t == TransformQuantileNormal || t == TransformQuantileUniform || t == TransformRankGauss
}

// isPower reports whether transform t is a power transform, with a fitted λ.
func isPower(t string) bool { return t == TransformYeoJohnson || t == TransformBoxCox }

// quantileCount is how many quantiles transform t keeps for n values.
func quantileCount(t string, n int) int {
	if t == TransformRankGauss {
		return max(2, min(n, rankGaussPoints))
	}
	return numQuantiles(n)
}

// quantileLevel returns the level u in [0, 1] of v among the quantiles q
// (non-decreasing, at least two, at evenly spaced levels), with the middle
// of the levels of a run of tied quantiles equal to v, and 0 or 1 beyond
// them.
func quantileLevel(q []float64, v float64) float64 {
	m := len(q)
	switch {
	case v < q[0]:
		return 0
	case v > q[m-1]:
		return 1
	}
	lo, _ := slices.BinarySearch(q, v)
	if q[lo] == v {
		hi := lo
		for hi+1 < m && q[hi+1] == v {
			hi++
		}
		return float64(lo+hi) / 2 / float64(m-1)
	}
	a, b := q[lo-1], q[lo]
	return (float64(lo-1) + (v-a)/(b-a)) / float64(m-1)
}

// quantileUniform encodes v as (u−½)·√12, u its level among q; 0 when q
// is empty (no values were seen in fitting).
func quantileUniform(q []float64, v float64) float64 {
	if len(q) == 0 {
		return 0
	}
	return (quantileLevel(q, v) - 0.5) * math.Sqrt(12)
}

// rankGauss encodes v as erf⁻¹ of its level scaled to (−1, 1) and clipped
// by rankGaussEpsilon; 0 when q is empty.
func rankGauss(q []float64, v float64) float64 {
	if len(q) == 0 {
		return 0
	}
	x := 2*quantileLevel(q, v) - 1
	x = max(-1+rankGaussEpsilon, min(1-rankGaussEpsilon, x))
	return math.Erfinv(x)
}

// yeoJohnson is the Yeo-Johnson transform of x with parameter λ: for x ≥ 0
// ((x+1)^λ−1)/λ, or log(1+x) when λ = 0; for x < 0 −((1−x)^(2−λ)−1)/(2−λ),
// or −log(1−x) when λ = 2. Expm1 and Log1p keep the precision near λ = 0
// and λ = 2, where the ratio is a difference of nearly equal numbers.
func yeoJohnson(x, lambda float64) float64 {
	if x >= 0 {
		if math.Abs(lambda) < 1e-12 {
			return math.Log1p(x)
		}
		return math.Expm1(lambda*math.Log1p(x)) / lambda
	}
	if math.Abs(lambda-2) < 1e-12 {
		return -math.Log1p(-x)
	}
	return -math.Expm1((2-lambda)*math.Log1p(-x)) / (2 - lambda)
}

// boxCox is the Box-Cox transform of x > 0 with parameter λ: (x^λ−1)/λ,
// or log x when λ = 0.
func boxCox(x, lambda float64) float64 {
	if math.Abs(lambda) < 1e-12 {
		return math.Log(x)
	}
	return math.Expm1(lambda*math.Log(x)) / lambda
}

// power applies the power transform t with parameter λ.
func power(t string, x, lambda float64) float64 {
	if t == TransformBoxCox {
		return boxCox(x, lambda)
	}
	return yeoJohnson(x, lambda)
}

// maxLambda bounds the search for λ. Likelihoods that keep improving
// beyond it belong to columns with a handful of distinct values, for
// which a steeper power only spreads a few points further apart; larger
// |λ| would overflow float64 for ordinary values.
const maxLambda = 20

// powerLimit is the largest magnitude of a transformed fitting value that
// a candidate λ may produce: far below the overflow of float64's squares,
// so that the variance stays finite, and of float32's range once
// standardised.
const powerLimit = 1e100

// fitPower returns the λ maximising the profile log-likelihood of the power
// transform t on vals (finite; positive for Box-Cox), the criterion of
// scikit-learn's PowerTransformer and scipy's boxcox:
//
//	ℓ(λ) = −n/2·log σ²(λ) + (λ−1)·Σ J(x)
//
// where σ²(λ) is the population variance of the transformed values and J
// is log x for Box-Cox, sign(x)·log(1+|x|) for Yeo-Johnson. The search
// starts from the bracket (−2, 2) as scipy's does, widens it downhill up
// to ±maxLambda, and narrows it by golden sections to about 10⁻⁹, so the
// λ agrees with scikit-learn's to about six digits wherever the
// likelihood has one maximum and the λ there keeps the transformed values
// apart by more than rounding (see below). A column of fewer than two distinct values
// gets λ = 1, a shift for Yeo-Johnson and for Box-Cox.
func fitPower(t string, vals []float64) float64 {
	distinct := false
	for _, v := range vals[min(1, len(vals)):] {
		if v != vals[0] {
			distinct = true
			break
		}
	}
	if !distinct {
		return 1
	}
	var jac float64
	for _, x := range vals {
		if t == TransformBoxCox {
			jac += math.Log(x)
		} else {
			jac += math.Copysign(math.Log1p(math.Abs(x)), x)
		}
	}
	n := float64(len(vals))
	nll := func(lambda float64) float64 {
		var sum float64
		for _, x := range vals {
			y := power(t, x, lambda)
			if !(math.Abs(y) <= powerLimit) {
				return math.Inf(1)
			}
			sum += y
		}
		mean := sum / n
		var ss float64
		for _, x := range vals {
			d := power(t, x, lambda) - mean
			ss += d * d
		}
		v := ss / n
		// A λ that squeezes the transformed values into a spread of
		// less than 10⁻⁸ of their size leaves their differences to
		// rounding: values far from 0 (years, 2020 to 2023) pull the
		// likelihood there, and scikit-learn's box-cox then encodes
		// every year as 0. Such a λ counts as impossible, so the search
		// stops where the values still differ by eight digits.
		if !(v > 1e-300) || math.IsInf(v, 0) || math.Sqrt(v) < 1e-8*math.Abs(mean) {
			return math.Inf(1)
		}
		return n/2*math.Log(v) - (lambda-1)*jac
	}
	return minimize(nll, -2, 2, -maxLambda, maxLambda)
}

// minimize finds a local minimum of f, starting from the points a < b and
// searching within [lo, hi]: it walks downhill from the better of a and b
// in growing golden-ratio steps until f rises again (or the limit is
// reached), then narrows the bracket by golden sections. +Inf is an
// accepted value of f (a λ that overflows), never NaN.
func minimize(f func(float64) float64, a, b, lo, hi float64) float64 {
	const grow = 1.618033988749895
	fa, fb := f(a), f(b)
	if fa < fb {
		a, b, fa, fb = b, a, fb, fa
	}
	// Now f(b) ≤ f(a): walk from a through b onwards.
	c := max(lo, min(hi, b+grow*(b-a)))
	fc := f(c)
	for fc < fb && c != lo && c != hi {
		a, fa = b, fb
		b, fb = c, fc
		c = max(lo, min(hi, b+grow*(b-a)))
		fc = f(c)
	}
	_ = fa
	// The minimum lies between a and c (b between them, f(b) the least of
	// the three, or c at a limit with f still falling).
	if fc < fb {
		return c
	}
	x0, x1 := min(a, c), max(a, c)
	const inv = 0.6180339887498949
	p, q := x1-inv*(x1-x0), x0+inv*(x1-x0)
	fp, fq := f(p), f(q)
	for x1-x0 > 1e-9*max(1, math.Abs(p)) {
		if fp <= fq {
			x1, q, fq = q, p, fp
			p = x1 - inv*(x1-x0)
			fp = f(p)
		} else {
			x0, p, fp = p, q, fq
			q = x0 + inv*(x1-x0)
			fq = f(q)
		}
	}
	if fp <= fq {
		return p
	}
	return q
}

// fitPowerSpec fits the power transform t to the non-missing values of a
// column and sets s.Lambda, s.Mean and s.Std, the latter two of the
// transformed values. A Box-Cox column with a value ≤ 0 is an error naming
// the row, the column and the value.
func fitPowerSpec(t *Table, transform string, s *ContinuousSpec, vals []float32) error {
	xs := make([]float64, 0, len(vals))
	for i, v := range vals {
		if isNaN32(v) {
			continue
		}
		if transform == TransformBoxCox && !(v > 0) {
			return &Error{Source: t.source(), Row: i + 1, Column: s.Name,
				Err: fmt.Errorf("%s is not positive: the box-cox transform needs strictly positive values (yeo-johnson accepts any)", formatFloat32(v))}
		}
		xs = append(xs, float64(v))
	}
	if len(xs) == 0 {
		s.Lambda, s.Mean, s.Std = 1, 0, 1
		return nil
	}
	s.Lambda = fitPower(transform, xs)
	// The statistics of the transformed values are taken in float64, as
	// they were computed: rounding them to float32 first would lose
	// digits, and could overflow where λ makes them large.
	var sum float64
	same := true
	for i, x := range xs {
		xs[i] = power(transform, x, s.Lambda)
		sum += xs[i]
		same = same && xs[i] == xs[0]
	}
	s.Mean, s.Std = sum/float64(len(xs)), 1
	if same {
		s.Mean = xs[0]
		return nil
	}
	var ss float64
	for _, y := range xs {
		ss += (y - s.Mean) * (y - s.Mean)
	}
	if std := math.Sqrt(ss / float64(len(xs))); std > 0 && !math.IsInf(std, 0) {
		s.Std = std
	}
	return nil
}

// encodePower returns the standardised power transform of v under s, or
// NaN when v is outside the transform's domain (≤ 0 for Box-Cox).
func encodePower(transform string, s *ContinuousSpec, v float64) float64 {
	if transform == TransformBoxCox && !(v > 0) {
		return math.NaN()
	}
	return (power(transform, v, s.Lambda) - s.Mean) / s.Std
}

// validateLambda checks a stored λ.
func validateLambda(l float64) error {
	if math.IsNaN(l) || math.Abs(l) > maxLambda {
		return fmt.Errorf("lambda is %v; want a value in [-%d, %d]", l, maxLambda, maxLambda)
	}
	return nil
}
