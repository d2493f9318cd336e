package runner

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// testDoc is the request document of the fake kind: what its compute does.
type testDoc struct {
	Do string `json:"do"`
}

func (d *testDoc) Validate() error {
	if d.Do == "" {
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: "do", Reason: schema.ReasonRequired, Message: "do is required"}}}
	}
	return nil
}

type testResult struct {
	Answer int `json:"answer"`
}

var errCompute = errors.New("no valid lineup")

// fakeLimits are the fake kind's limits: a 300 ms time limit.
var fakeLimits = task.Limits{DefaultQueue: task.QueueDefault, DefaultTimeout: 300 * time.Millisecond, MaxTimeout: time.Second, MaxRetry: 1}

func fakeKind(started chan<- struct{}) job.Kind {
	return job.Define[testDoc, testResult]("fake", "/v1/fake",
		func(*testDoc) schema.JobOptions { return schema.JobOptions{} },
		func(ctx context.Context, d *testDoc, progress job.Progress) (*testResult, error) {
			if started != nil {
				started <- struct{}{}
			}
			switch d.Do {
			case "ok":
				progress(1, 2, "optimizing")
				progress(2, 2, "optimizing")
				return &testResult{Answer: 42}, nil
			case "fail":
				return nil, errCompute
			case "invalid":
				return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "players", Reason: "invalid"}}}
			case "panic":
				panic("boom")
			case "transient":
				return nil, job.Transient(errors.New("store unreachable"))
			case "deaf": // ignores ctx and overruns its time limit
				time.Sleep(600 * time.Millisecond)
				return nil, errors.New("gave up late")
			case "block": // until canceled or timed out
				for i := 0; ; i++ {
					progress(i, 1000, "optimizing")
					select {
					case <-ctx.Done():
						return nil, ctx.Err()
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			return nil, errors.New("unknown action")
		})
}

func fakeRegistry(t testing.TB) *task.Registry { return fakeRegistryStarted(t, nil) }

