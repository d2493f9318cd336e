package simulate

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func mk(id, pos, team, opp string, sal int, proj, sd float64) slate.Player {
	return slate.Player{ID: id, Positions: []string{pos}, Team: team, Opponent: opp, Game: min(team, opp) + "@" + max(team, opp), Salary: sal, Projection: proj, StdDev: sd}
}

// TestSimOptimalExact: with exact (stddev 0) players the optimal lineup is
// the same in every sim, so its players have rate 1 and the others 0.
func TestSimOptimalExact(t *testing.T) {
	var ps []slate.Player
	for i, pos := range []string{"QB", "RB", "RB", "WR", "WR", "WR", "TE", "DST", "RB", "WR", "QB", "TE"} {
		teams := [][2]string{{"AAA", "BBB"}, {"BBB", "AAA"}, {"CCC", "DDD"}, {"DDD", "CCC"}}[i%4]
		team, opp := teams[0], teams[1]
		ps = append(ps, mk(string(rune('a'+i)), pos, team, opp, 5000, float64(20-i), 0))
	}
	req := &schema.SimulateRequest{Site: "draftkings", Sport: "nfl", Players: ps, Sims: 40, Seed: 1, SimOptimal: true}
	res, err := Run(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ones int
	for _, p := range res.Players {
		if p.SimOptimalRate == nil {
			t.Fatalf("%s: no rate", p.ID)
		}
		switch *p.SimOptimalRate {
		case 1:
			ones++
		case 0:
		default:
			t.Errorf("%s: rate %g", p.ID, *p.SimOptimalRate)
		}
	}
	if ones != 9 {
		t.Errorf("%d players always optimal, want 9", ones)
	}
	for _, id := range []string{"k", "l"} { // the worst QB and TE
		for _, p := range res.Players {
			if p.ID == id && *p.SimOptimalRate != 0 {
				t.Errorf("%s optimal", id)
			}
		}
	}
}

// TestSimOptimalRealSlate runs sim-optimal rates on the real NBA slate and
// reports the cost per optimal lineup.
func TestSimOptimalRealSlate(t *testing.T) {
	dir := "../../../shared/data/slates/dk-nba-2025-01-12/"
	if _, err := os.Stat(dir + "DKSalaries.csv"); err != nil {
		t.Skip("real slate not available")
	}
	sims := 200
	if testing.Short() {
		sims = 40
	}
	sal, err := os.Open(dir + "DKSalaries.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer sal.Close()
	proj, err := os.Open(dir + "projections.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer proj.Close()
	oreq, _, err := sitecsv.BuildOptimizeRequest(sal, proj, sitecsv.RequestOptions{Site: "draftkings", Sport: "nba"})
	if err != nil {
		t.Fatal(err)
	}
	req := &schema.SimulateRequest{Site: oreq.Site, Sport: oreq.Sport, Mode: oreq.Mode, Players: oreq.Players, Sims: sims, Seed: 3, SimOptimal: true}
	start := time.Now()
	res, err := Run(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	sum := 0.0
	for _, p := range res.Players {
		sum += *p.SimOptimalRate
	}
	if sum < 7.99 || sum > 8.01 {
		t.Errorf("rates sum to %g, want 8 (roster size)", sum)
	}
	t.Logf("%d players, %d sims with sim_optimal: %v (%.1f ms per optimal lineup, wall)", len(req.Players), sims, el, float64(el.Milliseconds())/float64(sims))
}
