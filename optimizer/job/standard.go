package job

import (
	"context"

	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Job types.
const (
	TypeOptimize   = "optimize"
	TypeSimulate   = "simulate"
	TypeContestSim = "contest_sim"
	TypeOwnership  = "ownership"
	TypePortfolio  = "portfolio"
	TypeCalibrate  = "calibrate"
)

// Services are what the compute functions need from outside the process.
// The zero value is valid: calibrations are then computed every time, and
// a calibration_id or a slate_id cannot be resolved (a job naming one fails
// as invalid_request).
type Services struct {
	// Calibrations is the calibration cache: calibrate jobs store their
	// results there and answer identical requests from it; simulations
	// resolve calibration_id through it.
	Calibrations Calibrations
	// Slates is the slate store: a request naming a slate_id gets its
	// players from it, and calibrate's source.slate_ids its history rows.
	Slates Slates
	// Warn, when set, hears of service problems the compute worked around
	// (e.g. a calibration cache that could not be written); the worker logs
	// them.
	Warn func(ctx context.Context, msg string, err error)
	// Phase, when set, marks a phase of a job's compute that talks to a
	// service (e.g. "load slate"): it returns the context the phase runs in
	// and the function ending it. The worker makes a trace span of it.
	Phase func(ctx context.Context, name string) (context.Context, func())
}

// phase starts a named phase (see Services.Phase).
func (s Services) phase(ctx context.Context, name string) (context.Context, func()) {
	if s.Phase == nil {
		return ctx, func() {}
	}
	return s.Phase(ctx, name)
}

func (s Services) warn(ctx context.Context, msg string, err error) {
	if s.Warn != nil {
		s.Warn(ctx, msg, err)
	}
}

// Standard returns the registry of every job type dfsopt runs, computing
// with the given services. The gateway, which only decodes and validates,
// needs none.
func Standard(s Services) *Registry {
	r, err := NewRegistry(
		Define[schema.OptimizeRequest, schema.OptimizeResult](TypeOptimize, "/v1/optimize",
			func(r *schema.OptimizeRequest) schema.JobOptions { return r.JobOptions }, resolving(s, runOptimize)),
		Define[SimulateDoc, schema.SimulateResult](TypeSimulate, "/v1/simulate",
			func(r *SimulateDoc) schema.JobOptions { return r.JobOptions }, resolving(s, s.runSimulate)),
		Define[ContestSimDoc, schema.ContestSimResult](TypeContestSim, "/v1/contest-sim",
			func(r *ContestSimDoc) schema.JobOptions { return r.Options() }, resolving(s, s.runContestSim)),
		Define[OwnershipDoc, schema.OwnershipResult](TypeOwnership, "/v1/ownership",
			func(r *OwnershipDoc) schema.JobOptions { return r.JobOptions }, resolving(s, runOwnership)),
		Define[PortfolioDoc, schema.PortfolioSelection](TypePortfolio, "/v1/portfolio",
			func(r *PortfolioDoc) schema.JobOptions { o := r.JobOptions; o.LocksAt = r.Contest.LockTime; return o }, resolving(s, s.runPortfolio)),
		Define[CalibrateDoc, schema.CalibrateResult](TypeCalibrate, "/v1/calibrate",
			func(r *CalibrateDoc) schema.JobOptions { return r.JobOptions }, resolving(s, s.runCalibrate)),
	)
	if err != nil {
		panic(err) // A programming error in the table above; caught by tests.
	}
	return r
}

func runOptimize(ctx context.Context, r *schema.OptimizeRequest, progress Progress) (*schema.OptimizeResult, error) {
	return lineup.Optimize(ctx, r, func(done, total int) { progress(done, total, "optimizing") })
}
