package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/crypto/bcrypt"

	"github.com/dfsopt/dfsopt/api/internal/jobs"
	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/redisstore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/webhook"
)

const admin = "admin-key-for-tests-0123"

const validBody = `{"site":"draftkings","sport":"nba","lineups":1,"players":[{"id":"1","name":"A","positions":["PG"],"team":"X","salary":5000,"projection":30}]}`

type fixture struct {
	h       http.Handler
	store   *jobstore.Store
	insp    *asynq.Inspector
	keys    *auth.KeyStore
	users   *auth.UserStore
	tokens  *auth.Tokens
	redis   *redistest.Server
	audit   *bytes.Buffer
	readyOK bool
	// metrics is the registry served at /metrics.
	metrics *prometheus.Registry
	// draining is what Deps.Draining reports.
	draining atomic.Bool
}

func newFixture(t testing.TB) *fixture { return newFixtureWith(t, nil) }

// testJWTSecret signs the fixture's tokens.
var testJWTSecret = []byte("fixture-secret-fixture-secret-0123456789")

// newFixtureWith builds the handler; edit, when not nil, changes its Deps
// first (limits, CORS); f has its Redis and stores.
func newFixtureWith(t testing.TB, edit func(*Deps, *fixture)) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := redistest.New(t)
	reg := task.Standard(job.Services{})
	store := jobstore.New(r.Client, time.Hour)
	client := asynq.NewClientFromRedisClient(r.Client)
	t.Cleanup(func() { _ = client.Close() })
	insp := asynq.NewInspectorFromRedisClient(r.Client)
	keys := auth.NewKeyStore(r.Client)
	users, err := auth.NewUserStore(r.Client, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: testJWTSecret, Issuer: "dfsopt", Audience: "dfsopt-api", TTL: time.Minute, Leeway: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, insp: insp, keys: keys, users: users, tokens: tokens, redis: r, audit: &bytes.Buffer{}, readyOK: true,
		metrics: metrics.NewRegistry()}
	slates := redisstore.New(r.Client)
	mon := asynqmon.New(asynqmon.Options{RootPath: MonitoringRoot, RedisConnOpt: asynq.RedisClientOpt{Addr: r.Addr}, ReadOnly: true})
	t.Cleanup(func() { _ = mon.Close() })
	d := Deps{
		Log: zap.NewNop(), Registry: reg, Jobs: jobs.New(reg, store, client, insp).WithSlates(slatestore.ForJobs(slates)),
		Slates: slates,
		Auth:   auth.NewAuthenticator(admin, keys), Keys: keys, Users: users, Tokens: tokens,
		Audit: logging.NewTo(f.audit, "gateway", zapcore.InfoLevel).Named("audit"),
		Ready: func(context.Context) error {
			if f.readyOK {
				return nil
			}
			return errors.New("down")
		},
		MaxBodyBytes: 4096, Version: "test",
		Draining:    f.draining.Load,
		HTTPMetrics: metrics.NewHTTP(f.metrics), JobMetrics: metrics.NewJobs(f.metrics),
		MetricsHandler: metrics.Handler(f.metrics),
		Monitoring:     mon,
		WebhookSecrets: webhook.NewSecretStore(r.Client),
	}
	if edit != nil {
		edit(&d, f)
	}
	f.h = New(d)
	return f
}

func (f *fixture) do(method, path, key string, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	return w
}

func decodeError(t testing.TB, w *httptest.ResponseRecorder) ErrorBody {
	t.Helper()
	var b ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error.Code == "" || b.Error.RequestID == "" || b.Error.Message == "" {
		t.Fatalf("not an error body (%v): %s", err, w.Body)
	}
	if b.Error.RequestID != w.Header().Get("X-Request-ID") {
		t.Fatalf("request id %q differs from header %q", b.Error.RequestID, w.Header().Get("X-Request-ID"))
	}
	return b
}

// chunked hides the body length so that the limit trips on read.
type chunked struct{ io.Reader }

