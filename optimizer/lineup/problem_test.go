package lineup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// TestProblemBestMatchesOptimize: for random points vectors on the real
// slates, Best finds a lineup worth exactly what Optimize finds for one
// lineup with the points as projections, under the same constraints.
func TestProblemBestMatchesOptimize(t *testing.T) {
	sims := 20
	if testing.Short() {
		sims = 5
	}
	for _, tc := range []struct {
		salaries, projections string
		c                     schema.Constraints
	}{
		{nbaSalaries, nbaProjections, schema.Constraints{}},
		{nflSalaries, nflProjections, schema.Constraints{MaxPerTeam: 3,
			Stacks: []schema.Stack{{Positions: []string{"QB", "WR|TE"}}}}},
	} {
		t.Run(tc.salaries, func(t *testing.T) {
			req := loadProjected(t, tc.salaries, tc.projections, 1)
			req.Constraints = tc.c
			site, sport, mode, err := req.Normalized()
			if err != nil {
				t.Fatal(err)
			}
			rules, err := slate.RulesFor(site, sport, mode)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := NewProblem(context.Background(), rules, req.Players, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 1))
			points := make([]float64, len(req.Players))
			for sim := 0; sim < sims; sim++ {
				for i, p := range req.Players {
					points[i] = math.Round(math.Max(0, p.Projection*(1+0.4*rng.NormFloat64()))*100) / 100
				}
				got, err := pr.Best(context.Background(), points)
				if err != nil {
					t.Fatal(err)
				}
				one := *req
				one.Players = slices.Clone(req.Players)
				for i := range one.Players {
					one.Players[i].Projection = points[i]
				}
				res, err := Optimize(context.Background(), &one, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := res.Lineups[0]
				if len(got) != len(want.Players) {
					t.Fatalf("sim %d: %d players, want %d", sim, len(got), len(want.Players))
				}
				// ties may pick other players: compare values
				gotV := lineupValue(t, rules, one.Players, got)
				if math.Abs(gotV-want.Projection) > 1e-6 {
					t.Fatalf("sim %d: Best is worth %.4f, Optimize %.4f", sim, gotV, want.Projection)
				}
			}
		})
	}
}

// lineupValue is the projected points of a classic lineup given as player
// indices.
func lineupValue(t *testing.T, rules *slate.Rules, players []slate.Player, idx []int) float64 {
	t.Helper()
	v := 0.0
	for _, i := range idx {
		v += players[i].Projection
	}
	for _, s := range rules.Slots {
		if s.PointsMultiplier != 1 {
			t.Fatalf("lineupValue handles classic rosters only")
		}
	}
	return v
}

// TestProblemConcurrent: Best is safe for concurrent use and deterministic
// in value (run with -race).
func TestProblemConcurrent(t *testing.T) {
	req := loadProjected(t, nbaSalaries, nbaProjections, 1)
	rules, err := slate.RulesFor(slate.DraftKings, slate.NBA, slate.Classic)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := NewProblem(context.Background(), rules, req.Players, schema.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := pr.Best(context.Background(), projections(req.Players))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5; k++ {
				got, err := pr.Best(context.Background(), projections(req.Players))
				if err != nil {
					errs <- err
					return
				}
				if a, b := lineupValue(t, rules, req.Players, got), lineupValue(t, rules, req.Players, want); math.Abs(a-b) > 1e-6 {
					errs <- errors.New("concurrent Best differs in value")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func projections(players []slate.Player) []float64 {
	out := make([]float64, len(players))
	for i := range players {
		out[i] = players[i].Projection
	}
	return out
}

// TestProblemErrors: infeasible rules fail NewProblem with an
// InfeasibleError (job code infeasible); points of the wrong length fail Best.
func TestProblemErrors(t *testing.T) {
	pool, rules := tinyNFL(1)
	for i := range pool {
		pool[i].Salary = 3000
	}
	_, err := NewProblem(context.Background(), rules, pool, schema.Constraints{MinSalary: 49999})
	var ie *InfeasibleError
	if !errors.As(err, &ie) || ie.JobCode() != "infeasible" {
		t.Fatalf("want an InfeasibleError, got %v", err)
	}
	pool, rules = tinyNFL(1)
	pr, err := NewProblem(context.Background(), rules, pool, schema.Constraints{})
	if err != nil {
		t.Skipf("random slate without a lineup: %v", err)
	}
	if _, err := pr.Best(context.Background(), make([]float64, len(pool)-1)); err == nil {
		t.Fatal("want an error for points of the wrong length")
	}
	if _, err := NewProblem(context.Background(), nil, pool, schema.Constraints{}); err == nil {
		t.Fatal("want an error without rules")
	}
}

// TestProblemAgainstBruteForce: on small random slates of every site, sport
// and mode (captain formats included), the players Best returns make up an
// optimal lineup for random points, by full enumeration.
func TestProblemAgainstBruteForce(t *testing.T) {
	for _, fc := range formats {
		t.Run(fmt.Sprintf("%s-%s-%s", fc.site, fc.sport, fc.mode), func(t *testing.T) {
			r, err := slate.RulesFor(fc.site, fc.sport, fc.mode)
			if err != nil {
				t.Fatal(err)
			}
			var (
				rng  *rand.Rand
				pool []slate.Player
				pr   *Problem
			)
			for seed := uint64(0); pr == nil; seed++ { // the first random slate with a lineup
				if seed == 50 {
					t.Fatal("no random slate with a lineup")
				}
				rng = rand.New(rand.NewPCG(seed, 5))
				pool = randomSlate(rng, r, fc.n)
				var err error
				pr, err = NewProblem(context.Background(), r, pool, schema.Constraints{})
				var ie *InfeasibleError
				if err != nil && !errors.As(err, &ie) {
					t.Fatal(err)
				}
			}
			req := &schema.OptimizeRequest{Site: string(fc.site), Sport: string(fc.sport), Mode: string(fc.mode), Lineups: 1}
			for trial := 0; trial < 3; trial++ {
				points := make([]float64, len(pool))
				scored := slices.Clone(pool)
				for i := range points {
					points[i] = math.Round(rng.Float64()*300) / 10
					scored[i].Projection = points[i]
				}
				got, err := pr.Best(context.Background(), points)
				if err != nil {
					t.Fatal(err)
				}
				want, ok := oracleBest(r, req, scored, nil, nil, nil)
				if !ok {
					t.Fatal("oracle found no lineup")
				}
				byID := map[string]*slate.Player{}
				for i := range scored {
					byID[scored[i].ID] = &scored[i]
				}
				set := map[string]bool{}
				for _, i := range got {
					set[scored[i].ID] = true
				}
				best := math.Inf(-1)
				enumerate(r, scored, func(e entry) {
					if len(e.ids) != len(set) {
						return
					}
					for _, id := range e.ids {
						if !set[id] {
							return
						}
					}
					if checkLineup(r, req, byID, e) == nil {
						best = math.Max(best, oracleValue(r, byID, e))
					}
				})
				if math.Abs(best-want) > 1e-6 {
					t.Fatalf("trial %d: Best's players make at most %.4f, the optimum is %.4f", trial, best, want)
				}
			}
		})
	}
}
