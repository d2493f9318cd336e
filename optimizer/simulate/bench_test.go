package simulate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
)

// realRequest is a sim-optimal simulate request on a real DK slate with
// real projections, skipping loudly when ../shared is absent.
func realRequest(b testing.TB, slateDir, projections string) *schema.SimulateRequest {
	dir := "../../../shared/data/slates/" + slateDir + "/"
	sal, err := os.Open(dir + "DKSalaries.csv")
	if err != nil {
		b.Skipf("SKIPPING: real slate %s not available (%v)", slateDir, err)
	}
	defer sal.Close()
	proj, err := os.Open(dir + projections)
	if err != nil {
		b.Skipf("SKIPPING: real projections not available (%v)", err)
	}
	defer proj.Close()
	oreq, _, err := sitecsv.BuildOptimizeRequest(sal, proj, sitecsv.RequestOptions{Site: "draftkings"})
	if err != nil {
		b.Fatal(err)
	}
	return &schema.SimulateRequest{Site: oreq.Site, Sport: oreq.Sport, Mode: oreq.Mode, Players: oreq.Players, SimOptimal: true}
}

// optimalPerRequest is the sim-optimal hook as it was before lineup.Problem:
// a fresh one-lineup optimize request per simulated outcome.
func optimalPerRequest(req *schema.SimulateRequest) func(ctx context.Context, points []float64) ([]int, error) {
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
		out := make([]int, 0, len(res.Lineups[0].Players))
		for _, p := range res.Lineups[0].Players {
			out = append(out, index[p.ID])
		}
		return out, nil
	}
}

// BenchmarkOptimal is one sim-optimal lineup per iteration on the real DK
// NBA and NFL slates, for simulated points (projection × (1 + 0.35 z)):
// request_per_call builds and optimizes a request document each time (the
// hook before lineup.Problem), problem reuses the prepared problem.
func BenchmarkOptimal(b *testing.B) {
	for _, sl := range []struct{ dir, projections string }{
		{"dk-nba-2025-01-12", "projections.csv"},
		{"dk-nfl-2019-09-08", "projections_with_actuals.csv"},
	} {
		req := realRequest(b, sl.dir, sl.projections)
		rng := rand.New(rand.NewPCG(1, 2))
		draws := make([][]float64, 64)
		for k := range draws {
			draws[k] = make([]float64, len(req.Players))
			for i, p := range req.Players {
				draws[k][i] = math.Max(0, p.Projection*(1+0.35*rng.NormFloat64()))
			}
		}
		for _, hook := range []struct {
			name string
			f    func(ctx context.Context, points []float64) ([]int, error)
		}{
			{"request_per_call", optimalPerRequest(req)},
			{"problem", Optimal(req)},
		} {
			b.Run(fmt.Sprintf("%s/%s", sl.dir, hook.name), func(b *testing.B) {
				k := 0
				for b.Loop() {
					if _, err := hook.f(context.Background(), draws[k%len(draws)]); err != nil {
						b.Fatal(err)
					}
					k++
				}
			})
		}
	}
}
