package jobstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DefaultCacheMaxBytes is the default cap on the result documents the
// result cache keeps a pointer to (DFSOPT_RESULT_CACHE_MAX_BYTES): bigger
// results are recomputed.
const DefaultCacheMaxBytes = 4 << 20

// LimitCache sets the largest result document the result cache serves
// again (0: no result is cached) and returns s. Call it while wiring.
func (s *Store) LimitCache(maxBytes int) *Store {
	s.cacheMax = maxBytes
	return s
}

// CacheKey returns the Redis key of the result cache entry of a request
// (hash: the hex SHA-256 of its job type, flags and decoded document) for a
// principal: it names the job that computed the result.
func CacheKey(owner, hash string) string { return KeyPrefix + "cache:" + owner + ":" + hash }

// cacheResult points a succeeded job's cache entry (its record's
// cache_key, set by CreateCacheable) at it, for the TTL.
func (s *Store) cacheResult(ctx context.Context, id string, size int) error {
	if size > s.cacheMax {
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
