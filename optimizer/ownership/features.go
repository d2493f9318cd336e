package ownership

import (
	"math"
	"slices"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Feature indexes of the utility vector. Every feature is relative to the
// player's position group on the same slate (or to the slate's teams), so one
// coefficient set carries across slates of different sizes and salary scales.
// Salary z-score, projection rank and the residual of projection on salary
// were tried too and dropped: they did not improve the held-out error, and a
// salary term with a positive weight would let a pricier player with the
// same projection outrank a cheaper one. With these features and
// non-negative weights the model is monotone: at equal projection the
// cheaper player, and at equal salary the better-projected one, gets more.
const (
	// FeatValue is the z-score of points per $1,000 of salary in the group.
	FeatValue = iota
	// FeatValueRank is -log(rank) by value in the group (0 for the best).
	FeatValueRank
	// FeatProjection is the z-score of the projection in the group.
	FeatProjection
	// FeatTeam is the z-score, across the slate's teams, of the team's
	// implied total (TeamTotals, when given for every team) or else of its
	// summed projections: the game environment.
	FeatTeam
	// NumFeatures is the length of the feature vector.
	NumFeatures
)

// FeatureNames returns the names of the features, in index order.
func FeatureNames() [NumFeatures]string {
	return [NumFeatures]string{"value_z", "value_rank", "projection_z", "team_z"}
}

// zClip is the scale of the soft clip applied to z-scores, z' = c·tanh(z/c):
// strictly increasing (so the model stays monotone) but saturating, so one
// outlier cannot dominate the softmax. 1.5 was chosen on the held-out
// evaluation (hard clips at 4, 3, 2 and soft ones at 2.5, 2, 1.5, 1 tried:
// saturation lowered the error on both slates, flat from 1 to 2).
const zClip = 1.5

// active reports whether the player can draw ownership: a positive
// projection and no inactive status.
func active(p *slate.Player) bool {
	if !(p.Projection > 0) {
		return false
	}
	switch strings.ToUpper(strings.TrimSpace(p.Status)) {
	case "OUT", "O", "IR", "NA", "SUS", "PUP", "DNP", "INJ":
		return false
	}
	return true
}

// primaryPosition returns the first of the player's positions that some slot
// accepts, or "" when none does.
func primaryPosition(p *slate.Player, rules *slate.Rules) string {
	for _, pos := range p.Positions {
		for i := range rules.Slots {
			if slices.Contains(rules.Slots[i].Eligible, pos) {
				return pos
			}
		}
	}
	return ""
}

// pooledGroup is the group of every player when positions are not
// modelled separately.
const pooledGroup = "ALL"

// groupOf returns the position group whose slot total the player's ownership
// counts toward: the primary position, or pooledGroup for showdown and for
// sports whose players are mostly eligible at several positions (NBA), where
// a per-position split is ill-defined and a single pool fits the data better.
// "" means no slot accepts the player.
func groupOf(p *slate.Player, rules *slate.Rules) string {
	pos := primaryPosition(p, rules)
	if pos != "" && (rules.IsShowdown() || rules.Sport == slate.NBA) {
		return pooledGroup
	}
	return pos
}

// features computes the feature vectors of the players. group[i] is the
// player's group; only players with act[i] enter the statistics, the others
// get a zero vector.
func features(players []slate.Player, group []string, act []bool, teamTotals map[string]float64) [][NumFeatures]float64 {
	n := len(players)
	x := make([][NumFeatures]float64, n)
	members := map[string][]int{}
	for i := range players {
		if act[i] && group[i] != "" {
			members[group[i]] = append(members[group[i]], i)
		}
	}
	for _, idx := range members {
		sal := make([]float64, len(idx))
		for k, i := range idx {
			sal[k] = float64(players[i].Salary)
		}
		medSal := median(sal)
		if medSal <= 0 {
			medSal = 1000
		}
		val := make([]float64, len(idx))
		for k, i := range idx {
			s := sal[k]
			if s <= 0 {
				s = medSal
			}
			val[k] = players[i].Projection / (s / 1000)
		}
		proj := make([]float64, len(idx))
		for k, i := range idx {
			proj[k] = players[i].Projection
		}
		zv, zp, rv := zscores(val), zscores(proj), ranks(val)
		for k, i := range idx {
			x[i][FeatValue] = zv[k]
			x[i][FeatValueRank] = -math.Log(rv[k])
			x[i][FeatProjection] = zp[k]
		}
	}
	// Game environment: one number per team, z-scored across teams.
	teamScore := map[string]float64{}
	useTotals := len(teamTotals) > 0
	for i := range players {
		if !act[i] {
			continue
		}
		t := players[i].Team
		if useTotals {
			if _, ok := teamTotals[t]; !ok {
				useTotals = false
			}
		}
		teamScore[t] += players[i].Projection
	}
	if useTotals {
		for t := range teamScore {
			teamScore[t] = teamTotals[t]
		}
	}
	teams := make([]string, 0, len(teamScore))
	for t := range teamScore {
		teams = append(teams, t)
	}
	slices.Sort(teams)
	vals := make([]float64, len(teams))
	for k, t := range teams {
		vals[k] = teamScore[t]
	}
	zt := zscores(vals)
	teamZ := make(map[string]float64, len(teams))
	for k, t := range teams {
		teamZ[t] = zt[k]
	}
	for i := range players {
		if act[i] {
			x[i][FeatTeam] = teamZ[players[i].Team]
		}
	}
	return x
}

// zscores returns (v - mean) / sd, soft-clipped by zClip; all zero when sd
// is 0.
func zscores(v []float64) []float64 {
	out := make([]float64, len(v))
	if len(v) < 2 {
		return out
	}
	var mean float64
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(v)))
	if sd == 0 {
		return out
	}
	for i, x := range v {
		out[i] = zClip * math.Tanh((x-mean)/sd/zClip)
	}
	return out
}

// ranks returns 1-based descending ranks (1 = largest), ties sharing their
// average rank.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] > v[b]:
			return -1
		case v[a] < v[b]:
			return 1
		}
		return 0
	})
	out := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = r
		}
		i = j + 1
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}
