package jobstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// AllKey is the sorted set of every job id by creation time (unix ms), for
// admins' listing. It has the job TTL, renewed on every submission.
const AllKey = KeyPrefix + "jobs:all"

// ActiveKey returns the Redis key of the sorted set of a principal's jobs
// that were admitted and may still be queued or running (scored by
// admission time).
func ActiveKey(owner string) string { return KeyPrefix + "owner:" + owner + ":active" }

// IndexAll adds a created job to the index of all jobs (dropping ids older
// than the TTL).
func (s *Store) IndexAll(ctx context.Context, j *Job) error {
	now := s.now()
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, AllKey, redis.Z{Score: float64(j.CreatedAt.UnixMilli()), Member: j.ID})
		p.ZRemRangeByScore(ctx, AllKey, "-inf", strconv.FormatInt(now.Add(-s.ttl).UnixMilli(), 10))
		p.Expire(ctx, AllKey, s.ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("index job %s: %w", j.ID, err)
	}
	return nil
}

// ListAll returns up to limit jobs of every owner, newest first.
func (s *Store) ListAll(ctx context.Context, limit int) ([]*Job, error) {
	ids, err := s.rdb.ZRevRange(ctx, AllKey, 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("list all jobs: %w", err)
	}
	found, err := s.getMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	jobs := make([]*Job, 0, len(found))
	for _, j := range found {
		if j != nil {
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// admitScript adds a job to its owner's active set (scored by admission
// time, unix ms) unless the set already holds limit jobs; 1 when admitted.
var admitScript = redis.NewScript(`
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`)

// admitGrace is how long an admitted job may have no record yet (its
// submission is between Admit and Create) before a missing record means
// it is gone.
const admitGrace = time.Minute

// Admit reserves one of the owner's limit slots of queued-or-running jobs
// for a new job id. When the owner is at the limit, the jobs of the set
// that are final, or whose record is gone (past a grace period for
// submissions in flight), are pruned first; the check-and-add is atomic,
// so concurrent submissions on any replica cannot exceed the limit. It
// returns false when the owner is at the limit.
func (s *Store) Admit(ctx context.Context, owner, id string, limit int) (bool, error) {
	key := ActiveKey(owner)
	now := s.now()
	// Only an owner at the limit pays for reading the whole set (a large
	// limit with many active jobs would otherwise make every submission
	// O(active jobs)).
	n, err := s.rdb.ZCard(ctx, key).Result()
	if err != nil {
		return false, fmt.Errorf("admit job %s: %w", id, err)
	}
	if n >= int64(limit) {
		if err := s.pruneActive(ctx, owner); err != nil {
			return false, fmt.Errorf("admit job %s: %w", id, err)
		}
	}
	ok, err := admitScript.Run(ctx, s.rdb, []string{key}, id, limit, s.ttlSeconds(), now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("admit job %s: %w", id, err)
	}
	return ok == 1, nil
}

// Release gives back the slot of a job that was admitted but not queued.
func (s *Store) Release(ctx context.Context, owner, id string) error {
	if err := s.rdb.ZRem(ctx, ActiveKey(owner), id).Err(); err != nil {
		return fmt.Errorf("release job %s: %w", id, err)
	}
	return nil
}
