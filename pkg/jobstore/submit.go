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
	// nothing was written.
	AtLimit
)

// submitScript does a submission's writes in one round trip: a result
// cache hit records the job as succeeded with a copy of the cached result;
// otherwise, when the owner is below its limit of active jobs (0: no
// limit), it takes a slot and records the job as queued and submitting.
// Either way the job joins its owner's index and the index of all jobs; a
// cache hit with a webhook also records its terminal event in the outbox.
//
// KEYS: 1 job, 2 request, 3 owner index, 4 submitting set, 5 all-jobs
// index, 6 active set, 7 cache entry ("" key name: not cacheable), 8 the
// job's result, 9 the webhook outbox.
// ARGV: 1 id, 2 now (unix ms), 3 TTL (s), 4 index cutoff (unix ms), 5 limit,
// 6 request ("" none), 7 result key prefix, 8 now (record time layout),
// 9 webhook URL ("" none), 10 now (unix s), 11.. the record's fields and
// values.
var submitScript = redis.NewScript(`
local ttl = tonumber(ARGV[3])
local outcome = 'created'
local cached = false
if KEYS[7] ~= '' then
  local src = redis.call('GET', KEYS[7])
  if src then
    cached = redis.call('GET', ARGV[7] .. src)
  end
end
if cached then
  outcome = 'cached'
  local fields = {}
  for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
  for i = 1, #fields, 2 do
    if fields[i] == 'status' then fields[i + 1] = 'succeeded' end
    if fields[i] == 'cache_key' then fields[i + 1] = '' end
  end
  fields[#fields + 1] = 'started_at'; fields[#fields + 1] = ARGV[8]
  fields[#fields + 1] = 'finished_at'; fields[#fields + 1] = ARGV[8]
  fields[#fields + 1] = 'cache_hit'; fields[#fields + 1] = '1'
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('SET', KEYS[8], cached, 'EX', ttl)
  if ARGV[9] ~= '' then -- the job is final already: its webhook event
    redis.call('ZADD', KEYS[9], ARGV[10], ARGV[1])
    redis.call('EXPIRE', KEYS[9], ttl)
  end
else
  local limit = tonumber(ARGV[5])
  if limit > 0 then
    if redis.call('ZCARD', KEYS[6]) >= limit then return 'full' end
    redis.call('ZADD', KEYS[6], ARGV[2], ARGV[1])
    redis.call('EXPIRE', KEYS[6], ttl)
  end
  redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
  redis.call('EXPIRE', KEYS[4], ttl)
  redis.call('HSET', KEYS[1], unpack(ARGV, 11))
end
redis.call('EXPIRE', KEYS[1], ttl)
if ARGV[6] ~= '' then redis.call('SET', KEYS[2], ARGV[6], 'EX', ttl) end
for _, index in ipairs({KEYS[3], KEYS[5]}) do
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
	keys := []string{JobKey(j.ID), RequestKey(j.ID), OwnerKey(j.Owner), SubmittingKey, AllKey, ActiveKey(j.Owner), cacheKey, ResultKey(j.ID), OutboxKey}
	args := []any{j.ID, now.UnixMilli(), s.ttlSeconds(), now.Add(-s.ttl).UnixMilli(), limit, j.Request, ResultKey(""), ts,
		webhookURL(j), now.Unix(),
		"id", j.ID, "type", j.Type, "status", string(StatusQueued), "queue", j.Queue,
		"owner", j.Owner, "request_id", j.RequestID, "flags", joinFlags(j.Flags),
		"created_at", ts, "expires_at", j.ExpiresAt.Format(timeLayout),
		"progress_done", 0, "progress_total", 0, "attempts", 0, "replay_of", j.ReplayOf, "cache_key", cacheKey,
		"webhook_url", webhookURL(j)}
	out, err := submitScript.Run(ctx, s.rdb, keys, args...).Text()
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
		return AtLimit, nil
	}
	return 0, fmt.Errorf("submit job %s: unexpected answer %q", j.ID, out)
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
