package jobstore

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/redistest"
)

const ttl = time.Hour

func newStore(t *testing.T) (*Store, *redistest.Server) {
	t.Helper()
	r := redistest.New(t)
	return New(r.Client, ttl), r
}

func create(t *testing.T, s *Store, id, owner string) *Job {
	t.Helper()
	j := &Job{ID: id, Type: "optimize", Queue: "default", Owner: owner, RequestID: "req-" + id}
	if err := s.Create(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	create(t, s, "j1", "alice")

	j, err := s.Get(ctx, "j1")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusQueued || j.Owner != "alice" || j.RequestID != "req-j1" || j.CreatedAt.IsZero() ||
		j.ExpiresAt.Sub(j.CreatedAt) != ttl || j.StartedAt != nil || j.Error != nil {
		t.Fatalf("created: %+v", j)
	}
	if d := r.Client.TTL(ctx, JobKey("j1")).Val(); d <= 0 || d > ttl {
		t.Fatalf("job key TTL %s", d)
	}
	if _, err := s.GetOwned(ctx, "j1", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bob reads alice's job: %v", err)
	}

	st, _, err := s.Start(ctx, "j1", time.Minute)
	if err != nil || st != StatusRunning {
		t.Fatalf("start: %s %v", st, err)
	}
	if st, _ := s.SetProgress(ctx, "j1", Progress{Done: 2, Total: 5, Phase: "optimizing"}); st != StatusRunning {
		t.Fatalf("progress: %s", st)
	}
	j, _ = s.Get(ctx, "j1")
	if j.Progress != (Progress{2, 5, "optimizing"}) || j.StartedAt == nil || j.Attempts != 1 {
		t.Fatalf("running: %+v", j)
	}
	if _, err := s.Result(ctx, "j1"); !errors.Is(err, ErrNoResult) {
		t.Fatalf("result before success: %v", err)
	}

	if st, err := s.Succeed(ctx, "j1", "alice", []byte(`{"lineups":[]}`)); err != nil || st != StatusSucceeded {
		t.Fatalf("succeed: %s %v", st, err)
	}
	// Written once: a second delivery's result does not replace it.
	if st, _ := s.Succeed(ctx, "j1", "alice", []byte(`{"other":1}`)); st != StatusSucceeded {
		t.Fatalf("second succeed: %s", st)
	}
	b, err := s.Result(ctx, "j1")
	if err != nil || string(b) != `{"lineups":[]}` {
		t.Fatalf("result: %s %v", b, err)
	}
	if d := r.Client.TTL(ctx, ResultKey("j1")).Val(); d <= 0 || d > ttl {
		t.Fatalf("result key TTL %s", d)
	}
	// A re-delivered task finds the job final and does nothing.
	if st, _, _ := s.Start(ctx, "j1", time.Minute); st != StatusSucceeded {
		t.Fatalf("restart of a finished job: %s", st)
	}
	if _, err := s.Cancel(ctx, "j1", "alice"); !errors.Is(err, ErrFinished) {
		t.Fatalf("cancel finished: %v", err)
	}
	if st, _ := s.Fail(ctx, "j1", "alice", JobError{Code: "x", Message: "y"}); st != StatusSucceeded {
		t.Fatalf("fail after success changed the status to %s", st)
	}
}

func TestCancel(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, "q", "alice")
	create(t, s, "r", "alice")
	if _, _, err := s.Start(ctx, "r", time.Minute); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		id, owner string
		prev      Status
		err       error
	}{
		{"q", "bob", "", ErrNotFound},
		{"q", "alice", StatusQueued, nil},
		{"q", "alice", StatusCanceled, nil}, // idempotent
		{"r", "alice", StatusRunning, nil},
		{"missing", "alice", "", ErrNotFound},
	}
	for _, c := range cases {
		prev, err := s.Cancel(ctx, c.id, c.owner)
		if prev != c.prev || !errors.Is(err, c.err) {
			t.Errorf("cancel %s as %s: %s %v, want %s %v", c.id, c.owner, prev, err, c.prev, c.err)
		}
	}
	// The worker sees the cancel on its next progress report, and its
	// result is refused.
	if st, _ := s.SetProgress(ctx, "r", Progress{Done: 1, Total: 2}); st != StatusCanceled {
		t.Fatalf("progress after cancel: %s", st)
	}
	if st, _ := s.Succeed(ctx, "r", "alice", []byte(`{}`)); st != StatusCanceled {
		t.Fatalf("succeed after cancel: %s", st)
	}
	if _, err := s.Result(ctx, "r"); !errors.Is(err, ErrNoResult) {
		t.Fatalf("a canceled job has a result: %v", err)
	}
	j, _ := s.Get(ctx, "r")
	if j.Error == nil || j.Error.Code != "canceled" || j.FinishedAt == nil {
		t.Fatalf("canceled job: %+v", j)
	}
	if st, _, _ := s.Start(ctx, "q", time.Minute); st != StatusCanceled {
		t.Fatalf("a canceled queued job started: %s", st)
	}
}

