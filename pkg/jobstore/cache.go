package jobstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// MaxCachedResultBytes caps the result documents the result cache keeps a
// pointer to: bigger results are recomputed.
const MaxCachedResultBytes = 4 << 20

// CacheKey returns the Redis key of the result cache entry of a request
// (hash: the hex SHA-256 of its job type and canonical document) for a
// principal: it names the job that computed the result.
func CacheKey(owner, hash string) string { return KeyPrefix + "cache:" + owner + ":" + hash }

// CachedResult returns the result a cache entry points to (nil, nil on a
// miss: no entry, or its job's result has expired).
func (s *Store) CachedResult(ctx context.Context, key string) ([]byte, error) {
	id, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read result cache: %w", err)
	}
	b, err := s.Result(ctx, id)
	if errors.Is(err, ErrNoResult) {
		return nil, nil
	}
	return b, err
}

// cacheResult points a succeeded job's cache entry (its record's
// cache_key, set by CreateCacheable) at it, for the TTL.
func (s *Store) cacheResult(ctx context.Context, id string, size int) error {
	if size > MaxCachedResultBytes {
		return nil
	}
	key, err := s.rdb.HGet(ctx, JobKey(id), "cache_key").Result()
	if errors.Is(err, redis.Nil) || key == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cache result of job %s: %w", id, err)
	}
	if err := s.rdb.Set(ctx, key, id, s.ttl).Err(); err != nil {
		return fmt.Errorf("cache result of job %s: %w", id, err)
	}
	return nil
}

// CreateSucceeded stores a new job that has already succeeded with result
// (a result cache hit): record, result and owner index in one transaction.
// ID, Type, Queue, Owner and RequestID must be set; status and timestamps
// are filled in, and CacheHit is recorded.
func (s *Store) CreateSucceeded(ctx context.Context, j *Job, result []byte) error {
	now := s.now()
	j.Status, j.CacheHit = StatusSucceeded, true
	j.CreatedAt, j.ExpiresAt = now, now.Add(s.ttl)
	j.StartedAt, j.FinishedAt = &now, &now
	ts := now.Format(timeLayout)
	key, owner := JobKey(j.ID), OwnerKey(j.Owner)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key,
			"id", j.ID, "type", j.Type, "status", string(j.Status), "queue", j.Queue,
			"owner", j.Owner, "request_id", j.RequestID, "flags", joinFlags(j.Flags),
			"created_at", ts, "started_at", ts, "finished_at", ts, "expires_at", j.ExpiresAt.Format(timeLayout),
			"progress_done", 0, "progress_total", 0, "attempts", 0, "replay_of", j.ReplayOf, "cache_hit", 1,
			"webhook_url", webhookURL(j))
		p.Expire(ctx, key, s.ttl)
		p.Set(ctx, ResultKey(j.ID), result, s.ttl)
		if len(j.Request) > 0 {
			p.Set(ctx, RequestKey(j.ID), j.Request, s.ttl)
		}
		p.ZAdd(ctx, owner, redis.Z{Score: float64(now.UnixMilli()), Member: j.ID})
		p.Expire(ctx, owner, s.ttl)
		s.outboxCmds(ctx, p, j)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create cached job %s: %w", j.ID, err)
	}
	return nil
}
