package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
)

// requestError is an answer other than 200, with what the client needs to
// find the fault: the row (1-based), column and value where there is one.
type requestError struct {
	status int
	msg    string
	row    int
	column string
	value  string
	hasVal bool
}

func (e *requestError) Error() string { return e.msg }

// badValue is the error for the value raw of column col in row i (0-based).
func badValue(i int, col, raw, format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, row: i + 1, column: col, value: raw, hasVal: true,
		msg: fmt.Sprintf("row %d, column %q: %s", i+1, col, fmt.Sprintf(format, args...))}
}

// schema is what the server needs of a model to read rows for it: the
// columns it reads and their kinds, and the names of its outputs.
type schema struct {
	columns  []column
	byName   map[string]int
	target   string // "" for a pretrained model
	task     string // classification, regression or features
	classes  []string
	quoted   [][]byte // the classes as JSON strings
	csvKinds data.ReadOptions
	names    string // the column names, listed for error messages
}

type column struct {
	name string
	cat  bool
}

func newSchema(m *gotabular.TabularModel) *schema {
	p := m.Preprocessor()
	s := &schema{byName: map[string]int{}, task: "features", csvKinds: data.ReadOptions{Kinds: map[string]data.Kind{}}}
	// The input columns, not the derived features: a request gives a
	// date, and the calendar features are computed from it.
	names, kinds := p.Inputs()
	for i, name := range names {
		s.byName[name] = len(s.columns)
		s.columns = append(s.columns, column{name: name, cat: kinds[i] == data.Categorical})
		s.csvKinds.Kinds[name] = kinds[i]
	}
	if t := m.Target(); t != nil && m.Kind() != gotabular.Pretrained {
		s.target, s.task, s.classes = t.Name, t.Task, t.Classes
		for _, c := range t.Classes {
			s.quoted = append(s.quoted, quoteJSON(c))
		}
	}
	var b strings.Builder
	for i, c := range s.columns {
		if i == 30 {
			fmt.Fprintf(&b, " and %d more (GET /v1/model lists them)", len(s.columns)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(c.name))
	}
	s.names = b.String()
	return s
}

// read reads the rows of a request body into a table of the model's
// columns.
func (s *schema) read(body io.Reader, contentType string, opt Options) (*data.Table, error) {
	mediaType := "application/json"
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil {
			return nil, &requestError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type %q: %v", contentType, err)}
		}
		mediaType = mt
	}
	switch mediaType {
	case "text/csv":
		return s.readCSV(body, opt)
	case "application/json", "text/json", "text/plain", "application/x-www-form-urlencoded":
		// curl -d sends the last of these unless told otherwise; the body
		// is JSON all the same.
		return s.readJSON(body, opt)
	}
	return nil, &requestError{status: http.StatusUnsupportedMediaType,
		msg: fmt.Sprintf("Content-Type %q: send application/json or text/csv", contentType)}
}

// bodyError turns an error of reading the body into an answer: 413 if the
// body is over the limit.
func bodyError(err error, opt Options) *requestError {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &requestError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("the request body is over the limit of %d bytes: send fewer rows per request", opt.MaxBodyBytes)}
	}
	return nil
}

func tooManyRows(opt Options) *requestError {
	return &requestError{status: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("more than %d rows in one request: send them in several", opt.MaxRows)}
}

func (s *schema) readCSV(body io.Reader, opt Options) (*data.Table, error) {
	t, err := data.ParseCSV(body, "request", s.csvKinds)
	if err != nil {
		if e := bodyError(err, opt); e != nil {
			return nil, e
		}
		re := &requestError{status: http.StatusBadRequest, msg: err.Error()}
		var de *data.Error
		if errors.As(err, &de) {
			re.row, re.column = de.Row, de.Column
		}
		return nil, re
	}
	if t.Rows > opt.MaxRows {
		return nil, tooManyRows(opt)
	}
	for _, c := range s.columns {
		if _, err := t.Col(c.name); err != nil {
			return nil, &requestError{status: http.StatusBadRequest, column: c.name,
				msg: fmt.Sprintf("the CSV header has no column %q, which the model reads; its columns are %s", c.name, s.names)}
		}
	}
	return t, nil
}

// tableBuilder collects the rows of a JSON request column by column.
type tableBuilder struct {
	s      *schema
	floats [][]float32
	codes  [][]int32
	dicts  [][]string
	index  []map[string]int32
	rows   int
	seen   []int // seen[j] == rows+1: column j was set in the current row
}

