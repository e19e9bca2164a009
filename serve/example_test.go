package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gotabular/gotabular"
	"github.com/gotabular/gotabular/config"
	"github.com/gotabular/gotabular/data"
	"github.com/gotabular/gotabular/models"
	"github.com/gotabular/gotabular/models/categoryembedding"
	"github.com/gotabular/gotabular/serve"
)

// Serve a model over HTTP and ask it for predictions. A real server runs
// serve.Load(dir, opts) and then Serve(ctx, listener); httptest stands in
// for the listener here.
func Example() {
	// A small classifier, trained on rows made up for the example.
	var csv strings.Builder
	csv.WriteString("size,colour,label\n")
	for i := range 200 {
		size, colour := float64(i%20), []string{"red", "blue"}[i%2]
		label := "small"
		if size >= 10 {
			label = "large"
		}
		fmt.Fprintf(&csv, "%g,%s,%s\n", size, colour, label)
	}
	rows, err := data.ParseCSV(strings.NewReader(csv.String()), "example.csv", data.ReadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	mc := models.Config{Task: config.Classification, Backbone: categoryembedding.Config{Layers: "16"}}
	m, err := gotabular.New(config.DataConfig{Target: []string{"label"}}, mc,
		config.OptimizerConfig{}, config.TrainerConfig{MaxEpochs: 2, Quiet: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Fit(context.Background(), rows, nil); err != nil {
		log.Fatal(err)
	}

	s, err := serve.New(m, serve.Options{MaxRows: 1000})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()

	post := func(body string) {
		resp, err := http.Post(ts.URL+"/v1/predict", "application/json", strings.NewReader(body))
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.Status)
		if resp.StatusCode != http.StatusOK {
			fmt.Print(string(b))
			return
		}
		var answer struct {
			Classes []string
			Labels  []string
		}
		if err := json.Unmarshal(b, &answer); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("classes %v, %d labels\n", answer.Classes, len(answer.Labels))
	}
	post(`{"rows": [{"size": 3, "colour": "red"}, {"size": 15}]}`)
	post(`{"rows": [{"size": 3}, {"size": "large"}]}`)
	post(`[{"sise": 3}]`)
	// Output:
	// 200 OK
	// classes [large small], 2 labels
	// 400 Bad Request
	// {"error":"row 2, column \"size\": \"large\" is not a number, but the column is continuous","row":2,"column":"size","value":"large"}
	// 400 Bad Request
	// {"error":"row 1: unknown column \"sise\"; the model's columns are \"size\", \"colour\"","row":1,"column":"sise"}
}

// A server for a saved model, as `gotabular serve` runs it: SIGHUP
// reloads the model, SIGINT and SIGTERM stop the server once the requests
// in flight have their answers.
func ExampleLoad() {
	s, err := serve.Load("model/", serve.Options{MaxRows: 10_000, Log: log.Default()})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			s.Reload() // a model that fails to load leaves the old one serving
		}
	}()
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Serve(ctx, ln); err != nil {
		log.Fatal(err)
	}
}
