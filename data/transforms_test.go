package data

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// oneColumn is a table of one continuous column x.
func oneColumn(t testing.TB, vals []float32) *Table {
	t.Helper()
	tab, err := NewTable("t.csv", NewContinuous("x", vals))
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestPowerTransformsMatchScikitLearn compares λ and the transformed
// values with scikit-learn 1.2.1's PowerTransformer (scipy 1.10.1), which
// gave the expected numbers below with
//
//	import numpy as np
//	from sklearn.preprocessing import PowerTransformer
//	x = np.array([...], dtype=np.float64).reshape(-1, 1)
//	pt = PowerTransformer(method=m).fit(x)
//	print(pt.lambdas_[0], pt.transform(x).ravel().tolist())
//
// (standardize=True, the default). The samples are exact in float32.
func TestPowerTransformsMatchScikitLearn(t *testing.T) {
	skewed := []float32{0.5, 1, 1.5, 2, 3, 4, 6, 9, 13, 20, 35, 60}
	signed := []float32{-3, -1.5, -0.5, 0, 0.25, 1, 2, 2.5, 4, 8}
	for _, c := range []struct {
		name, transform string
		x               []float32
		lambda          float64
		want            []float64
	}{
		{"yeo-johnson/skewed", TransformYeoJohnson, skewed, -0.22394679999545236, []float64{
			-1.5860067958006931, -1.2260093505381922, -0.9623155716171686, -0.756432325959478, -0.44819536469717647, -0.22241551490095768,
			0.09739580366126518, 0.41110160618225144, 0.6849304077700777, 0.9886339364176677, 1.3519361958836897, 1.6673769735987156}},
		{"box-cox/skewed", TransformBoxCox, skewed, -0.03312068130914435, []float64{
			-1.7338870047509765, -1.2050595774956392, -0.9012968850931048, -0.6882344113950755, -0.3913659135357682, -0.1831391032693389,
			0.10699167060612458, 0.3932522420818752, 0.6495645922062445, 0.9458861090577434, 1.3245677026664053, 1.6827205789215107}},
		{"yeo-johnson/signed", TransformYeoJohnson, signed, 0.7148020852690607, []float64{
			-1.8824989578781788, -1.0154646474151745, -0.5123469859842298, -0.2921731181631291, -0.19207317592801976,
			0.07902048656705976, 0.39842274946442574, 0.5462970531370801, 0.9578869927436202, 1.9129296034565462}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tab := oneColumn(t, c.x)
			p, err := FitWith(tab, []string{"x"}, nil, FitOptions{ContinuousTransform: c.transform})
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Continuous[0].Lambda; math.Abs(got-c.lambda) > 1e-6 {
				t.Errorf("λ = %.10f, want %.10f", got, c.lambda)
			}
			d, err := roundTrip(t, p).Transform(tab)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range c.want {
				if g := float64(d.Cont.Data[i]); math.Abs(g-w) > 1e-5 {
					t.Errorf("row %d: %.7f, want %.7f", i+1, g, w)
				}
			}
		})
	}
}

func TestBoxCoxNeedsPositiveValues(t *testing.T) {
	tab := oneColumn(t, []float32{3, 1, float32(math.NaN()), -2, 5})
	_, err := FitWith(tab, []string{"x"}, nil, FitOptions{ContinuousTransform: TransformBoxCox})
	var e *Error
	if !errors.As(err, &e) || e.Row != 4 || e.Column != "x" || !strings.Contains(err.Error(), "-2 is not positive") {
		t.Fatalf("got %v, want an error at row 4, column x, naming -2", err)
	}
	// Fitted on positive values, a later 0 is an error, not a NaN.
	p, err := FitWith(oneColumn(t, []float32{1, 2, 4}), []string{"x"}, nil, FitOptions{ContinuousTransform: TransformBoxCox})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Transform(oneColumn(t, []float32{2, 0})); !errors.As(err, &e) || e.Row != 2 || !strings.Contains(err.Error(), "0 is not positive") {
		t.Fatalf("Transform of a 0: got %v, want an error at row 2", err)
	}
}

