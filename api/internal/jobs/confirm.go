package jobs

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/pkg/logging"
)

// maxConfirmBatch caps the submitting marks cleared by one command.
const maxConfirmBatch = 1024

// confirm clears the submitting mark of a job whose task is enqueued: in
// the background in batches while RunConfirmations runs (one command for
// all the submissions that finished meanwhile, instead of one round trip
// each), else at once. A mark left behind is harmless: the reconciler
// finds the job's task and clears it.
func (s *Service) confirm(ctx context.Context, id string) {
	if s.batching.Load() {
		select {
		case s.marks <- id:
			return
		default: // the batcher is behind: clear this one now
		}
	}
	if err := s.store.Enqueued(context.WithoutCancel(ctx), id); err != nil {
		// The task is queued: the job runs. The reconciler clears the mark.
		logging.From(ctx).Warn("cannot clear the submitting mark of a queued job", zap.String("job_id", id), zap.Error(err))
	}
}

// RunConfirmations clears the submitting marks of enqueued jobs in batches
// until ctx is done, then clears those still pending and returns. Run it
// for the life of the gateway and stop it after the HTTP server has
// stopped (submissions after it returns clear their marks themselves).
func (s *Service) RunConfirmations(ctx context.Context, log *zap.Logger) {
	s.batching.Store(true)
	batch := make([]string, 0, maxConfirmBatch)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.store.EnqueuedMany(fctx, batch); err != nil {
			log.Warn("cannot clear the submitting marks of queued jobs; the reconciler will", zap.Int("jobs", len(batch)), zap.Error(err))
		}
		batch = batch[:0]
	}
	// take moves the marks waiting now into the batch; false when none.
	take := func() bool {
		for len(batch) < maxConfirmBatch {
			select {
			case id := <-s.marks:
				batch = append(batch, id)
			default:
				return len(batch) > 0
			}
		}
		return true
	}
	for {
		select {
		case <-ctx.Done():
			s.batching.Store(false)
			for take() {
				flush()
			}
			return
		case id := <-s.marks:
			batch = append(batch, id)
			take()
			flush()
		}
	}
}
