package ssl_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/ssl"
	_ "github.com/gotabular/gotabular/ssl/methods"
)

// toy is a method config with a setting of every supported kind.
type toy struct {
	ssl.SSLModelConfig
	Rate    float64            `json:"rate" arg:"share" help:"the share of things"`
	Mode    string             `json:"mode" flag:"m" help:"how"`
	On      bool               `json:"on" help:"whether"`
	Count   int                `json:"count" help:"how many"`
	Big     uint64             `json:"big" help:"a large one"`
	Weights []float64          `json:"weights" help:"a list"`
	Probs   map[string]float64 `json:"probs" help:"by name"`
	Skipped int                `json:"-"`
	hidden  int
}

func (toy) Name() string                           { return "Toy" }
func (toy) Validate() error                        { return nil }
func (toy) Build(models.Schema) (ssl.Model, error) { return nil, nil }
func (toy) BuildFeaturizer(models.Schema) (models.Embedder, models.Backbone, error) {
	return nil, nil, nil
}
func (toy) Size(models.Schema) ssl.Size     { return ssl.Size{} }
func (t toy) MarshalJSON() ([]byte, error)  { return ssl.MarshalSettings(t) }
func (t *toy) UnmarshalJSON(b []byte) error { return ssl.UnmarshalSettings(b, t) }

func newToy() toy {
	c := toy{SSLModelConfig: ssl.NewSSLModelConfig(), Rate: 0.5, Mode: "fast", Count: 3}
	c.EncoderConfig = categoryembedding.Config{Layers: "8"}
	return c
}

func TestSettings(t *testing.T) {
	e, err := ssl.Edit(newToy())
	if err != nil {
		t.Fatal(err)
	}
	var keys, flags []string
	for _, s := range e.Settings() {
		keys, flags = append(keys, s.Key), append(flags, s.Flag)
	}
	if want := []string{"rate", "mode", "on", "count", "big", "weights", "probs"}; !slices.Equal(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}
	if want := []string{"rate", "m", "on", "count", "big", "weights", "probs"}; !slices.Equal(flags, want) {
		t.Errorf("flags %q, want %q", flags, want)
	}
	for _, tt := range []struct {
		key, text, want string // want: String() after Set(text)
		value           any
	}{
		{"rate", "0", "0", 0.0},
		{"rate", " 1e-3 ", "0.001", 0.001},
		{"mode", "slow", "slow", "slow"},
		{"on", "true", "true", true},
		{"count", "-2", "-2", -2},
		{"big", "18446744073709551615", "18446744073709551615", uint64(18446744073709551615)},
		{"weights", "1, 2.5,3", "1,2.5,3", []float64{1, 2.5, 3}},
		{"weights", "", "", []float64(nil)},
		{"probs", "b=0.2, a=1", "a=1,b=0.2", map[string]float64{"a": 1, "b": 0.2}},
		{"probs", "", "", map[string]float64(nil)},
	} {
		t.Run(tt.key+"="+tt.text, func(t *testing.T) {
			s, ok := e.Setting(tt.key)
			if !ok {
				t.Fatal("no such setting")
			}
			if err := s.Set(tt.text); err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(s.Value(), tt.value) {
				t.Errorf("Value() = %#v, want %#v", s.Value(), tt.value)
			}
		})
	}
	for _, tt := range []struct{ key, text string }{
		{"rate", "much"}, {"on", "yes please"}, {"count", "1.5"}, {"big", "-1"},
		{"weights", "1,x"}, {"probs", "a"}, {"probs", "=1"}, {"probs", "a=b"},
	} {
		t.Run("bad "+tt.key+"="+tt.text, func(t *testing.T) {
			s, _ := e.Setting(tt.key)
			if err := s.Set(tt.text); err == nil {
				t.Error("accepted")
			}
		})
	}
	c := e.Config().(toy)
	if c.Rate != 0.001 || c.Mode != "slow" || !c.On || c.Count != -2 || c.Probs != nil {
		t.Errorf("the edits did not reach the config: %+v", c)
	}
	if newToy().Rate != 0.5 {
		t.Error("Edit changed the config it copied")
	}
	e.Common().LearningRate = 0.5
	if got := e.Config().Common().LearningRate; got != 0.5 {
		t.Errorf("Common() edits do not reach the config: learning rate %v", got)
	}
	r, _ := e.Setting("rate")
	if got := r.Usage(); got != "the `share` of things" {
		t.Errorf("Usage() = %q", got)
	}
}

type noTag struct {
	toy
	Extra int
}

type badType struct {
	ssl.SSLModelConfig
	Inner struct{ A int } `json:"inner"`
}

func (badType) Name() string                           { return "Bad" }
func (badType) Validate() error                        { return nil }
func (badType) Build(models.Schema) (ssl.Model, error) { return nil, nil }
func (badType) BuildFeaturizer(models.Schema) (models.Embedder, models.Backbone, error) {
	return nil, nil, nil
}
func (badType) Size(models.Schema) ssl.Size { return ssl.Size{} }

