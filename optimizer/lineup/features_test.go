package lineup

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func tinyNFL(seed uint64) ([]slate.Player, *slate.Rules) {
	r, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	pool := randomSlate(rand.New(rand.NewPCG(seed, 7)), r, 20)
	for i := range pool {
		pool[i].Salary = pool[i].Salary * 8 / 10 / 100 * 100 // cheap enough that the cap leaves choices
	}
	return pool, r
}

// TestLateSwapAgainstBruteForce: started players keep their slots, other
// started players stay out, and the rest is optimal (full enumeration).
func TestLateSwapAgainstBruteForce(t *testing.T) {
	done := 0
	for seed := uint64(0); seed < 40 && done < 5; seed++ {
		pool, r := tinyNFL(seed)
		first, err := Optimize(context.Background(), &schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: pool, Lineups: 1}, nil)
		var ie *InfeasibleError
		if errors.As(err, &ie) {
			continue // random slate without a valid roster
		}
		if err != nil {
			t.Fatal(err)
		}
		done++
		var picks []schema.SlotPick
		for _, p := range first.Lineups[0].Players {
			picks = append(picks, schema.SlotPick{Slot: p.Slot, ID: p.ID})
		}
		started := pool[0].GameKey()
		// lower everyone's projection in the started game so swaps matter
		req := &schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: slices.Clone(pool),
			LateSwap: &schema.LateSwap{Lineups: [][]schema.SlotPick{picks}, StartedGames: []string{started}}}
		inFirst := map[string]bool{}
		for _, p := range picks {
			inFirst[p.ID] = true
		}
		for i := range req.Players {
			switch {
			case req.Players[i].GameKey() != started:
				req.Players[i].Projection *= 1 + 0.3*float64(i%3)
			case !inFirst[req.Players[i].ID]:
				req.Players[i].Projection *= 3 // tempting, but his game has started
			}
		}
		res, err := Optimize(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := res.Lineups[0]
		byID := map[string]*slate.Player{}
		for i := range req.Players {
			byID[req.Players[i].ID] = &req.Players[i]
		}
		// started players must stay in a slot of the same name (identical
		// slots are interchangeable)
		pinned := map[string]string{} // id -> slot name
		for _, p := range first.Lineups[0].Players {
			if byID[p.ID].GameKey() == started {
				pinned[p.ID] = p.Slot
			}
		}
		for id, slot := range pinned {
			k := slices.IndexFunc(got.Players, func(p schema.LineupPlayer) bool { return p.ID == id })
			if k < 0 || got.Players[k].Slot != slot {
				t.Fatalf("seed %d: started player %s left slot %s", seed, id, slot)
			}
		}
		ge := toEntry(r, got)
		if err := checkLineup(r, req, byID, ge); err != nil {
			t.Fatalf("seed %d: invalid late swap lineup: %v", seed, err)
		}
		best := math.Inf(-1)
		enumerate(r, req.Players, func(e entry) {
			for k, id := range e.ids {
				if byID[id].GameKey() == started && pinned[id] != r.Slots[e.slots[k]].Name {
					return
				}
			}
			for id := range pinned {
				if !slices.Contains(e.ids, id) {
					return
				}
			}
			if checkLineup(r, req, byID, e) == nil {
				best = math.Max(best, oracleValue(r, byID, e))
			}
		})
		if v := oracleValue(r, byID, ge); math.Abs(v-best) > 1e-6 {
			t.Fatalf("seed %d: late swap %.3f, best %.3f", seed, v, best)
		}
	}
	if done < 5 {
		t.Fatalf("only %d feasible random slates", done)
	}
}

// TestMinExposureHonoured: a min exposure is met exactly, or the request is
// refused naming the rule; never silently dropped.
func TestMinExposureHonoured(t *testing.T) {
	pool, _ := tinyNFL(3)
	// the weakest QB must be in at least 3 of 5 lineups
	weak := ""
	for _, p := range pool {
		if p.Positions[0] == "QB" && (weak == "" || p.Projection < pool[slices.IndexFunc(pool, func(q slate.Player) bool { return q.ID == weak })].Projection) {
			weak = p.ID
		}
	}
	minE := 0.6
	req := &schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: pool, Lineups: 5,
		Constraints: schema.Constraints{Exposures: map[string]schema.ExposureRange{weak: {Min: &minE}}}}
	for _, per := range []bool{false, true} {
		res, err := optimize(context.Background(), req, nil, per)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Exposures[weak]; got < minE-1e-9 {
			t.Fatalf("perLineup=%v: exposure of %s is %.2f, below the min %.2f", per, weak, got, minE)
		}
	}
	// two QBs both at 60 % cannot fit in one QB slot
	var qbs []string
	for _, p := range pool {
		if p.Positions[0] == "QB" {
			qbs = append(qbs, p.ID)
		}
	}
	req.Constraints.Exposures = map[string]schema.ExposureRange{qbs[0]: {Min: &minE}, qbs[1]: {Min: &minE}}
	_, err := Optimize(context.Background(), req, nil)
	var ie *InfeasibleError
	if !errors.As(err, &ie) || !strings.Contains(ie.Error(), "exposure") {
		t.Fatalf("want an InfeasibleError about exposures, got %v", err)
	}
}

