// Package calibcache provides the calibration cache of dfsopt: calibrate
// results kept in Redis by calibration id, so that an identical calibrate
// request is answered at once and simulations can name a calibration (or
// the latest one of a sport).
//
// Keys (all under "dfsopt:", all with the cache's TTL, refreshed on every
// Put):
//
//	dfsopt:calibration:<id>             the result document (JSON)
//	dfsopt:calibrations:<sport>         sorted set of the sport's ids by store time (ms)
//	dfsopt:calibration-latest:<sport>   id of the sport's most recent Put
//
// Size bound: each sport keeps at most MaxPerSport entries; a Put beyond
// that evicts the sport's oldest entries (by store time; re-putting an id
// makes it the newest). Entries also expire on their own after the TTL.
// The calibration id is a hash of the data set and the model configuration
// (see calibrate.ID), so an entry never goes stale: it is only dropped to
// bound memory.
package calibcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Defaults of the cache settings (DFSOPT_CALIBRATION_TTL and
// DFSOPT_CALIBRATION_MAX_PER_SPORT).
const (
	DefaultTTL         = 7 * 24 * time.Hour
	DefaultMaxPerSport = 50
)

// Latest is the calibration reference meaning "the most recent calibration
// of the request's sport".
const Latest = job.LatestCalibration

// ErrNotFound: no such calibration in the cache (never stored, expired or
// evicted), or no calibration at all for the sport.
var ErrNotFound = job.ErrCalibrationNotFound

// Cache stores calibrate results in Redis. It is safe for concurrent use.
type Cache struct {
	rdb         redis.UniversalClient
	ttl         time.Duration
	maxPerSport int
	now         func() time.Time
}

// New returns a cache whose entries live for ttl (DefaultTTL when <= 0),
// at most maxPerSport of them per sport (DefaultMaxPerSport when <= 0).
func New(rdb redis.UniversalClient, ttl time.Duration, maxPerSport int) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if maxPerSport <= 0 {
		maxPerSport = DefaultMaxPerSport
	}
	return &Cache{rdb: rdb, ttl: ttl, maxPerSport: maxPerSport, now: time.Now}
}

// TTL returns the lifetime of an entry.
func (c *Cache) TTL() time.Duration { return c.ttl }

// MaxPerSport returns the size bound per sport.
func (c *Cache) MaxPerSport() int { return c.maxPerSport }

// EntryKey returns the Redis key of a calibration.
func EntryKey(id string) string { return "dfsopt:calibration:" + id }

// IndexKey returns the Redis key of a sport's index of calibrations.
func IndexKey(sport string) string { return "dfsopt:calibrations:" + sport }

// LatestKey returns the Redis key of a sport's latest calibration id.
func LatestKey(sport string) string { return "dfsopt:calibration-latest:" + sport }

// ValidID reports whether id has the form of a calibration id ("cal_" and
// 32 lower-case hex digits), so that other strings never reach key names.
func ValidID(id string) bool {
	hex, ok := strings.CutPrefix(id, "cal_")
	if !ok || len(hex) != 32 {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// validSport accepts short lower-case sport names ("nfl").
func validSport(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

var putScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
local n = redis.call('ZCARD', KEYS[2])
local max = tonumber(ARGV[4])
local evicted = {}
if n > max then
  evicted = redis.call('ZRANGE', KEYS[2], 0, n - max - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - max - 1)
end
redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return evicted`)

// Put stores a calibration, makes it its sport's latest and evicts the
// sport's oldest entries beyond the size bound. Storing an id again
// refreshes its TTL and makes it the newest.
func (c *Cache) Put(ctx context.Context, res *schema.CalibrateResult) error {
	if res == nil || !ValidID(res.CalibrationID) || !validSport(res.Sport) {
		return fmt.Errorf("calibration cache: put: invalid calibration id or sport")
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("calibration cache: encode %s: %w", res.CalibrationID, err)
	}
	now := c.now()
	cutoff := now.Add(-c.ttl).UnixMilli()
	evicted, err := putScript.Run(ctx, c.rdb,
		[]string{EntryKey(res.CalibrationID), IndexKey(res.Sport), LatestKey(res.Sport)},
		b, int64(c.ttl/time.Second), now.UnixMilli(), c.maxPerSport, res.CalibrationID, cutoff).StringSlice()
	if err != nil {
		return fmt.Errorf("calibration cache: put %s: %w", res.CalibrationID, err)
	}
	var keys []string
	for _, id := range evicted {
		if ValidID(id) && id != res.CalibrationID {
			keys = append(keys, EntryKey(id))
		}
	}
	if len(keys) > 0 {
		if err := c.rdb.Del(ctx, keys...).Err(); err != nil {
			return fmt.Errorf("calibration cache: evict %d entries: %w", len(keys), err)
		}
	}
	return nil
}

// Get returns the calibration with the given id, or ErrNotFound.
func (c *Cache) Get(ctx context.Context, id string) (*schema.CalibrateResult, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	b, err := c.rdb.Get(ctx, EntryKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("calibration cache: get %s: %w", id, err)
	}
	var res schema.CalibrateResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("calibration cache: decode %s: %w", id, err)
	}
	return &res, nil
}

// Latest returns the sport's most recently stored calibration, or
// ErrNotFound.
func (c *Cache) Latest(ctx context.Context, sport string) (*schema.CalibrateResult, error) {
	sport = strings.ToLower(sport)
	if !validSport(sport) {
		return nil, ErrNotFound
	}
	id, err := c.rdb.Get(ctx, LatestKey(sport)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("calibration cache: latest %s: %w", sport, err)
	}
	return c.Get(ctx, id)
}

// Resolve returns the calibration ref names for a request of sport: ref is
// a calibration id or Latest. A calibration of another sport is
// ErrNotFound too (wrapped, saying so).
func (c *Cache) Resolve(ctx context.Context, sport, ref string) (*schema.CalibrateResult, error) {
	sport = strings.ToLower(sport)
	var (
		res *schema.CalibrateResult
		err error
	)
	if strings.EqualFold(ref, Latest) {
		res, err = c.Latest(ctx, sport)
	} else {
		res, err = c.Get(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	if res.Sport != sport {
		return nil, fmt.Errorf("calibration %s is for %s, not %s: %w", res.CalibrationID, res.Sport, sport, ErrNotFound)
	}
	return res, nil
}

// IDs returns the sport's cached calibration ids, newest first.
func (c *Cache) IDs(ctx context.Context, sport string) ([]string, error) {
	sport = strings.ToLower(sport)
	if !validSport(sport) {
		return nil, nil
	}
	cutoff := strconv.FormatInt(c.now().Add(-c.ttl).UnixMilli(), 10)
	ids, err := c.rdb.ZRevRangeByScore(ctx, IndexKey(sport), &redis.ZRangeBy{Min: cutoff, Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("calibration cache: list %s: %w", sport, err)
	}
	return ids, nil
}

// Ping reports whether the cache's Redis answers (for /ready).
func (c *Cache) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("calibration cache: %w", err)
	}
	return nil
}
