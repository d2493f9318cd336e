package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/dfsopt/dfsopt/optimizer/job"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/ratelimit"
	"github.com/dfsopt/dfsopt/pkg/redistest"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// scrape reads /metrics without credentials and parses it with the
// Prometheus text parser.
func scrape(t *testing.T, f *fixture) map[string]*dto.MetricFamily {
	t.Helper()
	w := f.do("GET", "/metrics", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value finds the sample of a family with the given labels (a counter,
// gauge or histogram count).
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			match = match && got[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsAfterSubmit: after a job is submitted and read, /metrics
// (unauthenticated) parses and has the request series by route template,
// the latency histogram, in-flight, the submitted job, the queue depth of
// its queue, and the Go runtime and process collectors.
func TestMetricsAfterSubmit(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, f *fixture) {
		f.metrics.MustRegister(metrics.NewQueueCollector(f.insp))
	})
	w := f.do("POST", "/v1/optimize", admin, strings.NewReader(validBody))
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	var j jobstore.Job
	if err := json.Unmarshal(w.Body.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	id := j.ID
	if w := f.do("GET", "/v1/jobs/"+id, admin, nil); w.Code != http.StatusOK {
		t.Fatalf("get: %d", w.Code)
	}
	f.do("GET", "/v1/jobs/nope", admin, nil)
	fams := scrape(t, f)
	want := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"dfsopt_http_requests_total", map[string]string{"route": "/v1/optimize", "method": "POST", "status": "202"}, 1},
		{"dfsopt_http_requests_total", map[string]string{"route": "/v1/jobs/:id", "method": "GET", "status": "200"}, 1},
		{"dfsopt_http_requests_total", map[string]string{"route": "/v1/jobs/:id", "method": "GET", "status": "404"}, 1},
		{"dfsopt_http_request_duration_seconds", map[string]string{"route": "/v1/optimize", "method": "POST"}, 1},
		{"dfsopt_http_requests_in_flight", nil, 1}, // the scrape itself
		{"dfsopt_jobs_submitted_total", map[string]string{"type": "optimize", "queue": "default"}, 1},
		{"dfsopt_queue_tasks", map[string]string{"queue": "default", "state": "pending"}, 1},
		{"dfsopt_queue_latency_seconds", map[string]string{"queue": "default"}, 0},
		{"go_goroutines", nil, 1},
		{"process_cpu_seconds_total", nil, 0},
	}
	for _, c := range want {
		if v, ok := value(fams, c.name, c.labels); !ok || v < c.min {
			t.Errorf("%s%v = %v (found %v), want >= %v", c.name, c.labels, v, ok, c.min)
		}
	}
	for _, m := range fams["dfsopt_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && strings.Contains(l.GetValue(), id) {
				t.Errorf("a raw path is a route label: %s", l.GetValue())
			}
		}
	}
}

// TestRateLimitMetric: 429s are counted by class and principal kind.
func TestRateLimitMetric(t *testing.T) {
	f := newFixtureWith(t, func(d *Deps, f *fixture) {
		d.Limiter = ratelimit.New(f.redis.Client)
		d.Limits = Limits{Read: ratelimit.Limit{Rate: 1, Period: time.Minute}}
	})
	for range 3 {
		f.do("GET", "/v1/jobs", admin, nil)
	}
	if v, _ := value(scrape(t, f), "dfsopt_http_rate_limited_total", map[string]string{"class": "read", "principal": "admin"}); v != 2 {
		t.Fatalf("rate limited reads = %v, want 2", v)
	}
}

