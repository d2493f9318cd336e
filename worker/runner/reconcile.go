package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// Reconciler settles jobs nobody else will: submissions a gateway did not
// finish (Once), and jobs whose task Asynq gave up on (Abandoned). The
// first: a job record
// created, but its task never confirmed enqueued (the gateway stalled on
// Redis, or died, between the two). It runs in every worker; each pass
// looks at the jobs marked submitting for longer than Grace and, for each,
// asks Asynq whether its task exists: if it does, the mark is cleared (the
// job runs as usual); if not, the job, still queued, is failed with code
// internal and a message saying it was never queued, so that no job stays
// "queued" forever with no task behind it.
type Reconciler struct {
	store   *jobstore.Store
	tasks   TaskFinder
	log     *zap.Logger
	grace   time.Duration
	every   time.Duration
	perPass int

	mu sync.Mutex
	// seen holds, per queue, the ids of the archived tasks the last pass
	// of Abandoned listed.
	seen map[string]map[string]bool
}

// TaskFinder finds a task by queue and id, lists the queues and a queue's
// archived tasks (*asynq.Inspector).
type TaskFinder interface {
	Queues() ([]string, error)
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
	ListArchivedTasks(queue string, opts ...asynq.ListOption) ([]*asynq.TaskInfo, error)
}

// Reconciler defaults: a submission is settled after two minutes (far
// longer than a gateway's Redis timeouts), checked every 30 s.
const (
	DefaultReconcileGrace = 2 * time.Minute
	DefaultReconcileEvery = 30 * time.Second
)

// NewReconciler returns a reconciler with the default grace and period.
func NewReconciler(store *jobstore.Store, tasks TaskFinder, log *zap.Logger) *Reconciler {
	return &Reconciler{store: store, tasks: tasks, log: log, grace: DefaultReconcileGrace, every: DefaultReconcileEvery, perPass: 500}
}

// Run reconciles every period until ctx is done.
func (r *Reconciler) Run(ctx context.Context) {
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := r.Once(ctx, r.store.Now().Add(-r.grace)); err != nil && ctx.Err() == nil {
				r.log.Warn("reconcile submissions", zap.Error(err))
			}
			if _, err := r.Abandoned(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("reconcile abandoned tasks", zap.Error(err))
			}
		}
	}
}

// Once settles the submissions marked before cutoff and returns the ids of
// the jobs it failed.
func (r *Reconciler) Once(ctx context.Context, cutoff time.Time) ([]string, error) {
	ids, err := r.store.Orphans(ctx, cutoff, r.perPass)
	if err != nil {
		return nil, err
	}
	var failed []string
	for _, id := range ids {
		j, err := r.store.Get(ctx, id)
		switch {
		case errors.Is(err, jobstore.ErrNotFound):
			_ = r.store.Enqueued(ctx, id) // record gone: drop the mark
			continue
		case err != nil:
			return failed, err
		}
		if j.Status == jobstore.StatusQueued {
			_, err = r.tasks.GetTaskInfo(j.Queue, id)
			switch {
			case err == nil:
			case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
				st, ferr := r.store.FailOrphan(ctx, id, jobstore.JobError{Code: CodeInternal,
					Message: "the job was never queued: the queue could not be reached when it was submitted; submit it again"})
				if ferr != nil {
					return failed, ferr
				}
				if st == jobstore.StatusFailed {
					failed = append(failed, id)
					r.log.Warn("failed a job whose task never reached a queue", zap.String("job_id", id), zap.String("request_id", j.RequestID))
				}
				continue
			default:
				return failed, err
			}
		}
		if err := r.store.Enqueued(ctx, id); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// archivedPage is how many archived tasks Abandoned lists at a time, and
// how many of those its previous pass saw it must meet again before it
// stops walking back.
const archivedPage = 100

// Abandoned fails the jobs whose task Asynq has given up on while the job
// was still queued or running, and returns their ids. Asynq archives a
// task without calling any handler when its worker died (lease expired)
// more often than the task may be retried: its job would otherwise stay
// "running" until it expired. Job and chunk tasks are checked; webhook
// deliveries are not jobs.
//
// Each pass walks every queue's archive from the most recently archived
// task back, a page at a time, until it has met again archivedPage tasks
// (or all) of those its previous pass listed: whatever was archived since,
// however many, is checked, and a quiet archive costs one or two pages
// per queue (Asynq's pages start at the oldest task).
// The first pass walks the whole archive (Asynq keeps at most 10,000 tasks
// per queue). Tasks listed by the previous pass are not checked again.
func (r *Reconciler) Abandoned(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = make(map[string]map[string]bool)
	}
	// Asynq's GetQueueInfo does not answer ErrQueueNotFound for a queue
	// never used: ask which exist.
	existing, err := r.tasks.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	var failed []string
	for _, q := range task.Queues() {
		if !slices.Contains(existing, q) {
			continue
		}
		f, err := r.abandonedIn(ctx, q)
		failed = append(failed, f...)
		if err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// abandonedIn is one pass of Abandoned over queue q.
func (r *Reconciler) abandonedIn(ctx context.Context, q string) ([]string, error) {
	qi, err := r.tasks.GetQueueInfo(q)
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", q, err)
	}
	prev, listed := r.seen[q], make(map[string]bool)
	want := min(archivedPage, len(prev)) // tasks of the previous pass to meet again
	met := 0
	var failed []string
	for page := (qi.Archived-1)/archivedPage + 1; page >= 1 && (met < want || want == 0); page-- {
		tasks, err := r.tasks.ListArchivedTasks(q, asynq.PageSize(archivedPage), asynq.Page(page))
		if err != nil {
			return failed, fmt.Errorf("archived tasks of %s, page %d: %w", q, page, err)
		}
		for i := len(tasks) - 1; i >= 0; i-- { // newest first
			ti := tasks[i]
			if listed[ti.ID] {
				continue // the archive shifted (a trim) between two pages
			}
			listed[ti.ID] = true
			if prev[ti.ID] {
				met++
				continue
			}
			id, err := r.settleArchived(ctx, ti)
			if err != nil {
				r.seen[q] = nil // the next pass starts over
				return failed, err
			}
			if id != "" {
				failed = append(failed, id)
			}
		}
	}
	r.seen[q] = listed
	return failed, nil
}

// settleArchived fails the job of an archived task when the job is still
// queued or running, and returns its id ("" when nothing was failed).
func (r *Reconciler) settleArchived(ctx context.Context, ti *asynq.TaskInfo) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if ti.Type == task.TypeWebhook {
		return "", nil
	}
	var p struct {
		JobID string `json:"job_id"`
	}
	if json.Unmarshal(ti.Payload, &p) != nil || p.JobID == "" {
		return "", nil
	}
	j, err := r.store.Get(ctx, p.JobID)
	if errors.Is(err, jobstore.ErrNotFound) || (err == nil && j.Status.Final()) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	st, err := r.store.Fail(ctx, j.ID, j.Owner, jobstore.JobError{Code: CodeInternal,
		Message: fmt.Sprintf("the job was given up after %d attempts: its worker stopped before finishing (last: %s); submit it again", ti.Retried+1, ti.LastErr)})
	if err != nil {
		return "", err
	}
	if st != jobstore.StatusFailed {
		return "", nil
	}
	r.log.Warn("failed a job whose task Asynq archived", zap.String("job_id", j.ID), zap.String("task_type", ti.Type),
		zap.Int("retried", ti.Retried), zap.String("last_error", ti.LastErr))
	return j.ID, nil
}
