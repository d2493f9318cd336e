package jobstore

import (
	"context"
	"fmt"
	"strconv"
)

// Completions is the evidence that a job completed once under Asynq's
// at-least-once delivery: Succeed counts, on the job record, the calls that
// stored the result and made the job succeeded (Stored, at most 1) and the
// calls that came after it and were refused (Refused: a second run of the
// same job that also got to the end). The record's "attempts" field counts
// the runs that started.
type Completions struct {
	Stored, Refused int
}

// Completions returns a job's completion counters; ErrNotFound when the
// record is gone.
func (s *Store) Completions(ctx context.Context, id string) (Completions, error) {
	v, err := s.rdb.HMGet(ctx, JobKey(id), "id", "completions", "completions_refused").Result()
	if err != nil {
		return Completions{}, fmt.Errorf("read completions of job %s: %w", id, err)
	}
	if v[0] == nil {
		return Completions{}, ErrNotFound
	}
	return Completions{Stored: count(v[1]), Refused: count(v[2])}, nil
}

// count reads an HMGET field holding an integer (nil: 0).
func count(v any) int {
	s, _ := v.(string)
	n, _ := strconv.Atoi(s)
	return n
}
