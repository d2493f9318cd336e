package lineup

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
)

const (
	intTol   = 1e-6
	cutTol   = 1e-6
	pruneTol = 1e-7
	maxPivot = 200000
)

// search is the branch and bound over one model.
type search struct {
	md         *model
	prev       [][]int // columns of previous lineups (uniqueness)
	incumbent  float64
	best       []float64
	nodes      int64
	noUnique   bool    // uniqueness neither separated nor enforced (see relaxUniqueness)
	uniqueRows []int   // LP rows of uniqueness cuts
	pool       [][]int // integer solutions seen (columns), for warm starts
	ctx        context.Context
	err        error
}

// solveLineup finds an optimal lineup of the model under its current root
// bounds, or reports none exists. It returns the chosen columns.
func (s *search) solveLineup(ctx context.Context) ([]int, bool, error) {
	s.ctx = ctx
	s.incumbent = math.Inf(-1)
	s.best = nil
	s.err = nil
	s.md.applyRootBounds()
	s.warmStart()
	s.node()
	if s.err != nil {
		return nil, false, s.err
	}
	if s.best == nil {
		return nil, false, nil
	}
	var chosen []int
	for j := 0; j < s.md.nx; j++ {
		if s.best[j] > 0.5 {
			chosen = append(chosen, j)
		}
	}
	return chosen, true, nil
}

// enter counts a node and checks for cancellation; false stops the search.
func (s *search) enter() bool {
	if s.err != nil {
		return false
	}
	s.nodes++
	if s.nodes&63 == 0 {
		if err := s.ctx.Err(); err != nil {
			s.err = err
			return false
		}
	}
	return true
}

// relax solves the node's LP, adding violated lazy rows until none is left.
// It returns the LP bound, and false when the node is infeasible or cannot
// beat the incumbent.
func (s *search) relax() (float64, bool) {
	p := s.md.lp
	for {
		st, err := p.solve(s.incumbent+pruneTol, maxPivot)
		if err != nil {
			s.err = err
			return 0, false
		}
		if st != lpOptimal {
			return 0, false
		}
		if s.separate(false) > 0 {
			continue
		}
		z := p.objective()
		return z, z > s.incumbent+pruneTol
	}
}

func (s *search) node() {
	if !s.enter() {
		return
	}
	p := s.md.lp
	for {
		z, ok := s.relax()
		if !ok {
			return
		}
		fixed := s.reducedCostFixing(z)
		defer s.unfix(fixed)
		j := s.branchVar()
		if j >= 0 {
			lo, up := p.lo[j], p.up[j]
			// down first: proving optimality dominates, and the zero branch
			// keeps the LP close to the parent's
			first, second := 0.0, 1.0
			p.setBounds(j, first, first)
			s.node()
			p.setBounds(j, lo, up)
			if s.err != nil {
				return
			}
			p.setBounds(j, second, second)
			s.node()
			p.setBounds(j, lo, up)
			return
		}
		// integral: check the constraints only checked on integer points
		if s.separate(true) > 0 {
			continue
		}
		s.incumbent = p.objective()
		s.best = slices.Clone(p.x[:p.n])
		s.remember(s.best)
		return
	}
}

const poolLimit = 4096

// relaxUniqueness frees (on) or restores (off) the uniqueness rows already
// in the LP and stops (resumes) separating new ones: for solving the best
// lineup under the static rules alone.
func (s *search) relaxUniqueness(on bool) {
	p := s.md.lp
	lo := 0.0
	if on {
		lo = -float64(s.md.size) // activity may exceed the limit by a whole roster: never binding
	}
	for _, r := range s.uniqueRows {
		p.setBounds(p.n+r, lo, math.Inf(1))
	}
	s.noUnique = on
}

// remember keeps an integer solution for warm-starting later lineups.
func (s *search) remember(x []float64) {
	var cols []int
	for j := 0; j < s.md.nx; j++ {
		if x[j] > 0.5 {
			cols = append(cols, j)
		}
	}
	if len(s.pool) >= poolLimit {
		s.pool = s.pool[len(s.pool)/2:]
	}
	s.pool = append(s.pool, cols)
}

