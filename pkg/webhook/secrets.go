package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// SecretKey returns the Redis key of a principal's webhook secret. It has
// no TTL (like API keys): a secret lives until rotated.
func SecretKey(principal string) string { return "dfsopt:webhook:secret:" + principal }

// previousKey holds a rotated-out secret for RotationGrace.
func previousKey(principal string) string { return SecretKey(principal) + ":previous" }

// RotationGrace is how long a rotated-out secret still signs deliveries
// (as a second v1 signature), so that receivers can switch without
// refusing messages in flight.
const RotationGrace = 24 * time.Hour

// SecretStore keeps each principal's webhook signing secret in Redis.
type SecretStore struct {
	rdb redis.UniversalClient
}

// NewSecretStore returns a store on rdb.
func NewSecretStore(rdb redis.UniversalClient) *SecretStore { return &SecretStore{rdb: rdb} }

var getOrCreateScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return {v, 0} end
redis.call('SET', KEYS[1], ARGV[1])
return {ARGV[1], 1}`)

// Secret returns the principal's secret, creating it on first use (the
// gateway's GET /v1/webhook-secret or the first delivery, whichever comes
// first; both then see the same one). created reports that this call made
// it.
func (s *SecretStore) Secret(ctx context.Context, principal string) (secret string, created bool, err error) {
	v, err := getOrCreateScript.Run(ctx, s.rdb, []string{SecretKey(principal)}, NewSecret()).Slice()
	if err != nil || len(v) != 2 {
		return "", false, fmt.Errorf("read webhook secret: %w", err)
	}
	secret, _ = v[0].(string)
	n, _ := v[1].(int64)
	return secret, n == 1, nil
}

var rotateScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then redis.call('SET', KEYS[2], v, 'EX', ARGV[2]) end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`)

// Rotate replaces the principal's secret with a new one and returns it.
// The old one still signs deliveries, as a second signature, for
// RotationGrace.
func (s *SecretStore) Rotate(ctx context.Context, principal string) (string, error) {
	v, err := rotateScript.Run(ctx, s.rdb, []string{SecretKey(principal), previousKey(principal)},
		NewSecret(), int64(RotationGrace/time.Second)).Text()
	if err != nil {
		return "", fmt.Errorf("rotate webhook secret: %w", err)
	}
	return v, nil
}

// SigningSecrets returns the secrets a delivery for the principal is
// signed with: the current one (created on first use) first, then the
// rotated-out one while it is within RotationGrace.
func (s *SecretStore) SigningSecrets(ctx context.Context, principal string) ([]string, error) {
	cur, _, err := s.Secret(ctx, principal)
	if err != nil {
		return nil, err
	}
	prev, err := s.rdb.Get(ctx, previousKey(principal)).Result()
	switch {
	case errors.Is(err, redis.Nil) || prev == "":
		return []string{cur}, nil
	case err != nil:
		return nil, fmt.Errorf("read previous webhook secret: %w", err)
	}
	return []string{cur, prev}, nil
}
