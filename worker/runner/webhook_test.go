package runner

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/webhook"
)

// hookReceiver answers each event's attempts from a script (then 200),
// keeping what it received.
type hookReceiver struct {
	mu     sync.Mutex
	script map[string][]int // path -> statuses of the first attempts
	got    []received
}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, received{path: r.URL.Path, header: r.Header.Clone(), body: b})
	status := http.StatusOK
	if s := h.script[r.URL.Path]; len(s) > 0 {
		status, h.script[r.URL.Path] = s[0], s[1:]
	}
	w.WriteHeader(status)
}

func (h *hookReceiver) received(path string) []received {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []received
	for _, g := range h.got {
		if g.path == path {
			out = append(out, g)
		}
	}
	return out
}

// TestWebhooksOnRedis: a real Asynq server with webhooks enabled delivers
// the terminal event of a canceled job (retried after 500s until
// accepted, every attempt recorded on the job and signed with the
// principal's secret), stops at 410 Gone, and does not deliver twice when
// an event is dispatched again.
func TestWebhooksOnRedis(t *testing.T) {
	r := redistest.New(t)
	ctx := context.Background()
	store := jobstore.New(r.Client, time.Hour)
	h := NewHandler(fakeRegistry(t), store, zap.NewNop())
	pool := config.WorkerPool{Concurrency: 2, QueueWeights: map[string]int{"critical": 6, "default": 3, "low": 1}, PollInterval: 20 * time.Millisecond}
	srv := NewServer(r.Client, pool, 2*time.Second, h, zap.NewNop())
	client := asynq.NewClientFromRedisClient(r.Client)
	defer client.Close()

	rcv := &hookReceiver{script: map[string][]int{"/retry": {500, 503}, "/gone": {410}}}
	hs := httptest.NewServer(rcv)
	defer hs.Close()
	_, port, _ := net.SplitHostPort(hs.Listener.Addr().String())
	cfg := config.Webhook{AllowPrivate: true, Allowlist: webhook.Allowlist{{Host: "127.0.0.1", Port: port}},
		RetryBase: 20 * time.Millisecond, Timeout: 2 * time.Second}
	secrets := webhook.NewSecretStore(r.Client)
	wh := NewWebhooks(cfg, store, secrets, client, webhook.NewJitter(1), zap.NewNop())
	wh.every = 20 * time.Millisecond
	srv.EnableWebhooks(wh)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	for _, id := range []string{"job_retry", "job_gone"} {
		path := "/" + strings.TrimPrefix(id, "job_")
		if err := store.Create(ctx, &jobstore.Job{ID: id, Type: "fake", Queue: "default", Owner: "alice",
			Webhook: &jobstore.Webhook{URL: hs.URL + path + "?token=t0k3n"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Cancel(ctx, id, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	deliveries := func(id string) []jobstore.Delivery {
		j, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return j.Webhook.Deliveries
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(deliveries("job_retry")) < 3 || len(deliveries("job_gone")) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: retry %+v, gone %+v", deliveries("job_retry"), deliveries("job_gone"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a wrong retry would come within this
	ds := deliveries("job_retry")
	if len(ds) != 3 || ds[0].Status != 500 || ds[1].Status != 503 || ds[2].Status != 200 || ds[0].Attempt != 1 || ds[2].Attempt != 3 {
		t.Fatalf("retry deliveries %+v", ds)
	}
	if gone := deliveries("job_gone"); len(gone) != 1 || gone[0].Status != 410 {
		t.Fatalf("410 deliveries %+v", gone)
	}
	got := rcv.received("/retry")
	if len(got) != 3 {
		t.Fatalf("receiver got %d attempts", len(got))
	}
	secret, created, err := secrets.Secret(ctx, "alice")
	if err != nil || created {
		t.Fatalf("the delivery did not create the principal's secret: %v", err)
	}
	for i, g := range got {
		id, err := webhook.Verify(secret, g.header, g.body, time.Now(), 0)
		if err != nil || id != "msg_job_retry" || string(g.body) != string(got[0].body) {
			t.Fatalf("attempt %d: %q %v (same id and body on every attempt wanted)", i+1, id, err)
		}
		if g.header.Get("Content-Type") != "application/json" || !strings.Contains(string(g.body), `"status":"canceled"`) {
			t.Fatalf("attempt %d: %s %s", i+1, g.header.Get("Content-Type"), g.body)
		}
	}
	// A second dispatch of a delivered event (an outbox entry left behind)
	// conflicts with the retained task: nothing is delivered again.
	r.Client.ZAdd(ctx, jobstore.OutboxKey, redis.Z{Score: 1, Member: "job_retry"})
	if n, err := wh.Dispatch(ctx); err != nil || n != 0 {
		t.Fatalf("re-dispatch enqueued %d: %v", n, err)
	}
	if ids, _ := store.OutboxPending(ctx, 10); len(ids) != 0 {
		t.Fatalf("outbox %v", ids)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rcv.received("/retry")); n != 3 {
		t.Fatalf("re-dispatch delivered again: %d attempts", n)
	}
}
