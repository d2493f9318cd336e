// Package config provides the typed configuration of the dfsopt binaries,
// parsed from DFSOPT_* environment variables and validated at start-up.
//
// Each binary has one struct (Gateway, Worker). Load functions take a lookup
// function (os.LookupEnv in main) so tests need no process environment. A
// wrong value yields an *Error naming the variable; main prints it as one line
// and exits.
package config

import (
	"fmt"
	"net"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/dfsopt/dfsopt/pkg/featureflag"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// Lookup reads one environment variable; os.LookupEnv satisfies it.
type Lookup func(name string) (string, bool)

// Error is a configuration problem with one variable.
type Error struct {
	// Var is the environment variable's name.
	Var string
	// Reason says what is wrong and what is expected. It never contains the
	// value of a secret.
	Reason string
}

// Error returns "config: NAME: reason".
func (e *Error) Error() string { return "config: " + e.Var + ": " + e.Reason }

// Secret is a string that never prints or marshals its value.
type Secret string

// String returns a redaction marker, or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// MarshalJSON encodes the redaction marker, never the value.
func (s Secret) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, s.String()), nil }

// Reveal returns the secret's value, for the one place that must use it.
func (s Secret) Reveal() string { return string(s) }

// Common holds the settings both binaries share.
type Common struct {
	// RedisURL is DFSOPT_REDIS_URL (redis:// or rediss://). Empty means the
	// gateway runs an embedded, non-durable Redis (development only).
	RedisURL Secret
	// ResultTTL is DFSOPT_RESULT_TTL: how long job records and results live.
	ResultTTL time.Duration
	// ResultCacheMaxBytes is DFSOPT_RESULT_CACHE_MAX_BYTES: the largest
	// result document the result cache serves again (0: no caching).
	ResultCacheMaxBytes int
	// LogLevel is DFSOPT_LOG_LEVEL (debug, info, warn, error).
	LogLevel zapcore.Level
	// ShutdownTimeout is DFSOPT_SHUTDOWN_TIMEOUT: how long a SIGTERM waits
	// for in-flight requests and tasks.
	ShutdownTimeout time.Duration
	// CalibrationTTL is DFSOPT_CALIBRATION_TTL: how long a cached
	// calibration lives (refreshed when it is stored or requested again).
	CalibrationTTL time.Duration
	// CalibrationMaxPerSport is DFSOPT_CALIBRATION_MAX_PER_SPORT: the
	// calibration cache keeps at most this many per sport, evicting the
	// oldest.
	CalibrationMaxPerSport int
	// Neo4j configures the slate store's Neo4j (see neo4j.go).
	Neo4j Neo4j
	// OTLPEndpoint is DFSOPT_OTLP_ENDPOINT: the OpenTelemetry collector's
	// OTLP/HTTP base URL (e.g. http://otel-collector:4318) traces are sent
	// to; empty: tracing off.
	OTLPEndpoint string
	// Webhook configures completion webhooks (see webhook.go).
	Webhook Webhook
}

// WorkerPool holds the Asynq server settings, used by the worker binary and
// by the gateway's in-process worker in embedded mode.
type WorkerPool struct {
	// Concurrency is DFSOPT_WORKER_CONCURRENCY: tasks run at once.
	Concurrency int
	// QueueWeights is DFSOPT_QUEUE_WEIGHTS, "critical=6,default=3,low=1".
	QueueWeights map[string]int
	// StrictPriority is DFSOPT_QUEUE_STRICT: take tasks from a lower queue
	// only while the higher ones are empty (the weights then only rank).
	StrictPriority bool
	// PollInterval is DFSOPT_WORKER_POLL_INTERVAL: how often an idle worker
	// looks for new tasks.
	PollInterval time.Duration
	// ContestChunkSims is DFSOPT_CONTEST_CHUNK_SIMS: the sims per chunk task
	// of a fanned-out contest_sim job (0 disables fan-out).
	ContestChunkSims int
	// ContestFanOutThreshold is DFSOPT_CONTEST_FANOUT_THRESHOLD: the work,
	// in lineup-sims (sims x (entries + field lineups)), above which a
	// contest_sim job is fanned out.
	ContestFanOutThreshold int64
}

