package jobs

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// slowZRem counts ZREM commands and makes each take delay.
type slowZRem struct {
	delay time.Duration
	n     atomic.Int32
}

func (h *slowZRem) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *slowZRem) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, c redis.Cmder) error {
		if c.Name() == "zrem" {
			h.n.Add(1)
			time.Sleep(h.delay)
		}
		return next(ctx, c)
	}
}
func (h *slowZRem) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestConfirmationsBatched: while RunConfirmations runs, concurrent
// submissions have their submitting marks cleared in shared commands (fewer
// ZREMs than jobs), none is left behind once it stops, and a submission
// after it stopped clears its own mark.
func TestConfirmationsBatched(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.service(f.client)
	// Each ZREM takes 20 ms, so that marks pile up behind it as they do
	// under load.
	zrems := &slowZRem{delay: 20 * time.Millisecond}
	f.storeClient.AddHook(zrems)

	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.RunConfirmations(rctx, zap.NewNop()) }()
	for !s.batching.Load() {
		time.Sleep(time.Millisecond)
	}
	const n = 64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, NoCache: true}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	stop()
	<-done
	if ids, _ := f.store.Orphans(ctx, time.Now().Add(time.Hour), 2*n); len(ids) != 0 {
		t.Fatalf("%d marks left after RunConfirmations returned", len(ids))
	}
	if got := zrems.n.Load(); got < 1 || got > n/4 {
		t.Fatalf("%d ZREM commands for %d jobs: not batched", got, n)
	}
	t.Logf("%d submissions confirmed with %d ZREM commands", n, zrems.n.Load())

	if _, err := s.Submit(ctx, Submission{Kind: f.kind, Body: []byte(body), Principal: alice, NoCache: true}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := f.store.Orphans(ctx, time.Now().Add(time.Hour), 10); len(ids) != 0 {
		t.Fatalf("a submission after the batcher stopped left its mark: %v", ids)
	}
}
