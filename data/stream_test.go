package data

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// mixedCSV makes a table of n rows with a continuous column with missing
// values and an odd one, a skewed continuous column, a text column, a
// column of small integers and a constant.
func mixedCSV(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("x,skew,color,level,one\n")
	colors := []string{"red", "green", "blue", "cyan"}
	for i := range n {
		x := fmt.Sprintf("%.3f", rng.NormFloat64()*3+1)
		switch {
		case i%17 == 3:
			x = "NA"
		case i == 5:
			x = "oops"
		}
		fmt.Fprintf(&b, "%s,%.4g,%s,%d,1\n", x, math.Exp(rng.NormFloat64()*2), colors[rng.IntN(len(colors))], rng.IntN(5))
	}
	return b.String()
}

// writeStreamFile writes text as the named formats into dir and returns the
// paths: "csv", "gz" (gzip CSV) or "parquet" (through Read and
// WriteParquet).
func writeStreamFile(t *testing.T, dir, name, format, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	var data []byte
	switch format {
	case "csv":
		data = []byte(text)
	case "gz":
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(text))
		zw.Close()
		data = buf.Bytes()
	case "parquet":
		tab := mustParse(t, text, ReadOptions{})
		var buf bytes.Buffer
		if err := WriteParquet(&buf, tab); err != nil {
			t.Fatal(err)
		}
		data = buf.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestStreamMatchesRead(t *testing.T) {
	text := mixedCSV(3000, 1)
	for _, format := range []string{"csv", "gz", "parquet"} {
		for _, transform := range []string{TransformStandard, TransformQuantileNormal, TransformQuantileUniform, TransformRankGauss, TransformYeoJohnson} {
			t.Run(format+"/"+transform, func(t *testing.T) {
				path := writeStreamFile(t, t.TempDir(), "t."+format, format, text)
				tab, err := Read(path, ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				s, err := OpenStream(path, StreamOptions{ShuffleRows: 5000, SketchRows: 5000})
				if err != nil {
					t.Fatal(err)
				}
				if s.Rows() != tab.Rows {
					t.Fatalf("%d rows, Read has %d", s.Rows(), tab.Rows)
				}
				var cont, cat []string
				for _, c := range tab.Columns {
					sc, err := s.Schema().Col(c.Name)
					if err != nil {
						t.Fatal(err)
					}
					if sc.Kind != c.Kind {
						t.Fatalf("column %q: kind %v, Read has %v", c.Name, sc.Kind, c.Kind)
					}
					if c.Kind == Continuous {
						cont = append(cont, c.Name)
					} else {
						cat = append(cat, c.Name)
					}
				}
				if len(s.Schema().Warnings) != len(tab.Warnings) {
					t.Fatalf("warnings %v, Read has %v", s.Schema().Warnings, tab.Warnings)
				}
				opt := FitOptions{ContinuousTransform: transform, Bins: 8, MissingIndicator: transform == TransformQuantileNormal}
				want, err := FitWith(tab, cont, cat, opt)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Fit(cont, cat, opt)
				if err != nil {
					t.Fatal(err)
				}
				comparePreprocessors(t, got, want, 0)
				if isPower(transform) {
					// λ is fitted on a sample, so only a sample
					// holding every value gives the in-memory λ.
					return
				}
				// A sample smaller than the columns gives close
				// quantiles.
				small, err := OpenStream(path, StreamOptions{SketchRows: 1000})
				if err != nil {
					t.Fatal(err)
				}
				got, err = small.Fit(cont, cat, opt)
				if err != nil {
					t.Fatal(err)
				}
				comparePreprocessors(t, got, want, 0.08)
			})
		}
	}
}

// comparePreprocessors checks that got has the categories of want, its
// means and deviations up to rounding, and quantiles whose levels are
// within tol of want's (exactly equal for tol 0).
func comparePreprocessors(t *testing.T, got, want *Preprocessor, tol float64) {
	t.Helper()
	if got.ContinuousTransform != want.ContinuousTransform || len(got.Continuous) != len(want.Continuous) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for j, w := range want.Continuous {
		g := got.Continuous[j]
		if g.Name != w.Name || math.Abs(g.Mean-w.Mean) > 1e-9*(1+math.Abs(w.Mean)) || math.Abs(g.Std-w.Std) > 1e-9*w.Std {
			t.Fatalf("column %q: mean %v std %v, want %v %v", w.Name, g.Mean, g.Std, w.Mean, w.Std)
		}
		if math.Abs(g.Lambda-w.Lambda) > 1e-9*(1+math.Abs(w.Lambda)) {
			t.Fatalf("column %q: lambda %v, want %v", w.Name, g.Lambda, w.Lambda)
		}
		if tol == 0 {
			if !slices.Equal(g.Quantiles, w.Quantiles) || !slices.Equal(g.BinEdges, w.BinEdges) {
				t.Fatalf("column %q: quantiles %v bins %v, want %v %v", w.Name, g.Quantiles, g.BinEdges, w.Quantiles, w.BinEdges)
			}
			continue
		}
		if len(g.Quantiles) != len(w.Quantiles) {
			t.Fatalf("column %q: %d quantiles, want %d", w.Name, len(g.Quantiles), len(w.Quantiles))
		}
		// Each estimated quantile sits at a level close to its own in the
		// exact ones.
		m := float64(len(w.Quantiles) - 1)
		for k, q := range g.Quantiles {
			level := float64(k) / m
			below := slices.IndexFunc(w.Quantiles, func(v float64) bool { return v >= q })
			upTo := len(w.Quantiles) - 1
			if i := slices.IndexFunc(w.Quantiles, func(v float64) bool { return v > q }); i >= 0 {
				upTo = i - 1
			}
			if below < 0 {
				below = len(w.Quantiles)
			}
			if level < float64(below-1)/m-tol || level > float64(upTo+1)/m+tol {
				t.Fatalf("column %q: quantile %d (%v) lies between levels %v and %v of the exact ones", w.Name, k, q, float64(below-1)/m, float64(upTo+1)/m)
			}
		}
	}
	if len(got.Categorical) != len(want.Categorical) {
		t.Fatalf("categorical %+v, want %+v", got.Categorical, want.Categorical)
	}
	for j, w := range want.Categorical {
		if g := got.Categorical[j]; g.Name != w.Name || !slices.Equal(g.Levels, w.Levels) || g.Source != w.Source || g.Part != w.Part {
			t.Fatalf("categorical %+v, want %+v", g, w)
		}
	}
}

// epochRows reads one epoch of b and returns its rows as text, in order.
func epochRows(t *testing.T, b *Batches, epoch, size int) []string {
	t.Helper()
	if err := b.Epoch(context.Background(), epoch); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for {
		bt, err := b.Next()
		if err != nil {
			t.Fatal(err)
		}
		if bt == nil {
			return rows
		}
		if bt.N > size || bt.N < 1 {
			t.Fatalf("batch of %d rows", bt.N)
		}
		for i := range bt.N {
			rows = append(rows, fmt.Sprint(bt.Cont.Row(i), bt.Cat.Row(i)))
		}
	}
}

func TestStreamBatches(t *testing.T) {
	dir := t.TempDir()
	a := writeStreamFile(t, dir, "a.csv", "csv", mixedCSV(700, 2))
	writeStreamFile(t, dir, "b.parquet", "parquet", mixedCSV(500, 3))
	tab, err := Read(dir, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cont, cat := []string{"x", "skew", "one"}, []string{"color"}
	var base []string // the training rows, sorted
	var baseValid *Dataset
	for _, tc := range []struct {
		name    string
		shuffle int
	}{{"tiny buffer", 1}, {"small buffer", 50}, {"whole data", 1 << 20}} {
		t.Run(tc.name, func(t *testing.T) {
			opt := StreamOptions{Read: ReadOptions{Kinds: map[string]Kind{"level": Categorical}}, Exclude: []string{"level"},
				ValidationShare: 0.2, Seed: 7, ShuffleRows: tc.shuffle}
			s, err := OpenStream(dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			if s.Rows() != tab.Rows || s.HeldOut() < 150 || s.HeldOut() > 330 {
				t.Fatalf("%d rows, %d held out", s.Rows(), s.HeldOut())
			}
			p, err := s.Fit(cont, cat, FitOptions{})
			if err != nil {
				t.Fatal(err)
			}
			valid, err := s.Validation(p)
			if err != nil {
				t.Fatal(err)
			}
			if valid.N != s.HeldOut() {
				t.Fatalf("%d validation rows, %d held out", valid.N, s.HeldOut())
			}
			b, err := s.Batches(p, 64)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			e1 := epochRows(t, b, 1, 64)
			again := epochRows(t, b, 1, 64)
			e2 := epochRows(t, b, 2, 64)
			if len(e1) != s.TrainRows() || !slices.Equal(e1, again) || tc.shuffle > 1 && slices.Equal(e1, e2) {
				t.Fatalf("epoch 1: %d rows of %d, repeated %v; epoch 2 the same order: %v", len(e1), s.TrainRows(), slices.Equal(e1, again), slices.Equal(e1, e2))
			}
			sorted := slices.Sorted(slices.Values(e1))
			if !slices.Equal(sorted, slices.Sorted(slices.Values(e2))) {
				t.Fatal("epochs 1 and 2 hold different rows")
			}
			// The training and validation rows are those of the whole
			// table encoded in memory.
			all, err := p.Transform(tab)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i := range all.N {
				want = append(want, fmt.Sprint(all.Cont.Row(i), all.Cat.Row(i)))
			}
			for i := range valid.N {
				v := fmt.Sprint(valid.Cont.Row(i), valid.Cat.Row(i))
				k := slices.Index(want, v)
				if k < 0 {
					t.Fatalf("validation row %s is not in the table", v)
				}
				want = slices.Delete(want, k, k+1)
			}
			slices.Sort(want)
			if !slices.Equal(sorted, want) {
				t.Fatal("the training rows are not the table's rows less the validation rows")
			}
			if base == nil {
				base, baseValid = sorted, valid
			} else if !slices.Equal(base, sorted) || !slices.Equal(baseValid.Cont.Data, valid.Cont.Data) {
				t.Fatal("the split depends on the shuffle buffer")
			}
			_ = a
		})
	}
}

func TestStreamValidationCap(t *testing.T) {
	path := writeStreamFile(t, t.TempDir(), "a.csv", "csv", mixedCSV(2000, 4))
	full, err := OpenStream(path, StreamOptions{ValidationShare: 0.3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	capped, err := OpenStream(path, StreamOptions{ValidationShare: 0.3, Seed: 1, MaxValidRows: 40})
	if err != nil {
		t.Fatal(err)
	}
	p, err := full.Fit([]string{"x"}, []string{"color"}, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fv, _ := full.Validation(p)
	cv, _ := capped.Validation(p)
	if capped.HeldOut() != full.HeldOut() || cv.N != 40 {
		t.Fatalf("held out %d and %d, %d kept", capped.HeldOut(), full.HeldOut(), cv.N)
	}
	// The rows kept are the first of the full set, which is in hash order.
	if !slices.Equal(cv.Cont.Data, fv.Cont.Data[:40]) {
		t.Fatal("the capped validation rows are not those of smallest hash")
	}
}

func TestStreamErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		opt        StreamOptions
		want       []string // in the message
	}{
		{"ragged", "a,b\n1,2\n3\n", StreamOptions{}, []string{"t.csv", "row 2", "wrong number of fields"}},
		{"odd is error", "a,b\n" + strings.Repeat("1,x\n", 30) + "z,y\n", StreamOptions{Read: ReadOptions{Odd: OddIsError}}, []string{"t.csv", "row 31", `"a"`, `"z"`}},
		{"forced odd", "a\n1\nabc\n", StreamOptions{Read: ReadOptions{Kinds: map[string]Kind{"a": Continuous}, Odd: OddIsError}}, []string{"row 2", `"a"`, `"abc"`}},
		{"bad UTF-8", "a\nx\n\xff\n", StreamOptions{}, []string{"row 2", "UTF-8"}},
		{"no rows", "a,b\n", StreamOptions{}, []string{"no data rows"}},
		{"exclude unknown", "a\n1\n", StreamOptions{Exclude: []string{"b"}}, []string{`"b"`, "exclude"}},
		{"share", "a\n1\n", StreamOptions{ValidationShare: 1}, []string{"validation share"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeStreamFile(t, t.TempDir(), "t.csv", "csv", tc.text)
			_, err := OpenStream(path, tc.opt)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Box-Cox fits a positive column from the stream and refuses one with a
// value ≤ 0 by name; what a stream cannot fit yet is refused, not
// skipped.
func TestStreamFitOptions(t *testing.T) {
	path := writeStreamFile(t, t.TempDir(), "t.csv", "csv", mixedCSV(500, 2))
	s, err := OpenStream(path, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Fit([]string{"skew"}, nil, FitOptions{ContinuousTransform: TransformBoxCox})
	if err != nil {
		t.Fatal(err)
	}
	if l := p.Continuous[0].Lambda; l == 0 || l == 1 || math.IsNaN(l) {
		t.Errorf("box-cox lambda of a log-normal column %v; want one fitted", l)
	}
	// A missing-value indicator is fitted from the stream and read from
	// its column in every epoch: the codes are 1 for a value, 2 for
	// missing ("NA" in every 17th row of x).
	pm, err := s.Fit([]string{"x"}, nil, FitOptions{MissingIndicator: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.Categorical) != 1 || pm.Categorical[0].Name != "x_missing" {
		t.Fatalf("categorical %+v; want the indicator x_missing", pm.Categorical)
	}
	b, err := s.Batches(pm, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Epoch(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	seen := map[int32]int{}
	for {
		bt, err := b.Next()
		if err != nil {
			t.Fatal(err)
		}
		if bt == nil {
			break
		}
		for i := range bt.N {
			seen[bt.Cat.Row(i)[0]]++
		}
	}
	if len(seen) != 2 || seen[1] == 0 || seen[2] == 0 {
		t.Errorf("indicator codes %v; want both 1 and 2", seen)
	}
	for _, tc := range []struct {
		name string
		cont []string
		opt  FitOptions
		want string
	}{
		{"box-cox of a column with negatives", []string{"x"}, FitOptions{ContinuousTransform: TransformBoxCox}, `"x"`},
		{"unknown transform", []string{"x"}, FitOptions{ContinuousTransform: "log"}, `"log"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Fit(tc.cont, nil, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one saying %s", err, tc.want)
			}
		})
	}
}

// Date columns are expanded from a stream as in memory: the same features
// in the same order, with the levels of the whole column, and statistics
// estimated from the held-out rows' sample.
func TestStreamDates(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,when,color\n")
	rng := rand.New(rand.NewPCG(3, 3))
	start := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4000 {
		day := start.AddDate(0, 0, rng.IntN(3*365))
		when := day.Format("2006-01-02")
		if i == 7 {
			when = "someday"
		}
		fmt.Fprintf(&b, "%.3f,%s,%s\n", rng.NormFloat64(), when, []string{"red", "blue"}[rng.IntN(2)])
	}
	path := writeStreamFile(t, t.TempDir(), "t.csv", "csv", b.String())
	tab, err := Read(path, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opt := FitOptions{ContinuousTransform: TransformQuantileNormal, Dates: []DateColumn{{Name: "when"}}, MissingIndicator: true}
	want, err := FitWith(tab, []string{"x"}, []string{"when", "color"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenStream(path, StreamOptions{ValidationShare: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Fit([]string{"x"}, []string{"when", "color"}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Continuous) != len(want.Continuous) || len(got.Categorical) != len(want.Categorical) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for j, w := range want.Continuous {
		g := got.Continuous[j]
		if g.Name != w.Name || g.Source != w.Source || g.Part != w.Part || math.Abs(g.Mean-w.Mean) > 0.05*(1+w.Std) {
			t.Errorf("continuous %d: %s (%s %s) mean %v, want %s (%s %s) mean %v", j, g.Name, g.Source, g.Part, g.Mean, w.Name, w.Source, w.Part, w.Mean)
		}
	}
	for j, w := range want.Categorical {
		if g := got.Categorical[j]; g.Name != w.Name || g.Source != w.Source || g.Part != w.Part || !slices.Equal(g.Levels, w.Levels) {
			t.Errorf("categorical %d: %+v, want %+v", j, g, w)
		}
	}
	if !slices.Equal(got.Dates, want.Dates) {
		t.Errorf("dates %v, want %v", got.Dates, want.Dates)
	}
	bt, err := s.Batches(got, 256)
	if err != nil {
		t.Fatal(err)
	}
	defer bt.Close()
	if err := bt.Epoch(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for {
		batch, err := bt.Next()
		if err != nil {
			t.Fatal(err)
		}
		if batch == nil {
			break
		}
		rows += batch.N
	}
	if rows != s.TrainRows() {
		t.Errorf("an epoch read %d rows, want %d", rows, s.TrainRows())
	}
	// With nothing held out there is no sample to fit dates on.
	none, err := OpenStream(path, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Fit([]string{"x"}, []string{"when"}, opt); err == nil || !strings.Contains(err.Error(), "held-out") {
		t.Errorf("error %v; want one asking for held-out rows", err)
	}
}

// A value the preprocessing cannot encode is an error naming its file
// and row in the file, not its row in a chunk.
func TestStreamTransformErrorPosition(t *testing.T) {
	var b strings.Builder
	b.WriteString("a\n")
	for i := range 5000 {
		v := "1"
		if i%2 == 1 {
			v = "2"
		}
		if i == 4999 {
			v = "3e38"
		}
		b.WriteString(v + "\n")
	}
	path := writeStreamFile(t, t.TempDir(), "t.csv", "csv", b.String())
	s, err := OpenStream(path, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := &Preprocessor{Continuous: []ContinuousSpec{{Name: "a", Mean: 1, Std: 1e-30}}}
	bt, err := s.Batches(p, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer bt.Close()
	bt.Epoch(context.Background(), 1)
	for {
		x, err := bt.Next()
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Source != path || e.Row != 5000 || e.Line != 5001 || e.Column != "a" {
				t.Fatalf("error %v", err)
			}
			return
		}
		if x == nil {
			t.Fatal("no error")
		}
	}
}

// Ending an epoch early, by cancelling or by starting another, stops the
// reader.
func TestStreamCancel(t *testing.T) {
	path := writeStreamFile(t, t.TempDir(), "t.csv", "csv", mixedCSV(3000, 5))
	s, err := OpenStream(path, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Fit([]string{"x"}, nil, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Batches(p, 8)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Epoch(ctx, 1)
	if x, err := b.Next(); x == nil || err != nil {
		t.Fatal(x, err)
	}
	cancel()
	for {
		x, err := b.Next()
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			break
		}
		if x == nil {
			t.Fatal("the epoch ended without the cancellation")
		}
	}
	if rows := epochRows(t, b, 1, 8); len(rows) != s.TrainRows() {
		t.Fatalf("%d rows after a cancelled epoch", len(rows))
	}
	b.Close()
}

func FuzzOpenStream(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		dir := t.TempDir()
		path := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		tab, rerr := Read(path, ReadOptions{})
		s, err := OpenStream(path, StreamOptions{ValidationShare: 0.5, SketchRows: 4, ShuffleRows: 3})
		if (rerr == nil) != (err == nil) {
			t.Fatalf("Read: %v; OpenStream: %v", rerr, err)
		}
		if err != nil {
			return
		}
		var cont, cat []string
		for j, c := range s.Schema().Columns {
			if c.Name != tab.Columns[j].Name || c.Kind != tab.Columns[j].Kind {
				t.Fatalf("column %d: %s %v, Read has %s %v", j, c.Name, c.Kind, tab.Columns[j].Name, tab.Columns[j].Kind)
			}
			if c.Kind == Continuous {
				cont = append(cont, c.Name)
			} else {
				cat = append(cat, c.Name)
			}
		}
		p, err := s.Fit(cont, cat, FitOptions{ContinuousTransform: TransformQuantileNormal, Bins: 3})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Validation(p); err != nil {
			t.Fatal(err)
		}
		b, err := s.Batches(p, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		b.Epoch(context.Background(), 1)
		n := 0
		for {
			x, err := b.Next()
			if err != nil {
				t.Fatal(err)
			}
			if x == nil {
				break
			}
			n += x.N
		}
		if n != s.TrainRows() {
			t.Fatalf("%d rows in an epoch of %d", n, s.TrainRows())
		}
	})
}

// FuzzStreamParquet reads damaged Parquet files row by row: an error names
// the file, and a file read whole has the rows ParseParquet finds.
func FuzzStreamParquet(f *testing.F) {
	full := parquetBytes(f, pqRows)
	f.Add(full)
	f.Add(full[:len(full)-9])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, in []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.parquet")
		if err := os.WriteFile(path, in, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := OpenStream(path, StreamOptions{ValidationShare: 0.3})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.parquet") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if tab, err := ParseParquet(bytes.NewReader(in), int64(len(in)), path, ReadOptions{}); err == nil && tab.Rows != s.Rows() {
			t.Fatalf("%d rows, ParseParquet has %d", s.Rows(), tab.Rows)
		}
	})
}