func fakeRegistryStarted(t testing.TB, started chan<- struct{}) *task.Registry {
	t.Helper()
	kinds, err := job.NewRegistry(fakeKind(started))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := task.NewRegistry(kinds, map[string]task.Limits{"fake": fakeLimits})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

type fixture struct {
	h     *Handler
	store *jobstore.Store
}

func newFixture(t *testing.T, started chan<- struct{}) *fixture {
	t.Helper()
	r := redistest.New(t)
	reg := fakeRegistryStarted(t, started)
	store := jobstore.New(r.Client, time.Hour)
	h := NewHandler(reg, store, zap.NewNop())
	h.poll = 10 * time.Millisecond
	return &fixture{h: h, store: store}
}

func (f *fixture) submit(t *testing.T, id, do string) *asynq.Task {
	t.Helper()
	if err := f.store.Create(context.Background(), &jobstore.Job{ID: id, Type: "fake", Queue: "default", Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(task.Payload{JobID: id, Request: json.RawMessage(`{"do":"` + do + `"}`), Principal: "alice", RequestID: "req-" + id})
	return asynq.NewTask("fake", b)
}

func TestProcessTaskOutcomes(t *testing.T) {
	cases := []struct {
		do       string
		status   jobstore.Status
		code     string
		retry    bool // ProcessTask returns an error (Asynq retries)
		hasValue bool
	}{
		{"ok", jobstore.StatusSucceeded, "", false, true},
		{"fail", jobstore.StatusFailed, CodeComputeFailed, false, false},
		{"invalid", jobstore.StatusFailed, CodeInvalidRequest, false, false},
		{"", jobstore.StatusFailed, CodeInvalidRequest, false, false}, // request fails validation
		{"panic", jobstore.StatusFailed, CodeInternal, false, false},
		{"block", jobstore.StatusFailed, CodeTimeout, false, false},
		{"transient", jobstore.StatusRunning, "", true, false},
	}
	for _, c := range cases {
		t.Run(c.do, func(t *testing.T) {
			f := newFixture(t, nil)
			ctx := context.Background()
			err := f.h.ProcessTask(ctx, f.submit(t, "j", c.do))
			if (err != nil) != c.retry {
				t.Fatalf("ProcessTask: %v (retry %v)", err, c.retry)
			}
			j, _ := f.store.Get(ctx, "j")
			if j.Status != c.status {
				t.Fatalf("status %s, want %s (%+v)", j.Status, c.status, j.Error)
			}
			if c.code != "" && (j.Error == nil || j.Error.Code != c.code) {
				t.Fatalf("error %+v, want code %s", j.Error, c.code)
			}
			if c.do == "invalid" && (len(j.Error.Details) != 1 || j.Error.Details[0].Field != "players") {
				t.Fatalf("the job's error lost the field: %+v", j.Error)
			}
			b, rerr := f.store.Result(ctx, "j")
			if c.hasValue != (rerr == nil) {
				t.Fatalf("result %s %v", b, rerr)
			}
			if c.hasValue {
				if string(b) != `{"answer":42}` || j.Progress.Done != 2 || j.Progress.Total != 2 {
					t.Fatalf("result %s progress %+v", b, j.Progress)
				}
				// Idempotent: a second delivery changes nothing.
				if err := f.h.ProcessTask(ctx, asynq.NewTask("fake", mustPayload(t, "j", "fail"))); err != nil {
					t.Fatal(err)
				}
				if j2, _ := f.store.Get(ctx, "j"); j2.Status != jobstore.StatusSucceeded || j2.Attempts != 1 {
					t.Fatalf("re-delivery changed the job: %+v", j2)
				}
			}
		})
	}
}

func mustPayload(t *testing.T, id, do string) []byte {
	t.Helper()
	b, _ := json.Marshal(task.Payload{JobID: id, Request: json.RawMessage(`{"do":"` + do + `"}`), Principal: "alice"})
	return b
}

func TestCancelWhileRunning(t *testing.T) {
	started := make(chan struct{}, 1)
	f := newFixture(t, started)
	f.h.reg.Kinds()[0].DefaultTimeout = 10 * time.Second
	f.h.reg.Kinds()[0].MaxTimeout = 10 * time.Second
	ctx := context.Background()
	tk := f.submit(t, "c", "block")
	errc := make(chan error, 1)
	go func() { errc <- f.h.ProcessTask(ctx, tk) }()
	<-started
	if _, err := f.store.Cancel(ctx, "c", "alice"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("canceled job: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not notice the cancel flag")
	}
	j, _ := f.store.Get(ctx, "c")
	if j.Status != jobstore.StatusCanceled {
		t.Fatalf("status %s", j.Status)
	}
}

// TestOverrunFailsAsTimeout: a compute that ignores its context and
// overruns both the job's time limit and Asynq's task deadline fails the
// job as timeout, final (no retry), instead of leaving it to be retried.
func TestOverrunFailsAsTimeout(t *testing.T) {
	f := newFixture(t, nil)
	// Asynq's own deadline for the attempt ends before the compute returns.
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	if err := f.h.ProcessTask(ctx, f.submit(t, "o", "deaf")); err != nil {
		t.Fatalf("overrun job is retried: %v", err)
	}
	j, _ := f.store.Get(context.Background(), "o")
	if j.Status != jobstore.StatusFailed || j.Error == nil || j.Error.Code != CodeTimeout {
		t.Fatalf("job %+v %+v, want failed with timeout", j, j.Error)
	}
}

// TestDeadlineSpansRetries: the job's deadline is set at its first start;
// a redelivery after it has passed fails the job as timeout without
// computing again.
func TestDeadlineSpansRetries(t *testing.T) {
	started := make(chan struct{}, 2)
	f := newFixture(t, started)
	ctx, cancel := context.WithCancel(context.Background())
	tk := f.submit(t, "d", "block")
	errc := make(chan error, 1)
	go func() { errc <- f.h.ProcessTask(ctx, tk) }()
	<-started
	cancel() // a shutdown: the job is left running for a retry
	if err := <-errc; err == nil {
		t.Fatal("interrupted job not retried")
	}
	time.Sleep(350 * time.Millisecond) // past the 300 ms limit
	if err := f.h.ProcessTask(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
		t.Fatal("the retry computed again after the deadline")
	default:
	}
	j, _ := f.store.Get(context.Background(), "d")
	if j.Status != jobstore.StatusFailed || j.Error == nil || j.Error.Code != CodeTimeout || j.Attempts != 2 {
		t.Fatalf("job %+v %+v", j, j.Error)
	}
}

func TestShutdownLeavesJobForRetry(t *testing.T) {
	started := make(chan struct{}, 2)
	f := newFixture(t, started)
	f.h.reg.Kinds()[0].DefaultTimeout = 10 * time.Second
	f.h.reg.Kinds()[0].MaxTimeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	tk := f.submit(t, "s", "block")
	errc := make(chan error, 1)
	go func() { errc <- f.h.ProcessTask(ctx, tk) }()
	<-started
	cancel() // what Asynq does at the end of its shutdown timeout
	if err := <-errc; err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("interrupted job should be retried: %v", err)
	}
	j, _ := f.store.Get(context.Background(), "s")
	if j.Status != jobstore.StatusRunning {
		t.Fatalf("status %s, want running (re-deliverable)", j.Status)
	}
	// The next delivery of another payload for the same job completes it.
	if err := f.h.ProcessTask(context.Background(), asynq.NewTask("fake", mustPayload(t, "s", "ok"))); err != nil {
		t.Fatal(err)
	}
	if j, _ := f.store.Get(context.Background(), "s"); j.Status != jobstore.StatusSucceeded || j.Attempts != 2 {
		t.Fatalf("after re-delivery: %+v", j)
	}
}

func TestBrokenTasks(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if err := f.h.ProcessTask(ctx, asynq.NewTask("fake", []byte(`not json`))); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("bad payload: %v", err)
	}
	if err := f.h.ProcessTask(ctx, asynq.NewTask("other", mustPayload(t, "x", "ok"))); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("unknown type: %v", err)
	}
	if err := f.h.ProcessTask(ctx, asynq.NewTask("fake", mustPayload(t, "expired", "ok"))); err != nil {
		t.Fatalf("expired record: %v", err)
	}
	f.submit(t, "gone", "ok")
	if _, err := f.store.Cancel(ctx, "gone", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := f.h.ProcessTask(ctx, asynq.NewTask("fake", mustPayload(t, "gone", "ok"))); err != nil {
		t.Fatalf("canceled before start: %v", err)
	}
	if _, err := f.store.Result(ctx, "gone"); !errors.Is(err, jobstore.ErrNoResult) {
		t.Fatal("a canceled job ran")
	}
}
