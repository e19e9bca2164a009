package main

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

// Backbones reach the config file through the backbone registry alone: a
// backbone section (the model's backbone, or pretrain's encoder and
// decoder) names a registered backbone and sets its config's fields by
// their JSON names, e.g.
//
//	encoder: {name: FTTransformer, num_attn_blocks: 3}
//
// Fields left out keep the backbone's defaults. A section without a name
// is CategoryEmbedding, as files written before there were others mean.
// Adding a backbone needs nothing here.

// backboneSection is one backbone section of the config file.
type backboneSection struct {
	config models.BackboneConfig
}

// UnmarshalYAML implements [yaml.Unmarshaler]. A section naming the
// backbone it holds already (or none, over a CategoryEmbedding) changes
// that config's fields; one naming another starts from its defaults.
func (b *backboneSection) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of a backbone's settings, such as {name: FTTransformer, num_attn_blocks: 3}, got %s", n.Line, describe(n))
	}
	name := categoryembedding.Name
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "name" {
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: name: want a backbone's name (%s), got %s", v.Line, strings.Join(models.Backbones(), ", "), describe(v))
			}
			name = v.Value
		}
	}
	base := b.config
	if base == nil || !strings.EqualFold(base.Name(), name) {
		var err error
		if base, err = models.NewBackbone(name); err != nil {
			return fmt.Errorf("line %d: name: %w", n.Line, err)
		}
	}
	// The fields are decoded into a copy of the base config, each with
	// its own Go type, so that YAML's scalars mean what they mean
	// elsewhere in the file (8 is a valid layers string).
	v := reflect.New(reflect.TypeOf(base)).Elem()
	v.Set(reflect.ValueOf(base))
	keys := backboneKeys(base)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Value == "name" {
			continue
		}
		f, ok := backboneField(v, k.Value)
		if !ok {
			msg := fmt.Sprintf("line %d: unknown field %q of backbone %s", k.Line, k.Value, base.Name())
			if s := closest(k.Value, keys); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return fmt.Errorf("%s; the fields are name, %s", msg, strings.Join(keys, ", "))
		}
		if err := checkNode(val, f.Type(), k.Value); err != nil {
			return err
		}
		if err := val.Decode(f.Addr().Interface()); err != nil {
			return fmt.Errorf("line %d: %s: %s", val.Line, k.Value, yamlMessage(err))
		}
	}
	c := v.Interface().(models.BackboneConfig)
	if err := c.Validate(); err != nil {
		return fmt.Errorf("line %d: backbone %s: %v", n.Line, c.Name(), err)
	}
	b.config = c
	return nil
}

// backboneField returns the field of the backbone config v whose JSON
// name is key.
func backboneField(v reflect.Value, key string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && name == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// backboneKeys lists the fields of a backbone config by their JSON names.
func backboneKeys(c models.BackboneConfig) []string {
	var keys []string
	t := reflect.TypeOf(c)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "-" && name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

// backboneFlag is -backbone: it names the backbone, at its defaults
// unless the config file's section names the same one.
func chooseBackbone(name string, cur models.BackboneConfig) (models.BackboneConfig, error) {
	if cur != nil && strings.EqualFold(cur.Name(), name) {
		return cur, nil
	}
	c, err := models.NewBackbone(name)
	if err != nil {
		return nil, fmt.Errorf("-backbone: %w", err)
	}
	return c, nil
}

// backboneHelp describes the backbones for -h: their names and fields.
func backboneHelp() string {
	var b strings.Builder
	b.WriteString("Backbones (-backbone NAME, or name in a backbone section of the config file, with the backbone's fields beside it; without a name a section is CategoryEmbedding):\n")
	for _, n := range models.Backbones() {
		c, err := models.NewBackbone(n)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "  %s: %s\n", n, strings.Join(backboneKeys(c), ", "))
	}
	return b.String()
}

// withoutDeepFeatures turns deep features off for a backbone that has no
// stages to read them from: the default network reads every stage of its
// MLP, and another backbone must not make the defaults fail.
func withoutDeepFeatures(c models.BackboneConfig, deep bool) bool {
	_, staged := c.(models.StagedConfig)
	return deep && staged
}
