// Package task provides the contract between the gateway and the workers:
// task type names, queue names, the task payload, and the service limits of
// every job kind (default queue, timeouts, retries) on top of the compute
// kinds of optimizer/job.
//
// Adding a job type is one compute kind in job.Standard plus one row of
// limits in Standard here: the gateway then accepts it on its path and the
// worker runs it.
package task

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Task types (the job types of optimizer/job).
const (
	TypeOptimize   = job.TypeOptimize
	TypeSimulate   = job.TypeSimulate
	TypeContestSim = job.TypeContestSim
	TypeOwnership  = job.TypeOwnership
	TypePortfolio  = job.TypePortfolio
	TypeCalibrate  = job.TypeCalibrate
)

// Queue names, highest priority first.
const (
	QueueCritical = schema.PriorityCritical
	QueueDefault  = schema.PriorityDefault
	QueueLow      = schema.PriorityLow
)

// Queues returns the queue names, highest priority first.
func Queues() []string { return []string{QueueCritical, QueueDefault, QueueLow} }

// HandlerOverhead is added to a job's compute timeout to get the Asynq task
// timeout, leaving the handler time to store the outcome.
const HandlerOverhead = 30 * time.Second

// Payload is the Asynq task payload of every job type.
type Payload struct {
	JobID string `json:"job_id"`
	// Request is the request document, as submitted (and validated).
	Request json.RawMessage `json:"request"`
	// Principal owns the job.
	Principal string `json:"principal"`
	// RequestID is the X-Request-ID of the submitting request.
	RequestID string `json:"request_id"`
	// Traceparent is the W3C trace context of the submitting request.
	Traceparent string `json:"traceparent,omitempty"`
	// Flags are the feature flags on for the job (as on its record).
	Flags []string `json:"flags,omitempty"`
}

// payloadHead is Payload without its request, for Encode.
type payloadHead struct {
	JobID       string   `json:"job_id"`
	Principal   string   `json:"principal"`
	RequestID   string   `json:"request_id"`
	Traceparent string   `json:"traceparent,omitempty"`
	Flags       []string `json:"flags,omitempty"`
}

// Encode returns the JSON of p, as json.Marshal would up to member order
// and the request's spacing: the request document goes in as it is, not
// re-compacted (json.Marshal scans and copies a RawMessage to validate
// and compact it, a sixth of a submission's cost in the gateway for a
// few-kB document). p.Request must be one JSON value, which it is once the
// request decoder has accepted it; surrounding space is trimmed.
func (p *Payload) Encode() ([]byte, error) {
	req := bytes.TrimSpace(p.Request)
	if len(req) == 0 {
		return nil, errors.New("encode task payload: no request")
	}
	head, err := json.Marshal(payloadHead{JobID: p.JobID, Principal: p.Principal, RequestID: p.RequestID,
		Traceparent: p.Traceparent, Flags: p.Flags})
	if err != nil {
		return nil, fmt.Errorf("encode task payload: %w", err)
	}
	const key = `,"request":`
	b := make([]byte, 0, len(head)+len(key)+len(req))
	b = append(b, head[:len(head)-1]...) // without the closing brace
	b = append(b, key...)
	b = append(b, req...)
	return append(b, '}'), nil
}

// DecodePayload parses a task payload.
func DecodePayload(b []byte) (*Payload, error) {
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode task payload: %w", err)
	}
	if p.JobID == "" || p.Principal == "" || len(p.Request) == 0 {
		return nil, errors.New("decode task payload: job_id, principal and request are required")
	}
	return &p, nil
}

// Limits are the service limits of a job kind.
type Limits struct {
	// DefaultQueue is used when the request names no priority.
	DefaultQueue string
	// DefaultTimeout bounds the compute when the request gives no
	// timeout_seconds; MaxTimeout caps what it may ask for.
	DefaultTimeout, MaxTimeout time.Duration
	// MaxRetry is how often a transient failure is retried.
	MaxRetry int
	// LockWindow: a request whose contest locks within this long from
	// submission (schema.JobOptions.LocksAt) goes to the critical queue
	// when it names no priority (0: lock times do not matter).
	LockWindow time.Duration
}

// Kind is a compute kind with its service limits.
type Kind struct {
	*job.Kind
	Limits
}

// Queue returns the queue a request submitted at now goes to: the
// priority it names; else critical when it is flagged time-sensitive or
// its contest locks within the kind's LockWindow; else the kind's default.
func (k *Kind) Queue(r *job.Request, now time.Time) string {
	o := r.Options
	switch {
	case o.Priority != "":
		return o.Priority
	case o.Urgent:
		return QueueCritical
	case o.LocksAt != nil && k.LockWindow > 0 && !o.LocksAt.Before(now) && o.LocksAt.Sub(now) <= k.LockWindow:
		return QueueCritical
	}
	return k.DefaultQueue
}

