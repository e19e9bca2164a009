// Package serve answers prediction and embedding requests for a trained
// [gotabular.TabularModel] over HTTP.
//
// The endpoints:
//
//	POST /v1/predict  the model's predictions for the rows of the request
//	POST /v1/embed    the learned features of the rows of the request
//	GET  /v1/model    what the model is: kind, task, configs, schema, training summary
//	GET  /healthz     200 while the server can answer
//
// A request holds rows as JSON, either {"rows": [{"column": value, ...}, ...]}
// or a bare array of such objects, or as CSV with a header line when its
// Content-Type is text/csv. The answer is JSON, or CSV when the request's
// Accept header asks for text/csv. See [Server.ServeHTTP] for the details
// of both, and of the errors.
//
// A [Server] keeps a pool of copies of the model, one per request being
// computed, because a model's prediction reuses buffers the model owns (see
// [gotabular.TabularModel.Predict]); [Server.Reload] replaces every copy
// with the model saved in the directory now, while requests keep being
// answered.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
)

// Options are a server's limits. The zero value of a field means its
// default.
type Options struct {
	// MaxBodyBytes is the largest request body read; a larger one is
	// answered with 413. Default 16 MiB.
	MaxBodyBytes int64
	// MaxRows is the most rows one request may hold; more is answered
	// with 413. Default 100,000.
	MaxRows int
	// Copies is the number of model copies, which is the number of
	// requests computed at once; others wait for a copy. Default
	// DefaultCopies().
	Copies int
	// Timeouts of the http.Server made by [Server.Serve]: reading a
	// request's headers (default 10 s), the whole request (default
	// 60 s), writing the answer (default 60 s, counted from the end of
	// the request's headers, so it bounds the computation too), and an
	// idle kept-alive connection (default 120 s).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long [Server.Serve] waits for requests in
	// flight once its context is done. Default 30 s.
	ShutdownTimeout time.Duration
	// Log receives a line when a model is loaded or reloaded, when the
	// server stops, and for an internal error; nil is silent.
	Log *log.Logger
}

// DefaultCopies is the default of Options.Copies: one copy for every two
// cores (GOMAXPROCS), and at least one. The network's forward pass is the
// smaller part of a request's work: reading the request, encoding it,
// HTTP and the answer take the rest on every core. A request of many rows
// uses every core through the engine's parallel matrix products whatever
// the copies, and fewer copies keep the weights the cores read warm in
// their caches: on 2 cores, with one copy against two, single-row
// requests from 8 clients were answered 5-10% faster with a p99 of 1.5-1.9
// ms against 1.8-3.0 ms, and 256-row requests as fast within 2%.
func DefaultCopies() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// The defaults of Options.
const (
	DefaultMaxBodyBytes = 16 << 20
	DefaultMaxRows      = 100_000
)

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.Copies <= 0 {
		o.Copies = DefaultCopies()
	}
	set(&o.ReadHeaderTimeout, 10*time.Second)
	set(&o.ReadTimeout, 60*time.Second)
	set(&o.WriteTimeout, 60*time.Second)
	set(&o.IdleTimeout, 120*time.Second)
	set(&o.ShutdownTimeout, 30*time.Second)
	return o
}

// Server answers requests for one model at a time. It is an
// [http.Handler]; [Server.Serve] runs it with its limits and timeouts.
type Server struct {
	opt Options
	dir string // "" for a server made by New: Reload has nowhere to look
	mux *http.ServeMux

	reloading sync.Mutex // one Reload at a time
	current   atomic.Pointer[generation]
}

// generation is one loaded model: its copies and what the server says of
// it. A request takes the generation current when it starts and gives its
// copy back to that generation, so that a reload never waits for requests
// and no request sees two models.
type generation struct {
	copies chan *gotabular.TabularModel
	schema *schema
	info   []byte // the answer of GET /v1/model
	loaded time.Time
}

// Load returns a server for the model saved in dir, which [Server.Reload]
// reads again.
func Load(dir string, opt Options) (*Server, error) {
	m, err := gotabular.Load(dir)
	if err != nil {
		return nil, err
	}
	s := newServer(dir, opt)
	g, err := s.newGeneration(m)
	if err != nil {
		return nil, err
	}
	s.current.Store(g)
	s.logf("serving %s: %s model, %d copies", dir, m.Kind(), s.opt.Copies)
	return s, nil
}