// noCommon has the methods of a config but not the shared settings.
type noCommon struct {
	badType
	Rate float64 `json:"rate"`
}

func TestEditErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    ssl.Config
		want string
	}{
		{"no json tag", noTag{toy: newToy(), Extra: 1}, "field Extra has no json tag"},
		{"no common settings", noCommon{Rate: 1}, "does not embed ssl.SSLModelConfig"},
		{"unsupported type", badType{}, "a setting holds"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ssl.Edit(tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSettingsJSON(t *testing.T) {
	c := newToy()
	c.Rate, c.Weights, c.Probs = 0, []float64{1, 2}, map[string]float64{"x": 0.5}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"common":{"version":2,`) || !strings.Contains(string(b), `"rate":0,"mode":"fast"`) {
		t.Errorf("JSON %s", b)
	}
	back := toy{Rate: 9, Probs: map[string]float64{"old": 1}}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", back, c)
	}
	// A setting missing from the file keeps the value decoded over; null
	// is the zero value.
	back = newToy()
	if err := json.Unmarshal([]byte(`{"common":`+string(mustCommon(t))+`,"mode":"slow","weights":null}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.Rate != 0.5 || back.Mode != "slow" || back.Weights != nil {
		t.Errorf("decoded %+v", back)
	}
	for _, tt := range []struct{ name, json, want string }{
		{"unknown key", `{"common":` + string(mustCommon(t)) + `,"speed":1}`, `unknown setting "speed"`},
		{"no common", `{"rate":1}`, "common"},
		{"wrong type", `{"common":` + string(mustCommon(t)) + `,"rate":"high"}`, "rate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c toy
			err := json.Unmarshal([]byte(tt.json), &c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func mustCommon(t *testing.T) []byte {
	t.Helper()
	b, err := newToy().SSLModelConfig.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Shared settings written when zeros stood for defaults keep their
// meaning; those of the current format are taken as written.
func TestCommonLegacyZeros(t *testing.T) {
	enc := `"encoder_config":{"name":"CategoryEmbedding","config":{"layers":"8"}}`
	for _, tt := range []struct {
		name, json string
		lr         float64
		seed       uint64
		legacy     bool
	}{
		{"legacy", `{` + enc + `,"embedding_dropout":0,"batch_norm_continuous_input":false,"learning_rate":0,"seed":0}`, 1e-3, 42, true},
		{"legacy, set", `{` + enc + `,"embedding_dropout":0,"batch_norm_continuous_input":false,"learning_rate":0.01,"seed":5}`, 0.01, 5, true},
		{"current", `{"version":2,` + enc + `,"embedding_dropout":0,"batch_norm_continuous_input":false,"learning_rate":0.01,"seed":0}`, 0.01, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c ssl.SSLModelConfig
			if err := json.Unmarshal([]byte(tt.json), &c); err != nil {
				t.Fatal(err)
			}
			if c.LearningRate != tt.lr || c.Seed != tt.seed {
				t.Errorf("learning rate %v, seed %d; want %v, %d", c.LearningRate, c.Seed, tt.lr, tt.seed)
			}
			if got := ssl.LegacyZeros([]byte(`{"common":` + tt.json + `}`)); got != tt.legacy {
				t.Errorf("LegacyZeros = %v, want %v", got, tt.legacy)
			}
		})
	}
	var c ssl.SSLModelConfig
	if err := json.Unmarshal([]byte(`{"version":3,`+enc+`}`), &c); err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Errorf("a newer version: error %v", err)
	}
}

func TestLookup(t *testing.T) {
	if got, want := ssl.Available(), []string{"DenoisingAutoEncoder", "SCARF", "VIME"}; !slices.Equal(got, want) {
		t.Errorf("Available() = %q, want %q", got, want)
	}
	for _, tt := range []struct{ name, want string }{
		{"dae", "DenoisingAutoEncoder"}, {"DAE", "DenoisingAutoEncoder"}, {"denoisingautoencoder", "DenoisingAutoEncoder"},
		{"scarf", "SCARF"}, {" Scarf ", "SCARF"}, {"vime", "VIME"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ssl.Lookup(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != tt.want {
				t.Errorf("found %s, want %s", m.Name, tt.want)
			}
			if c := m.New(); c.Name() != m.Name {
				t.Errorf("New() makes a %s config", c.Name())
			}
			if _, err := ssl.Edit(m.New()); err != nil {
				t.Errorf("the config's struct tags: %v", err)
			}
		})
	}
	_, err := ssl.Lookup("simclr")
	if err == nil || !strings.Contains(err.Error(), `"simclr"`) || !strings.Contains(err.Error(), "DenoisingAutoEncoder (dae), SCARF (scarf), VIME (vime)") {
		t.Errorf("unknown method: %v", err)
	}
}

func TestRegisterTwice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a taken alias did not panic")
		}
	}()
	ssl.Register(ssl.Method{Name: "Other", Aliases: []string{"DAE"}, New: func() ssl.Config { return newToy() },
		Decode: func([]byte) (ssl.Config, error) { return newToy(), nil }})
}
