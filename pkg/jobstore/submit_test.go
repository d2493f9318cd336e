package jobstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/pkg/redistest"
)

// TestSubmit: one round trip creates a queued, submitting, indexed job
// with its request; an owner at its limit is refused until a job of its
// finishes; a cached result makes a succeeded job that takes no slot and
// no submitting mark; EnqueuedMany clears marks in one command.
func TestSubmit(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	newJob := func(id, cacheKey string) *Job {
		return &Job{ID: id, Type: "optimize", Queue: "default", Owner: "alice", RequestID: "req-" + id,
			Request: []byte(`{"seed":1}`), CacheKey: cacheKey, Flags: []string{"f"}, ReplayOf: "job_0"}
	}
	j := newJob("job_1", CacheKey("alice", "h1"))
	if a, err := s.Submit(ctx, j, 2); err != nil || a != Created {
		t.Fatalf("submit: %v %v", a, err)
	}
	got, err := s.GetOwned(ctx, "job_1", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusQueued || got.RequestID != "req-job_1" || got.CacheKey != CacheKey("alice", "h1") ||
		got.ReplayOf != "job_0" || len(got.Flags) != 1 || !got.CreatedAt.Equal(j.CreatedAt) || got.ExpiresAt.Sub(got.CreatedAt) != ttl {
		t.Fatalf("record: %+v", got)
	}
	if b, err := s.Request(ctx, "job_1"); err != nil || string(b) != `{"seed":1}` {
		t.Fatalf("request %q %v", b, err)
	}
	for _, key := range []string{JobKey("job_1"), RequestKey("job_1"), OwnerKey("alice"), AllKey, SubmittingKey, ActiveKey("alice")} {
		if d := r.Client.TTL(ctx, key).Val(); d <= 0 || d > ttl {
			t.Errorf("%s TTL %s", key, d)
		}
	}
	if ids, _ := s.Orphans(ctx, time.Now().Add(time.Hour), 10); len(ids) != 1 || ids[0] != "job_1" {
		t.Fatalf("submitting: %v", ids)
	}
	if js, _ := s.ListAll(ctx, 10); len(js) != 1 {
		t.Fatalf("all index: %d", len(js))
	}
	if js, _ := s.List(ctx, "alice", 10); len(js) != 1 {
		t.Fatalf("owner index: %d", len(js))
	}

	// The limit: a second fits, a third does not until one is final.
	if a, _ := s.Submit(ctx, newJob("job_2", ""), 2); a != Created {
		t.Fatalf("second: %v", a)
	}
	if a, _ := s.Submit(ctx, newJob("job_3", ""), 2); a != AtLimit {
		t.Fatalf("third at the limit: %v", a)
	}
	if _, err := s.Get(ctx, "job_3"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused job was recorded: %v", err)
	}
	if n := r.Client.Exists(ctx, RequestKey("job_3")).Val(); n != 0 {
		t.Fatal("the request of a refused job was kept")
	}
	if _, _, err := s.Start(ctx, "job_1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Succeed(ctx, "job_1", "alice", []byte(`{"lineups":[]}`)); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Submit(ctx, newJob("job_3", ""), 2); a != Created {
		t.Fatalf("third after one finished: %v", a)
	}

	// The same request again: served from the cache, even at the limit.
	c := newJob("job_4", CacheKey("alice", "h1"))
	if a, err := s.Submit(ctx, c, 2); err != nil || a != ServedFromCache {
		t.Fatalf("cached: %v %v", a, err)
	}
	if c.Status != StatusSucceeded || !c.CacheHit || c.FinishedAt == nil {
		t.Fatalf("returned job: %+v", c)
	}
	got, _ = s.Get(ctx, "job_4")
	if got.Status != StatusSucceeded || !got.CacheHit || got.StartedAt == nil || got.FinishedAt == nil || got.CacheKey != "" {
		t.Fatalf("cached record: %+v", got)
	}
	if b, err := s.Result(ctx, "job_4"); err != nil || string(b) != `{"lineups":[]}` {
		t.Fatalf("cached result %q %v", b, err)
	}
	if n := r.Client.ZScore(ctx, ActiveKey("alice"), "job_4").Err(); n == nil {
		t.Error("a cached job took an active slot")
	}
	if n := r.Client.ZScore(ctx, SubmittingKey, "job_4").Err(); n == nil {
		t.Error("a cached job is marked submitting")
	}

	// A cache entry whose result expired computes again.
	r.Client.Del(ctx, ResultKey("job_1"), ResultKey("job_4"))
	if a, _ := s.Submit(ctx, newJob("job_5", CacheKey("alice", "h1")), 0); a != Created {
		t.Fatalf("expired cache entry: %v", a)
	}

	if err := s.EnqueuedMany(ctx, []string{"job_1", "job_2", "job_3", "job_5"}); err != nil {
		t.Fatal(err)
	}
	if n := r.Client.ZCard(ctx, SubmittingKey).Val(); n != 0 {
		t.Fatalf("%d marks left", n)
	}
	if err := s.EnqueuedMany(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

// TestCacheLimit: a result above LimitCache's cap is not filed in the
// result cache (the same request computes again); one at the cap is; a cap
// of 0 caches nothing.
func TestCacheLimit(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		max    int
		result string
		want   Admission
	}{
		{10, `{"a":"xx"}`, ServedFromCache}, // 10 bytes
		{9, `{"a":"xx"}`, Created},
		{0, `{}`, Created},
	} {
		s, _ := newStore(t)
		s.LimitCache(c.max)
		key := CacheKey("alice", "h")
		first := &Job{ID: "job_1", Type: "optimize", Queue: "default", Owner: "alice", CacheKey: key}
		if _, err := s.Submit(ctx, first, 0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Start(ctx, "job_1", time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Succeed(ctx, "job_1", "alice", []byte(c.result)); err != nil {
			t.Fatal(err)
		}
		again := &Job{ID: "job_2", Type: "optimize", Queue: "default", Owner: "alice", CacheKey: key}
		if a, err := s.Submit(ctx, again, 0); err != nil || a != c.want {
			t.Errorf("cap %d, result of %d bytes: %v %v, want %v", c.max, len(c.result), a, err, c.want)
		}
	}
}

// BenchmarkSubmitScript measures a submission's record in Redis: wall time
// per Submit (one round trip) and, as redis-µs/op, the time Redis spent
// running the script and the SET of the request before it (INFO
// commandstats; no SET runs inside the script on a cache miss), which on a shared machine is
// CPU taken from the gateway. Every job is new (cache miss, limit on), with
// a request of the size the load test submits.
func BenchmarkSubmitScript(b *testing.B) {
	r := redistest.New(b)
	s := New(r.Client, ttl)
	ctx := context.Background()
	req := []byte(`{"site":"dk","sport":"nba","players":[` + strings.Repeat(`{"id":"p","name":"Player Name","salary":5000,"positions":["PG"],"team":"BOS","projection":30.5},`, 28) + `{"id":"q"}]}`)
	if err := r.Client.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		id := "job_" + strconv.Itoa(i)
		j := &Job{ID: id, Type: "optimize", Queue: "default", Owner: "alice", RequestID: "req-" + id,
			Request: req, CacheKey: CacheKey("alice", id), Flags: []string{"f"}}
		if a, err := s.Submit(ctx, j, 1_000_000); err != nil || a != Created {
			b.Fatalf("submit: %v %v", a, err)
		}
	}
	stats, err := r.Client.Info(ctx, "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	usec := 0.0
	for _, cmd := range []string{"evalsha", "set"} {
		u, err := commandUsec(stats, cmd)
		if err != nil {
			b.Fatal(err)
		}
		usec += u
	}
	b.ReportMetric(usec/float64(i), "redis-µs/op")
}

// commandUsec returns the total usec INFO commandstats reports for cmd.
func commandUsec(info, cmd string) (float64, error) {
	for line := range strings.Lines(info) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":")
		if !ok {
			continue
		}
		for field := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(field, "usec="); ok {
				return strconv.ParseFloat(v, 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s in commandstats", cmd)
}

// TestSubmitAfterScriptFlush: a Redis that lost its scripts (a restart,
// SCRIPT FLUSH) gets the submit script loaded again; the request is
// written once.
func TestSubmitAfterScriptFlush(t *testing.T) {
	r := redistest.New(t)
	ctx := context.Background()
	s := New(r.Client, time.Hour)
	for i, id := range []string{"job_a", "job_b"} {
		if err := r.Client.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		j := &Job{ID: id, Type: "optimize", Queue: "default", Owner: "alice", Request: []byte(`{"seed":` + strconv.Itoa(i+1) + `}`)}
		if a, err := s.Submit(ctx, j, 0); err != nil || a != Created {
			t.Fatalf("%s after SCRIPT FLUSH: %v %v", id, a, err)
		}
		if b, err := s.Request(ctx, id); err != nil || string(b) != string(j.Request) {
			t.Fatalf("%s request: %q %v", id, b, err)
		}
	}
}