func (s *schema) newBuilder() *tableBuilder {
	n := len(s.columns)
	return &tableBuilder{s: s, floats: make([][]float32, n), codes: make([][]int32, n), dicts: make([][]string, n),
		index: make([]map[string]int32, n), seen: make([]int, n)}
}

// readJSON reads {"rows": [...]} or a bare array of row objects.
func (s *schema) readJSON(body io.Reader, opt Options) (*data.Table, error) {
	all, err := io.ReadAll(body)
	if err != nil {
		if e := bodyError(err, opt); e != nil {
			return nil, e
		}
		return nil, &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf("reading the request: %v", err)}
	}
	if t, ok := s.scanRows(all, opt.MaxRows); ok {
		return t, nil
	}
	return s.decodeRows(all, opt)
}

// decodeRows reads the rows of a JSON body with encoding/json, to say
// precisely what is wrong with a body that scanRows did not take. The rows
// are decoded one at a time, so that an error names its row.
func (s *schema) decodeRows(all []byte, opt Options) (*data.Table, error) {
	dec := json.NewDecoder(bytes.NewReader(all))
	dec.UseNumber()
	fail := func(err error, where string) error {
		if e := bodyError(err, opt); e != nil {
			return e
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf("bad JSON%s: %v", where, err)}
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, &requestError{status: http.StatusBadRequest, msg: `empty body: send {"rows": [{"column": value, ...}, ...]}`}
		}
		return nil, fail(err, "")
	}
	wantRows := `: want {"rows": [{"column": value, ...}, ...]} or a list of such row objects`
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		found := false
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, fail(err, "")
			}
			if key != "rows" || found {
				return nil, &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf("unexpected key %q%s", key, wantRows)}
			}
			found = true
			list, err := dec.Token()
			if err != nil {
				return nil, fail(err, "")
			}
			if list != json.Delim('[') {
				return nil, &requestError{status: http.StatusBadRequest, msg: `"rows" must be a list of row objects` + wantRows}
			}
			break
		}
		if !found {
			return nil, &requestError{status: http.StatusBadRequest, msg: "no rows" + wantRows}
		}
	default:
		return nil, &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf("unexpected %v%s", tok, wantRows)}
	}
	b := s.newBuilder()
	var row map[string]json.RawMessage
	for dec.More() {
		if b.rows == opt.MaxRows {
			return nil, tooManyRows(opt)
		}
		clear(row)
		if err := dec.Decode(&row); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, &requestError{status: http.StatusBadRequest, row: b.rows + 1,
					msg: fmt.Sprintf("row %d: want an object of column: value, not a JSON %s", b.rows+1, te.Value)}
			}
			return nil, fail(err, fmt.Sprintf(" in row %d", b.rows+1))
		}
		if err := b.add(row); err != nil {
			return nil, err
		}
	}
	// The closing bracket of the list, and the brace around it.
	if _, err := dec.Token(); err != nil {
		return nil, fail(err, "")
	}
	if tok == json.Delim('{') {
		if dec.More() {
			return nil, &requestError{status: http.StatusBadRequest, msg: `unexpected key after "rows"` + wantRows}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fail(err, "")
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return nil, &requestError{status: http.StatusBadRequest, msg: "unexpected data after the rows"}
		}
		return nil, fail(err, " after the rows")
	}
	if b.rows == 0 {
		return nil, &requestError{status: http.StatusBadRequest, msg: "no rows"}
	}
	return b.table(), nil
}

// add appends one row; row i of the request is b.rows before the call.
func (b *tableBuilder) add(row map[string]json.RawMessage) error {
	for name, raw := range row {
		if err := b.field([]byte(name), raw); err != nil {
			return err
		}
	}
	b.endRow()
	return nil
}

// field sets column name of the current row to the JSON value raw.
func (b *tableBuilder) field(name, raw []byte) error {
	i := b.rows
	j, ok := b.s.byName[string(name)]
	if !ok {
		if string(name) == b.s.target {
			return nil
		}
		return &requestError{status: http.StatusBadRequest, row: i + 1, column: string(name),
			msg: fmt.Sprintf("row %d: unknown column %q%s; the model's columns are %s", i+1, name, b.s.suggest(string(name)), b.s.names)}
	}
	b.seen[j] = i + 1
	if b.s.columns[j].cat {
		return b.addCategory(i, j, raw)
	}
	v, err := b.number(i, j, raw)
	if err != nil {
		return err
	}
	b.floats[j] = append(b.floats[j], v)
	return nil
}

// endRow completes the current row: columns it left out are missing
// values.
func (b *tableBuilder) endRow() {
	i := b.rows
	for j, c := range b.s.columns {
		if b.seen[j] == i+1 {
			continue
		}
		if c.cat {
			b.codes[j] = append(b.codes[j], -1)
		} else {
			b.floats[j] = append(b.floats[j], float32(math.NaN()))
		}
	}
	b.rows++
}