// New returns a server for a model in memory. The server predicts with
// copies of m (see [gotabular.TabularModel.Clone]), so the caller may go on
// using m. Such a server cannot Reload.
func New(m *gotabular.TabularModel, opt Options) (*Server, error) {
	if m == nil {
		return nil, errors.New("serve: no model")
	}
	m, err := m.Clone()
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s := newServer("", opt)
	g, err := s.newGeneration(m)
	if err != nil {
		return nil, err
	}
	s.current.Store(g)
	return s, nil
}

func newServer(dir string, opt Options) *Server {
	s := &Server{opt: opt.withDefaults(), dir: dir, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/predict", s.predict)
	s.mux.HandleFunc("POST /v1/embed", s.embed)
	s.mux.HandleFunc("GET /v1/model", s.model)
	s.mux.HandleFunc("GET /healthz", s.health)
	s.mux.HandleFunc("/", s.notFound)
	return s
}

// newGeneration makes the copies of m (m is the first) and describes it.
func (s *Server) newGeneration(m *gotabular.TabularModel) (*generation, error) {
	if m.Kind() == gotabular.Untrained {
		return nil, fmt.Errorf("serve: the model is untrained: %w", gotabular.ErrKind)
	}
	m.Progress = nil
	g := &generation{copies: make(chan *gotabular.TabularModel, s.opt.Copies), loaded: time.Now().UTC()}
	g.copies <- m
	for range s.opt.Copies - 1 {
		c, err := m.Clone()
		if err != nil {
			return nil, fmt.Errorf("serve: %w", err)
		}
		g.copies <- c
	}
	g.schema = newSchema(m)
	info, err := describe(m, s.dir, g.loaded, s.opt)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	g.info = info
	return g, nil
}

// Reload loads the model saved in the server's directory now and serves it
// from then on. Requests already being computed finish with the model they
// started with. If the new model cannot be loaded, the server goes on
// serving the one it has and Reload says why.
//
// A directory replaced by [gotabular.TabularModel.Save] (which renames a
// complete new directory into place) is always read whole, from before or
// after the replacement; a load that ran into the replacement (the old
// files deleted under it) is tried again.
func (s *Server) Reload() error {
	if s.dir == "" {
		return errors.New("serve: reload: the server was made from a model in memory, not a directory")
	}
	s.reloading.Lock()
	defer s.reloading.Unlock()
	var m *gotabular.TabularModel
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if m, err = gotabular.Load(s.dir); err == nil {
			break
		}
	}
	if err != nil {
		s.logf("reload %s failed, still serving the model loaded before: %v", s.dir, err)
		return fmt.Errorf("serve: reload: %w", err)
	}
	g, err := s.newGeneration(m)
	if err != nil {
		s.logf("reload %s failed, still serving the model loaded before: %v", s.dir, err)
		return fmt.Errorf("serve: reload: %w", err)
	}
	s.current.Store(g)
	s.logf("reloaded %s: %s model", s.dir, m.Kind())
	return nil
}

// Serve answers requests on ln until ctx is done, then stops accepting
// connections, lets the requests in flight finish (for at most
// Options.ShutdownTimeout) and returns nil. Any other end is an error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.logf("shutting down: waiting for the requests in flight (at most %v)", s.opt.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	s.logf("stopped")
	return nil
}

// HTTPServer returns an http.Server for s with the timeouts of its
// options, for callers that run the listener themselves.
func (s *Server) HTTPServer() *http.Server {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opt.ReadHeaderTimeout,
		ReadTimeout:       s.opt.ReadTimeout,
		WriteTimeout:      s.opt.WriteTimeout,
		IdleTimeout:       s.opt.IdleTimeout,
	}
	if s.opt.Log != nil {
		hs.ErrorLog = s.opt.Log
	}
	return hs
}

