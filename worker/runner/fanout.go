package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// FanOutConfig says when and how contest_sim jobs are split
// (DFSOPT_CONTEST_CHUNK_SIMS and DFSOPT_CONTEST_FANOUT_THRESHOLD in
// pkg/config).
type FanOutConfig struct {
	// ChunkSims is the number of sims per chunk (0: never fan out).
	ChunkSims int
	// Threshold is the lineup-sims above which a job is fanned out.
	Threshold int64
}

// FanOutConfigOf returns the fan-out settings of a worker pool
// configuration.
func FanOutConfigOf(p config.WorkerPool) FanOutConfig {
	return FanOutConfig{ChunkSims: p.ContestChunkSims, Threshold: p.ContestFanOutThreshold}
}

// FanOut splits big contest_sim jobs into chunk tasks of sim ranges run by
// any worker, and merges their partial sums (contest.Partial) into the
// job's result, exactly equal to a single run with the same seed.
//
// The parent task starts the job (which fixes its deadline), stores the
// request document once (jobstore.StartFanOut: chunk payloads carry only
// the job id and their sim range), enqueues one contest_sim_chunk task per
// chunk (task.ChunkTaskID, so a redelivered parent enqueues nothing twice)
// and returns; the job stays running. The parent resolves the request's
// calibration_id once and pins the concrete calibration id into the chunk
// payloads, so every chunk simulates with the same calibration even when
// "latest" changes meanwhile. Each chunk task reads the request, rebuilds
// the prepared contest, runs its sims until the job's one deadline, stores
// its partial once and counts itself done (jobstore.PutPartial,
// ChunkDone). The chunk that sees the count complete merges the partials
// and stores the result (jobstore.Succeed writes once), then deletes the
// fan-out keys. Redelivered chunks find their partial stored and only redo
// the completion step. Canceled or failed jobs make the remaining chunks
// no-ops, and a cancel deletes the chunks still queued (jobs.Service).
type FanOut struct {
	cfg          FanOutConfig
	client       *asynq.Client
	store        *jobstore.Store
	reg          *task.Registry
	calibrations job.Calibrations
	log          *zap.Logger
}

// NewFanOut returns the fan-out of the contest_sim kind of reg, enqueueing
// chunks through client and resolving calibrations with calibrations (nil:
// a calibration_id cannot be resolved).
func NewFanOut(cfg FanOutConfig, client *asynq.Client, store *jobstore.Store, reg *task.Registry, calibrations job.Calibrations, log *zap.Logger) *FanOut {
	return &FanOut{cfg: cfg, client: client, store: store, reg: reg, calibrations: calibrations, log: log}
}

// EnableFanOut makes the server split big contest_sim jobs with f. Call it
// before Start.
func (s *Server) EnableFanOut(f *FanOut) { s.fanOut = f }

// mux is the handler's mux, plus the fan-out when enabled.
func (s *Server) mux() *asynq.ServeMux {
	m := s.h.Mux()
	if s.webhooks != nil {
		// Webhook tasks bypass Handler.ProcessTask: watch and count them.
		m.Handle(task.TypeWebhook, asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			return s.h.observe(ctx, t, s.webhooks)
		}))
	}
	if s.fanOut != nil {
		s.fanOut.Register(m)
		// Chunk tasks bypass Handler.ProcessTask: watch and count them here.
		m.Use(func(next asynq.Handler) asynq.Handler {
			return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
				if t.Type() != task.TypeContestSimChunk {
					return next.ProcessTask(ctx, t)
				}
				return s.h.observe(ctx, t, next)
			})
		})
	}
	return m
}

// Register adds the chunk handler and the splitting middleware to m.
func (f *FanOut) Register(m *asynq.ServeMux) {
	m.Handle(task.TypeContestSimChunk, asynq.HandlerFunc(f.processChunk))
	m.Use(func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			if t.Type() == task.TypeContestSim {
				if done, err := f.split(ctx, t); done {
					return err
				}
			}
			return next.ProcessTask(ctx, t)
		})
	})
}

// plan returns the chunk ranges of a request, or nil when it runs on one
// worker.
func (f *FanOut) plan(req *schema.ContestSimRequest) [][2]int {
	if f.cfg.ChunkSims <= 0 {
		return nil
	}
	sims := req.SimCount()
	work := int64(sims) * int64(len(req.Entries)+req.FieldCount())
	if work <= f.cfg.Threshold || sims <= f.cfg.ChunkSims {
		return nil
	}
	var out [][2]int
	for s := 0; s < sims; s += f.cfg.ChunkSims {
		out = append(out, [2]int{s, min(s+f.cfg.ChunkSims, sims)})
	}
	return out
}