// Gateway is the configuration of the HTTP gateway.
type Gateway struct {
	Common
	// HTTPAddr is DFSOPT_HTTP_ADDR, the listen address.
	HTTPAddr string
	// AdminAPIKey is DFSOPT_ADMIN_API_KEY, accepted as an admin API key. In
	// embedded mode a random one is generated when unset.
	AdminAPIKey Secret
	// MaxBodyBytes is DFSOPT_MAX_BODY_BYTES: larger request bodies get 413.
	MaxBodyBytes int64
	// Worker configures the in-process worker of embedded mode.
	Worker WorkerPool
	// JWT configures bearer tokens.
	JWT JWT
	// RateLimitSubmit is DFSOPT_RATELIMIT_SUBMIT: state-changing requests
	// (submit, cancel, admin, token exchange) per principal.
	RateLimitSubmit Rate
	// RateLimitRead is DFSOPT_RATELIMIT_READ: reads per principal.
	RateLimitRead Rate
	// RateLimitExempt is DFSOPT_RATELIMIT_EXEMPT: principals (comma-
	// separated ids: "admin", an API key's id, "user:<name>", "ext:<sub>")
	// whose requests pass the rate limits unmetered (trusted back ends,
	// load tests). The active-job cap still applies.
	RateLimitExempt []string
	// LockWindow is DFSOPT_CRITICAL_LOCK_WINDOW: contest runs and
	// portfolio selections naming a contest.lock_time within this long go
	// to the critical queue (0: lock times do not matter).
	LockWindow time.Duration
	// MaxActiveJobs is DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL: queued plus
	// running jobs a principal may have at once (0: no limit).
	MaxActiveJobs int
	// CORSOrigins is DFSOPT_CORS_ORIGINS: the origins browsers may call
	// from; "*" only when set explicitly (development).
	CORSOrigins []string
	// ReadyRequiresWorkers is DFSOPT_READY_REQUIRE_WORKERS: /ready fails
	// while no worker has sent an Asynq heartbeat recently (default true).
	ReadyRequiresWorkers bool
	// DrainDelay is DFSOPT_DRAIN_DELAY: after SIGTERM, /ready answers 503
	// for this long before the listener closes, so that load balancers
	// stop sending traffic first.
	DrainDelay time.Duration
	// MonitoringWrite is DFSOPT_MONITORING_WRITE: the Asynq dashboard at
	// /monitoring/ may change tasks and queues (default read-only).
	MonitoringWrite bool
	// MonitoringPrometheusURL is DFSOPT_MONITORING_PROMETHEUS_URL: the
	// Prometheus server the dashboard charts queue metrics from (optional).
	MonitoringPrometheusURL string
	// FeatureFlags is DFSOPT_FEATURE_FLAGS, "name=share,...": each flag is
	// on for that share of jobs, recorded on the job.
	FeatureFlags featureflag.Set
}

// JWT holds the DFSOPT_JWT_* settings.
type JWT struct {
	// Secret is DFSOPT_JWT_SECRET, the HS256 key (at least 32 bytes); it
	// signs the tokens of POST /v1/auth/token. Unset: no HS256 (and in
	// embedded mode a random one per run).
	Secret Secret
	// Issuer is DFSOPT_JWT_ISSUER, required in every token (iss).
	Issuer string
	// Audience is DFSOPT_JWT_AUDIENCE, required in every token (aud).
	Audience string
	// PublicKeyFile is DFSOPT_JWT_PUBLIC_KEY_FILE: PEM RSA (RS256) or P-256
	// (ES256) public keys of an external identity provider.
	PublicKeyFile string
	// JWKSURL is DFSOPT_JWT_JWKS_URL: the identity provider's JWK Set
	// (https, or http on a loopback host).
	JWKSURL string
	// TTL is DFSOPT_JWT_TTL, the lifetime of issued tokens.
	TTL time.Duration
	// Leeway is DFSOPT_JWT_LEEWAY, the clock skew tolerated on exp/nbf/iat.
	Leeway time.Duration
}

