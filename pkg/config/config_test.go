package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

func env(kv ...string) Lookup {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadGatewayDefaults(t *testing.T) {
	g, err := LoadGateway(env())
	if err != nil {
		t.Fatal(err)
	}
	if g.HTTPAddr != ":8080" || g.ResultTTL != 24*time.Hour || g.LogLevel != zapcore.InfoLevel ||
		!g.Embedded() || g.MaxBodyBytes != DefaultMaxBodyBytes || g.Worker.QueueWeights["critical"] != 6 ||
		g.Worker.QueueWeights["default"] != 3 || g.Worker.QueueWeights["low"] != 1 || g.Worker.Concurrency < 1 ||
		g.Worker.StrictPriority || g.LockWindow != 2*time.Hour || g.RateLimitExempt != nil {
		t.Fatalf("defaults: %+v", g)
	}
}

func TestLoadGatewayValues(t *testing.T) {
	g, err := LoadGateway(env(
		"DFSOPT_HTTP_ADDR", "127.0.0.1:9000", "DFSOPT_REDIS_URL", "redis://:pw@redis:6379/1",
		"DFSOPT_ADMIN_API_KEY", "0123456789abcdef", "DFSOPT_RESULT_TTL", "2h", "DFSOPT_LOG_LEVEL", "debug",
		"DFSOPT_WORKER_CONCURRENCY", "3", "DFSOPT_QUEUE_WEIGHTS", "low=1, default=2, critical=9",
		"DFSOPT_QUEUE_STRICT", "true", "DFSOPT_CRITICAL_LOCK_WINDOW", "45m",
	))
	if err != nil {
		t.Fatal(err)
	}
	if g.HTTPAddr != "127.0.0.1:9000" || g.Embedded() || g.ResultTTL != 2*time.Hour || g.LogLevel != zapcore.DebugLevel ||
		g.Worker.Concurrency != 3 || g.Worker.QueueWeights["critical"] != 9 || g.AdminAPIKey.Reveal() != "0123456789abcdef" ||
		!g.Worker.StrictPriority || g.LockWindow != 45*time.Minute {
		t.Fatalf("values: %+v", g)
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		name   string
		lookup Lookup
		worker bool
		want   string
	}{
		{"bad ttl", env("DFSOPT_RESULT_TTL", "soon"), false, "DFSOPT_RESULT_TTL"},
		{"ttl too short", env("DFSOPT_RESULT_TTL", "1s"), false, "DFSOPT_RESULT_TTL"},
		{"bad addr", env("DFSOPT_HTTP_ADDR", "8080"), false, "DFSOPT_HTTP_ADDR"},
		{"bad level", env("DFSOPT_LOG_LEVEL", "loud"), false, "DFSOPT_LOG_LEVEL"},
		{"bad redis url", env("DFSOPT_REDIS_URL", "http://x:secretpw@host"), false, "DFSOPT_REDIS_URL"},
		{"short admin key", env("DFSOPT_ADMIN_API_KEY", "short"), false, "DFSOPT_ADMIN_API_KEY"},
		{"bad concurrency", env("DFSOPT_WORKER_CONCURRENCY", "0"), false, "DFSOPT_WORKER_CONCURRENCY"},
		{"bad weights", env("DFSOPT_QUEUE_WEIGHTS", "critical=6"), false, "DFSOPT_QUEUE_WEIGHTS"},
		{"unknown queue", env("DFSOPT_QUEUE_WEIGHTS", "critical=6,default=3,low=1,bulk=1"), false, "DFSOPT_QUEUE_WEIGHTS"},
		{"bad body limit", env("DFSOPT_MAX_BODY_BYTES", "lots"), false, "DFSOPT_MAX_BODY_BYTES"},
		{"worker needs redis", env(), true, "DFSOPT_REDIS_URL"},
		{"worker bad shutdown", env("DFSOPT_REDIS_URL", "redis://r:6379", "DFSOPT_SHUTDOWN_TIMEOUT", "-1s"), true, "DFSOPT_SHUTDOWN_TIMEOUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.worker {
				_, err = LoadWorker(c.lookup)
			} else {
				_, err = LoadGateway(c.lookup)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Var != c.want {
				t.Fatalf("got %v, want an error naming %s", err, c.want)
			}
			if strings.Contains(err.Error(), "secretpw") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error leaks a secret or spans lines: %q", err)
			}
		})
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-hunter2")
	b, _ := s.MarshalJSON()
	if s.String() == "hunter2-hunter2" || strings.Contains(string(b), "hunter2") {
		t.Fatal("secret leaked")
	}
	if Secret("").String() != "" {
		t.Fatal("empty secret should print empty")
	}
}