func TestListAndExpiry(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b", "c"} {
		s.now = func() time.Time { return base.Add(time.Duration(i) * time.Second) }
		create(t, s, id, "alice")
	}
	create(t, s, "z", "bob")
	js, err := s.List(ctx, "alice", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 3 || js[0].ID != "c" || js[2].ID != "a" {
		t.Fatalf("list: %v", ids(js))
	}
	if js, _ := s.List(ctx, "alice", 2); len(js) != 2 {
		t.Fatalf("limit: %v", ids(js))
	}
	// An expired record disappears from the listing and the index.
	r.Client.Del(ctx, JobKey("b"))
	js, _ = s.List(ctx, "alice", 10)
	if len(js) != 2 || r.Client.ZCard(ctx, OwnerKey("alice")).Val() != 2 {
		t.Fatalf("after expiry: %v", ids(js))
	}
	r.FastForward(t, ttl+time.Second)
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("job outlived its TTL: %v", err)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, "d", "alice")
	if err := s.IndexAll(ctx, &Job{ID: "d", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "d", "alice"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{OwnerKey("alice"), AllKey, SubmittingKey} {
		if n, err := s.rdb.ZCard(ctx, key).Result(); err != nil || n != 0 {
			t.Fatalf("%s still holds %d entries (%v)", key, n, err)
		}
	}
	if _, err := s.Get(ctx, "d"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if _, _, err := s.Start(ctx, "d", time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

func ids(js []*Job) []string {
	var out []string
	for _, j := range js {
		out = append(out, j.ID)
	}
	return out
}

// BenchmarkLifecycle measures create, start, progress, succeed and read of
// one job against the test Redis.
func BenchmarkLifecycle(b *testing.B) {
	r := redistest.New(b)
	s := New(r.Client, ttl)
	ctx := context.Background()
	result := []byte(`{"lineups":[]}`)
	i := 0
	for b.Loop() {
		i++
		id := strconv.Itoa(i)
		if err := s.Create(ctx, &Job{ID: id, Type: "optimize", Queue: "default", Owner: "alice"}); err != nil {
			b.Fatal(err)
		}
		_, _, _ = s.Start(ctx, id, time.Minute)
		_, _ = s.SetProgress(ctx, id, Progress{Done: 1, Total: 1})
		if _, err := s.Succeed(ctx, id, "alice", result); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Result(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDeadlineSetOnce: the first start fixes the job's deadline; later
// starts (retries, chunks) keep it.
func TestDeadlineSetOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, "dl", "alice")
	before := time.Now()
	_, d1, err := s.Start(ctx, "dl", time.Minute)
	if err != nil || d1.Before(before.Add(time.Minute-time.Second)) || d1.After(time.Now().Add(time.Minute)) {
		t.Fatalf("first start: deadline %s %v", d1, err)
	}
	_, d2, err := s.Start(ctx, "dl", time.Hour)
	if err != nil || !d2.Equal(d1) {
		t.Fatalf("second start moved the deadline: %s -> %s (%v)", d1, d2, err)
	}
	if j, _ := s.Get(ctx, "dl"); j.Deadline == nil || !j.Deadline.Equal(d1) || j.Attempts != 2 {
		t.Fatalf("record %+v", j)
	}
}

// TestFailKeepsFieldDetails: a failed job's error keeps the request fields
// the compute named.
func TestFailKeepsFieldDetails(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, "f", "alice")
	e := JobError{Code: "invalid_request", Message: "locked player \"x\" is not in the slate",
		Details: []schema.FieldError{{Field: "constraints.locks[0]", Reason: schema.ReasonNotFound, Message: "not in the slate"}}}
	if st, err := s.Fail(ctx, "f", "alice", e); err != nil || st != StatusFailed {
		t.Fatalf("fail: %s %v", st, err)
	}
	j, err := s.Get(ctx, "f")
	if err != nil || j.Error == nil || !reflect.DeepEqual(*j.Error, e) {
		t.Fatalf("error %+v, want %+v (%v)", j.Error, e, err)
	}
}

// TestOrphans: a created job is marked submitting until its enqueue is
// confirmed; an unconfirmed, still queued one is failed by FailOrphan, and
// a started one is left alone.
func TestOrphans(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, "ok", "alice")
	create(t, s, "lost", "alice")
	create(t, s, "started", "alice")
	if err := s.Enqueued(ctx, "ok"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Orphans(ctx, time.Now().Add(-time.Hour), 10); len(got) != 0 {
		t.Fatalf("orphans before the cutoff: %v", got)
	}
	got, err := s.Orphans(ctx, time.Now().Add(time.Second), 10)
	if err != nil || !reflect.DeepEqual(got, []string{"lost", "started"}) {
		t.Fatalf("orphans %v %v", got, err)
	}
	if _, _, err := s.Start(ctx, "started", time.Minute); err != nil {
		t.Fatal(err)
	}
	e := JobError{Code: "internal", Message: "never queued"}
	if st, err := s.FailOrphan(ctx, "lost", e); err != nil || st != StatusFailed {
		t.Fatalf("fail orphan: %s %v", st, err)
	}
	if st, err := s.FailOrphan(ctx, "started", e); err != nil || st != StatusRunning {
		t.Fatalf("a started job was failed as an orphan: %s %v", st, err)
	}
	if got, _ := s.Orphans(ctx, time.Now().Add(time.Second), 10); len(got) != 0 {
		t.Fatalf("orphans left: %v", got)
	}
	if st, err := s.FailOrphan(ctx, "gone", e); err != nil || st != "" {
		t.Fatalf("missing job: %s %v", st, err)
	}
}

// TestFanOutStorage: the request is stored once with the chunk count on the
// record; partials are written once; the done count is of distinct chunks;
// DeleteFanOut removes every key.
func TestFanOutStorage(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	create(t, s, "fo", "alice")
	if _, _, err := s.Start(ctx, "fo", time.Minute); err != nil {
		t.Fatal(err)
	}
	if st, err := s.StartFanOut(ctx, "fo", []byte(`{"sims":9}`), 3); err != nil || st != StatusRunning {
		t.Fatalf("start fan-out: %s %v", st, err)
	}
	if j, _ := s.Get(ctx, "fo"); j.Chunks != 3 {
		t.Fatalf("chunks on the record: %d", j.Chunks)
	}
	if b, err := s.FanOutRequest(ctx, "fo"); err != nil || string(b) != `{"sims":9}` {
		t.Fatalf("request %s %v", b, err)
	}
	for i, v := range []string{"a", "b", "c"} {
		if err := s.PutPartial(ctx, "fo", i, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.PutPartial(ctx, "fo", 1, []byte("again"))
	for _, c := range []int{2, 0, 2} {
		if _, err := s.ChunkDone(ctx, "fo", c); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := s.ChunkDone(ctx, "fo", 1); n != 3 {
		t.Fatalf("done %d, want 3", n)
	}
	parts, err := s.Partials(ctx, "fo", 3)
	if err != nil || string(parts[0])+string(parts[1])+string(parts[2]) != "abc" {
		t.Fatalf("partials %q %v", parts, err)
	}
	if _, err := s.Partials(ctx, "fo", 4); !errors.Is(err, ErrPartialMissing) {
		t.Fatalf("missing partial: %v", err)
	}
	for _, k := range []string{FanOutRequestKey("fo"), PartialKey("fo", 0)} {
		if d := r.Client.TTL(ctx, k).Val(); d <= 0 || d > ttl {
			t.Fatalf("%s TTL %s", k, d)
		}
	}
	if err := s.DeleteFanOut(ctx, "fo", 3); err != nil {
		t.Fatal(err)
	}
	if keys, _ := r.Client.Keys(ctx, KeyPrefix+"fanout:*").Result(); len(keys) != 0 {
		t.Fatalf("fan-out keys left: %v", keys)
	}
	if _, err := s.FanOutRequest(ctx, "fo"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("request after delete: %v", err)
	}
}
