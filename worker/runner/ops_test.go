package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/health"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/task"
)

// TestHandlerMetrics: runs with each outcome are counted by type, queue
// and status in the worker's /metrics, which the Prometheus text parser
// reads, with run-time and queue-wait histograms, retries and
// cancellations.
func TestHandlerMetrics(t *testing.T) {
	f := newFixture(t, nil)
	reg := metrics.NewRegistry()
	f.h.WithMetrics(metrics.NewJobs(reg))
	ctx := context.Background()
	for id, do := range map[string]string{"a": "ok", "b": "fail", "c": "transient"} {
		_ = f.h.ProcessTask(ctx, f.submit(t, id, do))
	}
	_ = f.h.ProcessTask(ctx, f.submit(t, "d", "ok"))
	ops := &Ops{Metrics: metrics.Handler(reg), Watchdog: f.h.Watchdog(), Log: zap.NewNop()}
	w := httptest.NewRecorder()
	ops.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(w.Body.String()))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	finished := map[string]float64{}
	for _, m := range families["dfsopt_jobs_finished_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		finished[labels["type"]+"/"+labels["status"]] = m.GetCounter().GetValue()
	}
	if finished["fake/succeeded"] != 2 || finished["fake/failed"] != 1 || finished["fake/retry"] != 1 {
		t.Errorf("finished %v", finished)
	}
	for _, name := range []string{"dfsopt_jobs_run_seconds", "dfsopt_jobs_queue_wait_seconds", "go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := families[name]; !ok {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if n := families["dfsopt_jobs_queue_wait_seconds"].GetMetric()[0].GetHistogram().GetSampleCount(); n != 4 {
		t.Errorf("queue wait samples %d, want 4", n)
	}
}

// TestWatchdog: /live fails once a task runs past its deadline by more
// than the grace, and recovers when it ends.
func TestWatchdog(t *testing.T) {
	wd := NewWatchdog(time.Minute)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	wd.now = func() time.Time { return now }
	ops := &Ops{Watchdog: wd, Log: zap.NewNop()}
	live := func() int {
		w := httptest.NewRecorder()
		ops.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/live", nil))
		return w.Code
	}
	done := wd.begin("t1", now.Add(time.Second))
	wd.begin("t2", time.Time{}) // no deadline: never overdue
	if live() != http.StatusOK {
		t.Fatal("live with a task in time")
	}
	now = now.Add(2 * time.Minute)
	if live() != http.StatusServiceUnavailable || wd.Check() == nil {
		t.Fatal("live with a task 2 minutes late")
	}
	done()
	if live() != http.StatusOK {
		t.Fatal("live after the late task ended")
	}
}

// TestOpsReady: /ready names the failing check, and turns 503 on Drain.
func TestOpsReady(t *testing.T) {
	redisUp := true
	ops := &Ops{Watchdog: NewWatchdog(time.Minute), Log: zap.NewNop(), Ready: map[string]health.Check{
		"redis": func(context.Context) error {
			if redisUp {
				return nil
			}
			return errors.New("dial tcp 10.0.0.1:6379: refused")
		}}}
	ready := func() (int, string) {
		w := httptest.NewRecorder()
		ops.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/ready", nil))
		return w.Code, w.Body.String()
	}
	if st, b := ready(); st != 200 || !strings.Contains(b, `"redis":{"status":"ok"`) || !strings.Contains(b, "latency_ms") {
		t.Fatalf("ready: %d %s", st, b)
	}
	redisUp = false
	if st, b := ready(); st != 503 || !strings.Contains(b, "redis failing") || strings.Contains(b, "10.0.0.1") {
		t.Fatalf("ready with redis down: %d %s", st, b)
	}
	redisUp = true
	ops.Drain()
	if st, b := ready(); st != 503 || !strings.Contains(b, "shutdown") {
		t.Fatalf("ready while draining: %d %s", st, b)
	}
}

type recordedRun struct{ typ, status string }

// recordMetrics keeps the finished runs.
type recordMetrics struct{ runs []recordedRun }

func (r *recordMetrics) Started(string, string, int, time.Duration) {}
func (r *recordMetrics) Finished(typ, _, status string, _ time.Duration) {
	r.runs = append(r.runs, recordedRun{typ, status})
}

// TestChunkTasksCounted: contest chunk tasks, which bypass ProcessTask,
// are counted too (a broken one as failed).
func TestChunkTasksCounted(t *testing.T) {
	f := newFixture(t, nil)
	rec := &recordMetrics{}
	f.h.WithMetrics(rec)
	s := &Server{h: f.h, fanOut: NewFanOut(FanOutConfig{ChunkSims: 10, Threshold: 1}, nil, f.store, f.h.reg, nil, zap.NewNop())}
	err := s.mux().ProcessTask(context.Background(), asynq.NewTask(task.TypeContestSimChunk, []byte(`{}`)))
	if err == nil {
		t.Fatal("a broken chunk task succeeded")
	}
	if len(rec.runs) != 1 || rec.runs[0].typ != task.TypeContestSimChunk || rec.runs[0].status == "succeeded" {
		t.Fatalf("runs %+v", rec.runs)
	}
}
