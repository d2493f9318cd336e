package config

import (
	"errors"
	"testing"
	"time"
)

func TestOperationsVariables(t *testing.T) {
	g, err := LoadGateway(env())
	if err != nil {
		t.Fatal(err)
	}
	if !g.ReadyRequiresWorkers || g.DrainDelay != 0 || g.MonitoringWrite || g.MonitoringPrometheusURL != "" {
		t.Fatalf("gateway defaults: %+v", g)
	}
	g, err = LoadGateway(env("DFSOPT_READY_REQUIRE_WORKERS", "false", "DFSOPT_DRAIN_DELAY", "5s",
		"DFSOPT_MONITORING_WRITE", "true", "DFSOPT_MONITORING_PROMETHEUS_URL", "http://prometheus:9090"))
	if err != nil {
		t.Fatal(err)
	}
	if g.ReadyRequiresWorkers || g.DrainDelay != 5*time.Second || !g.MonitoringWrite || g.MonitoringPrometheusURL != "http://prometheus:9090" {
		t.Fatalf("gateway values: %+v", g)
	}
	w, err := LoadWorker(env("DFSOPT_REDIS_URL", "redis://r:6379"))
	if err != nil || w.MetricsAddr != ":9090" {
		t.Fatalf("worker default metrics addr: %q %v", w.MetricsAddr, err)
	}
	w, err = LoadWorker(env("DFSOPT_REDIS_URL", "redis://r:6379", "DFSOPT_METRICS_ADDR", "off"))
	if err != nil || w.MetricsAddr != "" {
		t.Fatalf("metrics off: %q %v", w.MetricsAddr, err)
	}
	for _, kv := range [][2]string{{"DFSOPT_READY_REQUIRE_WORKERS", "maybe"}, {"DFSOPT_MONITORING_WRITE", "yes please"},
		{"DFSOPT_MONITORING_PROMETHEUS_URL", "ftp://x"}, {"DFSOPT_DRAIN_DELAY", "1h"}} {
		_, err := LoadGateway(env(kv[0], kv[1]))
		var ce *Error
		if !errors.As(err, &ce) || ce.Var != kv[0] {
			t.Errorf("%s=%s: err %v", kv[0], kv[1], err)
		}
	}
	_, err = LoadWorker(env("DFSOPT_REDIS_URL", "redis://r:6379", "DFSOPT_METRICS_ADDR", "nope"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Var != "DFSOPT_METRICS_ADDR" {
		t.Errorf("bad metrics addr: %v", err)
	}
}

func TestOTLPEndpoint(t *testing.T) {
	w, err := LoadWorker(env("DFSOPT_REDIS_URL", "redis://r:6379", "DFSOPT_OTLP_ENDPOINT", "http://otel:4318"))
	if err != nil || w.OTLPEndpoint != "http://otel:4318" {
		t.Fatalf("%q %v", w.OTLPEndpoint, err)
	}
	if _, err := LoadGateway(env("DFSOPT_OTLP_ENDPOINT", "otel:4318")); err == nil {
		t.Fatal("an endpoint without scheme is accepted")
	}
}

func TestFeatureFlags(t *testing.T) {
	g, err := LoadGateway(env("DFSOPT_FEATURE_FLAGS", "new_strategy=0.25"))
	if err != nil || len(g.FeatureFlags.Names()) != 1 {
		t.Fatalf("%v %v", g.FeatureFlags.Names(), err)
	}
	var ce *Error
	if _, err := LoadGateway(env("DFSOPT_FEATURE_FLAGS", "x=2")); !errors.As(err, &ce) || ce.Var != "DFSOPT_FEATURE_FLAGS" {
		t.Fatalf("bad share accepted: %v", err)
	}
}
