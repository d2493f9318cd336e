// Package ratelimit provides the gateway's request rate limits (GCRA, with
// github.com/go-redis/redis_rate, shared by every replica through Redis;
// the limits are parsed by pkg/config).
//
// redis_rate prefixes its keys with "rate:": the limiter's keys are
// "rate:dfsopt:rl:<class>:<principal>", each with a TTL of at most one
// period.
package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limit is N requests per period, with a burst of N.
type Limit struct {
	// Rate is the number of requests per Period (and the burst).
	Rate int
	// Period is one second, minute or hour.
	Period time.Duration
}

// String returns the limit as "N/s", "N/m" or "N/h".
func (l Limit) String() string {
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[l.Period]
	return strconv.Itoa(l.Rate) + "/" + unit
}

// Seconds returns the period in seconds (the "w" of RateLimit-Policy).
func (l Limit) Seconds() int { return int(l.Period / time.Second) }

// Decision is the outcome of one request against a limit.
type Decision struct {
	// Limit is the limit applied.
	Limit Limit
	// Allowed is false when the request is over the limit.
	Allowed bool
	// Remaining is how many more requests the burst allows right now.
	Remaining int
	// RetryAfter is how long until a refused request would be allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the burst is full again.
	ResetAfter time.Duration
}

// Limiter applies limits per class and principal.
type Limiter struct {
	rl *redis_rate.Limiter
}

// New returns a limiter on rdb.
func New(rdb redis.UniversalClient) *Limiter {
	return &Limiter{rl: redis_rate.NewLimiter(rdb)}
}

// Key returns the limiter key of a class ("submit", "read") and principal.
func Key(class, principal string) string { return "dfsopt:rl:" + class + ":" + principal }

// Allow counts one request of the principal in the class. An error means
// Redis could not be asked: the caller decides whether to fail closed.
func (l *Limiter) Allow(ctx context.Context, class, principal string, lim Limit) (Decision, error) {
	return l.AllowN(ctx, class, principal, lim, 1)
}

// AllowN counts n requests of the principal in the class at once: all are
// allowed or none (n above the burst never is).
func (l *Limiter) AllowN(ctx context.Context, class, principal string, lim Limit, n int) (Decision, error) {
	rl := redis_rate.Limit{Rate: lim.Rate, Burst: lim.Rate, Period: lim.Period}
	res, err := l.rl.AllowN(ctx, Key(class, principal), rl, n)
	if err != nil {
		return Decision{Limit: lim}, fmt.Errorf("rate limit %s: %w", class, err)
	}
	return Decision{
		Limit: lim, Allowed: res.Allowed > 0, Remaining: res.Remaining,
		RetryAfter: max(res.RetryAfter, 0), ResetAfter: max(res.ResetAfter, 0),
	}, nil
}
