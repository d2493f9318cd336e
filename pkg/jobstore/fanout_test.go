package jobstore

import (
	"context"
	"testing"
	"time"
)

// TestFanOutWritesOnlyWhileRunning: a chunk that finishes after its job was
// canceled stores no partial and counts nothing, so a cancel's DeleteFanOut
// leaves no fan-out key behind.
func TestFanOutWritesOnlyWhileRunning(t *testing.T) {
	ctx := context.Background()
	s, r := newStore(t)
	create(t, s, "fo", "alice")
	if _, _, err := s.Start(ctx, "fo", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartFanOut(ctx, "fo", []byte(`{}`), 2); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPartial(ctx, "fo", 0, []byte("a")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ChunkDone(ctx, "fo", 0); err != nil || n != 1 {
		t.Fatalf("done %d %v", n, err)
	}
	if _, err := s.Cancel(ctx, "fo", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFanOut(ctx, "fo", 2); err != nil {
		t.Fatal(err)
	}
	// Chunk 1 ends after the cancel.
	if err := s.PutPartial(ctx, "fo", 1, []byte("b")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ChunkDone(ctx, "fo", 1); err != nil || n != 0 {
		t.Fatalf("done after the cancel: %d %v, want 0", n, err)
	}
	if keys, _ := r.Client.Keys(ctx, KeyPrefix+"fanout:*").Result(); len(keys) != 0 {
		t.Fatalf("fan-out keys written after the cancel: %v", keys)
	}
}
