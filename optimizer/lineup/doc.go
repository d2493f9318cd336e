// Package lineup is the exact DFS lineup optimizer: DraftKings and FanDuel,
// NFL, NBA, MLB and NHL, classic and single-game (captain/MVP) rosters.
//
// # Guarantee
//
// Lineups are generated in sequence and lineup i maximizes projected points
// (captain/MVP multipliers applied) among all rosters that satisfy the site
// rules and the request's constraints given lineups 1..i-1. Optimal means
// within 1e-7 points; between equal-valued rosters the choice is
// deterministic but unspecified. The tests check this against full
// enumeration on small slates of every format and against the CBC MIP solver
// on every real slate in ../shared/data.
//
// # Semantics of the constraints
//
//   - min_unique k: any two lineups differ in at least k roster entries
//     (default 1: no repeated lineup). An entry is a player in a multiplier
//     class, so in captain formats the same six players with another captain
//     differ in two entries.
//   - locks and excludes: a locked player is in every lineup, an excluded one
//     in none. Locked players are exempt from the global max_exposure; a
//     per-player max below 1 on a locked player is refused.
//   - Exposures are counts over the requested number of lineups N: a max of e
//     allows floor(e·N) lineups, a min of e requires ceil(e·N). Because lineups
//     are built in order, a player reaching his max is excluded from the rest;
//     a player whose remaining min count equals the lineups left is forced into
//     each of them, so minimum exposures are met in the last lineups that can
//     still meet them, and those lineups are optimal given that obligation. A
//     minimum that cannot be met (two QBs at 60 %, say) fails the request with
//     an InfeasibleError naming constraints.exposures; it is never dropped.
//   - Stacks: positions lists one entry per player of one team, "WR|TE"
//     meaning either; size n asks for n players of one team (any positions but
//     the defensive ones: DST, pitchers, goalies; or among positions when both
//     are given). team is "any" or a team code. bring_back asks for that many
//     players of the stack team's opponent (of bring_back_positions). Several
//     stacks are satisfied by different teams.
//   - max_per_team counts like the site's own limit (MLB pitchers exempt);
//     min_games raises the site's minimum; no_opposing_defense keeps offensive
//     players away from their opponent's DST (NFL), pitcher (MLB) or goalie
//     (NHL) in the lineup.
//   - randomness r multiplies each projection by (1 + r·z), z standard normal
//     drawn from seed and the lineup's index, for variety; results report the
//     real projections.
//   - Late swap: each entered lineup is re-optimized on its own; players whose
//     game started (game_started, or their game or team in started_games) keep
//     their slot, other started players cannot be added.
//
// An infeasible request fails with an *InfeasibleError that names every
// request rule whose removal alone would make a lineup possible; an
// inconsistent one with a *schema.ValidationError naming the field. When
// fewer lineups than requested exist, the result holds those that do and a
// warning.
//
// # Method
//
// The roster rules are a transversal matroid; they are written as Hall rows
// (for every union U of eligibility sets, at most |U| players eligible only
// within U) whose polytope is integral, plus one row per multiplier class in
// captain formats. The salary cap, stacks (with team indicator variables) and
// the rest are linear rows; team limits, opposing defenses, uniqueness and the
// minimum number of games or teams are separated lazily. A bounded dual
// simplex with a bound-flipping ratio test and an explicit basis inverse
// solves the LPs; every iterate bounds the optimum, so nodes stop as soon as
// they fall below the incumbent. Branch and bound goes depth first, zero
// branch first, with reduced-cost fixing at every node.
//
// Sequences without randomness are built by enumeration: every roster within
// a window below the best one is collected once (at an integer node the rest
// of the subtree is partitioned by flipping one free column at a time),
// sorted, and lineup i is the first roster that passes uniqueness and
// exposures given the lineups before it, which is exactly the sequential
// optimum while it lies inside the window; otherwise the window widens and
// is enumerated again, the uniqueness rows of the lineups chosen so far
// pruning it. Each widening extrapolates how deep the missing lineups lie
// from how many the earlier windows placed; a window that would hold too many
// rosters is narrowed. Sequences with randomness (or whose ties alone
// overflow a window) use one branch and bound per lineup, warm-started from
// the rosters already seen and pruned by a dominance rule that keeps
// exactness (see dominance.go).
//
// NewProblem and Problem.Best serve callers that need one optimal lineup for
// many points vectors (simulations): the model is built once and only its
// objective changes between calls.
package lineup