func TestErrors(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat(" ", 5000) + validBody
	cases := []struct {
		name, method, path, key string
		body                    io.Reader
		status                  int
		code                    string
	}{
		{"no key", "GET", "/v1/jobs", "", nil, 401, CodeUnauthenticated},
		{"bad key", "GET", "/v1/jobs", "nope", nil, 401, CodeUnauthenticated},
		{"no route", "GET", "/v2/x", admin, nil, 404, CodeNotFound},
		{"no method", "PATCH", "/v1/jobs/x", admin, nil, 405, CodeMethodNotAllow},
		{"unknown job", "GET", "/v1/jobs/job_x", admin, nil, 404, CodeNotFound},
		{"unknown job result", "GET", "/v1/jobs/job_x/result", admin, nil, 404, CodeNotFound},
		{"cancel unknown", "DELETE", "/v1/jobs/job_x", admin, nil, 404, CodeNotFound},
		{"empty body", "POST", "/v1/optimize", admin, strings.NewReader(""), 400, CodeInvalidRequest},
		{"bad json", "POST", "/v1/optimize", admin, strings.NewReader("{"), 400, CodeInvalidRequest},
		{"invalid", "POST", "/v1/optimize", admin, strings.NewReader(`{"site":"draftkings","sport":"nba","lineups":0,"slate_id":"s"}`), 422, CodeInvalidRequest},
		{"too large declared", "POST", "/v1/optimize", admin, strings.NewReader(big), 413, CodeTooLarge},
		{"too large chunked", "POST", "/v1/optimize", admin, chunked{strings.NewReader(big)}, 413, CodeTooLarge},
		{"bad limit", "GET", "/v1/jobs?limit=0", admin, nil, 400, CodeInvalidRequest},
		{"bad format", "GET", "/v1/jobs/x/result?format=xml", admin, nil, 400, CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := f.do(c.method, c.path, c.key, c.body)
			b := decodeError(t, w)
			if w.Code != c.status || b.Error.Code != c.code {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, c.status, c.code)
			}
		})
	}
	f.readyOK = false
	w := f.do("GET", "/ready", "", nil)
	if b := decodeError(t, w); w.Code != 503 || b.Error.Code != CodeUnavailable {
		t.Fatalf("ready when down: %d %s", w.Code, w.Body)
	}
}

func TestPanicGivesErrorBody(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(requestContext(zap.NewNop()), recovery())
	r.GET("/boom", func(*gin.Context) { panic("boom") })
	req := httptest.NewRequest("GET", "/boom", nil)
	req.Header.Set("X-Request-ID", "panic-1")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	b := decodeError(t, w)
	if w.Code != 500 || b.Error.Code != CodeInternal || b.Error.RequestID != "panic-1" || strings.Contains(w.Body.String(), "boom") {
		t.Fatalf("panic: %d %s", w.Code, w.Body)
	}
}

