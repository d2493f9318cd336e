package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// Fan-out configuration variables.
const (
	// EnvContestChunkSims is the number of sims per chunk task of a
	// fanned-out contest_sim job (0 disables fan-out).
	EnvContestChunkSims = "DFSOPT_CONTEST_CHUNK_SIMS"
	// EnvContestFanOutThreshold is the work, in lineup-sims (sims × (entries
	// + field lineups)), above which a contest_sim job is fanned out.
	EnvContestFanOutThreshold = "DFSOPT_CONTEST_FANOUT_THRESHOLD"
)

// FanOutConfig says when and how contest_sim jobs are split.
type FanOutConfig struct {
	// ChunkSims is the number of sims per chunk (0: never fan out).
	ChunkSims int
	// Threshold is the lineup-sims above which a job is fanned out.
	Threshold int64
}

// Fan-out defaults: chunks of 10,000 sims for jobs above 2·10⁹ lineup-sims
// (a 200,000-lineup contest × 10,000 sims). Measured on the 2 shared cores
// here: a 200,150-lineup contest (150 entries) prepares in 0.8 s (field
// generation included; every chunk pays it) and runs at 1.6·10⁸
// lineup-sims/s, so 2·10⁹ is about 13 s on one such worker and a
// 100,000-sim Millionaire Maker run about 2 minutes, or ten 14 s chunks.
const (
	DefaultContestChunkSims       = 10_000
	DefaultContestFanOutThreshold = 2_000_000_000
)

// FanOutConfigFromEnv reads EnvContestChunkSims and
// EnvContestFanOutThreshold (defaults DefaultContestChunkSims and
// DefaultContestFanOutThreshold).
func FanOutConfigFromEnv(lookup func(string) (string, bool)) (FanOutConfig, error) {
	c := FanOutConfig{ChunkSims: DefaultContestChunkSims, Threshold: DefaultContestFanOutThreshold}
	if v, ok := lookup(EnvContestChunkSims); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("%s: want a number of sims >= 0, got %q", EnvContestChunkSims, v)
		}
		c.ChunkSims = n
	}
	if v, ok := lookup(EnvContestFanOutThreshold); ok && v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return c, fmt.Errorf("%s: want lineup-sims >= 0, got %q", EnvContestFanOutThreshold, v)
		}
		c.Threshold = n
	}
	return c, nil
}

// FanOut splits big contest_sim jobs into chunk tasks of sim ranges run by
// any worker, and merges their partial sums (contest.Partial) into the
// job's result, exactly equal to a single run with the same seed.
//
// The parent task starts the job, enqueues one contest_sim_chunk task per
// chunk (task id = job id + chunk index, so a redelivered parent enqueues
// nothing twice) and returns; the job stays running. The parent resolves
// the request's calibration_id once and pins the concrete calibration id
// into the chunk payloads, so every chunk (each resolving that id from the
// calibration cache of reg) simulates with the same calibration even when
// "latest" changes meanwhile. Each chunk task
// rebuilds the prepared contest from the request, runs its sims, stores its
// partial under dfsopt:fanout:{job}:part:{chunk} (SET NX, with the result
// TTL) and adds its index to the set dfsopt:fanout:{job}:done. The chunk
// that sees the set complete merges the partials and stores the result
// (jobstore.Succeed writes once), then deletes the fan-out keys. Redelivered
// chunks find their partial stored and only redo the completion step.
// Canceled or failed jobs make the remaining chunks no-ops.
type FanOut struct {
	cfg    FanOutConfig
	rdb    redis.UniversalClient
	client *asynq.Client
	store  *jobstore.Store
	reg    *task.Registry
	log    *zap.Logger
}

// NewFanOut returns the fan-out of the contest_sim kind of reg.
func NewFanOut(cfg FanOutConfig, rdb redis.UniversalClient, store *jobstore.Store, reg *task.Registry, log *zap.Logger) *FanOut {
	return &FanOut{cfg: cfg, rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), store: store, reg: reg, log: log}
}

// EnableFanOut makes the server split big contest_sim jobs with f. Call it
// before Start.
func (s *Server) EnableFanOut(f *FanOut) { s.fanOut = f }

