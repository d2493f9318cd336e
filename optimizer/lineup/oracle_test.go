package lineup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// This file is the independent oracle: it validates lineups straight from the
// site rules and the request, and finds optimal lineups by enumerating every
// roster of a small slate. It shares no code with the solver.

// entry is a lineup as (player id, slot index) pairs.
type entry struct {
	ids   []string
	slots []int
}

// key identifies a player in a slot class for uniqueness (captain vs flex).
func entryKeys(r *slate.Rules, e entry) []string {
	out := make([]string, len(e.ids))
	for k, id := range e.ids {
		s := r.Slots[e.slots[k]]
		out[k] = fmt.Sprintf("%s@%g/%g", id, s.PointsMultiplier, s.SalaryMultiplier)
	}
	return out
}

func toEntry(r *slate.Rules, lu schema.Lineup) entry {
	var e entry
	used := make([]bool, len(r.Slots))
	for _, p := range lu.Players {
		for si, s := range r.Slots {
			if !used[si] && s.Name == p.Slot {
				used[si] = true
				e.ids = append(e.ids, p.ID)
				e.slots = append(e.slots, si)
				break
			}
		}
	}
	return e
}

// oracleValue is the projected points of an entry.
func oracleValue(r *slate.Rules, byID map[string]*slate.Player, e entry) float64 {
	v := 0.0
	for k, id := range e.ids {
		v += byID[id].Projection * r.Slots[e.slots[k]].PointsMultiplier
	}
	return v
}

// checkLineup validates an entry against the rules and the request's static
// constraints (not exposures or uniqueness).
func checkLineup(r *slate.Rules, req *schema.OptimizeRequest, byID map[string]*slate.Player, e entry) error {
	c := req.Constraints
	if len(e.ids) != len(r.Slots) {
		return fmt.Errorf("%d players for %d slots", len(e.ids), len(r.Slots))
	}
	seenSlot := map[int]bool{}
	seenID := map[string]bool{}
	salary := 0
	teams := map[string]int{}
	games := map[string]bool{}
	for k, id := range e.ids {
		p := byID[id]
		if p == nil {
			return fmt.Errorf("unknown player %s", id)
		}
		if seenID[id] {
			return fmt.Errorf("player %s twice", id)
		}
		seenID[id] = true
		si := e.slots[k]
		if seenSlot[si] {
			return fmt.Errorf("slot %d twice", si)
		}
		seenSlot[si] = true
		if !r.Slots[si].Accepts(p.Positions) {
			return fmt.Errorf("%s (%v) cannot play %s", id, p.Positions, r.Slots[si].Name)
		}
		if slices.Contains(c.Excludes, id) {
			return fmt.Errorf("excluded %s used", id)
		}
		salary += r.SlotSalary(p, si)
		games[p.GameKey()] = true
		counts := len(r.TeamLimitExempt) == 0
		for _, pos := range p.Positions {
			if !slices.Contains(r.TeamLimitExempt, pos) {
				counts = true
			}
		}
		if counts {
			teams[p.Team]++
		}
	}
	capSal := r.SalaryCap
	if c.MaxSalary > 0 && c.MaxSalary < capSal {
		capSal = c.MaxSalary
	}
	if salary > capSal || salary < c.MinSalary {
		return fmt.Errorf("salary %d outside [%d,%d]", salary, c.MinSalary, capSal)
	}
	limit := r.MaxPerTeam
	if c.MaxPerTeam > 0 && (limit == 0 || c.MaxPerTeam < limit) {
		limit = c.MaxPerTeam
	}
	for t, n := range teams {
		if limit > 0 && n > limit {
			return fmt.Errorf("%d players from %s", n, t)
		}
	}
	allTeams := map[string]bool{}
	for _, id := range e.ids {
		allTeams[byID[id].Team] = true
	}
	if len(games) < max(r.MinGames, c.MinGames) {
		return fmt.Errorf("%d games", len(games))
	}
	if len(allTeams) < r.MinTeams {
		return fmt.Errorf("%d teams", len(allTeams))
	}
	for _, id := range c.Locks {
		if !seenID[id] {
			return fmt.Errorf("lock %s missing", id)
		}
	}
	if c.NoOpposingDefense {
		for _, d := range e.ids {
			if !allIn(byID[d].Positions, r.DefensePositions) {
				continue
			}
			for _, o := range e.ids {
				if o != d && !allIn(byID[o].Positions, r.DefensePositions) && byID[o].Team == byID[d].Opponent {
					return fmt.Errorf("%s faces own defense %s", o, d)
				}
			}
		}
	}
	if !stacksHold(r, c.Stacks, byID, e) {
		return fmt.Errorf("stacks not satisfied")
	}
	return nil
}

