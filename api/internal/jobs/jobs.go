// Package jobs provides the gateway's job service: submit a request
// document as an Asynq task, read a principal's jobs and results, cancel.
// It knows nothing of HTTP.
package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/pkg/auth"
	"github.com/dfsopt/dfsopt/pkg/featureflag"
	"github.com/dfsopt/dfsopt/pkg/jobstore"
	"github.com/dfsopt/dfsopt/pkg/logging"
	"github.com/dfsopt/dfsopt/pkg/requestid"
	"github.com/dfsopt/dfsopt/pkg/task"
	"github.com/dfsopt/dfsopt/pkg/webhook"
)

// Errors callers branch on (besides jobstore.ErrNotFound and
// jobstore.ErrFinished, and *schema.ValidationError from Submit).
var (
	// ErrResultNotReady: the job has not succeeded (yet).
	ErrResultNotReady = errors.New("the job has no result")
	// ErrUnavailable: the queue could not be reached.
	ErrUnavailable = errors.New("the job queue is unavailable")
	// ErrIdempotencyConflict: the Idempotency-Key was used before with
	// another request (another body or another job type).
	ErrIdempotencyConflict = errors.New("this Idempotency-Key was already used with a different request; use a new key")
)

// TooManyJobsError: the principal already has Limit jobs queued or running.
type TooManyJobsError struct {
	// Limit is DFSOPT_MAX_ACTIVE_JOBS_PER_PRINCIPAL.
	Limit int
}

// Error names the limit.
func (e *TooManyJobsError) Error() string {
	return fmt.Sprintf("you already have %d jobs queued or running (the limit); wait for one to finish or cancel one", e.Limit)
}

// NotReadyError says why a job has no result: its status, and for a failed
// job the failure.
type NotReadyError struct {
	Status  jobstore.Status
	Failure *jobstore.JobError
}

// Error names the job's status (and its failure).
func (e *NotReadyError) Error() string {
	if e.Failure != nil {
		return fmt.Sprintf("the job is %s: %s", e.Status, e.Failure.Message)
	}
	return fmt.Sprintf("the job is %s: no result", e.Status)
}

// Unwrap returns ErrResultNotReady.
func (e *NotReadyError) Unwrap() error { return ErrResultNotReady }

