package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/ssl"
)

// The self-supervised methods reach the command line through the ssl
// registry alone: pretrain's -method takes a registered name or alias,
// each method's own settings become flags and keys of the model section
// of the config file, and the help lists them, all from what the method
// registered and from the struct tags of its config. Adding a method
// needs nothing here.

// defaultMethod is pretrain's method when neither -method nor the config
// file names one.
const defaultMethod = "dae"

// sslModel is the model section of pretrain's config file: the method,
// the settings every method shares (under the keys they have always had),
// and the chosen method's own settings.
type sslModel struct {
	method ssl.Method
	shared sslShared
	edit   *ssl.Editor
	keys   map[string]int // the settings the file set, by key: the line
}

// sslShared are the shared settings as the config file names them.
type sslShared struct {
	Method                        string                    `yaml:"method"`
	Encoder                       backboneSection           `yaml:"encoder"`
	Decoder                       *backboneSection          `yaml:"decoder"` // nil: identity
	EmbeddingDims                 map[string]int            `yaml:"embedding_dims"`
	EmbeddingDropout              float64                   `yaml:"embedding_dropout"`
	BatchNormContinuousInput      bool                      `yaml:"batch_norm_continuous_input"`
	NumEmbedding                  models.NumEmbeddingConfig `yaml:"num_embedding"`
	MaxOnehotCardinality          int                       `yaml:"max_onehot_cardinality"`
	IncludeInputFeaturesInference bool                      `yaml:"include_input_features_inference"`
	LearningRate                  float64                   `yaml:"learning_rate"`
	Seed                          uint64                    `yaml:"seed"`
}

// newSSLModel starts the model section from the method's defaults and the
// default network's embedding layer and encoder, so that pretrain followed
// by finetune builds the network that fit builds.
func newSSLModel(m ssl.Method) (*sslModel, error) {
	e, err := ssl.Edit(m.New())
	if err != nil {
		return nil, err
	}
	c := e.Common()
	net := gotabular.DefaultNetwork().SSL()
	c.EmbeddingDims, c.EmbeddingDropout, c.BatchNormContinuousInput = net.EmbeddingDims, net.EmbeddingDropout, net.BatchNormContinuousInput
	c.NumEmbedding, c.MaxOnehotCardinality = net.NumEmbedding, net.MaxOnehotCardinality
	s := sslShared{
		Method: m.Name, Encoder: backboneSection{config: net.EncoderConfig}, EmbeddingDims: c.EmbeddingDims, EmbeddingDropout: c.EmbeddingDropout,
		BatchNormContinuousInput: c.BatchNormContinuousInput, NumEmbedding: c.NumEmbedding, MaxOnehotCardinality: c.MaxOnehotCardinality,
		IncludeInputFeaturesInference: c.IncludeInputFeaturesInference, LearningRate: c.LearningRate, Seed: c.Seed,
	}
	if c.DecoderConfig != nil {
		s.Decoder = &backboneSection{config: c.DecoderConfig}
	}
	return &sslModel{method: m, shared: s, edit: e, keys: map[string]int{}}, nil
}

// config returns the method's config with the shared settings filled in.
func (m *sslModel) config() ssl.Config {
	c := m.edit.Common()
	s := m.shared
	c.EncoderConfig = s.Encoder.config
	c.DecoderConfig = nil // an interface holding a nil pointer would not mean identity
	if s.Decoder != nil && s.Decoder.config != nil {
		c.DecoderConfig = s.Decoder.config
	}
	c.EmbeddingDims, c.EmbeddingDropout, c.BatchNormContinuousInput = s.EmbeddingDims, s.EmbeddingDropout, s.BatchNormContinuousInput
	c.NumEmbedding = s.NumEmbedding
	c.MaxOnehotCardinality, c.IncludeInputFeaturesInference = s.MaxOnehotCardinality, s.IncludeInputFeaturesInference
	c.LearningRate, c.Seed = s.LearningRate, s.Seed
	return m.edit.Config()
}

