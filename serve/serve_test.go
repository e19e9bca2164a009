package serve_test

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/serve"
)

func newServer(t testing.TB, m *gotabular.TabularModel, opt serve.Options) *serve.Server {
	t.Helper()
	s, err := serve.New(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The answers are the model's own predictions, whichever way the rows
// come and the answer goes.
func TestPredict(t *testing.T) {
	testModels(t)
	test := table(t, rowsCSV(30, 7))
	for _, tc := range []struct {
		name  string
		model *gotabular.TabularModel
		drop  []string // the columns the model does not know; its target is sent, and ignored
	}{
		{"classification", classifier, []string{"amount"}},
		{"regression", regressor, []string{"label"}},
		{"pretrained", pretrainedModel, []string{"amount", "label"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := tc.model.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			s := newServer(t, tc.model, serve.Options{})
			code, body := do(t, s, "POST", "/v1/predict", "application/json", "", jsonRows(test, tc.drop...))
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, body)
			}
			got := decode[result](t, body)
			if got.Task != want.Task {
				t.Errorf("task %q, want %q", got.Task, want.Task)
			}
			switch want.Task {
			case "classification":
				if !reflect.DeepEqual(got.Labels, want.Labels) || !reflect.DeepEqual(got.Classes, want.Classes) || got.Target != "label" {
					t.Errorf("labels %v of classes %v, want %v of %v", got.Labels, got.Classes, want.Labels, want.Classes)
				}
				for i := range test.Rows {
					if !reflect.DeepEqual(got.Probabilities[i], want.Probabilities.Row(i)) {
						t.Fatalf("row %d: probabilities %v, want %v", i+1, got.Probabilities[i], want.Probabilities.Row(i))
					}
				}
			case "regression":
				for i, v := range want.Values {
					if float32(got.Values[i]) != float32(v) {
						t.Fatalf("row %d: value %v, want %v", i+1, got.Values[i], v)
					}
				}
			default:
				for i := range test.Rows {
					if !reflect.DeepEqual(got.Features[i], want.Features.Row(i)) {
						t.Fatalf("row %d: features differ", i+1)
					}
				}
			}

			// CSV in and CSV out: the columns of gotabular predict.
			code, csvBody := do(t, s, "POST", "/v1/predict", "text/csv; charset=utf-8", "text/csv", rowsCSV(30, 7))
			if code != http.StatusOK {
				t.Fatalf("CSV: status %d: %s", code, csvBody)
			}
			recs, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
			if err != nil || len(recs) != test.Rows+1 {
				t.Fatalf("CSV answer of %d records (%v), want %d", len(recs), err, test.Rows+1)
			}
			switch want.Task {
			case "classification":
				if h := strings.Join(recs[0], ","); h != "label_neg_probability,label_pos_probability,label_prediction" {
					t.Errorf("CSV header %s", h)
				}
				for i, rec := range recs[1:] {
					p, _ := strconv.ParseFloat(rec[1], 32)
					if rec[2] != want.Labels[i] || float32(p) != want.Probabilities.At(i, 1) {
						t.Fatalf("CSV row %d: %v, want %s and %v", i+1, rec, want.Labels[i], want.Probabilities.Row(i))
					}
				}
			case "regression":
				if recs[0][0] != "amount_prediction" {
					t.Errorf("CSV header %v", recs[0])
				}
			default:
				if len(recs[0]) != want.Features.Cols || recs[0][0] != "feature_0" {
					t.Errorf("CSV header %v", recs[0])
				}
			}
		})
	}
}

func TestEmbed(t *testing.T) {
	testModels(t)
	test := table(t, rowsCSV(5, 7))
	for _, m := range []*gotabular.TabularModel{classifier, pretrainedModel} {
		want, err := m.Featurize(test)
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(t, m, serve.Options{})
		// A bare list of rows.
		rows := jsonRows(test, "amount", "label")
		rows = strings.TrimSuffix(strings.TrimPrefix(rows, `{"rows":`), "}")
		code, body := do(t, s, "POST", "/v1/embed", "", "", rows)
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		got := decode[result](t, body)
		if got.Task != "" || len(got.Features) != test.Rows {
			t.Fatalf("task %q, %d rows of features", got.Task, len(got.Features))
		}
		for i := range test.Rows {
			if !reflect.DeepEqual(got.Features[i], want.Row(i)) {
				t.Fatalf("%s model, row %d: features differ", m.Kind(), i+1)
			}
		}
	}
}

