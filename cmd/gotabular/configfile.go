package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
)

// The YAML files given with -config have four sections: data, trainer and
// optimizer are the config package's structs under their yaml names, and
// model depends on the command (for pretrain, on the method too: see
// sslModel). A file is decoded over the command's defaults, so it needs to
// hold only what differs from them; the flags set on the command line are
// applied last.

// fitFile is the -config file of fit.
type fitFile struct {
	Data      config.DataConfig      `yaml:"data"`
	Trainer   config.TrainerConfig   `yaml:"trainer"`
	Optimizer config.OptimizerConfig `yaml:"optimizer"`
	Model     fitModel               `yaml:"model"`
}

// fitModel is models.Config. The fields of a CategoryEmbedding backbone
// sit at the top of the section; a backbone section (see
// backboneSection) chooses another backbone instead, and then those
// fields do not apply.
type fitModel struct {
	Backbone       *backboneSection       `yaml:"backbone"`
	Layers         string                 `yaml:"layers"`
	Activation     string                 `yaml:"activation"`
	Dropout        float64                `yaml:"dropout"`
	UseBatchNorm   bool                   `yaml:"use_batch_norm"`
	Initialization string                 `yaml:"initialization"`
	Head           models.HeadConfig      `yaml:"head"`
	Embedding      models.EmbeddingConfig `yaml:"embedding"`
	DeepFeatures   bool                   `yaml:"deep_features"`
	LearningRate   float64                `yaml:"learning_rate"`
	Seed           uint64                 `yaml:"seed"`
}

// fitModelOf is the inverse of fitModel.config, for a categoryembedding
// backbone.
func fitModelOf(c models.Config) fitModel {
	bb, _ := c.Backbone.(categoryembedding.Config)
	return fitModel{
		Layers: bb.Layers, Activation: bb.Activation, Dropout: bb.Dropout, UseBatchNorm: bb.UseBatchNorm, Initialization: bb.Initialization,
		Head: c.Head, Embedding: c.Embedding, DeepFeatures: c.DeepFeatures, LearningRate: c.LearningRate, Seed: c.Seed,
	}
}

func (m fitModel) config(task string) models.Config {
	var bb models.BackboneConfig = categoryembedding.Config{
		Layers: m.Layers, Activation: m.Activation, Dropout: m.Dropout,
		UseBatchNorm: m.UseBatchNorm, Initialization: m.Initialization,
	}
	if m.Backbone != nil && m.Backbone.config != nil {
		bb = m.Backbone.config
	}
	return models.Config{
		Task: task, Backbone: bb,
		Head: m.Head, Embedding: m.Embedding, DeepFeatures: withoutDeepFeatures(bb, m.DeepFeatures), LearningRate: m.LearningRate, Seed: m.Seed,
	}
}

// finetuneFile is the -config file of finetune. Its data section may set
// target, validation_split and scale_target; the feature columns are
// those of the pretrained model. The optimizer section's weight_decay and
// lr_scheduler, and the model section, hold the fine-tuning options.
type finetuneFile struct {
	Data      config.DataConfig      `yaml:"data"`
	Trainer   config.TrainerConfig   `yaml:"trainer"`
	Optimizer config.OptimizerConfig `yaml:"optimizer"`
	Model     finetuneModel          `yaml:"model"`
}

// finetuneModel is the network and the options of gotabular.FinetuneOptions
// and FinetuneRun under yaml names.
type finetuneModel struct {
	Head            models.HeadConfig `yaml:"head"`
	LearningRate    float64           `yaml:"learning_rate"`     // 0: the pretraining one
	BackboneLRScale *float64          `yaml:"backbone_lr_scale"` // nil: 1
	EncoderDropout  *float64          `yaml:"encoder_dropout"`   // nil: the pretrained encoder's
	ProbeEpochs     int               `yaml:"probe_epochs"`
	DeepFeatures    bool              `yaml:"deep_features"`
}

// readConfigFile decodes the YAML file at path over *dst, which holds the
// defaults. Every key must be a field of dst: a misspelt key is an error
// naming the line, the section and the fields there are, rather than a
// setting silently ignored.
func readConfigFile(path string, dst any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file changes nothing
		}
		return fmt.Errorf("%s: %s", path, yamlMessage(err))
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: holds more than one YAML document; want one", path)
	}
	if err := checkNode(&doc, reflect.TypeOf(dst), ""); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	clearReplaced(&doc, reflect.ValueOf(dst))
	oneModelRepeats(&doc, dst)
	// checkNode found the mistakes it knows of; the decoder is strict as
	// well, for any it does not.
	dec = yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%s: %s", path, yamlMessage(err))
	}
	return nil
}

// oneModelRepeats sets the default repeats of the cross-fitting to 1 when
// the file asks for one model (trainer.folds 0 or 1) and says nothing of
// repeats, as -folds does: the default ensemble's repeats have nothing to
// repeat then, and refusing the file for them would blame the user for a
// default.
func oneModelRepeats(doc *yaml.Node, dst any) {
	tc, ok := trainerField(dst)
	if !ok {
		return
	}
	trainer := mappingValue(doc, "trainer")
	folds := mappingValue(trainer, "folds")
	if folds == nil || mappingValue(trainer, "fold_repeats") != nil {
		return
	}
	if n, err := strconv.Atoi(folds.Value); err == nil && n < 2 {
		tc.FoldRepeats = 1
	}
}

