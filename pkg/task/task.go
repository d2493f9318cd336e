// Package task provides the contract between the gateway and the workers:
// task type names, queue names, the task payload, and the registry of job
// kinds (request decoding and validation, compute function, timeouts and
// default queue) that both sides dispatch through.
//
// Adding a job type is one Kind in Standard: the gateway then accepts it on
// Kind.Path and the worker runs it.
package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Task types.
const (
	TypeOptimize = "optimize"
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

// Progress receives a running job's progress.
type Progress func(done, total int, phase string)

// Request is a decoded, validated request document of some kind.
type Request struct {
	// Doc is the typed document (e.g. *schema.OptimizeRequest).
	Doc any
	// Options are the document's job options (priority, timeout, webhook).
	Options schema.JobOptions
}

// Kind describes one job type.
type Kind struct {
	// Type is the Asynq task type and the job's "type".
	Type string
	// Path is the submit route (e.g. "/v1/optimize").
	Path string
	// DefaultQueue is used when the request names no priority.
	DefaultQueue string
	// DefaultTimeout bounds the compute when the request gives no
	// timeout_seconds; MaxTimeout caps what it may ask for.
	DefaultTimeout, MaxTimeout time.Duration
	// MaxRetry is how often a transient failure is retried.
	MaxRetry int
	// Decode parses and validates a request document; errors are
	// *schema.ValidationError naming the field.
	Decode func(body []byte) (*Request, error)
	// Run computes the result document of a decoded request.
	Run func(ctx context.Context, req *Request, progress Progress) (any, error)
}

// Queue returns the queue a request goes to.
func (k *Kind) Queue(r *Request) string {
	if r.Options.Priority != "" {
		return r.Options.Priority
	}
	return k.DefaultQueue
}

// Timeout returns the compute time limit of a request.
func (k *Kind) Timeout(r *Request) time.Duration {
	d := k.DefaultTimeout
	if s := r.Options.TimeoutSeconds; s > 0 {
		d = time.Duration(s) * time.Second
	}
	return min(d, k.MaxTimeout)
}

// NewTask builds the Asynq task of a job: task id = job id (so a job is
// enqueued at most once), explicit timeout, retry limit and queue.
func (k *Kind) NewTask(p *Payload, r *Request) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode task payload: %w", err)
	}
	return asynq.NewTask(k.Type, b,
		asynq.TaskID(p.JobID),
		asynq.Queue(k.Queue(r)),
		asynq.Timeout(k.Timeout(r)+HandlerOverhead),
		asynq.MaxRetry(k.MaxRetry),
	), nil
}

// Spec is the static part of a Kind, for Define.
type Spec struct {
	// Type, Path and DefaultQueue are as in Kind.
	Type, Path, DefaultQueue string
	// DefaultTimeout and MaxTimeout bound the compute, as in Kind.
	DefaultTimeout, MaxTimeout time.Duration
	// MaxRetry is as in Kind.
	MaxRetry int
}

// Define builds a Kind from a typed request document (decoded with
// schema.Decode, checked with its Validate method), a function returning its
// job options, and a typed compute function.
func Define[Req any, Res any, PReq interface {
	*Req
	Validate() error
}](s Spec, options func(PReq) schema.JobOptions, run func(context.Context, PReq, Progress) (*Res, error)) Kind {
	return Kind{
		Type: s.Type, Path: s.Path, DefaultQueue: s.DefaultQueue,
		DefaultTimeout: s.DefaultTimeout, MaxTimeout: s.MaxTimeout, MaxRetry: s.MaxRetry,
		Decode: func(body []byte) (*Request, error) {
			doc := PReq(new(Req))
			if err := schema.DecodeBytes(body, doc); err != nil {
				return nil, err
			}
			if err := doc.Validate(); err != nil {
				return nil, err
			}
			return &Request{Doc: doc, Options: options(doc)}, nil
		},
		Run: func(ctx context.Context, r *Request, progress Progress) (any, error) {
			doc, ok := r.Doc.(PReq)
			if !ok {
				return nil, fmt.Errorf("%s: request is %T", s.Type, r.Doc)
			}
			return run(ctx, doc, progress)
		},
	}
}

// Registry is the set of job kinds, by type.
type Registry struct {
	kinds []*Kind
	byTyp map[string]*Kind
	// calibrations is the calibration cache of Standard's compute
	// functions (nil without WithCalibrations).
	calibrations Calibrations
}

// NewRegistry checks and indexes kinds.
func NewRegistry(kinds ...Kind) (*Registry, error) {
	r := &Registry{byTyp: make(map[string]*Kind, len(kinds))}
	for i := range kinds {
		k := &kinds[i]
		switch {
		case k.Type == "" || k.Path == "":
			return nil, fmt.Errorf("task kind %d: type and path are required", i)
		case k.Decode == nil || k.Run == nil:
			return nil, fmt.Errorf("task kind %s: decode and run are required", k.Type)
		case k.DefaultTimeout <= 0 || k.MaxTimeout < k.DefaultTimeout:
			return nil, fmt.Errorf("task kind %s: needs 0 < default timeout <= max timeout", k.Type)
		case k.DefaultQueue != QueueCritical && k.DefaultQueue != QueueDefault && k.DefaultQueue != QueueLow:
			return nil, fmt.Errorf("task kind %s: unknown default queue %q", k.Type, k.DefaultQueue)
		}
		if _, dup := r.byTyp[k.Type]; dup {
			return nil, fmt.Errorf("task kind %s registered twice", k.Type)
		}
		r.byTyp[k.Type] = k
		r.kinds = append(r.kinds, k)
	}
	return r, nil
}

// Lookup returns the kind of a task type.
func (r *Registry) Lookup(typ string) (*Kind, bool) {
	k, ok := r.byTyp[typ]
	return k, ok
}

// Calibrations returns the calibration cache the registry's compute
// functions resolve calibration_id with (WithCalibrations of Standard), or
// nil. The contest_sim fan-out uses it to resolve a job's calibration once
// and pin it for every chunk.
func (r *Registry) Calibrations() Calibrations { return r.calibrations }

// Kinds returns the kinds in registration order.
func (r *Registry) Kinds() []*Kind { return r.kinds }

// transientError marks an error worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Transient marks err as transient: the worker retries the task. Errors a
// compute function returns are otherwise final.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return &transientError{err: err}
}

// IsTransient reports whether err was marked with Transient.
func IsTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}
