// Package httpapi provides the gateway's HTTP API (Gin): routes, the
// request-id, logging, recovery, body-limit and auth middleware, and the
// mapping of errors to the error body. Handlers decode, call the job
// service, and encode.
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/api/internal/jobs"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/metrics"
	"github.com/dfsopt/dfsopt/pkg/ratelimit"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/webhook"
)

// Checker reports whether a dependency is usable (Redis ping).
type Checker func(ctx context.Context) error

// Deps are what the HTTP API needs.
type Deps struct {
	Log      *zap.Logger
	Registry *task.Registry
	Jobs     *jobs.Service
	Auth     *auth.Authenticator
	// Keys manages API keys (admin routes); nil disables them.
	Keys *auth.KeyStore
	// Users manages users (admin routes) and checks their passwords at
	// POST /v1/auth/token; nil disables both.
	Users *auth.UserStore
	// Tokens verifies bearer tokens and issues them at POST
	// /v1/auth/token; nil refuses bearer tokens.
	Tokens *auth.Tokens
	// Limiter applies Limits; nil disables rate limiting (tests).
	Limiter *ratelimit.Limiter
	// Limits are the per-principal request rates.
	Limits Limits
	// CORSOrigins are the origins browsers may call from ("*": any).
	CORSOrigins []string
	// Audit receives one line per state-changing request; nil: Log named
	// "audit".
	Audit *zap.Logger
	// Ready checks Redis for /ready.
	Ready Checker
	// ReadyChecks are further named dependencies /ready requires (e.g.
	// "calibration_cache"), reported under "checks" by name.
	ReadyChecks map[string]Checker
	// Slates is the slate store behind /v1/slates; nil: no slate routes.
	Slates slatestore.Store
	// MaxBodyBytes caps request bodies (413 above).
	MaxBodyBytes int64
	// Version is reported by /health.
	Version string
	// Draining reports that shutdown has begun (/ready answers 503); nil:
	// never.
	Draining func() bool
	// HTTPMetrics records every request; nil: not recorded.
	HTTPMetrics *metrics.HTTP
	// JobMetrics counts submitted jobs; nil: not counted.
	JobMetrics *metrics.Jobs
	// MetricsHandler serves GET /metrics (unauthenticated, like the
	// probes); nil: no such route.
	MetricsHandler http.Handler
	// Tracer makes a span per request (its traceparent goes into the task
	// payload); nil: no spans.
	Tracer trace.Tracer
	// Monitoring is the Asynq dashboard, served under /monitoring/ to
	// admins only; nil: no dashboard.
	Monitoring http.Handler
	// WebhookSecrets keeps the principals' webhook signing secrets (GET
	// and POST /v1/webhook-secret); nil: no such routes.
	WebhookSecrets *webhook.SecretStore
}

