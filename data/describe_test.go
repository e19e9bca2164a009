package data

import (
	"fmt"
	"math"
	"testing"
)

func TestDescribe(t *testing.T) {
	tab := mustParse(t, "n,few,c,empty\n1,0,a,\n2,1,b,\n3,1,a,\nNA,1,,\n", ReadOptions{})
	stats := Describe(tab, 2)
	for _, tt := range []struct {
		col  int
		want string
	}{
		{0, "n continuous missing 1 distinct 3 min 1 max 3 mean 2 top []"},
		{1, "few continuous missing 0 distinct 2 min 0 max 1 mean 0.75 top [{1 3} {0 1}]"},
		{2, "c categorical missing 1 distinct 2 min 0 max 0 mean 0 top [{a 2} {b 1}]"},
		{3, "empty continuous missing 4 distinct 0 min NaN max NaN mean NaN top []"},
	} {
		t.Run(tt.want[:4], func(t *testing.T) {
			s := stats[tt.col]
			got := fmt.Sprintf("%s %v missing %d distinct %d min %g max %g mean %g top %v", s.Name, s.Kind, s.Missing, s.Distinct, s.Min, s.Max, s.Mean, s.Top)
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	if s := stats[3]; !math.IsNaN(s.Mean) || s.MissingShare(tab.Rows) != 1 {
		t.Errorf("empty column: mean %v, missing share %v", s.Mean, s.MissingShare(tab.Rows))
	}
}
