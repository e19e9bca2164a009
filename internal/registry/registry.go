// Package registry keeps named config types that can be written to JSON
// with their name and read back: the backbones of package models and the
// self-supervised methods of package ssl, so that a saved model names what
// to rebuild.
package registry

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Config is what a registry holds.
type Config interface {
	Name() string
	Validate() error
}

// Registry maps names to decoders of one kind of config.
type Registry[T Config] struct {
	kind     string // for messages, e.g. "backbone"
	mu       sync.Mutex
	decoders map[string]func([]byte) (T, error)
}

// New returns an empty registry; kind names what it holds in messages.
func New[T Config](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, decoders: map[string]func([]byte) (T, error){}}
}

// Register adds a config type; decode reads what json.Marshal wrote for it.
// Registering a name twice panics: it is a programming error.
func (r *Registry[T]) Register(name string, decode func([]byte) (T, error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.decoders[name]; dup {
		panic(fmt.Sprintf("registry: %s %q registered twice", r.kind, name))
	}
	r.decoders[name] = decode
}

// Names lists the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.decoders))
	for n := range r.decoders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type named struct {
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

// Marshal encodes c with its name.
func (r *Registry[T]) Marshal(c T) ([]byte, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(named{Name: c.Name(), Config: raw})
}

// Unmarshal decodes what Marshal wrote and validates it.
func (r *Registry[T]) Unmarshal(b []byte) (T, error) {
	var zero T
	var n named
	if err := json.Unmarshal(b, &n); err != nil {
		return zero, fmt.Errorf("%s config: %w", r.kind, err)
	}
	r.mu.Lock()
	decode, ok := r.decoders[n.Name]
	r.mu.Unlock()
	if !ok {
		return zero, fmt.Errorf("%s config: unknown %s %q (known: %s)", r.kind, r.kind, n.Name, strings.Join(r.Names(), ", "))
	}
	c, err := decode(n.Config)
	if err != nil {
		return zero, fmt.Errorf("%s config %s: %w", r.kind, n.Name, err)
	}
	if err := c.Validate(); err != nil {
		return zero, err
	}
	return c, nil
}
