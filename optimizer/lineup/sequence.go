package lineup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// poolLimits bound the rosters one round of the enumeration strategy holds:
// round plus perLineup per missing lineup, at most pool. A round that
// reaches its limit retries a narrower window; after maxOverflows such
// rounds, or when the window cannot narrow below minWiden (ties), the
// sequence continues with one branch and bound per lineup.
type poolLimits struct{ round, perLineup, pool int }

var defaultPoolLimits = poolLimits{round: 1000, perLineup: 20, pool: 60_000}

// maxOverflows is how many rounds of a sequence may reach their pool limit.
const maxOverflows = 6

// minWiden is the narrowest window extension (points) a round that reaches
// its pool limit is narrowed to.
const minWiden = 0.01

var errPoolFull = errors.New("enumeration pool full")

// candidate lineup of the enumeration pool.
type pooled struct {
	cols []int
	v    float64
	dead bool
}

// selectFromPool builds the sequence from an enumeration: every lineup
// satisfying the static rules with a value of at least v1-delta is collected
// once, sorted, and lineup i is the first one that satisfies the dynamic
// rules (uniqueness against lineups 1..i-1, exposures). That is exactly the
// sequential optimum while the chosen value is at least the floor: any better
// lineup would be in the pool ahead of it. When no pooled lineup qualifies the
// window is widened and enumerated again. It returns the lineups chosen, and
// finished=true when the sequence is complete or no further lineup exists;
// finished=false hands the rest of the sequence to per-lineup branch and bound
// (windows kept reaching their pool limit, see poolLimits).
func (o *optimization) selectFromPool(ctx context.Context, s *search, counts []int, progress Progress) ([][]int, bool, error) {
	md := s.md
	n := o.req.Lineups
	for i := range o.pool {
		st := -1
		if o.locked[i] {
			st = 1
		} else if o.maxCount[i] == 0 {
			st = 0
		}
		md.fixPlayer(i, st)
	}
	first, ok, err := s.solveLineup(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lineup 1: %w", err)
	}
	if !ok {
		return nil, false, o.diagnose(ctx)
	}
	size := md.size
	value := func(cols []int) float64 {
		v := 0.0
		for _, j := range cols {
			v += md.lp.c[j]
		}
		return v
	}
	if n == 1 {
		for _, j := range first {
			counts[md.cols[j].player]++
		}
		s.prev = append(s.prev, first)
		if progress != nil {
			progress(1, 1)
		}
		return [][]int{first}, true, nil
	}
	// no lineup scores below the sum of the size lowest column values
	vals := make([]float64, md.nx)
	copy(vals, md.lp.c[:md.nx])
	slices.Sort(vals)
	lowest := 0.0
	for _, v := range vals[:min(size, len(vals))] {
		lowest += v
	}
	ref := value(first) // best lineup under the static rules and current caps
	step := math.Max(0.5, 0.006*math.Abs(ref))
	delta := 2 * step
	covered := 0.0 // window of the last round enumerated in full since ref was set
	overflows := 0 // rounds stopped at their pool limit
	// depth of the last round that placed lineups, and the lineups chosen by
	// then (0: none since ref was set)
	prevDepth, prevCount := 0.0, 0.0
	var chosen [][]int
	limit := size - md.minUnique
	mark := make([]bool, md.nx)
	excluded := make([]bool, len(o.pool))
	for {
		// players at their exposure cap are out of every later lineup: drop
		// them from the enumeration itself, and measure the window from the
		// best lineup without them
		newCaps := false
		for i := range o.pool {
			if !o.locked[i] && counts[i] >= o.maxCount[i] && o.maxCount[i] > 0 && !excluded[i] {
				md.fixPlayer(i, 0)
				excluded[i] = true
				newCaps = true
			}
		}
		if newCaps {
			s.relaxUniqueness(true)
			best, ok, err := s.solveLineup(ctx)
			s.relaxUniqueness(false)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				return o.finishSequence(chosen, counts)
			}
			ref = value(best)
			delta = 2 * step // a new state: start from a narrow window again
			covered, prevCount = 0, 0
		}
		floor := ref - delta
		complete := floor < lowest
		if complete {
			floor = math.Inf(-1)
		}
		var pool []pooled
		s.ctx = ctx
		roundLimit := min(o.limits.pool, o.limits.round+o.limits.perLineup*(n-len(chosen)))
		err := s.enumerate(floor, func(cols []int, v float64) bool {
			pool = append(pool, pooled{cols: cols, v: v})
			return len(pool) < roundLimit
		})
		if errors.Is(err, errPoolFull) {
			// More rosters in the window than the next lineups can need:
			// narrow it toward the window already covered. Windows that keep
			// overflowing (ties no window splits, or lineups that lie far
			// below rosters they cannot use) go on per lineup.
			overflows++
			if overflows > maxOverflows || delta-covered < minWiden {
				return chosen, false, nil
			}
			delta = covered + (delta-covered)/4
			continue
		}
		if err != nil {
			return nil, false, err
		}
		o.poolBytes = max(o.poolBytes, int64(len(pool))*int64(40+8*size))
		slices.SortFunc(pool, func(a, b pooled) int {
			if c := cmp.Compare(b.v, a.v); c != 0 {
				return c
			}
			return slices.Compare(a.cols, b.cols)
		})
		// replay the dynamic rules of the lineups already chosen
		kill := func(l []int) {
			for _, j := range l {
				mark[j] = true
			}
			for k := range pool {
				if pool[k].dead {
					continue
				}
				shared := 0
				for _, j := range pool[k].cols {
					if mark[j] {
						shared++
					}
				}
				if shared > limit {
					pool[k].dead = true
				}
			}
			for _, j := range l {
				mark[j] = false
			}
		}
		capped := func(player int) {
			for k := range pool {
				if !pool[k].dead && slices.ContainsFunc(pool[k].cols, func(j int) bool { return md.cols[j].player == player }) {
					pool[k].dead = true
				}
			}
		}
		for _, l := range chosen {
			kill(l)
		}
		for i := range o.pool {
			if counts[i] >= o.maxCount[i] && !o.locked[i] {
				capped(i)
			}
		}
		next := 0
		before := len(chosen)
		for len(chosen) < n {
			k := len(chosen)
			var forced []int
			for i := range o.pool {
				if !o.locked[i] && o.minCount[i]-counts[i] >= n-k {
					forced = append(forced, i)
				}
			}
			pick := -1
			for c := next; c < len(pool); c++ {
				if pool[c].dead {
					if c == next {
						next++
					}
					continue
				}
				if len(forced) > 0 && !hasPlayers(md, pool[c].cols, forced) {
					continue
				}
				pick = c
				break
			}
			if pick < 0 {
				break
			}
			l := pool[pick].cols
			chosen = append(chosen, l)
			s.prev = append(s.prev, l)
			kill(l)
			for _, j := range l {
				p := md.cols[j].player
				counts[p]++
				if counts[p] >= o.maxCount[p] && !o.locked[p] {
					capped(p)
				}
			}
			if progress != nil {
				progress(len(chosen), n)
			}
		}
		if len(chosen) == n {
			return chosen, true, nil
		}
		if complete {
			return o.finishSequence(chosen, counts)
		}
		// The work of an enumeration grows about geometrically with the
		// window, so widen it additively: the last round dominates the total.
		// A round that placed nothing doubles the step (the next lineup is far
		// below). Otherwise the lineups placed so far predict how deep the
		// rest lie, with a margin: their count grows about exponentially with
		// the depth of the window once two rounds placed some, linearly
		// before. Narrower than needed costs a round, wider a bigger one.
		placed := len(chosen) - before
		ext := step
		if placed == 0 {
			step *= 2
		} else {
			c := float64(len(chosen))
			if prevCount > 0 && c > prevCount {
				growth := math.Log(c/prevCount) / (delta - prevDepth)
				ext = 1.25 * math.Log(float64(n)/c) / growth
			} else {
				ext = 1.5 * float64(n-len(chosen)) * (delta - covered) / float64(placed)
			}
			ext = min(step, max(step/8, ext))
			prevDepth, prevCount = delta, c
		}
		covered = delta
		delta += ext
	}
}

// finishSequence ends a sequence that has no further lineup: an unmet
// minimum exposure fails it, otherwise it is returned short with a warning.
func (o *optimization) finishSequence(chosen [][]int, counts []int) ([][]int, bool, error) {
	n, k := o.req.Lineups, len(chosen)
	for i := range o.pool {
		if !o.locked[i] && o.minCount[i]-counts[i] >= n-k {
			return nil, false, &InfeasibleError{Reason: fmt.Sprintf("lineup %d cannot include the players whose min exposure requires it (%s)", k+1, o.pool[i].ID),
				Rules: []string{"constraints.exposures"}}
		}
	}
	o.warnings = append(o.warnings, fmt.Sprintf("only %d of %d lineups satisfy the constraints", k, n))
	return chosen, true, nil
}

func hasPlayers(md *model, cols []int, players []int) bool {
	for _, p := range players {
		if !slices.ContainsFunc(cols, func(j int) bool { return md.cols[j].player == p }) {
			return false
		}
	}
	return true
}
