package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// TypeWebhook is the task type of a job's completion webhook: one task per
// terminal event, retried with backoff until the receiver accepts it.
const TypeWebhook = "webhook"

// QueueWebhook is the queue of webhook tasks: default, so that
// notifications are not starved behind long low-priority calibrations;
// a delivery is a short HTTP call.
const QueueWebhook = QueueDefault

// WebhookRetention keeps a delivered webhook task (and with it its task
// id) after it completes, so that an outbox entry dispatched again (a
// dispatcher that died between enqueue and clearing the entry) conflicts
// instead of delivering twice.
const WebhookRetention = time.Hour

// WebhookPayload is the payload of a webhook task.
type WebhookPayload struct {
	// EventID is the webhook-id header: the same on every attempt.
	EventID string `json:"event_id"`
	// JobID is the job whose terminal event this is.
	JobID string `json:"job_id"`
	// Principal owns the job; its secret signs the message.
	Principal string `json:"principal"`
	// URL is the job's webhook_url.
	URL string `json:"url"`
	// Body is the event's JSON body (the job's status document).
	Body json.RawMessage `json:"body"`
	// FirstDispatch is when the event was first dispatched (unix seconds);
	// no attempt starts after the retry window from it.
	FirstDispatch int64 `json:"first_dispatch"`
	// RequestID is the submitting request's id, for the logs.
	RequestID string `json:"request_id,omitempty"`
}

// WebhookTaskID returns the task id of a job's webhook task (one terminal
// event per job).
func WebhookTaskID(jobID string) string { return "webhook:" + jobID }

// WebhookEventID returns the webhook-id of a job's terminal event.
func WebhookEventID(jobID string) string { return "msg_" + jobID }

// NewWebhookTask builds the task of a webhook event: deterministic task
// id, queue default, retries up to maxRetry, each attempt bounded by
// attemptTimeout plus a margin for recording it.
func NewWebhookTask(p *WebhookPayload, maxRetry int, attemptTimeout time.Duration) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode webhook payload: %w", err)
	}
	return asynq.NewTask(TypeWebhook, b,
		asynq.TaskID(WebhookTaskID(p.JobID)),
		asynq.Queue(QueueWebhook),
		asynq.MaxRetry(maxRetry),
		asynq.Timeout(attemptTimeout+10*time.Second),
		asynq.Retention(WebhookRetention),
	), nil
}

// DecodeWebhookPayload parses a webhook task payload.
func DecodeWebhookPayload(b []byte) (*WebhookPayload, error) {
	var p WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode webhook payload: %w", err)
	}
	if p.JobID == "" || p.Principal == "" || p.URL == "" || p.EventID == "" || len(p.Body) == 0 {
		return nil, errors.New("decode webhook payload: event_id, job_id, principal, url and body are required")
	}
	return &p, nil
}
