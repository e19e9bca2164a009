package serve

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
)

// answer is what /v1/predict or /v1/embed computed for the rows of a
// request, in row order.
type answer struct {
	task   string // config.Classification, config.Regression, "features", or "" for /v1/embed
	labels []string
	values []float64
	// matrix holds the class probabilities, or the features; its rows are
	// views of the model's output.
	matrix [][]float32
}

// rowsOf is the rows of a model's output matrix (a *tensor.Mat, whose
// package the server has no need to name).
func rowsOf[M interface{ Row(int) []float32 }](m M, n int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = m.Row(i)
	}
	return out
}

func predictAnswer(p *gotabular.Predictions, n int) answer {
	a := answer{task: p.Task, labels: p.Labels, values: p.Values}
	switch {
	case p.Probabilities != nil:
		a.matrix = rowsOf(p.Probabilities, n)
	case p.Features != nil:
		a.matrix = rowsOf(p.Features, n)
	}
	return a
}

// checkFinite refuses to pass on an output that is not a finite number:
// JSON cannot carry it, and a client reading it from CSV would take NaN
// for a prediction.
func (a *answer) checkFinite() error {
	bad := func(i int, v float64) error {
		return &requestError{status: http.StatusUnprocessableEntity, row: i + 1,
			msg: fmt.Sprintf("row %d: the model's output is %v, not a finite number; check the row's values for extremes", i+1, v)}
	}
	for i, v := range a.values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad(i, v)
		}
	}
	for i, row := range a.matrix {
		for _, v := range row {
			if v != v || math.IsInf(float64(v), 0) {
				return bad(i, float64(v))
			}
		}
	}
	return nil
}

// appendJSON encodes the answer by hand: encoding/json would go through
// reflection for every number, the larger part of answering a big request.
func (a *answer) appendJSON(b []byte, s *schema) []byte {
	b = append(b, '{')
	if a.task != "" {
		b = append(b, `"task":`...)
		b = strconv.AppendQuote(b, a.task) // one of three plain names
		b = append(b, ',')
	}
	switch a.task {
	case config.Classification:
		b = appendKey(b, "target", s.target)
		b = append(b, `"classes":[`...)
		for k, q := range s.quoted {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, q...)
		}
		b = append(b, `],"labels":[`...)
		index := make(map[string]int, len(s.classes))
		for k, c := range s.classes {
			index[c] = k
		}
		for i, l := range a.labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, s.quoted[index[l]]...)
		}
		b = append(b, `],"probabilities":`...)
		b = appendMatrix(b, a.matrix)
	case config.Regression:
		b = appendKey(b, "target", s.target)
		b = append(b, `"values":[`...)
		for i, v := range a.values {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, v, 'g', -1, 32)
		}
		b = append(b, ']')
	default:
		b = append(b, `"features":`...)
		b = appendMatrix(b, a.matrix)
	}
	return append(b, "}\n"...)
}

func appendKey(b []byte, key, value string) []byte {
	q := quoteJSON(value)
	b = append(b, '"')
	b = append(b, key...)
	b = append(b, `":`...)
	b = append(b, q...)
	return append(b, ',')
}

func appendMatrix(b []byte, rows [][]float32) []byte {
	b = append(b, '[')
	for i, row := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

// writeCSV writes the answer with the columns of `gotabular predict` and
// `gotabular embed`.
func (a *answer) writeCSV(w io.Writer, s *schema) error {
	var header []string
	switch a.task {
	case config.Classification:
		for _, c := range s.classes {
			header = append(header, s.target+"_"+c+"_probability")
		}
		header = append(header, s.target+"_prediction")
	case config.Regression:
		header = []string{s.target + "_prediction"}
	default:
		if len(a.matrix) > 0 {
			for j := range a.matrix[0] {
				header = append(header, "feature_"+strconv.Itoa(j))
			}
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	n := max(len(a.matrix), len(a.values))
	for i := range n {
		switch a.task {
		case config.Regression:
			rec[0] = strconv.FormatFloat(a.values[i], 'g', -1, 32)
		default:
			for j, v := range a.matrix[i] {
				rec[j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
			}
			if a.task == config.Classification {
				rec[len(rec)-1] = a.labels[i]
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeError answers with an error as JSON.
func writeError(w http.ResponseWriter, err error) {
	re, ok := err.(*requestError)
	if !ok {
		re = &requestError{status: http.StatusInternalServerError, msg: err.Error()}
	}
	body := struct {
		Error  string  `json:"error"`
		Row    int     `json:"row,omitempty"`
		Column string  `json:"column,omitempty"`
		Value  *string `json:"value,omitempty"`
	}{Error: re.msg, Row: re.row, Column: re.column}
	if re.hasVal {
		body.Value = &re.value
	}
	b, err := encodeJSON(body, false)
	if err != nil { // not with strings and ints; but never a panic
		b = []byte(`{"error":"internal error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	// A 413 leaves the rest of the body unread: the connection cannot
	// carry another request.
	if re.status == http.StatusRequestEntityTooLarge {
		h.Set("Connection", "close")
	}
	w.WriteHeader(re.status)
	w.Write(b)
}

// encodeJSON is v in JSON, with a final newline. Unlike json.Marshal it
// leaves <, > and & as they are: the answers are not for HTML, and class
// labels such as "<=50K" should read as they are.
func encodeJSON(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// quoteJSON is s as a JSON string.
func quoteJSON(s string) []byte {
	b, _ := encodeJSON(s, false) // a string always encodes
	return bytes.TrimSuffix(b, []byte("\n"))
}
