package e2e

import (
	"math"
	"slices"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// tolerance for projection sums.
const tolerance = 1e-6

// checkResult verifies every lineup of res is valid for req, and that
// lineup i is the best lineup differing from lineups 1..i-1 in at least
// min_unique players (brute force; tiny slates only).
func checkResult(t *testing.T, req *schema.OptimizeRequest, res *schema.OptimizeResult) {
	t.Helper()
	site, sport, mode, err := req.Normalized()
	if err != nil {
		t.Fatal(err)
	}
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		t.Fatal(err)
	}
	if mode != slate.Classic {
		t.Fatal("checkResult handles classic rules only")
	}
	if len(res.Lineups) != req.Lineups {
		t.Fatalf("got %d lineups, want %d", len(res.Lineups), req.Lineups)
	}
	byID := map[string]*slate.Player{}
	for i := range req.Players {
		byID[req.Players[i].ID] = &req.Players[i]
	}
	minUnique := max(req.Constraints.MinUnique, 1)
	var prev [][]string
	for li, l := range res.Lineups {
		ids := checkLineup(t, li, rules, byID, l)
		for pj, p := range prev {
			if common := len(ids) - len(slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(p, id) })); len(ids)-common < minUnique {
				t.Errorf("lineup %d shares %d of %d players with lineup %d; min_unique %d needs at most %d", li, common, len(ids), pj, minUnique, len(ids)-minUnique)
			}
		}
		want, ok := bestLineup(rules, req.Players, prev, minUnique)
		if !ok {
			t.Fatalf("lineup %d: brute force finds no lineup, optimizer gave one", li)
		}
		if math.Abs(l.Projection-want) > tolerance {
			t.Errorf("lineup %d: projection %.4f, brute force best %.4f", li, l.Projection, want)
		}
		prev = append(prev, ids)
	}
}

// checkLineup verifies one lineup and returns its sorted player ids.
func checkLineup(t *testing.T, li int, rules *slate.Rules, byID map[string]*slate.Player, l schema.Lineup) []string {
	t.Helper()
	if len(l.Players) != rules.Size() {
		t.Fatalf("lineup %d has %d players, want %d", li, len(l.Players), rules.Size())
	}
	salary, proj := 0, 0.0
	games := map[string]bool{}
	var ids []string
	for i, lp := range l.Players {
		p, ok := byID[lp.ID]
		if !ok {
			t.Fatalf("lineup %d slot %d: unknown player %q", li, i, lp.ID)
		}
		if slices.Contains(ids, lp.ID) {
			t.Fatalf("lineup %d: player %s twice", li, lp.ID)
		}
		ids = append(ids, lp.ID)
		slot := rules.Slots[i]
		if lp.Slot != slot.Name || !slot.Accepts(p.Positions) {
			t.Fatalf("lineup %d slot %d (%s): player %s (%v) in slot %q is not eligible", li, i, slot.Name, p.ID, p.Positions, lp.Slot)
		}
		salary += p.Salary
		proj += p.Projection
		games[p.GameKey()] = true
	}
	if salary > rules.SalaryCap {
		t.Fatalf("lineup %d: salary %d over the cap %d", li, salary, rules.SalaryCap)
	}
	if salary != l.Salary {
		t.Errorf("lineup %d: reported salary %d, players add up to %d", li, l.Salary, salary)
	}
	if math.Abs(proj-l.Projection) > tolerance {
		t.Errorf("lineup %d: reported projection %.4f, players add up to %.4f", li, l.Projection, proj)
	}
	if len(games) < rules.MinGames {
		t.Errorf("lineup %d: %d games, site needs %d", li, len(games), rules.MinGames)
	}
	slices.Sort(ids)
	return ids
}

// bestLineup returns the best projection of a valid lineup that differs
// from each of prev in at least minUnique players.
func bestLineup(rules *slate.Rules, players []slate.Player, prev [][]string, minUnique int) (float64, bool) {
	n, k := len(players), rules.Size()
	best, found := math.Inf(-1), false
	pick := make([]int, 0, k)
	var rec func(start, salary int, proj float64)
	rec = func(start, salary int, proj float64) {
		if salary > rules.SalaryCap {
			return
		}
		if len(pick) == k {
			if proj <= best || !fits(rules, players, pick) || !unique(players, pick, prev, minUnique) {
				return
			}
			best, found = proj, true
			return
		}
		for i := start; i <= n-(k-len(pick)); i++ {
			pick = append(pick, i)
			rec(i+1, salary+players[i].Salary, proj+players[i].Projection)
			pick = pick[:len(pick)-1]
		}
	}
	rec(0, 0, 0)
	return best, found
}

// fits reports whether the picked players fill every slot (bipartite
// matching by backtracking) and meet the site's game minimum.
func fits(rules *slate.Rules, players []slate.Player, pick []int) bool {
	games := map[string]bool{}
	for _, i := range pick {
		games[players[i].GameKey()] = true
	}
	if len(games) < rules.MinGames {
		return false
	}
	used := make([]bool, len(pick))
	var assign func(slot int) bool
	assign = func(slot int) bool {
		if slot == len(rules.Slots) {
			return true
		}
		for j, i := range pick {
			if !used[j] && rules.Slots[slot].Accepts(players[i].Positions) {
				used[j] = true
				if assign(slot + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	return assign(0)
}

func unique(players []slate.Player, pick []int, prev [][]string, minUnique int) bool {
	for _, ids := range prev {
		common := 0
		for _, i := range pick {
			if slices.Contains(ids, players[i].ID) {
				common++
			}
		}
		if len(pick)-common < minUnique {
			return false
		}
	}
	return true
}
