package tracing

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

func TestTraceparentRoundTrip(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	ctx := WithTraceparent(context.Background(), tp)
	if got := Traceparent(ctx); got != tp {
		t.Fatalf("round trip %q, want %q", got, tp)
	}
	if Traceparent(WithTraceparent(context.Background(), "garbage")) != "" || Traceparent(context.Background()) != "" {
		t.Fatal("a malformed or missing traceparent yields one")
	}
	prov := sdktrace.NewTracerProvider()
	ctx, span := prov.Tracer("t").Start(ctx, "child")
	defer span.End()
	if got := Traceparent(ctx); got[3:35] != tp[3:35] || got == tp {
		t.Fatalf("child traceparent %q: same trace, new span expected", got)
	}
}

func TestSetupOff(t *testing.T) {
	p, stop, err := Setup(context.Background(), "", "svc", "v")
	if err != nil || p == nil || stop(context.Background()) != nil {
		t.Fatalf("off: %v", err)
	}
	if _, span := p.Tracer("t").Start(context.Background(), "x"); span.IsRecording() {
		t.Fatal("tracing off records spans")
	}
	p, stop, err = Setup(context.Background(), "http://127.0.0.1:4318", "svc", "v")
	if err != nil {
		t.Fatal(err)
	}
	if _, span := p.Tracer("t").Start(context.Background(), "x"); !span.IsRecording() {
		t.Fatal("tracing on does not record")
	}
	_ = stop(context.Background()) // nothing listens: the export error is expected
}