// split handles a contest_sim task when the job is big enough: it reports
// done = false to leave small jobs (and undecodable ones) to the handler.
func (f *FanOut) split(ctx context.Context, t *asynq.Task) (bool, error) {
	p, err := task.DecodePayload(t.Payload())
	if err != nil {
		return false, nil
	}
	kind, ok := f.reg.Lookup(task.TypeContestSim)
	if !ok {
		return false, nil
	}
	req, err := kind.Decode(p.Request)
	if err != nil {
		return false, nil
	}
	doc, ok := req.Doc.(*job.ContestSimDoc)
	if !ok || doc.SlateID != "" {
		// A job naming a stored slate runs whole: the handler reads the
		// slate's players (the chunks get no slate store).
		return false, nil
	}
	chunks := f.plan(&doc.ContestSimRequest)
	if chunks == nil {
		return false, nil
	}
	// Resolve the calibration once ("latest" may change while the chunks
	// run) and pin its id into every chunk. A calibration that cannot be
	// resolved leaves the job to the handler, which resolves it again and
	// fails the job (invalid_request) or retries it (cache unreachable).
	cal, err := job.ResolveCalibration(ctx, f.calibrations, doc.Sport, doc.CalibrationID)
	if err != nil {
		return false, nil
	}
	calID := ""
	if cal != nil {
		calID = cal.CalibrationID
	}
	log := f.log.With(zap.String("request_id", p.RequestID), zap.String("job_id", p.JobID), zap.Int("chunks", len(chunks)))
	status, deadline, err := f.store.Start(ctx, p.JobID, kind.Timeout(req))
	switch {
	case errors.Is(err, jobstore.ErrNotFound):
		log.Warn("job record is gone; dropping task")
		return true, nil
	case err != nil:
		return true, err
	case status != jobstore.StatusRunning:
		return true, nil
	}
	if status, err = f.store.StartFanOut(ctx, p.JobID, p.Request, len(chunks)); err != nil || status != jobstore.StatusRunning {
		return true, err
	}
	// Chunks go to the job's queue (chosen once, at submission), where a
	// cancel looks for them.
	queue, ok := asynq.GetQueueName(ctx)
	if j, err := f.store.Get(ctx, p.JobID); err == nil && j.Queue != "" {
		queue = j.Queue
	} else if !ok {
		queue = kind.Queue(req, time.Now())
	}
	for i, c := range chunks {
		b, err := json.Marshal(task.ChunkPayload{JobID: p.JobID, Principal: p.Principal, RequestID: p.RequestID, Traceparent: p.Traceparent,
			Chunk: i, Chunks: len(chunks), SimStart: c[0], SimEnd: c[1], CalibrationID: calID})
		if err != nil {
			return true, err
		}
		// Every chunk's task times out with the job (plus the time to
		// store its outcome), however late it starts.
		ct := asynq.NewTask(task.TypeContestSimChunk, b, asynq.TaskID(task.ChunkTaskID(p.JobID, i)),
			asynq.Queue(queue), asynq.Deadline(deadline.Add(task.HandlerOverhead)), asynq.MaxRetry(kind.MaxRetry))
		if _, err := f.client.EnqueueContext(ctx, ct); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return true, fmt.Errorf("enqueue chunk %d: %w", i, err)
		}
	}
	_, _ = f.store.SetProgress(ctx, p.JobID, jobstore.Progress{Done: 0, Total: doc.SimCount(),
		Phase: fmt.Sprintf("simulating in %d chunks", len(chunks))})
	log.Info("contest_sim fanned out", zap.Int("sims", doc.SimCount()), zap.Int("chunk_sims", f.cfg.ChunkSims), zap.String("calibration_id", calID))
	return true, nil
}

