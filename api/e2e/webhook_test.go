package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/webhook"
)

// webhookReceiver is a client's webhook endpoint: it answers 500 to the
// first two attempts of every event (by webhook-id), then 200, and keeps
// every request.
type webhookReceiver struct {
	mu       sync.Mutex
	attempts map[string]int
	got      []webhookRequest
}

type webhookRequest struct {
	header http.Header
	body   []byte
	status int
	at     time.Time
}

func (rc *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	id := r.Header.Get(webhook.HeaderID)
	rc.attempts[id]++
	status := http.StatusOK
	if rc.attempts[id] <= 2 {
		status = http.StatusInternalServerError
	}
	rc.got = append(rc.got, webhookRequest{header: r.Header.Clone(), body: b, status: status, at: time.Now()})
	w.WriteHeader(status)
}

// of returns the requests of one event.
func (rc *webhookReceiver) of(id string) []webhookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []webhookRequest
	for _, g := range rc.got {
		if g.header.Get(webhook.HeaderID) == id {
			out = append(out, g)
		}
	}
	return out
}

type webhookDoc struct {
	URL        string `json:"url"`
	Deliveries []struct {
		Attempt    int    `json:"attempt"`
		At         string `json:"at"`
		Status     int    `json:"status"`
		Error      string `json:"error"`
		DurationMS int64  `json:"duration_ms"`
	} `json:"deliveries"`
}

