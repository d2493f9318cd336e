// Command gateway is the dfsopt HTTP gateway: it authenticates and
// validates requests, records jobs, enqueues their tasks, and serves job
// status and results from Redis.
//
// With DFSOPT_REDIS_URL unset it runs in embedded (development) mode: an
// in-memory Redis and an in-process worker, nothing durable. SIGTERM or
// SIGINT stops it gracefully.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/api/internal/httpapi"
	"github.com/dfsopt/dfsopt/api/internal/jobs"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/ratelimit"
	"github.com/dfsopt/dfsopt/pkg/redisconn"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/backend"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/tracing"
	"github.com/dfsopt/dfsopt/pkg/webhook"
	"github.com/dfsopt/dfsopt/worker/runner"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// defaultGCPercent is the gateway's GOGC unless the environment sets one.
// Its live heap is a few MB while every submission allocates its decoded
// document (about 125 kB for a 209-player request): at Go's default of
// 100 it collected every few MB, a fifth of its CPU under load. Bound the
// heap with GOMEMLIMIT where memory is limited (deployments/k8s sets it
// below the container's limit).
const defaultGCPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	cfg, err := config.LoadGateway(os.LookupEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(2)
	}
	log := logging.New("gateway", cfg.LogLevel)
	defer func() { _ = log.Sync() }()
	redisconn.RouteLogs(log)
	if err := run(cfg, log); err != nil {
		log.Error("gateway stopped", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
}

func run(cfg *config.Gateway, log *zap.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	gin.SetMode(gin.ReleaseMode)

	redisURL := cfg.RedisURL.Reveal()
	adminKey := cfg.AdminAPIKey.Reveal()
	cfg.AdminAPIKey = "" // from here on only the authenticator's hash is kept
	generatedKey := false
	if cfg.Embedded() {
		emb, err := redisconn.StartEmbedded()
		if err != nil {
			return err
		}
		defer emb.Close()
		redisURL = emb.URL()
		log.Warn("DFSOPT_REDIS_URL is unset: running with an embedded in-memory Redis and an in-process worker; " +
			"jobs and results are NOT durable and vanish when the gateway stops (development only)")
		if adminKey == "" {
			adminKey, generatedKey = auth.NewKey(), true
		}
	}
	rdb, err := redisconn.Open(ctx, redisURL)
	if err != nil {
		return err
	}
	defer func() { _ = rdb.Close() }()

	// The registry's compute functions (run by the embedded worker) use the
	// calibration cache; the gateway itself only checks it for /ready.
	calibrations := calibcache.New(rdb, cfg.CalibrationTTL, cfg.CalibrationMaxPerSport)
	slates, err := backend.Open(ctx, cfg.Neo4j, rdb, log)
	if err != nil {
		return err
	}
	defer func() { _ = slates.Close(context.WithoutCancel(ctx)) }()
	services := runner.ComputeServices(calibrations)
	services.Slates = slatestore.ForJobs(slates)
	reg := task.Standard(services)
	reg.SetLockWindow(cfg.LockWindow)
	store := jobstore.New(rdb, cfg.ResultTTL).LimitCache(cfg.ResultCacheMaxBytes)
	client := asynq.NewClientFromRedisClient(rdb)
	defer func() { _ = client.Close() }()
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	keys := auth.NewKeyStore(rdb)
	webhookSecrets := webhook.NewSecretStore(rdb)

	tp, stopTracing, err := tracing.Setup(ctx, cfg.OTLPEndpoint, "dfsopt-gateway", version)
	if err != nil {
		return err
	}
	defer func() { _ = stopTracing(context.WithoutCancel(ctx)) }()
	if cfg.OTLPEndpoint != "" {
		log.Info("tracing: OTLP/HTTP", zap.String("endpoint", cfg.OTLPEndpoint))
	}

	registry := metrics.NewRegistry()
	jobMetrics := metrics.NewJobs(registry)
	registry.MustRegister(metrics.NewQueueCollector(inspector))

	var worker *runner.Server
	if cfg.Embedded() {
		wlog := log.With(zap.String("component", "worker"))
		worker = runner.NewServer(rdb, cfg.Worker, cfg.ShutdownTimeout, runner.NewHandler(reg, store, wlog).WithMetrics(jobMetrics).WithTracer(tp.Tracer("dfsopt/worker")), wlog)
		worker.EnableFanOut(runner.NewFanOut(runner.FanOutConfigOf(cfg.Worker), client, store, reg, calibrations, wlog))
		worker.EnableWebhooks(runner.NewWebhooks(cfg.Webhook, store, webhookSecrets, client, webhook.NewJitter(webhook.RandomSeed()), wlog))
		if err := worker.Start(); err != nil {
			return err
		}
	}
	if adminKey == "" {
		log.Warn("DFSOPT_ADMIN_API_KEY is unset: no admin key; only keys stored in Redis are accepted")
	}
	tokens, err := newTokens(ctx, cfg, log)
	if err != nil {
		return err
	}
	users, err := auth.NewUserStore(rdb, 0)
	if err != nil {
		return err
	}
	if slices.Contains(cfg.CORSOrigins, "*") {
		log.Warn("DFSOPT_CORS_ORIGINS is \"*\": any web page may call this gateway (development only)")
	}
	jobService := jobs.New(reg, store, client, inspector).WithSlates(services.Slates).WithFlags(cfg.FeatureFlags).
		WithWebhooks(cfg.Webhook.Policy())
	if names := cfg.FeatureFlags.Names(); len(names) > 0 {
		log.Info("feature flags", zap.Strings("flags", names))
	}
	jobService.LimitActive(cfg.MaxActiveJobs)
	confirmCtx, stopConfirming := context.WithCancel(context.WithoutCancel(ctx))
	confirmed := make(chan struct{})
	go func() { defer close(confirmed); jobService.RunConfirmations(confirmCtx, log) }()
	defer func() { stopConfirming(); <-confirmed }() // after the HTTP server has stopped

	ready := readyChecks(cfg.Neo4j, calibrations.Ping, slates.Ping)
	if cfg.ReadyRequiresWorkers {
		ready["workers"] = workersSeen(inspector)
	}
	var draining atomic.Bool
	handler := httpapi.New(httpapi.Deps{
		Log: log, Registry: reg, Jobs: jobService, Slates: slates,
		Auth: auth.NewAuthenticator(adminKey, keys), Keys: keys, Users: users, Tokens: tokens,
		WebhookSecrets: webhookSecrets,
		Limiter:        ratelimit.New(rdb),
		Limits: httpapi.Limits{
			Submit: ratelimit.Limit{Rate: cfg.RateLimitSubmit.N, Period: cfg.RateLimitSubmit.Period},
			Read:   ratelimit.Limit{Rate: cfg.RateLimitRead.N, Period: cfg.RateLimitRead.Period},
			Exempt: cfg.RateLimitExempt,
		},
		CORSOrigins:  cfg.CORSOrigins,
		Audit:        log.Named("audit"),
		Ready:        func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		ReadyChecks:  ready,
		MaxBodyBytes: cfg.MaxBodyBytes, Version: version,
		Draining:    draining.Load,
		HTTPMetrics: metrics.NewHTTP(registry), JobMetrics: jobMetrics,
		MetricsHandler: metrics.Handler(registry), Tracer: tp.Tracer("dfsopt/gateway"),
		Monitoring: asynqmon.New(asynqmon.Options{
			RootPath: httpapi.MonitoringRoot, RedisConnOpt: sharedRedis{rdb},
			ReadOnly: !cfg.MonitoringWrite, PrometheusAddress: cfg.MonitoringPrometheusURL,
		}),
	})
	if cfg.MonitoringWrite {
		log.Warn("DFSOPT_MONITORING_WRITE is true: admins may delete, run and archive tasks from /monitoring/")
	}
	bannerKey := ""
	if generatedKey {
		bannerKey = adminKey // a dev-only key made here: printed once, below
	}
	adminKey = "" // only the authenticator's hash remains in use

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{
		// Draining: keep-alive connections are closed after each answer.
		Handler:           httpapi.CloseWhileDraining(handler, draining.Load),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	url := "http://" + displayAddr(ln.Addr())
	log.Info("gateway listening", zap.String("url", url), zap.Bool("embedded", cfg.Embedded()),
		zap.Duration("result_ttl", cfg.ResultTTL), zap.String("version", version))
	if cfg.Embedded() {
		printBanner(url, bannerKey)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// /ready fails from now on; the listener stays open for the drain
	// delay so that load balancers notice before connections are refused.
	draining.Store(true)
	log.Info("shutting down", zap.Duration("drain_delay", cfg.DrainDelay), zap.Duration("timeout", cfg.ShutdownTimeout))
	time.Sleep(cfg.DrainDelay)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", zap.Error(err))
	}
	if worker != nil {
		worker.Shutdown()
	}
	log.Info("gateway stopped")
	return nil
}

// newTokens sets up bearer tokens from DFSOPT_JWT_*: the HS256 secret
// (random per run in embedded mode when unset), the public keys of
// DFSOPT_JWT_PUBLIC_KEY_FILE, the JWKS of DFSOPT_JWT_JWKS_URL. With none of
// them bearer tokens are refused (nil).
func newTokens(ctx context.Context, cfg *config.Gateway, log *zap.Logger) (*auth.Tokens, error) {
	tc := auth.TokenConfig{Issuer: cfg.JWT.Issuer, Audience: cfg.JWT.Audience, Leeway: cfg.JWT.Leeway, TTL: cfg.JWT.TTL}
	if s := cfg.JWT.Secret.Reveal(); s != "" {
		tc.Secret = []byte(s)
	} else if cfg.Embedded() {
		tc.Secret = make([]byte, 32)
		_, _ = rand.Read(tc.Secret)
		log.Info("DFSOPT_JWT_SECRET is unset: tokens are signed with a random secret for this run (development only)")
	}
	cfg.JWT.Secret = "" // only the verifier holds it from here on
	if f := cfg.JWT.PublicKeyFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("DFSOPT_JWT_PUBLIC_KEY_FILE: %w", err)
		}
		if tc.PublicKeys, err = auth.ParsePublicKeys(b); err != nil {
			return nil, fmt.Errorf("DFSOPT_JWT_PUBLIC_KEY_FILE %s: %w", f, err)
		}
	}
	if u := cfg.JWT.JWKSURL; u != "" {
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{u}, keyfunc.Override{
			HTTPTimeout: 5 * time.Second,
			RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
				return func(_ context.Context, err error) {
					log.Warn("cannot refresh the JWKS", zap.String("url", u), zap.Error(err))
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("DFSOPT_JWT_JWKS_URL: %w", err)
		}
		tc.JWKS = kf.Keyfunc
	}
	if tc.Secret == nil && tc.PublicKeys == nil && tc.JWKS == nil {
		log.Info("no DFSOPT_JWT_SECRET, DFSOPT_JWT_PUBLIC_KEY_FILE or DFSOPT_JWT_JWKS_URL: bearer tokens are refused, POST /v1/auth/token answers 404")
		return nil, nil
	}
	t, err := auth.NewTokens(tc)
	if err != nil {
		return nil, err
	}
	log.Info("bearer tokens accepted", zap.Strings("algorithms", t.Methods()), zap.String("issuer", cfg.JWT.Issuer),
		zap.String("audience", cfg.JWT.Audience), zap.Bool("issues_tokens", t.CanIssue()))
	return t, nil
}

// readyChecks are the dependencies /ready requires besides Redis: the
// calibration cache, and Neo4j when it holds the slates.
func readyChecks(neo config.Neo4j, calibrations, slates httpapi.Checker) map[string]httpapi.Checker {
	checks := map[string]httpapi.Checker{"calibration_cache": calibrations}
	if neo.Enabled() {
		checks["neo4j"] = slates
	}
	return checks
}

// workersSeen checks that at least one Asynq server (a worker) is active:
// servers write a heartbeat every 5 s and Asynq lists only those whose
// record has not expired (its TTL is a few heartbeats).
func workersSeen(insp *asynq.Inspector) httpapi.Checker {
	return func(ctx context.Context) error {
		servers, err := insp.Servers()
		if err != nil {
			return fmt.Errorf("list workers: %w", err)
		}
		for _, s := range servers {
			if s.Status == "active" {
				return nil
			}
		}
		return errors.New("no worker heartbeat")
	}
}

// sharedRedis hands the gateway's Redis client to asynqmon (which would
// otherwise open its own connections).
type sharedRedis struct{ redis.UniversalClient }

// MakeRedisClient returns the shared client.
func (s sharedRedis) MakeRedisClient() any { return s.UniversalClient }

// displayAddr turns a listen address into one a browser can use.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// printBanner tells a developer on stdout where the gateway is and which
// key to use. A generated dev key is printed here once; a configured key
// never is.
func printBanner(url, generatedKey string) {
	key := "the key in DFSOPT_ADMIN_API_KEY"
	if generatedKey != "" {
		key = generatedKey + "  (generated for this run; set DFSOPT_ADMIN_API_KEY to choose one)"
	}
	fmt.Printf("\ndfsopt gateway (embedded mode, not durable)\n  URL:           %s\n  admin API key: %s\n  try:           curl -s %s/health\n\n", url, key, url)
}