// warmStart sets the incumbent to the best remembered solution that is still
// valid: within the root bounds and unique enough against every previous
// lineup (the other rules are static, and held when it was found).
func (s *search) warmStart() {
	md := s.md
	p := md.lp
	bestV := math.Inf(-1)
	var bestCols []int
	in := make([]bool, md.nx)
	limit := md.size - md.minUnique
	kept := s.pool[:0]
	for _, cols := range s.pool {
		for _, j := range cols {
			in[j] = true
		}
		ok := true
		for _, j := range cols {
			if p.up[j] < 0.5 {
				ok = false
				break
			}
		}
		if ok {
			for j := 0; j < md.nx; j++ {
				if p.lo[j] > 0.5 && !in[j] {
					ok = false
					break
				}
			}
		}
		if ok {
			for i, r := range md.playerRow {
				if r >= 0 && p.up[p.n+r] < 0.5 && !slices.ContainsFunc(md.playerCols[i], func(j int) bool { return in[j] }) {
					ok = false
					break
				}
			}
		}
		unique := true
		if ok && md.minUnique > 0 {
			for _, prev := range s.prev {
				shared := 0
				for _, j := range prev {
					if in[j] {
						shared++
					}
				}
				if shared > limit {
					unique = false
					break
				}
			}
		}
		if unique {
			kept = append(kept, cols) // solutions that repeat a lineup are dropped
		}
		if ok && unique {
			v := 0.0
			for _, j := range cols {
				v += p.c[j]
			}
			if v > bestV {
				bestV, bestCols = v, cols
			}
		}
		for _, j := range cols {
			in[j] = false
		}
	}
	s.pool = kept
	if bestCols != nil {
		s.incumbent = bestV - pruneTol
		s.best = make([]float64, p.n)
		for _, j := range bestCols {
			s.best[j] = 1
		}
		// stack indicators are not needed to read a lineup
	}
}

// reducedCostFixing fixes, for the current subtree, every nonbasic column
// whose reduced cost proves that moving it off its bound cannot beat the
// incumbent. It returns the fixed columns.
func (s *search) reducedCostFixing(z float64) []int {
	if math.IsInf(s.incumbent, -1) {
		return nil
	}
	p := s.md.lp
	gap := z - s.incumbent - pruneTol
	var fixed []int
	for j := 0; j < p.n; j++ {
		if p.pos[j] >= 0 || p.lo[j] == p.up[j] {
			continue
		}
		if d := p.d[j]; (d < -gap && p.x[j] == p.lo[j]) || (d > gap && p.x[j] == p.up[j]) {
			fixed = append(fixed, j)
			v := p.x[j]
			p.lo[j], p.up[j] = v, v
		}
	}
	return fixed
}

// unfix restores the [0,1] bounds of columns fixed by reducedCostFixing.
func (s *search) unfix(cols []int) {
	p := s.md.lp
	for _, j := range cols {
		p.setBounds(j, 0, 1)
	}
}

// branchVar picks the fractional column closest to one half (ties: larger
// objective), or -1 when the LP solution is integral.
func (s *search) branchVar() int {
	p := s.md.lp
	best, bestScore := -1, -1.0
	for j := 0; j < p.n; j++ {
		v := p.x[j]
		f := math.Min(v-math.Floor(v), math.Ceil(v)-v)
		if f <= intTol {
			continue
		}
		score := math.Abs(p.c[j]) + 1e-3*f
		if score > bestScore {
			best, bestScore = j, score
		}
	}
	return best
}