// New returns the gateway's HTTP handler.
func New(d Deps) http.Handler {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(nil); err != nil { // rate limits by address use the peer, not X-Forwarded-For
		panic(err)
	}
	if d.Audit == nil {
		d.Audit = d.Log.Named("audit")
	}
	r.Use(instrument(d.HTTPMetrics), traceRequests(d.Tracer), requestContext(d.Log), recovery(), securityHeaders(), cors(d.CORSOrigins), audit(d.Audit), limitBody(d.MaxBodyBytes))
	r.NoRoute(func(c *gin.Context) {
		abort(c, errStatus(http.StatusNotFound, CodeNotFound, "no route for "+c.Request.Method+" "+c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		abort(c, errStatus(http.StatusMethodNotAllowed, CodeMethodNotAllow, "method "+c.Request.Method+" is not allowed on "+c.Request.URL.Path))
	})

	r.GET("/openapi.json", serveOpenAPI)
	r.GET("/docs", serveDocs)
	r.GET(docsScriptPath, serveDocsScript)
	registerOps(r, d)

	h := &handlers{d: d}
	// Token exchange: no credential header; limited per client address.
	r.POST("/v1/auth/token", limitRate(d), h.token)

	// Everything else under /v1 needs a principal (deny by default), then
	// passes its rate limit, then its scope.
	v1 := r.Group("/v1", authenticate(d), limitRate(d))
	for _, k := range d.Registry.Kinds() {
		scope := auth.ScopeJobsWrite
		if k.Type == task.TypeCalibrate {
			scope = auth.ScopeCalibrate
		}
		v1.POST(k.Path[len("/v1"):], require(scope), h.submit(k))
	}
	v1.POST("/batch", require(auth.ScopeJobsWrite), h.batch)
	v1.GET("/jobs", require(auth.ScopeJobsRead), h.list)
	v1.GET("/jobs/:id", require(auth.ScopeJobsRead), h.get)
	v1.GET("/jobs/:id/result", require(auth.ScopeJobsRead), h.result)
	v1.DELETE("/jobs/:id", require(auth.ScopeJobsWrite), h.cancel)
	v1.POST("/jobs/:id/replay", require(auth.ScopeJobsWrite), h.replay)
	registerSlates(v1, d.Slates)
	registerWebhookSecret(v1, h)
	admin := v1.Group("/admin", require(auth.ScopeAdmin))
	if d.Keys != nil {
		admin.POST("/api-keys", h.createKey)
		admin.GET("/api-keys", h.listKeys)
		admin.DELETE("/api-keys/:id", h.revokeKey)
	}
	if d.Users != nil {
		admin.POST("/users", h.createUser)
		admin.GET("/users", h.listUsers)
		admin.DELETE("/users/:username", h.deleteUser)
	}
	return r
}

type handlers struct{ d Deps }

// jobDoc is the status document with the result URL filled in.
func jobDoc(j *jobstore.Job) *jobstore.Job { return jobstore.StatusDocument(j) }

func (h *handlers) submit(k *task.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		body, err := readBody(c.Request)
		if err != nil {
			abort(c, bodyError(err))
			return
		}
		key, err := idempotencyKeyOf(c)
		if err != nil {
			abort(c, err)
			return
		}
		p, _ := principalOf(c)
		j, err := h.d.Jobs.Submit(c.Request.Context(), jobs.Submission{Kind: k, Body: body, Principal: p, Traceparent: traceparentOf(c),
			IdempotencyKey: key, NoCache: noCache(c)})
		if err != nil {
			abort(c, err)
			return
		}
		h.accepted(c, j)
	}
}

// IdempotencyHeader is the request header that makes a submission
// idempotent; IdempotentReplayedHeader answers "true" when the job existed.
const (
	IdempotencyHeader        = "Idempotency-Key"
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// idempotencyKeyOf returns the request's Idempotency-Key ("" when absent),
// or a 400 error when it is empty, repeated or not 1-255 printable ASCII
// characters.
func idempotencyKeyOf(c *gin.Context) (string, error) {
	vs := c.Request.Header.Values(IdempotencyHeader)
	if len(vs) == 0 {
		return "", nil
	}
	if len(vs) > 1 || !jobs.ValidIdempotencyKey(vs[0]) {
		return "", &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
			message: "Idempotency-Key must be one header of 1 to 255 printable ASCII characters",
			details: []ErrorDetail{{Field: IdempotencyHeader, Reason: "invalid"}}}
	}
	return vs[0], nil
}

// noCache reports whether the request opts out of the result cache with
// Cache-Control: no-cache (or no-store).
func noCache(c *gin.Context) bool {
	for _, v := range c.Request.Header.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "no-cache", "no-store":
				return true
			}
		}
	}
	return false
}

// accepted answers 202 with a submitted job (or, for a repeated
// Idempotency-Key, the job submitted first).
func (h *handlers) accepted(c *gin.Context, j *jobstore.Job) {
	if j.IdempotentReplay {
		c.Header(IdempotentReplayedHeader, "true")
	} else if h.d.JobMetrics != nil {
		h.d.JobMetrics.Submitted(j.Type, j.Queue)
	}
	c.Set(auditJobKey, j.ID)
	c.Header("Location", "/v1/jobs/"+j.ID)
	c.JSON(http.StatusAccepted, jobDoc(j))
}

func (h *handlers) replay(c *gin.Context) {
	p, _ := principalOf(c)
	j, err := h.d.Jobs.Replay(c.Request.Context(), p, c.Param("id"), traceparentOf(c))
	if err != nil {
		abort(c, err)
		return
	}
	h.accepted(c, j)
}

func (h *handlers) get(c *gin.Context) {
	p, _ := principalOf(c)
	j, err := h.d.Jobs.Get(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, jobDoc(j))
}

// List limits.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