func allIn(a, set []string) bool {
	if len(set) == 0 {
		return false
	}
	for _, x := range a {
		if !slices.Contains(set, x) {
			return false
		}
	}
	return true
}

// stacksHold checks every stack with distinct teams, by brute force.
func stacksHold(r *slate.Rules, stacks []schema.Stack, byID map[string]*slate.Player, e entry) bool {
	if len(stacks) == 0 {
		return true
	}
	teamSet := map[string]bool{}
	for _, p := range byID {
		teamSet[p.Team] = true
	}
	var teams []string
	for t := range teamSet {
		teams = append(teams, t)
	}
	slices.Sort(teams)
	var rec func(k int, used map[string]bool) bool
	rec = func(k int, used map[string]bool) bool {
		if k == len(stacks) {
			return true
		}
		for _, t := range teams {
			if used[t] || !stackHolds(r, stacks[k], t, byID, e) {
				continue
			}
			used[t] = true
			ok := rec(k+1, used)
			delete(used, t)
			if ok {
				return true
			}
		}
		return false
	}
	return rec(0, map[string]bool{})
}

func stackHolds(r *slate.Rules, st schema.Stack, team string, byID map[string]*slate.Player, e entry) bool {
	if st.Team != "" && !strings.EqualFold(st.Team, "any") && st.Team != team {
		return false
	}
	var entries [][]string
	for _, s := range st.Positions {
		entries = append(entries, strings.Split(s, "|"))
	}
	if st.Size > 0 && (len(entries) == 0 || len(entries) != st.Size) {
		var set []string
		if len(entries) > 0 {
			for _, x := range entries {
				set = append(set, x...)
			}
		} else {
			for _, s := range r.Slots {
				for _, p := range s.Eligible {
					if !slices.Contains(r.DefensePositions, p) {
						set = append(set, p)
					}
				}
			}
		}
		entries = nil
		for k := 0; k < st.Size; k++ {
			entries = append(entries, set)
		}
	}
	var mates []*slate.Player
	opp := ""
	for _, id := range e.ids {
		if p := byID[id]; p.Team == team {
			mates = append(mates, p)
		}
	}
	for _, p := range byID {
		if p.Team == team {
			opp = p.Opponent
		}
	}
	// match entries to distinct teammates
	used := make([]bool, len(mates))
	var match func(k int) bool
	match = func(k int) bool {
		if k == len(entries) {
			return true
		}
		for i, p := range mates {
			if used[i] || !anyOf(p.Positions, entries[k]) {
				continue
			}
			used[i] = true
			if match(k + 1) {
				used[i] = false
				return true
			}
			used[i] = false
		}
		return false
	}
	if !match(0) {
		return false
	}
	if st.BringBack > 0 {
		n := 0
		for _, id := range e.ids {
			p := byID[id]
			if p.Team == opp && (len(st.BringBackPositions) == 0 || anyOf(p.Positions, st.BringBackPositions)) {
				n++
			}
		}
		if n < st.BringBack {
			return false
		}
	}
	return true
}

