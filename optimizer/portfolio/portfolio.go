// Package portfolio chooses a set of contest entries from a pool of
// candidate lineups to maximize the portfolio's expected payout in
// simulated contests, under per-player exposure caps.
//
// Method. The candidates are simulated against the field with the contest
// package (contest.Observe): in every sim each candidate gets its standing
// against the field alone — its score, the field lineups above it and tied
// with it. Only the sims in which a candidate finishes inside the paid
// places are kept (outside them it and every own entry below it win
// nothing, so its marginal gain there is exactly 0).
//
// Selection is greedy on the marginal gain in expected payout, and the
// interaction of the chosen entries is exact, not approximated: in each sim
// the chosen entries are kept as tie groups sorted by score; adding a
// candidate places it after the field lineups and chosen entries above it,
// makes it share its place with tied field lineups and tied chosen entries
// (tied lineups split the prizes of the places they occupy equally, as in
// the contest simulation), and pushes every chosen entry below it down one
// place. The gain is its share minus what the chosen entries lose. The
// reported payouts are those of the chosen entries entered together.
//
// The greedy is lazy (CELF): a candidate's last computed gain is used as an
// upper bound and only the candidate at the top of the queue is
// re-evaluated. That is exact for submodular objectives; the expected payout
// is close to submodular but not exactly (with a steep top of the payout
// table, entries above a group can shrink what it loses to one more entry),
// so the lazy greedy may occasionally pick a different, marginally worse
// entry than the plain greedy (tests compare the two). Greedy selection
// itself is a heuristic: it does not guarantee the best portfolio.
package portfolio

import (
	"container/heap"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/lineup"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Progress receives progress by phase ("generating", "simulating",
// "selecting").
type Progress func(done, total int, phase string)

// Select runs a portfolio request with inline players (resolve slate_id
// before calling).
func Select(ctx context.Context, req *schema.PortfolioRequest, progress Progress) (*schema.PortfolioSelection, error) {
	return selectPortfolio(ctx, req, progress, true, contest.Options{})
}

// SelectWith is Select with contest options: opts.Calibration, resolved by
// the caller from the request's calibration_id, drives the simulated
// outcomes as in contest.SimulateWith.
func SelectWith(ctx context.Context, req *schema.PortfolioRequest, progress Progress, opts contest.Options) (*schema.PortfolioSelection, error) {
	return selectPortfolio(ctx, req, progress, true, opts)
}

func validationError(field, reason, format string, args ...any) error {
	return &schema.ValidationError{Errors: []schema.FieldError{{Field: field, Reason: reason, Message: fmt.Sprintf(format, args...)}}}
}

func selectPortfolio(ctx context.Context, req *schema.PortfolioRequest, progress Progress, lazy bool, opts contest.Options) (*schema.PortfolioSelection, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if len(req.Players) == 0 {
		return nil, validationError("players", schema.ReasonRequired, "portfolio: players must be inline (resolve slate_id first)")
	}
	site, sport, mode, err := req.Normalized()
	if err != nil {
		return nil, err
	}
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		return nil, validationError("mode", schema.ReasonInvalid, "%v", err)
	}
	res := &schema.PortfolioSelection{}

	// Candidate pool.
	genStart := time.Now()
	cands := slices.Clone(req.Candidates.Lineups)
	if g := req.Candidates.Generate; g != nil {
		oreq := &schema.OptimizeRequest{Site: req.Site, Sport: req.Sport, Mode: req.Mode, Players: req.Players,
			Lineups: g.Count, Constraints: g.Constraints, Randomness: g.RandomnessOrDefault(), Seed: req.Seed}
		ores, err := lineup.Optimize(ctx, oreq, func(d, t int) { progress(d, t, "generating") })
		if err != nil {
			return nil, fmt.Errorf("generate candidates: %w", err)
		}
		for _, lu := range ores.Lineups {
			ids := make([]string, len(lu.Players))
			for i, p := range lu.Players {
				ids[i] = p.ID
			}
			cands = append(cands, ids)
		}
		for _, w := range ores.Warnings {
			res.Warnings = append(res.Warnings, "candidate generation: "+w)
		}
		if len(ores.Lineups) < g.Count {
			res.Warnings = append(res.Warnings, fmt.Sprintf("candidate generation produced %d of %d lineups", len(ores.Lineups), g.Count))
		}
	}
	res.Stats.GenerateMS = time.Since(genStart).Milliseconds()
	cands, dups := dedupe(cands, positional(rules))
	if dups > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d duplicate candidate lineups removed", dups))
	}
	n := req.Lineups
	if len(cands) < n {
		res.Warnings = append(res.Warnings, fmt.Sprintf("only %d distinct candidates for %d lineups: all are entered", len(cands), n))
		n = len(cands)
	}
	if n == 0 {
		return nil, validationError("candidates", schema.ReasonRequired, "the candidate pool is empty")
	}

	// Simulate the candidates against the field.
	simStart := time.Now()
	cfg, notes, err := contest.OutcomeConfig(sport, req.OutcomeModel, req.Correlation, req.DefaultStdDev, req.CalibrationID, opts.Calibration)
	if err != nil {
		return nil, err
	}
	// Every candidate is entered: the candidates' standings against the
	// field are what the selection needs.
	problem := &contest.Problem{Rules: rules, Players: req.Players, Entries: cands, EntriesField: "candidates.lineups",
		FieldLineups: req.Field.Lineups, EntryFee: req.Contest.EntryFee, Payouts: req.Contest.Payouts,
		Sims: req.SimCount(), Seed: req.Seed, Outcome: cfg, Notes: notes}
	if len(req.Field.Lineups) == 0 {
		problem.FieldSize = req.FieldCount()
	}
	prep, err := contest.PrepareProblem(ctx, problem)
	if err != nil {
		return nil, err
	}
	for _, w := range prep.Warnings {
		// The payout table is checked against the contest of the chosen
		// entries, not of every candidate.
		if !strings.Contains(w, "beyond the") {
			res.Warnings = append(res.Warnings, w)
		}
	}
	fieldSize := prep.FieldSize()
	if req.Contest.Size > 0 && req.Contest.Size != fieldSize+n {
		res.Warnings = append(res.Warnings, fmt.Sprintf("contest.size is %d but the contest simulated has %d lineups (%d entries + %d field)",
			req.Contest.Size, fieldSize+n, n, fieldSize))
	}
	s := newState(req, fieldSize+n, len(cands), prep.Sims)
	if err := s.observe(ctx, prep, func(d, t int) { progress(d, t, "simulating") }); err != nil {
		return nil, err
	}
	res.Stats.SimMS = time.Since(simStart).Milliseconds()

	// Exposure caps.
	index := make(map[string]int, len(req.Players))
	for i := range req.Players {
		index[req.Players[i].ID] = i
	}
	capOf := make([]int, len(req.Players))
	for i := range req.Players {
		capOf[i] = req.Constraints.MaxCount(req.Players[i].ID, n)
	}
	members := make([][]int, len(cands))
	for c, lu := range cands {
		for _, id := range lu {
			members[c] = append(members[c], index[id])
		}
	}

	selStart := time.Now()
	chosen, gains, evals, err := s.greedy(ctx, n, members, capOf, lazy, func(d, t int) { progress(d, t, "selecting") })
	if err != nil {
		return nil, err
	}
	res.Stats.SelectMS = time.Since(selStart).Milliseconds()
	res.Stats.Evaluations = evals
	if len(chosen) < n {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the exposure caps allow only %d of %d lineups from this candidate pool", len(chosen), n))
	}
	s.report(res, prep, cands, chosen, gains)
	res.Stats.FieldSize = fieldSize
	res.Stats.FieldGenerated = prep.FieldGenerated()
	res.Candidates = len(cands)
	res.Sims = prep.Sims
	return res, nil
}

