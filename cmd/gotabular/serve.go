package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/data"
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
	fs.IntVar(&opt.Copies, "copies", 0, "model copies, the requests computed at once (default: one per two cores, at least one)")
	fs.DurationVar(&opt.ReadTimeout, "read-timeout", 0, "`time` to read a whole request (default 60s)")
	fs.DurationVar(&opt.WriteTimeout, "write-timeout", 0, "`time` to compute and write an answer (default 60s)")
	gc := gcFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model"); err != nil {
		return err
	}
	gc.apply()
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
	// main stops on SIGINT; a service manager stops with SIGTERM, caught
	// before the server says it listens. As for SIGINT, a second SIGTERM
	// during the shutdown ends the process at once.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	opt.Log.Printf("listening on http://%s", ln.Addr())
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

// serveGCPercent is the garbage collector's target of serve and bench
// serve. A server's live heap is small (the model copies and the requests
// in flight) while every request allocates, so at Go's default of 100 it
// collects tens of times a second, and each collection stops the
// requests in flight for a moment: most of the slowest 1% of single-row
// requests were those. A heap allowed to grow to five times the live one
// collects five times less often.
const serveGCPercent = 400

// gcSetting is the -gogc flag of serve and bench serve.
type gcSetting struct {
	percent int
	set     bool
}

func gcFlag(fs *flag.FlagSet) *gcSetting {
	g := &gcSetting{percent: serveGCPercent}
	fs.Func("gogc", fmt.Sprintf("garbage collector target `percent`, as the GOGC variable, which takes precedence when set (default %d: collect when the heap has grown by %d%% since the last collection; fewer collections, fewer slow requests, more memory)", serveGCPercent, serveGCPercent), func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			return fmt.Errorf("want a percent ≥ 10")
		}
		g.percent, g.set = n, true
		return nil
	})
	return g
}

