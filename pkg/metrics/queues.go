package metrics

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueInspector is the part of *asynq.Inspector the queue collector uses.
type QueueInspector interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// QueueCollector reports each Asynq queue's tasks by state and its latency
// (age of the oldest pending task), read from Redis at every scrape.
type QueueCollector struct {
	insp    QueueInspector
	tasks   *prometheus.Desc
	latency *prometheus.Desc
	paused  *prometheus.Desc
	up      *prometheus.Desc
}

// NewQueueCollector returns a collector reading the queues through insp;
// register it on the registry served at /metrics.
func NewQueueCollector(insp QueueInspector) *QueueCollector {
	return &QueueCollector{
		insp: insp,
		tasks: prometheus.NewDesc(Namespace+"_queue_tasks", "Tasks in an Asynq queue by state (pending, active, scheduled, retry, archived, completed).",
			[]string{"queue", "state"}, nil),
		latency: prometheus.NewDesc(Namespace+"_queue_latency_seconds", "Age of the oldest pending task of an Asynq queue.",
			[]string{"queue"}, nil),
		paused: prometheus.NewDesc(Namespace+"_queue_paused", "1 if an Asynq queue is paused.", []string{"queue"}, nil),
		up:     prometheus.NewDesc(Namespace+"_queue_scrape_up", "1 if the queues could be read from Redis at this scrape.", nil, nil),
	}
}

// Describe sends the collector's descriptors.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tasks
	ch <- c.latency
	ch <- c.paused
	ch <- c.up
}

// Collect reads every queue's info; a Redis error yields
// dfsopt_queue_scrape_up 0 and no queue series.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	queues, err := c.insp.Queues()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	up := 1.0
	for _, q := range queues {
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			up = 0
			continue
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, paused, q)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
}
