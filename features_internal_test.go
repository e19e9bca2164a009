package gotabular

import (
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
)

// Issue 11, "dropped columns": naming one categorical column silently
// dropped every other text column. The lists fix the kinds of the columns
// they name and leave the others to inference.
func TestFeatureColumnsOverrideOnlyNamed(t *testing.T) {
	tab, err := data.ParseCSV(strings.NewReader("num,code,area,soil,y\n1,7,north,a,p\n2,8,south,b,q\n"), "t.csv", data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name              string
		dc                config.DataConfig
		wantCont, wantCat []string
	}{
		{"none named", config.DataConfig{Target: []string{"y"}}, []string{"num", "code"}, []string{"area", "soil"}},
		{"one categorical", config.DataConfig{Target: []string{"y"}, CategoricalCols: []string{"code"}}, []string{"num"}, []string{"code", "area", "soil"}},
		{"one continuous", config.DataConfig{Target: []string{"y"}, ContinuousCols: []string{"code"}}, []string{"code", "num"}, []string{"area", "soil"}},
		{"both named", config.DataConfig{Target: []string{"y"}, ContinuousCols: []string{"num"}, CategoricalCols: []string{"area"}}, []string{"num", "code"}, []string{"area", "soil"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cont, cat, err := featureColumns(tab, tt.dc)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cont, tt.wantCont) || !slices.Equal(cat, tt.wantCat) {
				t.Errorf("got continuous %q, categorical %q; want %q, %q", cont, cat, tt.wantCont, tt.wantCat)
			}
		})
	}
}
