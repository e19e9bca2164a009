package ssl

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/gotabular/gotabular/internal/registry"
)

// Method is a self-supervised method as the registry knows it: what the
// facade needs to load saved models and what the command line needs to
// offer it (-method, its settings as flags and YAML keys, its help).
type Method struct {
	// Name is the registered name, the one Config.Name returns and saved
	// models record, e.g. "DenoisingAutoEncoder".
	Name string
	// Aliases are further names the command line accepts, e.g. "dae".
	// Names and aliases are matched without regard to case.
	Aliases []string
	// Summary says in a sentence or two what the method learns, for help
	// texts.
	Summary string
	// New returns a config with the method's defaults and no encoder. Its
	// own settings are the exported fields beside the embedded
	// SSLModelConfig, described by struct tags (see [Edit]).
	New func() Config
	// Decode reads a config from the JSON its MarshalJSON wrote. If nil,
	// the JSON is decoded over New's config, so that settings missing
	// from it keep their defaults; a method needs its own Decode only to
	// read older forms of its settings.
	Decode func([]byte) (Config, error)
}

var (
	decoders = registry.New[Config]("ssl method")
	mu       sync.Mutex
	methods  = map[string]Method{} // by lower-case name and alias
)

// Register makes a method available. Method packages call it from init;
// importing github.com/gotabular/gotabular/ssl/methods registers all that
// ship with gotabular. A method without a name or New, or a name or alias
// taken already, is a programming error and panics.
func Register(m Method) {
	if m.Name == "" || m.New == nil {
		panic(fmt.Sprintf("ssl: Register(%q): a method needs a Name and New", m.Name))
	}
	if m.Decode == nil {
		m.Decode = decodeOver(m.New)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, n := range append([]string{m.Name}, m.Aliases...) {
		if prev, dup := methods[strings.ToLower(n)]; dup {
			panic(fmt.Sprintf("ssl: Register(%q): the name %q is taken by %s", m.Name, n, prev.Name))
		}
	}
	for _, n := range append([]string{m.Name}, m.Aliases...) {
		methods[strings.ToLower(n)] = m
	}
	decoders.Register(m.Name, m.Decode)
}

// decodeOver returns a decoder of JSON over the config newConfig makes.
func decodeOver(newConfig func() Config) func([]byte) (Config, error) {
	return func(b []byte) (Config, error) {
		c := newConfig()
		p := reflect.New(reflect.TypeOf(c))
		p.Elem().Set(reflect.ValueOf(c))
		if err := json.Unmarshal(b, p.Interface()); err != nil {
			return nil, err
		}
		return p.Elem().Interface().(Config), nil
	}
}

// Available lists the registered methods' names, sorted.
func Available() []string { return decoders.Names() }

// Methods lists the registered methods, sorted by name.
func Methods() []Method {
	mu.Lock()
	defer mu.Unlock()
	var out []Method
	for key, m := range methods {
		if key == strings.ToLower(m.Name) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Method) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup finds a method by its name or an alias, ignoring case. The error
// for an unknown name lists the available ones.
func Lookup(name string) (Method, error) {
	mu.Lock()
	m, ok := methods[strings.ToLower(strings.TrimSpace(name))]
	mu.Unlock()
	if !ok {
		var known []string
		for _, m := range Methods() {
			known = append(known, m.Label())
		}
		return Method{}, fmt.Errorf("unknown self-supervised method %q; available: %s", name, strings.Join(known, ", "))
	}
	return m, nil
}

// Label is the name with the aliases, as help texts show it, e.g.
// "DenoisingAutoEncoder (dae)".
func (m Method) Label() string {
	if len(m.Aliases) == 0 {
		return m.Name
	}
	return m.Name + " (" + strings.Join(m.Aliases, ", ") + ")"
}

// MarshalConfig encodes c with its method name.
func MarshalConfig(c Config) ([]byte, error) { return decoders.Marshal(c) }

// UnmarshalConfig decodes what MarshalConfig wrote and validates it.
func UnmarshalConfig(b []byte) (Config, error) { return decoders.Unmarshal(b) }
