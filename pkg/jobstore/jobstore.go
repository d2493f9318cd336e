// Package jobstore provides the job records and results of dfsopt, kept in
// Redis under "dfsopt:" keys that all carry a TTL.
//
// A job record is a Redis hash; every status change is one Lua script, so a
// cancel and a worker finishing cannot overwrite each other. Results are
// written once (SET NX), which makes task handlers idempotent under Asynq's
// at-least-once delivery.
package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// KeyPrefix starts every Redis key dfsopt writes.
const KeyPrefix = "dfsopt:"

// Status is a job's state.
type Status string

// Job states. Succeeded, Failed and Canceled are final.
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCanceled  Status = "canceled"
)

// Final reports whether the status is terminal.
func (s Status) Final() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCanceled
}

// Errors callers branch on.
var (
	// ErrNotFound: no such job, it expired, or it belongs to someone else.
	ErrNotFound = errors.New("job not found")
	// ErrFinished: the job already succeeded or failed.
	ErrFinished = errors.New("job already finished")
	// ErrNoResult: the job exists but has no result (yet).
	ErrNoResult = errors.New("job has no result")
)

// Progress is how far a job is.
type Progress struct {
	Done  int    `json:"done"`
	Total int    `json:"total"`
	Phase string `json:"phase,omitempty"`
}

// JobError is why a job failed or was canceled. Details name the fields of
// the request that made it fail (for code invalid_request), as the
// gateway's 422 answers at submission do.
type JobError struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Details []schema.FieldError `json:"details,omitempty"`
}

// Job is a job record: the status document of the HTTP API.
type Job struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	Status     Status     `json:"status"`
	Queue      string     `json:"queue"`
	Progress   Progress   `json:"progress"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ExpiresAt  time.Time  `json:"expires_at"`
	Error      *JobError  `json:"error,omitempty"`
	// ResultURL is set by the HTTP layer for succeeded jobs.
	ResultURL string `json:"result_url,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Flags are the feature flags on for this job (DFSOPT_FEATURE_FLAGS).
	Flags []string `json:"flags,omitempty"`
	// Owner is the principal that submitted the job; never shown.
	Owner string `json:"-"`
	// Attempts counts the times a worker started the job.
	Attempts int `json:"-"`
	// Deadline is when the job's time is up: set when a worker first
	// starts it (start + the job's timeout) and kept across retries and
	// fanned-out chunks.
	Deadline *time.Time `json:"-"`
	// Chunks is the number of chunk tasks of a fanned-out job (0: none).
	Chunks int `json:"-"`
	// ReplayOf is the job this one re-runs (POST /v1/jobs/{id}/replay).
	ReplayOf string `json:"replay_of,omitempty"`
	// Request is the request document, stored (RequestKey) by Create when
	// set; never read back into the record.
	Request []byte `json:"-"`
	// CacheHit: the job reused the result of an identical earlier request
	// (the result cache) instead of computing it.
	CacheHit bool `json:"cache_hit,omitempty"`
	// CacheKey is the result cache entry (CacheKey) the job's result is
	// filed under when it succeeds ("": not cacheable); never shown.
	CacheKey string `json:"-"`
	// IdempotentReplay is set on the job Submit returns for a repeated
	// Idempotency-Key: the job existed already; never stored.
	IdempotentReplay bool `json:"-"`
	// Webhook is the completion webhook, when the request gave a
	// webhook_url (see webhook.go).
	Webhook *Webhook `json:"webhook,omitempty"`
}

// Store reads and writes job records and results.
type Store struct {
	rdb redis.UniversalClient
	ttl time.Duration
	now func() time.Time
	// cacheMax caps the results filed in the result cache (LimitCache).
	cacheMax int
}

// New returns a store whose keys live for ttl (DFSOPT_RESULT_TTL).
func New(rdb redis.UniversalClient, ttl time.Duration) *Store {
	return &Store{rdb: rdb, ttl: ttl, now: func() time.Time { return time.Now().UTC() }, cacheMax: DefaultCacheMaxBytes}
}

// TTL returns the lifetime of job records and results.
func (s *Store) TTL() time.Duration { return s.ttl }

// JobKey returns the Redis key of a job record.
func JobKey(id string) string { return KeyPrefix + "job:" + id }

// ResultKey returns the Redis key of a job's result document.
func ResultKey(id string) string { return KeyPrefix + "result:" + id }

// SubmittingKey is the sorted set of jobs whose record was created but whose
// task is not known to be enqueued yet, scored by creation time (unix ms).
// A gateway that stalls or dies between the two leaves its job here, and
// Orphans finds it.
const SubmittingKey = KeyPrefix + "submitting"