// processChunk runs one chunk task. When its last attempt fails with a
// retryable error, the job is failed instead of waiting for the chunk
// forever.
func (f *FanOut) processChunk(ctx context.Context, t *asynq.Task) error {
	err := f.runChunk(ctx, t)
	if err == nil || errors.Is(err, asynq.SkipRetry) || ctx.Err() != nil {
		return err
	}
	retry, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	if !ok1 || !ok2 || retry < maxRetry {
		return err
	}
	var cp task.ChunkPayload
	if json.Unmarshal(t.Payload(), &cp) == nil && cp.JobID != "" {
		_, ferr := f.store.Fail(context.WithoutCancel(ctx), cp.JobID, cp.Principal, jobstore.JobError{Code: CodeComputeFailed,
			Message: fmt.Sprintf("chunk %d of %d failed after %d retries: %v", cp.Chunk, cp.Chunks, retry, err)})
		if ferr == nil {
			f.log.Warn("fanned-out job failed: a chunk ran out of retries", zap.String("job_id", cp.JobID), zap.Int("chunk", cp.Chunk), zap.Error(err))
		}
	}
	return err
}

// runChunk runs one chunk task (see FanOut).
func (f *FanOut) runChunk(ctx context.Context, t *asynq.Task) error {
	var cp task.ChunkPayload
	if err := json.Unmarshal(t.Payload(), &cp); err != nil || cp.JobID == "" || cp.Chunks < 1 || cp.SimEnd <= cp.SimStart {
		return fmt.Errorf("bad chunk payload: %v: %w", err, asynq.SkipRetry)
	}
	log := f.log.With(zap.String("request_id", cp.RequestID), zap.String("job_id", cp.JobID), zap.Int("chunk", cp.Chunk))
	fail := func(e jobstore.JobError) error {
		_, err := f.store.Fail(context.WithoutCancel(ctx), cp.JobID, cp.Principal, e)
		if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
			return err
		}
		log.Info("fanned-out job failed", zap.String("code", e.Code), zap.String("message", e.Message))
		return nil
	}
	j, err := f.store.Get(ctx, cp.JobID)
	switch {
	case errors.Is(err, jobstore.ErrNotFound):
		return nil
	case err != nil:
		return err
	case j.Status.Final():
		f.free(ctx, j, cp.Chunks, log)
		return nil
	case j.Deadline == nil:
		return fail(jobstore.JobError{Code: CodeInternal, Message: "fanned-out job has no deadline"})
	case !f.store.Now().Before(*j.Deadline):
		return fail(jobstore.JobError{Code: CodeTimeout, Message: "the fanned-out job did not finish before its deadline " + j.Deadline.Format(time.RFC3339)})
	}
	kind, ok := f.reg.Lookup(task.TypeContestSim)
	if !ok {
		return fmt.Errorf("no contest_sim kind: %w", asynq.SkipRetry)
	}
	body, err := f.store.FanOutRequest(ctx, cp.JobID)
	if errors.Is(err, jobstore.ErrNotFound) {
		return fail(jobstore.JobError{Code: CodeInternal, Message: "the fanned-out job's request is gone (expired?)"})
	}
	if err != nil {
		return err
	}
	req, err := kind.Decode(body)
	if err != nil {
		return fail(failure(err))
	}
	doc := req.Doc.(*job.ContestSimDoc)
	cctx, cancel := context.WithDeadline(ctx, *j.Deadline)
	defer cancel()
	// The calibration the parent pinned.
	ref := doc.CalibrationID
	if cp.CalibrationID != "" {
		ref = cp.CalibrationID
	}
	cal, err := job.ResolveCalibration(cctx, f.calibrations, doc.Sport, ref)
	if err != nil {
		if job.IsTransient(err) {
			return err // cache unreachable: retried
		}
		return fail(failure(err))
	}
	prep, err := contest.PrepareWith(cctx, &doc.ContestSimRequest, contest.Options{Calibration: cal})
	if err != nil {
		return f.computeFailed(ctx, *j.Deadline, kind.Timeout(req), err, fail)
	}
	have, err := f.store.HasPartial(ctx, cp.JobID, cp.Chunk)
	if err != nil {
		return err
	}
	if !have {
		stop := f.watchCancel(cctx, cp.JobID, cancel)
		part, err := contest.RunChunk(cctx, prep, cp.SimStart, cp.SimEnd)
		stop()
		if err != nil {
			if j, gerr := f.store.Get(ctx, cp.JobID); gerr == nil && j.Status == jobstore.StatusCanceled {
				f.free(ctx, j, cp.Chunks, log)
				return nil
			}
			return f.computeFailed(ctx, *j.Deadline, kind.Timeout(req), err, fail)
		}
		b, err := json.Marshal(part)
		if err != nil {
			return fail(jobstore.JobError{Code: CodeInternal, Message: "cannot encode a partial result"})
		}
		if err := f.store.PutPartial(ctx, cp.JobID, cp.Chunk, b); err != nil {
			return err
		}
	}
	n, err := f.store.ChunkDone(ctx, cp.JobID, cp.Chunk)
	if err != nil {
		return err
	}
	sims := prep.Sims
	_, _ = f.store.SetProgress(ctx, cp.JobID, jobstore.Progress{Done: min(sims, n*(cp.SimEnd-cp.SimStart)), Total: sims,
		Phase: fmt.Sprintf("simulating in %d chunks (%d done)", cp.Chunks, n)})
	if n < cp.Chunks {
		return nil
	}
	return f.merge(ctx, &cp, prep, j, fail, log)
}

