package outcome

import (
	"slices"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// posDefaults are the per-position defaults of the outcome model.
//
// The standard deviation of a player without one is SDIntercept +
// SDSlope·projection. Skew is the default skewness of the "auto"
// (shifted lognormal) distribution; MinPoints the lowest score the position
// realistically makes: the auto distribution is clamped there (dud games
// pile up at the floor), its shift re-solved to keep the mean.
type posDefaults struct {
	SDIntercept, SDSlope float64
	Skew                 float64
	MinPoints            float64
}

// Position defaults per sport.
//
// NFL standard deviations and skews come from the residuals of
// ../shared/data/history/nfl_weekly_projections_vs_actuals.csv (hvpkod/NFL-Data,
// players projected 5+): residual SD QB about 7.4 at 10-15 projected to 8.4
// at 20-25 (slope 0.10), RB/WR about 5.7 at 5-10 to 8.5 at 15-20 (slope
// 0.28); residual skew by position QB 0.2-0.3, RB 0.7-1.1, WR 0.7-1.1, TE
// 1.2-1.3; scores below 0 are rare (0.4 % of WRs projected 5-8) while 0 is
// common (11 %): floor 0. TestRealDefaultsCoverage checks the result on that
// file: 78-81 % of actual scores inside [p10, p90] per position. K and DST,
// absent from that file, are our judgment.
//
// NBA: SD = 2.77 + 0.255·projection is the least-squares fit of the StdDev
// column of the DraftKings NBA projections of 2025-01-12
// (marvalgames/NBA-DFS-Sims dk_data/projections.csv, 117 players projected
// 3+); skew 0.3 is our judgment (NBA scores are close to symmetric).
//
// MLB and NHL values are our judgment, not measured: MLB hitters are very
// volatile and right-skewed (many near-zero games, rare big ones; DraftKings
// hitters cannot score below 0), pitchers less skewed and able to go
// negative; NHL skaters are right-skewed with a floor at 0, goalies symmetric
// with negative games. They are placeholders until the calibrate job fits them.
var positionDefaults = map[slate.Sport]map[string]posDefaults{
	slate.NFL: {
		"QB":  {6.15, 0.10, 0.3, -2},
		"RB":  {3.6, 0.28, 0.9, 0},
		"WR":  {3.6, 0.28, 1.0, 0},
		"TE":  {3.3, 0.30, 1.2, 0},
		"K":   {3.5, 0.15, 0.3, 0},
		"DST": {4.5, 0.25, 0.6, -4},
		"":    {3.6, 0.28, 0.9, 0},
	},
	slate.NBA: {
		"": {2.77, 0.255, 0.3, 0},
	},
	slate.MLB: {
		"P": {3.0, 0.45, 0.2, -10},
		"H": {2.0, 0.85, 1.5, 0},
		"":  {2.0, 0.85, 1.5, 0},
	},
	slate.NHL: {
		"G": {4.0, 0.55, 0.0, -6},
		"":  {1.5, 0.55, 1.3, 0},
	},
}

// canonicalPosition maps a player's positions to the key used by the
// defaults and the correlation relations: NFL "DEF"/"D" → "DST"; MLB
// pitchers → "P" and hitters → "H"; NHL "LW"/"RW" → "W"; NBA uses the first
// listed position (the catch-alls carry the NBA defaults).
func canonicalPosition(sport slate.Sport, positions []string) string {
	if len(positions) == 0 {
		return ""
	}
	p := strings.ToUpper(positions[0])
	switch sport {
	case slate.NFL:
		if p == "DEF" || p == "D" {
			return "DST"
		}
	case slate.MLB:
		if p == "P" || p == "SP" || p == "RP" {
			return "P"
		}
		return "H"
	case slate.NHL:
		if p == "LW" || p == "RW" {
			return "W"
		}
	}
	return p
}

func defaultsFor(sport slate.Sport, pos string) posDefaults {
	m := positionDefaults[sport]
	if d, ok := m[pos]; ok {
		return d
	}
	if d, ok := m[""]; ok {
		return d
	}
	return posDefaults{SDIntercept: 3, SDSlope: 0.3, Skew: 0.5, MinPoints: 0}
}

// DefaultStdDev returns the sport/position default standard deviation of a
// player's points for the given projection.
func DefaultStdDev(sport slate.Sport, positions []string, projection float64) float64 {
	d := defaultsFor(sport, canonicalPosition(sport, positions))
	return d.SDIntercept + d.SDSlope*max(projection, 0)
}

// Default correlations per sport, keyed by relation (see relationKey):
// "A-B" same team, "opp:A-B" opponents (positions sorted), and the
// catch-alls "team", "opp", "game".
//
// NFL: same-team and opposing values are the empirical ones of the
// bjungwirth fork of NFL-DFS-Tools (QB projected 15+, receivers 9-13+;
// QB-WR 0.33-0.36, QB-TE 0.31, QB-RB 0.04, opposing QB-QB 0.21, QB-WR 0.10,
// QB-DST -0.34, RB-DST -0.20, WR-DST -0.12, RB-own DST 0.075), checked
// against the residual correlations of our history file (QB-WR1 0.36,
// QB-WR2 0.35, QB-TE1 0.30, QB-RB1 0.10, WR1-WR2 0.00: we take QB-RB 0.08
// and WR-WR 0.0 from it); QB-own DST -0.04 is the mistakia/league constant
// (816 games, 2022-24). Values for K and TE-DST, RB-RB and opposing
// receivers are our judgment. chanzer0's defaults (QB-WR 0.62) are higher
// than every measurement and were not used.
//
// NBA (our judgment, in line with the usual DFS finding): teammates compete
// for usage (-0.03), opponents share the pace (+0.03). The values are small
// because they apply to every pair of a game: with 15 projected players a
// team, -0.05/+0.06 would not be a valid correlation matrix (a team's total
// against the opponent's), -0.03/+0.03 is.
//
// MLB (our judgment): hitters of one team score together (+0.15; batting
// order unknown), a pitcher against the hitters he faces -0.20, a pitcher
// and his own hitters +0.05 (run support and wins).
//
// NHL (our judgment): teammates share goals and assists (C-W 0.20, W-W 0.15,
// C-D / W-D 0.10, D-D 0.05; lines unknown), a goalie and his skaters +0.10,
// a goalie against opposing skaters -0.25.
var relationDefaults = map[slate.Sport]map[string]float64{
	slate.NFL: {
		"QB-WR": 0.35, "QB-TE": 0.31, "QB-RB": 0.08, "DST-QB": -0.04, "K-QB": 0.15,
		"RB-WR": 0.0, "RB-TE": 0.0, "TE-WR": 0.0, "WR-WR": 0.0, "RB-RB": -0.10,
		"DST-RB": 0.075, "DST-K": 0.05, "K-RB": 0.05, "K-WR": 0.05, "K-TE": 0.05,
		"opp:QB-QB": 0.21, "opp:QB-WR": 0.10, "opp:QB-TE": 0.08, "opp:QB-RB": 0.03,
		"opp:DST-QB": -0.34, "opp:DST-RB": -0.20, "opp:DST-WR": -0.12, "opp:DST-TE": -0.10,
		"opp:DST-K": -0.10, "opp:WR-WR": 0.05, "opp:TE-WR": 0.03, "opp:DST-DST": -0.05,
	},
	slate.NBA: {"team": -0.03, "opp": 0.03},
	slate.MLB: {"H-H": 0.15, "H-P": 0.05, "opp:H-P": -0.20, "opp:P-P": 0.0},
	slate.NHL: {
		"C-W": 0.20, "W-W": 0.15, "C-D": 0.10, "D-W": 0.10, "D-D": 0.05, "C-C": 0.05,
		"C-G": 0.10, "G-W": 0.10, "D-G": 0.10,
		"opp:C-G": -0.25, "opp:G-W": -0.25, "opp:D-G": -0.25,
	},
}

// relationKey normalises a relation key: "WR-QB" → "QB-WR", "opp:DST-QB"
// kept, catch-alls kept. Positions are upper-cased and sorted.
func relationKey(k string) string {
	k = strings.TrimSpace(k)
	prefix := ""
	if rest, ok := strings.CutPrefix(strings.ToLower(k), "opp:"); ok {
		prefix, k = "opp:", k[len(k)-len(rest):]
	}
	switch strings.ToLower(k) {
	case "team", "opp", "game":
		return prefix + strings.ToLower(k)
	}
	parts := strings.Split(strings.ToUpper(k), "-")
	if len(parts) != 2 {
		return prefix + strings.ToUpper(k)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "DEF" || parts[i] == "D/ST" {
			parts[i] = "DST"
		}
	}
	slices.Sort(parts)
	return prefix + parts[0] + "-" + parts[1]
}