// separate adds violated lazy constraints to the LP and returns how many.
// Team limits, opposing-defense pairs and uniqueness rows are separated on any
// LP solution; the minimum games/teams rule only on integer solutions.
func (s *search) separate(integral bool) int {
	md := s.md
	p := md.lp
	added := 0
	size := float64(md.size)
	// uniqueness against previous lineups
	if md.minUnique > 0 && !s.noUnique {
		limit := size - float64(md.minUnique)
		for k, cols := range s.prev {
			if md.uniqueCut[k] {
				continue
			}
			sum := 0.0
			for _, j := range cols {
				sum += p.x[j]
			}
			if sum > limit+cutTol {
				row := make([]rowEntry, len(cols))
				for t, j := range cols {
					row[t] = rowEntry{int32(j), 1}
				}
				s.uniqueRows = append(s.uniqueRows, p.addRow(row, math.Inf(-1), limit))
				md.uniqueCut[k] = true
				added++
			}
		}
	}
	// players per team
	if md.maxPerTeam > 0 {
		sums := make([]float64, len(md.teams))
		for j := 0; j < md.nx; j++ {
			if v := p.x[j]; v > cutTol {
				i := md.cols[j].player
				if md.rules.CountsTowardTeamLimit(&md.players[i]) {
					sums[md.teamOf[i]] += v
				}
			}
		}
		for _, pn := range md.pins {
			if md.rules.CountsTowardTeamLimit(&md.players[pn.player]) {
				sums[md.teamOf[pn.player]]++
			}
		}
		for t, v := range sums {
			if v > float64(md.maxPerTeam)+cutTol && !md.teamCut[t] {
				in := func(i int) bool { return md.teamOf[i] == t && md.rules.CountsTowardTeamLimit(&md.players[i]) }
				row := md.playerEntries(in)
				p.addRow(row, math.Inf(-1), float64(md.maxPerTeam-md.pinnedCount(in)))
				md.teamCut[t] = true
				added++
			}
		}
	}
	// no offensive player facing the lineup's own defense
	if md.noOppDef {
		added += s.separateOpposingDefense()
	}
	if integral && (md.minGames > 1 || md.minTeams > 1) {
		added += s.separateSupport()
	}
	return added
}

func (s *search) playerValue(i int) float64 {
	md := s.md
	v := 0.0
	for _, j := range md.playerCols[i] {
		v += md.lp.x[j]
	}
	for _, pn := range md.pins {
		if pn.player == i {
			v = 1
		}
	}
	return v
}

func (s *search) separateOpposingDefense() int {
	md := s.md
	added := 0
	for _, d := range md.defenders {
		vd := s.playerValue(d)
		if vd <= cutTol {
			continue
		}
		for i := range md.players {
			if i == d || md.isDefense(i) || !slices.Contains(md.opp[md.teamOf[d]], md.teamOf[i]) {
				continue
			}
			if vi := s.playerValue(i); vd+vi > 1+cutTol && !md.oppCut[[2]int{d, i}] {
				in := func(k int) bool { return k == d || k == i }
				row := md.playerEntries(in)
				md.lp.addRow(row, math.Inf(-1), float64(1-md.pinnedCount(in)))
				md.oppCut[[2]int{d, i}] = true
				added++
			}
		}
	}
	return added
}

// separateSupport cuts an integer lineup that uses fewer games or teams than
// required: every valid lineup has a player outside the groups it used.
func (s *search) separateSupport() int {
	md := s.md
	var chosen []int
	for j := 0; j < md.nx; j++ {
		if md.lp.x[j] > 0.5 {
			chosen = append(chosen, md.cols[j].player)
		}
	}
	for _, pn := range md.pins {
		chosen = append(chosen, pn.player)
	}
	added := 0
	check := func(min int, of []int, prefix string) {
		used := map[int]bool{}
		for _, i := range chosen {
			used[of[i]] = true
		}
		if len(used) >= min {
			return
		}
		keys := make([]int, 0, len(used))
		for g := range used {
			keys = append(keys, g)
		}
		slices.Sort(keys)
		var b strings.Builder
		b.WriteString(prefix)
		for _, g := range keys {
			b.WriteString(strconv.Itoa(g))
			b.WriteByte(',')
		}
		key := hashString(b.String())
		if md.supportCut[key] {
			return
		}
		md.supportCut[key] = true
		in := func(i int) bool { return used[of[i]] }
		row := md.playerEntries(in)
		md.lp.addRow(row, math.Inf(-1), float64(md.size-1-md.pinnedCount(in)))
		added++
	}
	if md.minGames > 1 {
		check(md.minGames, md.gameOf, "g")
	}
	if md.minTeams > 1 {
		check(md.minTeams, md.teamOf, "t")
	}
	return added
}

func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
