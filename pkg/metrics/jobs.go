package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Final statuses of a task run, the status label of
// dfsopt_jobs_finished_total.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCanceled  = "canceled"
	// StatusRetry: the run ended with an error Asynq retries (transient
	// failure, shutdown).
	StatusRetry = "retry"
	// StatusSkipped: nothing to do (job gone or already final, bad payload).
	StatusSkipped = "skipped"
)

// Jobs holds the job series: submissions (gateway) and runs (worker).
type Jobs struct {
	submitted *prometheus.CounterVec
	finished  *prometheus.CounterVec
	runTime   *prometheus.HistogramVec
	queueWait *prometheus.HistogramVec
	retries   *prometheus.CounterVec
	canceled  *prometheus.CounterVec
}

// NewJobs registers the job series on reg.
func NewJobs(reg prometheus.Registerer) *Jobs {
	tq := []string{"type", "queue"}
	m := &Jobs{
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "jobs", Name: "submitted_total",
			Help: "Jobs accepted and enqueued by the gateway, by type and queue.",
		}, tq),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "jobs", Name: "finished_total",
			Help: "Task runs finished by a worker, by type, queue and status (succeeded, failed, canceled, retry, skipped).",
		}, []string{"type", "queue", "status"}),
		runTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "jobs", Name: "run_seconds",
			Help: "Run time of a task on a worker, by type and queue.", Buckets: durationBuckets(),
		}, tq),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "jobs", Name: "queue_wait_seconds",
			Help: "Time from a job's submission to the start of its first run, by type and queue.", Buckets: durationBuckets(),
		}, tq),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "jobs", Name: "retries_total",
			Help: "Task runs that were retries of an earlier run, by type and queue.",
		}, tq),
		canceled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "jobs", Name: "cancellations_total",
			Help: "Running jobs stopped because they were canceled, by type and queue.",
		}, tq),
	}
	reg.MustRegister(m.submitted, m.finished, m.runTime, m.queueWait, m.retries, m.canceled)
	return m
}

// Submitted counts a job enqueued by the gateway.
func (m *Jobs) Submitted(typ, queue string) { m.submitted.WithLabelValues(typ, queue).Inc() }

// Started records the start of a task run: its retry number and, for a
// first run, how long the job waited in its queue (wait < 0: unknown).
func (m *Jobs) Started(typ, queue string, retry int, wait time.Duration) {
	if retry > 0 {
		m.retries.WithLabelValues(typ, queue).Inc()
	} else if wait >= 0 {
		m.queueWait.WithLabelValues(typ, queue).Observe(wait.Seconds())
	}
}

// Finished records the end of a task run with its status and run time.
func (m *Jobs) Finished(typ, queue, status string, elapsed time.Duration) {
	m.finished.WithLabelValues(typ, queue, status).Inc()
	m.runTime.WithLabelValues(typ, queue).Observe(elapsed.Seconds())
	if status == StatusCanceled {
		m.canceled.WithLabelValues(typ, queue).Inc()
	}
}
