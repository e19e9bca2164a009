package serve

import (
	"math"
	"reflect"
	"testing"

	"github.com/gotabular/gotabular/data"
)

// testSchema has a continuous and a categorical column and a target.
func testSchema() *schema {
	return &schema{columns: []column{{name: "x"}, {name: "c", cat: true}}, byName: map[string]int{"x": 0, "c": 1}, target: "y", names: `"x", "c"`}
}

// sameTable compares tables, NaN equal to NaN.
func sameTable(a, b *data.Table) bool {
	if a.Rows != b.Rows || len(a.Columns) != len(b.Columns) {
		return false
	}
	for j, ca := range a.Columns {
		cb := b.Columns[j]
		if ca.Name != cb.Name || ca.Kind != cb.Kind || !reflect.DeepEqual(ca.Codes, cb.Codes) || !reflect.DeepEqual(ca.Dict, cb.Dict) || len(ca.Floats) != len(cb.Floats) {
			return false
		}
		for i, v := range ca.Floats {
			w := cb.Floats[i]
			if v != w && !(math.IsNaN(float64(v)) && math.IsNaN(float64(w))) {
				return false
			}
		}
	}
	return true
}

// The fast path takes the usual bodies, and reads them as encoding/json
// does; it leaves the others to encoding/json.
func TestScanRows(t *testing.T) {
	s := testSchema()
	opt := Options{MaxRows: 3}.withDefaults()
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`[{"x": 1.5, "c": "a"}, {"x": -2e-3, "c": "b", "y": "yes"}]`, true},
		{` {"rows" : [ {"c":"a"} , {"x":null,"c":null}, {} ] } `, true},
		{`[{"x": "3", "c": 7}]`, true},
		{`[{"x": 0, "c": "é"}]`, true},
		{`[{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}]`, false}, // too many rows
		{`[{"x": 1, "x": 2}]`, false},                       // a column twice
		{`[{"c": "a\"b"}]`, false},                          // an escape
		{`[{"x": 01}]`, false},
		{`[{"x": 1.}]`, false},
		{`[{"x": true}]`, false},
		{`[{"x": [1]}]`, false},
		{`[{"z": 1}]`, false},
		{`[{"x": "abc"}]`, false},
		{`[{"x": 1},]`, false},
		{`[{"x": 1}] x`, false},
		{`[]`, false},
		{`{"rows": [{"x": 1}], "more": 1}`, false},
		{"[{\"c\": \"a\tb\"}]", false}, // a control character
	} {
		fast, ok := s.scanRows([]byte(tc.body), opt.MaxRows)
		if ok != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.body, ok, tc.fast)
			continue
		}
		slow, err := s.decodeRows([]byte(tc.body), opt)
		if ok && (err != nil || !sameTable(fast, slow)) {
			t.Errorf("%s: the fast path reads %+v, encoding/json %+v (%v)", tc.body, fast, slow, err)
		}
	}
}

// Whatever the fast path takes, encoding/json reads alike.
func FuzzScanRows(f *testing.F) {
	for _, body := range []string{
		`[{"x": 1.5, "c": "a"}, {"x": -2e-3, "c": "b", "y": "yes"}]`,
		`{"rows": [{"c": "a"}, {"x": null, "c": null}]}`,
		`[{"x": "3", "c": 7}, {"x": 1e39}]`,
		`[{"x": 1, "x": 2}]`,
	} {
		f.Add([]byte(body))
	}
	s := testSchema()
	opt := Options{MaxRows: 50}.withDefaults()
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := s.scanRows(body, opt.MaxRows)
		slow, err := s.decodeRows(body, opt)
		if ok && (err != nil || !sameTable(fast, slow)) {
			t.Fatalf("%q: the fast path reads %+v, encoding/json %+v (%v)", body, fast, slow, err)
		}
	})
}
