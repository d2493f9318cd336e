package jobstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// IdempotencyKey returns the Redis key that ties a principal's
// Idempotency-Key (given as its hex SHA-256) to a job.
func IdempotencyKey(owner, keyHash string) string {
	return KeyPrefix + "idem:" + owner + ":" + keyHash
}

// RequestKey returns the Redis key of a job's request document.
func RequestKey(id string) string { return KeyPrefix + "request:" + id }

// Claim is what an idempotency key holds: the job it created and the hash
// of the submission that created it.
type Claim struct {
	JobID    string
	BodyHash string
}

func parseClaim(v string) (*Claim, error) {
	id, hash, ok := strings.Cut(v, " ")
	if !ok {
		return nil, fmt.Errorf("bad idempotency record %q", v)
	}
	return &Claim{JobID: id, BodyHash: hash}, nil
}

// maxClaimAttempts bounds the optimistic-lock retries of CreateOnce.
const maxClaimAttempts = 5

// LookupClaim returns the claim of an idempotency key (nil, nil when there
// is none).
func (s *Store) LookupClaim(ctx context.Context, key string) (*Claim, error) {
	v, err := s.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	return parseClaim(v)
}

// CreateOnce creates job j as Create does and, in the same transaction,
// claims the idempotency key for it with bodyHash, for the store's TTL.
// When the key is already claimed nothing is created and the existing
// claim is returned: of any number of concurrent calls with one key, one
// creates its job and the others get its claim.
func (s *Store) CreateOnce(ctx context.Context, j *Job, key, bodyHash string) (*Claim, error) {
	for range maxClaimAttempts {
		var prior *Claim
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			v, err := tx.Get(ctx, key).Result()
			switch {
			case err == nil:
				prior, err = parseClaim(v)
				return err
			case !errors.Is(err, redis.Nil):
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				s.createCmds(ctx, p, j)
				p.Set(ctx, key, j.ID+" "+bodyHash, s.ttl)
				return nil
			})
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue // someone claimed the key meanwhile: read their claim
		}
		if err != nil {
			return nil, fmt.Errorf("create job %s: %w", j.ID, err)
		}
		return prior, nil
	}
	return nil, fmt.Errorf("create job %s: idempotency key contended %d times", j.ID, maxClaimAttempts)
}

var forgetScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then
  redis.call('DEL', KEYS[1])
end
return 0`)

// ForgetClaim drops an idempotency key if it still names job id (its job
// was never enqueued, or has expired), so that the key can be used again.
func (s *Store) ForgetClaim(ctx context.Context, key, id string) error {
	if err := forgetScript.Run(ctx, s.rdb, []string{key}, id).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("forget idempotency key of job %s: %w", id, err)
	}
	return nil
}

// Request returns a job's stored request document (ErrNotFound when it
// has expired or was never stored).
func (s *Store) Request(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, RequestKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get request of job %s: %w", id, err)
	}
	doc, err := unpackRequest(b)
	if err != nil {
		return nil, fmt.Errorf("get request of job %s: %w", id, err)
	}
	return doc, nil
}
