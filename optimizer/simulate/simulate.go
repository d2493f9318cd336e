// Package simulate runs the simulate job: player outcome simulation
// (package outcome) with sim-optimal rates filled by the lineup optimizer
// (package lineup) through outcome's OptimalFunc hook.
//
// Limits. Every simulated outcome with sim_optimal costs one exact lineup
// optimization (site roster rules only: no user constraints), a few
// milliseconds on a main slate, so schema.MaxSimOptimalSims caps the sims of
// a sim_optimal request and the job's timeout bounds the rest.
package simulate

import (
	"context"
	"fmt"
	"sync"

	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Run simulates a request with inline players: outcome.SimulateWithOptimal
// with the lineup optimizer as the sim-optimal hook when req.SimOptimal is
// set.
func Run(ctx context.Context, req *schema.SimulateRequest, progress outcome.Progress) (*schema.SimulateResult, error) {
	var hook outcome.OptimalFunc
	if req.SimOptimal {
		hook = Optimal(req)
	}
	return outcome.SimulateWithOptimal(ctx, req, progress, hook)
}

// Optimal returns the hook that finds the optimal lineup of one simulated
// outcome: the request's players with their simulated points, one lineup
// under the site's roster rules. The lineup problem is prepared once, on the
// first call (lineup.NewProblem), and each outcome only sets its points
// (lineup.Problem.Best); a request whose rules admit no lineup fails every
// call with that error. It is safe for concurrent use.
func Optimal(req *schema.SimulateRequest) outcome.OptimalFunc {
	var (
		once sync.Once
		pr   *lineup.Problem
		err  error
	)
	prepare := func(ctx context.Context) {
		site, sport, mode, perr := req.Normalized()
		if perr != nil {
			err = fmt.Errorf("sim-optimal lineup: %w", perr)
			return
		}
		rules, rerr := slate.RulesFor(site, sport, mode)
		if rerr != nil {
			err = fmt.Errorf("sim-optimal lineup: %w", rerr)
			return
		}
		pr, err = lineup.NewProblem(ctx, rules, req.Players, schema.Constraints{})
		if err != nil {
			err = fmt.Errorf("sim-optimal lineup: %w", err)
		}
	}
	return func(ctx context.Context, points []float64) ([]int, error) {
		once.Do(func() { prepare(ctx) })
		if err != nil {
			return nil, err
		}
		return pr.Best(ctx, points)
	}
}
