package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/worker/runner"
)

// example reads a request document of examples/ and changes some fields.
func example(t *testing.T, name string, set map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		doc[k] = v
	}
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	return b
}

// runQueued runs every pending task through the worker's real handler.
func (f *fixture) runQueued(t *testing.T, h *runner.Handler) {
	t.Helper()
	for _, q := range []string{task.QueueCritical, task.QueueDefault, task.QueueLow} {
		tasks, err := f.insp.ListPendingTasks(q)
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		for _, ti := range tasks {
			if err := h.ProcessTask(context.Background(), asynq.NewTask(ti.Type, ti.Payload)); err != nil {
				t.Fatalf("task %s: %v", ti.ID, err)
			}
		}
	}
}

// withoutTiming drops the timing stats of a result document.
func withoutTiming(t *testing.T, b []byte) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "stats")
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestReplayIsDeterministic: a replayed optimize, simulate and contest-sim
// job, run by the worker's handler on a real Redis, gives the original's
// result (timing stats aside).
func TestReplayIsDeterministic(t *testing.T) {
	cases := []struct {
		typ, file string
		set       map[string]any
	}{
		{task.TypeOptimize, "optimize-dk-nba-2025-01-12.json", map[string]any{"lineups": 5, "seed": 7, "randomness": 0.2}},
		{task.TypeSimulate, "simulate-dk-nba-2025-01-12.json", map[string]any{"sims": 200, "seed": 11}},
		{task.TypeContestSim, "contest-sim-dk-nba-2025-01-12.json", map[string]any{"sims": 100, "seed": 5,
			"field": map[string]any{"size": 300}}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			reg := task.Standard(job.Services{})
			svc := New(reg, f.store, f.client, f.insp)
			h := runner.NewHandler(reg, f.store, zap.NewNop())
			kind, _ := reg.Lookup(c.typ)
			body := example(t, c.file, c.set)
			if c.typ == task.TypeContestSim {
				var doc map[string]any
				_ = json.Unmarshal(body, &doc)
				contest := doc["contest"].(map[string]any)
				contest["size"] = 300 + len(doc["entries"].([]any))
				var payouts []any
				for _, p := range contest["payouts"].([]any) {
					if p.(map[string]any)["places"].([]any)[1].(float64) <= 300 {
						payouts = append(payouts, p)
					}
				}
				contest["payouts"] = payouts
				body, _ = json.Marshal(doc)
			}
			first, err := svc.Submit(ctx, Submission{Kind: kind, Body: body, Principal: alice})
			if err != nil {
				t.Fatal(err)
			}
			f.runQueued(t, h)
			again, err := svc.Replay(ctx, alice, first.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			f.runQueued(t, h)
			var results [2][]byte
			for i, id := range []string{first.ID, again.ID} {
				j, err := f.store.Get(ctx, id)
				if err != nil || j.Status != jobstore.StatusSucceeded {
					t.Fatalf("job %s: %+v %+v %v", id, j, j.Error, err)
				}
				if results[i], err = f.store.Result(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if a, b := withoutTiming(t, results[0]), withoutTiming(t, results[1]); a != b {
				t.Fatalf("replayed result differs:\n%.400s\n%.400s", a, b)
			}
		})
	}
}
