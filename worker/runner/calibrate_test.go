package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// calibrateRequest is a small calibrate request: 100 rows each of QB and WR.
func calibrateRequest(t *testing.T, chains, draws, warmup int) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	req := schema.CalibrateRequest{Sport: "nfl", Seed: 5, Chains: chains, Draws: draws, Warmup: warmup}
	for _, pos := range []string{"QB", "WR"} {
		for i := range 100 {
			proj := 8 + 12*r.Float64()
			req.Rows = append(req.Rows, schema.CalibrationRow{PlayerID: fmt.Sprintf("%s%d", pos, i), Position: pos,
				Team: fmt.Sprintf("T%d", i%8), Date: fmt.Sprintf("2024-W%02d", i%10), Projection: proj,
				Actual: 1.1*proj + (2+0.2*proj)*r.NormFloat64()})
		}
	}
	b, err := json.Marshal(&req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type calibrateFixture struct {
	h     *Handler
	store *jobstore.Store
	cache *calibcache.Cache
}

func newCalibrateFixture(t *testing.T) *calibrateFixture {
	t.Helper()
	r := redistest.New(t)
	if r.Mini != nil {
		t.Log("!!! " + redistest.EnvURL + " is unset: job store and calibration cache run on miniredis")
	}
	cache := calibcache.New(r.Client, time.Hour, 10)
	store := jobstore.New(r.Client, time.Hour)
	h := NewHandler(task.Standard(job.Services{Calibrations: cache}), store, zap.NewNop())
	h.poll = 10 * time.Millisecond
	return &calibrateFixture{h: h, store: store, cache: cache}
}

func (f *calibrateFixture) task(t *testing.T, id string, body []byte) *asynq.Task {
	t.Helper()
	if err := f.store.Create(context.Background(), &jobstore.Job{ID: id, Type: task.TypeCalibrate, Queue: "low", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(task.Payload{JobID: id, Request: body, Principal: "alice", RequestID: "req-" + id})
	return asynq.NewTask(task.TypeCalibrate, b)
}

// TestCalibrateJobNotConverged: an unconverged calibration fails the job
// with not_converged, naming the failing parameters; nothing is cached.
func TestCalibrateJobNotConverged(t *testing.T) {
	f := newCalibrateFixture(t)
	ctx := context.Background()
	if err := f.h.ProcessTask(ctx, f.task(t, "nc", calibrateRequest(t, 2, 100, 100))); err != nil {
		t.Fatal(err)
	}
	j, _ := f.store.Get(ctx, "nc")
	if j.Status != jobstore.StatusFailed || j.Error == nil || j.Error.Code != CodeNotConverged ||
		!strings.Contains(j.Error.Message, "QB.bias") || !strings.Contains(j.Error.Message, "R-hat") {
		t.Fatalf("job %s %+v", j.Status, j.Error)
	}
	if _, err := f.cache.Latest(ctx, "nfl"); err == nil {
		t.Fatal("an unconverged calibration was cached")
	}
}

// TestCalibrateJobCachedAndSlateSource: a converged calibration is cached
// and becomes the sport's latest; the identical request is answered from
// the cache with its own job and result; source.slate_ids fails the job as
// invalid_request.
func TestCalibrateJobCachedAndSlateSource(t *testing.T) {
	if testing.Short() {
		t.Skip("samples a small calibration (a few seconds)")
	}
	f := newCalibrateFixture(t)
	ctx := context.Background()
	body := calibrateRequest(t, 4, 400, 300)
	if err := f.h.ProcessTask(ctx, f.task(t, "c1", body)); err != nil {
		t.Fatal(err)
	}
	j, _ := f.store.Get(ctx, "c1")
	if j.Status != jobstore.StatusSucceeded {
		t.Fatalf("first run: %s %+v", j.Status, j.Error)
	}
	if j.Progress.Done == 0 || j.Progress.Done != j.Progress.Total {
		t.Fatalf("progress %+v", j.Progress)
	}
	var first schema.CalibrateResult
	b, _ := f.store.Result(ctx, "c1")
	if err := json.Unmarshal(b, &first); err != nil || !first.Diagnostics.Converged {
		t.Fatalf("result %v %+v", err, first.Diagnostics)
	}
	latest, err := f.cache.Latest(ctx, "nfl")
	if err != nil || latest.CalibrationID != first.CalibrationID {
		t.Fatalf("latest %v %v", latest, err)
	}

	start := time.Now()
	if err := f.h.ProcessTask(ctx, f.task(t, "c2", body)); err != nil {
		t.Fatal(err)
	}
	j2, _ := f.store.Get(ctx, "c2")
	b2, _ := f.store.Result(ctx, "c2")
	if j2.Status != jobstore.StatusSucceeded || string(b2) != string(b) || time.Since(start) > 2*time.Second {
		t.Fatalf("cached run: %s in %s, same result %v", j2.Status, time.Since(start), string(b2) == string(b))
	}

	if err := f.h.ProcessTask(ctx, f.task(t, "s", []byte(`{"sport":"nfl","source":{"slate_ids":["s1"]}}`))); err != nil {
		t.Fatal(err)
	}
	js, _ := f.store.Get(ctx, "s")
	if js.Status != jobstore.StatusFailed || js.Error.Code != CodeInvalidRequest || !strings.Contains(js.Error.Message, "source.slate_ids") {
		t.Fatalf("slate source: %s %+v", js.Status, js.Error)
	}
}

// TestCalibrateJobCancel: canceling a running calibration (DELETE
// /v1/jobs/{id} sets the flag) stops the sampler between iterations.
func TestCalibrateJobCancel(t *testing.T) {
	f := newCalibrateFixture(t)
	ctx := context.Background()
	tk := f.task(t, "x", calibrateRequest(t, 4, 100_000, 100_000))
	errc := make(chan error, 1)
	go func() { errc <- f.h.ProcessTask(ctx, tk) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, _ := f.store.Get(ctx, "x")
		if j.Progress.Done > 0 && j.Progress.Phase == "sampling" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sampling progress: %+v", j.Progress)
		}
		time.Sleep(5 * time.Millisecond)
	}
	canceledAt := time.Now()
	if _, err := f.store.Cancel(ctx, "x", "alice"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sampler did not stop after the cancel")
	}
	j, _ := f.store.Get(ctx, "x")
	if j.Status != jobstore.StatusCanceled {
		t.Fatalf("status %s", j.Status)
	}
	t.Logf("stopped %s after the cancel", time.Since(canceledAt).Round(time.Millisecond))
}
