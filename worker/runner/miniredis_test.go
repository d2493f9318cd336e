package runner

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// TestAsynqFeaturesOnMiniredis checks the Asynq features dfsopt uses on
// miniredis, which embedded mode runs on: Lua-scripted enqueue and
// dequeue, retries forwarded by the scheduler, delayed tasks, task-id
// conflicts, and the inspector (queue info, archive, delete, servers).
func TestAsynqFeaturesOnMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	var attempts atomic.Int32
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency: 1, Queues: map[string]int{"default": 1},
		TaskCheckInterval: 20 * time.Millisecond, DelayedTaskCheckInterval: 50 * time.Millisecond,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return 100 * time.Millisecond },
		LogLevel:       asynq.FatalLevel,
	})
	done := make(chan struct{})
	mux := asynq.NewServeMux()
	mux.HandleFunc("flaky", func(context.Context, *asynq.Task) error {
		if attempts.Add(1) < 2 {
			return errors.New("transient")
		}
		close(done)
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	c := asynq.NewClientFromRedisClient(rdb)
	defer c.Close()
	if _, err := c.Enqueue(asynq.NewTask("flaky", nil), asynq.MaxRetry(3), asynq.TaskID("t1")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Enqueue(asynq.NewTask("later", nil), asynq.ProcessIn(time.Hour), asynq.TaskID("t2")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the retry never ran")
	}
	if _, err := c.Enqueue(asynq.NewTask("later", nil), asynq.TaskID("t2")); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatalf("task id conflict: %v", err)
	}
	in := asynq.NewInspectorFromRedisClient(rdb)
	if qi, err := in.GetQueueInfo("default"); err != nil || qi.Scheduled != 1 {
		t.Fatalf("queue info: %+v %v", qi, err)
	}
	if err := in.ArchiveTask("default", "t2"); err != nil {
		t.Fatalf("archive: %v", err)
	}
	if err := in.DeleteTask("default", "t2"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if s, err := in.Servers(); err != nil || len(s) != 1 {
		t.Fatalf("servers: %v %v", s, err)
	}
}
