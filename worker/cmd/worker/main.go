// Command worker runs dfsopt jobs: it consumes the Asynq queues (critical,
// default, low) from the Redis at DFSOPT_REDIS_URL, runs each task through
// the optimizer and stores the outcome. SIGTERM or SIGINT stops it
// gracefully: running tasks get DFSOPT_SHUTDOWN_TIMEOUT to finish, then go
// back to their queue.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/redisconn"
	"github.com/dfsopt/dfsopt/pkg/task"
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

	store := jobstore.New(rdb, cfg.ResultTTL)
	calibrations := calibcache.New(rdb, cfg.CalibrationTTL, cfg.CalibrationMaxPerSport)
	reg := task.Standard(runner.ComputeServices(calibrations))
	h := runner.NewHandler(reg, store, log)
	srv := runner.NewServer(rdb, cfg.WorkerPool, cfg.ShutdownTimeout, h, log)
	client := asynq.NewClientFromRedisClient(rdb)
	defer func() { _ = client.Close() }()
	fan := runner.FanOutConfigOf(cfg.WorkerPool)
	srv.EnableFanOut(runner.NewFanOut(fan, client, store, reg, calibrations, log))
	log.Info("contest fan-out", zap.Int("chunk_sims", fan.ChunkSims), zap.Int64("threshold_lineup_sims", fan.Threshold))
	if err := srv.Start(); err != nil {
		return err
	}
	log.Info("worker started", zap.Int("concurrency", cfg.Concurrency), zap.Any("queues", cfg.QueueWeights),
		zap.Duration("result_ttl", cfg.ResultTTL), zap.Duration("calibration_ttl", cfg.CalibrationTTL),
		zap.Int("calibrations_per_sport", cfg.CalibrationMaxPerSport))
	<-ctx.Done()
	log.Info("shutting down", zap.Duration("timeout", cfg.ShutdownTimeout))
	srv.Shutdown()
	log.Info("worker stopped")
	return nil
}
