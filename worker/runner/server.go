package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// Server is an Asynq server running a Handler.
type Server struct {
	srv    *asynq.Server
	h      *Handler
	fanOut *FanOut // nil: contest_sim jobs always run on one worker
	// webhooks delivers webhook tasks and dispatches the outbox; nil: this
	// server does neither.
	webhooks *Webhooks
	rec      *Reconciler
	stop     context.CancelFunc
	done     chan struct{}
}

// NewServer returns a server consuming the critical, default and low queues
// with the configured weights and concurrency. rdb is not closed by the
// server.
func NewServer(rdb redis.UniversalClient, pool config.WorkerPool, shutdownTimeout time.Duration, h *Handler, log *zap.Logger) *Server {
	s := &Server{h: h, rec: NewReconciler(h.store, asynq.NewInspectorFromRedisClient(rdb), log)}
	s.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:       pool.Concurrency,
		Queues:            pool.QueueWeights,
		StrictPriority:    pool.StrictPriority,
		TaskCheckInterval: pool.PollInterval,
		ShutdownTimeout:   shutdownTimeout,
		Logger:            asynqLogger{log.Sugar().With(zap.String("component", "asynq"))},
		LogLevel:          asynq.InfoLevel,
		RetryDelayFunc:    s.retryDelay,
		// Retries due (a webhook's first ones come seconds apart; lease-
		// expired tasks, see retryDelay) move to their queue within a
		// second, not Asynq's default 5 s.
		DelayedTaskCheckInterval: time.Second,
		HealthCheckFunc: func(err error) {
			if err != nil {
				log.Warn("asynq health check failed", zap.Error(err))
			}
		},
	})
	return s
}

// retryDelay is how long a task waits before it runs again. A task whose
// worker died (asynq.ErrLeaseExpired, from Asynq's recoverer) runs again
// at once: the recoverer only takes tasks whose lease expired 30 s ago, so
// the dead worker's run is long over, and there is nothing to back off
// from. Webhook deliveries follow their own schedule
// (Webhooks.RetryDelay); transient failures of jobs back off 5s, 10s,
// 20s, ... capped at 5m.
func (s *Server) retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if errors.Is(err, asynq.ErrLeaseExpired) {
		return 0
	}
	if s.webhooks != nil && t.Type() == task.TypeWebhook {
		return s.webhooks.RetryDelay(n)
	}
	return min(5*time.Second<<min(n, 6), 5*time.Minute)
}

// EnableWebhooks makes the server deliver webhook tasks and dispatch the
// webhook outbox with w. Call it before Start.
func (s *Server) EnableWebhooks(w *Webhooks) { s.webhooks = w }

// Start starts processing tasks, reconciling unfinished submissions and
// (when enabled) dispatching webhook events, in the background.
func (s *Server) Start() error {
	if err := s.srv.Start(s.mux()); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	var wg sync.WaitGroup
	if s.webhooks != nil {
		wg.Go(func() { s.webhooks.Run(ctx) })
	}
	wg.Go(func() { s.rec.Run(ctx) })
	go func() { wg.Wait(); close(s.done) }()
	return nil
}

// Shutdown stops fetching tasks, waits up to the shutdown timeout for the
// running ones, and puts the unfinished ones back in their queues.
func (s *Server) Shutdown() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	s.srv.Shutdown()
}

// asynqLogger adapts zap to asynq.Logger.
type asynqLogger struct{ l *zap.SugaredLogger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(args...) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(args...) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(args...) }
func (a asynqLogger) Error(args ...any) { a.l.Error(args...) }
func (a asynqLogger) Fatal(args ...any) { a.l.Fatal(args...) }
