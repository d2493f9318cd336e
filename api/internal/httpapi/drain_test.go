package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
)

// TestCloseWhileDraining: before the drain a client reuses its keep-alive
// connection; once draining, every answer says Connection: close and the
// next request goes out on a new connection.
func TestCloseWhileDraining(t *testing.T) {
	var draining atomic.Bool
	srv := httptest.NewServer(CloseWhileDraining(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), draining.Load))
	defer srv.Close()
	client := srv.Client()
	get := func() (reused, closed bool) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused },
		}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return reused, resp.Close
	}
	get()
	if reused, closed := get(); !reused || closed {
		t.Fatalf("before the drain: reused %v, Connection: close %v; want a kept-alive connection", reused, closed)
	}
	draining.Store(true)
	if _, closed := get(); !closed {
		t.Fatal("while draining the answer lacks Connection: close")
	}
	if reused, closed := get(); reused || !closed {
		t.Fatalf("after a Connection: close answer: reused %v, Connection: close %v; want a new connection, closed again", reused, closed)
	}
}