// TestInfeasibleNamesRules: an impossible request names the rule to drop.
func TestInfeasibleNamesRules(t *testing.T) {
	pool, _ := tinyNFL(1)
	req := &schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: pool, Lineups: 1,
		Constraints: schema.Constraints{MinSalary: 50000, MaxSalary: 50000}}
	req.Constraints.MinSalary = 49999
	// min_salary 49999 with 100-unit salaries forces exactly 50000; make it impossible:
	for i := range req.Players {
		req.Players[i].Salary = 3000
	}
	_, err := Optimize(context.Background(), req, nil)
	var ie *InfeasibleError
	if !errors.As(err, &ie) || !slices.Contains(ie.Rules, "constraints.min_salary") {
		t.Fatalf("want infeasible naming constraints.min_salary, got %v", err)
	}
	// the service maps job failures through a JobCode() string method
	var coded interface{ JobCode() string }
	if !errors.As(err, &coded) || coded.JobCode() != "infeasible" {
		t.Fatalf("want job code infeasible, got %v", err)
	}
}

// TestValidationErrors: bad references are 4xx-style validation errors naming the field.
func TestValidationErrors(t *testing.T) {
	pool, _ := tinyNFL(1)
	cases := []struct {
		c     schema.Constraints
		field string
	}{
		{schema.Constraints{Locks: []string{"nobody"}}, "constraints.locks[0]"},
		{schema.Constraints{MinUnique: 12}, "constraints.min_unique"},
		{schema.Constraints{Stacks: []schema.Stack{{Positions: []string{"QB", "WR"}, Team: "ZZZ"}}}, "constraints.stacks[0].team"},
		{schema.Constraints{Exposures: map[string]schema.ExposureRange{"ghost": {}}}, "constraints.exposures.ghost"},
	}
	for _, tc := range cases {
		_, err := Optimize(context.Background(), &schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: pool, Lineups: 2, Constraints: tc.c}, nil)
		var ve *schema.ValidationError
		if !errors.As(err, &ve) || ve.Errors[0].Field != tc.field {
			t.Fatalf("%+v: want a validation error on %s, got %v", tc.c, tc.field, err)
		}
	}
}

// TestRandomnessReproducible: the same seed gives the same lineups, another
// seed other lineups, and every lineup stays valid.
func TestRandomnessReproducible(t *testing.T) {
	pool, r := tinyNFL(5)
	mk := func(seed uint64) *schema.OptimizeResult {
		req := &schema.OptimizeRequest{Site: "dk", Sport: "nfl", Players: pool, Lineups: 6, Randomness: 0.3, Seed: seed}
		res, err := Optimize(context.Background(), req, nil)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]*slate.Player{}
		for i := range pool {
			byID[pool[i].ID] = &pool[i]
		}
		for _, lu := range res.Lineups {
			if err := checkLineup(r, req, byID, toEntry(r, lu)); err != nil {
				t.Fatal(err)
			}
		}
		res.Stats = schema.OptimizeStats{}
		return res
	}
	a, b, c := mk(1), mk(1), mk(2)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different lineups")
	}
	if reflect.DeepEqual(a.Lineups, c.Lineups) {
		t.Fatal("different seeds gave identical lineups")
	}
}

// TestCancellation: a cancelled context stops the solve with its error.
func TestCancellation(t *testing.T) {
	s := loadSlate(t, "dk-nfl-2019-09-08/DKSalaries.csv", slate.DraftKings)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Optimize(ctx, requestFor(s, 150), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

// TestRealSlateConstraints: stacks with bring-back, team limits, no opposing
// DST and exposures on the real NFL main slate; every lineup valid.
func TestRealSlateConstraints(t *testing.T) {
	s := loadSlate(t, "dk-nfl-2019-09-08/DKSalaries.csv", slate.DraftKings)
	half := 0.5
	req := requestFor(s, 20)
	req.Constraints = schema.Constraints{MinUnique: 2, MaxPerTeam: 4, NoOpposingDefense: true, MaxExposure: &half,
		Stacks: []schema.Stack{{Positions: []string{"QB", "WR|TE", "WR|TE"}, BringBack: 1}}}
	res, err := Optimize(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := slate.RulesFor(s.Site, s.Sport, s.Mode)
	byID := map[string]*slate.Player{}
	for i := range s.Players {
		byID[s.Players[i].ID] = &s.Players[i]
	}
	for i, lu := range res.Lineups {
		if err := checkLineup(r, req, byID, toEntry(r, lu)); err != nil {
			t.Fatalf("lineup %d: %v", i+1, err)
		}
	}
	for id, e := range res.Exposures {
		if e > half+1e-9 {
			t.Fatalf("%s exposure %.2f above the max", id, e)
		}
	}
	if len(res.Lineups) != 20 {
		t.Fatalf("%d lineups", len(res.Lineups))
	}
}