// positional reports whether slot order matters (multiplier slots).
func positional(rules *slate.Rules) bool {
	for _, s := range rules.Slots {
		if s.PointsMultiplier != 1 || s.SalaryMultiplier != 1 {
			return true
		}
	}
	return false
}

// dedupe drops repeated lineups (same players; same slots too when slot
// order matters), keeping the first.
func dedupe(lineups [][]string, positional bool) ([][]string, int) {
	seen := make(map[string]bool, len(lineups))
	out := lineups[:0:0]
	for _, lu := range lineups {
		k := slices.Clone(lu)
		if positional && len(k) > 0 {
			slices.Sort(k[1:]) // captain/MVP first; the rest are interchangeable
		} else {
			slices.Sort(k)
		}
		key := strings.Join(k, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, lu)
	}
	return out, len(lineups) - len(out)
}

// state holds the candidates' standings and the chosen entries' tie groups
// per sim.
type state struct {
	sims  int
	total int       // lineups in the contest: field + chosen entries
	paid  int       // last paid place
	pre   []float64 // pre[k] = prizes of places 1..k
	fee   float64
	cands []standings
	alone []float64 // sum over sims of a candidate's payout entered alone
	// groups[sim] are the chosen entries' tie groups, best score first
	// (only entries that finish inside the paid places of the field).
	groups [][]group
}

// standings are one candidate's paid-range standings, by sim.
type standings struct {
	sim, score, above, tied []int32
}

type group struct {
	score, above, tied int32 // field standing of the score
	n                  int32 // chosen entries at the score
	cum                int32 // chosen entries above the score
	pay                float64
	delta              float64 // change of pay if one more lineup ranks above
	suffix             float64 // delta of this group and all below
}