// Rate is N requests per Period with a burst of N ("N/s", "N/m", "N/h").
type Rate struct {
	// N is the number of requests per period (and the burst).
	N int
	// Period is a second, a minute or an hour.
	Period time.Duration
}

// Embedded reports whether the gateway runs its own in-memory Redis and
// worker (DFSOPT_REDIS_URL unset).
func (g *Gateway) Embedded() bool { return g.RedisURL == "" }

// Worker is the configuration of the worker binary.
type Worker struct {
	Common
	WorkerPool
	// MetricsAddr is DFSOPT_METRICS_ADDR: where the worker serves /metrics,
	// /live and /ready ("off": nowhere).
	MetricsAddr string
}

// Defaults of the variables that have one.
const (
	DefaultHTTPAddr        = ":8080"
	DefaultMetricsAddr     = ":9090"
	DefaultResultTTL       = 24 * time.Hour
	DefaultShutdownTimeout = 8 * time.Second
	DefaultMaxBodyBytes    = 16 << 20
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultQueueWeights    = "critical=6,default=3,low=1"
	// DefaultCalibrationTTL and DefaultCalibrationMaxPerSport bound the
	// calibration cache.
	DefaultCalibrationTTL         = 7 * 24 * time.Hour
	DefaultCalibrationMaxPerSport = 50
	// Fan-out defaults: chunks of 10,000 sims for jobs above 2e9
	// lineup-sims (a 200,000-lineup contest x 10,000 sims). Measured on the
	// 2 shared cores here: a 200,150-lineup contest prepares in 0.8 s (every
	// chunk pays it) and runs at 1.6e8 lineup-sims/s, so 2e9 is about 13 s on
	// one worker and a 100,000-sim run about 2 minutes, or ten 14 s chunks.
	DefaultContestChunkSims       = 10_000
	DefaultContestFanOutThreshold = 2_000_000_000
	// Security defaults.
	DefaultJWTIssuer       = "dfsopt"
	DefaultJWTAudience     = "dfsopt-api"
	DefaultJWTTTL          = 15 * time.Minute
	DefaultJWTLeeway       = 30 * time.Second
	DefaultRateLimitSubmit = "60/m"
	DefaultRateLimitRead   = "600/m"
	DefaultMaxActiveJobs   = 20
	// MinJWTSecretLen is the shortest DFSOPT_JWT_SECRET (256 bits).
	MinJWTSecretLen = 32
)

// Queue names, in priority order.
var queueNames = []string{"critical", "default", "low"}