// jsonString returns the text of the JSON string raw: without a copy if
// it has no escapes.
func jsonString(raw []byte) ([]byte, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return nil, err
	}
	return []byte(str), nil
}

// number reads the value of continuous column j: a number, or a string
// holding one, as in a CSV file; null and "" are missing.
func (b *tableBuilder) number(i, j int, raw []byte) (float32, error) {
	name := b.s.columns[j].name
	raw = bytes.TrimSpace(raw)
	text := raw
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return float32(math.NaN()), nil
	case raw[0] == '"':
		str, err := jsonString(raw)
		if err != nil {
			return 0, badValue(i, name, string(raw), "%v", err)
		}
		if str = bytes.TrimSpace(str); len(str) == 0 {
			return float32(math.NaN()), nil
		}
		text = str
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
	default:
		return 0, badValue(i, name, string(raw), "%s is not a number, but the column is continuous", raw)
	}
	v, err := strconv.ParseFloat(string(text), 32)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, badValue(i, name, string(text), "%s is beyond the range of float32", text)
	case err != nil || math.IsInf(v, 0) || math.IsNaN(v):
		return 0, badValue(i, name, string(text), "%q is not a number, but the column is continuous", text)
	}
	return float32(v), nil
}

// addCategory reads the value of categorical column j: a string, or a
// number taken as its text (a code such as 3 matches the level "3"); null
// and "" are missing. A level the model never saw is not an error: the
// model has a code for unknown levels.
func (b *tableBuilder) addCategory(i, j int, raw []byte) error {
	name := b.s.columns[j].name
	raw = bytes.TrimSpace(raw)
	var text []byte
	switch {
	case len(raw) == 0 || string(raw) == "null":
		b.codes[j] = append(b.codes[j], -1)
		return nil
	case raw[0] == '"':
		var err error
		if text, err = jsonString(raw); err != nil {
			return badValue(i, name, string(raw), "%v", err)
		}
		if !utf8.Valid(text) {
			return badValue(i, name, string(raw), "not valid UTF-8 text")
		}
		text = bytes.TrimSpace(text)
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		text = raw
	case raw[0] == 't' || raw[0] == 'f':
		return badValue(i, name, string(raw), "%s is a JSON boolean; send the category as text, as it is written in the training data", raw)
	default:
		return badValue(i, name, string(raw), "want the category as a string, not %s", describeJSON(raw))
	}
	if len(text) == 0 {
		b.codes[j] = append(b.codes[j], -1)
		return nil
	}
	if b.index[j] == nil {
		b.index[j] = map[string]int32{}
	}
	code, ok := b.index[j][string(text)]
	if !ok {
		code = int32(len(b.dicts[j]))
		level := string(text)
		b.index[j][level] = code
		b.dicts[j] = append(b.dicts[j], level)
	}
	b.codes[j] = append(b.codes[j], code)
	return nil
}

func describeJSON(raw []byte) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	}
	return string(raw)
}

func (b *tableBuilder) table() *data.Table {
	t := &data.Table{Source: "request", Rows: b.rows}
	for j, c := range b.s.columns {
		if c.cat {
			t.Columns = append(t.Columns, &data.Column{Name: c.name, Kind: data.Categorical, Codes: b.codes[j], Dict: b.dicts[j]})
		} else {
			t.Columns = append(t.Columns, &data.Column{Name: c.name, Kind: data.Continuous, Floats: b.floats[j]})
		}
	}
	return t
}

// wantsCSV reports whether an Accept header prefers CSV: it names
// text/csv, and JSON not before it.
func wantsCSV(accept string) bool {
	csvAt := strings.Index(accept, "text/csv")
	if csvAt < 0 {
		return false
	}
	jsonAt := strings.Index(accept, "application/json")
	return jsonAt < 0 || csvAt < jsonAt
}

// suggest returns ` (did you mean "x"?)` for an unknown column name that
// differs from the model's column x only in case or in how its words are
// joined ("hours-per-week" for "hours_per_week"), or "".
func (s *schema) suggest(name string) string {
	fold := func(n string) string {
		return strings.Map(func(r rune) rune {
			switch r {
			case '-', '_', ' ', '.':
				return -1
			}
			return unicode.ToLower(r)
		}, n)
	}
	f := fold(name)
	for _, c := range s.columns {
		if fold(c.name) == f {
			return fmt.Sprintf(" (did you mean %q?)", c.name)
		}
	}
	return ""
}