// A row may leave columns out, or send them as null or "": they are
// missing values, as empty fields of a CSV file are.
func TestMissingValues(t *testing.T) {
	testModels(t)
	s := newServer(t, classifier, serve.Options{})
	want, err := classifier.Predict(table(t, "x1,x2,tiny,colour,city\n0.5,,,,c3\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range []string{
		`[{"x1": 0.5, "city": "c3"}]`,
		`[{"x1": "0.5", "x2": null, "tiny": "", "colour": null, "city": "c3"}]`,
		`{"rows": [{"x1": 0.5, "x2": " ", "colour": "", "city": "c3"}]}`,
	} {
		code, body := do(t, s, "POST", "/v1/predict", "", "", rows)
		if code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", rows, code, body)
		}
		if got := decode[result](t, body); !reflect.DeepEqual(got.Probabilities[0], want.Probabilities.Row(0)) {
			t.Errorf("%s: probabilities %v, want %v", rows, got.Probabilities[0], want.Probabilities.Row(0))
		}
	}
	// A category given as a number is read as its text.
	code, body := do(t, s, "POST", "/v1/predict", "", "", `[{"x1": 0.5, "city": 3}]`)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
}

func TestErrors(t *testing.T) {
	testModels(t)
	s := newServer(t, classifier, serve.Options{MaxBodyBytes: 4 << 10, MaxRows: 20})
	value := func(v string) *string { return &v }
	many := "[" + strings.Repeat(`{"x1": 1},`, 20) + `{"x1": 1}]`
	big := `[{"x1": 1, "colour": "` + strings.Repeat("r", 5<<10) + `"}]`
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int
		want                                  errorBody // the fields to check; Error is a part of the message
	}{
		{"bad JSON", "POST", "/v1/predict", "", `{"rows": [{"x1": 1,}]}`, 400, errorBody{Error: "bad JSON in row 1"}},
		{"truncated", "POST", "/v1/predict", "", `[{"x1": 1}`, 400, errorBody{Error: "bad JSON"}},
		{"empty body", "POST", "/v1/predict", "", ``, 400, errorBody{Error: "empty body"}},
		{"no rows", "POST", "/v1/predict", "", `{"rows": []}`, 400, errorBody{Error: "no rows"}},
		{"other key", "POST", "/v1/predict", "", `{"data": []}`, 400, errorBody{Error: `unexpected key "data"`}},
		{"not rows", "POST", "/v1/predict", "", `"x1"`, 400, errorBody{Error: "want {"}},
		{"row not an object", "POST", "/v1/predict", "", `[{"x1": 1}, [1, 2]]`, 400, errorBody{Error: "row 2: want an object", Row: 2}},
		{"trailing data", "POST", "/v1/predict", "", `[{"x1": 1}] {}`, 400, errorBody{Error: "after the rows"}},
		{"unknown column", "POST", "/v1/predict", "", `[{"x1": 1}, {"x-1": 2}]`, 400,
			errorBody{Error: `row 2: unknown column "x-1" (did you mean "x1"?)`, Row: 2, Column: "x-1"}},
		{"text for a number", "POST", "/v1/predict", "", `[{"x1": 1}, {"x1": 2}, {"x2": "abc"}]`, 400,
			errorBody{Error: `row 3, column "x2": "abc" is not a number`, Row: 3, Column: "x2", Value: value("abc")}},
		{"boolean for a number", "POST", "/v1/predict", "", `[{"x2": true}]`, 400,
			errorBody{Error: "not a number", Row: 1, Column: "x2", Value: value("true")}},
		{"number out of range", "POST", "/v1/predict", "", `[{"x2": 1e39}]`, 400,
			errorBody{Error: "beyond the range of float32", Row: 1, Column: "x2", Value: value("1e39")}},
		{"boolean for a category", "POST", "/v1/predict", "", `[{"colour": false}]`, 400,
			errorBody{Error: "JSON boolean", Row: 1, Column: "colour", Value: value("false")}},
		{"list for a category", "POST", "/v1/embed", "", `[{"colour": ["red"]}]`, 400,
			errorBody{Error: "not a list", Row: 1, Column: "colour", Value: value(`["red"]`)}},
		{"too many rows", "POST", "/v1/predict", "", many, 413, errorBody{Error: "more than 20 rows"}},
		{"body too big", "POST", "/v1/predict", "", big, 413, errorBody{Error: "over the limit of 4096 bytes"}},
		{"CSV body too big", "POST", "/v1/predict", "text/csv", "x1,colour\n1," + strings.Repeat("r", 5<<10) + "\n", 413, errorBody{Error: "over the limit"}},
		{"CSV too many rows", "POST", "/v1/predict", "text/csv", "x1,x2,tiny,colour,city\n" + strings.Repeat("1,2,0,red,c1\n", 21), 413, errorBody{Error: "more than 20 rows"}},
		{"CSV without a column", "POST", "/v1/predict", "text/csv", "x1,x2,colour,city\n1,2,red,c1\n", 400,
			errorBody{Error: `no column "tiny"`, Column: "tiny"}},
		{"CSV bad number", "POST", "/v1/predict", "text/csv", "x1,x2,tiny,colour,city\n1,2,0,red,c1\n1,two,0,red,c1\n", 400,
			errorBody{Error: `row 2 (line 3), column "x2": "two" is not a number`, Row: 2, Column: "x2"}},
		{"CSV ragged", "POST", "/v1/predict", "text/csv", "x1,x2,tiny,colour,city\n1,2,0,red\n", 400, errorBody{Error: "wrong number of fields", Row: 1}},
		{"content type", "POST", "/v1/predict", "application/xml", `<rows/>`, 415, errorBody{Error: "send application/json or text/csv"}},
		{"bad content type", "POST", "/v1/predict", "text/", `[]`, 415, errorBody{Error: "Content-Type"}},
		{"GET predict", "GET", "/v1/predict", "", ``, 405, errorBody{Error: "takes POST"}},
		{"POST model", "POST", "/v1/model", "", ``, 405, errorBody{Error: "takes GET"}},
		{"no such path", "GET", "/v2/predict", "", ``, 404, errorBody{Error: "no endpoint /v2/predict"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, s, tc.method, tc.path, tc.contentType, "", tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, body)
			}
			got := decode[errorBody](t, body)
			if !strings.Contains(got.Error, tc.want.Error) {
				t.Errorf("error %q, want it to contain %q", got.Error, tc.want.Error)
			}
			if got.Row != tc.want.Row || got.Column != tc.want.Column {
				t.Errorf("row %d, column %q; want %d, %q", got.Row, got.Column, tc.want.Row, tc.want.Column)
			}
			if tc.want.Value != nil && (got.Value == nil || *got.Value != *tc.want.Value) {
				t.Errorf("value %v, want %q", got.Value, *tc.want.Value)
			}
		})
	}
}