func (h *handlers) list(c *gin.Context) {
	o := jobstore.ListOptions{Limit: defaultListLimit, Cursor: c.Query("cursor")}
	bad := func(field, msg string) {
		abort(c, &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest, message: msg,
			details: []ErrorDetail{{Field: field, Reason: "invalid"}}})
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			abort(c, &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
				message: "limit must be an integer between 1 and " + strconv.Itoa(maxListLimit),
				details: []ErrorDetail{{Field: "limit", Reason: "out_of_range"}}})
			return
		}
		o.Limit = n
	}
	if v := c.Query("status"); v != "" {
		switch st := jobstore.Status(v); st {
		case jobstore.StatusQueued, jobstore.StatusRunning, jobstore.StatusSucceeded, jobstore.StatusFailed, jobstore.StatusCanceled:
			o.Status = st
		default:
			bad("status", "status must be one of queued, running, succeeded, failed, canceled")
			return
		}
	}
	if v := c.Query("type"); v != "" {
		if _, ok := h.d.Registry.Lookup(v); !ok {
			bad("type", "unknown job type "+strconv.Quote(v))
			return
		}
		o.Type = v
	}
	p, _ := principalOf(c)
	page, err := h.d.Jobs.ListPage(c.Request.Context(), p, o)
	if errors.Is(err, jobstore.ErrBadCursor) {
		bad("cursor", "cursor is not one a listing answered as next_cursor")
		return
	}
	if err != nil {
		abort(c, err)
		return
	}
	js := page.Jobs
	if js == nil {
		js = []*jobstore.Job{}
	}
	for _, j := range js {
		jobDoc(j)
	}
	c.JSON(http.StatusOK, jobList{Jobs: js, NextCursor: page.NextCursor})
}

// jobList is the answer of GET /v1/jobs (JobList in the spec).
type jobList struct {
	Jobs []*jobstore.Job `json:"jobs"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

func (h *handlers) result(c *gin.Context) {
	format := c.Query("format")
	if format != "" && format != "json" && format != "csv" {
		abort(c, &httpError{status: http.StatusBadRequest, code: CodeInvalidRequest,
			message: "format must be json or csv",
			details: []ErrorDetail{{Field: "format", Reason: "invalid"}}})
		return
	}
	p, _ := principalOf(c)
	b, err := h.d.Jobs.Result(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	if format == "csv" {
		h.resultCSV(c, p, b)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

func (h *handlers) cancel(c *gin.Context) {
	p, _ := principalOf(c)
	j, err := h.d.Jobs.Cancel(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, jobDoc(j))
}

// createKeyRequest is the body of POST /v1/admin/api-keys.
type createKeyRequest struct {
	Name   string   `json:"name"`
	Owner  string   `json:"owner,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
}

func (h *handlers) createKey(c *gin.Context) {
	var req createKeyRequest
	if err := decodeStrict(c, &req); err != nil {
		abort(c, err)
		return
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len(req.Name) > 100 {
		abort(c, &httpError{status: http.StatusUnprocessableEntity, code: CodeInvalidRequest,
			message: "name is required (at most 100 characters)", details: []ErrorDetail{{Field: "name", Reason: "required"}}})
		return
	}
	if len(req.Owner) > 200 {
		abort(c, &httpError{status: http.StatusUnprocessableEntity, code: CodeInvalidRequest,
			message: "owner has at most 200 characters", details: []ErrorDetail{{Field: "owner", Reason: "out_of_range"}}})
		return
	}
	if err := checkScopes(req.Scopes); err != nil {
		abort(c, err)
		return
	}
	k, key, err := h.d.Keys.Create(c.Request.Context(), req.Name, req.Owner, req.Scopes)
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, createdKey{ID: k.ID, Key: key, Name: k.Name, Owner: k.Owner, Scopes: k.Scopes, CreatedAt: k.CreatedAt})
}

// createdKey is the answer of POST /v1/admin/api-keys (CreatedAPIKey in
// the spec): the issued key's record and the key itself, shown once.
type createdKey struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner,omitempty"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
}

// apiKeyList is the answer of GET /v1/admin/api-keys (APIKeyList).
type apiKeyList struct {
	APIKeys []auth.APIKey `json:"api_keys"`
}

func (h *handlers) listKeys(c *gin.Context) {
	ks, err := h.d.Keys.List(c.Request.Context())
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, apiKeyList{APIKeys: ks})
}

func (h *handlers) revokeKey(c *gin.Context) {
	k, err := h.d.Keys.Revoke(c.Request.Context(), c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, k)
}
