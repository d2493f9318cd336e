// Package redisstore provides the Redis adapter of slatestore.Store: the
// embedded default of dfsopt when no Neo4j is configured.
//
// Keys:
//
//	dfsopt:slate:<id>            the slate document (JSON), written once
//	dfsopt:slate:<id>:outcomes   hash player id -> outcome (JSON)
//	dfsopt:slates                hash slate id -> summary (JSON), for List
//
// No key has a TTL: slates are the history calibrations read months
// later, and they are small (a 500-player slate is about 150 KB). This is
// the one deliberate exception, with API keys, to "every dfsopt: key has a
// TTL"; a deployment that must bound them uses Neo4j or deletes old slates
// itself.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
)

// Store is a slatestore.Store over Redis. It is safe for concurrent use.
type Store struct {
	rdb redis.UniversalClient
	now func() time.Time
}

var _ slatestore.Store = (*Store)(nil)

// New returns a store on rdb (which the caller owns: Close does not close
// it).
func New(rdb redis.UniversalClient) *Store {
	return &Store{rdb: rdb, now: time.Now}
}

// SlateKey returns the key of a slate document.
func SlateKey(id string) string { return "dfsopt:slate:" + id }

// OutcomesKey returns the key of a slate's outcomes.
func OutcomesKey(id string) string { return "dfsopt:slate:" + id + ":outcomes" }

// IndexKey is the hash of the stored slates' summaries.
const IndexKey = "dfsopt:slates"

// putScript writes a slate and its summary unless it exists: 1 when
// written, 0 when it was there.
var putScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
return 1`)

// Put stores a slate and its summary atomically, unless already stored.
func (s *Store) Put(ctx context.Context, sl *slatestore.Slate) (string, bool, error) {
	p, err := slatestore.Prepare(sl)
	if err != nil {
		return "", false, err
	}
	p.ImportedAt = s.now().UTC().Truncate(time.Millisecond)
	doc, err := json.Marshal(p)
	if err != nil {
		return "", false, fmt.Errorf("put slate %s: encode: %w", p.ID, err)
	}
	sum, err := json.Marshal(slatestore.Summarize(p, 0))
	if err != nil {
		return "", false, fmt.Errorf("put slate %s: encode summary: %w", p.ID, err)
	}
	n, err := putScript.Run(ctx, s.rdb, []string{SlateKey(p.ID), IndexKey}, doc, sum, p.ID).Int()
	if err != nil {
		return "", false, wrap("put slate "+p.ID, err)
	}
	return p.ID, n == 1, nil
}

// Get returns a stored slate.
func (s *Store) Get(ctx context.Context, id string) (*slatestore.Slate, error) {
	if !slatestore.ValidID(id) {
		return nil, fmt.Errorf("get slate %q: %w", id, slatestore.ErrNotFound)
	}
	b, err := s.rdb.Get(ctx, SlateKey(id)).Bytes()
	if err != nil {
		return nil, wrap("get slate "+id, err)
	}
	var sl slatestore.Slate
	if err := json.Unmarshal(b, &sl); err != nil {
		return nil, fmt.Errorf("get slate %s: decode: %w", id, err)
	}
	return &sl, nil
}

// List returns the stored slates' summaries, latest lock time first.
func (s *Store) List(ctx context.Context, opts slatestore.ListOptions) ([]slatestore.Summary, error) {
	all, err := s.rdb.HGetAll(ctx, IndexKey).Result()
	if err != nil {
		return nil, wrap("list slates", err)
	}
	sums := make([]slatestore.Summary, 0, len(all))
	for id, v := range all {
		var sum slatestore.Summary
		if err := json.Unmarshal([]byte(v), &sum); err != nil {
			return nil, fmt.Errorf("list slates: decode summary of %s: %w", id, err)
		}
		sums = append(sums, sum)
	}
	sums = slatestore.Filter(sums, opts)
	counts := make([]*redis.IntCmd, len(sums))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range sums {
			counts[i] = p.HLen(ctx, OutcomesKey(sums[i].ID))
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list slates: count outcomes", err)
	}
	for i := range sums {
		sums[i].Outcomes = int(counts[i].Val())
	}
	return sums, nil
}

// PutOutcomes stores or replaces outcomes of the slate's players in one
// HSET.
func (s *Store) PutOutcomes(ctx context.Context, slateID string, outcomes []slatestore.Outcome) error {
	sl, err := s.Get(ctx, slateID)
	if err != nil {
		return err
	}
	if err := slatestore.CheckOutcomes(sl, outcomes); err != nil {
		return err
	}
	if len(outcomes) == 0 {
		return nil
	}
	fields := make([]any, 0, 2*len(outcomes))
	for _, o := range outcomes {
		b, err := json.Marshal(o)
		if err != nil {
			return fmt.Errorf("put outcomes of %s: encode: %w", slateID, err)
		}
		fields = append(fields, o.PlayerID, b)
	}
	if err := s.rdb.HSet(ctx, OutcomesKey(slateID), fields...).Err(); err != nil {
		return wrap("put outcomes of "+slateID, err)
	}
	return nil
}

// History returns the calibration rows of the slates' players with an
// outcome.
func (s *Store) History(ctx context.Context, slateIDs []string) ([]schema.CalibrationRow, error) {
	var rows []schema.CalibrationRow
	for _, id := range slateIDs {
		sl, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		all, err := s.rdb.HGetAll(ctx, OutcomesKey(id)).Result()
		if err != nil {
			return nil, wrap("history of "+id, err)
		}
		for i := range sl.Players {
			p := &sl.Players[i]
			v, ok := all[p.ID]
			if !ok {
				continue
			}
			var o slatestore.Outcome
			if err := json.Unmarshal([]byte(v), &o); err != nil {
				return nil, fmt.Errorf("history of %s: decode outcome of %s: %w", id, p.ID, err)
			}
			rows = append(rows, slatestore.HistoryRow(sl, p, o.Points))
		}
	}
	return rows, nil
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return wrap("slate store ping", err)
	}
	return nil
}

// Close does nothing: the Redis client belongs to the caller.
func (s *Store) Close(context.Context) error { return nil }

// wrap maps a go-redis error: redis.Nil is ErrNotFound; a network failure,
// a pool time-out, a closed client or a passed deadline is ErrUnavailable.
func wrap(op string, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%s: %w", op, slatestore.ErrNotFound)
	case errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, redis.ErrPoolTimeout), errors.Is(err, redis.ErrClosed),
		errors.Is(err, context.DeadlineExceeded):
		return slatestore.Unavailable(op, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
