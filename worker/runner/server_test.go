package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// TestServerOnRedis runs tasks through a real Asynq server and client on
// the test Redis (miniredis unless DFSOPT_TEST_REDIS_URL is set): this is
// what embedded mode relies on.
func TestServerOnRedis(t *testing.T) {
	r := redistest.New(t)
	reg := fakeRegistry(t)
	kind := reg.Kinds()[0]
	kind.DefaultTimeout = 20 * time.Second
	kind.MaxTimeout = 20 * time.Second
	store := jobstore.New(r.Client, time.Hour)
	h := NewHandler(reg, store, zap.NewNop())
	h.poll = 20 * time.Millisecond
	pool := config.WorkerPool{Concurrency: 2, QueueWeights: map[string]int{"critical": 6, "default": 3, "low": 1}, PollInterval: 20 * time.Millisecond}
	srv := NewServer(r.Client, pool, 2*time.Second, h, zap.NewNop())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	client := asynq.NewClientFromRedisClient(r.Client)
	defer client.Close()
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	ctx := context.Background()

	enqueue := func(id, do, queue string) {
		t.Helper()
		if err := store.Create(ctx, &jobstore.Job{ID: id, Type: "fake", Queue: queue, Owner: "alice"}); err != nil {
			t.Fatal(err)
		}
		body := json.RawMessage(`{"do":"` + do + `"}`)
		req, err := kind.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		req.Options.Priority = queue
		tk, err := kind.NewTask(&task.Payload{JobID: id, Request: body, Principal: "alice"}, req, kind.Queue(req, time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueContext(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(id string, want jobstore.Status) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			j, err := store.Get(ctx, id)
			if err == nil && j.Status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s: %+v %v, want %s", id, j, err, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	for _, q := range task.Queues() {
		enqueue("ok-"+q, "ok", q)
	}
	for _, q := range task.Queues() {
		waitFor("ok-"+q, jobstore.StatusSucceeded)
	}
	enqueue("fails", "fail", "low")
	waitFor("fails", jobstore.StatusFailed)

	// A running job canceled through our flag and Asynq's CancelProcessing.
	enqueue("long", "block", "default")
	waitFor("long", jobstore.StatusRunning)
	if _, err := store.Cancel(ctx, "long", "alice"); err != nil {
		t.Fatal(err)
	}
	_ = insp.CancelProcessing("long")
	waitFor("long", jobstore.StatusCanceled)
	time.Sleep(100 * time.Millisecond)
	if _, err := store.Result(ctx, "long"); err == nil {
		t.Fatal("canceled job has a result")
	}
}

// TestStrictPriority: with DFSOPT_QUEUE_STRICT a worker takes every
// critical task before any default one, and default before low, whatever
// the order they were queued in.
func TestStrictPriority(t *testing.T) {
	r := redistest.New(t)
	reg := fakeRegistry(t)
	kind := reg.Kinds()[0]
	store := jobstore.New(r.Client, time.Hour)
	h := NewHandler(reg, store, zap.NewNop())
	client := asynq.NewClientFromRedisClient(r.Client)
	defer client.Close()
	ctx := context.Background()
	var ids []string
	for i, q := range []string{"low", "low", "default", "default", "low", "default", "critical", "critical", "critical"} {
		id := fmt.Sprintf("%s-%d", q, i)
		ids = append(ids, id)
		if err := store.Create(ctx, &jobstore.Job{ID: id, Type: "fake", Queue: q, Owner: "alice"}); err != nil {
			t.Fatal(err)
		}
		body := json.RawMessage(`{"do":"ok"}`)
		req, err := kind.Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		tk, err := kind.NewTask(&task.Payload{JobID: id, Request: body, Principal: "alice"}, req, q)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.EnqueueContext(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	pool := config.WorkerPool{Concurrency: 1, QueueWeights: map[string]int{"critical": 6, "default": 3, "low": 1},
		StrictPriority: true, PollInterval: 20 * time.Millisecond}
	srv := NewServer(r.Client, pool, 2*time.Second, h, zap.NewNop())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	deadline := time.Now().Add(20 * time.Second)
	var jobs []*jobstore.Job
	for {
		jobs = jobs[:0]
		for _, id := range ids {
			if j, err := store.Get(ctx, id); err == nil && j.Status == jobstore.StatusSucceeded {
				jobs = append(jobs, j)
			}
		}
		if len(jobs) == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs done", len(jobs), len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
	slices.SortFunc(jobs, func(a, b *jobstore.Job) int { return a.StartedAt.Compare(*b.StartedAt) })
	rank := map[string]int{"critical": 0, "default": 1, "low": 2}
	var order []string
	for i, j := range jobs {
		order = append(order, j.Queue)
		if i > 0 && rank[j.Queue] < rank[jobs[i-1].Queue] {
			t.Fatalf("start order %v: not strict", order)
		}
	}
}

// TestRetryDelay: transient failures back off up to 5 minutes; a task
// recovered from a dead worker (lease expired) is not delayed further.
func TestRetryDelay(t *testing.T) {
	tk := asynq.NewTask("fake", nil)
	for _, c := range []struct {
		n    int
		err  error
		want time.Duration
	}{
		{0, errors.New("redis down"), 5 * time.Second},
		{1, errors.New("redis down"), 10 * time.Second},
		{3, errors.New("redis down"), 40 * time.Second},
		{10, errors.New("redis down"), 5 * time.Minute},
		{0, asynq.ErrLeaseExpired, 0},
		{2, fmt.Errorf("recovered: %w", asynq.ErrLeaseExpired), 0},
	} {
		if got := (&Server{}).retryDelay(c.n, c.err, tk); got != c.want {
			t.Errorf("retryDelay(%d, %v) = %v, want %v", c.n, c.err, got, c.want)
		}
	}
}