func newState(req *schema.PortfolioRequest, total, candidates, sims int) *state {
	s := &state{sims: sims, total: total, fee: req.Contest.EntryFee, cands: make([]standings, candidates),
		alone: make([]float64, candidates), groups: make([][]group, sims)}
	perPlace := make([]float64, total+1)
	for _, r := range req.Contest.Payouts {
		for pl := r.Places[0]; pl <= min(r.Places[1], total); pl++ {
			perPlace[pl] = r.Prize
			if r.Prize > 0 {
				s.paid = max(s.paid, pl)
			}
		}
	}
	s.pre = make([]float64, total+1)
	for k := 1; k <= total; k++ {
		s.pre[k] = s.pre[k-1] + perPlace[k]
	}
	return s
}

// places returns the prizes of places g+1..g+t (clamped to the contest).
func (s *state) places(g, t int32) float64 {
	return s.pre[min(int(g+t), s.total)] - s.pre[min(int(g), s.total)]
}

// observe simulates the sims in blocks and keeps every candidate's
// standings inside the paid places, in sim order.
func (s *state) observe(ctx context.Context, prep *contest.Prepared, progress func(int, int)) error {
	nc := len(s.cands)
	block := min(max(64, (1<<20)/max(nc, 1)), 2048)
	buf := make([]contest.Standing, block*nc)
	for b0 := 0; b0 < s.sims; b0 += block {
		b1 := min(b0+block, s.sims)
		err := contest.Observe(ctx, prep, b0, b1, func(sim int, st []contest.Standing) {
			copy(buf[(sim-b0)*nc:(sim-b0+1)*nc], st)
		})
		if err != nil {
			return err
		}
		for sim := b0; sim < b1; sim++ {
			row := buf[(sim-b0)*nc : (sim-b0+1)*nc]
			for c, st := range row {
				if int(st.Above) >= s.paid {
					continue
				}
				d := &s.cands[c]
				d.sim = append(d.sim, int32(sim))
				d.score = append(d.score, st.Score)
				d.above = append(d.above, st.Above)
				d.tied = append(d.tied, st.Tied)
				s.alone[c] += s.places(st.Above, st.Tied+1) / float64(st.Tied+1)
			}
		}
		progress(b1, s.sims)
	}
	return nil
}

// find returns the index of the first group scoring at most score.
func find(gs []group, score int32) int {
	if len(gs) < 16 {
		for i := range gs {
			if gs[i].score <= score {
				return i
			}
		}
		return len(gs)
	}
	return sort.Search(len(gs), func(i int) bool { return gs[i].score <= score })
}

// gain returns candidate c's marginal gain in expected portfolio payout.
func (s *state) gain(c int) float64 {
	d := &s.cands[c]
	sum := 0.0
	for k, sim := range d.sim {
		gs := s.groups[sim]
		sc := d.score[k]
		i := find(gs, sc)
		var above, same int32
		var old, below float64
		switch {
		case i < len(gs):
			above = gs[i].cum
			if gs[i].score == sc {
				same, old = gs[i].n, gs[i].pay
				if i+1 < len(gs) {
					below = gs[i+1].suffix
				}
			} else {
				below = gs[i].suffix
			}
		case len(gs) > 0:
			last := &gs[len(gs)-1]
			above = last.cum + last.n
		}
		g, t := d.above[k]+above, d.tied[k]+same+1
		sum += float64(same+1)/float64(t)*s.places(g, t) - old + below
	}
	return sum / float64(s.sims)
}

// add enters candidate c into the chosen set.
func (s *state) add(c int) {
	d := &s.cands[c]
	for k, sim := range d.sim {
		gs := s.groups[sim]
		sc := d.score[k]
		i := find(gs, sc)
		if i < len(gs) && gs[i].score == sc {
			gs[i].n++
		} else {
			gs = slices.Insert(gs, i, group{score: sc, above: d.above[k], tied: d.tied[k], n: 1})
		}
		var cum int32
		for j := range gs {
			x := &gs[j]
			x.cum = cum
			g, t := x.above+cum, x.tied+x.n
			share := float64(x.n) / float64(t)
			x.pay = share * s.places(g, t)
			x.delta = share*s.places(g+1, t) - x.pay
			cum += x.n
		}
		next := 0.0
		for j := len(gs) - 1; j >= 0; j-- {
			gs[j].suffix = gs[j].delta + next
			next = gs[j].suffix
		}
		s.groups[sim] = gs
	}
}

// gains evaluates the candidates cs in parallel (each by one goroutine, so
// the sums do not depend on scheduling).
func (s *state) gains(ctx context.Context, cs []int) ([]float64, error) {
	out := make([]float64, len(cs))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(cs)/8))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(cs); i += workers {
				if i%64 == 0 && ctx.Err() != nil {
					return
				}
				out[i] = s.gain(cs[i])
			}
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// item is a candidate in the lazy greedy's queue.
type item struct {
	gain  float64
	c     int
	stamp int // step at which gain was computed
}