// A value that cannot be encoded as a finite number is refused, with its
// row and column, before it can turn into a NaN output.
func TestNonFiniteInput(t *testing.T) {
	testModels(t)
	s := newServer(t, regressor, serve.Options{})
	// "tiny" is standardised by a spread of 1e-3: 3e38 overflows float32.
	code, body := do(t, s, "POST", "/v1/predict", "", "", `[{"x1": 1}, {"x1": 1, "tiny": 3e38}]`)
	if code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", code, body)
	}
	if got := decode[errorBody](t, body); got.Row != 2 || got.Column != "tiny" || !strings.Contains(got.Error, "float32") {
		t.Errorf("error %+v", got)
	}
}

// A row whose value encodes to a finite number too large for the network
// gets 422, with its row: the model has no finite answer for it.
func TestNonFiniteOutput(t *testing.T) {
	testModels(t)
	s := newServer(t, regressor, serve.Options{})
	// "tiny" is standardised by a spread of 1e-3: 3e35 encodes to about
	// 3e38, finite, and overflows in the first layer.
	code, body := do(t, s, "POST", "/v1/predict", "", "", `[{"x1": 1}, {"x1": 1, "tiny": 3e35}]`)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422: %s", code, body)
	}
	if got := decode[errorBody](t, body); got.Row != 2 || !strings.Contains(got.Error, "non-finite output") {
		t.Errorf("error %+v", got)
	}
}

func TestModelInfo(t *testing.T) {
	testModels(t)
	s := newServer(t, classifier, serve.Options{MaxRows: 7})
	code, body := do(t, s, "GET", "/v1/model", "", "", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	info := decode[serve.ModelInfo](t, body)
	if info.Kind != gotabular.Supervised || info.Task != "classification" || info.Target != "label" ||
		!reflect.DeepEqual(info.Classes, []string{"neg", "pos"}) || info.Limits.MaxRows != 7 {
		t.Errorf("info %+v", info)
	}
	var names []string
	for _, c := range info.Columns {
		names = append(names, c.Name+":"+c.Kind)
	}
	if got := strings.Join(names, ","); got != "x1:continuous,x2:continuous,tiny:continuous,colour:categorical,city:categorical" {
		t.Errorf("columns %s", got)
	}
	if info.Training == nil || info.Training.Epochs != 3 || info.ModelConfigType != "models.Config" {
		t.Errorf("training %+v, model config type %q", info.Training, info.ModelConfigType)
	}
	if !strings.Contains(body, `"layers": "16"`) {
		t.Errorf("the model config is missing from %s", body)
	}
	if code, body := do(t, s, "GET", "/healthz", "", "", ""); code != http.StatusOK || !strings.Contains(body, "ok") {
		t.Errorf("healthz: %d %s", code, body)
	}
}

// Concurrent requests get the answers that the same requests get one at a
// time. Run with -race: the copies of the model must share no buffers.
func TestConcurrentRequests(t *testing.T) {
	testModels(t)
	s := newServer(t, classifier, serve.Options{Copies: 3})
	const clients, perClient = 6, 4
	bodies := make([]string, clients*perClient)
	want := make([]string, len(bodies))
	for i := range bodies {
		// Different sizes, so that the copies' buffers change shape.
		bodies[i] = jsonRows(table(t, rowsCSV(1+i%5*7, uint64(100+i))), "amount")
		code, body := do(t, s, "POST", "/v1/predict", "", "", bodies[i])
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		want[i] = body
	}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for k := range perClient {
				i := (c*perClient + k*5) % len(bodies)
				if code, body := do(t, s, "POST", "/v1/predict", "", "", bodies[i]); code != http.StatusOK || body != want[i] {
					t.Errorf("request %d: status %d, and the answer differs from the sequential one", i, code)
				}
			}
		})
	}
	wg.Wait()
}

