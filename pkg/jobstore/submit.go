package jobstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Admission is what Submit did with a new job.
type Admission int

const (
	// Created: the job is recorded as queued (and marked submitting); its
	// task is to be enqueued next.
	Created Admission = iota
	// ServedFromCache: an identical request's result was in the result
	// cache; the job is recorded as already succeeded with it (no task).
	ServedFromCache
	// AtLimit: the owner already has the limit of queued or running jobs;
	// nothing is kept (the request, written ahead, is deleted).
	AtLimit
)

// submitScript does a submission's writes in one round trip: a result
// cache hit records the job as succeeded with a copy of the cached result;
// otherwise, when the owner is below its limit of active jobs (0: no
// limit), it takes a slot and records the job as queued and submitting.
// Either way the job joins its owner's index and the index of all jobs; a
// cache hit with a webhook also records its terminal event in the outbox.
//
// The request document is not among its arguments: runSubmit writes it
// with a plain SET in the same round trip.
//
// KEYS: 1 job, 2 owner index, 3 submitting set, 4 all-jobs index, 5 active
// set, 6 cache entry ("" key name: not cacheable), 7 the job's result,
// 8 the webhook outbox.
// ARGV: 1 id, 2 now (unix ms), 3 TTL (s), 4 index cutoff (unix ms), 5 limit,
// 6 result key prefix, 7 now (record time layout), 8 webhook URL ("" none),
// 9 now (unix s), 10.. the record's fields and values.
var submitScript = redis.NewScript(`
local ttl = tonumber(ARGV[3])
local outcome = 'created'
local cached = false
if KEYS[6] ~= '' then
  local src = redis.call('GET', KEYS[6])
  if src then
    cached = redis.call('GET', ARGV[6] .. src)
  end
end
if cached then
  outcome = 'cached'
  local fields = {}
  for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
  for i = 1, #fields, 2 do
    if fields[i] == 'status' then fields[i + 1] = 'succeeded' end
    if fields[i] == 'cache_key' then fields[i + 1] = '' end
  end
  fields[#fields + 1] = 'started_at'; fields[#fields + 1] = ARGV[7]
  fields[#fields + 1] = 'finished_at'; fields[#fields + 1] = ARGV[7]
  fields[#fields + 1] = 'cache_hit'; fields[#fields + 1] = '1'
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('SET', KEYS[7], cached, 'EX', ttl)
  if ARGV[8] ~= '' then -- the job is final already: its webhook event
    redis.call('ZADD', KEYS[8], ARGV[9], ARGV[1])
    redis.call('EXPIRE', KEYS[8], ttl)
  end
else
  local limit = tonumber(ARGV[5])
  if limit > 0 then
    if redis.call('ZCARD', KEYS[5]) >= limit then return 'full' end
    redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
    redis.call('EXPIRE', KEYS[5], ttl)
  end
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('HSET', KEYS[1], unpack(ARGV, 10))
end
redis.call('EXPIRE', KEYS[1], ttl)
for _, index in ipairs({KEYS[2], KEYS[4]}) do
  redis.call('ZADD', index, ARGV[2], ARGV[1])
  redis.call('ZREMRANGEBYSCORE', index, '-inf', ARGV[4])
  redis.call('EXPIRE', index, ttl)
end
return outcome`)

// Submit records a new job in one round trip, as submitScript says: served
// from the result cache when j.CacheKey names a cached result (j is then
// succeeded, CacheHit), else created queued (when the owner is below limit
// active jobs; 0: no limit). An owner at its limit has its finished jobs
// pruned from its active set, and is tried once more. ID, Type, Queue,
// Owner and RequestID must be set; status and timestamps are filled in.
// After a Created job's task is enqueued, call Enqueued.
func (s *Store) Submit(ctx context.Context, j *Job, limit int) (Admission, error) {
	a, err := s.submit(ctx, j, limit)
	if err == nil && a == AtLimit {
		if err := s.pruneActive(ctx, j.Owner); err != nil {
			return 0, fmt.Errorf("submit job %s: %w", j.ID, err)
		}
		a, err = s.submit(ctx, j, limit)
	}
	return a, err
}

