package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/worker/runner"
)

// TestCancelRunningJobs: a running optimize, contest-sim and calibrate job,
// run by the worker's real handler (default poll interval), canceled
// through the job service (DELETE /v1/jobs/{id}), stops computing and
// ends canceled within a second.
func TestCancelRunningJobs(t *testing.T) {
	cases := []struct {
		typ, file string
		set       map[string]any
	}{
		{task.TypeOptimize, "optimize-dk-nba-2025-01-12.json", map[string]any{"lineups": 3000, "seed": 3, "randomness": 0.3}},
		{task.TypeContestSim, "contest-sim-dk-nba-2025-01-12.json", map[string]any{"sims": 100000, "seed": 3}},
		{task.TypeCalibrate, "calibrate-nfl-2021-w01-w03.json", map[string]any{"draws": 100000, "warmup": 20000}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			reg := task.Standard(job.Services{Calibrations: calibcache.New(f.rdb, time.Hour, 10)})
			svc := New(reg, f.store, f.client, f.insp)
			h := runner.NewHandler(reg, f.store, zap.NewNop())
			kind, _ := reg.Lookup(c.typ)
			j, err := svc.Submit(ctx, Submission{Kind: kind, Body: example(t, c.file, c.set), Principal: alice})
			if err != nil {
				t.Fatal(err)
			}
			tasks, err := f.insp.ListPendingTasks(j.Queue)
			if err != nil || len(tasks) != 1 {
				t.Fatalf("pending %v %v", tasks, err)
			}
			done := make(chan error, 1)
			go func() { done <- h.ProcessTask(ctx, asynq.NewTask(tasks[0].Type, tasks[0].Payload)) }()
			// Wait until it computes (progress reported).
			deadline := time.Now().Add(20 * time.Second)
			for {
				got, err := f.store.Get(ctx, j.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status.Final() {
					t.Fatalf("finished before the cancel: %+v %+v", got, got.Error)
				}
				if got.Status == jobstore.StatusRunning && got.Progress.Done > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("never ran: %+v", got)
				}
				time.Sleep(20 * time.Millisecond)
			}
			start := time.Now()
			if _, err := svc.Cancel(ctx, alice, j.ID); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(time.Second):
				t.Fatal("the handler still computes a second after the cancel")
			}
			took := time.Since(start)
			got, err := f.store.Get(ctx, j.ID)
			if err != nil || got.Status != jobstore.StatusCanceled {
				t.Fatalf("after cancel: %+v %v", got, err)
			}
			if _, err := f.store.Result(ctx, j.ID); err == nil {
				t.Fatal("a canceled job has a result")
			}
			t.Logf("%s stopped %v after the cancel", c.typ, took)
		})
	}
}
