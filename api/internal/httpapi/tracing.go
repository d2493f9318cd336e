package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/dfsopt/dfsopt/pkg/tracing"
)

// traceRequests starts a server span per request, named by its method and
// route template, as a child of the caller's traceparent when it sends one.
// Probes are not traced.
func traceRequests(tracer trace.Tracer) gin.HandlerFunc {
	return func(c *gin.Context) {
		route := routeOf(c)
		if tracer == nil || isProbe(route) {
			c.Next()
			return
		}
		ctx := tracing.FromHeaders(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tracer.Start(ctx, c.Request.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", c.Request.Method), attribute.String("http.route", route)))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
	}
}

// traceparentOf is the traceparent a submitted job carries to its worker:
// the request span's when tracing is on, else the caller's header if well
// formed.
func traceparentOf(c *gin.Context) string {
	if tp := tracing.Traceparent(c.Request.Context()); tp != "" {
		return tp
	}
	return traceparent(c)
}
