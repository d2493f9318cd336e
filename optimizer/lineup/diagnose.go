package lineup

import (
	"context"
	"fmt"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// relaxations are the request rules diagnose tries dropping, one at a time.
var relaxations = []struct {
	name  string
	apply func(c *schema.Constraints)
}{
	{"constraints.locks", func(c *schema.Constraints) { c.Locks = nil }},
	{"constraints.stacks", func(c *schema.Constraints) { c.Stacks = nil }},
	{"constraints.min_salary", func(c *schema.Constraints) { c.MinSalary = 0 }},
	{"constraints.max_salary", func(c *schema.Constraints) { c.MaxSalary = 0 }},
	{"constraints.max_per_team", func(c *schema.Constraints) { c.MaxPerTeam = 0 }},
	{"constraints.min_games", func(c *schema.Constraints) { c.MinGames = 0 }},
	{"constraints.no_opposing_defense", func(c *schema.Constraints) { c.NoOpposingDefense = false }},
	{"constraints.excludes", func(c *schema.Constraints) { c.Excludes = nil }},
	{"constraints.exclude_statuses", func(c *schema.Constraints) { c.ExcludeStatuses = nil }},
	{"constraints.min_projection", func(c *schema.Constraints) { c.MinProjection = 0 }},
	{"constraints.exposures", func(c *schema.Constraints) { c.Exposures = nil; c.MaxExposure = nil }},
}

// diagnose explains why no first lineup exists: it names each request rule
// whose removal alone makes a lineup possible.
func (o *optimization) diagnose(ctx context.Context) error {
	var names []string
	for _, r := range relaxations {
		c := o.req.Constraints
		before := fmt.Sprintf("%+v", c)
		r.apply(&c)
		if fmt.Sprintf("%+v", c) == before {
			continue
		}
		req := *o.req
		req.Constraints = c
		req.Lineups = 1
		req.LateSwap = nil
		alt, err := newOptimization(&req, o.rules)
		if err != nil {
			continue
		}
		s := &search{md: buildModel(alt.prob)}
		for i := range alt.pool {
			if alt.locked[i] {
				s.md.fixPlayer(i, 1)
			}
		}
		if _, ok, err := s.solveLineup(ctx); err == nil && ok {
			names = append(names, r.name)
		}
	}
	if len(names) == 0 {
		return &InfeasibleError{Reason: fmt.Sprintf("the player pool cannot fill a %s %s %s roster under the salary cap and site rules with these constraints", o.rules.Site, o.rules.Sport, o.rules.Mode)}
	}
	return &InfeasibleError{Reason: "the constraints exclude every lineup", Rules: names}
}
