package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/requestid"
)

// requestContext takes or makes the request id, returns it in the response,
// and puts it and a logger carrying it in the request's context. It also
// writes the access log line.
func requestContext(base *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := requestid.Sanitize(c.GetHeader(requestid.Header))
		c.Header(requestid.Header, id)
		// Lazy: the request id is encoded once something is logged, not
		// for every request (most log nothing below the access line).
		log := base.WithLazy(zap.String("request_id", id))
		ctx := logging.With(requestid.With(c.Request.Context(), id), log)
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		fields := []zap.Field{
			zap.String("method", c.Request.Method), zap.String("route", route), zap.String("path", c.Request.URL.Path),
			zap.Int("status", c.Writer.Status()), zap.Int("bytes", c.Writer.Size()),
			zap.Duration("duration", time.Since(start)), zap.String("remote", c.ClientIP()),
		}
		if p, ok := principalOf(c); ok {
			fields = append(fields, zap.String("principal", p.ID))
		}
		switch {
		case c.Writer.Status() >= 500:
			log.Warn("request", fields...)
		case isProbe(route):
			log.Debug("request", fields...)
		default:
			log.Info("request", fields...)
		}
	}
}

// recovery turns a panic into a 500 error body.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				logging.From(c.Request.Context()).Error("panic in handler", zap.Any("panic", r), zap.Stack("stack"))
				abort(c, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

// limitBody caps the request body: a declared length above max gets 413 at
// once; a longer body fails on read (handlers map *http.MaxBytesError).
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			abort(c, tooLarge(max))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

func tooLarge(max int64) error {
	return errStatus(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the request body exceeds %d bytes", max))
}

// maxPresize bounds the buffer readBody allocates up front on the
// client's word (Content-Length); limitBody refuses longer bodies anyway.
const maxPresize = 8 << 20

// readBody reads the request body; when the client declared its length,
// into one buffer of that size (io.ReadAll grows its buffer from 512 bytes,
// several allocations and copies for a few-kB document).
func readBody(r *http.Request) ([]byte, error) {
	n := r.ContentLength
	if n <= 0 || n > maxPresize {
		return io.ReadAll(r.Body)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, err
	}
	return b, nil
}

// bodyError maps a body read error.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return errStatus(http.StatusBadRequest, CodeInvalidRequest, "cannot read the request body")
}

const principalKey = "dfsopt.principal"

func principalOf(c *gin.Context) (auth.Principal, bool) {
	v, ok := c.Get(principalKey)
	if !ok {
		return auth.Principal{}, false
	}
	p, ok := v.(auth.Principal)
	return p, ok
}

var traceparentRE = regexp.MustCompile(`^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$`)

// traceparent returns the request's W3C traceparent header if well formed.
func traceparent(c *gin.Context) string {
	if v := c.GetHeader("traceparent"); traceparentRE.MatchString(v) {
		return v
	}
	return ""
}