func anyOf(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// enumerate calls f with every roster (player per slot) of the pool.
func enumerate(r *slate.Rules, pool []slate.Player, f func(e entry)) {
	n := len(r.Slots)
	ids := make([]string, n)
	slots := make([]int, n)
	usedP := make([]bool, len(pool))
	// fill slots in order; identical consecutive slots take increasing player
	// indexes so each roster is produced once per distinct slot assignment
	var rec func(si, minIdx int)
	rec = func(si, minIdx int) {
		if si == n {
			f(entry{ids: slices.Clone(ids), slots: slices.Clone(slots)})
			return
		}
		start := 0
		if si > 0 && sameSlot(r.Slots[si], r.Slots[si-1]) {
			start = minIdx
		}
		for i := start; i < len(pool); i++ {
			if usedP[i] || !r.Slots[si].Accepts(pool[i].Positions) {
				continue
			}
			usedP[i] = true
			ids[si], slots[si] = pool[i].ID, si
			rec(si+1, i+1)
			usedP[i] = false
		}
	}
	rec(0, 0)
}

func sameSlot(a, b slate.Slot) bool {
	return a.Name == b.Name && slices.Equal(a.Eligible, b.Eligible) && a.PointsMultiplier == b.PointsMultiplier && a.SalaryMultiplier == b.SalaryMultiplier
}

// oracleBest returns the best value of a roster valid for req that shares at
// most size-minUnique slot-class keys with each previous entry and respects
// the exposure caps given the previous entries.
func oracleBest(r *slate.Rules, req *schema.OptimizeRequest, pool []slate.Player, prev []entry, locks map[string]bool, banned map[string]bool) (float64, bool) {
	byID := map[string]*slate.Player{}
	for i := range pool {
		byID[pool[i].ID] = &pool[i]
	}
	minU := max(1, req.Constraints.MinUnique)
	var prevKeys []map[string]bool
	for _, p := range prev {
		m := map[string]bool{}
		for _, k := range entryKeys(r, p) {
			m[k] = true
		}
		prevKeys = append(prevKeys, m)
	}
	best, found := math.Inf(-1), false
	enumerate(r, pool, func(e entry) {
		for _, id := range e.ids {
			if banned[id] {
				return
			}
		}
		for id := range locks {
			if !slices.Contains(e.ids, id) {
				return
			}
		}
		keys := entryKeys(r, e)
		for _, pk := range prevKeys {
			shared := 0
			for _, k := range keys {
				if pk[k] {
					shared++
				}
			}
			if shared > len(r.Slots)-minU {
				return
			}
		}
		if checkLineup(r, req, byID, e) != nil {
			return
		}
		if v := oracleValue(r, byID, e); v > best {
			best, found = v, true
		}
	})
	return best, found
}

// randomSlate builds a small slate for the rules: two or three games, players
// of every slot's positions, salaries such that the cap binds.
func randomSlate(rng *rand.Rand, r *slate.Rules, n int) []slate.Player {
	var posSets [][]string
	for _, s := range r.Slots {
		for _, p := range s.Eligible {
			if !slices.ContainsFunc(posSets, func(x []string) bool { return len(x) == 1 && x[0] == p }) {
				posSets = append(posSets, []string{p})
			}
		}
	}
	// keep canonical positions only (drop aliases like DEF/D, SP/RP, LW/RW)
	aliases := map[string]bool{"DEF": true, "D": r.Sport == slate.NFL, "SP": true, "RP": true, "LW": true, "RW": true, "K": true}
	posSets = slices.DeleteFunc(posSets, func(x []string) bool { return aliases[x[0]] })
	if r.Sport == slate.NBA {
		posSets = append(posSets, []string{"PG", "SG"}, []string{"SF", "PF"}, []string{"PF", "C"})
	}
	if r.Sport == slate.MLB {
		posSets = append(posSets, []string{"1B", "OF"}, []string{"2B", "SS"})
	}
	games := [][2]string{{"AAA", "BBB"}, {"CCC", "DDD"}, {"EEE", "FFF"}}
	if r.Mode == slate.Showdown {
		games = games[:1]
	}
	var out []slate.Player
	per := float64(r.SalaryCap) / float64(len(r.Slots))
	for i := 0; i < n; i++ {
		g := games[rng.IntN(len(games))]
		side := rng.IntN(2)
		pos := posSets[i%len(posSets)]
		if i >= len(posSets) {
			pos = posSets[rng.IntN(len(posSets))]
		}
		sal := int(per*(0.5+rng.Float64()*1.2)/100) * 100
		proj := math.Round((float64(sal)/per*10+rng.NormFloat64()*4)*100) / 100
		out = append(out, slate.Player{ID: fmt.Sprintf("p%02d", i), Name: fmt.Sprintf("Player %d", i), Positions: slices.Clone(pos),
			Team: g[side], Opponent: g[1-side], Game: g[0] + "@" + g[1], Salary: sal, Projection: proj})
	}
	return out
}

type formatCase struct {
	site  slate.Site
	sport slate.Sport
	mode  slate.Mode
	n     int
}

var formats = []formatCase{
	{slate.DraftKings, slate.NFL, slate.Classic, 17},
	{slate.DraftKings, slate.NBA, slate.Classic, 15},
	{slate.DraftKings, slate.MLB, slate.Classic, 16},
	{slate.DraftKings, slate.NHL, slate.Classic, 15},
	{slate.DraftKings, slate.NFL, slate.Showdown, 11},
	{slate.DraftKings, slate.NBA, slate.Showdown, 11},
	{slate.FanDuel, slate.NFL, slate.Classic, 17},
	{slate.FanDuel, slate.NBA, slate.Classic, 16},
	{slate.FanDuel, slate.MLB, slate.Classic, 15},
	{slate.FanDuel, slate.NHL, slate.Classic, 15},
	{slate.FanDuel, slate.NFL, slate.Showdown, 11},
	{slate.FanDuel, slate.NBA, slate.Showdown, 10},
}

// TestAgainstBruteForce checks, for every site, sport and mode, on random
// small slates with random constraints, that every lineup is valid and that
// lineup i is optimal given lineups 1..i-1, by full enumeration.
func TestAgainstBruteForce(t *testing.T) {
	trials := 6
	if testing.Short() {
		trials = 2
	}
	for _, fc := range formats {
		t.Run(fmt.Sprintf("%s-%s-%s", fc.site, fc.sport, fc.mode), func(t *testing.T) {
			r, err := slate.RulesFor(fc.site, fc.sport, fc.mode)
			if err != nil {
				t.Fatal(err)
			}
			for trial := 0; trial < trials; trial++ {
				rng := rand.New(rand.NewPCG(uint64(trial), 99))
				pool := randomSlate(rng, r, fc.n)
				req := &schema.OptimizeRequest{Site: string(fc.site), Sport: string(fc.sport), Mode: string(fc.mode),
					Players: pool, Lineups: 2 + rng.IntN(4)}
				c := &req.Constraints
				c.MinUnique = rng.IntN(3)
				if trial%2 == 1 {
					// one strong team so that team limits and stacks bind
					for i := range pool {
						if pool[i].Team == pool[0].Team {
							pool[i].Projection *= 2.5
						}
					}
					c.MinSalary = r.SalaryCap * 8 / 10
					c.MaxPerTeam = 4 + rng.IntN(2)
					if fc.mode == slate.Classic {
						c.NoOpposingDefense = len(r.DefensePositions) > 0
					}
					switch {
					case fc.sport == slate.NFL && fc.mode == slate.Classic:
						c.Stacks = []schema.Stack{{Positions: []string{"QB", "WR|TE"}, BringBack: rng.IntN(2)}}
					case fc.mode == slate.Classic:
						c.Stacks = []schema.Stack{{Size: 2 + rng.IntN(2)}}
					}
				}
				if trial%3 == 2 {
					c.Locks = []string{pool[rng.IntN(len(pool))].ID}
					c.Excludes = []string{pool[rng.IntN(len(pool))].ID}
					if c.Excludes[0] == c.Locks[0] {
						c.Excludes = nil
					}
					half := 0.5
					c.MaxExposure = &half
				}
				checkSequence(t, r, req, trial%2 == 0)
			}
		})
	}
}

// checkSequence runs the optimizer and verifies each lineup against the oracle.
func checkSequence(t *testing.T, r *slate.Rules, req *schema.OptimizeRequest, perLineup bool) {
	t.Helper()
	checkSequenceWith(t, r, req, func() (*schema.OptimizeResult, error) {
		return optimize(context.Background(), req, nil, perLineup)
	})
}

// checkSequenceWith verifies each lineup run returns against the oracle.
func checkSequenceWith(t *testing.T, r *slate.Rules, req *schema.OptimizeRequest, run func() (*schema.OptimizeResult, error)) {
	t.Helper()
	res, err := run()
	pool := req.Players
	byID := map[string]*slate.Player{}
	for i := range pool {
		byID[pool[i].ID] = &pool[i]
	}
	var ie *InfeasibleError
	if err != nil {
		if !asInfeasible(err, &ie) {
			t.Fatalf("optimize: %v", err)
		}
		// the oracle must agree that no first lineup exists
		locks := map[string]bool{}
		for _, id := range req.Constraints.Locks {
			locks[id] = true
		}
		if v, ok := oracleBest(r, req, pool, nil, locks, nil); ok {
			t.Fatalf("solver says infeasible (%v) but the oracle found %.3f", err, v)
		}
		return
	}
	var prev []entry
	counts := map[string]int{}
	n := req.Lineups
	for i, lu := range res.Lineups {
		e := toEntry(r, lu)
		if err := checkLineup(r, req, byID, e); err != nil {
			t.Fatalf("lineup %d invalid: %v (%+v)", i+1, err, lu)
		}
		// exposure caps in force for lineup i
		banned := map[string]bool{}
		if req.Constraints.MaxExposure != nil {
			cap := int(math.Floor(*req.Constraints.MaxExposure*float64(n) + 1e-9))
			for id, c := range counts {
				if c >= cap && !slices.Contains(req.Constraints.Locks, id) {
					banned[id] = true
				}
			}
		}
		for _, id := range e.ids {
			if banned[id] {
				t.Fatalf("lineup %d uses %s beyond its max exposure", i+1, id)
			}
		}
		locks := map[string]bool{}
		for _, id := range req.Constraints.Locks {
			locks[id] = true
		}
		want, ok := oracleBest(r, req, pool, prev, locks, banned)
		got := oracleValue(r, byID, e)
		if !ok || math.Abs(want-got) > 1e-6 {
			t.Fatalf("lineup %d: solver %.4f, oracle %.4f (found %v)", i+1, got, want, ok)
		}
		if math.Abs(lu.Projection-got) > 1e-6 {
			t.Fatalf("lineup %d reports projection %.4f, players sum to %.4f", i+1, lu.Projection, got)
		}
		prev = append(prev, e)
		for _, id := range e.ids {
			counts[id]++
		}
	}
	if len(res.Lineups) < n {
		// the oracle must agree that no further lineup exists
		banned := map[string]bool{}
		if req.Constraints.MaxExposure != nil {
			cap := int(math.Floor(*req.Constraints.MaxExposure*float64(n) + 1e-9))
			for id, c := range counts {
				if c >= cap && !slices.Contains(req.Constraints.Locks, id) {
					banned[id] = true
				}
			}
		}
		locks := map[string]bool{}
		for _, id := range req.Constraints.Locks {
			locks[id] = true
		}
		if v, ok := oracleBest(r, req, pool, prev, locks, banned); ok {
			t.Fatalf("solver stopped at %d lineups but the oracle found another (%.3f)", len(res.Lineups), v)
		}
	}
}

func asInfeasible(err error, target **InfeasibleError) bool { return errors.As(err, target) }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

// TestNarrowWindowsAgainstBruteForce runs sequences with pool limits of a
// few rosters, so that windows overflow, narrow and hand over to per-lineup
// branch and bound, and checks every lineup against full enumeration.
func TestNarrowWindowsAgainstBruteForce(t *testing.T) {
	trials := 4
	if testing.Short() {
		trials = 2
	}
	for _, fc := range formats {
		t.Run(fmt.Sprintf("%s-%s-%s", fc.site, fc.sport, fc.mode), func(t *testing.T) {
			r, err := slate.RulesFor(fc.site, fc.sport, fc.mode)
			if err != nil {
				t.Fatal(err)
			}
			for trial := 0; trial < trials; trial++ {
				rng := rand.New(rand.NewPCG(uint64(trial), 7))
				pool := randomSlate(rng, r, fc.n)
				req := &schema.OptimizeRequest{Site: string(fc.site), Sport: string(fc.sport), Mode: string(fc.mode),
					Players: pool, Lineups: 3 + rng.IntN(4)}
				req.Constraints.MinUnique = 1 + rng.IntN(3)
				if trial%2 == 1 {
					half := 0.5
					req.Constraints.MaxExposure = &half
				} else {
					for i := range pool { // whole points: ties that no window can split
						pool[i].Projection = math.Round(pool[i].Projection / 4)
					}
				}
				limits := poolLimits{round: 1 + rng.IntN(3), perLineup: rng.IntN(2), pool: 2 + rng.IntN(6)}
				checkSequenceWith(t, r, req, func() (*schema.OptimizeResult, error) {
					return optimizeWith(context.Background(), req, nil, false, limits)
				})
			}
		})
	}
}