// TestWebhookDelivery is the fault test, on the real binaries and
// a real Redis: a receiver (loopback, allow-listed through
// DFSOPT_WEBHOOK_ALLOW_PRIVATE and DFSOPT_WEBHOOK_ALLOWLIST) fails twice
// with 500 and then accepts. A job canceled while queued (by the gateway,
// before any worker runs) and a job that succeeds each get exactly one
// accepted delivery, whose signature verifies with the secret of GET
// /v1/webhook-secret, and their job documents list the 3 attempts.
func TestWebhookDelivery(t *testing.T) {
	e := securityEnv(t) // Redis and binaries; the skips and the CI rule of the end-to-end tests
	rc := &webhookReceiver{attempts: map[string]int{}}
	hs := httptest.NewServer(rc) // on 127.0.0.1
	t.Cleanup(hs.Close)
	_, port, _ := net.SplitHostPort(hs.Listener.Addr().String())
	e.extraEnv = []string{"DFSOPT_WEBHOOK_ALLOW_PRIVATE=true", "DFSOPT_WEBHOOK_ALLOWLIST=127.0.0.1:" + port,
		"DFSOPT_WEBHOOK_RETRY_BASE=200ms", "DFSOPT_WEBHOOK_TIMEOUT=5s"}
	e.gwAddr = freeAddr(t)
	began := time.Now()
	// The gateway first, without a worker, so that a job stays queued.
	e.gateway = e.startGatewayAt(t, "gateway", e.gwAddr)

	reqBody, err := os.ReadFile(filepath.Join("testdata", "optimize-nba-tiny.json"))
	if err != nil {
		t.Fatal(err)
	}
	withHook := func(url string) []byte {
		var doc map[string]any
		mustJSON(t, reqBody, &doc)
		doc["webhook_url"] = url
		b, _ := json.Marshal(doc)
		return b
	}
	hookURL := hs.URL + "/dfsopt?token=e2e-t0k3n"

	// Refused targets: 422 naming webhook_url, with the error body.
	for _, bad := range []string{"http://127.0.0.1:1/x", "https://10.1.2.3/x", "http://hooks.example.com/x", "https://[::ffff:127.0.0.1]/x", "https://2130706433/x"} {
		st, _, b := e.do(t, "POST", "/v1/optimize", adminKey, withHook(bad), nil)
		body := expectError(t, "webhook_url "+bad, st, b, http.StatusUnprocessableEntity, "invalid_request")
		if len(body.Error.Details) != 1 || body.Error.Details[0].Field != "webhook_url" {
			t.Errorf("%s: details %+v", bad, body.Error.Details)
		}
	}

	st, _, b := e.do(t, "GET", "/v1/webhook-secret", adminKey, nil, nil)
	var sec struct{ Secret string }
	mustJSON(t, b, &sec)
	if st != http.StatusOK || !strings.HasPrefix(sec.Secret, webhook.SecretPrefix) {
		t.Fatalf("GET /v1/webhook-secret: %d %s", st, b)
	}

	submit := func() jobDoc {
		t.Helper()
		st, _, b := e.do(t, "POST", "/v1/optimize", adminKey, withHook(hookURL), map[string]string{"Cache-Control": "no-cache"})
		if st != http.StatusAccepted {
			t.Fatalf("submit: %d %s", st, b)
		}
		var j jobDoc
		mustJSON(t, b, &j)
		return j
	}
	canceled := submit()
	if st, _, b := e.do(t, "DELETE", "/v1/jobs/"+canceled.ID, adminKey, nil, nil); st != http.StatusOK {
		t.Fatalf("cancel: %d %s", st, b)
	}

	e.startWorker() // delivers the canceled job's event, then runs the next job
	succeeded := submit()
	if done := e.wait(t, adminKey, succeeded.ID, 90*time.Second); done.Status != "succeeded" {
		t.Fatalf("job %s: %+v", done.Status, done.Error)
	}

	for _, c := range []struct {
		job    jobDoc
		status string
	}{{canceled, "canceled"}, {succeeded, "succeeded"}} {
		eventID := "msg_" + c.job.ID
		var doc struct {
			jobDoc
			Webhook *webhookDoc `json:"webhook"`
		}
		e.eventually(t, 60*time.Second, func() bool {
			st, _, b := e.do(t, "GET", "/v1/jobs/"+c.job.ID, adminKey, nil, nil)
			doc.Webhook = nil
			mustJSON(t, b, &doc)
			return st == http.StatusOK && doc.Webhook != nil && len(doc.Webhook.Deliveries) >= 3
		}, c.status+" job's third delivery")
		if doc.Webhook == nil {
			t.Fatalf("%s job: no webhook object", c.status)
		}
		got := rc.of(eventID)
		t.Logf("%s job %s: %d attempts, last %s after the start", c.status, c.job.ID, len(got), got[len(got)-1].at.Sub(began).Round(time.Millisecond))
		var accepted []webhookRequest
		for i, g := range got {
			if g.status == http.StatusOK {
				accepted = append(accepted, g)
			}
			if i > 0 && (string(g.body) != string(got[0].body) || g.header.Get(webhook.HeaderID) != eventID) {
				t.Errorf("%s: attempt %d differs in body or id", c.status, i+1)
			}
		}
		if len(got) != 3 || len(accepted) != 1 {
			t.Fatalf("%s job: %d attempts, %d accepted; want 3 and exactly 1", c.status, len(got), len(accepted))
		}
		a := accepted[0]
		if _, err := webhook.Verify(sec.Secret, a.header, a.body, time.Now(), 0); err != nil {
			t.Fatalf("%s job: the accepted delivery's signature does not verify with GET /v1/webhook-secret's secret: %v", c.status, err)
		}
		if ct := a.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var event map[string]any
		mustJSON(t, a.body, &event)
		if event["id"] != c.job.ID || event["status"] != c.status || event["owner"] != nil || event["webhook"] != nil {
			t.Errorf("%s job: event body %s", c.status, a.body)
		}
		if c.status == "succeeded" && event["result_url"] != "/v1/jobs/"+c.job.ID+"/result" {
			t.Errorf("succeeded event lacks result_url: %s", a.body)
		}
		ds := doc.Webhook.Deliveries
		if doc.Webhook.URL != hookURL || len(ds) != 3 || ds[0].Status != 500 || ds[1].Status != 500 || ds[2].Status != 200 ||
			ds[0].Attempt != 1 || ds[2].Attempt != 3 || ds[0].At == "" {
			t.Errorf("%s job document's webhook: %+v", c.status, doc.Webhook)
		}
	}
	// Exactly one accepted delivery: nothing more arrives.
	time.Sleep(2 * time.Second)
	for _, j := range []jobDoc{canceled, succeeded} {
		if n := len(rc.of("msg_" + j.ID)); n != 3 {
			t.Errorf("job %s: %d attempts after it was accepted, want 3", j.ID, n)
		}
	}
	// The URL's token and the secret never reach the logs.
	for _, p := range []*proc{e.gateway, e.worker} {
		for _, secret := range []string{"e2e-t0k3n", sec.Secret, strings.TrimPrefix(sec.Secret, webhook.SecretPrefix)} {
			if strings.Contains(p.logs(), secret) {
				t.Errorf("%s logged a secret (%.12s...)", p.name, secret)
			}
		}
		for _, g := range rc.got {
			if sig := g.header.Get(webhook.HeaderSignature); strings.Contains(p.logs(), strings.TrimPrefix(sig, "v1,")) {
				t.Errorf("%s logged a signature", p.name)
			}
		}
	}
	if !e.worker.logHas("webhook delivered", succeeded.ID) {
		t.Error("the worker did not log the delivery")
	}
	t.Logf("webhook fault test: %s", time.Since(began).Round(time.Millisecond))
	e.worker.stop(t)
	e.gateway.stop(t)
}
