package contest_test

import (
	"context"
	"fmt"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// A contest split into chunks of sims (as a fan-out over workers would run
// it) merges into exactly the single-run result.
func Example_fanOut() {
	var players []slate.Player
	for i, pos := range []string{"QB", "RB", "RB", "WR", "WR", "WR", "TE", "RB", "DST", "WR"} {
		team, opp := "AAA", "BBB"
		if i%2 == 1 {
			team, opp = "BBB", "AAA"
		}
		players = append(players, slate.Player{ID: fmt.Sprint("p", i), Positions: []string{pos}, Team: team, Opponent: opp,
			Salary: 5000, Projection: float64(10 + i), StdDev: 5})
	}
	req := &schema.ContestSimRequest{Site: "draftkings", Sport: "nfl", Players: players,
		Entries: [][]string{{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}},
		Field:   schema.FieldSpec{Lineups: [][]string{{"p0", "p1", "p2", "p3", "p4", "p9", "p6", "p7", "p8"}}},
		Contest: schema.ContestSpec{EntryFee: 10, Payouts: []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 18}}},
		Sims:    1000, Seed: 7}
	ctx := context.Background()
	prep, err := contest.Prepare(ctx, req)
	if err != nil {
		panic(err)
	}
	var parts []contest.Partial
	for start := 0; start < prep.Sims; start += 250 { // one task per chunk
		part, err := contest.RunChunk(ctx, prep, start, start+250)
		if err != nil {
			panic(err)
		}
		parts = append(parts, part)
	}
	merged, _ := contest.Merge(prep, parts)
	single, _ := contest.Simulate(ctx, req, nil)
	fmt.Println(merged.Entries[0].WinRate == single.Entries[0].WinRate, merged.Portfolio == single.Portfolio)
	// Output: true true
}
