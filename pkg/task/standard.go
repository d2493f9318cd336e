package task

import (
	"context"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Standard returns the registry of every job type dfsopt runs. opts give
// the compute functions their services (WithCalibrations); the gateway,
// which only decodes and validates, needs none.
func Standard(opts ...Option) *Registry {
	d := newDeps(opts)
	r, err := NewRegistry(
		Define[schema.OptimizeRequest, schema.OptimizeResult](Spec{
			Type: TypeOptimize, Path: "/v1/optimize", DefaultQueue: QueueDefault,
			DefaultTimeout: 5 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 3,
		}, func(r *schema.OptimizeRequest) schema.JobOptions { return r.JobOptions }, runOptimize),
		calibrateKind(d),
	)
	if err != nil {
		panic(err) // A programming error in the table above; caught by tests.
	}
	return r
}

func runOptimize(ctx context.Context, r *schema.OptimizeRequest, progress Progress) (*schema.OptimizeResult, error) {
	return lineup.Optimize(ctx, r, func(done, total int) { progress(done, total, "optimizing") })
}