// keyNames lists the keys the section takes for the method: the shared
// ones, then the method's.
func (m *sslModel) keyNames() []string {
	return append(yamlFieldNames(reflect.TypeFor[sslShared]()), m.edit.Keys()...)
}

// helpKeys implements [keyLister] for configHelp, before any method is
// chosen.
func (*sslModel) helpKeys() []string {
	return append(keyList(reflect.TypeFor[sslShared]()), "and the method's settings, listed with its flags below")
}

// UnmarshalYAML implements [yaml.Unmarshaler]: a key is a shared setting
// or one of the method's, checked like the rest of the file.
func (m *sslModel) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: model: want a mapping of settings, got %s", n.Line, describe(n))
	}
	shared := reflect.ValueOf(&m.shared).Elem()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := "model." + k.Value
		var dst reflect.Value
		if f, ok := yamlField(shared, k.Value); ok {
			dst = f
		} else if s, ok := m.edit.Setting(k.Value); ok {
			dst = reflect.ValueOf(s.Ptr()).Elem()
		} else {
			names := m.keyNames()
			msg := fmt.Sprintf("line %d: unknown field %q in model for method %s", k.Line, k.Value, m.method.Name)
			if others := settingOf(k.Value); len(others) > 0 {
				msg += fmt.Sprintf(" (it belongs to %s)", strings.Join(others, " and "))
			} else if s := closest(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return fmt.Errorf("%s; the fields are %s", msg, strings.Join(names, ", "))
		}
		if err := checkNode(v, dst.Type(), path); err != nil {
			return err
		}
		if k.Value != "method" {
			m.keys[k.Value] = k.Line
		}
		if dst.Kind() == reflect.Map || dst.Kind() == reflect.Slice || replacedWhole(dst.Type()) {
			dst.Set(reflect.Zero(dst.Type())) // the file's value replaces the default, not adds to it
		}
		if err := v.Decode(dst.Addr().Interface()); err != nil {
			return fmt.Errorf("line %d: %s: %s", v.Line, path, yamlMessage(err))
		}
	}
	return nil
}

// settingOf lists the methods that have a setting with the given key, as
// "SCARF, method: scarf".
func settingOf(key string) []string {
	var out []string
	for _, m := range ssl.Methods() {
		if e, err := ssl.Edit(m.New()); err == nil {
			if _, ok := e.Setting(key); ok {
				out = append(out, fmt.Sprintf("%s, method: %s", m.Name, methodAlias(m)))
			}
		}
	}
	return out
}

