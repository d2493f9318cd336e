package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// archive is a store and an Asynq queue on one Redis, to make jobs and
// archive their tasks.
type archive struct {
	t      *testing.T
	ctx    context.Context
	store  *jobstore.Store
	client *asynq.Client
	insp   *asynq.Inspector
}

func newArchive(t *testing.T) *archive {
	r := redistest.New(t)
	a := &archive{t: t, ctx: context.Background(), store: jobstore.New(r.Client, time.Hour),
		client: asynq.NewClientFromRedisClient(r.Client), insp: asynq.NewInspectorFromRedisClient(r.Client)}
	t.Cleanup(func() { _ = a.client.Close() })
	return a
}

// archived enqueues a task of jobID and archives it, as Asynq does when it
// gives the task up.
func (a *archive) archived(typ, taskID, queue, jobID string) {
	a.t.Helper()
	payload := []byte(`{"job_id":"` + jobID + `","principal":"alice","request":{}}`)
	if _, err := a.client.EnqueueContext(a.ctx, asynq.NewTask(typ, payload, asynq.TaskID(taskID), asynq.Queue(queue))); err != nil {
		a.t.Fatal(err)
	}
	if err := a.insp.ArchiveTask(queue, taskID); err != nil {
		a.t.Fatal(err)
	}
}

// job records a job of alice's with the given status (queued, running or
// succeeded).
func (a *archive) job(id string, status jobstore.Status) {
	a.t.Helper()
	if err := a.store.Create(a.ctx, &jobstore.Job{ID: id, Type: task.TypeOptimize, Queue: "default", Owner: "alice"}); err != nil {
		a.t.Fatal(err)
	}
	if status == jobstore.StatusQueued {
		return
	}
	if _, _, err := a.store.Start(a.ctx, id, time.Minute); err != nil {
		a.t.Fatal(err)
	}
	if status == jobstore.StatusSucceeded {
		if _, err := a.store.Succeed(a.ctx, id, "alice", []byte(`{}`)); err != nil {
			a.t.Fatal(err)
		}
	}
}

// TestAbandonedTasks: a job whose task Asynq archived while the job was
// running (its workers died too often) is failed with code internal; a
// job already final, a chunk of a finished job and a webhook task are left
// alone; a second pass changes nothing.
func TestAbandonedTasks(t *testing.T) {
	a := newArchive(t)
	ctx, store := a.ctx, a.store
	rec := NewReconciler(store, a.insp, zap.NewNop())
	a.job("job_running", jobstore.StatusRunning)
	a.job("job_queued", jobstore.StatusQueued)
	a.job("job_done", jobstore.StatusSucceeded)
	a.job("job_fan", jobstore.StatusRunning)
	a.archived(task.TypeOptimize, "job_running", "default", "job_running")
	a.archived(task.TypeOptimize, "job_queued", "low", "job_queued")
	a.archived(task.TypeOptimize, "job_done", "default", "job_done")
	a.archived(task.TypeContestSimChunk, task.ChunkTaskID("job_fan", 2), "critical", "job_fan")
	a.archived(task.TypeWebhook, "webhook:job_done", "default", "job_done")

	failed, err := rec.Abandoned(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 3 {
		t.Fatalf("failed %v, want job_running, job_queued and job_fan", failed)
	}
	for _, id := range []string{"job_running", "job_queued", "job_fan"} {
		j, _ := store.Get(ctx, id)
		if j.Status != jobstore.StatusFailed || j.Error == nil || j.Error.Code != CodeInternal || !strings.Contains(j.Error.Message, "given up") {
			t.Errorf("%s: %+v %+v", id, j, j.Error)
		}
	}
	if j, _ := store.Get(ctx, "job_done"); j.Status != jobstore.StatusSucceeded {
		t.Errorf("a finished job was changed: %s", j.Status)
	}
	if again, err := rec.Abandoned(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second pass: %v %v", again, err)
	}
}

// listCounter counts the archive pages a reconciler lists.
type listCounter struct {
	TaskFinder
	pages int
}

func (c *listCounter) ListArchivedTasks(queue string, opts ...asynq.ListOption) ([]*asynq.TaskInfo, error) {
	c.pages++
	return c.TaskFinder.ListArchivedTasks(queue, opts...)
}

// TestAbandonedAfterBursts: every task archived since the last pass is
// checked, however many and wherever the page boundaries fall (101, then
// 150 more: 251 in all, a last page of 51); a quiet archive costs two
// pages (the last one and the one before); a new reconciler (a worker just started) walks the whole
// archive and changes nothing.
func TestAbandonedAfterBursts(t *testing.T) {
	a := newArchive(t)
	ctx, store := a.ctx, a.store
	lists := &listCounter{TaskFinder: a.insp}
	rec := NewReconciler(store, lists, zap.NewNop())

	n := 0
	burst := func(count int) map[string]bool {
		t.Helper()
		ids := make(map[string]bool, count)
		for range count {
			n++
			id := fmt.Sprintf("job_burst%04d", n)
			a.job(id, jobstore.StatusRunning)
			a.archived(task.TypeOptimize, id, "default", id)
			ids[id] = true
		}
		return ids
	}
	pass := func(name string, want map[string]bool) {
		t.Helper()
		failed, err := rec.Abandoned(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := make(map[string]bool, len(failed))
		for _, id := range failed {
			got[id] = true
			if !want[id] {
				t.Errorf("%s: failed %s, not archived since the last pass", name, id)
			}
		}
		for id := range want {
			if !got[id] {
				t.Errorf("%s: %s was archived while running and is not failed", name, id)
			}
		}
	}

	pass("first 101", burst(101))
	pass("150 more", burst(150))
	lists.pages = 0
	pass("quiet", nil)
	if lists.pages != 2 { // the last page (51 tasks), then the one before
		t.Errorf("a quiet pass listed %d pages, want 2", lists.pages)
	}
	pass("2 more", burst(2))
	fresh := NewReconciler(store, lists, zap.NewNop())
	lists.pages = 0
	if failed, err := fresh.Abandoned(ctx); err != nil || len(failed) != 0 {
		t.Fatalf("a new reconciler: failed %v, %v", failed, err)
	}
	if lists.pages != 3 {
		t.Errorf("a new reconciler listed %d pages of an archive of 253, want 3", lists.pages)
	}
}
