package lineup

import (
	"cmp"
	"slices"
	"strings"
)

// dominance removes, for one lineup of a sequence, players who cannot be
// needed: player b is dropped when at least K other players a are "fresh"
// (in no previous lineup), still allowed, of the same positions, no more
// expensive (the same salary when a minimum salary is set) and projected at
// least as high (ties broken by index), where K is the number of slots b can
// fill. Any lineup using b then leaves one such a out, and swapping b for a
// keeps every rule: salary, slots, uniqueness against every previous lineup
// (a is in none) and exposures (a has none), without losing points; repeated
// swaps climb a strict order, so an optimal lineup without dropped players
// exists. Team-dependent rules (stacks, team limits, opposing defense,
// minimum teams) and captain formats disable the reduction; for the minimum
// of two games, the dominators must not all sit in one other game.
type dominance struct {
	enabled bool
	classOf []int   // player -> position class
	classes [][]int // class -> players
	slots   []int   // player -> number of slots it can fill
}

func newDominance(md *model) *dominance {
	pr := md.problem
	d := &dominance{}
	if len(md.groups) != 1 || len(pr.stacks) > 0 || pr.maxPerTeam > 0 || pr.noOppDef || pr.minTeams > 1 ||
		pr.minGames > 2 || len(pr.pins) > 0 {
		return d
	}
	d.enabled = true
	idx := map[string]int{}
	d.classOf = make([]int, len(pr.players))
	d.slots = make([]int, len(pr.players))
	for i := range pr.players {
		pos := slices.Clone(pr.players[i].Positions)
		slices.Sort(pos)
		k := strings.Join(pos, "/")
		c, ok := idx[k]
		if !ok {
			c = len(d.classes)
			idx[k] = c
			d.classes = append(d.classes, nil)
		}
		d.classOf[i] = c
		d.classes[c] = append(d.classes[c], i)
		for _, s := range pr.rules.Slots {
			if s.Accepts(pr.players[i].Positions) {
				d.slots[i]++
			}
		}
	}
	return d
}

// dominated returns the players to drop for the next lineup. allowed[i]
// tells whether player i may still be used, fresh[i] whether he is in no
// previous lineup, keep[i] whether he must not be dropped (locked or forced).
func (d *dominance) dominated(md *model, allowed, fresh, keep []bool) []bool {
	out := make([]bool, len(md.players))
	if !d.enabled {
		return out
	}
	value := func(i int) float64 { return md.lp.c[md.playerCols[i][0]] }
	for _, members := range d.classes {
		// candidates that can dominate: fresh and allowed, best value first
		var dom []int
		for _, a := range members {
			if fresh[a] && allowed[a] && len(md.playerCols[a]) == 1 {
				dom = append(dom, a)
			}
		}
		slices.SortFunc(dom, func(x, y int) int {
			if c := cmp.Compare(value(y), value(x)); c != 0 {
				return c
			}
			return cmp.Compare(x, y)
		})
		for _, b := range members {
			if keep[b] || !allowed[b] || len(md.playerCols[b]) != 1 {
				continue
			}
			vb, sb := value(b), md.players[b].Salary
			k := d.slots[b]
			n := 0
			games := map[int]int{}
			for _, a := range dom {
				va := value(a)
				if va < vb || (va == vb && a > b) {
					break
				}
				if a == b {
					continue
				}
				sa := md.players[a].Salary
				if sa > sb || (md.minSalary > 0 && sa != sb) {
					continue
				}
				n++
				games[md.gameOf[a]]++
			}
			if n < k {
				continue
			}
			if md.minGames == 2 && len(games) == 1 {
				if _, same := games[md.gameOf[b]]; !same {
					continue
				}
			}
			out[b] = true
		}
	}
	return out
}
