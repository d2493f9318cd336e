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
	"slices"

	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
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
// outcome: the request's players with their simulated points as
// projections, one lineup under the site's roster rules. It is safe for
// concurrent use.
func Optimal(req *schema.SimulateRequest) outcome.OptimalFunc {
	index := make(map[string]int, len(req.Players))
	for i := range req.Players {
		index[req.Players[i].ID] = i
	}
	return func(ctx context.Context, points []float64) ([]int, error) {
		players := slices.Clone(req.Players)
		for i := range players {
			players[i].Projection = points[i]
		}
		res, err := lineup.Optimize(ctx, &schema.OptimizeRequest{Site: req.Site, Sport: req.Sport, Mode: req.Mode,
			Players: players, Lineups: 1}, nil)
		if err != nil {
			return nil, err
		}
		if len(res.Lineups) == 0 {
			return nil, fmt.Errorf("no feasible lineup")
		}
		out := make([]int, 0, len(res.Lineups[0].Players))
		for _, p := range res.Lineups[0].Players {
			if i, ok := index[p.ID]; ok && !slices.Contains(out, i) {
				out = append(out, i)
			}
		}
		return out, nil
	}
}
