// Package runner provides the Asynq side of dfsopt: the task handler that
// turns a task payload into an optimizer call and stores the outcome through
// the job store, and the Asynq server that runs it. The worker binary and the
// gateway's embedded mode both use it.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/requestid"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/tracing"
)

// Job error codes stored in failed job records (defined once, in
// optimizer/job, and produced by the compute errors themselves).
const (
	CodeInvalidRequest = job.CodeInvalidRequest
	CodeInfeasible     = job.CodeInfeasible
	CodeNotConverged   = job.CodeNotConverged
	CodeTimeout        = job.CodeTimeout
	CodeComputeFailed  = job.CodeComputeFailed
	CodeInternal       = job.CodeInternal
)

// Handler runs the tasks of every kind in a registry.
type Handler struct {
	reg   *task.Registry
	store *jobstore.Store
	log   *zap.Logger
	// poll is how often a running job's progress is written and its cancel
	// flag read.
	poll time.Duration
	// metrics receives the run measurements (never nil).
	metrics Metrics
	// watchdog tracks the running tasks for the liveness probe.
	watchdog *Watchdog
	// tracer makes the task's spans (no-op unless WithTracer).
	tracer trace.Tracer
}

// Metrics receives the handler's measurements; *metrics.Jobs of pkg/metrics
// satisfies it.
type Metrics interface {
	// Started records the start of a task run: its retry number and, for
	// a first run, how long the job waited in its queue (< 0: unknown).
	Started(typ, queue string, retry int, wait time.Duration)
	// Finished records the end of a run with its status (succeeded,
	// failed, canceled, retry, skipped) and run time.
	Finished(typ, queue, status string, elapsed time.Duration)
}

type noMetrics struct{}

func (noMetrics) Started(string, string, int, time.Duration)     {}
func (noMetrics) Finished(string, string, string, time.Duration) {}

// Run outcomes, the status of Metrics.Finished.
const (
	outcomeSucceeded = "succeeded"
	outcomeFailed    = "failed"
	outcomeCanceled  = "canceled"
	outcomeRetry     = "retry"
	outcomeSkipped   = "skipped"
)

// NewHandler returns a handler running the kinds of reg.
func NewHandler(reg *task.Registry, store *jobstore.Store, log *zap.Logger) *Handler {
	return &Handler{reg: reg, store: store, log: log, poll: 250 * time.Millisecond, metrics: noMetrics{}, watchdog: NewWatchdog(DefaultStuckGrace),
		tracer: noop.NewTracerProvider().Tracer("")}
}

// WithTracer makes h trace its tasks with t (spans task, decode, compute,
// store), as children of the submitting request's span (the payload's
// traceparent), and returns h.
func (h *Handler) WithTracer(t trace.Tracer) *Handler {
	h.tracer = t
	return h
}

// WithMetrics makes h record its runs in m and returns h.
func (h *Handler) WithMetrics(m Metrics) *Handler {
	h.metrics = m
	return h
}

// Watchdog returns the watchdog of h's running tasks (the worker's /live).
func (h *Handler) Watchdog() *Watchdog { return h.watchdog }

// Mux returns an Asynq mux routing each registered type to h.
func (h *Handler) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	for _, k := range h.reg.Kinds() {
		mux.Handle(k.Type, h)
	}
	return mux
}

// ProcessTask runs one task. It is idempotent: a job that is already final
// is skipped, and a result is written once. It returns nil when the job
// reached a final state, an error wrapping asynq.SkipRetry for a broken
// task, and a plain error (retried by Asynq) for transient failures and for
// a shutdown that interrupted the job.
func (h *Handler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	start := time.Now()
	queue, _ := asynq.GetQueueName(ctx)
	id, _ := asynq.GetTaskID(ctx)
	deadline, _ := ctx.Deadline()
	done := h.watchdog.begin(id, deadline)
	defer done()
	outcome, err := h.process(ctx, t, queue)
	h.metrics.Finished(t.Type(), queue, outcome, time.Since(start))
	return err
}

// observe runs a task h does not handle itself (a contest chunk) under the
// watchdog and counts its run: succeeded, failed (not retried) or retry.
func (h *Handler) observe(ctx context.Context, t *asynq.Task, next asynq.Handler) error {
	start := time.Now()
	queue, _ := asynq.GetQueueName(ctx)
	id, _ := asynq.GetTaskID(ctx)
	deadline, _ := ctx.Deadline()
	done := h.watchdog.begin(id, deadline)
	defer done()
	err := next.ProcessTask(ctx, t)
	outcome := outcomeSucceeded
	switch {
	case errors.Is(err, asynq.SkipRetry):
		outcome = outcomeFailed
	case err != nil:
		outcome = outcomeRetry
	}
	h.metrics.Finished(t.Type(), queue, outcome, time.Since(start))
	return err
}

