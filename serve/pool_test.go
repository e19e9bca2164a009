package serve

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gotabular/gotabular"
)

// A copy goes back to the pool whatever the computation does, and a
// request that gives up waiting for one gets 503.
func TestPoolCopies(t *testing.T) {
	g := &generation{copies: make(chan *gotabular.TabularModel, 1)}
	g.copies <- new(gotabular.TabularModel)
	func() {
		defer func() { recover() }()
		g.with(context.Background(), func(*gotabular.TabularModel) error { panic("a fault in the model") })
	}()
	err := g.with(context.Background(), func(*gotabular.TabularModel) error { return errors.New("bad value") })
	var re *requestError
	if !errors.As(err, &re) || re.status != http.StatusBadRequest {
		t.Errorf("error %v, want a 400", err)
	}
	if len(g.copies) != 1 {
		t.Fatalf("%d copies in the pool after a panic and an error, want 1", len(g.copies))
	}
	<-g.copies // every copy busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = g.with(ctx, func(*gotabular.TabularModel) error { t.Error("ran without a copy"); return nil })
	if !errors.As(err, &re) || re.status != http.StatusServiceUnavailable {
		t.Errorf("error %v, want a 503", err)
	}
}
