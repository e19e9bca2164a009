package serve_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gotabular/gotabular/serve"
)

// discard is a ResponseWriter that keeps nothing, so that the benchmark
// measures the server and not a recorder.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }

// BenchmarkHandler is one request at a time through the handler, without
// the network: reading the rows, predicting and writing the answer.
func BenchmarkHandler(b *testing.B) {
	testModels(b)
	s := newServer(b, classifier, serve.Options{})
	for _, n := range []int{1, 256} {
		body := jsonRows(table(b, rowsCSV(n, 5)), "amount")
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			w := &discard{h: http.Header{}}
			for b.Loop() {
				r := httptest.NewRequest("POST", "/v1/predict", strings.NewReader(body))
				w.code = http.StatusOK
				clear(w.h)
				s.ServeHTTP(w, r)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkLoopback is requests from parallel clients over loopback HTTP
// (GOMAXPROCS clients; -cpu changes it).
func BenchmarkLoopback(b *testing.B) {
	testModels(b)
	ts := httptest.NewServer(newServer(b, classifier, serve.Options{}))
	defer ts.Close()
	for _, n := range []int{1, 256} {
		body := jsonRows(table(b, rowsCSV(n, 5)), "amount")
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Post(ts.URL+"/v1/predict", "application/json", strings.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
