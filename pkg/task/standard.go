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
		Define[SimulateDoc, schema.SimulateResult](Spec{
			Type: TypeSimulate, Path: "/v1/simulate", DefaultQueue: QueueDefault,
			DefaultTimeout: 5 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 2,
		}, func(r *SimulateDoc) schema.JobOptions { return r.JobOptions }, d.runSimulate),
		// Contest runs are time-sensitive (before lock): critical queue.
		Define[ContestSimDoc, schema.ContestSimResult](Spec{
			Type: TypeContestSim, Path: "/v1/contest-sim", DefaultQueue: QueueCritical,
			DefaultTimeout: 10 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 2,
		}, func(r *ContestSimDoc) schema.JobOptions { return r.JobOptions }, d.runContestSim),
		Define[OwnershipDoc, schema.OwnershipResult](Spec{
			Type: TypeOwnership, Path: "/v1/ownership", DefaultQueue: QueueDefault,
			DefaultTimeout: time.Minute, MaxTimeout: 10 * time.Minute, MaxRetry: 3,
		}, func(r *OwnershipDoc) schema.JobOptions { return r.JobOptions }, runOwnership),
		Define[PortfolioDoc, schema.PortfolioSelection](Spec{
			Type: TypePortfolio, Path: "/v1/portfolio", DefaultQueue: QueueDefault,
			DefaultTimeout: 10 * time.Minute, MaxTimeout: time.Hour, MaxRetry: 2,
		}, func(r *PortfolioDoc) schema.JobOptions { return r.JobOptions }, d.runPortfolio),
		calibrateKind(d),
	)
	if err != nil {
		panic(err) // A programming error in the table above; caught by tests.
	}
	r.calibrations = d.calibrations
	return r
}

func runOptimize(ctx context.Context, r *schema.OptimizeRequest, progress Progress) (*schema.OptimizeResult, error) {
	return lineup.Optimize(ctx, r, func(done, total int) { progress(done, total, "optimizing") })
}
