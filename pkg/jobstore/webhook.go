package jobstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Completion webhooks: a transactional outbox.
//
// A job submitted with a webhook_url keeps it on its record. Every script
// that makes a job final (Succeed, Fail, FailOrphan, Cancel) and Submit's
// script when it serves a result-cache hit also adds the job's id to
// OutboxKey, in the same atomic step, when the record has a webhook_url:
// no terminal path can forget its event, and no event exists for a
// transition that did not happen. The workers' dispatcher moves outbox
// entries into webhook tasks (one per job: the task id is derived from
// the job id) and the delivery task records each attempt on the job
// (RecordDelivery), shown as the job document's "webhook" object.

// OutboxKey is the sorted set of job ids whose terminal event awaits
// dispatch, scored by the time it was recorded (unix seconds). It has the
// job TTL, renewed on every event.
const OutboxKey = KeyPrefix + "webhook:outbox"

// MaxDeliveries caps the delivery attempts kept on a job record (the
// oldest are dropped).
const MaxDeliveries = 50

// Webhook is a job's completion webhook: its URL and the delivery
// attempts so far, oldest first.
type Webhook struct {
	URL        string     `json:"url"`
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery is one delivery attempt of a job's terminal event.
type Delivery struct {
	// Attempt counts from 1.
	Attempt int `json:"attempt"`
	// At is when the attempt started.
	At time.Time `json:"at"`
	// Status is the receiver's HTTP status (absent: no answer).
	Status int `json:"status,omitempty"`
	// Error is why there was no answer, or why the target was refused.
	Error string `json:"error,omitempty"`
	// DurationMS is how long the attempt took, in milliseconds.
	DurationMS int64 `json:"duration_ms"`
}

// outboxLua defines webhook_outbox(), called by the terminal scripts after
// they set a final status: when the record (KEYS[1]) has a webhook_url,
// its id goes into the outbox, which is the script's last key.
const outboxLua = `
local function webhook_outbox()
  if (redis.call('HGET', KEYS[1], 'webhook_url') or '') ~= '' then
    redis.call('ZADD', KEYS[#KEYS], redis.call('TIME')[1], redis.call('HGET', KEYS[1], 'id'))
    local ttl = redis.call('TTL', KEYS[1])
    if ttl > 0 then redis.call('EXPIRE', KEYS[#KEYS], ttl) end
  end
end
`

// webhookURL is the URL a job record keeps ("": none).
func webhookURL(j *Job) string {
	if j.Webhook == nil {
		return ""
	}
	return j.Webhook.URL
}

// deliveryField is the record field of the n-th recorded delivery.
func deliveryField(n int) string { return "webhook_delivery:" + strconv.Itoa(n) }

// parseWebhook reads the webhook of a record (nil: none).
func parseWebhook(m map[string]string) (*Webhook, error) {
	u := m["webhook_url"]
	if u == "" {
		return nil, nil
	}
	w := &Webhook{URL: u, Deliveries: []Delivery{}}
	n, _ := strconv.Atoi(m["webhook_deliveries"])
	for i := max(1, n-MaxDeliveries+1); i <= n; i++ {
		v, ok := m[deliveryField(i)]
		if !ok {
			continue
		}
		var d Delivery
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			return w, fmt.Errorf("job %s: bad webhook delivery %d: %w", m["id"], i, err)
		}
		w.Deliveries = append(w.Deliveries, d)
	}
	return w, nil
}

var recordDeliveryScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'webhook_deliveries', 1)
redis.call('HSET', KEYS[1], 'webhook_delivery:' .. n, ARGV[1])
local cap = tonumber(ARGV[2])
if n > cap then redis.call('HDEL', KEYS[1], 'webhook_delivery:' .. (n - cap)) end
return n`)

// RecordDelivery adds a delivery attempt to a job's record (keeping the
// last MaxDeliveries). A record that has expired meanwhile is left alone.
func (s *Store) RecordDelivery(ctx context.Context, id string, d Delivery) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("record webhook delivery of job %s: %w", id, err)
	}
	if err := recordDeliveryScript.Run(ctx, s.rdb, []string{JobKey(id)}, b, MaxDeliveries).Err(); err != nil {
		return fmt.Errorf("record webhook delivery of job %s: %w", id, err)
	}
	return nil
}

// OutboxPending returns up to limit job ids whose terminal event awaits
// dispatch, oldest first.
func (s *Store) OutboxPending(ctx context.Context, limit int) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, OutboxKey, 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("read webhook outbox: %w", err)
	}
	return ids, nil
}

// OutboxDone removes a dispatched (or undeliverable) event from the
// outbox.
func (s *Store) OutboxDone(ctx context.Context, id string) error {
	if err := s.rdb.ZRem(ctx, OutboxKey, id).Err(); err != nil {
		return fmt.Errorf("remove job %s from the webhook outbox: %w", id, err)
	}
	return nil
}

// ResultPath returns the path of a job's result document.
func ResultPath(id string) string { return "/v1/jobs/" + id + "/result" }

// StatusDocument returns j as the status document shows it: with its
// result URL when it succeeded.
func StatusDocument(j *Job) *Job {
	if j.Status == StatusSucceeded {
		j.ResultURL = ResultPath(j.ID)
	}
	return j
}

// EventBody returns the body of a job's webhook event: its status
// document (as GET /v1/jobs/{id} answers it) without the webhook object
// (its deliveries change with every attempt; the body must not).
func EventBody(j *Job) ([]byte, error) {
	c := *j
	c.Webhook = nil
	b, err := json.Marshal(StatusDocument(&c))
	if err != nil {
		return nil, fmt.Errorf("encode webhook event of job %s: %w", j.ID, err)
	}
	return b, nil
}