// mux is the handler's mux, plus the fan-out when enabled.
func (s *Server) mux() *asynq.ServeMux {
	m := s.h.Mux()
	if s.fanOut != nil {
		s.fanOut.Register(m)
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

func fanKey(job, what string) string { return jobstore.KeyPrefix + "fanout:" + job + ":" + what }

func partKey(job string, chunk int) string { return fanKey(job, "part:"+strconv.Itoa(chunk)) }

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
	doc, ok := req.Doc.(*task.ContestSimDoc)
	if !ok {
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
	cal, err := task.ResolveCalibration(ctx, f.reg.Calibrations(), doc.Sport, doc.CalibrationID)
	if err != nil {
		return false, nil
	}
	calID := ""
	if cal != nil {
		calID = cal.CalibrationID
	}
	log := f.log.With(zap.String("request_id", p.RequestID), zap.String("job_id", p.JobID), zap.Int("chunks", len(chunks)))
	status, err := f.store.Start(ctx, p.JobID)
	switch {
	case errors.Is(err, jobstore.ErrNotFound):
		log.Warn("job record is gone; dropping task")
		return true, nil
	case err != nil:
		return true, err
	case status != jobstore.StatusRunning:
		return true, nil
	}
	timeout := kind.Timeout(req) + task.HandlerOverhead
	for i, c := range chunks {
		b, err := json.Marshal(task.ChunkPayload{Parent: *p, Chunk: i, Chunks: len(chunks), SimStart: c[0], SimEnd: c[1], CalibrationID: calID})
		if err != nil {
			return true, err
		}
		ct := asynq.NewTask(task.TypeContestSimChunk, b, asynq.TaskID(p.JobID+":chunk:"+strconv.Itoa(i)),
			asynq.Queue(kind.Queue(req)), asynq.Timeout(timeout), asynq.MaxRetry(kind.MaxRetry))
		if _, err := f.client.EnqueueContext(ctx, ct); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return true, fmt.Errorf("enqueue chunk %d: %w", i, err)
		}
	}
	_, _ = f.store.SetProgress(ctx, p.JobID, jobstore.Progress{Done: 0, Total: doc.SimCount(),
		Phase: fmt.Sprintf("simulating in %d chunks", len(chunks))})
	log.Info("contest_sim fanned out", zap.Int("sims", doc.SimCount()), zap.Int("chunk_sims", f.cfg.ChunkSims), zap.String("calibration_id", calID))
	return true, nil
}

// doneScript adds a chunk to the done set and returns the set's size.
var doneScript = redis.NewScript(`
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return redis.call('SCARD', KEYS[1])`)

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
	if json.Unmarshal(t.Payload(), &cp) == nil && cp.Parent.JobID != "" {
		_, ferr := f.store.Fail(context.WithoutCancel(ctx), cp.Parent.JobID, cp.Parent.Principal, jobstore.JobError{Code: CodeComputeFailed,
			Message: fmt.Sprintf("chunk %d of %d failed after %d retries: %v", cp.Chunk, cp.Chunks, retry, err)})
		if ferr == nil {
			f.log.Warn("fanned-out job failed: a chunk ran out of retries", zap.String("job_id", cp.Parent.JobID), zap.Int("chunk", cp.Chunk), zap.Error(err))
		}
	}
	return err
}