// queue is a max-heap of items (heap.Interface), ties to the lower index.
type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].gain != q[j].gain {
		return q[i].gain > q[j].gain
	}
	return q[i].c < q[j].c
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// greedy chooses up to n candidates, returning them in order with their
// marginal gains and the number of gain evaluations.
func (s *state) greedy(ctx context.Context, n int, members [][]int, capOf []int, lazy bool, progress func(int, int)) ([]int, []float64, int, error) {
	count := make([]int, len(capOf))
	eligible := func(c int) bool {
		for _, p := range members[c] {
			if count[p]+1 > capOf[p] {
				return false
			}
		}
		return true
	}
	all := make([]int, 0, len(s.cands))
	for c := range s.cands {
		if eligible(c) {
			all = append(all, c)
		}
	}
	g0, err := s.gains(ctx, all)
	if err != nil {
		return nil, nil, 0, err
	}
	evals := len(all)
	var chosen []int
	var gains []float64
	take := func(c int, g float64) {
		chosen = append(chosen, c)
		gains = append(gains, g)
		for _, p := range members[c] {
			count[p]++
		}
		s.add(c)
		progress(len(chosen), n)
	}
	if !lazy {
		taken := make([]bool, len(s.cands))
		cur := g0
		for step := 0; step < n; step++ {
			best := -1
			for i, c := range all {
				if taken[c] || !eligible(c) {
					continue
				}
				if best < 0 || cur[i] > cur[best] {
					best = i
				}
			}
			if best < 0 {
				break
			}
			taken[all[best]] = true
			take(all[best], cur[best])
			if step+1 < n {
				if cur, err = s.gains(ctx, all); err != nil {
					return nil, nil, 0, err
				}
				evals += len(all)
			}
		}
		return chosen, gains, evals, nil
	}
	q := make(queue, len(all))
	for i, c := range all {
		q[i] = item{gain: g0[i], c: c}
	}
	heap.Init(&q)
	for step := 0; step < n && q.Len() > 0; {
		if err := ctx.Err(); err != nil {
			return nil, nil, 0, err
		}
		top := heap.Pop(&q).(item)
		if !eligible(top.c) {
			continue // exposure only grows: never eligible again
		}
		if top.stamp == step {
			take(top.c, top.gain)
			step++
			continue
		}
		top.gain, top.stamp = s.gain(top.c), step
		evals++
		heap.Push(&q, top)
	}
	return chosen, gains, evals, nil
}

// report fills the result document from the chosen entries' tie groups.
func (s *state) report(res *schema.PortfolioSelection, prep *contest.Prepared, cands [][]string, chosen []int, gains []float64) {
	sims := float64(s.sims)
	totals := make([]float64, s.sims)
	for sim, gs := range s.groups {
		for _, g := range gs {
			totals[sim] += g.pay
		}
	}
	var sum float64
	for _, t := range totals {
		sum += t
	}
	res.Entries = make([]schema.PortfolioEntry, len(chosen))
	exposure := map[string]int{}
	for e, c := range chosen {
		d := &s.cands[c]
		var pay, win float64
		var cash int
		for k, sim := range d.sim {
			gs := s.groups[sim]
			i := find(gs, d.score[k])
			g := &gs[i]
			share := g.pay / float64(g.n)
			pay += share
			if share > 0 {
				cash++
			}
			if g.above+g.cum == 0 {
				win += 1 / float64(g.tied+g.n)
			}
		}
		mean := pay / sims
		res.Entries[e] = schema.PortfolioEntry{Candidate: c, Players: cands[c], Projection: prep.EntryProjection(c),
			MeanPayout: mean, ROI: (mean - s.fee) / s.fee, CashRate: float64(cash) / sims, WinRate: win / sims,
			AloneMeanPayout: s.alone[c] / sims, MarginalGain: gains[e]}
		for _, id := range cands[c] {
			exposure[id]++
		}
	}
	for c := range s.cands {
		res.Stats.Standings += int64(len(s.cands[c].sim))
	}
	res.Exposures = make(map[string]float64, len(exposure))
	for id, k := range exposure {
		res.Exposures[id] = float64(k) / float64(max(len(chosen), 1))
	}
	fees := s.fee * float64(max(len(chosen), 1))
	mean := sum / sims
	slices.Sort(totals)
	res.Portfolio = schema.PortfolioResult{MeanPayout: mean, ROI: (mean - fees) / fees,
		P05: quantile(totals, 0.05), P95: quantile(totals, 0.95)}
}

// quantile is the linearly interpolated q-quantile of sorted values
// (Hyndman-Fan type 7, as in the contest package).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	h := q * float64(len(sorted)-1)
	i := int(h)
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}