// trainerField returns the trainer config of a config file's struct.
func trainerField(dst any) (*config.TrainerConfig, bool) {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	f := v.Elem().FieldByName("Trainer")
	if !f.IsValid() || !f.CanAddr() {
		return nil, false
	}
	tc, ok := f.Addr().Interface().(*config.TrainerConfig)
	return tc, ok
}

// mappingValue returns the value of key in the mapping n (or in the
// mapping a document node holds), or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// replacedWhole reports whether a mapping of the file for a value of type
// t replaces the default value whole instead of changing its fields: a
// numerical embedding's fields belong to its kind, so one of another kind
// must not keep the default's.
func replacedWhole(t reflect.Type) bool {
	return t == reflect.TypeFor[models.NumEmbeddingConfig]()
}

// clearReplaced zeroes the fields of v that the YAML node n sets and that
// it replaces whole, before n is decoded over v.
func clearReplaced(n *yaml.Node, v reflect.Value) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			clearReplaced(c, v)
		}
		return
	}
	if n.Kind != yaml.MappingNode || v.Kind() != reflect.Struct {
		return
	}
	if replacedWhole(v.Type()) {
		v.SetZero()
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if f, ok := yamlField(v, n.Content[i].Value); ok {
			clearReplaced(n.Content[i+1], f)
		}
	}
}

// yamlMessage puts the yaml package's errors on one line.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", " ")
}

// checkNode checks the YAML node n against the Go type t it will be
// decoded into: mapping keys against struct fields, lists against slices
// and scalars against numbers and booleans. Errors say where: the line and
// the dotted path of the value.
func checkNode(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil // a type that decodes itself checks itself
	}
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			if err := checkNode(c, t, path); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind == yaml.AliasNode || n.Tag == "!!null" {
		return nil
	}
	where := func() string {
		if path == "" {
			return fmt.Sprintf("line %d", n.Line)
		}
		return fmt.Sprintf("line %d: %s", n.Line, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping of %s, got %s", where(), strings.Join(yamlFieldNames(t), ", "), describe(n))
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue // a merge key: left to the decoder
			}
			ft, ok := fields[k.Value]
			if !ok {
				names := yamlFieldNames(t)
				msg := fmt.Sprintf("line %d: unknown field %q", k.Line, k.Value)
				if path != "" {
					msg += " in " + path
				}
				if s := closest(k.Value, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return fmt.Errorf("%s; the fields are %s", msg, strings.Join(names, ", "))
			}
			if err := checkNode(v, ft, joinPath(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping such as {name: value}, got %s", where(), describe(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkNode(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s: want a list such as [a, b], got %s", where(), describe(n))
		}
		for i, c := range n.Content {
			if err := checkNode(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: want a single %s, got %s", where(), kindName(t), describe(n))
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return fmt.Errorf("%s: %q is not a valid %s", where(), n.Value, kindName(t))
		}
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.Kind().String()
}

// yamlFields maps the yaml names of the exported fields of struct t to
// their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		if name := yamlName(f); name != "" {
			m[name] = f.Type
		}
	}
	return m
}

func yamlFieldNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if name := yamlName(f); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// yamlName is the key of a field as the yaml package decodes it.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch tag {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return tag
}

// closest returns the name nearest to s by edit distance, if it is near
// enough to be the likely intent.
func closest(s string, names []string) string {
	best, bestD := "", max(2, len(s)/3)+1
	for _, n := range names {
		if d := editDistance(strings.ToLower(s), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// configHelp lists the keys of a -config file, given as a pointer to one
// of the file structs, for a command's help, from the struct tags, so
// that the list cannot fall out of step with what is accepted.
func configHelp(file any) string {
	var b strings.Builder
	b.WriteString("Config file (-config): YAML with the keys below; the examples in\ncmd/gotabular/testdata of the source explain them.\n")
	t := reflect.TypeOf(file).Elem()
	for f := range t.Fields() {
		section := yamlName(f)
		keys := strings.Join(keyList(f.Type), ", ")
		wrap(&b, fmt.Sprintf("  %-11s", section+":"), keys, 76)
	}
	return b.String()
}

// keyLister is a section type whose keys are not its fields.
type keyLister interface{ helpKeys() []string }

// keyList lists the keys of struct t, with the keys of nested structs in
// braces.
func keyList(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if k, ok := reflect.New(t).Interface().(keyLister); ok {
		return k.helpKeys()
	}
	var keys []string
	for f := range t.Fields() {
		name := yamlName(f)
		if name == "" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			name += " {" + strings.Join(keyList(ft), ", ") + "}"
		}
		keys = append(keys, name)
	}
	return keys
}

// paragraph breaks text into lines of at most 72 columns.
func paragraph(text string) string {
	var b strings.Builder
	wrap(&b, "", text, 72)
	return strings.TrimSuffix(b.String(), "\n")
}

// wrap writes prefix and text, breaking text at spaces to keep lines
// within width, continuation lines indented like the text.
func wrap(b *strings.Builder, prefix, text string, width int) {
	indent := strings.Repeat(" ", len(prefix))
	line, fresh := prefix, true
	for _, w := range strings.Fields(text) {
		if !fresh && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line, fresh = indent, true
		}
		if !fresh {
			line += " "
		}
		line, fresh = line+w, false
	}
	b.WriteString(line + "\n")
}
