package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/health"
)

// Ops is the worker's operations endpoint: /metrics, /live and /ready, on
// DFSOPT_METRICS_ADDR.
type Ops struct {
	// Metrics serves /metrics (nil: 404).
	Metrics http.Handler
	// Watchdog backs /live: it fails while a task overruns its deadline.
	Watchdog *Watchdog
	// Ready are the dependencies /ready requires, by name (e.g. "redis").
	Ready map[string]health.Check
	// Log receives failed checks (at warn level); probes themselves are
	// not logged.
	Log *zap.Logger

	draining atomic.Bool
}

// Drain makes /ready answer 503 from now on (shutdown has begun).
func (o *Ops) Drain() { o.draining.Store(true) }

// Handler returns the HTTP handler of the endpoint.
func (o *Ops) Handler() http.Handler {
	mux := http.NewServeMux()
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	mux.HandleFunc("GET /live", func(w http.ResponseWriter, r *http.Request) {
		if err := o.Watchdog.Check(); err != nil {
			o.Log.Warn("liveness check failed", zap.Error(err))
			writeProbe(w, http.StatusServiceUnavailable, probeError("watchdog", "a task is stuck past its deadline"))
			return
		}
		writeProbe(w, http.StatusOK, map[string]any{"status": "ok", "running_tasks": o.Watchdog.Running()})
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		checks := map[string]health.Check{"shutdown": func(context.Context) error {
			if o.draining.Load() {
				return errors.New("shutting down")
			}
			return nil
		}}
		for name, c := range o.Ready {
			checks[name] = c
		}
		rep := health.Run(r.Context(), checks, 2*time.Second)
		if !rep.OK() {
			for _, name := range rep.Failing {
				o.Log.Warn("readiness check failed", zap.String("check", name), zap.String("error", rep.Checks[name].Error))
			}
			body := probeError(strings.Join(rep.Failing, ","), strings.Join(rep.Failing, ", ")+" failing")
			body["checks"] = rep.Checks
			writeProbe(w, http.StatusServiceUnavailable, body)
			return
		}
		writeProbe(w, http.StatusOK, map[string]any{"status": "ready", "checks": rep.Checks})
	})
	return mux
}

// probeError is the error body of a failed probe, shaped like the
// gateway's ({"error":{"code","message","details"}}).
func probeError(field, msg string) map[string]any {
	return map[string]any{"error": map[string]any{"code": "unavailable", "message": msg,
		"details": []map[string]string{{"field": field, "reason": "failing"}}}}
}

func writeProbe(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