// Timeout returns the compute time limit of a request.
func (k *Kind) Timeout(r *job.Request) time.Duration {
	d := k.DefaultTimeout
	if s := r.Options.TimeoutSeconds; s > 0 {
		d = time.Duration(s) * time.Second
	}
	return min(d, k.MaxTimeout)
}

// NewTask builds the Asynq task of a job on queue (Queue's choice, made
// once at submission): task id = job id (so a job is enqueued at most
// once), explicit timeout and retry limit.
func (k *Kind) NewTask(p *Payload, r *job.Request, queue string) (*asynq.Task, error) {
	b, err := p.Encode()
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(k.Type, b,
		asynq.TaskID(p.JobID),
		asynq.Queue(queue),
		asynq.Timeout(k.Timeout(r)+HandlerOverhead),
		asynq.MaxRetry(k.MaxRetry),
	), nil
}

// SetLockWindow sets the LockWindow of the kinds that have one (contest
// runs and portfolio selections) to d; 0 makes lock times not matter. Call
// it while wiring, before serving.
func (r *Registry) SetLockWindow(d time.Duration) {
	for _, k := range r.kinds {
		if k.LockWindow > 0 {
			k.LockWindow = d
		}
	}
}

// Registry is the set of job kinds with their limits, by type.
type Registry struct {
	kinds []*Kind
	byTyp map[string]*Kind
}

// NewRegistry joins the compute kinds of reg with their limits; every kind
// needs limits, and limits need a kind.
func NewRegistry(reg *job.Registry, limits map[string]Limits) (*Registry, error) {
	r := &Registry{byTyp: make(map[string]*Kind, len(limits))}
	for _, jk := range reg.Kinds() {
		l, ok := limits[jk.Type]
		switch {
		case !ok:
			return nil, fmt.Errorf("task kind %s: no limits", jk.Type)
		case l.DefaultTimeout <= 0 || l.MaxTimeout < l.DefaultTimeout:
			return nil, fmt.Errorf("task kind %s: needs 0 < default timeout <= max timeout", jk.Type)
		case l.DefaultQueue != QueueCritical && l.DefaultQueue != QueueDefault && l.DefaultQueue != QueueLow:
			return nil, fmt.Errorf("task kind %s: unknown default queue %q", jk.Type, l.DefaultQueue)
		case l.MaxRetry < 0:
			return nil, fmt.Errorf("task kind %s: negative retries", jk.Type)
		}
		k := &Kind{Kind: jk, Limits: l}
		r.byTyp[k.Type] = k
		r.kinds = append(r.kinds, k)
	}
	if len(r.kinds) != len(limits) {
		return nil, errors.New("task kinds: limits given for a type that has no compute kind")
	}
	return r, nil
}

// Lookup returns the kind of a task type.
func (r *Registry) Lookup(typ string) (*Kind, bool) {
	k, ok := r.byTyp[typ]
	return k, ok
}

// Kinds returns the kinds in registration order.
func (r *Registry) Kinds() []*Kind { return r.kinds }

// Standard returns the registry of every dfsopt job type with its limits,
// computing with the given services (the worker gives the calibration
// cache; the gateway, which only decodes and validates, gives none).
func Standard(s job.Services) *Registry {
	r, err := NewRegistry(job.Standard(s), StandardLimits())
	if err != nil {
		panic(err) // A programming error in the table; caught by tests.
	}
	return r
}

// CalibrateTimeout bounds calibrate jobs: MCMC on a season of history
// takes minutes, so calibrations run on the low queue with a long explicit
// timeout (Asynq's 30-minute default would otherwise apply).
const CalibrateTimeout = time.Hour

// DefaultLockWindow is the LockWindow of contest_sim jobs: a contest run
// for a contest locking within two hours is time-sensitive.
const DefaultLockWindow = 2 * time.Hour

// StandardLimits returns the limits of every job type. Contest runs flagged
// time_sensitive, and contest runs and portfolio selections for a contest
// locking within DefaultLockWindow, go to the critical queue (Kind.Queue).
func StandardLimits() map[string]Limits {
	return map[string]Limits{
		TypeOptimize:   {DefaultQueue: QueueDefault, DefaultTimeout: 5 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 3},
		TypeSimulate:   {DefaultQueue: QueueDefault, DefaultTimeout: 5 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 2},
		TypeContestSim: {DefaultQueue: QueueDefault, DefaultTimeout: 10 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 2, LockWindow: DefaultLockWindow},
		TypeOwnership:  {DefaultQueue: QueueDefault, DefaultTimeout: time.Minute, MaxTimeout: 10 * time.Minute, MaxRetry: 3},
		TypePortfolio:  {DefaultQueue: QueueDefault, DefaultTimeout: 10 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 2, LockWindow: DefaultLockWindow},
		TypeCalibrate:  {DefaultQueue: QueueLow, DefaultTimeout: CalibrateTimeout, MaxTimeout: CalibrateTimeout, MaxRetry: 2},
	}
}
