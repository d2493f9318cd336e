// Package tracing provides OpenTelemetry tracing for dfsopt: a tracer
// provider exporting over OTLP/HTTP when DFSOPT_OTLP_ENDPOINT is set (a
// no-op one otherwise), and the W3C traceparent carried in task payloads
// so that a worker's spans join the trace of the request that submitted
// the job. Nothing is installed globally: the provider is passed in.
package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Setup returns the tracer provider of a service and a function flushing
// and stopping it. An empty endpoint (tracing off) gives a no-op provider.
// endpoint is the collector's OTLP/HTTP base URL, e.g.
// http://otel-collector:4318.
func Setup(ctx context.Context, endpoint, service, version string) (trace.TracerProvider, func(context.Context) error, error) {
	if endpoint == "" {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, nil, fmt.Errorf("otlp exporter for %s: %w", endpoint, err)
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service), semconv.ServiceVersion(version))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}

// propagator is the W3C Trace Context format (traceparent, tracestate).
func propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// FromHeaders returns ctx carrying the remote span context of the
// request's traceparent header, if any.
func FromHeaders(ctx context.Context, h propagation.HeaderCarrier) context.Context {
	return propagator().Extract(ctx, h)
}

// Traceparent is the W3C traceparent of ctx's span ("" without a valid
// span context).
func Traceparent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	propagator().Inject(ctx, c)
	return c.Get("traceparent")
}

// WithTraceparent returns ctx carrying the remote span context of a
// traceparent value (ctx unchanged when it is empty or malformed).
func WithTraceparent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagator().Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}
