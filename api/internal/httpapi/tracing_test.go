package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/slate"
	"github.com/dfsopt/dfsopt/pkg/slatestore"
	"github.com/dfsopt/dfsopt/pkg/slatestore/redisstore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/worker/runner"
)

// TestTraceReachesWorker: a request's span (a child of the caller's
// traceparent) goes into the task payload, and the worker's spans (task,
// decode, compute, store) join the same trace under it.
func TestTraceReachesWorker(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	f := newFixtureWith(t, func(d *Deps, _ *fixture) { d.Tracer = tp.Tracer("gateway") })

	const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	w := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": admin,
		"traceparent": "00-" + callerTrace + "-00f067aa0ba902b7-01"}, strings.NewReader(validBody))
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	pending, err := f.insp.ListPendingTasks("default")
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending tasks: %v %v", pending, err)
	}
	p, err := task.DecodePayload(pending[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	h := runner.NewHandler(task.Standard(job.Services{}), f.store, zap.NewNop()).WithTracer(tp.Tracer("worker"))
	_ = h.ProcessTask(context.Background(), asynq.NewTask(pending[0].Type, pending[0].Payload))

	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	req, ok := spans["POST /v1/optimize"]
	if !ok {
		t.Fatalf("no request span among %v", names(rec.Ended()))
	}
	if got := req.SpanContext().TraceID().String(); got != callerTrace {
		t.Fatalf("request span trace %s, want the caller's %s", got, callerTrace)
	}
	if !strings.Contains(p.Traceparent, req.SpanContext().SpanID().String()) {
		t.Fatalf("payload traceparent %q does not name the request span %s", p.Traceparent, req.SpanContext().SpanID())
	}
	for _, name := range []string{"task optimize", "decode", "compute", "store"} {
		s, ok := spans[name]
		if !ok {
			t.Errorf("no worker span %q among %v", name, names(rec.Ended()))
			continue
		}
		if s.SpanContext().TraceID().String() != callerTrace {
			t.Errorf("worker span %q is in trace %s, want %s", name, s.SpanContext().TraceID(), callerTrace)
		}
	}
	if s := spans["task optimize"]; s != nil && s.Parent().SpanID() != req.SpanContext().SpanID() {
		t.Errorf("the task span's parent is %s, want the request span %s", s.Parent().SpanID(), req.SpanContext().SpanID())
	}
}

func names(spans []sdktrace.ReadOnlySpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name())
	}
	return out
}

// TestTraceLoadsSlateInASpan: a job naming a stored slate reads it in a
// "load slate" span, a child of the worker's compute span, in the
// request's trace.
func TestTraceLoadsSlateInASpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	f := newFixtureWith(t, func(d *Deps, _ *fixture) { d.Tracer = tp.Tracer("gateway") })
	slates := redisstore.New(f.redis.Client)
	id, _, err := slates.Put(context.Background(), &slatestore.Slate{Site: slate.DraftKings, Sport: slate.NBA, Mode: slate.Classic,
		Players: []slate.Player{{ID: "1", Name: "A", Positions: []string{"PG"}, Team: "X", Salary: 5000, Projection: 30}}})
	if err != nil {
		t.Fatal(err)
	}
	const callerTrace = "5bf92f3577b34da6a3ce929d0e0e4736"
	body := `{"site":"draftkings","sport":"nba","lineups":1,"slate_id":"` + id + `"}`
	w := f.doH("POST", "/v1/optimize", map[string]string{"X-API-Key": admin,
		"traceparent": "00-" + callerTrace + "-00f067aa0ba902b7-01"}, strings.NewReader(body))
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	pending, err := f.insp.ListPendingTasks("default")
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending tasks: %v %v", pending, err)
	}
	services := runner.ComputeServices(nil)
	services.Slates = slatestore.ForJobs(slates)
	h := runner.NewHandler(task.Standard(services), f.store, zap.NewNop()).WithTracer(tp.Tracer("worker"))
	_ = h.ProcessTask(context.Background(), asynq.NewTask(pending[0].Type, pending[0].Payload))

	spans := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		spans[s.Name()] = s
	}
	load, compute := spans["load slate"], spans["compute"]
	if load == nil || compute == nil {
		t.Fatalf("spans %v, want load slate and compute", names(rec.Ended()))
	}
	if load.SpanContext().TraceID().String() != callerTrace || load.Parent().SpanID() != compute.SpanContext().SpanID() {
		t.Errorf("load slate span in trace %s under %s, want trace %s under compute %s", load.SpanContext().TraceID(),
			load.Parent().SpanID(), callerTrace, compute.SpanContext().SpanID())
	}
}
