package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/ratelimit"
	"github.com/dfsopt/dfsopt/pkg/requestid"
)

// Limits are the request rate limits per principal; a zero Limit is no
// limit (the probes are never limited).
type Limits struct {
	// Submit limits state-changing requests (POST, DELETE): submissions,
	// cancels, admin changes, token exchanges (per client address).
	Submit ratelimit.Limit
	// Read limits GET requests.
	Read ratelimit.Limit
	// Exempt are principals (ids) no rate limit applies to.
	Exempt []string
}

// exempt reports whether principal id passes the rate limits unmetered.
func (l *Limits) exempt(id string) bool { return slices.Contains(l.Exempt, id) }

// Rate-limit classes.
const (
	classSubmit = "submit"
	classRead   = "read"
)

// credentials reads the request's one credential: an X-API-Key or an
// Authorization: Bearer token. Both, or another Authorization scheme, are
// refused.
func credentials(c *gin.Context) (key, bearer string, err error) {
	key = c.GetHeader("X-API-Key")
	authz := c.GetHeader("Authorization")
	if authz != "" {
		scheme, tok, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", "", fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", auth.ErrUnauthenticated)
		}
		bearer = strings.TrimSpace(tok)
	}
	switch {
	case key != "" && bearer != "":
		return "", "", fmt.Errorf("%w: send either X-API-Key or a bearer token, not both", auth.ErrUnauthenticated)
	case key == "" && bearer == "":
		return "", "", auth.ErrUnauthenticated
	}
	return key, bearer, nil
}

// authenticate requires a valid API key or bearer token and stores the
// principal; everything under it is denied without one.
func authenticate(d Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		key, bearer, err := credentials(c)
		var p auth.Principal
		switch {
		case err != nil:
		case key != "":
			p, err = d.Auth.Authenticate(c.Request.Context(), key)
		case d.Tokens == nil:
			err = fmt.Errorf("%w: bearer tokens are not configured on this gateway", auth.ErrUnauthenticated)
		default:
			p, err = d.Tokens.Verify(bearer)
		}
		if err != nil {
			// The reason goes to the debug log (never the credential).
			logging.From(c.Request.Context()).Debug("authentication failed", zap.Error(err))
			abort(c, err)
			return
		}
		c.Set(principalKey, p)
		c.Request = c.Request.WithContext(logging.With(c.Request.Context(),
			logging.From(c.Request.Context()).WithLazy(zap.String("principal", p.ID))))
		c.Next()
	}
}

// require checks the principal has a scope (403 naming it).
func require(scope string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := principalOf(c)
		if !ok {
			abort(c, auth.ErrUnauthenticated)
			return
		}
		if err := p.Require(scope); err != nil {
			abort(c, err)
			return
		}
		c.Next()
	}
}

// limitRate counts the request against the principal's budget of its
// class (writes: submit, reads: read), or against the client address when
// there is no principal yet (token exchange). It sets the rate-limit
// headers; over the limit it answers 429 with Retry-After. When Redis
// cannot be asked, writes fail closed (503) and reads pass.
func limitRate(d Deps) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d.Limiter == nil {
			c.Next()
			return
		}
		class, lim := classRead, d.Limits.Read
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			class, lim = classSubmit, d.Limits.Submit
		}
		if lim.Rate == 0 {
			c.Next()
			return
		}
		who, kind := "ip:"+c.ClientIP(), "anonymous"
		if p, ok := principalOf(c); ok {
			if d.Limits.exempt(p.ID) {
				c.Next()
				return
			}
			who, kind = p.ID, principalKind(p.ID)
		}
		dec, err := d.Limiter.Allow(c.Request.Context(), class, who, lim)
		if err != nil {
			if class == classSubmit {
				abort(c, &limiterDownError{err: err})
				return
			}
			logging.From(c.Request.Context()).Warn("rate limiter unavailable; read allowed", zap.Error(err))
			c.Next()
			return
		}
		setRateHeaders(c.Writer.Header(), class, dec)
		if !dec.Allowed {
			if d.HTTPMetrics != nil {
				d.HTTPMetrics.RateLimited(class, kind)
			}
			c.Header("Retry-After", strconv.Itoa(ceilSeconds(dec.RetryAfter.Seconds())))
			abort(c, &rateLimitedError{class: class, limit: lim})
			return
		}
		c.Next()
	}
}

