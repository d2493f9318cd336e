// Command worker runs dfsopt jobs: it consumes the Asynq queues (critical,
// default, low) from the Redis at DFSOPT_REDIS_URL, runs each task through
// the optimizer and stores the outcome. SIGTERM or SIGINT stops it
// gracefully: running tasks get DFSOPT_SHUTDOWN_TIMEOUT to finish, then go
// back to their queue.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/health"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/redisconn"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/backend"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/tracing"
	"github.com/dfsopt/dfsopt/pkg/webhook"
	"github.com/dfsopt/dfsopt/worker/runner"
)

func main() {
	cfg, err := config.LoadWorker(os.LookupEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	log := logging.New("worker", cfg.LogLevel)
	defer func() { _ = log.Sync() }()
	redisconn.RouteLogs(log)
	if err := run(cfg, log); err != nil {
		log.Error("worker stopped", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
}

func run(cfg *config.Worker, log *zap.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	rdb, err := redisconn.Open(ctx, cfg.RedisURL.Reveal())
	if err != nil {
		return err
	}
	defer func() { _ = rdb.Close() }()

	store := jobstore.New(rdb, cfg.ResultTTL).LimitCache(cfg.ResultCacheMaxBytes)
	calibrations := calibcache.New(rdb, cfg.CalibrationTTL, cfg.CalibrationMaxPerSport)
	slates, err := backend.Open(ctx, cfg.Neo4j, rdb, log)
	if err != nil {
		return err
	}
	defer func() { _ = slates.Close(context.WithoutCancel(ctx)) }()
	services := runner.ComputeServices(calibrations)
	services.Slates = slatestore.ForJobs(slates)
	reg := task.Standard(services)
	tp, stopTracing, err := tracing.Setup(ctx, cfg.OTLPEndpoint, "dfsopt-worker", "")
	if err != nil {
		return err
	}
	defer func() { _ = stopTracing(context.WithoutCancel(ctx)) }()
	registry := metrics.NewRegistry()
	h := runner.NewHandler(reg, store, log).WithMetrics(metrics.NewJobs(registry)).WithTracer(tp.Tracer("dfsopt/worker"))
	srv := runner.NewServer(rdb, cfg.WorkerPool, cfg.ShutdownTimeout, h, log)
	client := asynq.NewClientFromRedisClient(rdb)
	defer func() { _ = client.Close() }()
	fan := runner.FanOutConfigOf(cfg.WorkerPool)
	srv.EnableFanOut(runner.NewFanOut(fan, client, store, reg, calibrations, log))
	srv.EnableWebhooks(runner.NewWebhooks(cfg.Webhook, store, webhook.NewSecretStore(rdb), client, webhook.NewJitter(webhook.RandomSeed()), log))
	log.Info("webhooks", zap.Bool("allow_private", cfg.Webhook.AllowPrivate), zap.Int("allowlist_entries", len(cfg.Webhook.Allowlist)),
		zap.Duration("retry_base", cfg.Webhook.RetryBase), zap.Duration("timeout", cfg.Webhook.Timeout))
	log.Info("contest fan-out", zap.Int("chunk_sims", fan.ChunkSims), zap.Int64("threshold_lineup_sims", fan.Threshold))
	if err := srv.Start(); err != nil {
		return err
	}
	ready := map[string]health.Check{"redis": func(ctx context.Context) error { return rdb.Ping(ctx).Err() }}
	if cfg.Neo4j.Enabled() {
		ready["neo4j"] = slates.Ping
	}
	ops := &runner.Ops{Metrics: metrics.Handler(registry), Watchdog: h.Watchdog(), Ready: ready, Log: log}
	stopOps, err := serveOps(cfg.MetricsAddr, ops.Handler(), log)
	if err != nil {
		srv.Shutdown()
		return err
	}
	defer stopOps()
	log.Info("worker started", zap.Int("concurrency", cfg.Concurrency), zap.Any("queues", cfg.QueueWeights),
		zap.Duration("result_ttl", cfg.ResultTTL), zap.Duration("calibration_ttl", cfg.CalibrationTTL),
		zap.Int("calibrations_per_sport", cfg.CalibrationMaxPerSport))
	<-ctx.Done()
	log.Info("shutting down", zap.Duration("timeout", cfg.ShutdownTimeout))
	ops.Drain()
	srv.Shutdown()
	log.Info("worker stopped")
	return nil
}

// serveOps serves the worker's /metrics, /live and /ready on addr ("": not
// at all) until the returned function is called.
func serveOps(addr string, h http.Handler, log *zap.Logger) (func(), error) {
	if addr == "" {
		log.Info("DFSOPT_METRICS_ADDR is off: no /metrics, /live or /ready")
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on DFSOPT_METRICS_ADDR %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics endpoint stopped", zap.Error(err))
		}
	}()
	log.Info("metrics and probes listening", zap.String("addr", ln.Addr().String()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
