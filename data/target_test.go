package data

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestTargetClassification(t *testing.T) {
	for _, tt := range []struct {
		name        string
		train, test string
		wantClasses []string
		wantLabels  []int32
	}{
		{"text labels", "y\nno\nyes\nno\n", "y\nyes\nno\n", []string{"no", "yes"}, []int32{1, 0}},
		{"numeric labels sort by value", "y\n10\n2\n9\n2\n", "y\n9\n10\n2\n", []string{"2", "9", "10"}, []int32{1, 2, 0}},
		{"labels read as text at encode time", "y\n0\n1\n", "y\n1.0\n0\n", []string{"0", "1"}, []int32{1, 0}},
		{"mixed labels sort as text", "y\nb\n10\n9\n", "y\n9\nb\n", []string{"10", "9", "b"}, []int32{1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := FitTarget(mustParse(t, tt.train, ReadOptions{}), "y", "classification", false)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(g.Classes, tt.wantClasses) {
				t.Errorf("Classes: got %q, want %q", g.Classes, tt.wantClasses)
			}
			if err := g.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			test := mustParse(t, tt.test, ReadOptions{})
			d := &Dataset{N: test.Rows}
			if err := g.Encode(test, d); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Labels, tt.wantLabels) || d.Targets != nil {
				t.Errorf("Labels: got %v (targets %v), want %v", d.Labels, d.Targets, tt.wantLabels)
			}
		})
	}
}

func TestTargetRegression(t *testing.T) {
	train := mustParse(t, "y\n1\n3\n5\n", ReadOptions{})
	for _, scale := range []bool{false, true} {
		g, err := FitTarget(train, "y", "regression", scale)
		if err != nil {
			t.Fatal(err)
		}
		std := math.Sqrt(8.0 / 3)
		if g.Mean != 3 || math.Abs(g.Std-std) > 1e-12 || g.Scale != scale {
			t.Errorf("scale %v: got %+v, want mean 3 std %v", scale, g, std)
		}
		d := &Dataset{N: 3}
		if err := g.Encode(train, d); err != nil {
			t.Fatal(err)
		}
		if d.Targets == nil || d.Targets.Rows != 3 || d.Targets.Cols != 1 || d.Labels != nil {
			t.Fatalf("scale %v: got targets %v labels %v, want 3×1 targets", scale, d.Targets, d.Labels)
		}
		for i, v := range []float64{1, 3, 5} {
			want := v
			if scale {
				want = (v - 3) / std
			}
			got := d.Targets.At(i, 0)
			if math.Abs(float64(got)-want) > 1e-6 {
				t.Errorf("scale %v: target %d = %v, want %v", scale, i, got, want)
			}
			if back := g.Unscale(got); math.Abs(back-v) > 1e-5 {
				t.Errorf("scale %v: Unscale(%v) = %v, want %v", scale, got, back, v)
			}
		}
	}
	// A constant target has Std 1 rather than 0.
	g, err := FitTarget(mustParse(t, "y\n4\n4\n", ReadOptions{}), "y", "regression", true)
	if err != nil || g.Std != 1 || g.Mean != 4 {
		t.Errorf("constant target: got %+v, %v; want mean 4 std 1", g, err)
	}
}

func TestTargetErrors(t *testing.T) {
	for _, tt := range []struct {
		name, csv, task string
		contains        string
	}{
		{"single class", "y\na\na\n", "classification", `target "y" in test.csv has a single class "a": classification needs at least two`},
		{"trailing blank line is no missing label", "y\na\nb\n\n", "classification", ""},
		{"missing classification value", "x,y\n1,a\n2,\n3,b\n", "classification", `test.csv: row 2, column "y": the target value is missing`},
		{"missing regression value", "x,y\n1,1\n2,2\n3,\n", "regression", `test.csv: row 3, column "y": the target value is missing`},
		{"non-numeric regression", "y\n1\n2\nbig\n", "regression", `test.csv: row 3, column "y": "big" is not a number`},
		{"unknown task", "y\n1\n2\n", "ranking", `target "y": unknown task "ranking"`},
		{"unknown column", "x\n1\n2\n", "regression", `test.csv: column "y": no such column; the columns are "x"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FitTarget(mustParse(t, tt.csv, ReadOptions{}), "y", tt.task, false)
			if tt.contains == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got error %v, want one containing %q", err, tt.contains)
			}
		})
	}
}

func TestTargetEncodeErrors(t *testing.T) {
	cls, err := FitTarget(mustParse(t, "y\na\nb\n", ReadOptions{}), "y", "classification", false)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := FitTarget(mustParse(t, "y\n1\n2\n", ReadOptions{}), "y", "regression", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		g        *Target
		csv      string
		n        int // dataset rows; -1 = the table's
		contains string
	}{
		{"unseen label", cls, "y\na\nc\n", -1, `test.csv: row 2, column "y": label "c" was not seen in training (the classes are "a", "b")`},
		{"missing label", cls, "x,y\n1,b\n2,\n", -1, `test.csv: row 2, column "y": the target value is missing`},
		{"missing regression value", reg, "x,y\n1,\n", -1, `test.csv: row 1, column "y": the target value is missing`},
		{"non-numeric regression", reg, "y\n1\nx\n", -1, `test.csv: row 2, column "y": "x" is not a number`},
		{"no target column", cls, "x\n1\n", -1, `test.csv: column "y": no such column`},
		{"other table", cls, "y\na\n", 5, `target "y": the dataset has 5 rows, test.csv has 1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab := mustParse(t, tt.csv, ReadOptions{})
			d := &Dataset{N: tab.Rows}
			if tt.n >= 0 {
				d.N = tt.n
			}
			err := tt.g.Encode(tab, d)
			if err == nil || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("got error %v, want one containing %q", err, tt.contains)
			}
		})
	}
}

