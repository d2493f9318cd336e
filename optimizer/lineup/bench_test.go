package lineup

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
)

// The benchmarks run on real projections merged onto the sites' salary files
// the way `dfsopt optimize --salaries --projections` does: players the
// projections file does not cover stay in the pool at 0 points (the CLI's
// default, without --drop-unprojected). The NFL file covers 243 of the 720
// players of the 2019-09-08 main slate, the NBA file all 209 players.
const (
	nflSalaries    = "dk-nfl-2019-09-08/DKSalaries.csv"
	nflProjections = "dk-nfl-2019-09-08/projections_with_actuals.csv"
	nbaSalaries    = "dk-nba-2025-01-12/DKSalaries.csv"
	nbaProjections = "dk-nba-2025-01-12/projections.csv"
)

// loadProjected merges a real projections file onto a real DK salary file as
// the CLI does and returns a request for n lineups, skipping loudly when
// ../shared is absent.
func loadProjected(t testing.TB, salaries, projections string, n int) *schema.OptimizeRequest {
	t.Helper()
	sal, err := os.Open(filepath.Join(dataDir, salaries))
	if err != nil {
		t.Skipf("SKIPPING: real slate %s not available (%v)", salaries, err)
	}
	defer sal.Close()
	proj, err := os.Open(filepath.Join(dataDir, projections))
	if err != nil {
		t.Skipf("SKIPPING: real projections %s not available (%v)", projections, err)
	}
	defer proj.Close()
	req, _, err := sitecsv.BuildOptimizeRequest(sal, proj, sitecsv.RequestOptions{Site: "draftkings", Lineups: n})
	if err != nil {
		t.Fatalf("%s + %s: %v", salaries, projections, err)
	}
	return req
}

// benchOptimize optimizes req once per iteration and reports the nodes and
// the LP memory of the last run.
func benchOptimize(b *testing.B, req *schema.OptimizeRequest) {
	b.ReportAllocs()
	var res *schema.OptimizeResult
	for b.Loop() {
		var err error
		res, err = Optimize(context.Background(), req, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Lineups) != req.Lineups {
			b.Fatalf("%d lineups, want %d", len(res.Lineups), req.Lineups)
		}
	}
	b.ReportMetric(float64(res.Stats.Nodes), "nodes")
	b.ReportMetric(float64(res.Stats.MemoryBytes), "lp-bytes")
}

// BenchmarkFirstLineupNFL is one optimal lineup on the DK NFL main slate
// (real projections).
func BenchmarkFirstLineupNFL(b *testing.B) {
	benchOptimize(b, loadProjected(b, nflSalaries, nflProjections, 1))
}

// Benchmark150NFLUnique3 is 150 lineups with min_unique 3 on the DK NFL main
// slate (real projections).
func Benchmark150NFLUnique3(b *testing.B) {
	req := loadProjected(b, nflSalaries, nflProjections, 150)
	req.Constraints.MinUnique = 3
	benchOptimize(b, req)
}

// Benchmark150NFLUnique1 is the 150 best distinct lineups on the DK NFL main
// slate (real projections).
func Benchmark150NFLUnique1(b *testing.B) {
	benchOptimize(b, loadProjected(b, nflSalaries, nflProjections, 150))
}

// BenchmarkFirstLineupNBA is one optimal lineup on the DK NBA slate (real
// projections).
func BenchmarkFirstLineupNBA(b *testing.B) {
	benchOptimize(b, loadProjected(b, nbaSalaries, nbaProjections, 1))
}

// Benchmark150NBAUnique3 is 150 lineups with min_unique 3 on the DK NBA slate
// (real projections).
func Benchmark150NBAUnique3(b *testing.B) {
	req := loadProjected(b, nbaSalaries, nbaProjections, 150)
	req.Constraints.MinUnique = 3
	benchOptimize(b, req)
}

// Benchmark150NFLRandomness is 150 lineups with randomness 0.2 and
// min_unique 2 on the DK NFL main slate (real projections).
func Benchmark150NFLRandomness(b *testing.B) {
	req := loadProjected(b, nflSalaries, nflProjections, 150)
	req.Randomness = 0.2
	req.Seed = 1
	req.Constraints.MinUnique = 2
	benchOptimize(b, req)
}

// Benchmark20NFLStacks is 20 lineups with a QB+2 stack and bring-back, team
// limits, no opposing DST and a 50 % max exposure on the DK NFL main slate
// (real projections).
func Benchmark20NFLStacks(b *testing.B) {
	half := 0.5
	req := loadProjected(b, nflSalaries, nflProjections, 20)
	req.Constraints = schema.Constraints{MinUnique: 2, MaxPerTeam: 4, NoOpposingDefense: true, MaxExposure: &half,
		Stacks: []schema.Stack{{Positions: []string{"QB", "WR|TE", "WR|TE"}, BringBack: 1}}}
	benchOptimize(b, req)
}

// The AvgPPG benchmarks use the salary file's AvgPointsPerGame as the
// projection (336 of the 720 NFL players at 0): the figures the README quoted
// before it moved to real projections, kept for comparison only.

// BenchmarkAvgPPG150NFLUnique3 is 150 lineups with min_unique 3 on the DK NFL
// main slate with AvgPointsPerGame as projections (not real projections).
func BenchmarkAvgPPG150NFLUnique3(b *testing.B) {
	s := loadSlate(b, nflSalaries, "draftkings")
	req := requestFor(s, 150)
	req.Constraints.MinUnique = 3
	benchOptimize(b, req)
}