// TestContinuousTransforms checks what every transform promises: finite
// values, order kept, a missing value at 0, constant and empty columns
// handled, and the same encoding after a JSON round trip.
func TestContinuousTransforms(t *testing.T) {
	nan := float32(math.NaN())
	x := []float32{7, 1, 2, 2, 3, 50, 4, nan, 9, 1000, 2}
	for _, transform := range ContinuousTransforms {
		t.Run(transform, func(t *testing.T) {
			tab, err := NewTable("t.csv", NewContinuous("x", x),
				NewContinuous("const", []float32{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}),
				NewContinuous("empty", slices.Repeat([]float32{nan}, len(x))))
			if err != nil {
				t.Fatal(err)
			}
			p, err := FitWith(tab, []string{"x", "const", "empty"}, nil, FitOptions{ContinuousTransform: transform, Bins: 3})
			if err != nil {
				t.Fatal(err)
			}
			d, err := roundTrip(t, p).Transform(tab)
			if err != nil {
				t.Fatal(err)
			}
			enc := func(i, j int) float32 { return d.Cont.Data[i*3+j] }
			for i := range x {
				for j := range 3 {
					if v := enc(i, j); math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("row %d column %d: %v", i+1, j, v)
					}
				}
				if enc(i, 1) != 0 {
					t.Errorf("constant column, row %d: %v, want 0", i+1, enc(i, 1))
				}
				if isNaN32(x[i]) && enc(i, 0) != 0 {
					t.Errorf("missing value: %v, want 0", enc(i, 0))
				}
				for k := range x {
					if x[i] < x[k] && !(enc(i, 0) < enc(k, 0)) {
						t.Errorf("%v < %v but encoded %v ≥ %v", x[i], x[k], enc(i, 0), enc(k, 0))
					}
				}
			}
		})
	}
}

// TestRankGaussAndQuantileNormal pins the difference documented on
// TransformRankGauss: erf⁻¹(2u−1) = Φ⁻¹(u)/√2 inside the clip.
func TestRankGaussAndQuantileNormal(t *testing.T) {
	var x []float32
	for i := range 90 {
		x = append(x, float32(i*i%97))
	}
	tab := oneColumn(t, x)
	rg, err := FitWith(tab, []string{"x"}, nil, FitOptions{ContinuousTransform: TransformRankGauss})
	if err != nil {
		t.Fatal(err)
	}
	// 90 rows: rank-gauss keeps all of them, quantile_normal 10.
	if n := len(rg.Continuous[0].Quantiles); n != 90 {
		t.Errorf("rank-gauss keeps %d points, want 90", n)
	}
	for _, v := range []float64{5, 17.5, 40, 80} {
		q := rg.Continuous[0].Quantiles
		want := quantileNormal(q, v) / math.Sqrt2
		if got := rankGauss(q, v); math.Abs(got-want) > 1e-9 {
			t.Errorf("rank-gauss(%v) = %v, want quantile-normal/√2 = %v", v, got, want)
		}
	}
	if got, want := rankGauss(rg.Continuous[0].Quantiles, 1e9), math.Erfinv(1-rankGaussEpsilon); got != want {
		t.Errorf("rank-gauss far above the fitted values: %v, want the clip %v", got, want)
	}
}

