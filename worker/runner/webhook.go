package runner

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/config"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/webhook"
)

// Webhooks delivers completion webhooks. Its dispatcher moves the events
// the job store's terminal transitions put in the outbox
// (jobstore.OutboxKey) into webhook tasks, one per job (task.WebhookTaskID:
// a second dispatch of the same event conflicts instead of delivering
// twice); its task handler makes one signed delivery attempt, records it
// on the job, and asks Asynq for a retry (Backoff) until the receiver
// answers 2xx, answers 410 Gone, or the retry window is over.
type Webhooks struct {
	store   *jobstore.Store
	secrets *webhook.SecretStore
	enqueue Enqueuer
	policy  webhook.Policy
	client  *webhook.Client
	backoff webhook.Backoff
	jitter  *webhook.Jitter
	timeout time.Duration
	every   time.Duration
	perPass int
	log     *zap.Logger
}

// Enqueuer puts tasks on a queue (*asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// DefaultOutboxPoll is how often each worker looks at the outbox.
const DefaultOutboxPoll = time.Second

// NewWebhooks returns the webhook dispatcher and delivery handler with
// the DFSOPT_WEBHOOK_* settings of cfg, enqueueing through enqueue and
// jittering retries with jitter.
func NewWebhooks(cfg config.Webhook, store *jobstore.Store, secrets *webhook.SecretStore, enqueue Enqueuer, jitter *webhook.Jitter, log *zap.Logger) *Webhooks {
	return &Webhooks{
		store: store, secrets: secrets, enqueue: enqueue,
		policy: cfg.Policy(), client: webhook.NewClient(cfg.Policy(), cfg.Timeout, nil),
		backoff: webhook.NewBackoff(cfg.RetryBase), jitter: jitter, timeout: cfg.Timeout,
		every: DefaultOutboxPoll, perPass: 100, log: log.With(zap.String("component", "webhooks")),
	}
}

// RetryDelay is the delay before retry n (0-based) of a webhook task.
func (w *Webhooks) RetryDelay(n int) time.Duration { return w.backoff.Delay(n, w.jitter.Next()) }

// Run dispatches outbox events every poll period until ctx is done.
func (w *Webhooks) Run(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := w.Dispatch(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("dispatch webhook events", zap.Error(err))
			}
		}
	}
}

// Dispatch moves up to one pass of outbox events into webhook tasks and
// returns how many it enqueued. An event whose job record is gone is
// dropped (the record's TTL has passed: nothing left to report).
func (w *Webhooks) Dispatch(ctx context.Context) (int, error) {
	ids, err := w.store.OutboxPending(ctx, w.perPass)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		j, err := w.store.Get(ctx, id)
		switch {
		case errors.Is(err, jobstore.ErrNotFound):
			if err := w.store.OutboxDone(ctx, id); err != nil {
				return n, err
			}
			continue
		case err != nil:
			return n, err
		case j.Webhook == nil || !j.Status.Final():
			w.log.Error("outbox entry of a job that is not final or has no webhook; dropped", zap.String("job_id", id), zap.String("status", string(j.Status)))
			if err := w.store.OutboxDone(ctx, id); err != nil {
				return n, err
			}
			continue
		}
		body, err := jobstore.EventBody(j)
		if err != nil {
			return n, err
		}
		t, err := task.NewWebhookTask(&task.WebhookPayload{
			EventID: task.WebhookEventID(id), JobID: id, Principal: j.Owner, URL: j.Webhook.URL, Body: body,
			FirstDispatch: w.store.Now().Unix(), RequestID: j.RequestID,
		}, w.backoff.MaxRetry(), w.timeout)
		if err != nil {
			return n, err
		}
		_, err = w.enqueue.EnqueueContext(ctx, t)
		switch {
		case err == nil:
			n++
			w.log.Info("webhook event dispatched", zap.String("job_id", id), zap.String("status", string(j.Status)), zap.String("request_id", j.RequestID))
		case errors.Is(err, asynq.ErrTaskIDConflict):
			// Dispatched before (by this or another worker): only the
			// outbox entry was left behind.
		default:
			return n, fmt.Errorf("enqueue webhook of job %s: %w", id, err)
		}
		if err := w.store.OutboxDone(ctx, id); err != nil {
			return n, err
		}
	}
	return n, nil
}

