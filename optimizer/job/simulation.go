package job

import (
	"context"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/ownership"
	"github.com/dfsopt/dfsopt/optimizer/portfolio"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/simulate"
)

// The request documents as job kinds decode them: the schema documents. A
// document naming a slate_id gets its players from the slate store before
// it is validated (see Resolve).
type (
	// SimulateDoc is a simulate request as the simulate kind decodes it.
	SimulateDoc struct{ schema.SimulateRequest }
	// ContestSimDoc is a contest-sim request as the contest_sim kind
	// decodes it.
	ContestSimDoc struct{ schema.ContestSimRequest }
	// OwnershipDoc is an ownership request as the ownership kind decodes it.
	OwnershipDoc struct{ schema.OwnershipRequest }
	// PortfolioDoc is a portfolio request as the portfolio kind decodes it.
	PortfolioDoc struct{ schema.PortfolioRequest }
)

// runSimulate is the simulate compute with the calibration applied: it
// resolves the request's calibration_id (an id, or "latest" of the
// request's sport) and simulates with it.
func (s Services) runSimulate(ctx context.Context, r *SimulateDoc, progress Progress) (*schema.SimulateResult, error) {
	cal, err := ResolveCalibration(ctx, s.Calibrations, r.Sport, r.CalibrationID)
	if err != nil {
		return nil, err
	}
	var hook outcome.OptimalFunc
	phase := "simulating"
	if cal != nil {
		phase += " (calibrated)"
	}
	if r.SimOptimal {
		hook = simulate.Optimal(&r.SimulateRequest)
		phase += " (with optimal lineups)"
	}
	return outcome.SimulateWith(ctx, &r.SimulateRequest, func(done, total int) { progress(done, total, phase) },
		outcome.Options{Calibration: cal, Optimal: hook})
}

// runContestSim is the contest_sim compute with the calibration applied:
// it resolves the request's calibration_id (an id, or "latest" of the
// request's sport) from the cache and simulates the contest with it.
func (s Services) runContestSim(ctx context.Context, r *ContestSimDoc, progress Progress) (*schema.ContestSimResult, error) {
	cal, err := ResolveCalibration(ctx, s.Calibrations, r.Sport, r.CalibrationID)
	if err != nil {
		return nil, err
	}
	phase := "simulating"
	if cal != nil {
		phase = "simulating (calibrated)"
	}
	return contest.SimulateWith(ctx, &r.ContestSimRequest, func(done, total int) { progress(done, total, phase) },
		contest.Options{Calibration: cal})
}

func runOwnership(ctx context.Context, r *OwnershipDoc, progress Progress) (*schema.OwnershipResult, error) {
	progress(0, 1, "projecting")
	return ownership.Project(ctx, &r.OwnershipRequest)
}

func (s Services) runPortfolio(ctx context.Context, r *PortfolioDoc, progress Progress) (*schema.PortfolioSelection, error) {
	cal, err := ResolveCalibration(ctx, s.Calibrations, r.Sport, r.CalibrationID)
	if err != nil {
		return nil, err
	}
	return portfolio.SelectWith(ctx, &r.PortfolioRequest, portfolio.Progress(progress), contest.Options{Calibration: cal})
}
