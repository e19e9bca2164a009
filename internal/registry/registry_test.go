package registry

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

type cfg struct {
	Width int `json:"width"`
}

func (c cfg) Name() string { return "box" }
func (c cfg) Validate() error {
	if c.Width < 1 {
		return errors.New("width must be ≥ 1")
	}
	return nil
}

func TestRoundTrip(t *testing.T) {
	r := New[Config]("shape")
	r.Register("box", func(b []byte) (Config, error) {
		var c cfg
		err := json.Unmarshal(b, &c)
		return c, err
	})
	b, err := r.Marshal(cfg{Width: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"box","config":{"width":3}}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	back, err := r.Unmarshal(b)
	if err != nil || !reflect.DeepEqual(back, Config(cfg{Width: 3})) {
		t.Errorf("Unmarshal = %v, %v", back, err)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"name":"ball","config":{}}`, `unknown shape "ball" (known: box)`},
		{`{"name":"box","config":{"width":0}}`, "width must be"},
		{`{"name":"box","config":{"width":"x"}}`, "shape config box"},
		{`[`, "shape config"},
	} {
		if _, err := r.Unmarshal([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Unmarshal(%s) = %v, want an error with %q", tt.in, err, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	r.Register("box", nil)
}
