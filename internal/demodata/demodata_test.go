package demodata

import "testing"

func TestAdult(t *testing.T) {
	train, test, err := Adult()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		rows int
		got  int
	}{{"train", 32561, train.Rows}, {"test", 16281, test.Rows}} {
		if tt.got != tt.rows {
			t.Errorf("%s: %d rows, want %d", tt.name, tt.got, tt.rows)
		}
	}
	if len(train.Columns) != 15 {
		t.Errorf("%d columns, want 15", len(train.Columns))
	}
	c, err := train.Col(AdultTarget)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Dict) != 2 {
		t.Errorf("target levels %v, want 2", c.Dict)
	}
}