// process runs one task and says how its run ended.
func (h *Handler) process(ctx context.Context, t *asynq.Task, queue string) (string, error) {
	p, err := task.DecodePayload(t.Payload())
	if err != nil {
		h.log.Error("dropping task with a bad payload", zap.String("task_type", t.Type()), zap.Error(err))
		return outcomeSkipped, fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	ctx, span := h.tracer.Start(tracing.WithTraceparent(ctx, p.Traceparent), "task "+t.Type(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("dfsopt.job_id", p.JobID), attribute.String("messaging.destination.name", queue)))
	defer span.End()
	retry, _ := asynq.GetRetryCount(ctx)
	log := h.log.With(zap.String("request_id", p.RequestID), zap.String("job_id", p.JobID),
		zap.String("task_type", t.Type()), zap.Int("retry", retry))
	ctx = logging.With(requestid.With(ctx, p.RequestID), log)

	kind, ok := h.reg.Lookup(t.Type())
	if !ok {
		log.Error("no handler for task type")
		return outcomeSkipped, fmt.Errorf("unknown task type %q: %w", t.Type(), asynq.SkipRetry)
	}
	dctx, dspan := h.tracer.Start(ctx, "decode")
	req, decodeErr := kind.Decode(p.Request)
	limit := kind.DefaultTimeout
	if decodeErr == nil {
		limit = kind.Timeout(req)
	}
	status, deadline, err := h.store.Start(dctx, p.JobID, limit)
	dspan.End()
	switch {
	case errors.Is(err, jobstore.ErrNotFound):
		log.Warn("job record is gone (expired or deleted); dropping task")
		return outcomeSkipped, nil
	case err != nil:
		log.Warn("cannot start job; will retry", zap.Error(err))
		return outcomeRetry, err
	case status != jobstore.StatusRunning:
		log.Info("job already final; nothing to do", zap.String("status", string(status)))
		return outcomeSkipped, nil
	}
	h.metrics.Started(t.Type(), queue, retry, h.queueWait(ctx, p.JobID, retry))
	fail := func(e jobstore.JobError) error {
		// The task's own context may be done (timeout): the record is
		// written regardless, so that the job ends failed, not retried.
		sctx, sspan := h.tracer.Start(context.WithoutCancel(ctx), "store")
		defer sspan.End()
		st, err := h.store.Fail(sctx, p.JobID, p.Principal, e)
		if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
			return err
		}
		log.Info("job failed", zap.String("code", e.Code), zap.String("message", e.Message), zap.String("status", string(st)))
		return nil
	}
	if decodeErr != nil {
		return finalOr(outcomeFailed, fail(failure(decodeErr)))
	}
	if !deadline.IsZero() && !h.store.Now().Before(deadline) {
		return finalOr(outcomeFailed, fail(timedOut(limit)))
	}
	log.Info("job started", zap.Time("deadline", deadline), zap.Strings("flags", p.Flags))
	start := time.Now()
	outcome, err := h.run(ctx, kind, req, p, deadline, fail)
	if err != nil {
		log.Warn("job interrupted", zap.Error(err), zap.Duration("elapsed", time.Since(start)))
		return outcomeRetry, err
	}
	log.Info("job finished", zap.Duration("elapsed", time.Since(start)))
	return outcome, nil
}

// finalOr is outcome when err is nil, else a retry.
func finalOr(outcome string, err error) (string, error) {
	if err != nil {
		return outcomeRetry, err
	}
	return outcome, nil
}

// queueWait is how long a job waited from its submission to its first run
// (-1 for a retry, or when its record cannot be read).
func (h *Handler) queueWait(ctx context.Context, id string, retry int) time.Duration {
	if _, none := h.metrics.(noMetrics); none || retry > 0 {
		return -1
	}
	j, err := h.store.Get(ctx, id)
	if err != nil || j.CreatedAt.IsZero() {
		return -1
	}
	return max(h.store.Now().Sub(j.CreatedAt), 0)
}

// failure is the job error of a compute error: its code from the error
// itself (job.Code), its message, and the request fields it names.
func failure(err error) jobstore.JobError {
	var pe *panicError
	if errors.As(err, &pe) {
		return jobstore.JobError{Code: CodeInternal, Message: "internal error while computing the job"}
	}
	return jobstore.JobError{Code: job.Code(err), Message: err.Error(), Details: job.FieldErrors(err)}
}

func timedOut(limit time.Duration) jobstore.JobError {
	return jobstore.JobError{Code: CodeTimeout, Message: fmt.Sprintf("the job did not finish within its time limit of %s", limit)}
}