// setRateHeaders writes the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers, structured form of drafts 08+:
// `"submit";q=60;w=60` and `"submit";r=59;t=1`) and the older
// RateLimit-Limit/-Remaining/-Reset.
func setRateHeaders(h http.Header, class string, d ratelimit.Decision) {
	reset := ceilSeconds(d.ResetAfter.Seconds())
	if !d.Allowed {
		reset = ceilSeconds(d.RetryAfter.Seconds())
	}
	h.Set("RateLimit-Policy", fmt.Sprintf("%q;q=%d;w=%d", class, d.Limit.Rate, d.Limit.Seconds()))
	h.Set("RateLimit", fmt.Sprintf("%q;r=%d;t=%d", class, d.Remaining, reset))
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit.Rate))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(reset))
}

func ceilSeconds(s float64) int { return max(int(math.Ceil(s)), 0) }

// principalKind is the kind of a principal id, a label of bounded
// cardinality: admin, key (key_…), user (user:…), external (ext:…).
func principalKind(id string) string {
	switch {
	case id == auth.AdminPrincipal:
		return "admin"
	case strings.HasPrefix(id, "user:"):
		return "user"
	case strings.HasPrefix(id, "ext:"):
		return "external"
	}
	return "key"
}

// rateLimitedError is a 429 of the rate limiter.
type rateLimitedError struct {
	class string
	limit ratelimit.Limit
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("rate limit exceeded: %s requests are limited to %s; retry after the Retry-After seconds", e.class, e.limit)
}

// limiterDownError: the limiter's Redis is unreachable; writes fail closed.
type limiterDownError struct{ err error }

func (e *limiterDownError) Error() string { return "rate limiter unavailable: " + e.err.Error() }
func (e *limiterDownError) Unwrap() error { return e.err }

// corsAllowHeaders and corsExposeHeaders are the request headers browsers
// may send and the response headers their scripts may read.
const (
	corsAllowHeaders  = "Authorization, Content-Type, X-API-Key, X-Request-ID, traceparent"
	corsExposeHeaders = "Location, X-Request-ID, Retry-After, RateLimit, RateLimit-Policy, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"
	corsAllowMethods  = "GET, POST, DELETE"
)

// cors lets the configured origins call the API from a browser. Nothing is
// allowed unless listed; "*" only when configured so. Preflights are
// answered here, before authentication (browsers send them without
// credentials): 204 for a listed origin, 403 otherwise.
func cors(origins []string) gin.HandlerFunc {
	wildcard := slices.Contains(origins, "*")
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		allowed := wildcard || slices.Contains(origins, origin)
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if !allowed {
			if preflight {
				abort(c, errStatus(http.StatusForbidden, CodeForbidden, "origin "+strconv.Quote(origin)+" is not allowed (DFSOPT_CORS_ORIGINS)"))
				return
			}
			c.Next() // no CORS headers: the browser withholds the answer
			return
		}
		if wildcard {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		if preflight {
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// securityHeaders sets the headers every answer carries: no sniffing, no
// framing, no referrer, a CSP that allows nothing (the API serves no
// pages), and no caching of authenticated answers.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if strings.HasPrefix(c.Request.URL.Path, "/v1/") {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}

const auditJobKey = "dfsopt.audit.job_id"

// audit writes one line to the audit log per state-changing request (any
// method but GET, HEAD and OPTIONS): who (principal id, never a
// credential), what (method and route), the job id, the status and the
// request id.
func audit(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		c.Next()
		who := "anonymous"
		if p, ok := principalOf(c); ok {
			who = p.ID
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		jobID := c.GetString(auditJobKey)
		if jobID == "" && strings.HasPrefix(route, "/v1/jobs/:id") {
			jobID = c.Param("id")
		}
		fields := []zap.Field{
			zap.String("principal", who), zap.String("action", c.Request.Method+" "+route),
			zap.String("job_id", jobID), zap.Int("result", c.Writer.Status()),
			zap.String("request_id", requestid.From(c.Request.Context())),
		}
		if target := c.Param("id"); target != "" && !strings.HasPrefix(route, "/v1/jobs/") {
			fields = append(fields, zap.String("target", target))
		} else if target := c.Param("username"); target != "" {
			fields = append(fields, zap.String("target", target))
		}
		log.Info("audit", fields...)
	}
}

// decodeStrict decodes a JSON body into v as request documents are
// decoded (schema.DecodeBytes: one object, member names exact, unknown and
// duplicate members refused, nothing after it; errors name the field) and
// refuses null values, which no member of these bodies takes; the values
// of members named in opaque (request documents carried whole, checked
// when submitted) are not looked into.
func decodeStrict(c *gin.Context, v any, opaque ...string) error {
	b, err := readBody(c.Request)
	if err != nil {
		return bodyError(err)
	}
	if err := schema.DecodeBytes(b, v); err != nil {
		return err
	}
	return schema.RejectNulls(b, v, opaque...)
}
