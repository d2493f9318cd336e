package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
}

// TaskFinder finds a task by queue and id, and lists a queue's archived
// tasks (*asynq.Inspector).
type TaskFinder interface {
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

// archivedPerPass is how many of each queue's most recently archived tasks
// a pass of Abandoned looks at.
const archivedPerPass = 100

// Abandoned fails the jobs whose task Asynq has given up on while the job
// was still queued or running, and returns their ids. Asynq archives a
// task without calling any handler when its worker died (lease expired)
// more often than the task may be retried: its job would otherwise stay
// "running" until it expired. Each pass looks at the most recently
// archived tasks of every queue (job and chunk tasks; webhook deliveries
// are not jobs).
func (r *Reconciler) Abandoned(ctx context.Context) ([]string, error) {
	var failed []string
	for _, q := range task.Queues() {
		qi, err := r.tasks.GetQueueInfo(q)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return failed, fmt.Errorf("queue %s: %w", q, err)
		}
		if qi.Archived == 0 {
			continue
		}
		last := (qi.Archived-1)/archivedPerPass + 1
		tasks, err := r.tasks.ListArchivedTasks(q, asynq.PageSize(archivedPerPass), asynq.Page(last))
		if err != nil {
			return failed, fmt.Errorf("archived tasks of %s: %w", q, err)
		}
		for _, ti := range tasks {
			if ctx.Err() != nil {
				return failed, ctx.Err()
			}
			if ti.Type == task.TypeWebhook {
				continue
			}
			var p struct {
				JobID string `json:"job_id"`
			}
			if json.Unmarshal(ti.Payload, &p) != nil || p.JobID == "" {
				continue
			}
			j, err := r.store.Get(ctx, p.JobID)
			if errors.Is(err, jobstore.ErrNotFound) || (err == nil && j.Status.Final()) {
				continue
			}
			if err != nil {
				return failed, err
			}
			st, err := r.store.Fail(ctx, j.ID, j.Owner, jobstore.JobError{Code: CodeInternal,
				Message: fmt.Sprintf("the job was given up after %d attempts: its worker stopped before finishing (last: %s); submit it again", ti.Retried+1, ti.LastErr)})
			if err != nil {
				return failed, err
			}
			if st == jobstore.StatusFailed {
				failed = append(failed, j.ID)
				r.log.Warn("failed a job whose task Asynq archived", zap.String("job_id", j.ID), zap.String("task_type", ti.Type),
					zap.Int("retried", ti.Retried), zap.String("last_error", ti.LastErr))
			}
		}
	}
	return failed, nil
}