// Enqueuer puts tasks on a queue (*asynq.Client).
type Enqueuer interface {
	EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Canceler removes queued tasks (*asynq.Inspector).
type Canceler interface {
	DeleteTask(queue, id string) error
}

// Service is the job service.
type Service struct {
	reg       *task.Registry
	store     *jobstore.Store
	queue     Enqueuer
	cancel    Canceler
	maxActive int
	slates    job.Slates
	flags     featureflag.Set
	webhooks  webhook.Policy
	// marks carries the ids of enqueued jobs to RunConfirmations while
	// batching is set.
	marks    chan string
	batching atomic.Bool
	// digests computes the result cache's keys.
	digests digester
}

// WithWebhooks makes Submit check webhook_url against policy
// (DFSOPT_WEBHOOK_ALLOW_PRIVATE, DFSOPT_WEBHOOK_ALLOWLIST) and returns s.
// Without it the zero policy applies: https URLs to public addresses.
func (s *Service) WithWebhooks(policy webhook.Policy) *Service {
	s.webhooks = policy
	return s
}

// WithFlags makes Submit turn on each feature flag of flags for its share
// of jobs, recorded on the job record and its task payload, and returns s.
func (s *Service) WithFlags(flags featureflag.Set) *Service {
	s.flags = flags
	return s
}

// LimitActive caps the queued plus running jobs of each principal (0, the
// default: no cap). Call it before serving.
func (s *Service) LimitActive(n int) { s.maxActive = n }

// New returns a job service.
func New(reg *task.Registry, store *jobstore.Store, queue Enqueuer, cancel Canceler) *Service {
	return &Service{reg: reg, store: store, queue: queue, cancel: cancel, marks: make(chan string, 4*maxConfirmBatch)}
}

// WithSlates makes Submit check the stored slates a request names (slate_id,
// calibrate's source.slate_ids) against the slate store, and returns s.
// Without it such requests are refused as invalid. Call it while wiring.
func (s *Service) WithSlates(slates job.Slates) *Service {
	s.slates = slates
	return s
}

// Submission is one request document to run as a job.
type Submission struct {
	// Kind is the job type, chosen by the route.
	Kind *task.Kind
	// Body is the request document as received.
	Body []byte
	// Principal submits, and will own, the job.
	Principal auth.Principal
	// Traceparent is the caller's W3C trace context, if any.
	Traceparent string
	// IdempotencyKey, when set (ValidIdempotencyKey), makes a repeated
	// submission of the same request by the same principal within the TTL
	// return the first job instead of a new one.
	IdempotencyKey string
	// ReplayOf is the job this submission re-runs, if any.
	ReplayOf string
	// NoCache makes the job compute even when an identical request's
	// result is in the result cache (Cache-Control: no-cache).
	NoCache bool
}

// ValidIdempotencyKey reports whether k is a usable Idempotency-Key: 1 to
// 255 printable ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// hexSHA256 returns the hex SHA-256 of the parts, each followed by a NUL.
func hexSHA256(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// keyHash returns the hex SHA-256 of an Idempotency-Key.
func keyHash(k string) string {
	sum := sha256.Sum256([]byte(k))
	return hex.EncodeToString(sum[:])
}

// idempotency is a submission's idempotency key in Redis and the hash of
// its request (job type and body).
type idempotency struct{ key, bodyHash string }

func idempotencyOf(sub Submission) *idempotency {
	if sub.IdempotencyKey == "" {
		return nil
	}
	return &idempotency{
		key:      jobstore.IdempotencyKey(sub.Principal.ID, keyHash(sub.IdempotencyKey)),
		bodyHash: hexSHA256([]byte(sub.Kind.Type), sub.Body),
	}
}

// claimedNow returns the job the idempotency key already names (nil, nil
// when none, or idem is nil), as claimed does.
func (s *Service) claimedNow(ctx context.Context, idem *idempotency, owner string) (*jobstore.Job, error) {
	if idem == nil {
		return nil, nil
	}
	c, err := s.store.LookupClaim(ctx, idem.key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if c == nil {
		return nil, nil
	}
	return s.claimed(ctx, idem, c, owner)
}

// claimed returns the job a claim names, marked as an idempotent replay:
// ErrIdempotencyConflict when the claim was made by another request; nil,
// nil when its job has expired (the stale claim is dropped).
func (s *Service) claimed(ctx context.Context, idem *idempotency, c *jobstore.Claim, owner string) (*jobstore.Job, error) {
	if c.BodyHash != idem.bodyHash {
		return nil, ErrIdempotencyConflict
	}
	j, err := s.store.GetOwned(ctx, c.JobID, owner)
	if errors.Is(err, jobstore.ErrNotFound) {
		return nil, s.store.ForgetClaim(ctx, idem.key, c.JobID)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	j.IdempotentReplay = true
	return j, nil
}

// Submit validates a request document, records a queued job and enqueues
// its task. Errors: *schema.ValidationError for a bad document or an
// unknown slate, *auth.ScopeError when it asks for priority critical
// without scope jobs:critical, *TooManyJobsError when the principal is at
// its cap of queued and running jobs, ErrUnavailable when Redis cannot be
// reached, the slate store's error when it cannot be reached.
func (s *Service) Submit(ctx context.Context, sub Submission) (*jobstore.Job, error) {
	idem := idempotencyOf(sub)
	if j, err := s.claimedNow(ctx, idem, sub.Principal.ID); j != nil || err != nil {
		return j, err
	}
	req, err := sub.Kind.Decode(sub.Body)
	if err != nil {
		return nil, err
	}
	hook, err := s.webhookOf(req)
	if err != nil {
		return nil, err
	}
	// Asking for the critical queue needs its own scope (a kind whose
	// default queue is critical does not).
	if req.Options.Priority == task.QueueCritical {
		if err := sub.Principal.Require(auth.ScopeJobsCritical); err != nil {
			return nil, err
		}
	}
	// A request naming stored slates is valid once they are found and its
	// document checks out with their players; the worker reads them again.
	if err := job.CheckSlates(ctx, s.slates, req); err != nil {
		return nil, err
	}
	j := &jobstore.Job{
		ID: NewJobID(), Type: sub.Kind.Type, Queue: sub.Kind.Queue(req, time.Now()),
		Owner: sub.Principal.ID, RequestID: requestid.From(ctx),
		Request: sub.Body, ReplayOf: sub.ReplayOf, Webhook: hook,
	}
	j.Flags = s.flags.For(j.ID)
	if req.Options.Cache == schema.CacheBypass {
		sub.NoCache = true // as Cache-Control: no-cache
	}
	j.CacheKey = s.cacheKeyOf(sub, req.Doc, j.Flags)
	t, err := sub.Kind.NewTask(&task.Payload{
		JobID: j.ID, Request: sub.Body, Principal: j.Owner, RequestID: j.RequestID, Traceparent: sub.Traceparent,
		Flags: j.Flags,
	}, req, j.Queue)
	if err != nil {
		return nil, err
	}
	// The record is created first (a worker must find it), and marked as
	// submitting in the same transaction; once the task is enqueued the
	// mark is cleared. A gateway that stalls or dies in between leaves the
	// mark, and the workers' reconciler (runner.Reconciler) fails the job if
	// its task never reached a queue: no job stays queued without a task.
	//
	// An identical request whose result is cached gets a job that has
	// already succeeded with it (no task, no active slot).
	if idem == nil {
		a, err := s.store.Submit(ctx, j, s.maxActive)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		switch a {
		case jobstore.AtLimit:
			return nil, &TooManyJobsError{Limit: s.maxActive}
		case jobstore.ServedFromCache:
			logging.From(ctx).Info("job served from the result cache", zap.String("job_id", j.ID), zap.String("type", j.Type))
			return j, nil
		}
	} else {
		// The record and the claim of the key are written together: of
		// concurrent identical submissions one creates (and enqueues) the
		// job, the others answer with it. Only the one takes an active
		// slot, once it has won the key.
		c, err := s.store.CreateOnce(ctx, j, idem.key, idem.bodyHash)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if c != nil {
			prior, err := s.claimed(ctx, idem, c, j.Owner)
			if prior == nil && err == nil {
				err = fmt.Errorf("%w: the job of this Idempotency-Key expired while submitting; try again", ErrUnavailable)
			}
			return prior, err
		}
		if err := s.admit(ctx, j); err != nil {
			s.undo(ctx, j, idem)
			return nil, err
		}
		if err := s.store.IndexAll(ctx, j); err != nil {
			logging.From(ctx).Warn("cannot add the job to the index of all jobs; admins will not see it listed", zap.String("job_id", j.ID), zap.Error(err))
		}
	}
	if _, err := s.queue.EnqueueContext(ctx, t); err != nil {
		s.release(ctx, j)
		s.undo(ctx, j, idem)
		return nil, fmt.Errorf("%w: enqueue %s: %w", ErrUnavailable, j.ID, err)
	}
	s.confirm(ctx, j.ID)
	logging.From(ctx).Info("job queued", zap.String("job_id", j.ID), zap.String("type", j.Type), zap.String("queue", j.Queue))
	return j, nil
}

// webhookOf checks a request's webhook_url against the target policy and
// returns the job's webhook (nil: none); a refused URL is a
// *schema.ValidationError naming webhook_url.
func (s *Service) webhookOf(req *job.Request) (*jobstore.Webhook, error) {
	u := req.Options.WebhookURL
	if u == nil || *u == "" {
		return nil, nil
	}
	if _, err := s.webhooks.CheckURL(*u); err != nil {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "webhook_url", Reason: schema.ReasonInvalid, Message: err.Error()}}}
	}
	return &jobstore.Webhook{URL: *u, Deliveries: []jobstore.Delivery{}}, nil
}

// Replay submits again the request document of one of the principal's jobs
// (any job's, for an admin), same seed included, as a new job the caller
// owns; a deterministic job gives the same result. A replay always
// computes (it bypasses the result cache). jobstore.ErrNotFound
// for others' jobs and for jobs whose record or request has expired;
// otherwise Submit's errors.
func (s *Service) Replay(ctx context.Context, p auth.Principal, id, traceparent string) (*jobstore.Job, error) {
	j, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	body, err := s.store.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	k, ok := s.reg.Lookup(j.Type)
	if !ok {
		return nil, fmt.Errorf("replay job %s: unknown job type %q", id, j.Type)
	}
	if k.Type == task.TypeCalibrate {
		if err := p.Require(auth.ScopeCalibrate); err != nil {
			return nil, err
		}
	}
	return s.Submit(ctx, Submission{Kind: k, Body: body, Principal: p, Traceparent: traceparent, ReplayOf: id, NoCache: true})
}

// admit takes one of the principal's active-job slots for j (when capped).
func (s *Service) admit(ctx context.Context, j *jobstore.Job) error {
	if s.maxActive == 0 {
		return nil
	}
	ok, err := s.store.Admit(ctx, j.Owner, j.ID, s.maxActive)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !ok {
		return &TooManyJobsError{Limit: s.maxActive}
	}
	return nil
}

// undo deletes the record (and frees the idempotency key) of a job that
// was not enqueued.
func (s *Service) undo(ctx context.Context, j *jobstore.Job, idem *idempotency) {
	ctx = context.WithoutCancel(ctx)
	if err := s.store.Delete(ctx, j.ID, j.Owner); err != nil {
		logging.From(ctx).Warn("cannot delete the record of a job that was not enqueued; the reconciler will fail it", zap.String("job_id", j.ID), zap.Error(err))
	}
	if idem != nil {
		if err := s.store.ForgetClaim(ctx, idem.key, j.ID); err != nil {
			logging.From(ctx).Warn("cannot drop the Idempotency-Key of a job that was not enqueued", zap.String("job_id", j.ID), zap.Error(err))
		}
	}
}

// release gives back a job's active slot after a failed submission.
func (s *Service) release(ctx context.Context, j *jobstore.Job) {
	if s.maxActive == 0 {
		return
	}
	if err := s.store.Release(context.WithoutCancel(ctx), j.Owner, j.ID); err != nil {
		logging.From(ctx).Warn("cannot release the active-job slot of a job that was not queued", zap.String("job_id", j.ID), zap.Error(err))
	}
}

// Get returns one of the principal's jobs, or any job for an admin
// (jobstore.ErrNotFound for others').
func (s *Service) Get(ctx context.Context, p auth.Principal, id string) (*jobstore.Job, error) {
	if !ValidJobID(id) {
		return nil, jobstore.ErrNotFound
	}
	if p.IsAdmin() {
		return s.store.Get(ctx, id)
	}
	return s.store.GetOwned(ctx, id, p.ID)
}

// List returns up to limit of the principal's jobs (every principal's
// for an admin), newest first.
func (s *Service) List(ctx context.Context, p auth.Principal, limit int) ([]*jobstore.Job, error) {
	if p.IsAdmin() {
		return s.store.ListAll(ctx, limit)
	}
	return s.store.List(ctx, p.ID, limit)
}

// ListPage returns a page of the principal's jobs (every principal's for an
// admin), newest first, filtered as o says (its Owner is set here), and
// the cursor of the next page; jobstore.ErrBadCursor for a bad cursor.
func (s *Service) ListPage(ctx context.Context, p auth.Principal, o jobstore.ListOptions) (*jobstore.Page, error) {
	o.Owner = p.ID
	if p.IsAdmin() {
		o.Owner = ""
	}
	return s.store.ListPage(ctx, o)
}

// Result returns the result document of one of the principal's succeeded
// jobs; a *NotReadyError when it has not succeeded.
func (s *Service) Result(ctx context.Context, p auth.Principal, id string) ([]byte, error) {
	j, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if j.Status != jobstore.StatusSucceeded {
		nr := &NotReadyError{Status: j.Status}
		if j.Status == jobstore.StatusFailed {
			nr.Failure = j.Error
		}
		return nil, nr
	}
	b, err := s.store.Result(ctx, id)
	if errors.Is(err, jobstore.ErrNoResult) {
		return nil, jobstore.ErrNotFound // expired between the two reads
	}
	return b, err
}

// Cancel cancels one of the principal's queued or running jobs (any job,
// for an admin) and returns it. The record is marked canceled first (the
// worker checks it); then the task is removed from its queue, or its
// handler interrupted (best effort).
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id string) (*jobstore.Job, error) {
	if !ValidJobID(id) {
		return nil, jobstore.ErrNotFound
	}
	owner := p.ID
	if p.IsAdmin() {
		j, err := s.store.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		owner = j.Owner
	}
	prev, err := s.store.Cancel(ctx, id, owner)
	if err != nil {
		return nil, err
	}
	j, err := s.store.GetOwned(ctx, id, owner)
	if err != nil {
		return nil, err
	}
	log := logging.From(ctx).With(zap.String("job_id", id))
	switch prev {
	case jobstore.StatusQueued, jobstore.StatusRunning:
		ids := []string{id}
		for i := range j.Chunks {
			ids = append(ids, task.ChunkTaskID(id, i))
		}
		for _, tid := range ids {
			s.stopTask(log, j.Queue, tid)
		}
		if j.Chunks > 0 {
			// The partials of the chunks done so far (a chunk finishing now
			// stores nothing: the job is no longer running).
			if err := s.store.DeleteFanOut(context.WithoutCancel(ctx), id, j.Chunks); err != nil {
				log.Warn("cannot delete the fan-out keys of a canceled job; they expire with the TTL", zap.Error(err))
			}
		}
		log.Info("job canceled", zap.String("was", string(prev)), zap.Int("chunks", j.Chunks))
	}
	return j, nil
}

// stopTask deletes a job's task (or one of its chunks) from its queue. A
// running task is left to the worker, which reads the job's cancel flag
// every 250 ms, stops the compute and ends the task as done. Asynq's
// CancelProcessing is not used: it cancels the handler's context, and Asynq
// then puts the task in retry whatever the handler returns, so the
// canceled job would be run again.
func (s *Service) stopTask(log *zap.Logger, queue, id string) {
	err := s.cancel.DeleteTask(queue, id)
	switch {
	case err == nil, errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
	default:
		// Active tasks cannot be deleted: the worker stops them.
		log.Debug("task not deleted (running?); the worker will notice the cancel flag", zap.String("task_id", id), zap.Error(err))
	}
}

// NewJobID returns a new random job id: "job_" and 32 hex digits.
func NewJobID() string { return "job_" + requestid.New() }

// ValidJobID reports whether id has the form NewJobID makes, so that other
// strings never reach Redis key names.
func ValidJobID(id string) bool {
	hex, ok := strings.CutPrefix(id, "job_")
	if !ok || len(hex) != 32 {
		return false
	}
	for _, c := range hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