func TestSubmitCancelAndOwnership(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := f.do("POST", "/v1/optimize", admin, strings.NewReader(validBody))
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	var j jobstore.Job
	if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j.Status != jobstore.StatusQueued || j.Queue != "default" || w.Header().Get("Location") != "/v1/jobs/"+j.ID {
		t.Fatalf("job: %s", w.Body)
	}
	info, err := f.insp.GetTaskInfo("default", j.ID)
	if err != nil || info.Type != task.TypeOptimize || info.Timeout <= 0 {
		t.Fatalf("task: %+v %v", info, err)
	}

	// Another principal sees nothing.
	_, other, err := f.keys.Create(ctx, "other", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if w := f.do(m, "/v1/jobs/"+j.ID, other, nil); w.Code != 404 {
			t.Fatalf("%s as other: %d", m, w.Code)
		}
	}
	if w := f.do("GET", "/v1/jobs", other, nil); w.Code != 200 || strings.Contains(w.Body.String(), j.ID) {
		t.Fatalf("other's list: %s", w.Body)
	}
	if w := f.do("GET", "/v1/admin/api-keys", other, nil); w.Code != 403 {
		t.Fatalf("admin route as other: %d", w.Code)
	}

	if w := f.do("GET", "/v1/jobs/"+j.ID+"/result", admin, nil); w.Code != 409 {
		t.Fatalf("result of a queued job: %d %s", w.Code, w.Body)
	}
	w = f.do("DELETE", "/v1/jobs/"+j.ID, admin, nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"canceled"`) {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if _, err := f.insp.GetTaskInfo("default", j.ID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Fatalf("canceled task still queued: %v", err)
	}
	if w := f.do("GET", "/v1/jobs", admin, nil); !strings.Contains(w.Body.String(), j.ID) {
		t.Fatalf("list: %s", w.Body)
	}
}

func TestPriorityQueue(t *testing.T) {
	f := newFixture(t)
	body := strings.Replace(validBody, `"lineups":1`, `"lineups":1,"priority":"critical"`, 1)
	w := f.do("POST", "/v1/optimize", admin, strings.NewReader(body))
	var j jobstore.Job
	_ = json.Unmarshal(w.Body.Bytes(), &j)
	if w.Code != 202 || j.Queue != "critical" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if _, err := f.insp.GetTaskInfo("critical", j.ID); err != nil {
		t.Fatal(err)
	}
}

func TestAdminKeys(t *testing.T) {
	f := newFixture(t)
	w := f.do("POST", "/v1/admin/api-keys", admin, strings.NewReader(`{"name":"ci","scopes":["jobs:read"]}`))
	if w.Code != 201 {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var k struct{ ID, Key string }
	_ = json.Unmarshal(w.Body.Bytes(), &k)
	if w := f.do("POST", "/v1/optimize", k.Key, strings.NewReader(validBody)); w.Code != 403 {
		t.Fatalf("read-only key submitted: %d", w.Code)
	}
	if w := f.do("GET", "/v1/admin/api-keys", admin, nil); w.Code != 200 || strings.Contains(w.Body.String(), k.Key) {
		t.Fatalf("list leaks keys or fails: %s", w.Body)
	}
	for _, body := range []string{`{"name":""}`, `{"name":"x","scopes":["root"]}`, `{"name":"x","extra":1}`} {
		if w := f.do("POST", "/v1/admin/api-keys", admin, strings.NewReader(body)); w.Code/100 != 4 {
			t.Fatalf("%s accepted: %d", body, w.Code)
		}
	}
	if w := f.do("DELETE", "/v1/admin/api-keys/key_nope", admin, nil); w.Code != 404 {
		t.Fatalf("revoke unknown: %d", w.Code)
	}
}

// BenchmarkSubmit measures one POST /v1/optimize (auth, decode, validate,
// record, enqueue) against the test Redis.
func BenchmarkSubmit(b *testing.B) {
	f := newFixture(b)
	for b.Loop() {
		if w := f.do("POST", "/v1/optimize", admin, strings.NewReader(validBody)); w.Code != http.StatusAccepted {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

// FuzzSubmit: no request body makes the gateway answer 5xx or anything
// but a job or an error body.
func FuzzSubmit(f *testing.F) {
	f.Add([]byte(validBody))
	f.Add([]byte(`{"site":"dk","sport":"nfl","lineups":1,"slate_id":"x","priority":"low"}`))
	f.Add([]byte(`{"players":[{"id":"1","positions":[]}],"constraints":{"exposures":{"1":{"min":2}}}}`))
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		w := fx.do("POST", "/v1/optimize", admin, bytes.NewReader(body))
		switch w.Code {
		case http.StatusAccepted:
			var j jobstore.Job
			if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil || j.ID == "" {
				t.Fatalf("202 without a job: %s", w.Body)
			}
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
			decodeError(t, w)
		default:
			t.Fatalf("%d for %q: %s", w.Code, body, w.Body)
		}
	})
}

func TestRedisDownIsUnavailable(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := redistest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	reg := task.Standard(job.Services{})
	store := jobstore.New(rdb, time.Hour)
	client := asynq.NewClientFromRedisClient(rdb)
	defer client.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	keys := auth.NewKeyStore(rdb)
	h := New(Deps{Log: zap.NewNop(), Registry: reg, Jobs: jobs.New(reg, store, client, insp),
		Auth: auth.NewAuthenticator(admin, keys), Keys: keys, Ready: func(ctx context.Context) error { return rdb.Ping(ctx).Err() },
		MaxBodyBytes: 4096})
	r.Stop(t)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/optimize", validBody}, {"GET", "/v1/jobs/job_0123456789abcdef0123456789abcdef", ""}, {"GET", "/ready", ""},
	} {
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		req.Header.Set("X-API-Key", admin)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if b := decodeError(t, w); w.Code != http.StatusServiceUnavailable || b.Error.Code != CodeUnavailable {
			t.Errorf("%s %s with redis down: %d %s", c.method, c.path, w.Code, w.Body)
		}
	}
}
