// Package job provides the registry of dfsopt job kinds: for each job type
// its name, its submit route, how its request document is decoded and
// validated, and the compute that turns it into a result document. It is
// the one seam every job kind passes through: the gateway decodes with it,
// the workers run with it, the CLI runs it locally or names its route.
//
// Adding a job type is one compute package plus one Define call in
// Standard. The service limits of a kind (queue, timeouts, retries) are not
// here: they belong to the task contract in pkg/task.
//
// Failure codes come from the compute errors themselves: an error with a
// JobCode method (schema.ValidationError, lineup.InfeasibleError,
// calibrate.NotConvergedError) says how its job failed; Code maps any
// error to the code stored on the failed job.
package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Job failure codes (the "error.code" of a failed job).
const (
	// CodeInvalidRequest: the request document is invalid; the job's error
	// details name the fields.
	CodeInvalidRequest = "invalid_request"
	// CodeInfeasible: no lineup satisfies the request; the message names the
	// conflicting rules.
	CodeInfeasible = "infeasible"
	// CodeNotConverged: a calibration's chains did not converge; the message
	// names every failing parameter.
	CodeNotConverged = "not_converged"
	// CodeTimeout: the job did not finish within its time limit.
	CodeTimeout = "timeout"
	// CodeComputeFailed: the compute failed for another reason.
	CodeComputeFailed = "compute_failed"
	// CodeInternal: a bug (a panic, an unencodable result).
	CodeInternal = "internal"
)

// Coder is implemented by the errors that say how their job failed.
type Coder interface {
	// JobCode returns one of the Code constants.
	JobCode() string
}

// Code returns the failure code of a job whose compute returned err: the
// JobCode of the first error in its chain that has one, CodeTimeout for a
// passed deadline, else CodeComputeFailed.
func Code(err error) string {
	var c Coder
	switch {
	case errors.As(err, &c):
		return c.JobCode()
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	}
	return CodeComputeFailed
}

// Fielder is implemented by compute errors that name request fields (e.g.
// the conflicting rules of an infeasible optimize request).
type Fielder interface {
	FieldErrors() []schema.FieldError
}

// FieldErrors returns the request fields a failed job's error names: those
// of a *schema.ValidationError, or of a Fielder, in its chain.
func FieldErrors(err error) []schema.FieldError {
	var ve *schema.ValidationError
	var f Fielder
	switch {
	case errors.As(err, &ve):
		return ve.Errors
	case errors.As(err, &f):
		return f.FieldErrors()
	}
	return nil
}

// Progress receives a running job's progress: done of total steps in a
// named phase. It must be cheap and safe to call from any goroutine.
type Progress func(done, total int, phase string)

// Request is a decoded, validated request document of some kind.
type Request struct {
	// Doc is the typed document (e.g. *schema.OptimizeRequest).
	Doc any
	// Options are the document's job options (priority, timeout, webhook).
	Options schema.JobOptions
}

// Kind is one job type.
type Kind struct {
	// Type is the job's "type" (and the Asynq task type).
	Type string
	// Path is the gateway's submit route (e.g. "/v1/optimize").
	Path string
	// Decode parses and validates a request document; its errors are
	// *schema.ValidationError naming the field. A document naming a
	// slate_id is only parsed: CheckSlates validates it with the slate's
	// players (the gateway does before it enqueues), and Run resolves it.
	Decode func(body []byte) (*Request, error)
	// Run computes the result document of a decoded request.
	Run func(ctx context.Context, req *Request, progress Progress) (any, error)
}

// Define builds a Kind from a typed request document (decoded with
// schema.DecodeBytes, unknown fields refused, checked by its Validate
// method), a function returning its job options, and a typed compute.
func Define[Req any, Res any, PReq interface {
	*Req
	Validate() error
}](typ, path string, options func(PReq) schema.JobOptions, run func(context.Context, PReq, Progress) (*Res, error)) Kind {
	return Kind{
		Type: typ, Path: path,
		Decode: func(body []byte) (*Request, error) {
			doc := PReq(new(Req))
			if err := schema.DecodeBytes(body, doc); err != nil {
				return nil, err
			}
			// A document naming a slate_id is validated once its players
			// are read from the slate store (CheckSlates, Resolve).
			if id, inline := slateOf(doc); id != "" {
				if inline > 0 {
					return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "slate_id",
						Reason: schema.ReasonConflict, Message: "give players or slate_id, not both"}}}
				}
			} else if err := doc.Validate(); err != nil {
				return nil, err
			}
			return &Request{Doc: doc, Options: options(doc)}, nil
		},
		Run: func(ctx context.Context, r *Request, progress Progress) (any, error) {
			doc, ok := r.Doc.(PReq)
			if !ok {
				return nil, fmt.Errorf("%s: request is %T", typ, r.Doc)
			}
			return run(ctx, doc, progress)
		},
	}
}

// Registry is a set of job kinds, by type.
type Registry struct {
	kinds  []*Kind
	byType map[string]*Kind
}

// NewRegistry checks and indexes kinds.
func NewRegistry(kinds ...Kind) (*Registry, error) {
	r := &Registry{byType: make(map[string]*Kind, len(kinds))}
	paths := make(map[string]bool, len(kinds))
	for i := range kinds {
		k := &kinds[i]
		switch {
		case k.Type == "" || k.Path == "":
			return nil, fmt.Errorf("job kind %d: type and path are required", i)
		case k.Decode == nil || k.Run == nil:
			return nil, fmt.Errorf("job kind %s: decode and run are required", k.Type)
		case r.byType[k.Type] != nil:
			return nil, fmt.Errorf("job kind %s registered twice", k.Type)
		case paths[k.Path]:
			return nil, fmt.Errorf("job kind %s: path %s taken", k.Type, k.Path)
		}
		r.byType[k.Type] = k
		paths[k.Path] = true
		r.kinds = append(r.kinds, k)
	}
	return r, nil
}

// Lookup returns the kind of a job type.
func (r *Registry) Lookup(typ string) (*Kind, bool) {
	k, ok := r.byType[typ]
	return k, ok
}

// Kinds returns the kinds in registration order.
func (r *Registry) Kinds() []*Kind { return r.kinds }

// transientError marks an error worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Transient marks err as transient (a service the compute needs could not
// be reached): the job is retried. Errors are otherwise final.
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