// yamlField returns the field of struct v with the given yaml key.
func yamlField(v reflect.Value, key string) (reflect.Value, bool) {
	for i := range v.NumField() {
		if yamlName(v.Type().Field(i)) == key {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// fileMethod returns the method that the model section of the config
// file at path names, "" if it names none. A file that cannot be read or
// parsed gives "": reading it in full reports the trouble.
func fileMethod(path string) (name string, line int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0
	}
	var doc struct {
		Model struct {
			Method yaml.Node `yaml:"method"`
		} `yaml:"model"`
	}
	if yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc) != nil {
		return "", 0
	}
	return doc.Model.Method.Value, doc.Model.Method.Line
}

// chooseMethod finds the method named by -method, else by the config
// file, else the default.
func chooseMethod(set map[string]bool, flagValue, configPath string) (ssl.Method, error) {
	if set["method"] {
		m, err := ssl.Lookup(flagValue)
		if err != nil {
			return m, fmt.Errorf("-method: %w", err)
		}
		return m, nil
	}
	if configPath != "" {
		if name, line := fileMethod(configPath); name != "" {
			m, err := ssl.Lookup(name)
			if err != nil {
				return m, fmt.Errorf("%s: line %d: model.method: %w", configPath, line, err)
			}
			return m, nil
		}
	}
	return ssl.Lookup(defaultMethod)
}

// methodFlags are the flags of every registered method's settings. They
// are defined before the method is known (it may come after them on the
// command line, or from the config file); each keeps the text it was
// given, and apply hands the text to the chosen method's setting.
type methodFlags struct {
	flags map[string]*methodFlag // by flag name
}

// methodFlag is one flag name, with the methods that have a setting of
// that name.
type methodFlag struct {
	owners   []ssl.Method
	settings []ssl.Setting // of scratch configs, to check the text's type
	text     string
	set      bool
}

// String implements [flag.Value].
func (f *methodFlag) String() string {
	if f == nil {
		return ""
	}
	return f.text
}

// Set implements [flag.Value]: the text must parse for some method that
// has the flag, so that "-temperature warm" fails as a usage error.
func (f *methodFlag) Set(text string) error {
	var err error
	for _, s := range f.settings {
		if err = s.Set(text); err == nil {
			f.text, f.set = text, true
			return nil
		}
	}
	return err
}

// IsBoolFlag lets a boolean setting be turned on by its flag alone.
func (f *methodFlag) IsBoolFlag() bool { return len(f.settings) > 0 && f.settings[0].IsBool() }

// registerMethodFlags defines the flags of every registered method on fs,
// after the general flags. Methods may share a flag name if they agree on
// whether it is a boolean; a method flag may not take a general flag's
// name. Either mistake is a method's, and every pretrain fails on it, so
// that the tests show it at once.
func registerMethodFlags(fs *flag.FlagSet) (*methodFlags, error) {
	mf := &methodFlags{flags: map[string]*methodFlag{}}
	for _, m := range ssl.Methods() {
		e, err := ssl.Edit(m.New())
		if err != nil {
			return nil, err
		}
		for _, s := range e.Settings() {
			f := mf.flags[s.Flag]
			switch {
			case f == nil && fs.Lookup(s.Flag) != nil:
				return nil, fmt.Errorf("method %s: the flag -%s of its setting %s is a general flag of pretrain; give the setting a flag tag", m.Name, s.Flag, s.Key)
			case f == nil:
				f = &methodFlag{}
				mf.flags[s.Flag] = f
				fs.Var(f, s.Flag, s.Usage())
			case f.IsBoolFlag() != s.IsBool():
				return nil, fmt.Errorf("method %s: the flag -%s is a boolean for one method and not for another", m.Name, s.Flag)
			}
			f.owners = append(f.owners, m)
			f.settings = append(f.settings, s)
		}
	}
	return mf, nil
}

// isMethodFlag reports whether the flag called name is a method's.
func (mf *methodFlags) isMethodFlag(name string) bool { return mf.flags[name] != nil }

// apply sets the settings of m's config named by the flags given, and
// returns the keys set, with their flags. A flag of another method is an
// error naming the methods that have it and listing m's.
func (mf *methodFlags) apply(m *sslModel) (map[string]string, error) {
	byFlag := map[string]ssl.Setting{}
	for _, s := range m.edit.Settings() {
		byFlag[s.Flag] = s
	}
	setBy := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(mf.flags)) {
		f := mf.flags[name]
		if !f.set {
			continue
		}
		s, ok := byFlag[name]
		if !ok {
			var owners []string
			for _, o := range f.owners {
				owners = append(owners, fmt.Sprintf("%s (-method %s)", o.Name, methodAlias(o)))
			}
			return nil, fmt.Errorf("-%s is a setting of %s, not of %s; %s", name, strings.Join(owners, " and "), m.method.Name, takes(m))
		}
		if err := s.Set(f.text); err != nil {
			return nil, fmt.Errorf("-%s: %w", name, err)
		}
		setBy[s.Key] = "-" + name
	}
	return setBy, nil
}

// takes says which flags a method takes of its own.
func takes(m *sslModel) string {
	var flags []string
	for _, s := range m.edit.Settings() {
		flags = append(flags, "-"+s.Flag)
	}
	if len(flags) == 0 {
		return m.method.Name + " has no settings of its own"
	}
	return fmt.Sprintf("%s (-method %s) takes %s", m.method.Name, methodAlias(m.method), strings.Join(flags, ", "))
}

// methodAlias is the name of a method for the command line: its first
// alias, which is short.
func methodAlias(m ssl.Method) string {
	if len(m.Aliases) > 0 {
		return m.Aliases[0]
	}
	return m.Name
}

