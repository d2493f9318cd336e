package lineup

import (
	"context"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"testing"
)

func benchSequence(b *testing.B, file string, n, minUnique int) {
	s := loadSlate(b, file, "draftkings")
	req := requestFor(s, n)
	req.Constraints.MinUnique = minUnique
	b.ReportAllocs()
	var nodes int64
	for b.Loop() {
		res, err := Optimize(context.Background(), req, nil)
		if err != nil {
			b.Fatal(err)
		}
		nodes = res.Stats.Nodes
		b.ReportMetric(float64(res.Stats.MemoryBytes), "lp-bytes")
	}
	b.ReportMetric(float64(nodes), "nodes")
}

// BenchmarkFirstLineupNFL is one optimal lineup on the real DK NFL main slate.
func BenchmarkFirstLineupNFL(b *testing.B) {
	benchSequence(b, "dk-nfl-2019-09-08/DKSalaries.csv", 1, 1)
}

// Benchmark150NFLUnique3 is 150 lineups with min_unique 3 on the real DK NFL main slate.
func Benchmark150NFLUnique3(b *testing.B) {
	benchSequence(b, "dk-nfl-2019-09-08/DKSalaries.csv", 150, 3)
}

// Benchmark150NFLUnique1 is the 150 best distinct lineups on the same slate.
func Benchmark150NFLUnique1(b *testing.B) {
	benchSequence(b, "dk-nfl-2019-09-08/DKSalaries.csv", 150, 1)
}

// Benchmark20NBAUnique3 is 20 lineups with min_unique 3 on the real DK NBA slate.
func Benchmark20NBAUnique3(b *testing.B) {
	benchSequence(b, "dk-nba-2025-01-12/DKSalaries.csv", 20, 3)
}

// Benchmark150NFLRandomness is 150 lineups with randomness 0.2 and min_unique 2.
func Benchmark150NFLRandomness(b *testing.B) {
	s := loadSlate(b, "dk-nfl-2019-09-08/DKSalaries.csv", "draftkings")
	req := requestFor(s, 150)
	req.Randomness = 0.2
	req.Seed = 1
	req.Constraints.MinUnique = 2
	for b.Loop() {
		res, err := Optimize(context.Background(), req, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Stats.Nodes), "nodes")
	}
}

// Benchmark20NFLStacks is 20 lineups with a QB+2 stack and bring-back, team
// limits, no opposing DST and a 50 % max exposure on the real slate.
func Benchmark20NFLStacks(b *testing.B) {
	s := loadSlate(b, "dk-nfl-2019-09-08/DKSalaries.csv", "draftkings")
	half := 0.5
	req := requestFor(s, 20)
	req.Constraints = schema.Constraints{MinUnique: 2, MaxPerTeam: 4, NoOpposingDefense: true, MaxExposure: &half,
		Stacks: []schema.Stack{{Positions: []string{"QB", "WR|TE", "WR|TE"}, BringBack: 1}}}
	for b.Loop() {
		res, err := Optimize(context.Background(), req, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Stats.Nodes), "nodes")
		b.ReportMetric(float64(res.Stats.LPRows), "rows")
	}
}