// runChunk runs one chunk task (see FanOut).
func (f *FanOut) runChunk(ctx context.Context, t *asynq.Task) error {
	var cp task.ChunkPayload
	if err := json.Unmarshal(t.Payload(), &cp); err != nil || cp.Parent.JobID == "" || cp.Chunks < 1 {
		return fmt.Errorf("bad chunk payload: %v: %w", err, asynq.SkipRetry)
	}
	p := &cp.Parent
	log := f.log.With(zap.String("request_id", p.RequestID), zap.String("job_id", p.JobID), zap.Int("chunk", cp.Chunk))
	fail := func(code, msg string) error {
		_, err := f.store.Fail(ctx, p.JobID, p.Principal, jobstore.JobError{Code: code, Message: msg})
		if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
			return err
		}
		log.Info("fanned-out job failed", zap.String("code", code), zap.String("message", msg))
		return nil
	}
	j, err := f.store.Get(ctx, p.JobID)
	switch {
	case errors.Is(err, jobstore.ErrNotFound):
		return nil
	case err != nil:
		return err
	case j.Status.Final():
		return nil
	}
	kind, ok := f.reg.Lookup(task.TypeContestSim)
	if !ok {
		return fmt.Errorf("no contest_sim kind: %w", asynq.SkipRetry)
	}
	req, err := kind.Decode(p.Request)
	if err != nil {
		return fail(CodeInvalidRequest, err.Error())
	}
	doc := req.Doc.(*task.ContestSimDoc)
	cctx, cancel := context.WithTimeout(ctx, kind.Timeout(req))
	defer cancel()
	// The calibration the parent pinned (chunks of older payloads resolve
	// the request's own reference).
	ref := doc.CalibrationID
	if cp.CalibrationID != "" {
		ref = cp.CalibrationID
	}
	cal, err := task.ResolveCalibration(cctx, f.reg.Calibrations(), doc.Sport, ref)
	if err != nil {
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return fail(CodeInvalidRequest, ve.Error())
		}
		return err // cache unreachable: retried
	}
	prep, err := contest.PrepareWith(cctx, &doc.ContestSimRequest, contest.Options{Calibration: cal})
	if err != nil {
		return f.computeFailed(ctx, cctx, err, fail)
	}
	ttl := f.store.TTL()
	exists, err := f.rdb.Exists(ctx, partKey(p.JobID, cp.Chunk)).Result()
	if err != nil {
		return err
	}
	if exists == 0 {
		stop := f.watchCancel(cctx, p.JobID, cancel)
		part, err := contest.RunChunk(cctx, prep, cp.SimStart, cp.SimEnd)
		stop()
		if err != nil {
			if j, gerr := f.store.Get(ctx, p.JobID); gerr == nil && j.Status == jobstore.StatusCanceled {
				return nil
			}
			return f.computeFailed(ctx, cctx, err, fail)
		}
		b, err := json.Marshal(part)
		if err != nil {
			return fail(CodeInternal, "cannot encode a partial result")
		}
		if err := f.rdb.SetNX(ctx, partKey(p.JobID, cp.Chunk), b, ttl).Err(); err != nil {
			return err
		}
	}
	n, err := doneScript.Run(ctx, f.rdb, []string{fanKey(p.JobID, "done")}, cp.Chunk, int64(ttl/time.Second)).Int()
	if err != nil {
		return err
	}
	sims := prep.Sims
	_, _ = f.store.SetProgress(ctx, p.JobID, jobstore.Progress{Done: min(sims, n*(cp.SimEnd-cp.SimStart)), Total: sims,
		Phase: fmt.Sprintf("simulating in %d chunks (%d done)", cp.Chunks, n)})
	if n < cp.Chunks {
		return nil
	}
	return f.merge(ctx, &cp, prep, j, fail, log)
}

// merge combines the stored partials into the job's result.
func (f *FanOut) merge(ctx context.Context, cp *task.ChunkPayload, prep *contest.Prepared, j *jobstore.Job, fail func(string, string) error, log *zap.Logger) error {
	p := &cp.Parent
	keys := make([]string, cp.Chunks)
	for i := range keys {
		keys[i] = partKey(p.JobID, i)
	}
	vals, err := f.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return err
	}
	parts := make([]contest.Partial, cp.Chunks)
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			return fail(CodeInternal, fmt.Sprintf("partial result of chunk %d is missing (expired?)", i))
		}
		if err := json.Unmarshal([]byte(s), &parts[i]); err != nil {
			return fail(CodeInternal, fmt.Sprintf("partial result of chunk %d is corrupt", i))
		}
	}
	res, err := contest.Merge(prep, parts)
	if err != nil {
		return fail(CodeInternal, err.Error())
	}
	if j.StartedAt != nil {
		res.Stats.SimMS = time.Since(*j.StartedAt).Milliseconds()
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fail(CodeInternal, "cannot encode the result")
	}
	_, _ = f.store.SetProgress(ctx, p.JobID, jobstore.Progress{Done: prep.Sims, Total: prep.Sims, Phase: "done"})
	st, err := f.store.Succeed(ctx, p.JobID, p.Principal, b)
	if err != nil && !errors.Is(err, jobstore.ErrNotFound) {
		return err
	}
	log.Info("fanned-out job merged", zap.Int("chunks", cp.Chunks), zap.String("status", string(st)))
	_ = f.rdb.Del(ctx, append(keys, fanKey(p.JobID, "done"))...).Err()
	return nil
}

// computeFailed maps a chunk's compute error like the handler does.
func (f *FanOut) computeFailed(ctx, cctx context.Context, err error, fail func(string, string) error) error {
	var ve *schema.ValidationError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("chunk interrupted: %w", ctx.Err())
	case errors.Is(cctx.Err(), context.DeadlineExceeded):
		return fail(CodeTimeout, "a chunk of the fanned-out job did not finish in time")
	case errors.As(err, &ve):
		return fail(CodeInvalidRequest, ve.Error())
	}
	return fail(CodeComputeFailed, err.Error())
}

// watchCancel cancels a chunk's compute when its job is canceled; the
// returned function stops watching.
func (f *FanOut) watchCancel(ctx context.Context, id string, cancel context.CancelFunc) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
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