// OwnerKey returns the Redis key of a principal's job index (a sorted set
// of job ids by creation time).
func OwnerKey(owner string) string { return KeyPrefix + "owner:" + owner + ":jobs" }

const timeLayout = time.RFC3339Nano

func (s *Store) ttlSeconds() int64 { return int64(s.ttl / time.Second) }

// Create stores a new queued job. ID, Type, Queue, Owner and RequestID must
// be set; the timestamps are filled in. A job with a Request keeps it
// (RequestKey) for as long as the record, for replays.
func (s *Store) Create(ctx context.Context, j *Job) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		s.createCmds(ctx, p, j)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	return nil
}

// createCmds queues the commands that create job j on p.
func (s *Store) createCmds(ctx context.Context, p redis.Pipeliner, j *Job) {
	now := s.now()
	j.Status = StatusQueued
	j.CreatedAt = now
	j.ExpiresAt = now.Add(s.ttl)
	key, owner := JobKey(j.ID), OwnerKey(j.Owner)
	p.HSet(ctx, key,
		"id", j.ID, "type", j.Type, "status", string(j.Status), "queue", j.Queue,
		"owner", j.Owner, "request_id", j.RequestID, "flags", joinFlags(j.Flags),
		"created_at", now.Format(timeLayout), "expires_at", j.ExpiresAt.Format(timeLayout),
		"progress_done", 0, "progress_total", 0, "attempts", 0, "replay_of", j.ReplayOf, "cache_key", j.CacheKey, "webhook_url", webhookURL(j))
	p.Expire(ctx, key, s.ttl)
	if len(j.Request) > 0 {
		p.Set(ctx, RequestKey(j.ID), packRequest(j.Request), s.ttl)
	}
	p.ZAdd(ctx, owner, redis.Z{Score: float64(now.UnixMilli()), Member: j.ID})
	p.ZRemRangeByScore(ctx, owner, "-inf", strconv.FormatInt(now.Add(-s.ttl).UnixMilli(), 10))
	p.Expire(ctx, owner, s.ttl)
	p.ZAdd(ctx, SubmittingKey, redis.Z{Score: float64(now.UnixMilli()), Member: j.ID})
	p.Expire(ctx, SubmittingKey, s.ttl)
}

// Enqueued records that a created job's task is on its queue.
func (s *Store) Enqueued(ctx context.Context, id string) error {
	if err := s.rdb.ZRem(ctx, SubmittingKey, id).Err(); err != nil {
		return fmt.Errorf("mark job %s enqueued: %w", id, err)
	}
	return nil
}

// Orphans returns the jobs created before cutoff whose enqueue was never
// confirmed (see SubmittingKey), oldest first, at most limit.
func (s *Store) Orphans(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: SubmittingKey, ByScore: true,
		Start: "-inf", Stop: strconv.FormatInt(cutoff.UnixMilli(), 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("list unconfirmed submissions: %w", err)
	}
	return ids, nil
}

var failQueuedScript = redis.NewScript(outboxLua + `
redis.call('ZREM', KEYS[2], ARGV[6])
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
if s ~= 'queued' then return s end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error_code', ARGV[1], 'error_message', ARGV[2],
  'finished_at', ARGV[3], 'expires_at', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[4])
webhook_outbox()
return 'failed'`)

// FailOrphan settles a job found by Orphans whose task is not on any queue:
// a job still queued is failed with e (a job a worker already started is
// left alone), and the job leaves the submitting set. It returns the
// job's status afterwards.
func (s *Store) FailOrphan(ctx context.Context, id string, e JobError) (Status, error) {
	now := s.now()
	st, err := s.run(ctx, failQueuedScript, "fail orphan", id, []string{JobKey(id), SubmittingKey, OutboxKey},
		e.Code, e.Message, now.Format(timeLayout), s.ttlSeconds(), now.Add(s.ttl).Format(timeLayout), id)
	if errors.Is(err, ErrNotFound) {
		return "", nil // expired or deleted: already out of the set
	}
	return st, err
}

// Delete removes a job record that never got queued (enqueue failed), and
// its entries in the owner's and the admins' indexes.
func (s *Store) Delete(ctx context.Context, id, owner string) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, JobKey(id), RequestKey(id))
		p.ZRem(ctx, OwnerKey(owner), id)
		p.ZRem(ctx, AllKey, id)
		p.ZRem(ctx, SubmittingKey, id)
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete job %s: %w", id, err)
	}
	return nil
}

