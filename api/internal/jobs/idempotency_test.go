package jobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
)

// TestIdempotentConcurrentSubmits: 20 concurrent submissions of one request
// with one Idempotency-Key create one job and enqueue one task; all get it.
func TestIdempotentConcurrentSubmits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.service(f.client)
	svc.LimitActive(5) // the losers give their slot back
	const n = 20
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			j, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, IdempotencyKey: "order-42"})
			errs[i] = err
			if j != nil {
				ids[i] = j.ID
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("submit %d: %q %v (first %q)", i, ids[i], errs[i], ids[0])
		}
	}
	tasks, err := f.insp.ListPendingTasks(f.kind.DefaultQueue)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("pending tasks %d (%v), want 1", len(tasks), err)
	}
	js, err := f.store.List(ctx, "alice", 100)
	if err != nil || len(js) != 1 {
		t.Fatalf("jobs %d (%v), want 1", len(js), err)
	}
	// The four free active slots are still free.
	for range 4 {
		if _, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice}); err != nil {
			t.Fatalf("slot leaked by a losing submission: %v", err)
		}
	}
}

// TestIdempotencyKeyScope: another body (or job type) with the key is a
// conflict; another principal's key is its own; no key, no idempotency.
func TestIdempotencyKeyScope(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.service(f.client)
	first, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, IdempotencyKey: "k"})
	if err != nil || first.IdempotentReplay {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, IdempotencyKey: "k"})
	if err != nil || again.ID != first.ID || !again.IdempotentReplay {
		t.Fatalf("again: %+v %v", again, err)
	}
	other := strings.Replace(body, `"lineups":1`, `"lineups":2`, 1)
	if _, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(other), Principal: alice, IdempotencyKey: "k"}); !errors.Is(err, ErrIdempotencyConflict) {
		t.Fatalf("other body: %v, want a conflict", err)
	}
	bob, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: auth.Principal{ID: "bob"}, IdempotencyKey: "k"})
	if err != nil || bob.ID == first.ID {
		t.Fatalf("bob: %+v %v", bob, err)
	}
	plain, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice})
	if err != nil || plain.ID == first.ID {
		t.Fatalf("no key: %+v %v", plain, err)
	}
	// The key is stored hashed, with the TTL of the job records.
	keys, err := f.rdb.Keys(ctx, jobstore.KeyPrefix+"idem:alice:*").Result()
	if err != nil || len(keys) != 1 || strings.Contains(keys[0], ":k") {
		t.Fatalf("idempotency keys %v %v", keys, err)
	}
	if ttl := f.rdb.TTL(ctx, keys[0]).Val(); ttl <= 0 || ttl > f.store.TTL() {
		t.Fatalf("ttl %v", ttl)
	}
}

// TestIdempotencyKeyFreedWhenEnqueueFails: a submission that could not be
// enqueued leaves its key free for the retry.
func TestIdempotencyKeyFreedWhenEnqueueFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.service(failingQueue{}).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, IdempotencyKey: "k"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("failing queue: %v", err)
	}
	j, err := f.service(f.client).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, IdempotencyKey: "k"})
	if err != nil || j.IdempotentReplay {
		t.Fatalf("retry: %+v %v", j, err)
	}
}

// TestReplayResubmitsTheRequest: a replay is a new job of the same type
// with the stored request; others' jobs are not found.
func TestReplayResubmitsTheRequest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.service(f.client)
	first, err := svc.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Replay(ctx, alice, first.ID, "")
	if err != nil || r.ID == first.ID || r.ReplayOf != first.ID || r.Type != first.Type {
		t.Fatalf("replay: %+v %v", r, err)
	}
	if got, err := f.store.Request(ctx, r.ID); err != nil || string(got) != body {
		t.Fatalf("replayed request %q %v", got, err)
	}
	if stored, _ := f.store.Get(ctx, r.ID); stored.ReplayOf != first.ID {
		t.Fatalf("stored replay_of %q", stored.ReplayOf)
	}
	if _, err := svc.Replay(ctx, auth.Principal{ID: "bob"}, first.ID, ""); !errors.Is(err, jobstore.ErrNotFound) {
		t.Fatalf("bob replays alice's job: %v", err)
	}
	f.rdb.Del(ctx, jobstore.RequestKey(first.ID))
	if _, err := svc.Replay(ctx, alice, first.ID, ""); !errors.Is(err, jobstore.ErrNotFound) {
		t.Fatalf("expired request: %v", err)
	}
}
