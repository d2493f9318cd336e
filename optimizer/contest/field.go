package contest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Salary usage of generated lineups: each lineup draws the salary it may
// leave unused, exponential with mean leftoverMean·cap, capped at
// leftoverMax·cap, and is rejected when it leaves more. With 0.5 % of a
// $50,000 cap, 86 % of generated lineups leave at most $500. Calibrated on
// the real DraftKings NBA contest of 2025-01-12 (the 181 complete lineups of
// its standings use p10 $49,700, median $49,900; generated: see
// TestRealNBAContest).
const (
	leftoverMean = 0.005
	leftoverMax  = 0.06
)

// slotPool is the eligible players of one slot with their sampling weights.
type slotPool struct {
	slot    int
	players []int     // player indices, by salary ascending
	salary  []int     // salary in this slot
	cum     []float64 // cumulative weights
	minSal  int
}

// GenerateField returns n lineups (player indices in slot order) drawn like a
// real field: each slot filled with probability proportional to projected
// ownership (captain/MVP slots: ownership × projection), the widest slot
// (FLEX/UTIL) filled last within the salary window left, valid under the
// rules (salary cap, team limit, minimum teams and games), and with salary
// usage concentrated near the cap. Duplicates are allowed, as in real fields.
// Players without ownership fall back to weights proportional to projection.
// The result depends only on seed.
func GenerateField(ctx context.Context, rules *slate.Rules, players []slate.Player, n int, seed uint64) ([][]int, error) {
	if n == 0 {
		return nil, nil
	}
	rng := rand.New(rand.NewPCG(seed, seed^0xda3e39cb94b95bdb))
	anyOwn := false
	for i := range players {
		if players[i].Ownership > 0 {
			anyOwn = true
			break
		}
	}
	weight := func(p *slate.Player, mult float64) float64 {
		w := p.Ownership
		if !anyOwn {
			w = max(p.Projection, 0)
		}
		if mult != 1 {
			w *= max(p.Projection, 0)
		}
		return w
	}
	pools := make([]slotPool, rules.Size())
	for s := range rules.Slots {
		sp := slotPool{slot: s}
		for i := range players {
			p := &players[i]
			if rules.Slots[s].Accepts(p.Positions) && weight(p, rules.Slots[s].PointsMultiplier) > 0 {
				sp.players = append(sp.players, i)
			}
		}
		if len(sp.players) == 0 {
			return nil, fmt.Errorf("contest: no player with ownership or projection for slot %s", rules.Slots[s].Name)
		}
		sort.SliceStable(sp.players, func(a, b int) bool {
			return rules.SlotSalary(&players[sp.players[a]], s) < rules.SlotSalary(&players[sp.players[b]], s)
		})
		acc := 0.0
		for _, pi := range sp.players {
			acc += weight(&players[pi], rules.Slots[s].PointsMultiplier)
			sp.cum = append(sp.cum, acc)
			sp.salary = append(sp.salary, rules.SlotSalary(&players[pi], s))
		}
		sp.minSal = sp.salary[0]
		pools[s] = sp
	}
	// Restrictive slots first, the widest last (it takes up the salary left).
	order := make([]int, len(pools))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(pools[order[a]].players) < len(pools[order[b]].players) })
	minRest := make([]int, len(order)+1) // cheapest salary of the slots after position k
	for k := len(order) - 1; k >= 0; k-- {
		minRest[k] = minRest[k+1] + pools[order[k]].minSal
	}

	cap := rules.SalaryCap
	// Salary usage is measured from what the slate allows when that is below
	// the cap (small showdown slates): an upper bound, the priciest player of
	// every slot.
	reach := 0
	for s := range pools {
		reach += pools[s].salary[len(pools[s].salary)-1]
	}
	reach = min(reach, cap)
	out := make([][]int, n)
	lu := make([]int, rules.Size())
	inLineup := make([]bool, len(players))
	var candW []float64
	var candI []int
	failures := 0 // attempts rejected for the current lineup
	for li := 0; li < n; {
		if li%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		slack := 1.0
		if failures > 1000 { // a hard slate: allow more unused salary
			slack = float64(failures / 500)
		}
		if failures > 200000 {
			return nil, fmt.Errorf("contest: could not generate valid field lineups under the %s %s rules", rules.Site, rules.Sport)
		}
		leftover := int(math.Min(rng.ExpFloat64()*leftoverMean*slack, leftoverMax*slack) * float64(cap))
		used := 0
		ok := true
		for k, s := range order {
			sp := &pools[s]
			hiSal := cap - used - minRest[k+1]
			loSal := 0
			if k == len(order)-1 {
				loSal = reach - leftover - used
			}
			pick := -1
			if k < len(order)-1 {
				// Weighted draw with rejection, then an exact scan.
				for try := 0; try < 20; try++ {
					j := sort.SearchFloat64s(sp.cum, rng.Float64()*sp.cum[len(sp.cum)-1])
					j = min(j, len(sp.players)-1)
					if !inLineup[sp.players[j]] && sp.salary[j] <= hiSal {
						pick = j
						break
					}
				}
			}
			if pick < 0 {
				candW, candI = candW[:0], candI[:0]
				tot := 0.0
				for j, pi := range sp.players {
					if sp.salary[j] > hiSal {
						break
					}
					if sp.salary[j] < loSal || inLineup[pi] {
						continue
					}
					w := sp.cum[j]
					if j > 0 {
						w -= sp.cum[j-1]
					}
					tot += w
					candW = append(candW, tot)
					candI = append(candI, j)
				}
				if len(candI) == 0 {
					ok = false
					break
				}
				c := sort.SearchFloat64s(candW, rng.Float64()*tot)
				pick = candI[min(c, len(candI)-1)]
			}
			pi := sp.players[pick]
			lu[s] = pi
			inLineup[pi] = true
			used += sp.salary[pick]
		}
		valid := ok && used <= cap && reach-used <= leftover && validTeams(rules, players, lu)
		for _, pi := range lu {
			inLineup[pi] = false
		}
		if !valid {
			failures++
			continue
		}
		out[li] = slices.Clone(lu)
		li++
		failures = 0
	}
	return out, nil
}

// validTeams checks the team limit and the minimum teams and games.
func validTeams(rules *slate.Rules, players []slate.Player, lu []int) bool {
	var teams, games [10]string
	var counts [10]int
	nt, ng := 0, 0
	for _, pi := range lu {
		p := &players[pi]
		t := slices.Index(teams[:nt], p.Team)
		if t < 0 {
			t = nt
			teams[nt] = p.Team
			nt++
		}
		if rules.CountsTowardTeamLimit(p) {
			counts[t]++
			if rules.MaxPerTeam > 0 && counts[t] > rules.MaxPerTeam {
				return false
			}
		}
		g := p.GameKey()
		if !slices.Contains(games[:ng], g) {
			games[ng] = g
			ng++
		}
	}
	return nt >= rules.MinTeams && ng >= rules.MinGames
}