// Get returns a job record, whoever owns it.
func (s *Store) Get(ctx context.Context, id string) (*Job, error) {
	m, err := s.rdb.HGetAll(ctx, JobKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, err)
	}
	if len(m) == 0 {
		return nil, ErrNotFound
	}
	return parseJob(m)
}

// GetOwned returns a job record if owner owns it, else ErrNotFound.
func (s *Store) GetOwned(ctx context.Context, id, owner string) (*Job, error) {
	j, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.Owner != owner {
		return nil, ErrNotFound
	}
	return j, nil
}

// List returns up to limit of the owner's jobs, newest first. Expired jobs
// are dropped from the index as they are found.
func (s *Store) List(ctx context.Context, owner string, limit int) ([]*Job, error) {
	ids, err := s.rdb.ZRevRange(ctx, OwnerKey(owner), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	found, err := s.getMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	jobs := make([]*Job, 0, len(found))
	var gone []any
	for i, j := range found {
		switch {
		case j == nil:
			gone = append(gone, ids[i])
		case j.Owner == owner:
			jobs = append(jobs, j)
		}
	}
	if len(gone) > 0 {
		// Best effort: a failure here only leaves stale ids to skip again.
		_ = s.rdb.ZRem(ctx, OwnerKey(owner), gone...).Err()
	}
	return jobs, nil
}

// Result returns a job's stored result document.
func (s *Store) Result(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, ResultKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNoResult
	}
	if err != nil {
		return nil, fmt.Errorf("get result %s: %w", id, err)
	}
	return b, nil
}

var startScript = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return {''} end
if s == 'queued' or s == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'running')
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  if redis.call('HEXISTS', KEYS[1], 'started_at') == 0 then
    redis.call('HSET', KEYS[1], 'started_at', ARGV[1], 'deadline', ARGV[2])
  end
  return {'running', redis.call('HGET', KEYS[1], 'deadline') or ARGV[2]}
end
return {s, redis.call('HGET', KEYS[1], 'deadline') or ''}`)

// Start marks a job running (again, on a re-delivery) and returns its
// status afterwards (StatusRunning when the caller should compute, a final
// status when there is nothing left to do) and its deadline. The first
// start sets the deadline to now + limit; later starts (retries, chunks of
// a fanned-out job) keep it, so a job has one time limit however often it
// runs. ErrNotFound when the record has expired or never existed.
func (s *Store) Start(ctx context.Context, id string, limit time.Duration) (Status, time.Time, error) {
	now := s.now()
	v, err := startScript.Run(ctx, s.rdb, []string{JobKey(id)}, now.Format(timeLayout), now.Add(limit).Format(timeLayout)).StringSlice()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("start job %s: %w", id, err)
	}
	if len(v) == 0 || v[0] == "" {
		return "", time.Time{}, ErrNotFound
	}
	var deadline time.Time
	if len(v) > 1 && v[1] != "" {
		if deadline, err = time.Parse(timeLayout, v[1]); err != nil {
			return "", time.Time{}, fmt.Errorf("start job %s: bad deadline %q: %w", id, v[1], err)
		}
	}
	return Status(v[0]), deadline, nil
}

var progressScript = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
if s == 'running' then
  redis.call('HSET', KEYS[1], 'progress_done', ARGV[1], 'progress_total', ARGV[2], 'progress_phase', ARGV[3])
end
return s`)

// SetProgress records a running job's progress and returns its status, so
// that a worker learns of a cancel on its next report.
func (s *Store) SetProgress(ctx context.Context, id string, p Progress) (Status, error) {
	return s.run(ctx, progressScript, "progress", id, []string{JobKey(id)}, p.Done, p.Total, p.Phase)
}

var succeedScript = redis.NewScript(outboxLua + `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
if s == 'succeeded' then redis.call('HINCRBY', KEYS[1], 'completions_refused', 1) end
if s ~= 'running' and s ~= 'queued' then return s end
redis.call('HINCRBY', KEYS[1], 'completions', 1)
redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'succeeded', 'finished_at', ARGV[2], 'expires_at', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('EXPIRE', KEYS[4], ARGV[3])
webhook_outbox()
return 'succeeded'`)

// Succeed stores a job's result (once) and marks it succeeded. Job and
// result then live for the TTL from now. It returns the final status, which
// is not StatusSucceeded when the job was canceled meanwhile (the result is
// then dropped).
func (s *Store) Succeed(ctx context.Context, id, owner string, result []byte) (Status, error) {
	now := s.now()
	st, err := s.run(ctx, succeedScript, "succeed", id, []string{JobKey(id), ResultKey(id), OwnerKey(owner), RequestKey(id), OutboxKey},
		result, now.Format(timeLayout), s.ttlSeconds(), now.Add(s.ttl).Format(timeLayout))
	if err == nil && st == StatusSucceeded {
		// Best effort: a result not cached is computed again next time.
		_ = s.cacheResult(ctx, id, len(result))
	}
	return st, err
}

