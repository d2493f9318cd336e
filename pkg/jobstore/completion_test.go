package jobstore

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCompletionsCountedOnce: two runs of one job that both reach Succeed
// (at-least-once delivery) store the first result only; the record counts
// one completion and one refused, and a canceled job's late Succeed is
// neither.
func TestCompletionsCountedOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	create(t, s, "j1", "alice")
	if c, err := s.Completions(ctx, "j1"); err != nil || c != (Completions{}) {
		t.Fatalf("new job: %+v %v", c, err)
	}
	for range 2 { // two deliveries start it
		if st, _, err := s.Start(ctx, "j1", time.Minute); err != nil || st != StatusRunning {
			t.Fatalf("start: %s %v", st, err)
		}
	}
	if st, err := s.Succeed(ctx, "j1", "alice", []byte(`{"run":1}`)); err != nil || st != StatusSucceeded {
		t.Fatalf("first succeed: %s %v", st, err)
	}
	if st, err := s.Succeed(ctx, "j1", "alice", []byte(`{"run":2}`)); err != nil || st != StatusSucceeded {
		t.Fatalf("second succeed: %s %v", st, err)
	}
	if b, err := s.Result(ctx, "j1"); err != nil || string(b) != `{"run":1}` {
		t.Fatalf("result %s %v, want the first run's", b, err)
	}
	if c, err := s.Completions(ctx, "j1"); err != nil || c != (Completions{Stored: 1, Refused: 1}) {
		t.Fatalf("completions %+v %v, want 1 stored and 1 refused", c, err)
	}

	create(t, s, "j2", "alice")
	if _, _, err := s.Start(ctx, "j2", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(ctx, "j2", "alice"); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Succeed(ctx, "j2", "alice", []byte(`{}`)); err != nil || st != StatusCanceled {
		t.Fatalf("succeed after cancel: %s %v", st, err)
	}
	if c, err := s.Completions(ctx, "j2"); err != nil || c != (Completions{}) {
		t.Fatalf("canceled job's completions %+v %v", c, err)
	}
	if _, err := s.Completions(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
}
