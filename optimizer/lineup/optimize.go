package lineup

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Progress receives the number of lineups done out of total.
type Progress func(done, total int)

// InfeasibleError reports that no lineup satisfies the request. Rules names
// the request constraints whose removal would make it feasible (any one of
// them), or is empty when the roster rules alone cannot be met.
type InfeasibleError struct {
	Reason string
	Rules  []string
}

// Error describes the infeasibility and the conflicting rules.
func (e *InfeasibleError) Error() string {
	if len(e.Rules) == 0 {
		return "no valid lineup: " + e.Reason
	}
	return fmt.Sprintf("no valid lineup: %s (conflicting rules: %s)", e.Reason, strings.Join(e.Rules, ", "))
}

// JobCode is the failure code of a job that ends with this error: the
// service maps job errors to codes through a JobCode() string method, and an
// infeasible request fails with "infeasible".
func (e *InfeasibleError) JobCode() string { return "infeasible" }

// Optimize builds the lineups of an optimize request with inline players.
func Optimize(ctx context.Context, req *schema.OptimizeRequest, progress Progress) (*schema.OptimizeResult, error) {
	return optimize(ctx, req, progress, false)
}

// optimize is Optimize; perLineup forces one branch and bound per lineup
// instead of the enumeration strategy (tests cover both).
func optimize(ctx context.Context, req *schema.OptimizeRequest, progress Progress, perLineup bool) (*schema.OptimizeResult, error) {
	return optimizeWith(ctx, req, progress, perLineup, defaultPoolLimits)
}

// optimizeWith is optimize with the enumeration's pool limits (tests shrink
// them to exercise narrowing and the per-lineup fallback).
func optimizeWith(ctx context.Context, req *schema.OptimizeRequest, progress Progress, perLineup bool, limits poolLimits) (*schema.OptimizeResult, error) {
	start := time.Now()
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if len(req.Players) == 0 {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "players", Reason: schema.ReasonRequired,
			Message: "players are required (resolve slate_id before optimizing)"}}}
	}
	site, sport, mode, _ := req.Normalized()
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "mode", Reason: schema.ReasonInvalid, Message: err.Error()}}}
	}
	o, err := newOptimization(req, rules)
	if err != nil {
		return nil, err
	}
	o.perLineup = perLineup
	o.limits = limits
	var res *schema.OptimizeResult
	if req.LateSwap != nil {
		res, err = o.lateSwap(ctx, progress)
	} else {
		res, err = o.sequence(ctx, progress)
	}
	if err != nil {
		return nil, err
	}
	res.Stats.SolveMS = time.Since(start).Milliseconds()
	return res, nil
}

// optimization is one request prepared for solving.
type optimization struct {
	perLineup bool
	limits    poolLimits
	poolBytes int64 // largest enumeration pool held
	req       *schema.OptimizeRequest
	rules     *slate.Rules
	pool      []slate.Player
	byID      map[string]int
	prob      *problem
	locked    []bool
	minCount  []int
	maxCount  []int
	warnings  []string
	nodes     int64
	iters     int64
	rows      int
	cols      int
}

func fieldErr(field, reason, format string, args ...any) error {
	return &schema.ValidationError{Errors: []schema.FieldError{{Field: field, Reason: reason, Message: fmt.Sprintf(format, args...)}}}
}