// merge combines the stored partials into the job's result.
func (f *FanOut) merge(ctx context.Context, cp *task.ChunkPayload, prep *contest.Prepared, j *jobstore.Job, fail func(jobstore.JobError) error, log *zap.Logger) error {
	raw, err := f.store.Partials(ctx, cp.JobID, cp.Chunks)
	if errors.Is(err, jobstore.ErrPartialMissing) {
		return fail(jobstore.JobError{Code: CodeInternal, Message: err.Error()})
	}
	if err != nil {
		return err
	}
	parts := make([]contest.Partial, cp.Chunks)
	for i, b := range raw {
		if err := json.Unmarshal(b, &parts[i]); err != nil {
			return fail(jobstore.JobError{Code: CodeInternal, Message: fmt.Sprintf("partial result of chunk %d is corrupt", i)})
		}
	}
	res, err := contest.Merge(prep, parts)
	if err != nil {
		return fail(jobstore.JobError{Code: CodeInternal, Message: err.Error()})
	}
	if j.StartedAt != nil {
		res.Stats.SimMS = time.Since(*j.StartedAt).Milliseconds()
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fail(jobstore.JobError{Code: CodeInternal, Message: "cannot encode the result"})
	}
	_, _ = f.store.SetProgress(ctx, cp.JobID, jobstore.Progress{Done: prep.Sims, Total: prep.Sims, Phase: "done"})
	st, err := f.store.Succeed(ctx, cp.JobID, cp.Principal, b)
	if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
		return err
	}
	log.Info("fanned-out job merged", zap.Int("chunks", cp.Chunks), zap.String("status", string(st)))
	if err := f.store.DeleteFanOut(ctx, cp.JobID, cp.Chunks); err != nil {
		log.Warn("fan-out keys not deleted (they expire with the TTL)", zap.Error(err))
	}
	return nil
}

// free deletes the fan-out keys (request, partials, done set) of a job that
// ended without a merge (canceled or failed): nothing of its partial work
// stays in Redis. A succeeded job's keys went with its merge.
func (f *FanOut) free(ctx context.Context, j *jobstore.Job, chunks int, log *zap.Logger) {
	if j.Status == jobstore.StatusSucceeded {
		return
	}
	if err := f.store.DeleteFanOut(context.WithoutCancel(ctx), j.ID, chunks); err != nil {
		log.Warn("fan-out keys of an ended job not deleted (they expire with the TTL)", zap.Error(err))
	}
}

// computeFailed maps a chunk's compute error like the handler does.
func (f *FanOut) computeFailed(ctx context.Context, deadline time.Time, limit time.Duration, err error, fail func(jobstore.JobError) error) error {
	switch {
	case !f.store.Now().Before(deadline):
		return fail(timedOut(limit))
	case ctx.Err() != nil:
		return fmt.Errorf("chunk interrupted: %w", ctx.Err())
	}
	return fail(failure(err))
}

// chunkCancelPoll is how often a running chunk reads its job's cancel
// flag (as often as the handler's watcher: a cancel stops the compute well
// within a second).
const chunkCancelPoll = 250 * time.Millisecond

// watchCancel cancels a chunk's compute when its job is canceled; the
// returned function stops watching.
func (f *FanOut) watchCancel(ctx context.Context, id string, cancel context.CancelFunc) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(chunkCancelPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if j, err := f.store.Get(ctx, id); err == nil && j.Status == jobstore.StatusCanceled {
					cancel()
					return
				}
			}
		}
	}()
	return func() { close(done) }
}