// ServeHTTP answers one request.
//
// POST /v1/predict and POST /v1/embed read rows. As JSON (any Content-Type
// but text/csv), each row is an object from column name to value: a
// continuous column takes a number (or a string holding one), a
// categorical column a string (or a number, read as its text); null, an
// absent column and "" are missing values, which the model imputes. The
// target column is ignored; any other name the model does not know is an
// error, since it is most likely a misspelt column whose values would
// otherwise be silently missing. As CSV, the header names the columns, as
// in a file for `gotabular predict`; every column of the model must be
// there, and other columns are ignored.
//
// /v1/predict answers, in the order of the rows: for a classifier,
// {"task": "classification", "target": name, "classes": [...], "labels":
// [...], "probabilities": [[...], ...]} (one probability per class, in the
// order of classes); for a regressor, {"task": "regression", "target":
// name, "values": [...]}, in the target's units; for a pretrained model,
// {"task": "features", "features": [[...], ...]}. /v1/embed answers
// {"features": [[...], ...]}. The CSV answers have the columns of
// `gotabular predict` and `gotabular embed`.
//
// Errors are JSON, {"error": message}, with "row" (1-based, counting the
// request's rows), "column" and "value" (the text of the value as sent)
// where they apply: 400 for a request that cannot be read or a bad value,
// 413 for a body over Options.MaxBodyBytes or more rows than
// Options.MaxRows, 415 for an unknown Content-Type, 422 when the model's
// output for a row is not a finite number (which an extreme input can
// cause), 503 when the client gave up before a model copy was free.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A fault in the model must cost one answer, not the process or a
		// connection reset the client cannot interpret.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			buf := make([]byte, 4<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.logf("internal error answering %s %s: %v\n%s", r.Method, r.URL.Path, v, buf)
			writeError(w, &requestError{status: http.StatusInternalServerError, msg: "internal error"})
		}
	}()
	s.mux.ServeHTTP(w, r)
}

func (s *Server) logf(format string, args ...any) {
	if s.opt.Log != nil {
		s.opt.Log.Printf(format, args...)
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	g := s.current.Load()
	w.Header().Set("Content-Type", "application/json")
	w.Write(g.info)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/predict", "/v1/embed":
		w.Header().Set("Allow", "POST")
		writeError(w, &requestError{status: http.StatusMethodNotAllowed, msg: r.URL.Path + " takes POST"})
	case "/v1/model", "/healthz":
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, &requestError{status: http.StatusMethodNotAllowed, msg: r.URL.Path + " takes GET"})
	default:
		writeError(w, &requestError{status: http.StatusNotFound,
			msg: fmt.Sprintf("no endpoint %s; there are POST /v1/predict, POST /v1/embed, GET /v1/model and GET /healthz", r.URL.Path)})
	}
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request) { s.rows(w, r, false) }
func (s *Server) embed(w http.ResponseWriter, r *http.Request)   { s.rows(w, r, true) }

// rows answers /v1/predict and /v1/embed.
func (s *Server) rows(w http.ResponseWriter, r *http.Request, embed bool) {
	g := s.current.Load()
	body := http.MaxBytesReader(w, r.Body, s.opt.MaxBodyBytes)
	t, err := g.schema.read(body, r.Header.Get("Content-Type"), s.opt)
	if err != nil {
		writeError(w, err)
		return
	}
	var ans answer
	err = g.with(r.Context(), func(m *gotabular.TabularModel) error {
		if embed {
			f, err := m.Featurize(t)
			if err == nil {
				ans.matrix = rowsOf(f, t.Rows)
			}
			return err
		}
		p, err := m.Predict(t)
		if err == nil {
			ans = predictAnswer(p, t.Rows)
		}
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	if err := ans.checkFinite(); err != nil {
		writeError(w, err)
		return
	}
	if wantsCSV(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		err = ans.writeCSV(w, g.schema)
	} else {
		w.Header().Set("Content-Type", "application/json")
		_, err = w.Write(ans.appendJSON(nil, g.schema))
	}
	if err != nil {
		s.logf("writing the answer to %s: %v", r.RemoteAddr, err)
	}
}

// with runs f with a copy of the generation's model, waiting for one to
// be free unless the request is cancelled first. Predict and Featurize
// return matrices of their own, not views of the copy's buffers, so the
// copy is free again as soon as f returns, before the answer is written;
// it goes back even if f panics, so that a fault cannot shrink the pool.
func (g *generation) with(ctx context.Context, f func(*gotabular.TabularModel) error) error {
	var m *gotabular.TabularModel
	select {
	case m = <-g.copies:
	case <-ctx.Done():
		return &requestError{status: http.StatusServiceUnavailable, msg: "the request was cancelled while waiting for the model"}
	}
	defer func() { g.copies <- m }()
	if err := f(m); err != nil {
		// The rows were checked against the model's columns, so this is
		// a value the preprocessing refused; it names the row and column,
		// which the answer gives as fields too.
		re := &requestError{status: http.StatusBadRequest, msg: err.Error()}
		if errors.Is(err, gotabular.ErrNonFinite) {
			re.status = http.StatusUnprocessableEntity
		}
		if de, ok := errors.AsType[*data.Error](err); ok {
			re.row, re.column = de.Row, de.Column
		}
		return re
	}
	return nil
}
