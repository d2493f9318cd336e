package lineup

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/internal/cbc"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

const dataDir = "../../../shared/data/slates/"

// realSlates are the site files of ../shared/data with their site.
var realSlates = []struct {
	file string
	site slate.Site
}{
	{"dk-nfl-2019-09-08/DKSalaries.csv", slate.DraftKings},
	{"dk-nfl-2019-11-03/DKSalaries.csv", slate.DraftKings},
	{"dk-nfl-2023-11-26/DKSalaries.csv", slate.DraftKings},
	{"dk-nba-2025-01-12/DKSalaries.csv", slate.DraftKings},
	{"dk-mlb/DKSalaries.csv", slate.DraftKings},
	{"dk-nhl/DKSalaries.csv", slate.DraftKings},
	{"dk-nfl-showdown/DKSalaries-GB@CHI-2019-09-05.csv", slate.DraftKings},
	{"dk-nfl-showdown/DKSalaries-IND@HOU-2019-01-05.csv", slate.DraftKings},
	{"dk-nba-showdown/DKSalaries-BOS@DET-2022-02-26.csv", slate.DraftKings},
	{"dk-nba-showdown/DKSalaries-draftfast.csv", slate.DraftKings},
	{"fd/fd-nfl-2019-09-08.csv", slate.FanDuel},
	{"fd/fd-nfl-old-format.csv", slate.FanDuel},
	{"fd/fd-nfl-single-game.csv", slate.FanDuel},
	{"fd/fd-nba.csv", slate.FanDuel},
	{"fd/fd-mlb.csv", slate.FanDuel},
	{"fd/fd-mlb-full.csv", slate.FanDuel},
}

