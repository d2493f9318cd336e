package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stubResolver resolves every name to addrs (a DNS answer under test
// control: the rebinding attack).
type stubResolver []netip.Addr

func (r stubResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func receiver(t *testing.T, h http.HandlerFunc) (srv *httptest.Server, port string) {
	t.Helper()
	srv = httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(srv.Listener.Addr().String())
	return srv, port
}

func TestDeliverSignsAndPosts(t *testing.T) {
	secret := NewSecret()
	var got http.Header
	var body []byte
	srv, port := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	c := NewClient(Policy{AllowPrivate: true, Allowlist: mustAllowlist(t, "127.0.0.1:"+port)}, 5*time.Second, nil)
	msg := Message{ID: "msg_job_1", Body: []byte(`{"id":"job_1"}`), Time: time.Now()}
	res := c.Deliver(context.Background(), srv.URL+"/hook", []string{secret}, msg)
	if !res.Delivered() || res.Err != nil || res.Duration <= 0 {
		t.Fatalf("result %+v", res)
	}
	if got.Get("Content-Type") != "application/json" || got.Get(HeaderID) != "msg_job_1" {
		t.Fatalf("headers %v", got)
	}
	if _, err := Verify(secret, got, body, time.Now(), 0); err != nil {
		t.Fatalf("signature: %v", err)
	}
}

func TestDeliverRefusesPrivateTargets(t *testing.T) {
	var hits atomic.Int32
	srv, port := receiver(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	loop := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	cases := []struct {
		name   string
		policy Policy
		url    string
	}{
		{"loopback literal, not allowed", Policy{}, srv.URL},
		{"loopback literal, listed without AllowPrivate", Policy{Allowlist: mustAllowlist(t, "127.0.0.1:"+port)}, srv.URL},
		// A public-looking name whose DNS answer is loopback (rebinding):
		// refused when the connection is made.
		{"name resolving to loopback", Policy{Allowlist: mustAllowlist(t, "hooks.example.test:"+port)}, "http://hooks.example.test:" + port},
		{"unlisted https name resolving to loopback, AllowPrivate", Policy{AllowPrivate: true, Allowlist: mustAllowlist(t, "hooks.internal")}, "https://evil.example.test:" + port},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := NewClient(c.policy, 2*time.Second, stubResolver(loop)).Deliver(context.Background(), c.url, []string{NewSecret()}, Message{ID: "m", Body: []byte("{}"), Time: time.Now()})
			if res.Status != 0 || !errors.Is(res.Err, ErrRefusedTarget) {
				t.Fatalf("result %+v, want refused", res)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("receiver hit %d times", hits.Load())
	}
	// Allow-listed name with AllowPrivate: delivered.
	res := NewClient(Policy{AllowPrivate: true, Allowlist: mustAllowlist(t, "hooks.example.test:"+port)}, 2*time.Second, stubResolver(loop)).
		Deliver(context.Background(), "http://hooks.example.test:"+port, []string{NewSecret()}, Message{ID: "m", Body: []byte("{}"), Time: time.Now()})
	if !res.Delivered() || hits.Load() != 1 {
		t.Fatalf("allow-listed name: %+v", res)
	}
}

func TestDeliverAnswers(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { redirected.Add(1) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 1<<16))
		for range 1 << 10 { // 64 MiB, if anyone read it all
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv, port := receiver(t, mux.ServeHTTP)
	c := NewClient(Policy{AllowPrivate: true, Allowlist: mustAllowlist(t, "127.0.0.1:"+port)}, 300*time.Millisecond, nil)
	send := func(path string) Result {
		return c.Deliver(context.Background(), srv.URL+path, []string{NewSecret()}, Message{ID: "m", Body: []byte("{}"), Time: time.Now()})
	}
	if r := send("/gone"); !r.Gone() || r.Delivered() {
		t.Errorf("410: %+v", r)
	}
	if r := send("/redirect"); r.Status != http.StatusTemporaryRedirect || redirected.Load() != 0 {
		t.Errorf("redirect followed: %+v, %d", r, redirected.Load())
	}
	if r := send("/slow"); r.Err == nil || r.Duration > 2*time.Second || !strings.Contains(r.Err.Error(), "timed out") {
		t.Errorf("slow receiver: %+v", r)
	}
	start := time.Now()
	if r := send("/big"); !r.Delivered() || time.Since(start) > 2*time.Second {
		t.Errorf("big answer: %+v after %s", r, time.Since(start))
	}
	if r := send("/nowhere?token=s3cret"); r.Status != http.StatusNotFound {
		t.Errorf("404: %+v", r)
	}
	dead := NewClient(Policy{AllowPrivate: true, Allowlist: mustAllowlist(t, "127.0.0.1")}, time.Second, nil)
	r := dead.Deliver(context.Background(), "http://127.0.0.1:1/x?token=s3cret", []string{NewSecret()}, Message{ID: "m", Body: []byte("{}"), Time: time.Now()})
	if r.Err == nil || strings.Contains(r.Err.Error(), "s3cret") {
		t.Errorf("connection refused: %+v (the error must not carry the URL)", r)
	}
}