// run computes a started job and stores its outcome. A nil error means
// the job is final, with the outcome returned.
func (h *Handler) run(ctx context.Context, kind *task.Kind, req *job.Request, p *task.Payload, deadline time.Time, fail func(jobstore.JobError) error) (string, error) {
	log := logging.From(ctx)
	// The compute runs until the job's deadline (one for all its attempts)
	// and is canceled when the job record says canceled (our flag; Asynq's
	// CancelProcessing is best effort).
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	w := newWatcher(h.store, p.JobID, cancel, log)
	wdone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.loop(cctx, h.poll, wdone) }()

	rctx, rspan := h.tracer.Start(cctx, "compute")
	res, runErr := safeRun(rctx, kind, req, w.report)
	rspan.End()
	close(wdone)
	wg.Wait()

	switch {
	case w.canceled():
		log.Info("job canceled; result discarded")
		return outcomeCanceled, nil
	case runErr != nil && !h.store.Now().Before(deadline):
		// The job's own time is up (whether or not the compute noticed
		// before Asynq's task timeout): final, never retried.
		return finalOr(outcomeFailed, fail(timedOut(kind.Timeout(req))))
	case runErr != nil && ctx.Err() != nil:
		// Shutdown or Asynq's own cancel: leave the job running so a retry
		// (or the next worker) picks it up.
		return outcomeRetry, fmt.Errorf("job interrupted: %w", ctx.Err())
	case runErr != nil && job.IsTransient(runErr):
		return outcomeRetry, runErr
	case runErr != nil:
		var pe *panicError
		if errors.As(runErr, &pe) {
			log.Error("compute panicked", zap.String("panic", pe.value), zap.String("stack", pe.stack))
		}
		return finalOr(outcomeFailed, fail(failure(runErr)))
	}
	b, err := json.Marshal(res)
	if err != nil {
		return finalOr(outcomeFailed, fail(jobstore.JobError{Code: CodeInternal, Message: "cannot encode the result"}))
	}
	if d, t := w.last(); t > 0 {
		// Best effort: the final progress before the result.
		_, _ = h.store.SetProgress(ctx, p.JobID, jobstore.Progress{Done: d, Total: t, Phase: "done"})
	}
	sctx, sspan := h.tracer.Start(context.WithoutCancel(ctx), "store")
	st, err := h.store.Succeed(sctx, p.JobID, p.Principal, b)
	sspan.End()
	if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
		return outcomeRetry, err
	}
	if st != jobstore.StatusSucceeded {
		log.Info("result not stored: job is final", zap.String("status", string(st)))
		if st == jobstore.StatusCanceled {
			return outcomeCanceled, nil
		}
		return outcomeSkipped, nil
	}
	return outcomeSucceeded, nil
}

type panicError struct{ value, stack string }

func (e *panicError) Error() string { return "panic: " + e.value }

func safeRun(ctx context.Context, kind *task.Kind, req *job.Request, progress job.Progress) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: fmt.Sprint(r), stack: string(debug.Stack())}
		}
	}()
	return kind.Run(ctx, req, progress)
}

// watcher takes progress reports from the compute (cheaply, any
// goroutine), writes the latest one every poll interval and cancels the
// compute when the job record is canceled.
type watcher struct {
	store  *jobstore.Store
	id     string
	cancel context.CancelFunc
	log    *zap.Logger

	mu          sync.Mutex
	done, total int
	phase       string
	wasCanceled bool
}

func newWatcher(s *jobstore.Store, id string, cancel context.CancelFunc, log *zap.Logger) *watcher {
	return &watcher{store: s, id: id, cancel: cancel, log: log}
}

func (w *watcher) report(done, total int, phase string) {
	w.mu.Lock()
	w.done, w.total, w.phase = done, total, phase
	w.mu.Unlock()
}

func (w *watcher) last() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done, w.total
}

func (w *watcher) canceled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wasCanceled
}

func (w *watcher) loop(ctx context.Context, every time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			w.flush(context.WithoutCancel(ctx))
			return
		case <-ctx.Done():
			w.flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			w.flush(ctx)
		}
	}
}

// flush writes the progress (or just reads the status) and cancels the
// compute if the job was canceled.
func (w *watcher) flush(ctx context.Context) {
	w.mu.Lock()
	p := jobstore.Progress{Done: w.done, Total: w.total, Phase: w.phase}
	if p.Phase == "" {
		p.Phase = "starting"
	}
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st, err := w.store.SetProgress(ctx, w.id, p)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			w.log.Warn("cannot write progress", zap.Error(err))
		}
		return
	}
	if st == jobstore.StatusCanceled {
		w.mu.Lock()
		w.wasCanceled = true
		w.mu.Unlock()
		w.cancel()
	}
}

// ComputeServices returns the services the compute functions run with in
// a worker: the calibration cache, a Warn hook logging through the job's
// logger, and a Phase hook tracing phases (e.g. "load slate") as spans.
func ComputeServices(calibrations job.Calibrations) job.Services {
	return job.Services{
		Calibrations: calibrations,
		Warn: func(ctx context.Context, msg string, err error) {
			logging.From(ctx).Warn(msg, zap.Error(err))
		},
		Phase: phaseSpan,
	}
}

// phaseSpan makes a compute phase a child span of the task's current span,
// with the tracer provider that made it (a no-op when the task is not
// traced).
func phaseSpan(ctx context.Context, name string) (context.Context, func()) {
	tr := trace.SpanFromContext(ctx).TracerProvider().Tracer("dfsopt/worker")
	ctx, span := tr.Start(ctx, name)
	return ctx, func() { span.End() }
}
