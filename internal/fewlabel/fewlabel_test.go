package fewlabel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeDatasets makes a manifest with two small datasets in dir: "toy", a
// binary target in one data.csv with missing values of both kinds, and
// "reg", a regression target in train.csv and test.csv.
func writeDatasets(t *testing.T, dir string) *Manifest {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	write := func(path string, header string, n int, row func(i int) string) File {
		var b strings.Builder
		b.WriteString(header + "\n")
		for i := range n {
			b.WriteString(row(i) + "\n")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return File{File: filepath.Base(path), Rows: n, Columns: strings.Split(header, ",")}
	}
	colours := []string{"red", "green", "blue", ""}
	toy := write(filepath.Join(dir, "toy", "data.csv"), "x,colour,z,label", 400, func(i int) string {
		x := rng.NormFloat64()
		c := colours[rng.IntN(4)]
		z := fmt.Sprintf("%.3f", rng.NormFloat64())
		if i%17 == 0 {
			z = ""
		}
		label := "no"
		if x+0.5*rng.NormFloat64() > 0.3 || c == "red" && rng.IntN(2) == 0 {
			label = "yes"
		}
		return fmt.Sprintf("%.3f,%s,%s,%s", x, c, z, label)
	})
	reg := func(n int) func(int) string {
		return func(int) string {
			a, b := rng.NormFloat64(), rng.NormFloat64()
			return fmt.Sprintf("%.3f,%.3f,%.3f", a, b, 100+20*a-10*b*b+rng.NormFloat64())
		}
	}
	tr := write(filepath.Join(dir, "reg", "train.csv"), "a,b,y", 300, reg(300))
	te := write(filepath.Join(dir, "reg", "test.csv"), "a,b,y", 120, reg(120))
	es := []Entry{
		{Name: "toy", Task: "binary classification", Target: "label", Positive: "yes", Categorical: []string{"colour"}, Files: []File{toy}},
		{Name: "reg", Task: "regression", Target: "y", Positive: "-", Files: []File{tr, te}},
		{Name: "multi", Task: "multiclass classification (3 classes)", Target: "c", Files: []File{{File: "data.csv"}}},
	}
	b, err := json.Marshal(es)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	m := writeDatasets(t, dir)
	if got := strings.Join(m.Scored(), ","); got != "toy,reg" {
		t.Errorf("scored datasets %s, want toy,reg", got)
	}
	e, _ := m.Entry("toy")
	d, err := Load(m, e, nil, []int{1, 2}, []int{20, 50})
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Rows != 320 || d.Test.Rows != 80 {
		t.Errorf("train %d and test %d rows; want 320 and 80", d.Train.Rows, d.Test.Rows)
	}
	c, _ := d.Train.Col("colour")
	missing := 0
	for i := range d.Train.Rows {
		if c.Missing(i) {
			t.Fatalf("training row %d has no colour; want the level Missing", i)
		}
		if s, _ := c.Text(i); s == missingLevel {
			missing++
		}
	}
	if missing == 0 {
		t.Error("no training row has the colour Missing")
	}
	z, _ := d.Test.Col("z")
	for i, v := range z.Floats {
		if math.IsNaN(float64(v)) {
			t.Fatalf("test row %d has no z; want the training median", i)
		}
	}
	tr, va, all, err := d.Labelled(2, 50)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows != 40 || va.Rows != 10 || all.Rows != 50 {
		t.Errorf("labelled rows %d + %d = %d, want 40 + 10 = 50", tr.Rows, va.Rows, all.Rows)
	}
	if _, _, _, err := d.Labelled(3, 50); err == nil {
		t.Error("seed 3 has no splits, but Labelled did not fail")
	}
	if d.Positive != "yes" {
		t.Errorf("positive class %q, want yes", d.Positive)
	}
	multi, _ := m.Entry("multi")
	if _, err := Load(m, multi, nil, []int{1}, []int{20}); err == nil || !strings.Contains(err.Error(), "not scored") {
		t.Errorf("loading a multiclass dataset: %v, want an error saying it is not scored", err)
	}
}

func TestSplitsCheck(t *testing.T) {
	e := Entry{Name: "toy"}
	good := func() *Splits {
		return &Splits{Dataset: "toy", TestRowIDs: []int{0, 1}, Labelled: map[string]map[string]Labelled{
			"1": {"4": {Train: []int{2, 3, 4}, Valid: []int{5}}}}}
	}
	for _, tc := range []struct {
		name   string
		change func(s *Splits)
		want   string
	}{
		{"good", func(*Splits) {}, ""},
		{"other dataset", func(s *Splits) { s.Dataset = "adult" }, "not \"toy\""},
		{"test id out of range", func(s *Splits) { s.TestRowIDs = []int{10} }, "out of range"},
		{"labelled test row", func(s *Splits) { s.Labelled["1"]["4"] = Labelled{Train: []int{1, 2}} }, "a test row"},
		{"repeated row", func(s *Splits) { s.Labelled["1"]["4"] = Labelled{Train: []int{2, 2}} }, "repeated"},
		{"no test rows", func(s *Splits) { s.TestRowIDs = nil }, "no test_row_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.change(s)
			err := s.Check(e, 10, 10)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Check: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	m := writeDatasets(t, dir)
	var methods []Method
	names := []string{"linear", "gotabular+enc=16-8+ptepochs=2+ftepochs=30+ftlr=0.01", "scratch+enc=16-8+ftepochs=30+ftlr=0.01", "gotabular+enc=16-8+ptepochs=2+ftepochs=30+ftlr=0.01+ta=1+cv=3+pseudo=50+deep", "gotabular+enc=16-8+ptepochs=2+ftepochs=30+ftlr=0.01+cv=3+distil", "gotabular+enc=16-8+ptepochs=2+ftepochs=30+ftlr=0.01+cv=3+mix=0.5+holdout", "gotabular+enc=16-8+ptepochs=2+ftepochs=30+ftlr=0.01+cv=3+pick"}
	for _, n := range names {
		meth, err := ParseMethod(n)
		if err != nil {
			t.Fatal(err)
		}
		methods = append(methods, meth)
	}
	splits := filepath.Join(dir, "splits")
	var seen int
	o := Options{Datasets: []string{"toy", "reg"}, Labels: []int{20, 40}, Seeds: []int{1, 2}, Methods: methods,
		WriteSplitsDir: splits, Record: func(Record) error { seen++; return nil }}
	rs, err := Run(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 2 * 2 * len(methods); len(rs) != want || seen != want {
		t.Fatalf("%d records (%d reported), want %d", len(rs), seen, want)
	}
	for _, r := range rs {
		// The default recipe cross-fits; the linear baseline does not.
		if crossFits := r.Method != "linear"; crossFits != (r.CV != nil) {
			t.Errorf("%s: cross-validated figure %v; want one exactly for the cross-fitting methods", r.Method, r.CV)
		}
		// A distilled network says how close it came to its ensemble:
		// agreement for a classifier, a distance for a regressor.
		distils := strings.HasSuffix(r.Method, "+distil")
		if distils != (r.Agreement != nil || r.TeacherRMSE != nil) || r.Agreement != nil && r.TeacherRMSE != nil {
			t.Errorf("%s on %s: agreement %v, teacher RMSE %v; want one of them exactly for a distilled method", r.Method, r.Dataset, r.Agreement, r.TeacherRMSE)
		}
		if r.Agreement != nil && !(*r.Agreement > 0.5 && *r.Agreement <= 1) || r.TeacherRMSE != nil && !(*r.TeacherRMSE >= 0 && *r.TeacherRMSE < 40) {
			t.Errorf("%s on %s: agreement %v, teacher RMSE %v out of range", r.Method, r.Dataset, r.Agreement, r.TeacherRMSE)
		}
		if r.Dataset == "toy" && (r.Metric != "roc_auc" || !(r.Value > 0.5 && r.Value <= 1)) {
			t.Errorf("%+v: want a ROC-AUC better than chance", r)
		}
		if r.Dataset == "reg" && (r.Metric != "rmse" || !(r.Value > 0 && r.Value < 40)) {
			t.Errorf("%+v: want an RMSE below the target's spread", r)
		}
	}
	// The drawn splits were written; a second run reads them and gives
	// the same scores, since every method is seeded.
	o.SplitsDir, o.WriteSplitsDir, o.Record = splits, "", nil
	again, err := Run(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		if rs[i].Value != again[i].Value {
			t.Errorf("%s %s seed %d: %v, then %v from the written splits", rs[i].Dataset, rs[i].Method, rs[i].Seed, rs[i].Value, again[i].Value)
		}
	}
	// Drawing again must not replace the splits.
	o.SplitsDir, o.WriteSplitsDir = "", splits
	if _, err := Run(context.Background(), m, o); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("drawing splits over existing ones: %v, want an error", err)
	}

	var b bytes.Buffer
	Report(&b, rs, names, []string{"linear"})
	out := b.String()
	for _, want := range []string{"| toy | 20 | roc_auc |", "| reg | 40 | rmse |", "Paired differences against linear", "/2) |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	path := filepath.Join(dir, "runs.json")
	if err := WriteJSON(path, rs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(path)
	if err != nil || len(back) != len(rs) || !reflect.DeepEqual(back[3], rs[3]) {
		t.Errorf("JSON round trip: %v, %d records", err, len(back))
	}
}

// TestPickSet checks that pickset fine-tunes, on all labelled rows, the
// start whose holdout figure is the better: its record is that of the
// recipe, or of the recipe with the setting, run alone.
func TestPickSet(t *testing.T) {
	dir := t.TempDir()
	m := writeDatasets(t, dir)
	base := "gotabular+enc=16-8+ptepochs=2+ftepochs=30+ftlr=0.01+cv=3"
	names := []string{base, base + "+mask=100", base + "+holdout", base + "+mask=100+holdout", base + "+pickset=mask_loss_weight:100"}
	var methods []Method
	for _, n := range names {
		meth, err := ParseMethod(n)
		if err != nil {
			t.Fatal(err)
		}
		methods = append(methods, meth)
	}
	o := Options{Datasets: []string{"toy", "reg"}, Labels: []int{20, 40}, Seeds: []int{1, 2}, Methods: methods,
		WriteSplitsDir: filepath.Join(dir, "splits")}
	rs, err := Run(context.Background(), m, o)
	if err != nil {
		t.Fatal(err)
	}
	type cell struct {
		dataset      string
		labels, seed int
	}
	by := map[cell]map[string]Record{}
	for _, r := range rs {
		c := cell{r.Dataset, r.Labels, r.Seed}
		if by[c] == nil {
			by[c] = map[string]Record{}
		}
		by[c][r.Method] = r
	}
	differ := 0
	for c, runs := range by {
		a, b := runs[names[0]], runs[names[1]]
		hoA, hoB, got := runs[names[2]], runs[names[3]], runs[names[4]]
		want, other := a, b
		e := Entry{Task: "binary"}
		if c.dataset == "reg" {
			e.Task = "regression"
		}
		if better(e, *hoB.CV, *hoA.CV) {
			want, other = b, a
		}
		if want.Value != other.Value {
			differ++
		}
		if got.Value != want.Value || *got.CV != *want.CV {
			t.Errorf("%+v: pickset scored %v (cv %v); want the start with the better holdout figure: %v (cv %v), not %v",
				c, got.Value, *got.CV, want.Value, *want.CV, other.Value)
		}
	}
	if differ == 0 {
		t.Error("the two starts scored alike in every cell, so the choice went untested")
	}
}

func TestParseMethod(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"gotabular", ""},
		{"scratch+head=none", ""},
		{"linear+ple", "takes no levers"},
		{"xgboost", "unknown base"},
		{"gotabular+nosuch", "unknown lever"},
		{"gotabular+noise", "needs a value"},
		{"gotabular+input=1", "takes no value"},
		{"gotabular+noise=2", "probability"},
		{"gotabular+ssl=scarf+set=corruption_rate:0.4+ple=8+qn", ""},
		{"gotabular+ssl=scarf+noise=0.3", "no setting"},
		{"gotabular+ssl=nosuch", "nosuch"},
		{"gotabular+pickset=mask_loss_weight:1000", ""},
		{"gotabular+pickset=mask_loss_weight", "want KEY:VALUE"},
		{"gotabular+pickset=nosuch:1", "no setting"},
		{"gotabular+pickset=mask_loss_weight:-1", "mask_loss_weight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseMethod(tc.name)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("ParseMethod: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestReadBaselines(t *testing.T) {
	dir := t.TempDir()
	js := `[{"dataset": "toy", "seed": 1, "labels": 200, "xgboost_auc": 0.8, "linear_auc": 0.7}]`
	if err := os.WriteFile(filepath.Join(dir, "toy.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	rs, err := ReadBaselines(dir, []string{"toy", "absent"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Method != RefXGBoost || rs[0].Value != 0.8 || rs[1].Method != RefLinear {
		t.Errorf("records %+v", rs)
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`[{"name": "a", "target": "y", "task": "regression", "files": [{"file": "data.csv"}]}]`))
	f.Add([]byte(`[{"name": "a"}, {"name": "a"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b, "fuzz")
		if err != nil {
			return
		}
		for _, n := range m.Names() {
			if _, err := m.Entry(n); err != nil {
				t.Fatal(err)
			}
		}
		m.Scored()
	})
}

func FuzzParseSplits(f *testing.F) {
	f.Add([]byte(`{"dataset": "toy", "test_row_ids": [0, 1], "labelled": {"1": {"4": {"ft_train_row_ids": [2, 3], "ft_val_row_ids": [4]}}}}`))
	f.Add([]byte(`{"dataset": "toy", "test_row_ids": [-1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSplits(b, "fuzz")
		if err != nil {
			return
		}
		if s.Check(Entry{Name: "toy"}, 10, 10) == nil {
			for _, byN := range s.Labelled {
				for _, l := range byN {
					for _, r := range append(l.Train, l.Valid...) {
						if r < 0 || r >= 10 {
							t.Fatalf("Check accepted row %d of 10", r)
						}
					}
				}
			}
		}
	})
}