func TestTargetValidate(t *testing.T) {
	for _, tt := range []struct {
		name, json, want string
	}{
		{"classification", `{"name":"y","task":"classification","classes":["a","b"]}`, ""},
		{"regression unscaled", `{"name":"y","task":"regression"}`, ""},
		{"regression scaled", `{"name":"y","task":"regression","scale":true,"mean":3,"std":2}`, ""},
		{"no name", `{"task":"regression"}`, "target: empty name"},
		{"one class", `{"name":"y","task":"classification","classes":["a"]}`, `target "y": 1 classes, classification needs at least two`},
		{"duplicate class", `{"name":"y","task":"classification","classes":["a","b","a"]}`, `target "y": class "a" appears twice`},
		{"scaled std 0", `{"name":"y","task":"regression","scale":true,"mean":3}`, `target "y": std is 0`},
		{"unknown task", `{"name":"y","task":"clustering"}`, `target "y": unknown task "clustering"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var g Target
			if err := json.Unmarshal([]byte(tt.json), &g); err != nil {
				t.Fatal(err)
			}
			err := g.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestTargetJSONRoundTrip(t *testing.T) {
	g, err := FitTarget(mustParse(t, "y\n1.5\n2\n7\n", ReadOptions{}), "y", "regression", true)
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := json.Marshal(g)
	var back Target
	if err := json.Unmarshal(blob, &back); err != nil {
		t.Fatal(err)
	}
	if back.Name != g.Name || back.Task != g.Task || back.Mean != g.Mean || back.Std != g.Std || !back.Scale {
		t.Errorf("round trip: got %+v, want %+v (json %s)", back, *g, blob)
	}
}

func TestLogTarget(t *testing.T) {
	tab, err := ParseCSV(strings.NewReader("price\n10\n100\n1000\n0\n"), "prices.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, scale := range []bool{false, true} {
		g, err := FitTargetWith(tab, "price", "regression", TargetOptions{Scale: scale, Log: true})
		if err != nil {
			t.Fatal(err)
		}
		d := &Dataset{N: tab.Rows}
		if err := g.Encode(tab, d); err != nil {
			t.Fatal(err)
		}
		for i, want := range []float64{10, 100, 1000, 0} {
			enc := d.Targets.At(i, 0)
			raw := float64(enc)
			if scale {
				raw = raw*g.Std + g.Mean
			}
			if math.Abs(raw-math.Log1p(want)) > 1e-5 {
				t.Errorf("scale %v: row %d encoded %v, want log(1+%v)", scale, i, raw, want)
			}
			if back := g.Unscale(enc); math.Abs(back-want) > 1e-3*max(1, want) {
				t.Errorf("scale %v: row %d unscaled to %v, want %v", scale, i, back, want)
			}
		}
		if err := g.Validate(); err != nil {
			t.Error(err)
		}
		// Outputs far outside the training range stay within it: at most
		// twice the largest target, never negative.
		if hi, lo := g.Unscale(1e6), g.Unscale(-1e6); hi > 2*1001 || lo != 0 {
			t.Errorf("scale %v: huge outputs unscaled to %v and %v; want at most 2002 and 0", scale, hi, lo)
		}
	}
	neg, _ := ParseCSV(strings.NewReader("price\n10\n-1\n"), "prices.csv", ReadOptions{})
	if _, err := FitTargetWith(neg, "price", "regression", TargetOptions{Log: true}); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("a negative log target: %v, want an error naming row 2", err)
	}
	if _, err := FitTargetWith(tab, "price", "classification", TargetOptions{Log: true}); err == nil {
		t.Error("a log target for classification: no error")
	}
	if (&Target{Name: "y", Task: "classification", Classes: []string{"a", "b"}, Log: true}).Validate() == nil {
		t.Error("Validate accepted a log target for classification")
	}
}