// ProcessTask makes one delivery attempt of a webhook task. It returns nil
// when the receiver accepted (2xx), an error wrapping asynq.SkipRetry when
// there is nothing more to try (410 Gone, a target the policy refuses, the
// retry window over, a broken payload), and a plain error, retried with
// RetryDelay, otherwise.
func (w *Webhooks) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := task.DecodeWebhookPayload(t.Payload())
	if err != nil {
		w.log.Error("dropping webhook task with a bad payload", zap.Error(err))
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	retry, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	host := ""
	if u, err := url.Parse(p.URL); err == nil {
		host = u.Host // never the whole URL: it may carry a token
	}
	log := w.log.With(zap.String("job_id", p.JobID), zap.String("request_id", p.RequestID),
		zap.String("webhook_id", p.EventID), zap.Int("attempt", retry+1), zap.String("host", host))
	now := w.store.Now()
	if now.After(time.Unix(p.FirstDispatch, 0).Add(w.backoff.Window)) {
		log.Warn("webhook not delivered within the retry window; giving up", zap.Duration("window", w.backoff.Window))
		return fmt.Errorf("webhook of job %s: retry window over: %w", p.JobID, asynq.SkipRetry)
	}
	secrets, err := w.secrets.SigningSecrets(ctx, p.Principal)
	if err != nil {
		return fmt.Errorf("webhook of job %s: %w", p.JobID, err)
	}
	// A URL the policy refuses (the settings changed since submission)
	// stays refused; an address refused when dialling may be a DNS answer
	// that changes, and is retried like any failure.
	var res webhook.Result
	_, refused := w.policy.CheckURL(p.URL)
	if refused != nil {
		res = webhook.Result{Err: refused}
	} else {
		res = w.client.Deliver(ctx, p.URL, secrets, webhook.Message{ID: p.EventID, Body: p.Body, Time: now})
	}
	d := jobstore.Delivery{Attempt: retry + 1, At: now, Status: res.Status, DurationMS: res.Duration.Milliseconds()}
	if res.Err != nil {
		d.Error = res.Err.Error()
	}
	if err := w.store.RecordDelivery(context.WithoutCancel(ctx), p.JobID, d); err != nil {
		log.Warn("cannot record the webhook delivery on the job", zap.Error(err))
	}
	fields := []zap.Field{zap.Int("http_status", res.Status), zap.Duration("duration", res.Duration)}
	if res.Err != nil {
		fields = append(fields, zap.String("error", res.Err.Error()))
	}
	switch {
	case res.Delivered():
		log.Info("webhook delivered", fields...)
		return nil
	case res.Gone():
		log.Info("webhook receiver answered 410 Gone; no more attempts", fields...)
		return fmt.Errorf("webhook of job %s: 410 Gone: %w", p.JobID, asynq.SkipRetry)
	case refused != nil:
		log.Warn("webhook target refused by the policy; no more attempts", fields...)
		return fmt.Errorf("webhook of job %s: %w", p.JobID, asynq.SkipRetry)
	case retry >= maxRetry:
		log.Warn("webhook not delivered; no more retries", fields...)
	default:
		log.Info("webhook attempt failed; will retry", fields...)
	}
	if res.Err != nil {
		return fmt.Errorf("webhook of job %s attempt %d: %w", p.JobID, retry+1, res.Err)
	}
	return fmt.Errorf("webhook of job %s attempt %d: HTTP %d", p.JobID, retry+1, res.Status)
}
