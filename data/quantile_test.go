package data

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// phiInv is Φ⁻¹ written another way than quantileNormal writes it, as the
// reference of the tests.
func phiInv(u float64) float64 { return math.Sqrt2 * math.Erfinv(2*u-1) }

func TestNumQuantiles(t *testing.T) {
	for _, tt := range []struct{ n, want int }{
		{1, 2}, {2, 2}, {5, 5}, {10, 10}, {299, 10}, {330, 11}, {3000, 100}, {30000, 1000}, {1 << 20, 1000},
	} {
		if got := numQuantiles(tt.n); got != tt.want {
			t.Errorf("numQuantiles(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestQuantiles(t *testing.T) {
	for _, tt := range []struct {
		name   string
		sorted []float32
		m      int
		want   []float64
	}{
		{"order statistics", []float32{1, 2, 3, 4, 5}, 5, []float64{1, 2, 3, 4, 5}},
		{"every other", []float32{1, 2, 3, 4, 5}, 3, []float64{1, 3, 5}},
		// Levels k/8 fall at positions k/2: halfway between neighbours.
		{"interpolated", []float32{1, 2, 3, 4, 5}, 9, []float64{1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5}},
		{"single value", []float32{7}, 2, []float64{7, 7}},
		{"ties", []float32{0, 0, 0, 0, 0, 0, 0, 0, 1, 2}, 10, []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := quantiles(tt.sorted, tt.m); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQuantileNormal(t *testing.T) {
	q := []float64{0, 1, 2, 3, 4}
	// A column that is 0 in 80% of its rows: levels 0 to 0.7 are 0.
	zeros := []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}
	for _, tt := range []struct {
		name string
		q    []float64
		v    float64
		want float64
	}{
		{"median", q, 2, 0},
		{"interpolated", q, 2.5, phiInv(0.625)},
		{"below the lowest quantile", q, -1, -normalBound},
		{"above the highest quantile", q, 9, normalBound},
		// An untied extreme is level 0 or 1: clipped, as in scikit-learn.
		{"lowest quantile", q, 0, -normalBound},
		{"highest quantile", q, 4, normalBound},
		// The run of zeros spans levels 0 to 0.7: its middle is 0.35.
		{"tied lowest quantiles", zeros, 0, phiInv(0.35)},
		{"just above the ties", zeros, 0.5, phiInv(0.75)},
		{"just below the ties", zeros, -1e-9, -normalBound},
		{"tied highest quantiles", []float64{0, 1, 5, 5, 5}, 5, phiInv(0.75)},
		{"tied middle quantiles", []float64{0, 1, 1, 1, 2}, 1, 0},
		{"constant column", []float64{3, 3}, 3, 0},
		{"no quantiles", nil, 12, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := quantileNormal(tt.q, tt.v); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("quantileNormal(%v, %v) = %v, want %v", tt.q, tt.v, got, tt.want)
			}
		})
	}
	if math.Abs(normalBound-5.199337582) > 1e-9 {
		t.Errorf("normalBound = %v, want Φ⁻¹(1−1e-7) ≈ 5.199337582", normalBound)
	}
	// The encoding is non-decreasing in v, through ties and gaps alike.
	q = []float64{-3, -1, -1, -1, 0, 0.5, 2, 2, 7}
	prev := math.Inf(-1)
	for v := -4.0; v <= 8; v += 1.0 / 64 {
		z := quantileNormal(q, v)
		if z < prev || math.IsNaN(z) {
			t.Fatalf("quantileNormal(%v) = %v after %v", v, z, prev)
		}
		prev = z
	}
}

func TestBinEdges(t *testing.T) {
	hundred := make([]float32, 100)
	for i := range hundred {
		hundred[i] = float32(i)
	}
	ties := make([]float32, 100)
	for i := 80; i < 100; i++ {
		ties[i] = 1
	}
	for _, tt := range []struct {
		name   string
		sorted []float32
		bins   int
		want   []float64
	}{
		// Levels k/4 fall at positions 24.75k.
		{"quartiles", hundred, 4, []float64{0, 24.75, 49.5, 74.25, 99}},
		// 80% zeros: the first four quantiles coincide.
		{"ties", ties, 4, []float64{0, 1}},
		{"constant", []float32{5, 5, 5}, 8, []float64{4, 6}},
		{"no values", nil, 8, []float64{-1, 1}},
		// Rounded to float32, as the model reads them.
		{"rounded", []float32{0, 0.1}, 1, []float64{0, float64(float32(0.1))}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := binEdges(tt.sorted, tt.bins)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if err := validateBinEdges(got); err != nil {
				t.Errorf("the edges do not validate: %v", err)
			}
		})
	}
}

func TestFitQuantileNormal(t *testing.T) {
	// x is 0 in 8 of 10 rows (and missing in one more); y has distinct values.
	train := mustParse(t, "x,y\n0,1\n0,2\n0,3\n0,4\n0,5\n0,6\n0,7\n0,8\n1,9\n2,10\n,11\n", ReadOptions{})
	p, err := FitWith(train, []string{"x", "y"}, nil, FitOptions{ContinuousTransform: TransformQuantileNormal, Bins: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate of a fitted preprocessor: %v", err)
	}
	if p.ContinuousTransform != TransformQuantileNormal {
		t.Errorf("ContinuousTransform = %q", p.ContinuousTransform)
	}
	// 10 values of x give 10 quantiles: the order statistics.
	if got, want := p.Continuous[0].Quantiles, []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("x quantiles %v, want %v", got, want)
	}
	// 11 values of y still give the minimum of 10.
	if got := len(p.Continuous[1].Quantiles); got != 10 {
		t.Errorf("y has %d quantiles, want 10", got)
	}
	// x's encoded values are one value for the 8 zeros and two above
	// them, at positions 8 and 9 of 10: the levels 0, ¼, ½ and ¾ fall
	// among the zeros and give one edge, level 1 the other.
	if got, want := p.Continuous[0].BinEdges, []float64{float64(float32(phiInv(3.5 / 9))), float64(float32(normalBound))}; len(got) != 2 ||
		math.Abs(got[0]-want[0]) > 1e-6 || got[1] != want[1] {
		t.Errorf("x bin edges %v, want %v (one bin)", got, want)
	}
	if got := len(p.Continuous[1].BinEdges); got != 5 {
		t.Errorf("y bin edges %v: want 5 (four bins)", p.Continuous[1].BinEdges)
	}
	for _, tt := range []struct {
		name string
		in   string
		want []float32 // x, y of each row
	}{
		// The zeros span levels 0 to 7/9: their middle is 3.5/9.
		{"ties", "x,y\n0,6\n", []float32{float32(phiInv(3.5 / 9)), 0}},
		{"missing is the median", "x,y\n,\n", []float32{0, 0}},
		{"extremes and beyond", "x,y\n2,1\n7,-4\n-1,12\n", []float32{
			float32(normalBound), float32(-normalBound),
			float32(normalBound), float32(-normalBound),
			float32(-normalBound), float32(normalBound)}},
		{"interpolated", "x,y\n1,8.5\n", []float32{float32(phiInv(8.0 / 9)), float32(phiInv(0.75))}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := p.Transform(mustParse(t, tt.in, ReadOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tt.want {
				if g := d.Cont.Data[i]; math.Abs(float64(g-w)) > 1e-6 {
					t.Errorf("value %d: got %v, want %v (all %v)", i, g, w, d.Cont.Data)
				}
			}
		})
	}
	// Bin edges under the standard transform are in standardised units.
	std, err := FitWith(train, []string{"y"}, nil, FitOptions{Bins: 2})
	if err != nil {
		t.Fatal(err)
	}
	s := std.Continuous[0]
	if want := []float64{float64(float32((1 - s.Mean) / s.Std)), float64(float32((6 - s.Mean) / s.Std)), float64(float32((11 - s.Mean) / s.Std))}; !slices.Equal(s.BinEdges, want) || s.Quantiles != nil {
		t.Errorf("standard: bin edges %v, want %v; quantiles %v", s.BinEdges, want, s.Quantiles)
	}
	if std.ContinuousTransform != "" {
		t.Errorf("standard: ContinuousTransform = %q, want empty", std.ContinuousTransform)
	}
}

func TestFitOptionsErrors(t *testing.T) {
	tab := mustParse(t, "x\n1\n2\n", ReadOptions{})
	for _, tt := range []struct {
		name string
		opt  FitOptions
		want string
	}{
		{"transform", FitOptions{ContinuousTransform: "rank_gauss"}, `continuous transform "rank_gauss": want one of standard, quantile_normal`},
		{"bins", FitOptions{Bins: -1}, "bins -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FitWith(tab, []string{"x"}, nil, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := FitWith(tab, []string{"x"}, nil, FitOptions{ContinuousTransform: TransformStandard}); err != nil {
		t.Errorf("explicit standard transform: %v", err)
	}
}

func TestQuantileNormalJSONRoundTrip(t *testing.T) {
	train := mustParse(t, wideCSV(400), ReadOptions{})
	p, err := FitWith(train, []string{"n0", "n1", "n2", "n3"}, []string{"c0"}, FitOptions{ContinuousTransform: TransformQuantileNormal, Bins: 8})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(blob), `{"continuous_transform":"quantile_normal","continuous":[{"name":"n0","mean":`) ||
		!strings.Contains(string(blob), `"quantiles":[`) || !strings.Contains(string(blob), `"bin_edges":[`) {
		t.Errorf("unexpected JSON: %.200s", blob)
	}
	var back Preprocessor
	if err := json.Unmarshal(blob, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Validate(); err != nil {
		t.Fatalf("Validate after round trip: %v", err)
	}
	test := mustParse(t, wideCSV(700), ReadOptions{})
	d1, err := p.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := back.Transform(test)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d1.Cont.Data, d2.Cont.Data) {
		t.Error("Transform output differs after a JSON round trip")
	}
	for _, v := range d1.Cont.Data {
		if math.Abs(float64(v)) > normalBound {
			t.Fatalf("encoded value %v beyond ±%v", v, normalBound)
		}
	}
}

func TestPreprocessorValidateQuantiles(t *testing.T) {
	const col = `"name":"a","mean":0,"std":1`
	for _, tt := range []struct {
		name string
		json string
		want string // "" = valid
	}{
		{"valid", `{"continuous_transform":"quantile_normal","continuous":[{` + col + `,"quantiles":[0,0,1,2],"bin_edges":[-1,0,1]}]}`, ""},
		{"column without values", `{"continuous_transform":"quantile_normal","continuous":[{` + col + `}]}`, ""},
		{"bins under the standard transform", `{"continuous":[{` + col + `,"bin_edges":[-1,0,1]}]}`, ""},
		{"unknown transform", `{"continuous_transform":"rank_gauss"}`, `preprocessing: continuous_transform "rank_gauss"`},
		{"explicit standard", `{"continuous_transform":"standard"}`, ""},
		{"quantiles under the standard transform", `{"continuous":[{` + col + `,"quantiles":[0,1]}]}`, `preprocessing: continuous[0] "a": quantiles are set but the continuous transform is standard`},
		{"one quantile", `{"continuous_transform":"quantile_normal","continuous":[{` + col + `,"quantiles":[3]}]}`, `continuous[0] "a": 1 quantile`},
		{"unsorted quantiles", `{"continuous_transform":"quantile_normal","continuous":[{` + col + `,"quantiles":[0,2,1]}]}`, `quantiles[2] = 1 is below quantiles[1] = 2`},
		{"one bin edge", `{"continuous":[{` + col + `,"bin_edges":[1]}]}`, `continuous[0] "a": 1 bin edges`},
		{"decreasing bin edges", `{"continuous":[{` + col + `,"bin_edges":[0,2,1]}]}`, `bin_edges[2] = 1 does not exceed bin_edges[1] = 2`},
		{"bin edges equal in float32", `{"continuous":[{` + col + `,"bin_edges":[1,1.00000001]}]}`, `bin_edges[1] = 1.00000001 does not exceed`},
		{"bin edge beyond float32", `{"continuous":[{` + col + `,"bin_edges":[0,1e39]}]}`, `bin_edges[1] is 1e+39`},
		{"bins for some columns", `{"continuous":[{` + col + `,"bin_edges":[0,1]},{"name":"b","mean":0,"std":1}]}`, `continuous[1] "b": bin_edges are set for some continuous columns but not others`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var p Preprocessor
			if err := json.Unmarshal([]byte(tt.json), &p); err != nil {
				t.Fatal(err)
			}
			err := p.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	// Infinities cannot come from JSON, but can from code.
	p := &Preprocessor{ContinuousTransform: TransformQuantileNormal, Continuous: []ContinuousSpec{{Name: "a", Std: 1, Quantiles: []float64{0, math.Inf(1)}}}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "quantiles[1] is +Inf") {
		t.Errorf("infinite quantile: got %v", err)
	}
	p = &Preprocessor{Continuous: []ContinuousSpec{{Name: "a", Std: 1, BinEdges: []float64{math.NaN(), 1}}}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "bin_edges[0] is NaN") {
		t.Errorf("NaN bin edge: got %v", err)
	}
}
