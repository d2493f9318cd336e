package jobstore

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func createHooked(t *testing.T, s *Store, id, owner string) *Job {
	t.Helper()
	j := &Job{ID: id, Type: "optimize", Queue: "default", Owner: owner, RequestID: "req-" + id,
		Webhook: &Webhook{URL: "https://hooks.example.com/" + id}}
	if err := s.Create(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestOutboxOnEveryTerminalTransition: each way a job becomes final
// records its event in the outbox, in the same step, when the job has a
// webhook, and only then; a transition refused (already final) records
// nothing.
func TestOutboxOnEveryTerminalTransition(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	transitions := []struct {
		name string
		do   func(id string) (Status, error)
		want Status
	}{
		{"succeed", func(id string) (Status, error) {
			_, _, _ = s.Start(ctx, id, time.Minute)
			return s.Succeed(ctx, id, "alice", []byte(`{}`))
		}, StatusSucceeded},
		{"fail (timeout)", func(id string) (Status, error) {
			_, _, _ = s.Start(ctx, id, time.Minute)
			return s.Fail(ctx, id, "alice", JobError{Code: "timeout", Message: "too slow"})
		}, StatusFailed},
		{"fail while queued", func(id string) (Status, error) {
			return s.Fail(ctx, id, "alice", JobError{Code: "invalid_request", Message: "bad"})
		}, StatusFailed},
		{"cancel queued", func(id string) (Status, error) {
			if _, err := s.Cancel(ctx, id, "alice"); err != nil {
				return "", err
			}
			return StatusCanceled, nil
		}, StatusCanceled},
		{"cancel running", func(id string) (Status, error) {
			_, _, _ = s.Start(ctx, id, time.Minute)
			if _, err := s.Cancel(ctx, id, "alice"); err != nil {
				return "", err
			}
			return StatusCanceled, nil
		}, StatusCanceled},
		{"orphan failed by the reconciler", func(id string) (Status, error) {
			return s.FailOrphan(ctx, id, JobError{Code: "internal", Message: "never queued"})
		}, StatusFailed},
	}
	for _, tr := range transitions {
		t.Run(tr.name, func(t *testing.T) {
			r.Client.Del(ctx, OutboxKey)
			hooked, plain := "hooked-"+tr.name, "plain-"+tr.name
			createHooked(t, s, hooked, "alice")
			create(t, s, plain, "alice")
			for _, id := range []string{hooked, plain} {
				if st, err := tr.do(id); err != nil || st != tr.want {
					t.Fatalf("%s: %s %v", id, st, err)
				}
			}
			ids, err := s.OutboxPending(ctx, 10)
			if err != nil || !slices.Equal(ids, []string{hooked}) {
				t.Fatalf("outbox %v %v, want only %s", ids, err, hooked)
			}
			if d := r.Client.TTL(ctx, OutboxKey).Val(); d <= 0 || d > ttl {
				t.Fatalf("outbox TTL %s", d)
			}
			// A second terminal transition is refused and records nothing.
			if err := s.OutboxDone(ctx, hooked); err != nil {
				t.Fatal(err)
			}
			_, _ = s.Fail(ctx, hooked, "alice", JobError{Code: "internal", Message: "late"})
			_, _ = s.Cancel(ctx, hooked, "alice")
			if ids, _ := s.OutboxPending(ctx, 10); len(ids) != 0 {
				t.Fatalf("a refused transition recorded an event: %v", ids)
			}
			j, err := s.Get(ctx, hooked)
			if err != nil || j.Status != tr.want || j.Webhook == nil || j.Webhook.URL != "https://hooks.example.com/"+hooked || j.Webhook.Deliveries == nil {
				t.Fatalf("record %+v %v", j, err)
			}
			if p, _ := s.Get(ctx, plain); p.Webhook != nil {
				t.Fatalf("job without webhook shows one: %+v", p.Webhook)
			}
		})
	}
}

func TestOutboxOnCacheHit(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	key := CacheKey("alice", "h")
	first := &Job{ID: "first", Type: "optimize", Queue: "default", Owner: "alice", CacheKey: key}
	if _, err := s.Submit(ctx, first, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Start(ctx, "first", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Succeed(ctx, "first", "alice", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// A hooked job that is created (not a hit) has no event yet.
	created := &Job{ID: "created", Type: "optimize", Queue: "default", Owner: "alice", Webhook: &Webhook{URL: "https://hooks.example.com/y"}}
	if a, err := s.Submit(ctx, created, 0); err != nil || a != Created {
		t.Fatalf("submit: %v %v", a, err)
	}
	j := &Job{ID: "hit", Type: "optimize", Queue: "default", Owner: "alice", CacheKey: key, Webhook: &Webhook{URL: "https://hooks.example.com/x"}}
	if a, err := s.Submit(ctx, j, 0); err != nil || a != ServedFromCache {
		t.Fatalf("submit: %v %v", a, err)
	}
	if ids, _ := s.OutboxPending(ctx, 10); !slices.Equal(ids, []string{"hit"}) {
		t.Fatalf("outbox %v", ids)
	}
	if got, _ := s.Get(ctx, "hit"); got.Webhook == nil || got.Webhook.URL != "https://hooks.example.com/x" {
		t.Fatalf("record %+v", got)
	}
}

func TestRecordDeliveries(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	createHooked(t, s, "j1", "alice")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 1; i <= MaxDeliveries+5; i++ {
		d := Delivery{Attempt: i, At: at, Status: 500, DurationMS: 12}
		if i == 2 {
			d = Delivery{Attempt: i, At: at, Error: "connection refused", DurationMS: 1}
		}
		if err := s.RecordDelivery(ctx, "j1", d); err != nil {
			t.Fatal(err)
		}
	}
	j, err := s.Get(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	ds := j.Webhook.Deliveries
	if len(ds) != MaxDeliveries || ds[0].Attempt != 6 || ds[len(ds)-1].Attempt != MaxDeliveries+5 || !ds[0].At.Equal(at) {
		t.Fatalf("%d deliveries, first %+v", len(ds), ds[0])
	}
	// An expired record is left alone (no resurrected key without TTL).
	if err := s.RecordDelivery(ctx, "gone", Delivery{Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "gone"); err == nil {
		t.Fatal("RecordDelivery created a record")
	}
}

func TestEventBody(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	createHooked(t, s, "j1", "alice")
	_, _, _ = s.Start(ctx, "j1", time.Minute)
	_, _ = s.Succeed(ctx, "j1", "alice", []byte(`{}`))
	_ = s.RecordDelivery(ctx, "j1", Delivery{Attempt: 1, Status: 500})
	j, _ := s.Get(ctx, "j1")
	b, err := EventBody(j)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["id"] != "j1" || doc["status"] != "succeeded" || doc["result_url"] != "/v1/jobs/j1/result" {
		t.Fatalf("event body %s", b)
	}
	for _, secret := range []string{"owner", "alice", "webhook", "cache_key", "deadline"} {
		if strings.Contains(string(b), `"`+secret+`"`) {
			t.Fatalf("event body shows %q: %s", secret, b)
		}
	}
	if j.Webhook == nil || len(j.Webhook.Deliveries) != 1 {
		t.Fatal("EventBody changed the job")
	}
}