// LoadGateway parses and validates the gateway configuration.
func LoadGateway(lookup Lookup) (*Gateway, error) {
	p := parser{lookup: lookup}
	g := &Gateway{
		Common:       p.common(),
		HTTPAddr:     p.addr("DFSOPT_HTTP_ADDR", DefaultHTTPAddr),
		AdminAPIKey:  Secret(p.str("DFSOPT_ADMIN_API_KEY", "")),
		MaxBodyBytes: int64(p.intRange("DFSOPT_MAX_BODY_BYTES", DefaultMaxBodyBytes, 1024, 1<<30)),
		Worker:       p.pool(),
		JWT: JWT{
			Secret:        Secret(p.str("DFSOPT_JWT_SECRET", "")),
			Issuer:        p.str("DFSOPT_JWT_ISSUER", DefaultJWTIssuer),
			Audience:      p.str("DFSOPT_JWT_AUDIENCE", DefaultJWTAudience),
			PublicKeyFile: p.str("DFSOPT_JWT_PUBLIC_KEY_FILE", ""),
			JWKSURL:       p.jwksURL("DFSOPT_JWT_JWKS_URL"),
			TTL:           p.duration("DFSOPT_JWT_TTL", DefaultJWTTTL, time.Minute, 24*time.Hour),
			Leeway:        p.duration("DFSOPT_JWT_LEEWAY", DefaultJWTLeeway, 0, 5*time.Minute),
		},
		RateLimitSubmit: p.rate("DFSOPT_RATELIMIT_SUBMIT", DefaultRateLimitSubmit),
		RateLimitRead:   p.rate("DFSOPT_RATELIMIT_READ", DefaultRateLimitRead),
		RateLimitExempt: p.principals("DFSOPT_RATELIMIT_EXEMPT"),
		LockWindow:      p.duration("DFSOPT_CRITICAL_LOCK_WINDOW", task.DefaultLockWindow, 0, 7*24*time.Hour),
		MaxActiveJobs:   p.intRange("DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL", DefaultMaxActiveJobs, 0, 100_000),
		CORSOrigins:     p.origins("DFSOPT_CORS_ORIGINS"),

		ReadyRequiresWorkers:    p.boolean("DFSOPT_READY_REQUIRE_WORKERS", true),
		DrainDelay:              p.duration("DFSOPT_DRAIN_DELAY", 0, 0, 5*time.Minute),
		MonitoringWrite:         p.boolean("DFSOPT_MONITORING_WRITE", false),
		MonitoringPrometheusURL: p.httpURL("DFSOPT_MONITORING_PROMETHEUS_URL"),
		FeatureFlags:            p.flags("DFSOPT_FEATURE_FLAGS"),
	}
	if k := g.AdminAPIKey; k != "" && len(k) < 16 {
		p.fail("DFSOPT_ADMIN_API_KEY", "must be at least 16 characters")
	}
	if s := g.JWT.Secret; s != "" && len(s) < MinJWTSecretLen {
		p.fail("DFSOPT_JWT_SECRET", "must be at least %d bytes (e.g. openssl rand -base64 48)", MinJWTSecretLen)
	}
	return g, p.err
}

// rate parses "N/s", "N/m" or "N/h" (N from 1 to 1,000,000).
func (p *parser) rate(name, def string) Rate {
	v := p.str(name, def)
	r, err := ParseRate(v)
	if err != nil {
		p.fail(name, "%v", err)
		r, _ = ParseRate(def)
	}
	return r
}

// ParseRate parses "N/s", "N/m" or "N/h" (N from 1 to 1,000,000).
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil || n < 1 || n > 1_000_000 {
		return Rate{}, fmt.Errorf("invalid rate %q (want N/s, N/m or N/h with N from 1 to 1000000)", s)
	}
	per, ok := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[strings.TrimSpace(unit)]
	if !ok {
		return Rate{}, fmt.Errorf("invalid rate %q: the unit must be s, m or h", s)
	}
	return Rate{N: n, Period: per}, nil
}

// origins parses a comma-separated list of origins (scheme://host[:port]),
// or "*" alone.
func (p *parser) origins(name string) []string {
	v := p.str(name, "")
	if v == "" {
		return nil
	}
	if v == "*" {
		return []string{"*"}
	}
	var out []string
	for o := range strings.SplitSeq(v, ",") {
		o = strings.TrimSpace(o)
		u, err := url.Parse(o)
		if o == "*" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			p.fail(name, "invalid origin %q (want scheme://host[:port], comma-separated; \"*\" only alone)", o)
			return nil
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out
}

// principals parses a comma-separated list of principal ids (no spaces or
// control characters inside an id).
func (p *parser) principals(name string) []string {
	v := p.str(name, "")
	if v == "" {
		return nil
	}
	var out []string
	for id := range strings.SplitSeq(v, ",") {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > 256 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			p.fail(name, "invalid principal id %q (want comma-separated ids such as admin, a key id, user:<name>)", id)
			return nil
		}
		out = append(out, id)
	}
	return out
}