// apply sets the collector's target, unless the GOGC variable does and
// -gogc was not given.
func (g *gcSetting) apply() {
	if _, env := os.LookupEnv("GOGC"); env && !g.set {
		return
	}
	debug.SetGCPercent(g.percent)
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

const benchServeHelp = `Usage: gotabular bench serve -model DIR [-duration 10s] [-clients 1,8,64] [-batch 1,256] [flags]

A load test of 'gotabular serve' on loopback: starts the server for the
model in this process on 127.0.0.1 (a free port), and for each batch size
and number of clients lets that many clients send POST /v1/predict
requests of that many rows, each client waiting for its answer before
sending the next, for -duration after a -warmup. The rows are drawn from
the model's own schema (continuous values from the fitted quantiles or
mean and spread, categories from the levels), or taken from -data.

The clients run in the same process as the server and share its cores:
the figures are a lower bound of what a server alone would do.

Example, the targets of the demo model (single-row p99 at 8 clients,
batched rows/s, 64 clients for 30 s with flat memory):
  gotabular demo -save demo-model
  gotabular bench serve -model demo-model -batch 1,256 -clients 1,8,64 -duration 30s

Writes to stderr, every second, the live heap (as the last garbage
collection found it), the heap in use (which rises between collections)
and the process's resident memory, and to stdout one line per figure,
"name unit value", with name serve_b<batch>_c<clients>:
  serve_b1_c8 requests/s N       answered requests per second
  serve_b1_c8 rows/s N           rows predicted per second
  serve_b1_c8_p50 ms N           median latency of a request
  serve_b1_c8_p99 ms N           99th percentile of the latency
  serve_b1_c8 errors N           failed requests (anything but 200)
  serve_b1_c8_heap_live MiB N    live heap at the end
  serve_b1_c8_heap_live_growth MiB N  its largest growth over its value
                                 5 s in (a third into a shorter run)
  serve_b1_c8_rss MiB N          resident memory at the end
  serve_b1_c8_rss_growth MiB N   its growth, as for the heap
Failed requests make the command fail after printing every figure.

Flags:
`

func runBenchServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench serve", benchServeHelp, stderr)
	var (
		dir, dataPath, clientList, batchList string
		cpuProfile                           string
		duration, warmup                     time.Duration
		copies                               int
	)
	fs.StringVar(&dir, "model", "", "`directory` of a saved model (required)")
	fs.StringVar(&dataPath, "data", "", "CSV `file` of rows to send (default: rows drawn from the model's schema)")
	fs.StringVar(&clientList, "clients", "1,8,64", "comma-separated `counts` of concurrent clients")
	fs.StringVar(&batchList, "batch", "1,256", "comma-separated `rows` per request")
	fs.DurationVar(&duration, "duration", 10*time.Second, "measured `time` of each batch size and client count")
	fs.DurationVar(&warmup, "warmup", time.Second, "unmeasured `time` before each measurement")
	fs.IntVar(&copies, "copies", 0, "model copies of the server (default: one per two cores, at least one)")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run, server and clients, to this `file` (go tool pprof reads it)")
	gc := gcFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "model"); err != nil {
		return err
	}
	gc.apply()
	if cpuProfile != "" {
		if err := checkOutputFile(cpuProfile, ""); err != nil {
			return err
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	clients, err := intList("clients", clientList)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	batches, err := intList("batch", batchList)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	if duration <= 0 || warmup < 0 || copies < 0 {
		return usageError(fs, "-duration must be positive, -warmup and -copies not negative")
	}
	m, err := loadModel(dir)
	if err != nil {
		return err
	}
	var rows []map[string]any
	if dataPath != "" {
		t, err := m.ReadCSV(dataPath)
		if err != nil {
			return err
		}
		rows = tableRows(m, t)
	} else {
		rows = schemaRows(m, 4096, rand.New(rand.NewPCG(1, 2)))
	}
	maxBatch := slices.Max(batches)
	s, err := serve.New(m, serve.Options{Copies: copies, MaxRows: max(maxBatch, serve.DefaultMaxRows)})
	if err != nil {
		return err
	}
	m = nil // the server has its own copies
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stopServer := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	defer func() {
		stopServer()
		<-served
	}()
	url := "http://" + ln.Addr().String() + "/v1/predict"
	fmt.Fprintf(stdout, "# gotabular bench serve %s %s/%s GOMAXPROCS=%d, %d rows per body available\n",
		dir, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), len(rows))

	var failed int
	for _, b := range batches {
		bodies, err := requestBodies(rows, b)
		if err != nil {
			return err
		}
		for _, c := range clients {
			name := fmt.Sprintf("serve_b%d_c%d", b, c)
			fmt.Fprintf(stderr, "bench serve: %d rows per request, %d clients: %v warm-up, %v measured\n", b, c, warmup, duration)
			r, err := loadTest(ctx, url, bodies, c, warmup, duration, stderr)
			if err != nil {
				return err
			}
			r.print(stdout, name, b)
			failed += r.errors
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// schemaRows draws n rows from what the model's preprocessing knows of
// each column, so that any model can be measured without its data.
func schemaRows(m *gotabular.TabularModel, n int, rng *rand.Rand) []map[string]any {
	p := m.Preprocessor()
	rows := make([]map[string]any, n)
	for i := range rows {
		row := map[string]any{}
		for _, c := range p.Continuous {
			if c.Source != "" {
				continue // derived from a date column, drawn below
			}
			v := c.Mean + c.Std*rng.NormFloat64()
			switch {
			case len(c.Quantiles) > 0:
				v = c.Quantiles[rng.IntN(len(c.Quantiles))]
			case p.ContinuousTransform == data.TransformBoxCox:
				// Mean and Std are of the transformed values; box-cox
				// needs a positive one.
				v = math.Exp(rng.NormFloat64())
			case p.ContinuousTransform == data.TransformYeoJohnson:
				v = rng.NormFloat64()
			}
			row[c.Name] = float32(v)
		}
		for _, c := range p.Categorical {
			if c.Source == "" && len(c.Levels) > 0 {
				row[c.Name] = c.Levels[rng.IntN(len(c.Levels))]
			}
		}
		for _, d := range p.Dates {
			layout := d.Layout
			if layout == "" {
				layout = time.RFC3339
			}
			row[d.Name] = time.Date(2000+rng.IntN(30), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), 0, 0, 0, time.UTC).Format(layout)
		}
		rows[i] = row
	}
	return rows
}

// tableRows returns the rows of t as JSON objects of the model's columns.
func tableRows(m *gotabular.TabularModel, t *data.Table) []map[string]any {
	p := m.Preprocessor()
	known := map[string]bool{}
	names, _ := p.Inputs()
	for _, n := range names {
		known[n] = true
	}
	rows := make([]map[string]any, t.Rows)
	for i := range rows {
		row := map[string]any{}
		for _, c := range t.Columns {
			if !known[c.Name] || c.Missing(i) {
				continue
			}
			if c.Kind == data.Continuous {
				row[c.Name] = c.Floats[i]
			} else {
				row[c.Name], _ = c.Text(i)
			}
		}
		rows[i] = row
	}
	return rows
}

// requestBodies makes up to 64 different bodies of b rows each, taking
// the rows in turn.
func requestBodies(rows []map[string]any, b int) ([][]byte, error) {
	n := min(64, max(1, len(rows)/b))
	bodies := make([][]byte, n)
	next := 0
	for i := range bodies {
		batch := make([]map[string]any, b)
		for j := range batch {
			batch[j] = rows[next%len(rows)]
			next++
		}
		var err error
		if bodies[i], err = json.Marshal(map[string]any{"rows": batch}); err != nil {
			return nil, err
		}
	}
	return bodies, nil
}

// loadResult is what one load test measured.
type loadResult struct {
	requests, errors int
	elapsed          time.Duration
	latencies        latencies
	heap, heapGrowth float64 // MiB
	rss, rssGrowth   float64
	firstErr         error
}

func (r *loadResult) print(w io.Writer, name string, batch int) {
	q := func(p float64) float64 { return float64(r.latencies.quantile(p).Microseconds()) / 1000 }
	sec := r.elapsed.Seconds()
	fmt.Fprintf(w, "%s requests/s %.1f\n", name, float64(r.requests)/sec)
	fmt.Fprintf(w, "%s rows/s %.0f\n", name, float64(r.requests*batch)/sec)
	fmt.Fprintf(w, "%s_p50 ms %.3f\n", name, q(0.50))
	fmt.Fprintf(w, "%s_p99 ms %.3f\n", name, q(0.99))
	fmt.Fprintf(w, "%s errors %d\n", name, r.errors)
	fmt.Fprintf(w, "%s_heap_live MiB %.1f\n", name, r.heap)
	fmt.Fprintf(w, "%s_heap_live_growth MiB %.1f\n", name, r.heapGrowth)
	fmt.Fprintf(w, "%s_rss MiB %.1f\n", name, r.rss)
	fmt.Fprintf(w, "%s_rss_growth MiB %.1f\n", name, r.rssGrowth)
}

// loadTest runs clients that each send one body after another to url,
// unmeasured for warmup, then measured for duration, while sampling memory
// every second.
func loadTest(ctx context.Context, url string, bodies [][]byte, clients int, warmup, duration time.Duration, progress io.Writer) (*loadResult, error) {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}

	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	res := &loadResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			lat := new(latencies)
			requests, errs := 0, 0
			var firstErr error
			for i := c; ctx.Err() == nil; i++ {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := post(client, url, bodies[i%len(bodies)])
				if t0.Before(measureFrom) {
					continue
				}
				lat.add(time.Since(t0))
				requests++
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
				}
			}
			mu.Lock()
			res.latencies.merge(lat)
			res.requests += requests
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = firstErr
			}
			mu.Unlock()
		})
	}

	// Memory, once a second, until the clients are done.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	type sample struct {
		at               time.Duration
		inUse, live, rss float64
	}
	var samples []sample
	// The heap in use rises between collections by the garbage of the
	// requests; the live heap, as the last collection found it, is what
	// shows a leak.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	measure := func(now time.Time) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		metrics.Read(live)
		var liveMiB float64
		if live[0].Value.Kind() == metrics.KindUint64 {
			liveMiB = float64(live[0].Value.Uint64()) / (1 << 20)
		}
		s := sample{now.Sub(measureFrom), float64(ms.HeapInuse) / (1 << 20), liveMiB, rssMiB()}
		samples = append(samples, s)
		fmt.Fprintf(progress, "bench serve:   %5.1fs  heap: live %7.1f MiB, in use %7.1f MiB;  RSS %7.1f MiB;  %d collections\n",
			s.at.Seconds(), s.live, s.inUse, s.rss, ms.NumGC)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case now := <-tick.C:
			if !now.Before(measureFrom) {
				measure(now)
			}
		}
	}
	measure(time.Now())
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// Requests sent before the end count, and so does the time they took
	// to be answered after it.
	res.elapsed = time.Since(measureFrom)
	if res.firstErr != nil {
		fmt.Fprintf(progress, "bench serve: %d requests failed; the first: %v\n", res.errors, res.firstErr)
	}
	if n := len(samples); n > 0 {
		// The baseline is the sample at 5 s, or a third into a shorter
		// run: the heap grows at first as buffers and pools fill.
		first := min(n-1, 5, n/3)
		base, last := samples[first], samples[n-1]
		res.heap, res.rss = last.live, last.rss
		for _, s := range samples[first:] {
			res.heapGrowth = max(res.heapGrowth, s.live-base.live)
			res.rssGrowth = max(res.rssGrowth, s.rss-base.rss)
		}
	}
	return res, nil
}

// post sends one request and reads the whole answer; anything but 200 is
// an error.
func post(client *http.Client, url string, body []byte) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b[:min(len(b), 300)]))
	}
	return nil
}

// rssMiB is the resident memory of the process, or 0 where /proc does not
// say.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return float64(pages*int64(os.Getpagesize())) / (1 << 20)
}
