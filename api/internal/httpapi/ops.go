package httpapi

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/health"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/requestid"
)

// isProbe reports whether route is polled by orchestrators and scrapers
// (logged at debug level only, never rate limited).
func isProbe(route string) bool {
	switch route {
	case "/live", "/ready", "/health", "/metrics":
		return true
	}
	return false
}

// readyTimeout bounds all of /ready's checks together: a dependency that
// does not answer within it is not ready.
const readyTimeout = time.Second

// MonitoringRoot is where the Asynq dashboard is mounted.
const MonitoringRoot = "/monitoring"

// monitoringCSP lets the dashboard's own scripts, styles and images load
// and nothing from elsewhere: its Google Fonts (Roboto, Material Icons)
// are blocked, so text falls back to the browser's sans-serif and icons
// show as their ligature names. Its inline bootstrap scripts need
// 'unsafe-inline' (the page is admin-only).
const monitoringCSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// instrument counts every request in the HTTP metrics by route template
// (never the raw path: ids would explode the series), method and status.
func instrument(m *metrics.HTTP) gin.HandlerFunc {
	return func(c *gin.Context) {
		if m == nil {
			c.Next()
			return
		}
		done := m.Start()
		c.Next()
		done(routeOf(c), c.Request.Method, c.Writer.Status())
	}
}

// routeOf is the request's route template, or "unmatched".
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// registerOps adds the probes, /metrics and the Asynq dashboard.
func registerOps(r *gin.Engine, d Deps) {
	started := time.Now()
	build := buildInfoOf()
	r.GET("/live", func(c *gin.Context) { c.JSON(http.StatusOK, liveBody{Status: "ok"}) })
	r.GET("/health", func(c *gin.Context) {
		c.JSON(http.StatusOK, healthBody{Status: "ok", Version: d.Version, Build: build,
			UptimeSeconds: int(time.Since(started).Seconds())})
	})
	r.GET("/ready", func(c *gin.Context) { ready(c, d) })
	if d.MetricsHandler != nil {
		r.GET("/metrics", gin.WrapH(d.MetricsHandler))
	}
	if d.Monitoring != nil {
		mon := r.Group(MonitoringRoot, authenticate(d), require(auth.ScopeAdmin), func(c *gin.Context) {
			c.Header("Content-Security-Policy", monitoringCSP)
			c.Header("X-Frame-Options", "DENY")
			c.Header("Cache-Control", "no-store")
			c.Next()
		})
		mon.Any("/*any", gin.WrapH(d.Monitoring))
	}
}

// ready answers /ready: Redis, the named dependencies and not shutting
// down, each with its status and latency; 503 names the failing checks.
func ready(c *gin.Context, d Deps) {
	checks := map[string]health.Check{"shutdown": func(context.Context) error {
		if d.Draining != nil && d.Draining() {
			return errors.New("shutting down")
		}
		return nil
	}}
	if d.Ready != nil {
		checks["redis"] = health.Check(d.Ready)
	}
	for name, ch := range maps.All(d.ReadyChecks) {
		checks[name] = health.Check(ch)
	}
	rep := health.Run(c.Request.Context(), checks, readyTimeout)
	if rep.OK() {
		c.JSON(http.StatusOK, readyBody{Status: "ready", Checks: rep.Checks})
		return
	}
	log := logging.From(c.Request.Context())
	details := make([]ErrorDetail, 0, len(rep.Failing))
	for _, name := range rep.Failing {
		log.Warn("readiness check failed", zap.String("check", name), zap.String("error", rep.Checks[name].Error))
		details = append(details, ErrorDetail{Field: name, Reason: "failing"})
	}
	info := ErrorInfo{Code: CodeUnavailable, Message: strings.Join(rep.Failing, ", ") + " not ready",
		Details: details, RequestID: requestid.From(c.Request.Context())}
	c.AbortWithStatusJSON(http.StatusServiceUnavailable, notReadyBody{Error: info, Checks: rep.Checks})
}

// The probes' answers (the /live, /health and /ready schemas of the spec).
type (
	liveBody struct {
		Status string `json:"status"`
	}
	healthBody struct {
		Status  string    `json:"status"`
		Version string    `json:"version"`
		Build   buildInfo `json:"build"`
		// UptimeSeconds is the time since the routes were registered.
		UptimeSeconds int `json:"uptime_seconds"`
	}
	readyBody struct {
		Status string                   `json:"status"`
		Checks map[string]health.Result `json:"checks"`
	}
	// notReadyBody is the 503 of /ready: the error body's error beside
	// every check.
	notReadyBody struct {
		Error  ErrorInfo                `json:"error"`
		Checks map[string]health.Result `json:"checks"`
	}
)

// buildInfo is the Go version and the VCS revision the binary was built
// from, when recorded.
type buildInfo struct {
	Go       string `json:"go"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified string `json:"modified,omitempty"`
}

func buildInfoOf() buildInfo {
	b := buildInfo{Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value
			}
		}
	}
	return b
}
