package ssl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// A method's own settings are the exported fields of its config beside the
// embedded SSLModelConfig. Struct tags describe each one, so that saved
// models, YAML config files, command-line flags and help texts all follow
// from the struct and a new method needs no code in any of them:
//
//	CorruptionRate float64 `json:"corruption_rate" arg:"rate" help:"share of the features of a row that the positive view replaces"`
//
//   - json is the setting's key in saved models and in the model section
//     of config files (required);
//   - help says what it means, in a phrase;
//   - arg, if present, names the setting's value in flag help; it should
//     be a word of help, which help texts then mark (see [Setting.Usage]);
//   - flag, if present, is the command-line flag's name; by default it is
//     the key with hyphens for underscores.
//
// A setting holds a bool, a string, a number, a list of those, or a map
// from names to those.

// Setting is one of a method's own settings, bound to a config being
// edited (see [Edit]).
type Setting struct {
	// Key names the setting in JSON and YAML, e.g. "corruption_rate".
	Key string
	// Flag is the command-line flag, e.g. "corruption-rate".
	Flag string
	// Help says what the setting means.
	Help string
	// Arg names the value in flag help, e.g. "rate".
	Arg string

	field reflect.Value // addressable
}

// Usage is Help in the flag package's convention: the first occurrence of
// Arg is put in backquotes, which makes it the name of the flag's value.
func (s Setting) Usage() string {
	if s.Arg == "" {
		return s.Help
	}
	if i := strings.Index(s.Help, s.Arg); i >= 0 {
		return s.Help[:i] + "`" + s.Arg + "`" + s.Help[i+len(s.Arg):]
	}
	return "`" + s.Arg + "`: " + s.Help
}

// Type is the setting's Go type.
func (s Setting) Type() reflect.Type { return s.field.Type() }

// Ptr returns a pointer to the setting's field, for decoders to write to.
func (s Setting) Ptr() any { return s.field.Addr().Interface() }

// Value returns the setting's value.
func (s Setting) Value() any { return s.field.Interface() }

// IsBool reports whether the setting is a boolean, which a flag may turn
// on without a value.
func (s Setting) IsBool() bool { return s.field.Kind() == reflect.Bool }

// String returns the value as a flag would take it: lists as "a,b", maps
// as "name=value,name=value" in name order.
func (s Setting) String() string {
	v := s.field
	switch v.Kind() {
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatScalar(v.Index(i))
		}
		return strings.Join(parts, ",")
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k.String() + "=" + formatScalar(v.MapIndex(k))
		}
		return strings.Join(parts, ",")
	}
	return formatScalar(v)
}

// Set parses text as String writes it and stores the value. An empty list
// or map is written as "".
func (s Setting) Set(text string) error {
	v := s.field
	switch v.Kind() {
	case reflect.Slice:
		out := reflect.Zero(v.Type())
		if strings.TrimSpace(text) != "" {
			parts := strings.Split(text, ",")
			out = reflect.MakeSlice(v.Type(), len(parts), len(parts))
			for i, p := range parts {
				if err := parseScalar(out.Index(i), strings.TrimSpace(p)); err != nil {
					return err
				}
			}
		}
		v.Set(out)
		return nil
	case reflect.Map:
		out := reflect.Zero(v.Type())
		if strings.TrimSpace(text) != "" {
			out = reflect.MakeMap(v.Type())
			for p := range strings.SplitSeq(text, ",") {
				name, val, ok := strings.Cut(p, "=")
				name = strings.TrimSpace(name)
				if !ok || name == "" {
					return fmt.Errorf("%q: want name=value pairs separated by commas", p)
				}
				e := reflect.New(v.Type().Elem()).Elem()
				if err := parseScalar(e, strings.TrimSpace(val)); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				out.SetMapIndex(reflect.ValueOf(name).Convert(v.Type().Key()), e)
			}
		}
		v.Set(out)
		return nil
	}
	return parseScalar(v, strings.TrimSpace(text))
}

func formatScalar(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	}
	return fmt.Sprint(v.Interface())
}

func parseScalar(v reflect.Value, text string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q is not true or false", text)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer", text)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(text, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a non-negative integer", text)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(text, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", text)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("settings of type %s cannot be parsed", v.Type())
	}
	return nil
}

func scalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// Editor edits a copy of a config by setting name: the command line and
// config files set a method's settings through it.
type Editor struct {
	v        reflect.Value // the config struct, addressable
	common   *SSLModelConfig
	settings []Setting
}

var commonType = reflect.TypeFor[SSLModelConfig]()

// Edit returns an editor of a copy of c. It fails if c is not a struct
// embedding SSLModelConfig or a field breaks the rules of the struct tags
// (see [Setting]); a method's tests should call it on its NewConfig.
func Edit(c Config) (*Editor, error) {
	if c == nil {
		return nil, fmt.Errorf("ssl: Edit of a nil config")
	}
	v := reflect.New(reflect.TypeOf(c)).Elem()
	v.Set(reflect.ValueOf(c))
	return edit(v)
}