func joinFlags(flags []string) string { return strings.Join(flags, ",") }

var failScript = redis.NewScript(outboxLua + `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
if s ~= 'running' and s ~= 'queued' then return s end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error_code', ARGV[1], 'error_message', ARGV[2],
  'finished_at', ARGV[3], 'expires_at', ARGV[5], 'error_details', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[4])
webhook_outbox()
return 'failed'`)

// Fail marks a job failed with an error code, message and field details,
// unless it is already final; it returns the final status.
func (s *Store) Fail(ctx context.Context, id, owner string, e JobError) (Status, error) {
	now := s.now()
	details := ""
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return "", fmt.Errorf("fail job %s: encode details: %w", id, err)
		}
		details = string(b)
	}
	return s.run(ctx, failScript, "fail", id, []string{JobKey(id), OwnerKey(owner), RequestKey(id), OutboxKey},
		e.Code, e.Message, now.Format(timeLayout), s.ttlSeconds(), now.Add(s.ttl).Format(timeLayout), details)
}

var cancelScript = redis.NewScript(outboxLua + `
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return '' end
if s == 'queued' or s == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'canceled', 'cancel_requested', '1',
    'error_code', 'canceled', 'error_message', 'canceled by the client',
    'finished_at', ARGV[2], 'expires_at', ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  webhook_outbox()
end
return s`)

// Cancel marks the owner's queued or running job canceled and returns its
// status before the call. Canceling a canceled job is a no-op; a succeeded
// or failed one gives ErrFinished; someone else's gives ErrNotFound.
func (s *Store) Cancel(ctx context.Context, id, owner string) (Status, error) {
	now := s.now()
	prev, err := s.run(ctx, cancelScript, "cancel", id, []string{JobKey(id), RequestKey(id), OutboxKey},
		owner, now.Format(timeLayout), s.ttlSeconds(), now.Add(s.ttl).Format(timeLayout))
	if err != nil {
		return "", err
	}
	if prev == StatusSucceeded || prev == StatusFailed {
		return prev, ErrFinished
	}
	return prev, nil
}

func (s *Store) run(ctx context.Context, sc *redis.Script, op, id string, keys []string, args ...any) (Status, error) {
	v, err := sc.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return "", fmt.Errorf("%s job %s: %w", op, id, err)
	}
	if v == "" {
		return "", ErrNotFound
	}
	return Status(v), nil
}

func parseJob(m map[string]string) (*Job, error) {
	j := &Job{
		ID: m["id"], Type: m["type"], Status: Status(m["status"]), Queue: m["queue"],
		Owner: m["owner"], RequestID: m["request_id"], ReplayOf: m["replay_of"],
		CacheHit: m["cache_hit"] == "1", CacheKey: m["cache_key"],
	}
	if f := m["flags"]; f != "" {
		j.Flags = strings.Split(f, ",")
	}
	var err error
	parseTime := func(field string) *time.Time {
		v, ok := m[field]
		if !ok || v == "" {
			return nil
		}
		t, perr := time.Parse(timeLayout, v)
		if perr != nil && err == nil {
			err = fmt.Errorf("job %s: bad %s %q: %w", j.ID, field, v, perr)
		}
		return &t
	}
	if t := parseTime("created_at"); t != nil {
		j.CreatedAt = *t
	}
	if t := parseTime("expires_at"); t != nil {
		j.ExpiresAt = *t
	}
	j.StartedAt = parseTime("started_at")
	j.Deadline = parseTime("deadline")
	j.Chunks, _ = strconv.Atoi(m["chunks"])
	j.FinishedAt = parseTime("finished_at")
	w, werr := parseWebhook(m)
	j.Webhook = w
	if werr != nil && err == nil {
		err = werr
	}
	j.Progress.Done, _ = strconv.Atoi(m["progress_done"])
	j.Progress.Total, _ = strconv.Atoi(m["progress_total"])
	j.Progress.Phase = m["progress_phase"]
	j.Attempts, _ = strconv.Atoi(m["attempts"])
	if c := m["error_code"]; c != "" {
		j.Error = &JobError{Code: c, Message: m["error_message"]}
		if d := m["error_details"]; d != "" {
			if derr := json.Unmarshal([]byte(d), &j.Error.Details); derr != nil && err == nil {
				err = fmt.Errorf("job %s: bad error details: %w", j.ID, derr)
			}
		}
	}
	return j, err
}