// TestValidateTransforms feeds damaged preprocessing files to Validate.
func TestValidateTransforms(t *testing.T) {
	for _, c := range []struct{ name, json, want string }{
		{"lambda too large", `{"continuous_transform":"yeo-johnson","continuous":[{"name":"x","mean":0,"std":1,"lambda":1e300}],"categorical":[]}`, "lambda"},
		{"lambda without power", `{"continuous":[{"name":"x","mean":0,"std":1,"lambda":0.5}],"categorical":[]}`, "lambda is set"},
		{"quantiles under box-cox", `{"continuous_transform":"box-cox","continuous":[{"name":"x","mean":0,"std":1,"quantiles":[1,2]}],"categorical":[]}`, "quantiles are set"},
		{"unsorted rank-gauss", `{"continuous_transform":"rank-gauss","continuous":[{"name":"x","mean":0,"std":1,"quantiles":[3,2]}],"categorical":[]}`, "sorted"},
		{"unknown transform", `{"continuous_transform":"log","continuous":[],"categorical":[]}`, "continuous_transform"},
		{"part of no date", `{"continuous":[{"name":"d_year","mean":0,"std":1,"source":"d","part":"year"}],"categorical":[]}`, "not a date column"},
		{"unknown part", `{"continuous":[{"name":"d_x","mean":0,"std":1,"source":"d","part":"x"}],"categorical":[],"dates":[{"name":"d"}]}`, "part"},
		{"indicator of nothing", `{"continuous":[],"categorical":[{"name":"y_missing","levels":["0","1"],"source":"y","part":"missing"}]}`, "not a continuous feature"},
		{"date also a feature", `{"continuous":[{"name":"d","mean":0,"std":1}],"categorical":[],"dates":[{"name":"d"}]}`, "also a feature"},
		{"bad policy", `{"continuous":[],"categorical":[],"bad_dates":"ignore"}`, "bad_dates"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Preprocessor
			if err := json.Unmarshal([]byte(c.json), &p); err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestDateColumns(t *testing.T) {
	const train = "when,stamp,v\n2024-03-05,2024-03-05T14:30:00Z,1\n2023-12-31,2023-12-31T00:00:00+02:00,2\nsoon,,3\n"
	tab := mustParse(t, train, ReadOptions{})
	var warned []error
	p, err := FitWith(tab, []string{"v"}, []string{"when", "stamp"}, FitOptions{
		Dates: []DateColumn{{Name: "when"}, {Name: "stamp"}},
		Warn:  func(e error) { warned = append(warned, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var cont, cat []string
	for _, s := range p.Continuous {
		cont = append(cont, s.Name)
	}
	for _, s := range p.Categorical {
		cat = append(cat, s.Name)
	}
	if want := []string{"v", "when_year", "when_day_of_year", "stamp_year", "stamp_day_of_year"}; !slices.Equal(cont, want) {
		t.Errorf("continuous features %v, want %v", cont, want)
	}
	// "when" has no time of day, so no hour; the dates themselves are not features.
	if want := []string{"when_month", "when_day", "when_weekday", "stamp_month", "stamp_day", "stamp_weekday", "stamp_hour"}; !slices.Equal(cat, want) {
		t.Errorf("categorical features %v, want %v", cat, want)
	}
	if len(warned) != 1 || !strings.Contains(warned[0].Error(), `row 3, column "when": 1 value is not a date`) || !strings.Contains(warned[0].Error(), `"soon"`) {
		t.Errorf("warnings %v, want one naming row 3 and \"soon\"", warned)
	}
	if names, _ := p.Inputs(); !slices.Equal(names, []string{"v", "when", "stamp"}) {
		t.Errorf("Inputs %v", names)
	}

	// Predicting: the calendar parts are computed alike, a month not
	// seen in fitting is code 0, and an undated row is missing.
	back := roundTrip(t, p)
	test := mustParse(t, "v,when,stamp\n1,2024-07-04,2024-03-05T23:59:59Z\n2,,\n", ReadOptions{})
	d, err := back.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	row := func(i int) ([]float32, []int32) {
		nc, nk := len(p.Continuous), len(p.Categorical)
		return d.Cont.Data[i*nc : (i+1)*nc], d.Cat.Data[i*nk : (i+1)*nk]
	}
	_, codes := row(0)
	// when_month 7 unseen → 0; when_day 4 unseen → 0; Thursday (4) unseen → 0;
	// stamp: March (levels 12, 3 → code 2), day 5 (levels 31, 5 → 2),
	// Tuesday (levels 0, 2 → 2), hour 23 (levels 0, 14) unseen → 0.
	if want := []int32{0, 0, 0, 2, 2, 2, 0}; !slices.Equal(codes, want) {
		t.Errorf("row 1 codes %v, want %v", codes, want)
	}
	vals, codes := row(1)
	if !slices.Equal(codes, make([]int32, 7)) || vals[1] != 0 || vals[2] != 0 {
		t.Errorf("a row without dates: %v %v, want missing (0) everywhere", vals, codes)
	}

	// Under the error policy a bad date names file, row, column and value.
	_, err = FitWith(tab, nil, nil, FitOptions{Dates: []DateColumn{{Name: "when"}}, BadDates: OddIsError})
	var e *Error
	if !errors.As(err, &e) || e.Row != 3 || e.Column != "when" || !strings.Contains(err.Error(), `"soon" is not a date`) {
		t.Errorf("error policy: %v", err)
	}
	strict, err := FitWith(mustParse(t, "when\n2024-01-02\n", ReadOptions{}), nil, nil, FitOptions{Dates: []DateColumn{{Name: "when"}}, BadDates: OddIsError})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(t, strict).Transform(mustParse(t, "when\n2024-01-02\n2024-13-01\n", ReadOptions{})); !errors.As(err, &e) || e.Row != 2 {
		t.Errorf("error policy kept with the model: %v", err)
	}
}

func TestDateLayout(t *testing.T) {
	tab := mustParse(t, "d\n05/03/2024\n31/12/2023\n", ReadOptions{})
	p, err := FitWith(tab, nil, nil, FitOptions{Dates: []DateColumn{{Name: "d", Layout: "02/01/2006"}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Transform(tab)
	if err != nil {
		t.Fatal(err)
	}
	// Standardised years: 2024 and 2023 → +1 and −1.
	if d.Cont.Data[0] != 1 || d.Cont.Data[2] != -1 {
		t.Errorf("years encoded %v", d.Cont.Data)
	}
	if got := p.Categorical[0].Levels; !slices.Equal(got, []string{"12", "3"}) {
		t.Errorf("month levels %v", got)
	}
}

func TestMissingIndicator(t *testing.T) {
	tab := mustParse(t, "a,b,c\n1,2,x\n,3,y\n4,5,\n", ReadOptions{})
	p, err := FitWith(tab, []string{"a", "b"}, []string{"c"}, FitOptions{MissingIndicator: true})
	if err != nil {
		t.Fatal(err)
	}
	// b is complete, so only a gets an indicator.
	if len(p.Categorical) != 2 || p.Categorical[1].Name != "a_missing" {
		t.Fatalf("categorical %+v", p.Categorical)
	}
	d, err := roundTrip(t, p).Transform(mustParse(t, "a,b,c\n,,x\n7,1,y\n", ReadOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	// Codes: 2 = "1" (missing), 1 = "0" (a value).
	if got := []int32{d.Cat.Data[1], d.Cat.Data[3]}; !slices.Equal(got, []int32{2, 1}) {
		t.Errorf("indicator codes %v, want [2 1]", got)
	}
}

// TestUnknownCategories pins the behaviour PyTorch Tabular has with
// handle_unknown_categories=True, its default, and gotabular's only one: a
// category never seen in fitting, like a missing one, is code 0, so that
// prediction never fails on new levels. (PyTorch Tabular's False leaves
// them NaN, which then fails on the integer cast; there is nothing to gain
// in copying that.)
func TestUnknownCategories(t *testing.T) {
	p, err := Fit(mustParse(t, "city\nparis\nlondon\n", ReadOptions{}), nil, []string{"city"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		city string
		code int32
	}{{"london", 1}, {"paris", 2}, {"tokyo", 0}, {"Paris", 0}, {"", 0}} {
		t.Run(c.city, func(t *testing.T) {
			tab, err := NewTable("t", NewCategorical("city", []string{c.city}))
			if err != nil {
				t.Fatal(err)
			}
			d, err := p.Transform(tab)
			if err != nil {
				t.Fatal(err)
			}
			if d.Cat.Data[0] != c.code {
				t.Errorf("code %d, want %d", d.Cat.Data[0], c.code)
			}
		})
	}
}

// FuzzContinuousTransforms fits every transform on an arbitrary column of
// float32 (the bytes read four at a time) and applies it to the same
// column: neither may panic, and finite input must give finite output.
// Box-cox may refuse a column with a value ≤ 0, and only that.
func FuzzContinuousTransforms(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64})
	f.Add([]byte{255, 255, 127, 127, 1, 0, 0, 0, 0, 0, 128, 255})
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 63})
	f.Fuzz(func(t *testing.T, raw []byte) {
		vals := make([]float32, 0, len(raw)/4)
		positive := true
		for i := 0; i+4 <= len(raw) && len(vals) < 256; i += 4 {
			v := math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))
			if math.IsInf(float64(v), 0) {
				v = float32(math.NaN()) // readers never give infinities
			}
			if !isNaN32(v) && !(v > 0) {
				positive = false
			}
			vals = append(vals, v)
		}
		if len(vals) == 0 {
			return
		}
		tab := oneColumn(t, vals)
		for _, transform := range ContinuousTransforms {
			p, err := FitWith(tab, []string{"x"}, nil, FitOptions{ContinuousTransform: transform, Bins: 4, MissingIndicator: true})
			if transform == TransformBoxCox && !positive {
				if err == nil {
					t.Fatalf("box-cox fitted a column with a value ≤ 0")
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: FitWith: %v", transform, err)
			}
			d, err := roundTrip(t, p).Transform(tab)
			if err != nil {
				t.Fatalf("%s: Transform of the fitted column: %v", transform, err)
			}
			for i, v := range d.Cont.Data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: row %d: %v encoded as %v (λ %v)", transform, i+1, vals[i], v, p.Continuous[0].Lambda)
				}
			}
		}
	})
}

func TestDerivedNameTaken(t *testing.T) {
	tab := mustParse(t, "d,d_year\n2024-01-02,5\n", ReadOptions{})
	_, err := FitWith(tab, []string{"d_year"}, nil, FitOptions{Dates: []DateColumn{{Name: "d"}}})
	var e *Error
	if !errors.As(err, &e) || e.Column != "d_year" {
		t.Errorf("got %v, want an error naming column d_year", err)
	}
}

// FuzzTransformsCSV fits every transform, with date columns and
// missing-value indicators, on an arbitrary CSV file and applies it to the
// same file and to another: no panic, a fitted table encodes to finite
// values, another one encodes to finite values or is refused with an
// error. Only box-cox may refuse to fit, for a value ≤ 0.
func FuzzTransformsCSV(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), []byte(fuzzSeeds[(i+1)%len(fuzzSeeds)]))
	}
	f.Add([]byte("d,x\n2024-01-02,1\n2023-05-06T07:08:09Z,\nbad,3\n"), []byte("d,x\n1999-12-31,-4\n,2\n"))
	f.Fuzz(func(t *testing.T, train, test []byte) {
		tab, err := ParseCSV(bytes.NewReader(train), "train.csv", ReadOptions{})
		if err != nil {
			return
		}
		var cont, cat []string
		var dates []DateColumn
		for _, c := range tab.Columns {
			switch {
			case c.Kind == Continuous:
				cont = append(cont, c.Name)
			case len(dates) == 0:
				dates = append(dates, DateColumn{Name: c.Name})
			default:
				cat = append(cat, c.Name)
			}
		}
		other, otherErr := ParseCSV(bytes.NewReader(test), "test.csv", ReadOptions{Kinds: map[string]Kind{}})
		for _, transform := range ContinuousTransforms {
			p, err := FitWith(tab, cont, cat, FitOptions{ContinuousTransform: transform, Dates: dates, MissingIndicator: true, Bins: 3})
			if err != nil {
				var e *Error
				if transform == TransformBoxCox && errors.As(err, &e) && strings.Contains(err.Error(), "not positive") {
					continue
				}
				if strings.Contains(err.Error(), "derived feature") || strings.Contains(err.Error(), "listed twice") {
					return // a column named like a derived feature
				}
				t.Fatalf("%s: FitWith: %v", transform, err)
			}
			back := roundTrip(t, p)
			d, err := back.Transform(tab)
			if err != nil {
				t.Fatalf("%s: Transform of the fitted table: %v", transform, err)
			}
			checkDataset(t, p, d, tab.Rows, true)
			if otherErr == nil {
				if d, err := back.Transform(other); err == nil {
					checkDataset(t, p, d, other.Rows, true)
				}
			}
		}
	})
}