func FuzzParseQueueWeights(f *testing.F) {
	f.Add(DefaultQueueWeights)
	f.Add("critical=1,default=1,low=100")
	f.Add("=,,=")
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseQueueWeights(s)
		if err != nil {
			return
		}
		if len(w) != 3 {
			t.Fatalf("%q: %v", s, w)
		}
		for q, n := range w {
			if n < 1 || n > 100 || (q != "critical" && q != "default" && q != "low") {
				t.Fatalf("%q: %v", s, w)
			}
		}
	})
}

func TestLoadGatewaySecurity(t *testing.T) {
	g, err := LoadGateway(env())
	if err != nil {
		t.Fatal(err)
	}
	if g.JWT.Issuer != DefaultJWTIssuer || g.JWT.Audience != DefaultJWTAudience || g.JWT.TTL != 15*time.Minute ||
		g.RateLimitSubmit != (Rate{60, time.Minute}) || g.RateLimitRead != (Rate{600, time.Minute}) ||
		g.MaxActiveJobs != DefaultMaxActiveJobs || g.CORSOrigins != nil || g.JWT.Secret != "" {
		t.Fatalf("security defaults: %+v", g)
	}
	secret := strings.Repeat("s", 32)
	g, err = LoadGateway(env("DFSOPT_JWT_SECRET", secret, "DFSOPT_JWT_ISSUER", "https://idp", "DFSOPT_JWT_AUDIENCE", "api",
		"DFSOPT_JWT_JWKS_URL", "http://127.0.0.1:9/jwks.json", "DFSOPT_JWT_TTL", "5m", "DFSOPT_JWT_LEEWAY", "0s",
		"DFSOPT_RATELIMIT_SUBMIT", "10/s", "DFSOPT_RATELIMIT_READ", "100/h", "DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL", "3",
		"DFSOPT_CORS_ORIGINS", "https://app.example.com, http://localhost:3000", "DFSOPT_RATELIMIT_EXEMPT", "admin, user:loadtest"))
	if err != nil {
		t.Fatal(err)
	}
	if g.JWT.Secret.Reveal() != secret || g.JWT.Issuer != "https://idp" || g.JWT.TTL != 5*time.Minute || g.JWT.Leeway != 0 ||
		g.RateLimitSubmit != (Rate{10, time.Second}) || g.RateLimitRead != (Rate{100, time.Hour}) || g.MaxActiveJobs != 3 ||
		strings.Join(g.CORSOrigins, " ") != "https://app.example.com http://localhost:3000" ||
		strings.Join(g.RateLimitExempt, " ") != "admin user:loadtest" {
		t.Fatalf("security values: %+v", g)
	}
	if g, err := LoadGateway(env("DFSOPT_CORS_ORIGINS", "*")); err != nil || g.CORSOrigins[0] != "*" {
		t.Fatalf("explicit *: %v %v", g, err)
	}
	for name, lookup := range map[string]Lookup{
		"DFSOPT_JWT_SECRET":       env("DFSOPT_JWT_SECRET", "too-short-secret"),
		"DFSOPT_JWT_JWKS_URL":     env("DFSOPT_JWT_JWKS_URL", "http://idp.example.com/jwks"),
		"DFSOPT_JWT_TTL":          env("DFSOPT_JWT_TTL", "48h"),
		"DFSOPT_RATELIMIT_SUBMIT": env("DFSOPT_RATELIMIT_SUBMIT", "10/d"),
		"DFSOPT_RATELIMIT_READ":   env("DFSOPT_RATELIMIT_READ", "0/s"),
		"DFSOPT_CORS_ORIGINS":     env("DFSOPT_CORS_ORIGINS", "https://a.com,*"),
		"DFSOPT_RATELIMIT_EXEMPT": env("DFSOPT_RATELIMIT_EXEMPT", "admin,,user:x"),
	} {
		_, err := LoadGateway(lookup)
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != name {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "too-short-secret") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
	if _, err := LoadGateway(env("DFSOPT_CORS_ORIGINS", "https://a.com/path")); err == nil {
		t.Error("origin with a path accepted")
	}
}
