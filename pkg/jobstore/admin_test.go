package jobstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestListAll(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for i, owner := range []string{"a", "b", "a"} {
		j := create(t, s, fmt.Sprintf("job_%d", i), owner)
		if err := s.IndexAll(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	js, err := s.ListAll(ctx, 10)
	if err != nil || len(js) != 3 {
		t.Fatalf("%d jobs, %v", len(js), err)
	}
	if js, _ := s.ListAll(ctx, 2); len(js) != 2 {
		t.Fatalf("limit: %d", len(js))
	}
}

// TestAdmit: concurrent submissions of one owner never exceed the limit;
// a finished job frees its slot, a released one too.
func TestAdmit(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.Admit(ctx, "a", fmt.Sprintf("job_c%d", i), 3)
			if err != nil {
				t.Error(err)
			}
			if ok {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if admitted.Load() != 3 {
		t.Fatalf("%d admitted, want 3", admitted.Load())
	}
	if ok, _ := s.Admit(ctx, "b", "job_b", 3); !ok {
		t.Fatal("another owner refused")
	}
	// The admitted ids have no job record: submissions in flight, kept
	// for a grace period, then pruned as gone.
	if ok, _ := s.Admit(ctx, "a", "job_x", 3); ok {
		t.Fatal("in-flight admissions were pruned")
	}
	later := time.Now().Add(2 * admitGrace)
	s.now = func() time.Time { return later }
	if ok, _ := s.Admit(ctx, "a", "job_x", 3); !ok {
		t.Fatal("gone jobs were not pruned")
	}
	s2, _ := newStore(t)
	for i := range 2 {
		j := create(t, s2, fmt.Sprintf("job_r%d", i), "a")
		if ok, _ := s2.Admit(ctx, "a", j.ID, 2); !ok {
			t.Fatal("refused below the limit")
		}
	}
	if ok, _ := s2.Admit(ctx, "a", "job_r2", 2); ok {
		t.Fatal("admitted above the limit")
	}
	if _, err := s2.Cancel(ctx, "job_r0", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s2.Admit(ctx, "a", "job_r2", 2); !ok {
		t.Fatal("a canceled job kept its slot")
	}
	if err := s2.Release(ctx, "a", "job_r2"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s2.Admit(ctx, "a", "job_r3", 2); !ok {
		t.Fatal("a released slot was not freed")
	}
}
