package jobs

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/featureflag"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/worker/runner"
)

const body = `{"site":"draftkings","sport":"nba","lineups":1,"players":[{"id":"1","name":"A","positions":["PG"],"team":"X","salary":5000,"projection":30}]}`

// stall makes the commands named in fail error out, as a stalled Redis
// would answer them (with a timeout).
type stall struct{ fail atomic.Value } // map[string]bool

func (s *stall) failing(cmds []redis.Cmder) bool {
	m, _ := s.fail.Load().(map[string]bool)
	for _, c := range cmds {
		if m[c.Name()] {
			return true
		}
	}
	return false
}

func (s *stall) DialHook(next redis.DialHook) redis.DialHook { return next }
func (s *stall) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		if s.failing([]redis.Cmder{c}) {
			return errors.New("i/o timeout (stalled)")
		}
		return next(ctx, c)
	}
}
func (s *stall) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if s.failing(cmds) {
			return errors.New("i/o timeout (stalled)")
		}
		return next(ctx, cmds)
	}
}

type failingQueue struct{}

func (failingQueue) EnqueueContext(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("i/o timeout (stalled)")
}

type fixture struct {
	rdb *redis.Client
	// storeClient is the store's client (stallable), not asynq's.
	storeClient *redis.Client
	stall       *stall
	store       *jobstore.Store
	client      *asynq.Client
	insp        *asynq.Inspector
	rec         *runner.Reconciler
	kind        *task.Kind
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	r := redistest.New(t)
	st := &stall{}
	// The store's client can be stalled; asynq's is the plain one.
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	rdb.AddHook(st)
	t.Cleanup(func() { _ = rdb.Close() })
	f := &fixture{rdb: r.Client, stall: st, storeClient: rdb, store: jobstore.New(rdb, time.Hour),
		client: asynq.NewClientFromRedisClient(r.Client), insp: asynq.NewInspectorFromRedisClient(r.Client)}
	f.rec = runner.NewReconciler(f.store, f.insp, zap.NewNop())
	reg := task.Standard(job.Services{})
	f.kind, _ = reg.Lookup(task.TypeOptimize)
	return f
}

func (f *fixture) service(q Enqueuer) *Service {
	return New(task.Standard(job.Services{}), f.store, q, f.insp)
}

var alice = auth.Principal{ID: "alice"}

// TestSubmitStallLeavesNoQueuedJob: Redis stalls after the job record is
// written, so neither the enqueue nor the clean-up goes through. The client
// gets 503 and the record stays behind as queued, but marked as an
// unconfirmed submission: the reconciler fails it, so no job stays queued
// with no task behind it.
func TestSubmitStallLeavesNoQueuedJob(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.stall.fail.Store(map[string]bool{"del": true, "zrem": true})
	_, err := f.service(failingQueue{}).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("submit during a stall: %v", err)
	}
	f.stall.fail.Store(map[string]bool{})
	jobs, err := f.store.List(ctx, "alice", 10)
	if err != nil || len(jobs) != 1 || jobs[0].Status != jobstore.StatusQueued {
		t.Fatalf("after the stall: %+v %v", jobs, err)
	}
	id := jobs[0].ID
	// Not before the grace period...
	if failed, err := f.rec.Once(ctx, time.Now().Add(-time.Minute)); err != nil || len(failed) != 0 {
		t.Fatalf("reconciled too early: %v %v", failed, err)
	}
	// ...then the job, which has no task, is failed.
	failed, err := f.rec.Once(ctx, time.Now().Add(time.Second))
	if err != nil || len(failed) != 1 || failed[0] != id {
		t.Fatalf("reconcile: %v %v", failed, err)
	}
	j, _ := f.store.Get(ctx, id)
	if j.Status != jobstore.StatusFailed || j.Error == nil || j.Error.Code != job.CodeInternal || !strings.Contains(j.Error.Message, "never queued") {
		t.Fatalf("orphan %+v %+v", j, j.Error)
	}
}

// TestSubmitEnqueuedButUnconfirmed: the task reached its queue but the
// confirmation was lost; the reconciler finds the task and leaves the job
// to run.
func TestSubmitEnqueuedButUnconfirmed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.stall.fail.Store(map[string]bool{"zrem": true})
	j, err := f.service(f.client).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice})
	if err != nil {
		t.Fatal(err)
	}
	f.stall.fail.Store(map[string]bool{})
	if ids, _ := f.store.Orphans(ctx, time.Now().Add(time.Second), 10); len(ids) != 1 {
		t.Fatalf("unconfirmed submissions %v", ids)
	}
	failed, err := f.rec.Once(ctx, time.Now().Add(time.Second))
	if err != nil || len(failed) != 0 {
		t.Fatalf("reconcile failed a queued job: %v %v", failed, err)
	}
	if got, _ := f.store.Get(ctx, j.ID); got.Status != jobstore.StatusQueued {
		t.Fatalf("status %s", got.Status)
	}
	if ids, _ := f.store.Orphans(ctx, time.Now().Add(time.Second), 10); len(ids) != 0 {
		t.Fatalf("mark not cleared: %v", ids)
	}
}

// TestSubmitConfirmed: a normal submission leaves nothing to reconcile.
func TestSubmitConfirmed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.service(f.client).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := f.store.Orphans(ctx, time.Now().Add(time.Second), 10); len(ids) != 0 {
		t.Fatalf("unconfirmed submissions %v", ids)
	}
}

// TestCancelDeletesQueuedChunks: canceling a fanned-out job removes its
// chunk tasks still waiting on the queue.
func TestCancelDeletesQueuedChunks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	id := NewJobID()
	if err := f.store.Create(ctx, &jobstore.Job{ID: id, Type: task.TypeContestSim, Queue: task.QueueCritical, Owner: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.store.Start(ctx, id, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.StartFanOut(ctx, id, []byte(`{}`), 3); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		tk := asynq.NewTask(task.TypeContestSimChunk, []byte(`{}`), asynq.TaskID(task.ChunkTaskID(id, i)), asynq.Queue(task.QueueCritical))
		if _, err := f.client.EnqueueContext(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.service(f.client).Cancel(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	pending, err := f.insp.ListPendingTasks(task.QueueCritical)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Fatalf("%d chunk tasks left after cancel", len(pending))
	}
	if j, _ := f.store.Get(ctx, id); j.Status != jobstore.StatusCanceled {
		t.Fatalf("status %s", j.Status)
	}
}

// TestSubmitRecordsFlags: the feature flags on for a job are on its record
// and in its task payload; a flag at share 0 never is.
func TestSubmitRecordsFlags(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	flags, err := featureflag.Parse("everyone=1,nobody=0")
	if err != nil {
		t.Fatal(err)
	}
	j, err := f.service(f.client).WithFlags(flags).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.store.Get(ctx, j.ID)
	if err != nil || !slices.Equal(stored.Flags, []string{"everyone"}) {
		t.Fatalf("record flags %v (%v)", stored.Flags, err)
	}
	tasks, err := f.insp.ListPendingTasks(j.Queue)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("pending %v %v", tasks, err)
	}
	p, err := task.DecodePayload(tasks[0].Payload)
	if err != nil || !slices.Equal(p.Flags, []string{"everyone"}) {
		t.Fatalf("payload flags %v (%v)", p.Flags, err)
	}
	plain, err := f.service(f.client).Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice})
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := f.store.Get(ctx, plain.ID); stored.Flags != nil {
		t.Fatalf("flags without any configured: %v", stored.Flags)
	}
}