// jwksURL accepts an https URL, or http on a loopback host (tests).
func (p *parser) jwksURL(name string) string {
	v := p.httpURL(name)
	if v == "" {
		return ""
	}
	u, _ := url.Parse(v) // httpURL parsed it
	host := u.Hostname()
	loopback := host == "localhost" || (net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback())
	if u.Scheme != "https" && !loopback {
		p.fail(name, "must be an https URL (http only on a loopback host)")
		return ""
	}
	return v
}

// LoadWorker parses and validates the worker configuration. The worker
// needs a real Redis: DFSOPT_REDIS_URL is required.
func LoadWorker(lookup Lookup) (*Worker, error) {
	p := parser{lookup: lookup}
	w := &Worker{Common: p.common(), WorkerPool: p.pool(), MetricsAddr: DefaultMetricsAddr}
	if v := p.str("DFSOPT_METRICS_ADDR", DefaultMetricsAddr); v == "off" {
		w.MetricsAddr = ""
	} else {
		w.MetricsAddr = p.addr("DFSOPT_METRICS_ADDR", DefaultMetricsAddr)
	}
	if w.RedisURL == "" {
		p.fail("DFSOPT_REDIS_URL", "is required by the worker (e.g. redis://localhost:6379/0)")
	}
	return w, p.err
}

// parser reads variables and keeps the first error.
type parser struct {
	lookup Lookup
	err    error
}

func (p *parser) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = &Error{Var: name, Reason: fmt.Sprintf(format, args...)}
	}
}

func (p *parser) str(name, def string) string {
	v, ok := p.lookup(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return def
	}
	return v
}

func (p *parser) common() Common {
	return Common{
		RedisURL:               Secret(p.redisURL("DFSOPT_REDIS_URL")),
		ResultTTL:              p.duration("DFSOPT_RESULT_TTL", DefaultResultTTL, time.Minute, 30*24*time.Hour),
		ResultCacheMaxBytes:    p.intRange("DFSOPT_RESULT_CACHE_MAX_BYTES", jobstore.DefaultCacheMaxBytes, 0, 1<<30),
		LogLevel:               p.level("DFSOPT_LOG_LEVEL"),
		ShutdownTimeout:        p.duration("DFSOPT_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout, 0, 10*time.Minute),
		CalibrationTTL:         p.duration("DFSOPT_CALIBRATION_TTL", DefaultCalibrationTTL, time.Minute, 365*24*time.Hour),
		CalibrationMaxPerSport: p.intRange("DFSOPT_CALIBRATION_MAX_PER_SPORT", DefaultCalibrationMaxPerSport, 1, 10000),
		Neo4j:                  p.neo4j(),
		OTLPEndpoint:           p.httpURL("DFSOPT_OTLP_ENDPOINT"),
		Webhook:                p.webhook(),
	}
}

func (p *parser) pool() WorkerPool {
	return WorkerPool{
		Concurrency:            p.intRange("DFSOPT_WORKER_CONCURRENCY", runtime.NumCPU(), 1, 1024),
		QueueWeights:           p.weights("DFSOPT_QUEUE_WEIGHTS"),
		StrictPriority:         p.boolean("DFSOPT_QUEUE_STRICT", false),
		PollInterval:           p.duration("DFSOPT_WORKER_POLL_INTERVAL", DefaultPollInterval, 10*time.Millisecond, time.Minute),
		ContestChunkSims:       p.intRange("DFSOPT_CONTEST_CHUNK_SIMS", DefaultContestChunkSims, 0, 10_000_000),
		ContestFanOutThreshold: p.int64Range("DFSOPT_CONTEST_FANOUT_THRESHOLD", DefaultContestFanOutThreshold, 0, 1<<62),
	}
}

func (p *parser) redisURL(name string) string {
	v := p.str(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		// The value may hold a password: name the variable, not the value.
		p.fail(name, "must be a redis:// or rediss:// URL with a host (e.g. redis://localhost:6379/0)")
		return ""
	}
	return v
}

func (p *parser) addr(name, def string) string {
	v := p.str(name, def)
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		p.fail(name, "invalid listen address %q (want host:port or :port)", v)
		return def
	}
	return v
}

