package sitecsv

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// MinCoverage is the share of the players in the optimal-value range (see
// ProjectionCoverage) that a projections file must project for the CLI to
// use it without --allow-unprojected.
const MinCoverage = 0.9

// Coverage says how much of a slate's optimal-value range a projections
// file projects (see ProjectionCoverage).
type Coverage struct {
	// Teams is the number of teams on the slate.
	Teams int `json:"teams"`
	// Depth is the number of players taken per group of roster slots, keyed
	// by the slots' eligible positions ("RB", "PG/SG"): slots × Teams.
	Depth map[string]int `json:"depth"`
	// InRange is the number of players in the optimal-value range, and
	// Projected how many of them the file projects.
	InRange   int `json:"in_range"`
	Projected int `json:"projected"`
	// Missing lists the players in range without a projection, most
	// expensive first.
	Missing []PlayerRef `json:"missing,omitempty"`
}

// Share is Projected / InRange (1 for an empty range).
func (c *Coverage) Share() float64 {
	if c.InRange == 0 {
		return 1
	}
	return float64(c.Projected) / float64(c.InRange)
}

// Summary is a one-line account of the coverage for people.
func (c *Coverage) Summary() string {
	return fmt.Sprintf("projections cover %d of the %d players in the optimal-value range (%.1f%%; the %d teams' starters by salary)",
		c.Projected, c.InRange, 100*c.Share(), c.Teams)
}

// ProjectionCoverage measures how much of the slate's optimal-value range
// is projected. players are the salary file's players (with the site's
// averages as projections, and without those dropped by status); projected
// holds the ids of the players the projections file covers.
//
// The optimal-value range is the players a lineup is realistically built
// from: the slate teams' starters, as the site prices them. The roster
// slots are grouped by the positions they accept (DraftKings NFL classic:
// QB ×1, RB ×2, WR ×3, TE ×1, FLEX(RB/WR/TE) ×1, DST ×1); a group of k slots
// takes the k × T most expensive players it accepts, T being the number of
// teams on the slate (ties broken by the site's average points, then file
// order). The range is the union over the groups. On a 24-team NFL slate
// that is the top 24 QBs, 48 RBs, 72 WRs, 24 TEs and 24 DSTs by salary: the
// players priced at a position's floor (deep backups) are outside it, the
// injured stars a projection source leaves out inside it. Showdown rosters
// have one group (captain and flex accept every position): the 6 × 2 most
// expensive players. The range depends on the salary file alone, never on
// the projections it judges.
func ProjectionCoverage(rules *slate.Rules, players []slate.Player, projected map[string]bool) *Coverage {
	teams := map[string]bool{}
	for i := range players {
		teams[players[i].Team] = true
	}
	c := &Coverage{Teams: len(teams), Depth: map[string]int{}}
	groups := map[string][]string{} // key → eligible positions
	var keys []string
	for _, s := range rules.Slots {
		elig := slices.Clone(s.Eligible)
		sort.Strings(elig)
		k := strings.Join(elig, "/")
		if _, ok := groups[k]; !ok {
			groups[k] = elig
			keys = append(keys, k)
		}
		c.Depth[k] += c.Teams
	}
	inRange := make([]bool, len(players))
	for _, k := range keys {
		var idx []int
		for i := range players {
			if acceptsAny(groups[k], players[i].Positions) {
				idx = append(idx, i)
			}
		}
		sort.SliceStable(idx, func(a, b int) bool {
			pa, pb := &players[idx[a]], &players[idx[b]]
			if pa.Salary != pb.Salary {
				return pa.Salary > pb.Salary
			}
			return pa.Projection > pb.Projection
		})
		if n := c.Depth[k]; len(idx) > n {
			idx = idx[:n]
		}
		for _, i := range idx {
			inRange[i] = true
		}
	}
	var missing []int
	for i := range players {
		if !inRange[i] {
			continue
		}
		c.InRange++
		if projected[players[i].ID] {
			c.Projected++
		} else {
			missing = append(missing, i)
		}
	}
	sort.SliceStable(missing, func(a, b int) bool { return players[missing[a]].Salary > players[missing[b]].Salary })
	for _, i := range missing {
		c.Missing = append(c.Missing, refOf(&players[i]))
	}
	return c
}

func acceptsAny(eligible, positions []string) bool {
	for _, p := range positions {
		if slices.Contains(eligible, p) {
			return true
		}
	}
	return false
}

// SiteAverageColumn names the salary file column whose values stand in as
// projections: DraftKings' AvgPointsPerGame, FanDuel's FPPG.
func SiteAverageColumn(site slate.Site) string {
	if site == slate.FanDuel {
		return "FPPG"
	}
	return "AvgPointsPerGame"
}