func (s *Store) submit(ctx context.Context, j *Job, limit int) (Admission, error) {
	now := s.now()
	j.Status, j.CreatedAt, j.ExpiresAt = StatusQueued, now, now.Add(s.ttl)
	ts := now.Format(timeLayout)
	cacheKey := j.CacheKey
	keys := []string{JobKey(j.ID), OwnerKey(j.Owner), SubmittingKey, AllKey, ActiveKey(j.Owner), cacheKey, ResultKey(j.ID), OutboxKey}
	args := []any{j.ID, now.UnixMilli(), s.ttlSeconds(), now.Add(-s.ttl).UnixMilli(), limit, ResultKey(""), ts,
		webhookURL(j), now.Unix(),
		"id", j.ID, "type", j.Type, "status", string(StatusQueued), "queue", j.Queue,
		"owner", j.Owner, "request_id", j.RequestID, "flags", joinFlags(j.Flags),
		"created_at", ts, "expires_at", j.ExpiresAt.Format(timeLayout),
		"progress_done", 0, "progress_total", 0, "attempts", 0, "replay_of", j.ReplayOf, "cache_key", cacheKey,
		"webhook_url", webhookURL(j)}
	out, err := s.runSubmit(ctx, j, keys, args)
	if err != nil {
		return 0, fmt.Errorf("submit job %s: %w", j.ID, err)
	}
	switch out {
	case "created":
		return Created, nil
	case "cached":
		j.Status, j.CacheHit, j.CacheKey = StatusSucceeded, true, ""
		j.StartedAt, j.FinishedAt = &now, &now
		return ServedFromCache, nil
	case "full":
		if len(j.Request) > 0 { // written before the script found the owner full
			if err := s.rdb.Del(ctx, RequestKey(j.ID)).Err(); err != nil {
				return 0, fmt.Errorf("submit job %s: drop the request of a refused job: %w", j.ID, err)
			}
		}
		return AtLimit, nil
	}
	return 0, fmt.Errorf("submit job %s: unexpected answer %q", j.ID, out)
}

// runSubmit runs submitScript, with the request document (if any) written
// packed (packRequest) by a plain SET pipelined before it in the same round trip rather than
// through the script's arguments, where Lua copies it twice more (on a
// 35 kB request, with the gateway's GOGC=400: 1,867 → 2,126 submissions/s
// in the load test, medians of 3 runs). A script Redis
// has not loaded (a restart, SCRIPT FLUSH) is loaded and the round trip
// made again.
func (s *Store) runSubmit(ctx context.Context, j *Job, keys []string, args []any) (string, error) {
	var packed []byte
	if len(j.Request) > 0 {
		packed = packRequest(j.Request)
	}
	for attempt := 0; ; attempt++ {
		pipe := s.rdb.Pipeline()
		if len(j.Request) > 0 {
			pipe.Set(ctx, RequestKey(j.ID), packed, s.ttl)
		}
		out := submitScript.EvalSha(ctx, pipe, keys, args...)
		_, err := pipe.Exec(ctx)
		if err != nil && attempt == 0 && redis.HasErrorPrefix(out.Err(), "NOSCRIPT") {
			if err := submitScript.Load(ctx, s.rdb).Err(); err != nil {
				return "", fmt.Errorf("load the submit script: %w", err)
			}
			continue
		}
		if err != nil {
			return "", err
		}
		return out.Text()
	}
}

// pruneActive drops from an owner's active set the jobs that are final, or
// whose record is gone past a grace period for submissions in flight.
func (s *Store) pruneActive(ctx context.Context, owner string) error {
	key := ActiveKey(owner)
	members, err := s.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("prune active jobs of %s: %w", owner, err)
	}
	cmds := make([]*redis.StringCmd, len(members))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range members {
			cmds[i] = p.HGet(ctx, JobKey(m.Member.(string)), "status")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("prune active jobs of %s: %w", owner, err)
	}
	var done []any
	graceOver := float64(s.now().Add(-admitGrace).UnixMilli())
	for i, c := range cmds {
		st, err := c.Result()
		if (err == nil && Status(st).Final()) || (errors.Is(err, redis.Nil) && members[i].Score < graceOver) {
			done = append(done, members[i].Member)
		}
	}
	if len(done) == 0 {
		return nil
	}
	if err := s.rdb.ZRem(ctx, key, done...).Err(); err != nil {
		return fmt.Errorf("prune active jobs of %s: %w", owner, err)
	}
	return nil
}

// EnqueuedMany is Enqueued for many jobs in one command.
func (s *Store) EnqueuedMany(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id
	}
	if err := s.rdb.ZRem(ctx, SubmittingKey, members...).Err(); err != nil {
		return fmt.Errorf("mark %d jobs enqueued: %w", len(ids), err)
	}
	return nil
}