// loadSlate reads a real salary file, skipping loudly when ../shared is absent.
func loadSlate(t testing.TB, file string, site slate.Site) *sitecsv.Slate {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, file))
	if err != nil {
		t.Skipf("SKIPPING: real slate %s not available (%v); the brute-force tests still run", file, err)
	}
	defer f.Close()
	s, err := sitecsv.ReadSalaries(f, site, sitecsv.ImportOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

func requestFor(s *sitecsv.Slate, n int) *schema.OptimizeRequest {
	return &schema.OptimizeRequest{Site: string(s.Site), Sport: string(s.Sport), Mode: string(s.Mode),
		Players: s.Players, Lineups: n}
}

// TestRealSlatesMatchCBC optimizes every real slate and checks, against CBC
// solving its own independent formulation, the values of the top-N distinct
// lineups (min_unique 1, where tie-breaking cannot change the values); every
// lineup is also checked valid by the oracle's rule checker.
func TestRealSlatesMatchCBC(t *testing.T) {
	n := 5
	if testing.Short() {
		n = 2
	}
	if !cbc.Available() {
		if os.Getenv("CI") == "true" {
			t.Fatal("cbc (Debian coinor-cbc) is not installed but CI=true: the CBC cross-checks must run in CI")
		}
		t.Log("WARNING: cbc (Debian coinor-cbc) not installed: real slates are checked for validity only, not against CBC")
	}
	for _, rs := range realSlates {
		t.Run(rs.file, func(t *testing.T) {
			s := loadSlate(t, rs.file, rs.site)
			req := requestFor(s, n)
			res, err := Optimize(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := slate.RulesFor(s.Site, s.Sport, s.Mode)
			byID := map[string]*slate.Player{}
			idx := map[string]int{}
			for i := range s.Players {
				byID[s.Players[i].ID] = &s.Players[i]
				idx[s.Players[i].ID] = i
			}
			for i, lu := range res.Lineups {
				if err := checkLineup(r, req, byID, toEntry(r, lu)); err != nil {
					t.Fatalf("lineup %d invalid: %v", i+1, err)
				}
			}
			if !cbc.Available() {
				return
			}
			p := &cbc.Problem{Rules: r, Players: s.Players, MinUnique: 1}
			for i := 0; i < len(res.Lineups); i++ {
				sol, ok, err := cbc.Solve(context.Background(), p, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					t.Fatalf("cbc: lineup %d infeasible, optimizer found %.3f", i+1, res.Lineups[i].Projection)
				}
				if math.Abs(sol.Objective-res.Lineups[i].Projection) > 1e-4 {
					t.Fatalf("lineup %d: optimizer %.4f, cbc %.4f", i+1, res.Lineups[i].Projection, sol.Objective)
				}
				p.Previous = append(p.Previous, sol.Picks)
			}
			t.Logf("%d lineups match cbc: first %.3f, last %.3f (%s)", len(res.Lineups), res.Lineups[0].Projection,
				res.Lineups[len(res.Lineups)-1].Projection, fmt.Sprintf("%d players", len(s.Players)))
		})
	}
}

// requireCBC fails the test when cbc is missing in CI (CI=true), where the
// CBC cross-checks must run, and skips it loudly elsewhere.
func requireCBC(t *testing.T) {
	t.Helper()
	if cbc.Available() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("cbc (Debian coinor-cbc) is not installed but CI=true: the CBC cross-checks must run in CI")
	}
	t.Skip("SKIPPING: cbc (Debian coinor-cbc) not installed")
}

// checkStepsAgainstCBC optimizes req and, for each 1-based step in steps,
// has CBC solve that lineup given the optimizer's own lineups before it: the
// values must agree (ties may pick other players).
func checkStepsAgainstCBC(t *testing.T, req *schema.OptimizeRequest, steps []int) {
	t.Helper()
	res, err := Optimize(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Lineups) != req.Lineups {
		t.Fatalf("%d lineups, want %d", len(res.Lineups), req.Lineups)
	}
	site, sport, mode, _ := req.Normalized()
	r, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i := range req.Players {
		idx[req.Players[i].ID] = i
	}
	var previous [][][2]int
	for _, lu := range res.Lineups {
		var picks [][2]int
		e := toEntry(r, lu)
		for k, id := range e.ids {
			picks = append(picks, [2]int{idx[id], e.slots[k]})
		}
		previous = append(previous, picks)
	}
	for _, step := range steps {
		p := &cbc.Problem{Rules: r, Players: req.Players, MinUnique: max(1, req.Constraints.MinUnique), Previous: previous[:step-1]}
		start := time.Now()
		sol, ok, err := cbc.Solve(context.Background(), p, t.TempDir())
		if err != nil || !ok {
			t.Fatalf("cbc lineup %d: ok=%v err=%v", step, ok, err)
		}
		got := res.Lineups[step-1].Projection
		if math.Abs(sol.Objective-got) > 1e-4 {
			t.Fatalf("lineup %d: optimizer %.4f, cbc given the same previous lineups %.4f", step, got, sol.Objective)
		}
		t.Logf("lineup %d: %.4f, cbc agrees (%v)", step, got, time.Since(start).Round(time.Millisecond))
	}
}

// TestRealProjectionSequencesMatchCBC checks sampled steps of the benchmark
// sequences (150 lineups, min_unique 3, real projections on the DK NFL and
// NBA slates) against CBC given the optimizer's previous lineups.
func TestRealProjectionSequencesMatchCBC(t *testing.T) {
	requireCBC(t)
	steps := []int{1, 2, 10, 50, 150}
	if testing.Short() {
		steps = []int{1, 2, 10}
	}
	for _, tc := range []struct{ salaries, projections string }{
		{nflSalaries, nflProjections},
		{nbaSalaries, nbaProjections},
	} {
		t.Run(tc.projections, func(t *testing.T) {
			req := loadProjected(t, tc.salaries, tc.projections, 150)
			req.Constraints.MinUnique = 3
			checkStepsAgainstCBC(t, req, steps)
		})
	}
}

// TestSequenceMatchesCBCGivenOurLineups checks the sequential guarantee with
// min_unique 3 on the real NFL main slate: for each i, CBC solves lineup i
// given the optimizer's own lineups 1..i-1 and must find the same value
// (ties may pick other players, so CBC's own sequence can drift).
func TestSequenceMatchesCBCGivenOurLineups(t *testing.T) {
	requireCBC(t)
	n := 15
	if testing.Short() {
		n = 4
	}
	s := loadSlate(t, "dk-nfl-2019-09-08/DKSalaries.csv", slate.DraftKings)
	req := requestFor(s, n)
	req.Constraints.MinUnique = 3
	res, err := Optimize(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := slate.RulesFor(s.Site, s.Sport, s.Mode)
	idx := map[string]int{}
	for i := range s.Players {
		idx[s.Players[i].ID] = i
	}
	p := &cbc.Problem{Rules: r, Players: s.Players, MinUnique: 3}
	for i, lu := range res.Lineups {
		sol, ok, err := cbc.Solve(context.Background(), p, t.TempDir())
		if err != nil || !ok {
			t.Fatalf("cbc lineup %d: ok=%v err=%v", i+1, ok, err)
		}
		if math.Abs(sol.Objective-lu.Projection) > 1e-4 {
			t.Fatalf("lineup %d: optimizer %.4f, cbc given the same previous lineups %.4f", i+1, lu.Projection, sol.Objective)
		}
		var picks [][2]int
		e := toEntry(r, lu)
		for k, id := range e.ids {
			picks = append(picks, [2]int{idx[id], e.slots[k]})
		}
		p.Previous = append(p.Previous, picks)
	}
}
