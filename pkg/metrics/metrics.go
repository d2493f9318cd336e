// Package metrics provides dfsopt's Prometheus metrics: a registry with the
// Go runtime and process collectors, the HTTP, job and rate-limit series,
// and a collector of the Asynq queues' depth and latency. Everything is
// registered on a registry passed in; the library's global default
// registry is left alone.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every dfsopt series.
const Namespace = "dfsopt"

// NewRegistry returns a registry holding the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg in the Prometheus exposition format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// durationBuckets are the buckets of request and job durations, in seconds:
// from 5 ms (a status read) to 30 minutes (a long calibration).
func durationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}
}

// HTTP holds the gateway's request series.
type HTTP struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	rateLimited *prometheus.CounterVec
}

// NewHTTP registers the HTTP series on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	m := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route template, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help: "HTTP request latency by route template and method.", Buckets: durationBuckets(),
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "rate_limited_total",
			Help: "Requests refused by the rate limiter (429), by class (submit, read) and principal kind (admin, key, user, external, anonymous).",
		}, []string{"class", "principal"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.rateLimited)
	return m
}

// Start counts a request in flight; call the returned function with its
// route template, method and status when it ends.
func (m *HTTP) Start() func(route, method string, status int) {
	start := time.Now()
	m.inFlight.Inc()
	return func(route, method string, status int) {
		m.inFlight.Dec()
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// RateLimited counts a request refused by the rate limiter.
func (m *HTTP) RateLimited(class, principalKind string) {
	m.rateLimited.WithLabelValues(class, principalKind).Inc()
}