// checkFlagNames reports a flag in args that fs does not define, before
// fs.Parse would, so that the message can say which method's flags there
// are: fs defines every method's flags, and the one meant may be a typo of
// the chosen method's.
func checkFlagNames(fs *flag.FlagSet, args []string, methodFlagValue string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' || a == "--" {
			return nil // the flag package stops here too
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return nil
		}
		f := fs.Lookup(name)
		if f == nil {
			msg := fmt.Sprintf("flag provided but not defined: -%s", name)
			var all []string
			fs.VisitAll(func(f *flag.Flag) { all = append(all, f.Name) })
			if s := closest(name, all); s != "" {
				msg += fmt.Sprintf(" (did you mean -%s?)", s)
			}
			if m, err := ssl.Lookup(methodFlagValue); err == nil {
				if sm, err := newSSLModel(m); err == nil {
					msg += "; " + takes(sm)
				}
			}
			return usageError(fs, "%s", msg)
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // the flag's value
		}
	}
	return nil
}

// methodArg returns the method that args choose, by -method or by the
// config file given with -config, or the default, for messages about the
// flags before they are parsed.
func methodArg(args []string) string {
	value := func(name string) string {
		v := ""
		for i, a := range args {
			n, val, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			switch {
			case n != name || !strings.HasPrefix(a, "-"):
			case hasValue:
				v = val
			case i+1 < len(args):
				v = args[i+1]
			}
		}
		return v
	}
	if m := value("method"); m != "" {
		return m
	}
	if c := value("config"); c != "" {
		if m, _ := fileMethod(c); m != "" {
			return m
		}
	}
	return defaultMethod
}

// printMethods writes the methods and their flags for -h: each method's
// name and aliases, what it learns, and its settings with their defaults
// as flags and as keys of the model section.
func printMethods(w io.Writer) {
	fmt.Fprintf(w, "\nMethods (-method NAME, or method in the model section of the config file; names are matched without regard to case, the default is %s):\n", defaultMethod)
	def, _ := ssl.Lookup(defaultMethod)
	for _, m := range ssl.Methods() {
		label := m.Label()
		if m.Name == def.Name {
			label += ", the default"
		}
		var b strings.Builder
		wrap(&b, "    ", m.Summary, 76)
		fmt.Fprintf(w, "\n  %s\n%s", label, b.String())
		e, err := ssl.Edit(m.New())
		if err != nil || len(e.Settings()) == 0 {
			fmt.Fprintln(w, "    It has no settings of its own.")
			continue
		}
		fs := flag.NewFlagSet(m.Name, flag.ContinueOnError)
		fs.SetOutput(w)
		for _, s := range e.Settings() {
			fs.Var(settingValue{s}, s.Flag, s.Usage()+" (model."+s.Key+")")
			if s.IsBool() && s.String() == "false" {
				fs.Lookup(s.Flag).DefValue = "" // off by default goes without saying, as for the flag package's own
			}
		}
		fs.PrintDefaults()
	}
}

// settingValue shows a setting's default in help texts.
type settingValue struct{ s ssl.Setting }

func (v settingValue) String() string {
	if v.s.Key == "" {
		return "" // the zero value, which the flag package asks for
	}
	return v.s.String()
}

func (v settingValue) Set(text string) error { return v.s.Set(text) }

func (v settingValue) IsBoolFlag() bool { return v.s.Key != "" && v.s.IsBool() }

// explainConfigError puts the flag or the line of the config file that
// set a setting before an error of the config's validation that names the
// setting's key, so that the message says where to fix it.
func explainConfigError(err error, setByFlag map[string]string, configPath string, fileKeys map[string]int) error {
	msg := err.Error()
	for _, key := range slices.Sorted(maps.Keys(setByFlag)) {
		if strings.Contains(msg, key) {
			return fmt.Errorf("%s: %w", setByFlag[key], err)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(fileKeys)) {
		if strings.Contains(msg, key) {
			return fmt.Errorf("%s: line %d: model.%s: %w", configPath, fileKeys[key], key, err)
		}
	}
	return err
}
