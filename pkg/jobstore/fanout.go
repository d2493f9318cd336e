package jobstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// A fanned-out job runs as chunk tasks on any worker. Its request is stored
// once (not copied into every chunk's payload), each chunk stores its
// partial result once, and a set counts the chunks done; every key lives
// for the store's TTL and DeleteFanOut removes them after the merge.

func fanKey(id, what string) string { return KeyPrefix + "fanout:" + id + ":" + what }

// FanOutRequestKey returns the key of a fanned-out job's request document.
func FanOutRequestKey(id string) string { return fanKey(id, "request") }

// PartialKey returns the key of one chunk's partial result.
func PartialKey(id string, chunk int) string { return fanKey(id, "part:"+strconv.Itoa(chunk)) }

func chunksDoneKey(id string) string { return fanKey(id, "done") }

var fanOutScript = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return '' end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
if s == 'running' then redis.call('HSET', KEYS[1], 'chunks', ARGV[2]) end
return s`)

// StartFanOut stores the request document of a job about to be split into
// chunks, and the number of chunks on its record (so that a cancel can
// delete them). It returns the job's status; the chunks should only be
// enqueued when it is StatusRunning.
func (s *Store) StartFanOut(ctx context.Context, id string, request []byte, chunks int) (Status, error) {
	return s.run(ctx, fanOutScript, "fan out", id, []string{JobKey(id), FanOutRequestKey(id)},
		request, chunks, s.ttlSeconds())
}

// FanOutRequest returns the request document StartFanOut stored;
// ErrNotFound when it is gone (merged, expired).
func (s *Store) FanOutRequest(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, FanOutRequestKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read fan-out request of job %s: %w", id, err)
	}
	return b, nil
}

// HasPartial reports whether a chunk's partial result is stored.
func (s *Store) HasPartial(ctx context.Context, id string, chunk int) (bool, error) {
	n, err := s.rdb.Exists(ctx, PartialKey(id, chunk)).Result()
	if err != nil {
		return false, fmt.Errorf("check partial %d of job %s: %w", chunk, id, err)
	}
	return n > 0, nil
}

var putPartialScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2])
return 1`)

// PutPartial stores a chunk's partial result once (a redelivered chunk's
// second copy is dropped), and only while the job runs: a chunk finishing
// after its job was canceled or failed leaves nothing behind.
func (s *Store) PutPartial(ctx context.Context, id string, chunk int, b []byte) error {
	if err := putPartialScript.Run(ctx, s.rdb, []string{JobKey(id), PartialKey(id, chunk)}, b, s.ttlSeconds()).Err(); err != nil {
		return fmt.Errorf("store partial %d of job %s: %w", chunk, id, err)
	}
	return nil
}

var chunkDoneScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], 'status') ~= 'running' then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return redis.call('SCARD', KEYS[1])`)

// ChunkDone records that a chunk's partial is stored and returns how many
// distinct chunks are done (0, recording nothing, when the job is no longer
// running).
func (s *Store) ChunkDone(ctx context.Context, id string, chunk int) (int, error) {
	n, err := chunkDoneScript.Run(ctx, s.rdb, []string{chunksDoneKey(id), JobKey(id)}, chunk, s.ttlSeconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("count chunks of job %s: %w", id, err)
	}
	return n, nil
}

// ErrPartialMissing: a chunk's partial result is gone (expired) at merge
// time.
var ErrPartialMissing = errors.New("partial result missing")

// Partials returns the partial results of chunks [0, n).
func (s *Store) Partials(ctx context.Context, id string, n int) ([][]byte, error) {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = PartialKey(id, i)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read partials of job %s: %w", id, err)
	}
	out := make([][]byte, n)
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("chunk %d of job %s: %w", i, id, ErrPartialMissing)
		}
		out[i] = []byte(str)
	}
	return out, nil
}

// DeleteFanOut removes a fanned-out job's request, partials and done set
// (after the merge, or when the job ended otherwise).
func (s *Store) DeleteFanOut(ctx context.Context, id string, n int) error {
	keys := []string{FanOutRequestKey(id), chunksDoneKey(id)}
	for i := range n {
		keys = append(keys, PartialKey(id, i))
	}
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("delete fan-out of job %s: %w", id, err)
	}
	return nil
}

// Now returns the store's clock (UTC).
func (s *Store) Now() time.Time { return s.now() }