// Reload serves the model saved over the directory; requests keep being
// answered throughout, each by one model or the other; a directory that
// holds no model leaves the old one in place.
func TestReload(t *testing.T) {
	testModels(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := classifier.Save(dir); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	var logMu sync.Mutex
	s, err := serve.Load(dir, serve.Options{Log: log.New(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.Write(p)
	}), "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	rows := jsonRows(table(t, rowsCSV(20, 9)), "amount")
	answer := func(m *gotabular.TabularModel) string {
		_, body := do(t, newServer(t, m, serve.Options{}), "POST", "/v1/predict", "", "", rows)
		return body
	}
	first, second := answer(classifier), answer(classifier2)
	if first == second {
		t.Fatal("the two models answer alike: the test could not tell them apart")
	}
	if _, body := do(t, s, "POST", "/v1/predict", "", "", rows); body != first {
		t.Fatalf("before the reload: %s", body)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var requests, afterReload int
	var mu sync.Mutex
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, body := do(t, s, "POST", "/v1/predict", "", "", rows)
				if code != http.StatusOK || (body != first && body != second) {
					t.Errorf("during the reload: status %d, an answer of neither model", code)
					return
				}
				mu.Lock()
				requests++
				if body == second {
					afterReload++
				}
				mu.Unlock()
			}
		})
	}
	if err := classifier2.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if _, body := do(t, s, "POST", "/v1/predict", "", "", rows); body != second {
		t.Fatalf("after the reload: %s", body)
	}
	t.Logf("%d requests during the reload, %d answered by the new model", requests, afterReload)

	// A failed reload keeps the model.
	if err := writeFile(filepath.Join(dir, gotabular.ModelFile), "{}"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("a reload of a damaged model succeeded")
	}
	if _, body := do(t, s, "POST", "/v1/predict", "", "", rows); body != second {
		t.Fatalf("after a failed reload: %s", body)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logged.String(), "reloaded") || !strings.Contains(logged.String(), "still serving the model loaded before") {
		t.Errorf("log:\n%s", logged.String())
	}
	// A server of a model in memory has no directory to reload from.
	if err := newServer(t, classifier, serve.Options{}).Reload(); err == nil {
		t.Error("Reload of a server made by New succeeded")
	}
}

// Serve stops when its context is done, after the request in flight has
// had its answer.
func TestServeShutdown(t *testing.T) {
	testModels(t)
	s := newServer(t, classifier, serve.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	// A request whose body is still arriving when the shutdown starts.
	pr, pw := io.Pipe()
	type reply struct {
		code int
		body string
		err  error
	}
	replied := make(chan reply, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/v1/predict", "application/json", pr)
		if err != nil {
			replied <- reply{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		replied <- reply{resp.StatusCode, string(b), err}
	}()
	io.WriteString(pw, `{"rows": [{"x1": 1},`)
	time.Sleep(50 * time.Millisecond) // the request is being read
	cancel()
	time.Sleep(50 * time.Millisecond) // the shutdown has begun
	select {
	case err := <-served:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	default:
	}
	io.WriteString(pw, `{"x1": 2}]}`)
	pw.Close()
	r := <-replied
	if r.err != nil || r.code != http.StatusOK || !strings.Contains(r.body, `"labels"`) {
		t.Fatalf("the request in flight: %v, status %d: %s", r.err, r.code, r.body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the shutdown")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("the server still answers after the shutdown")
	}
}

func TestLoadErrors(t *testing.T) {
	testModels(t)
	if _, err := serve.Load(filepath.Join(t.TempDir(), "none"), serve.Options{}); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
	if _, err := serve.New(nil, serve.Options{}); err == nil {
		t.Error("New of no model succeeded")
	}
	m, err := gotabular.New(classifier.DataConfig, classifier.ModelConfig, classifier.OptimizerConfig, classifier.TrainerConfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serve.New(m, serve.Options{}); !errors.Is(err, gotabular.ErrKind) {
		t.Errorf("New of an untrained model: %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