// edit makes an editor of the addressable config struct v in place.
func edit(v reflect.Value) (*Editor, error) {
	t := v.Type()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("ssl: config %s is not a struct", t)
	}
	e := &Editor{v: v}
	seen := map[string]bool{"common": true}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type == commonType {
			e.common = v.Field(i).Addr().Interface().(*SSLModelConfig)
			continue
		}
		if !f.IsExported() {
			continue
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch key {
		case "-":
			continue
		case "":
			return nil, fmt.Errorf("ssl: config %s: field %s has no json tag to name the setting", t, f.Name)
		}
		if seen[key] {
			return nil, fmt.Errorf("ssl: config %s: the key %q is used twice", t, key)
		}
		seen[key] = true
		if err := checkSettingType(f.Type); err != nil {
			return nil, fmt.Errorf("ssl: config %s: field %s: %w", t, f.Name, err)
		}
		flag := f.Tag.Get("flag")
		if flag == "" {
			flag = strings.ReplaceAll(key, "_", "-")
		}
		e.settings = append(e.settings, Setting{Key: key, Flag: flag, Help: f.Tag.Get("help"), Arg: f.Tag.Get("arg"), field: v.Field(i)})
	}
	if e.common == nil {
		return nil, fmt.Errorf("ssl: config %s does not embed ssl.SSLModelConfig", t)
	}
	return e, nil
}

func checkSettingType(t reflect.Type) error {
	switch {
	case scalarKind(t.Kind()):
		return nil
	case t.Kind() == reflect.Slice && scalarKind(t.Elem().Kind()):
		return nil
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && scalarKind(t.Elem().Kind()):
		return nil
	}
	return fmt.Errorf("type %s: a setting holds a bool, string or number, a list of them, or a map from names to them", t)
}

// Common returns the shared settings of the config being edited.
func (e *Editor) Common() *SSLModelConfig { return e.common }

// Settings returns the method's own settings, in the order of the fields.
func (e *Editor) Settings() []Setting { return e.settings }

// Setting returns the setting with the given key.
func (e *Editor) Setting(key string) (Setting, bool) {
	for _, s := range e.settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

// Keys lists the keys of the settings.
func (e *Editor) Keys() []string {
	keys := make([]string, len(e.settings))
	for i, s := range e.settings {
		keys[i] = s.Key
	}
	return keys
}

// Config returns the edited config.
func (e *Editor) Config() Config { return e.v.Interface().(Config) }

// MarshalSettings writes a config as a JSON object: the shared settings
// under "common", then each of the method's own settings under its key.
// Methods implement MarshalJSON with it; json.Marshal of the config itself
// would otherwise use the embedded SSLModelConfig's MarshalJSON, which
// stands for the whole.
func MarshalSettings(c Config) ([]byte, error) {
	e, err := Edit(c)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	common, err := e.common.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b.WriteString(`{"common":`)
	b.Write(common)
	for _, s := range e.settings {
		v, err := json.Marshal(s.Value())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Key, err)
		}
		key, _ := json.Marshal(s.Key)
		b.WriteByte(',')
		b.Write(key)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalSettings reads what MarshalSettings wrote into *dst, a pointer
// to a config struct. A setting missing from b keeps the value *dst holds,
// so decoding over a method's NewConfig gives an older file, written
// before a setting existed, that setting's default. An unknown key is an
// error.
func UnmarshalSettings(b []byte, dst any) error {
	p := reflect.ValueOf(dst)
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return fmt.Errorf("ssl: UnmarshalSettings needs a pointer to a config, got %T", dst)
	}
	e, err := edit(p.Elem())
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	raw, ok := fields["common"]
	if !ok {
		return fmt.Errorf("the shared settings (common) are missing")
	}
	if err := e.common.UnmarshalJSON(raw); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(fields)) {
		if key == "common" {
			continue
		}
		s, ok := e.Setting(key)
		if !ok {
			return fmt.Errorf("unknown setting %q; the settings are common, %s", key, strings.Join(e.Keys(), ", "))
		}
		s.field.Set(reflect.Zero(s.Type())) // so that null is the zero value and maps are not merged
		if err := json.Unmarshal(fields[key], s.Ptr()); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// LegacyZeros reports whether b, a config as MarshalSettings writes it,
// dates from before every zero was taken as written, when a zero could
// stand for a method's default. A method that had such defaults reads
// those files with the values they meant.
func LegacyZeros(b []byte) bool {
	var v struct {
		Common struct {
			Version int `json:"version"`
		} `json:"common"`
	}
	return json.Unmarshal(b, &v) == nil && v.Common.Version < wireVersion
}
