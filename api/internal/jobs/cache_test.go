package jobs

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/worker/runner"
)

// TestResultCache: an identical request (same seed) after the first has
// succeeded gets a job that has already succeeded with the same result,
// marked cache_hit, with no task; a new seed, Cache-Control: no-cache,
// another principal, a replay or "cache": "bypass" compute.
func TestResultCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	reg := task.Standard(job.Services{})
	svc := New(reg, f.store, f.client, f.insp)
	h := runner.NewHandler(reg, f.store, zap.NewNop())
	kind, _ := reg.Lookup(task.TypeOptimize)
	body := example(t, "optimize-dk-nba-2025-01-12.json", map[string]any{"lineups": 3, "seed": 7, "randomness": 0.2})
	first, err := svc.Submit(ctx, Submission{Kind: kind, Body: body, Principal: alice})
	if err != nil || first.CacheHit {
		t.Fatalf("first: %+v %v", first, err)
	}
	// Before the first has a result: computed again.
	early, err := svc.Submit(ctx, Submission{Kind: kind, Body: body, Principal: alice})
	if err != nil || early.CacheHit || early.Status != jobstore.StatusQueued {
		t.Fatalf("early: %+v %v", early, err)
	}
	f.runQueued(t, h)
	want, err := f.store.Result(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	pending := func() int {
		ts, _ := f.insp.ListPendingTasks(kind.DefaultQueue)
		return len(ts)
	}
	before := pending()
	hit, err := svc.Submit(ctx, Submission{Kind: kind, Body: body, Principal: alice})
	if err != nil || !hit.CacheHit || hit.Status != jobstore.StatusSucceeded || hit.ID == first.ID {
		t.Fatalf("hit: %+v %v", hit, err)
	}
	stored, err := f.store.Get(ctx, hit.ID)
	if err != nil || !stored.CacheHit || stored.Status != jobstore.StatusSucceeded || stored.FinishedAt == nil {
		t.Fatalf("stored hit: %+v %v", stored, err)
	}
	// The result of first or early (the last to succeed): equal but for timing.
	if got, err := svc.Result(ctx, alice, hit.ID); err != nil || withoutTiming(t, got) != withoutTiming(t, want) {
		t.Fatalf("cached result differs (%v)", err)
	}
	if pending() != before {
		t.Fatal("a cache hit enqueued a task")
	}
	for name, sub := range map[string]Submission{
		"new seed": {Kind: kind, Body: example(t, "optimize-dk-nba-2025-01-12.json", map[string]any{"lineups": 3, "seed": 8, "randomness": 0.2}), Principal: alice},
		"no-cache": {Kind: kind, Body: body, Principal: alice, NoCache: true},
		"bob":      {Kind: kind, Body: body, Principal: auth.Principal{ID: "bob"}},
	} {
		j, err := svc.Submit(ctx, sub)
		if err != nil || j.CacheHit || j.Status != jobstore.StatusQueued {
			t.Fatalf("%s: %+v %v", name, j, err)
		}
	}
	if r, err := svc.Replay(ctx, alice, first.ID, ""); err != nil || r.CacheHit {
		t.Fatalf("replay: %+v %v", r, err)
	}

	// "cache": "bypass" in the request: computed, and not filed for later
	// (an identical bypassing request computes again).
	bypass := example(t, "optimize-dk-nba-2025-01-12.json", map[string]any{"lineups": 3, "seed": 9, "randomness": 0.2, "cache": "bypass"})
	b1, err := svc.Submit(ctx, Submission{Kind: kind, Body: bypass, Principal: alice})
	if err != nil {
		t.Fatal(err)
	}
	if b1.CacheHit || b1.CacheKey != "" {
		t.Fatalf("bypass: cache_key %q, hit %v", b1.CacheKey, b1.CacheHit)
	}
	f.runQueued(t, h)
	b2, err := svc.Submit(ctx, Submission{Kind: kind, Body: bypass, Principal: alice})
	if err != nil {
		t.Fatal(err)
	}
	if b2.CacheHit {
		t.Fatal("a second bypassing request was served from the cache")
	}
	_, err = svc.Submit(ctx, Submission{Kind: kind, Principal: alice,
		Body: example(t, "optimize-dk-nba-2025-01-12.json", map[string]any{"cache": "sometimes"})})
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "cache" {
		t.Fatalf("cache: sometimes: %v", err)
	}
}

// TestCacheKey: the key is the decoded document's (member order, spacing,
// escapes and number spelling do not count), includes the type, seed and
// flags, and is empty for requests naming stored data or opting out.
func TestCacheKey(t *testing.T) {
	reg := task.Standard(job.Services{})
	opt, _ := reg.Lookup(task.TypeOptimize)
	sim, _ := reg.Lookup(task.TypeSimulate)
	var s Service
	key := func(k *task.Kind, body string, flags ...string) string {
		t.Helper()
		doc := any(new(schema.OptimizeRequest))
		if k == sim {
			doc = new(schema.SimulateRequest)
		}
		if err := schema.DecodeBytes([]byte(body), doc); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return s.cacheKeyOf(Submission{Kind: k, Body: []byte(body), Principal: alice}, doc, flags)
	}
	a := key(opt, `{"seed":1,"site":"dk","players":[{"id":"p1","projection":1.5}]}`)
	for _, same := range []string{
		"{ \"players\": [ {\"projection\": 1.50, \"id\": \"p1\"} ],\n \"site\": \"dk\", \"seed\": 1 }",
		`{"seed":1,"site":"\u0064k","players":[{"id":"p1","projection":15e-1}]}`,
		`{"seed":1,"site":"dk","players":[{"id":"p1","projection":1.5,"salary":0}],"constraints":null}`,
	} {
		if a == "" || key(opt, same) != a {
			t.Errorf("%s: another key for the same document", same)
		}
	}
	for name, other := range map[string]string{
		"seed":       key(opt, `{"seed":2,"site":"dk","players":[{"id":"p1","projection":1.5}]}`),
		"projection": key(opt, `{"seed":1,"site":"dk","players":[{"id":"p1","projection":1.6}]}`),
		"order":      key(opt, `{"seed":1,"site":"dk","players":[{"id":"p1","projection":1.5},{"id":"p2"}]}`),
		"type":       key(sim, `{"seed":1,"site":"dk","players":[{"id":"p1","projection":1.5}]}`),
		"flags":      key(opt, `{"seed":1,"site":"dk","players":[{"id":"p1","projection":1.5}]}`, "f"),
	} {
		if other == a {
			t.Errorf("%s not in the key", name)
		}
	}
	for _, body := range []string{`{"slate_id":"s"}`, `{"calibration_id":"latest"}`} {
		k := opt
		if body == `{"calibration_id":"latest"}` {
			k = sim
		}
		if key(k, body) != "" {
			t.Errorf("%s cacheable", body)
		}
	}
	if s.cacheKeyOf(Submission{Kind: opt, Principal: alice, NoCache: true}, new(schema.OptimizeRequest), nil) != "" {
		t.Error("NoCache ignored")
	}
}