// flags parses feature flags (featureflag.Parse).
func (p *parser) flags(name string) featureflag.Set {
	s, err := featureflag.Parse(p.str(name, ""))
	if err != nil {
		p.fail(name, "%v", err)
	}
	return s
}

// boolean parses true/false (strconv.ParseBool).
func (p *parser) boolean(name string, def bool) bool {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "invalid boolean %q (want true or false)", v)
		return def
	}
	return b
}

// httpURL parses an optional http(s) URL.
func (p *parser) httpURL(name string) string {
	v := p.str(name, "")
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.fail(name, "invalid URL %q (want http(s)://host[:port])", v)
		return ""
	}
	return v
}

func (p *parser) duration(name string, def, lo, hi time.Duration) time.Duration {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.fail(name, "invalid duration %q (want e.g. 30s, 10m, 24h)", v)
		return def
	}
	if d < lo || d > hi {
		p.fail(name, "%s is out of range [%s, %s]", d, lo, hi)
		return def
	}
	return d
}

func (p *parser) int64Range(name string, def, lo, hi int64) int64 {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.fail(name, "invalid integer %q", v)
		return def
	}
	if n < lo || n > hi {
		p.fail(name, "%d is out of range [%d, %d]", n, lo, hi)
		return def
	}
	return n
}

func (p *parser) intRange(name string, def, lo, hi int) int {
	v := p.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(name, "invalid integer %q", v)
		return def
	}
	if n < lo || n > hi {
		p.fail(name, "%d is out of range [%d, %d]", n, lo, hi)
		return def
	}
	return n
}

func (p *parser) level(name string) zapcore.Level {
	v := p.str(name, "info")
	l, err := zapcore.ParseLevel(v)
	if err != nil || l > zapcore.ErrorLevel {
		p.fail(name, "invalid level %q (want debug, info, warn or error)", v)
		return zapcore.InfoLevel
	}
	return l
}

func (p *parser) weights(name string) map[string]int {
	v := p.str(name, DefaultQueueWeights)
	w, err := ParseQueueWeights(v)
	if err != nil {
		p.fail(name, "%v", err)
		w, _ = ParseQueueWeights(DefaultQueueWeights)
	}
	return w
}

// ParseQueueWeights parses "critical=6,default=3,low=1". Every queue must
// be named once with a weight between 1 and 100.
func ParseQueueWeights(s string) (map[string]int, error) {
	w := make(map[string]int, len(queueNames))
	for part := range strings.SplitSeq(s, ",") {
		name, num, ok := strings.Cut(strings.TrimSpace(part), "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("invalid entry %q (want queue=weight, e.g. %s)", part, DefaultQueueWeights)
		}
		known := false
		for _, q := range queueNames {
			known = known || q == name
		}
		if !known {
			return nil, fmt.Errorf("unknown queue %q (want critical, default, low)", name)
		}
		if _, dup := w[name]; dup {
			return nil, fmt.Errorf("queue %q is listed twice", name)
		}
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if err != nil || n < 1 || n > 100 {
			return nil, fmt.Errorf("weight of %q must be an integer between 1 and 100", name)
		}
		w[name] = n
	}
	for _, q := range queueNames {
		if _, ok := w[q]; !ok {
			return nil, fmt.Errorf("queue %q has no weight (want e.g. %s)", q, DefaultQueueWeights)
		}
	}
	return w, nil
}
