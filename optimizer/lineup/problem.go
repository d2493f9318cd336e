package lineup

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// warmKeep is how many integer solutions a Problem's model keeps between
// calls to warm-start the next.
const warmKeep = 64

// Problem is a lineup problem prepared once and solved for many points
// vectors: the site rules, the players and the constraints are validated,
// filtered and turned into an LP model at construction, and Best only swaps
// the objective. It is what simulations need (one optimal lineup per
// simulated outcome) without building a request document per call.
//
// A Problem is safe for concurrent use: each concurrent call solves its own
// copy of the model, and copies are pooled for later calls with the lazy rows
// and integer solutions they have learnt (both hold for any objective).
type Problem struct {
	o      *optimization
	input  []int // pool index -> index into the players given to NewProblem
	nInput int
	models sync.Pool // *search over its own model
}

// NewProblem prepares the problem of one lineup under rules for players,
// with the request constraints c applied as Optimize applies them to a
// one-lineup request: locks, excludes, stacks, team, salary and game rules,
// and exposures counted over one lineup (a max below 1 excludes the player, a
// positive min forces him); min_unique has nothing to compare with. Filters
// on projections (min_projection) use the players' Projection fields.
//
// It fails with a *schema.ValidationError when the players or constraints
// are inconsistent, and with an *InfeasibleError when no lineup satisfies
// them (feasibility does not depend on the points).
func NewProblem(ctx context.Context, rules *slate.Rules, players []slate.Player, c schema.Constraints) (*Problem, error) {
	if rules == nil {
		return nil, fmt.Errorf("lineup problem: rules are required")
	}
	req := &schema.OptimizeRequest{Site: string(rules.Site), Sport: string(rules.Sport), Mode: string(rules.Mode),
		Players: slices.Clone(players), Lineups: 1, Constraints: c}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if len(players) == 0 {
		return nil, fieldErr("players", schema.ReasonRequired, "players are required")
	}
	o, err := newOptimization(req, rules)
	if err != nil {
		return nil, err
	}
	pr := &Problem{o: o, input: make([]int, len(o.pool)), nInput: len(players)}
	at := make(map[string]int, len(players))
	for i := range players {
		at[players[i].ID] = i
	}
	for k := range o.pool {
		pr.input[k] = at[o.pool[k].ID]
	}
	// one solve with the players' projections proves the rules feasible
	s := pr.newSearch()
	_, ok, err := s.solveLineup(ctx)
	if err != nil {
		return nil, fmt.Errorf("lineup problem: %w", err)
	}
	if !ok {
		return nil, o.diagnose(ctx)
	}
	pr.models.Put(s)
	return pr, nil
}

// newSearch builds a model of the problem with its players fixed in or out.
func (pr *Problem) newSearch() *search {
	o := pr.o
	md := buildModel(o.prob)
	for i := range o.pool {
		st := -1
		switch {
		case o.locked[i] || o.minCount[i] > 0:
			st = 1
		case o.maxCount[i] == 0:
			st = 0
		}
		md.fixPlayer(i, st)
	}
	return &search{md: md}
}

// Players is the number of players the problem was built with: the length
// Best expects of its points.
func (pr *Problem) Players() int { return pr.nInput }

// Best returns an optimal lineup when player i scores points[i] (indexed like
// the players given to NewProblem; captain/MVP multipliers are applied): the
// indices of its players, ascending. Between lineups of equal points the
// choice is deterministic for a given model state but unspecified.
func (pr *Problem) Best(ctx context.Context, points []float64) ([]int, error) {
	if len(points) != pr.nInput {
		return nil, fmt.Errorf("lineup problem: %d points for %d players", len(points), pr.nInput)
	}
	s, _ := pr.models.Get().(*search)
	if s == nil {
		s = pr.newSearch()
	}
	md := s.md
	c := make([]float64, md.lp.n)
	for j, col := range md.cols {
		c[j] = points[pr.input[col.player]] * md.groups[col.group].pm
	}
	md.lp.setObjective(c)
	cols, ok, err := s.solveLineup(ctx)
	if err != nil {
		return nil, fmt.Errorf("lineup problem: %w", err)
	}
	// keep the latest integer solutions only: each warm start scans them all
	if len(s.pool) > warmKeep {
		s.pool = slices.Clone(s.pool[len(s.pool)-warmKeep:])
	}
	pr.models.Put(s)
	if !ok { // feasibility was proved by NewProblem: only a bug gets here
		return nil, &InfeasibleError{Reason: "no lineup for these points"}
	}
	out := make([]int, 0, len(cols))
	for _, j := range cols {
		if i := pr.input[md.cols[j].player]; !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out, nil
}
