package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"github.com/gotabular/gotabular/serve"
)

const serveHelp = `Usage: gotabular serve -model DIR [-addr HOST:PORT] [flags]

Answers prediction and embedding requests for a saved model over HTTP.

Endpoints:
  POST /v1/predict  predictions for the rows of the request
  POST /v1/embed    the learned features of the rows of the request
  GET  /v1/model    kind, task, classes, columns, configs, training summary
  GET  /healthz     200 while the server answers

Rows come as JSON, {"rows": [{"column": value, ...}, ...]} or a bare list
of row objects, or as CSV with a header when the Content-Type is text/csv
(as for 'gotabular predict': every column of the model, others ignored).
In JSON a missing or null value is imputed, and an unknown column is an
error. Answers are JSON, or CSV with 'Accept: text/csv'. A bad row gets a
4xx answer {"error": ..., "row": ..., "column": ..., "value": ...}; a body
over -max-body or more rows than -max-rows gets 413.

SIGHUP reloads the model from -model (save a new model over the directory,
then send it: requests in flight finish with the old model; if the new one
cannot be loaded, the old one stays). SIGINT or SIGTERM stops accepting
connections and lets the requests in flight finish.

Example:
  gotabular serve -model finetuned -addr 127.0.0.1:8080
  curl -s localhost:8080/v1/predict -d '{"rows": [{"age": 39, "workclass": "State-gov"}]}'
  curl -s localhost:8080/v1/predict -H 'Content-Type: text/csv' -H 'Accept: text/csv' --data-binary @test.csv
  curl -s localhost:8080/v1/model
  kill -HUP <pid>    # after saving a new model over finetuned/

Flags:
`

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveHelp, stderr)
	var (
		dir, addr string
		opt       serve.Options
	)
	fs.StringVar(&dir, "model", "", "`directory` of a saved model (required)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "`address` to listen on; :8080 listens on every interface")
	opt.MaxBodyBytes = serve.DefaultMaxBodyBytes
	fs.Var((*byteSize)(&opt.MaxBodyBytes), "max-body", "largest request `size` (bytes, or with a unit: 64KiB, 16MiB, 1GB); a larger body gets 413")
	fs.IntVar(&opt.MaxRows, "max-rows", serve.DefaultMaxRows, "most `rows` in one request; more gets 413")
	fs.IntVar(&opt.Copies, "copies", 0, "model copies, the requests computed at once (default GOMAXPROCS)")
	fs.DurationVar(&opt.ReadTimeout, "read-timeout", 0, "`time` to read a whole request (default 60s)")
	fs.DurationVar(&opt.WriteTimeout, "write-timeout", 0, "`time` to compute and write an answer (default 60s)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model"); err != nil {
		return err
	}
	if opt.MaxBodyBytes < 1 || opt.MaxRows < 1 || opt.Copies < 0 || opt.ReadTimeout < 0 || opt.WriteTimeout < 0 {
		return usageError(fs, "-max-body and -max-rows must be positive, -copies and the timeouts not negative")
	}
	opt.Log = log.New(stderr, "gotabular serve: ", log.LstdFlags)
	s, err := serve.Load(dir, opt)
	if err != nil {
		// The messages of loadModel, without loading the model twice.
		if errors.Is(err, iofs.ErrNotExist) {
			if _, serr := os.Stat(dir); serr != nil {
				return fmt.Errorf("-model %s: no such directory", dir)
			}
			return fmt.Errorf("-model %s: not a saved model (%w)", dir, err)
		}
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	opt.Log.Printf("listening on http://%s", ln.Addr())

	// main stops on SIGINT; a service manager stops with SIGTERM.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-hup:
				s.Reload() // logs its outcome; a failed reload keeps the old model
			case <-ctx.Done():
				return
			}
		}
	}()
	return s.Serve(ctx, ln)
}

// byteSize is a flag value of bytes, with an optional unit.
type byteSize int64

func (b *byteSize) String() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if int64(*b) >= u.n && int64(*b)%u.n == 0 {
			return strconv.FormatInt(int64(*b)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(*b), 10)
}

func (b *byteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, unicode.IsLetter)
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	mult := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20, "mb": 1000_000, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1000_000_000, "gib": 1 << 30}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || mult == 0 || n < 1 || n > math.MaxInt64/mult {
		return fmt.Errorf("want a positive number of bytes, optionally with a unit such as KiB, MiB or MB")
	}
	*b = byteSize(n * mult)
	return nil
}