// TestMonitoringAuth: the dashboard needs an admin credential.
func TestMonitoringAuth(t *testing.T) {
	f := newFixture(t)
	_, reader := f.key(t, auth.ScopeJobsRead, auth.ScopeJobsWrite)
	for _, path := range []string{"/monitoring/", "/monitoring/api/queues"} {
		if w := f.do("GET", path, "", nil); w.Code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d", path, w.Code)
		}
		if w := f.do("GET", path, reader, nil); w.Code != http.StatusForbidden {
			t.Errorf("%s with a non-admin key: %d", path, w.Code)
		}
		if w := f.do("GET", path, admin, nil); w.Code != http.StatusOK {
			t.Errorf("%s with the admin key: %d %.200s", path, w.Code, w.Body)
		}
	}
	w := f.do("GET", "/monitoring/", admin, nil)
	csp := w.Header().Get("Content-Security-Policy")
	if !strings.Contains(w.Body.String(), "Asynq") || !strings.Contains(csp, "font-src 'self'") || strings.Contains(csp, "googleapis") {
		t.Errorf("dashboard page or CSP: %q %.100s", csp, w.Body)
	}
	// read-only: the dashboard refuses changes
	if w := f.do("DELETE", "/monitoring/api/queues/default", admin, nil); w.Code < 400 {
		t.Errorf("read-only dashboard allowed DELETE: %d", w.Code)
	}
}

// TestReadyDrains: /ready is 503 naming "shutdown" once draining, while
// /live stays 200.
func TestReadyDrains(t *testing.T) {
	f := newFixture(t)
	if w := f.do("GET", "/ready", "", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "latency_ms") {
		t.Fatalf("ready: %d %s", w.Code, w.Body)
	}
	f.draining.Store(true)
	w := f.do("GET", "/ready", "", nil)
	if b := decodeError(t, w); w.Code != http.StatusServiceUnavailable || len(b.Error.Details) != 1 || b.Error.Details[0].Field != "shutdown" {
		t.Fatalf("ready while draining: %d %s", w.Code, w.Body)
	}
	if w := f.do("GET", "/live", "", nil); w.Code != http.StatusOK {
		t.Fatalf("live while draining: %d", w.Code)
	}
	if w := f.do("GET", "/health", "", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"go":"go1.`) {
		t.Fatalf("health: %d %s", w.Code, w.Body)
	}
}

// TestReadyFollowsRedis: /ready turns 503 naming redis within 2 s of Redis
// stopping and back to 200 once it is restarted; /live stays 200.
func TestReadyFollowsRedis(t *testing.T) {
	r := redistest.New(t)
	h := New(Deps{
		Log: zap.NewNop(), Registry: task.Standard(job.Services{}), Auth: auth.NewAuthenticator(admin, nil),
		Ready:        func(ctx context.Context) error { return r.Client.Ping(ctx).Err() },
		MaxBodyBytes: 4096,
	})
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	until := func(want int, limit time.Duration) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			w := get("/ready")
			if w.Code == want {
				if want == http.StatusServiceUnavailable && !strings.Contains(w.Body.String(), `"field":"redis"`) {
					t.Fatalf("503 does not name redis: %s", w.Body)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/ready still %d after %s: %s", w.Code, limit, w.Body)
			}
			if live := get("/live"); live.Code != http.StatusOK {
				t.Fatalf("/live %d", live.Code)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	until(http.StatusOK, time.Second)
	r.Stop(t)
	start := time.Now()
	until(http.StatusServiceUnavailable, 2*time.Second)
	t.Logf("503 after %s", time.Since(start))
	r.Restart(t)
	until(http.StatusOK, 5*time.Second)
}

// TestProbesNotLoggedAtInfo: probe and scrape requests stay out of the
// info-level access log; other requests are in it.
func TestProbesNotLoggedAtInfo(t *testing.T) {
	var buf bytes.Buffer
	f := newFixtureWith(t, func(d *Deps, _ *fixture) { d.Log = logging.NewTo(&buf, "gateway", zapcore.InfoLevel) })
	for _, path := range []string{"/live", "/ready", "/health", "/metrics"} {
		f.do("GET", path, "", nil)
	}
	if strings.Contains(buf.String(), `"msg":"request"`) {
		t.Fatalf("a probe was logged at info level:\n%s", buf.String())
	}
	f.do("GET", "/openapi.json", "", nil)
	if !strings.Contains(buf.String(), `"route":"/openapi.json"`) {
		t.Fatalf("a normal request was not logged:\n%s", buf.String())
	}
}

func TestPrincipalKind(t *testing.T) {
	for id, want := range map[string]string{"admin": "admin", "key_3f00": "key", "user:ann": "user", "ext:abc": "external"} {
		if got := principalKind(id); got != want {
			t.Errorf("principalKind(%q) = %s, want %s", id, got, want)
		}
	}
}
