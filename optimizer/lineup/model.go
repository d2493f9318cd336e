package lineup

import (
	"math"
	"math/bits"
	"slices"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// group is a set of roster slots sharing points and salary multipliers
// (classic rosters have one group; captain formats have one per multiplier).
type group struct {
	slots []int // indices into rules.Slots, pinned slots removed
	pm    float64
	sm    float64
}

// column is one LP variable for a player in a group.
type column struct {
	player int
	group  int
	base   float64 // projection x multiplier, without noise
	salary int
	mask   uint32 // eligible slots of the group (bit k = group.slots[k])
}

// stackVar is the indicator "stack s is satisfied by team t".
type stackVar struct {
	stack int
	team  int
	col   int
}

// pin is a player kept in a slot (late swap).
type pin struct {
	player int
	slot   int
}

// problem is everything that defines one lineup search except the per-lineup
// state (previous lineups, exposure counts).
type problem struct {
	rules   *slate.Rules
	players []slate.Player
	size    int

	teams    []string
	teamOf   []int
	gameOf   []int
	numGames int
	opp      [][]int // team -> opposing teams

	maxPerTeam int
	minGames   int
	minTeams   int
	minSalary  int
	maxSalary  int
	noOppDef   bool
	minUnique  int
	stacks     []stackSpec

	pins []pin // late swap: fixed player/slot pairs
}

// stackSpec is a normalized stack constraint.
type stackSpec struct {
	entries   [][]string // one set of positions per player
	team      int        // -1: any team
	bringBack int
	bbPos     []string // nil: any position
	label     string
}

// model is the LP of a problem plus the data needed to read its solutions
// and separate lazy constraints.
type model struct {
	*problem
	groups     []group
	cols       []column
	nx         int // x columns; stack indicators follow
	svars      []stackVar
	playerCols [][]int
	playerRow  []int // row "sum of the player's columns in [lo,1]", or -1
	lp         *lp

	rootLo, rootUp []float64

	// lazy constraints already in the LP
	teamCut    map[int]bool
	oppCut     map[[2]int]bool
	uniqueRows int // previous lineups whose row was added: tracked by index
	uniqueCut  map[int]bool
	supportCut map[uint64]bool
	defenders  []int // players at a defense position
}

func hasAny(pos []string, set []string) bool {
	for _, p := range pos {
		if slices.Contains(set, p) {
			return true
		}
	}
	return false
}

// isDefense reports whether a player plays a defense position of the rules.
func (pr *problem) isDefense(i int) bool {
	d := pr.rules.DefensePositions
	if len(d) == 0 {
		return false
	}
	for _, p := range pr.players[i].Positions {
		if !slices.Contains(d, p) {
			return false
		}
	}
	return true
}

// buildModel creates the LP for a problem.
func buildModel(pr *problem) *model {
	md := &model{problem: pr, teamCut: map[int]bool{}, oppCut: map[[2]int]bool{},
		uniqueCut: map[int]bool{}, supportCut: map[uint64]bool{}}
	r := pr.rules
	pinned := map[int]bool{}
	pinnedPlayer := map[int]bool{}
	for _, p := range pr.pins {
		pinned[p.slot] = true
		pinnedPlayer[p.player] = true
	}
	// groups by multiplier
	for i, s := range r.Slots {
		if pinned[i] {
			continue
		}
		k := -1
		for g := range md.groups {
			if md.groups[g].pm == s.PointsMultiplier && md.groups[g].sm == s.SalaryMultiplier {
				k = g
			}
		}
		if k < 0 {
			md.groups = append(md.groups, group{pm: s.PointsMultiplier, sm: s.SalaryMultiplier})
			k = len(md.groups) - 1
		}
		md.groups[k].slots = append(md.groups[k].slots, i)
	}
	md.playerCols = make([][]int, len(pr.players))
	for i := range pr.players {
		if pinnedPlayer[i] {
			continue
		}
		pl := &pr.players[i]
		for g, gr := range md.groups {
			var mask uint32
			for k, si := range gr.slots {
				if r.Slots[si].Accepts(pl.Positions) {
					mask |= 1 << k
				}
			}
			if mask == 0 {
				continue
			}
			md.playerCols[i] = append(md.playerCols[i], len(md.cols))
			md.cols = append(md.cols, column{player: i, group: g, base: pl.Projection * gr.pm,
				salary: r.SlotSalary(pl, gr.slots[0]), mask: mask})
		}
		if pr.isDefense(i) {
			md.defenders = append(md.defenders, i)
		}
	}
	md.nx = len(md.cols)
	// stack indicators
	type stackTeam struct{ s, t int }
	var sts []stackTeam
	for s, st := range pr.stacks {
		for t := range pr.teams {
			if st.team >= 0 && st.team != t {
				continue
			}
			if !md.stackPossible(st, t) {
				continue
			}
			sts = append(sts, stackTeam{s, t})
		}
	}
	n := md.nx + len(sts)
	md.lp = newLP(n)
	for k, st := range sts {
		md.svars = append(md.svars, stackVar{stack: st.s, team: st.t, col: md.nx + k})
	}
	for j, c := range md.cols {
		md.lp.c[j] = c.base
	}
	// rows: per group, equality and Hall rows
	for g, gr := range md.groups {
		var all []rowEntry
		masks := map[uint32]bool{}
		for j, c := range md.cols {
			if c.group == g {
				all = append(all, rowEntry{int32(j), 1})
				masks[c.mask] = true
			}
		}
		k := float64(len(gr.slots))
		md.lp.addRow(all, k, k)
		full := uint32(1)<<len(gr.slots) - 1
		for _, u := range unionClosure(masks) {
			if u == full {
				continue
			}
			var row []rowEntry
			for j, c := range md.cols {
				if c.group == g && c.mask&^u == 0 {
					row = append(row, rowEntry{int32(j), 1})
				}
			}
			cap := float64(bits.OnesCount32(u))
			if float64(len(row)) > cap {
				md.lp.addRow(row, math.Inf(-1), cap)
			}
		}
	}
	// one row per player with several columns (captain formats)
	md.playerRow = make([]int, len(pr.players))
	for i := range md.playerRow {
		md.playerRow[i] = -1
		if len(md.playerCols[i]) > 1 {
			var row []rowEntry
			for _, j := range md.playerCols[i] {
				row = append(row, rowEntry{int32(j), 1})
			}
			md.playerRow[i] = md.lp.addRow(row, 0, 1)
		}
	}
	// salary (scaled to thousands)
	pinSal := 0
	for _, p := range pr.pins {
		pinSal += r.SlotSalary(&pr.players[p.player], p.slot)
	}
	var sal []rowEntry
	for j, c := range md.cols {
		sal = append(sal, rowEntry{int32(j), float64(c.salary) / 1000})
	}
	hi := float64(pr.maxSalary-pinSal) / 1000
	lo := math.Inf(-1)
	if pr.minSalary > 0 {
		lo = float64(pr.minSalary-pinSal) / 1000
	}
	md.lp.addRow(sal, lo, hi)
	// stacks
	md.addStackRows()
	md.rootLo = make([]float64, n)
	md.rootUp = make([]float64, n)
	for j := 0; j < n; j++ {
		md.rootUp[j] = 1
	}
	for _, sv := range md.svars {
		if pr.stacks[sv.stack].team >= 0 {
			md.rootLo[sv.col] = 1
		}
	}
	md.lp.resetBasis()
	md.applyRootBounds()
	return md
}

// unionClosure returns every union of one or more of the masks.
func unionClosure(masks map[uint32]bool) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	for m := range masks {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for i := 0; i < len(out); i++ {
		for m := range masks {
			u := out[i] | m
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	slices.Sort(out)
	return out
}

// stackPositionSets returns the distinct entry sets of a stack.
func (st *stackSpec) unions() []struct {
	pos  []string
	need int
} {
	var distinct [][]string
	for _, e := range st.entries {
		found := false
		for _, d := range distinct {
			if slices.Equal(d, e) {
				found = true
			}
		}
		if !found {
			distinct = append(distinct, e)
		}
	}
	masks := map[uint32]bool{}
	for k := range distinct {
		masks[1<<k] = true
	}
	var out []struct {
		pos  []string
		need int
	}
	for _, u := range unionClosure(masks) {
		var pos []string
		for k, d := range distinct {
			if u&(1<<k) != 0 {
				pos = append(pos, d...)
			}
		}
		need := 0
		for _, e := range st.entries {
			if subset(e, pos) {
				need++
			}
		}
		out = append(out, struct {
			pos  []string
			need int
		}{pos, need})
	}
	return out
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// stackPossible reports whether team t has enough players for stack st.
func (md *model) stackPossible(st stackSpec, t int) bool {
	for _, u := range st.unions() {
		cnt := 0
		for i := range md.players {
			if md.teamOf[i] == t && hasAny(md.players[i].Positions, u.pos) && md.available(i) {
				cnt++
			}
		}
		if cnt < u.need {
			return false
		}
	}
	if st.bringBack > 0 {
		cnt := 0
		for i := range md.players {
			if slices.Contains(md.opp[t], md.teamOf[i]) && md.available(i) && (st.bbPos == nil || hasAny(md.players[i].Positions, st.bbPos)) {
				cnt++
			}
		}
		if cnt < st.bringBack {
			return false
		}
	}
	return true
}

// available reports whether player i can be in the lineup (has a column or is pinned).
func (md *model) available(i int) bool {
	if len(md.playerCols[i]) > 0 {
		return true
	}
	for _, p := range md.pins {
		if p.player == i {
			return true
		}
	}
	return false
}

// pinnedCount returns how many pinned players satisfy f.
func (md *model) pinnedCount(f func(i int) bool) int {
	n := 0
	for _, p := range md.pins {
		if f(p.player) {
			n++
		}
	}
	return n
}

func (md *model) addStackRows() {
	byStack := map[int][]stackVar{}
	byTeam := map[int][]stackVar{}
	for _, sv := range md.svars {
		byStack[sv.stack] = append(byStack[sv.stack], sv)
		byTeam[sv.team] = append(byTeam[sv.team], sv)
	}
	for s := range md.stacks {
		// at least one team satisfies the stack
		var row []rowEntry
		for _, sv := range byStack[s] {
			row = append(row, rowEntry{int32(sv.col), 1})
		}
		md.lp.addRow(row, 1, math.Inf(1))
	}
	for _, sv := range md.svars {
		st := md.stacks[sv.stack]
		t := sv.team
		for _, u := range st.unions() {
			in := func(i int) bool { return md.teamOf[i] == t && hasAny(md.players[i].Positions, u.pos) }
			row := md.playerEntries(in)
			need := float64(u.need - md.pinnedCount(in))
			row = append(row, rowEntry{int32(sv.col), -need})
			md.lp.addRow(row, 0, math.Inf(1))
		}
		if st.bringBack > 0 {
			in := func(i int) bool {
				return slices.Contains(md.opp[t], md.teamOf[i]) && (st.bbPos == nil || hasAny(md.players[i].Positions, st.bbPos))
			}
			row := md.playerEntries(in)
			need := float64(st.bringBack - md.pinnedCount(in))
			row = append(row, rowEntry{int32(sv.col), -need})
			md.lp.addRow(row, 0, math.Inf(1))
		}
	}
	if len(md.stacks) > 1 {
		for _, svs := range byTeam {
			if len(svs) < 2 {
				continue
			}
			var row []rowEntry
			for _, sv := range svs {
				row = append(row, rowEntry{int32(sv.col), 1})
			}
			md.lp.addRow(row, math.Inf(-1), 1)
		}
	}
}

// playerEntries returns a row with coefficient 1 on every column of every
// player satisfying f.
func (md *model) playerEntries(f func(i int) bool) []rowEntry {
	var row []rowEntry
	for i, cols := range md.playerCols {
		if len(cols) == 0 || !f(i) {
			continue
		}
		for _, j := range cols {
			row = append(row, rowEntry{int32(j), 1})
		}
	}
	return row
}

// applyRootBounds resets every column to its root bounds.
func (md *model) applyRootBounds() {
	for j := range md.rootLo {
		if md.lp.lo[j] != md.rootLo[j] || md.lp.up[j] != md.rootUp[j] {
			md.lp.setBounds(j, md.rootLo[j], md.rootUp[j])
		}
	}
}

// fixPlayer sets a player's root state: 0 excluded, 1 locked, -1 free.
func (md *model) fixPlayer(i int, state int) {
	cols := md.playerCols[i]
	switch {
	case len(cols) == 0:
		return
	case len(cols) == 1:
		j := cols[0]
		switch state {
		case 0:
			md.rootLo[j], md.rootUp[j] = 0, 0
		case 1:
			md.rootLo[j], md.rootUp[j] = 1, 1
		default:
			md.rootLo[j], md.rootUp[j] = 0, 1
		}
	default:
		for _, j := range cols {
			md.rootLo[j] = 0
			md.rootUp[j] = 1
			if state == 0 {
				md.rootUp[j] = 0
			}
		}
		if r := md.playerRow[i]; r >= 0 {
			lo := 0.0
			if state == 1 {
				lo = 1
			}
			md.lp.setRowBounds(r, lo, 1)
		}
	}
}