func newOptimization(req *schema.OptimizeRequest, rules *slate.Rules) (*optimization, error) {
	c := &req.Constraints
	o := &optimization{req: req, rules: rules, byID: map[string]int{}, limits: defaultPoolLimits}
	all := map[string]bool{}
	for _, p := range req.Players {
		all[p.ID] = true
	}
	locks := map[string]bool{}
	for i, id := range c.Locks {
		if !all[id] {
			return nil, fieldErr(fmt.Sprintf("constraints.locks[%d]", i), schema.ReasonNotFound, "locked player %q is not in the slate", id)
		}
		locks[id] = true
	}
	excl := map[string]bool{}
	for _, id := range c.Excludes {
		excl[id] = true
	}
	for id := range c.Exposures {
		if !all[id] {
			return nil, fieldErr("constraints.exposures."+id, schema.ReasonNotFound, "player %q is not in the slate", id)
		}
	}
	statuses := map[string]bool{}
	for _, s := range c.ExcludeStatuses {
		statuses[strings.ToUpper(strings.TrimSpace(s))] = true
	}
	dropped := map[string]int{}
	for _, p := range req.Players {
		switch {
		case excl[p.ID]:
			dropped["excluded"]++
			continue
		case locks[p.ID]:
		case p.Status != "" && statuses[strings.ToUpper(p.Status)]:
			dropped["status"]++
			continue
		case c.MinProjection != 0 && p.Projection < c.MinProjection:
			dropped["below min_projection"]++
			continue
		case p.GameStarted && req.LateSwap == nil:
			dropped["game started"]++
			continue
		}
		if !rules.Eligible(&p) {
			if locks[p.ID] {
				return nil, fieldErr("constraints.locks", schema.ReasonInvalid, "locked player %q has no eligible slot in %s %s %s", p.ID, rules.Site, rules.Sport, rules.Mode)
			}
			dropped["no eligible slot"]++
			continue
		}
		o.byID[p.ID] = len(o.pool)
		o.pool = append(o.pool, p)
	}
	for i, id := range c.Locks {
		if _, ok := o.byID[id]; !ok {
			return nil, fieldErr(fmt.Sprintf("constraints.locks[%d]", i), schema.ReasonConflict, "locked player %q was filtered out of the pool", id)
		}
	}
	for _, k := range sortedKeys(dropped) {
		o.warnings = append(o.warnings, fmt.Sprintf("%d players dropped: %s", dropped[k], k))
	}
	size := rules.Size()
	if c.MinUnique > size {
		return nil, fieldErr("constraints.min_unique", schema.ReasonOutOfRange, "min_unique %d exceeds the roster size %d", c.MinUnique, size)
	}
	pr := &problem{rules: rules, players: o.pool, size: size}
	pr.maxPerTeam = rules.MaxPerTeam
	if c.MaxPerTeam > 0 && (pr.maxPerTeam == 0 || c.MaxPerTeam < pr.maxPerTeam) {
		pr.maxPerTeam = c.MaxPerTeam
	}
	pr.minGames = max(rules.MinGames, c.MinGames)
	pr.minTeams = rules.MinTeams
	pr.minSalary = c.MinSalary
	pr.maxSalary = rules.SalaryCap
	if c.MaxSalary > 0 && c.MaxSalary < pr.maxSalary {
		pr.maxSalary = c.MaxSalary
	}
	pr.noOppDef = c.NoOpposingDefense && len(rules.DefensePositions) > 0
	pr.minUnique = max(1, c.MinUnique)
	indexTeams(pr)
	for i, st := range c.Stacks {
		spec, err := normalizeStack(pr, st, i)
		if err != nil {
			return nil, err
		}
		pr.stacks = append(pr.stacks, spec)
	}
	o.prob = pr
	// exposure bounds
	n := req.Lineups
	if req.LateSwap != nil {
		n = len(req.LateSwap.Lineups)
	}
	o.locked = make([]bool, len(o.pool))
	o.minCount = make([]int, len(o.pool))
	o.maxCount = make([]int, len(o.pool))
	for i, p := range o.pool {
		o.locked[i] = locks[p.ID]
		o.maxCount[i] = n
		if c.MaxExposure != nil && !o.locked[i] {
			o.maxCount[i] = int(math.Floor(*c.MaxExposure*float64(n) + 1e-9))
		}
		if e, ok := c.Exposures[p.ID]; ok {
			if e.Max != nil {
				o.maxCount[i] = int(math.Floor(*e.Max*float64(n) + 1e-9))
				if o.locked[i] && o.maxCount[i] < n {
					return nil, fieldErr("constraints.exposures."+p.ID+".max", schema.ReasonConflict, "player %q is locked but has a max exposure below 1", p.ID)
				}
			}
			if e.Min != nil {
				o.minCount[i] = int(math.Ceil(*e.Min*float64(n) - 1e-9))
			}
			if o.minCount[i] > o.maxCount[i] {
				return nil, fieldErr("constraints.exposures."+p.ID, schema.ReasonConflict,
					"player %q needs %d lineups by min exposure but max exposure allows %d of %d", p.ID, o.minCount[i], o.maxCount[i], n)
			}
		}
	}
	for id, e := range c.Exposures {
		if _, ok := o.byID[id]; !ok && e.Min != nil && *e.Min > 0 {
			return nil, fieldErr("constraints.exposures."+id+".min", schema.ReasonConflict, "player %q has a min exposure but was filtered out of the pool", id)
		}
	}
	return o, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// indexTeams numbers teams and games and derives opponents.
func indexTeams(pr *problem) {
	teamIdx := map[string]int{}
	gameIdx := map[string]int{}
	team := func(t string) int {
		k, ok := teamIdx[t]
		if !ok {
			k = len(pr.teams)
			teamIdx[t] = k
			pr.teams = append(pr.teams, t)
			pr.opp = append(pr.opp, nil)
		}
		return k
	}
	pr.teamOf = make([]int, len(pr.players))
	pr.gameOf = make([]int, len(pr.players))
	for i := range pr.players {
		p := &pr.players[i]
		pr.teamOf[i] = team(p.Team)
		g := p.GameKey()
		k, ok := gameIdx[g]
		if !ok {
			k = len(gameIdx)
			gameIdx[g] = k
		}
		pr.gameOf[i] = k
	}
	pr.numGames = len(gameIdx)
	addOpp := func(a, b string) {
		if a == "" || b == "" || a == b {
			return
		}
		ta, tb := team(a), team(b)
		if !slices.Contains(pr.opp[ta], tb) {
			pr.opp[ta] = append(pr.opp[ta], tb)
		}
		if !slices.Contains(pr.opp[tb], ta) {
			pr.opp[tb] = append(pr.opp[tb], ta)
		}
	}
	for i := range pr.players {
		p := &pr.players[i]
		addOpp(p.Team, p.Opponent)
		if away, home, ok := strings.Cut(p.Game, "@"); ok && p.Opponent == "" {
			addOpp(strings.TrimSpace(away), strings.TrimSpace(strings.Fields(home + " ")[0]))
		}
	}
}

func normalizeStack(pr *problem, st schema.Stack, i int) (stackSpec, error) {
	field := fmt.Sprintf("constraints.stacks[%d]", i)
	spec := stackSpec{team: -1, bringBack: st.BringBack, label: field}
	var sets [][]string
	for _, e := range st.Positions {
		var set []string
		for _, p := range strings.Split(e, "|") {
			if p = strings.ToUpper(strings.TrimSpace(p)); p != "" && !slices.Contains(set, p) {
				set = append(set, p)
			}
		}
		slices.Sort(set)
		sets = append(sets, set)
	}
	switch {
	case st.Size > 0 && len(sets) > 0 && st.Size != len(sets):
		var union []string
		for _, s := range sets {
			for _, p := range s {
				if !slices.Contains(union, p) {
					union = append(union, p)
				}
			}
		}
		slices.Sort(union)
		for k := 0; k < st.Size; k++ {
			spec.entries = append(spec.entries, union)
		}
	case len(sets) > 0:
		spec.entries = sets
	default:
		var anyPos []string
		for _, s := range pr.rules.Slots {
			for _, p := range s.Eligible {
				if !slices.Contains(anyPos, p) && !slices.Contains(pr.rules.DefensePositions, p) {
					anyPos = append(anyPos, p)
				}
			}
		}
		slices.Sort(anyPos)
		for k := 0; k < st.Size; k++ {
			spec.entries = append(spec.entries, anyPos)
		}
	}
	if len(spec.entries) > pr.size {
		return spec, fieldErr(field, schema.ReasonOutOfRange, "%s asks for %d players; a lineup has %d", field, len(spec.entries), pr.size)
	}
	if t := strings.TrimSpace(st.Team); t != "" && !strings.EqualFold(t, "any") {
		k := slices.Index(pr.teams, t)
		if k < 0 {
			k = slices.IndexFunc(pr.teams, func(s string) bool { return strings.EqualFold(s, t) })
		}
		if k < 0 {
			return spec, fieldErr(field+".team", schema.ReasonNotFound, "team %q is not in the slate", t)
		}
		spec.team = k
	}
	for _, p := range st.BringBackPositions {
		spec.bbPos = append(spec.bbPos, strings.ToUpper(strings.TrimSpace(p)))
	}
	return spec, nil
}

// sequence generates the lineups one after another.
func (o *optimization) sequence(ctx context.Context, progress Progress) (*schema.OptimizeResult, error) {
	n := o.req.Lineups
	md := buildModel(o.prob)
	s := &search{md: md}
	counts := make([]int, len(o.pool))
	state := make([]int, len(o.pool))
	for i := range state {
		state[i] = -2
	}
	var lineups [][]int
	finished := false
	if o.req.Randomness == 0 && !o.perLineup {
		var err error
		lineups, finished, err = o.selectFromPool(ctx, s, counts, progress)
		if err != nil {
			return nil, err
		}
	}
	noise := make([]float64, md.nx)
	dom := newDominance(md)
	allowed := make([]bool, len(o.pool))
	fresh := make([]bool, len(o.pool))
	keep := make([]bool, len(o.pool))
	for k := len(lineups); k < n && !finished; k++ {
		var forced []string
		want := make([]int, len(o.pool))
		for i := range o.pool {
			st := -1
			switch {
			case o.locked[i]:
				st = 1
			case counts[i] >= o.maxCount[i]:
				st = 0
			case o.minCount[i]-counts[i] >= n-k:
				st = 1
				forced = append(forced, o.pool[i].ID)
			}
			want[i] = st
			allowed[i] = st != 0
			fresh[i] = counts[i] == 0
			keep[i] = st == 1
		}
		if o.req.Randomness > 0 {
			rng := rand.New(rand.NewPCG(o.req.Seed, uint64(k)+1))
			z := make([]float64, len(o.pool))
			for i := range z {
				z[i] = rng.NormFloat64()
			}
			for j, c := range md.cols {
				noise[j] = c.base * (1 + o.req.Randomness*z[c.player])
			}
			md.lp.setObjective(noise)
		}
		for i, drop := range dom.dominated(md, allowed, fresh, keep) {
			if drop {
				want[i] = 0
			}
		}
		for i, st := range want {
			if st != state[i] {
				md.fixPlayer(i, st)
				state[i] = st
			}
		}
		cols, ok, err := s.solveLineup(ctx)
		if err != nil {
			return nil, fmt.Errorf("lineup %d: %w", k+1, err)
		}
		if !ok {
			if k == 0 {
				return nil, o.diagnose(ctx)
			}
			if len(forced) > 0 {
				return nil, &InfeasibleError{Reason: fmt.Sprintf("lineup %d cannot include the players whose min exposure requires it (%s)", k+1, strings.Join(forced, ", ")),
					Rules: []string{"constraints.exposures"}}
			}
			o.warnings = append(o.warnings, fmt.Sprintf("only %d of %d lineups satisfy the constraints", k, n))
			break
		}
		lineups = append(lineups, cols)
		s.prev = append(s.prev, cols)
		for _, j := range cols {
			counts[md.cols[j].player]++
		}
		if progress != nil {
			progress(k+1, n)
		}
	}
	for i, p := range o.pool {
		if counts[i] < o.minCount[i] {
			return nil, &InfeasibleError{Reason: fmt.Sprintf("player %q reached %d lineups, below the %d its min exposure requires", p.ID, counts[i], o.minCount[i]),
				Rules: []string{"constraints.exposures." + p.ID + ".min"}}
		}
	}
	o.account(s)
	out := make([]schema.Lineup, len(lineups))
	for k, cols := range lineups {
		out[k] = o.assemble(md, cols, nil)
	}
	return o.result(out), nil
}

func (o *optimization) account(s *search) {
	o.nodes += s.nodes
	o.iters += s.md.lp.iterations
	o.rows = max(o.rows, s.md.lp.m)
	o.cols = max(o.cols, s.md.lp.n)
}

// result assembles the result document.
func (o *optimization) result(lineups []schema.Lineup) *schema.OptimizeResult {
	res := &schema.OptimizeResult{Site: string(o.rules.Site), Sport: string(o.rules.Sport), Mode: string(o.rules.Mode),
		Lineups: lineups, Exposures: map[string]float64{}, Warnings: o.warnings}
	count := map[string]int{}
	for _, lu := range lineups {
		for _, p := range lu.Players {
			count[p.ID]++
		}
	}
	for id, c := range count {
		res.Exposures[id] = float64(c) / float64(len(lineups))
	}
	res.Stats = schema.OptimizeStats{Nodes: o.nodes, Players: len(o.pool), Requested: o.req.Lineups,
		LPIterations: o.iters, LPRows: o.rows, LPColumns: o.cols,
		MemoryBytes: int64(o.rows*o.rows*8+o.cols*o.rows*16) + o.poolBytes}
	if o.req.LateSwap != nil {
		res.Stats.Requested = len(o.req.LateSwap.Lineups)
	}
	if res.Lineups == nil {
		res.Lineups = []schema.Lineup{}
	}
	return res
}

// assemble places the chosen columns (and pinned players) into slots.
func (o *optimization) assemble(md *model, cols []int, pins []pin) schema.Lineup {
	r := o.rules
	slotPlayer := make([]int, len(r.Slots))
	for i := range slotPlayer {
		slotPlayer[i] = -1
	}
	for _, p := range pins {
		slotPlayer[p.slot] = p.player
	}
	for g, gr := range md.groups {
		var members []column
		for _, j := range cols {
			if md.cols[j].group == g {
				members = append(members, md.cols[j])
			}
		}
		match := matchSlots(members, len(gr.slots))
		for k, m := range match {
			if m >= 0 {
				slotPlayer[gr.slots[k]] = members[m].player
			}
		}
	}
	var lu schema.Lineup
	proj := 0.0
	for si, i := range slotPlayer {
		if i < 0 {
			continue
		}
		p := &o.pool[i]
		lp := schema.LineupPlayer{Slot: r.Slots[si].Name, ID: p.ID, Name: p.Name, Team: p.Team,
			Salary: r.SlotSalary(p, si), Projection: math.Round(r.SlotPoints(p, si)*1e6) / 1e6}
		if r.Slots[si].PointsMultiplier != 1 || r.Slots[si].SalaryMultiplier != 1 {
			lp.UploadID = p.CaptainID
		}
		lu.Salary += lp.Salary
		proj += lp.Projection
		lu.Players = append(lu.Players, lp)
	}
	lu.Projection = math.Round(proj*1e6) / 1e6
	return lu
}

// matchSlots assigns members to slots by their masks (augmenting paths);
// result[k] is the member in slot k or -1.
func matchSlots(members []column, slots int) []int {
	slotOf := make([]int, slots)
	for k := range slotOf {
		slotOf[k] = -1
	}
	var try func(m int, seen []bool) bool
	try = func(m int, seen []bool) bool {
		for k := 0; k < slots; k++ {
			if members[m].mask&(1<<k) == 0 || seen[k] {
				continue
			}
			seen[k] = true
			if slotOf[k] < 0 || try(slotOf[k], seen) {
				slotOf[k] = m
				return true
			}
		}
		return false
	}
	for m := range members {
		try(m, make([]bool, slots))
	}
	return slotOf
}

// FieldErrors names the conflicting rules as request fields, one error
// each (reason "conflict"), for the failed job's error details.
func (e *InfeasibleError) FieldErrors() []schema.FieldError {
	out := make([]schema.FieldError, 0, len(e.Rules))
	for _, r := range e.Rules {
		out = append(out, schema.FieldError{Field: r, Reason: schema.ReasonConflict,
			Message: "no lineup satisfies the request with " + r + ": " + e.Reason})
	}
	return out
}
