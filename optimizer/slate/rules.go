package slate

import (
	"fmt"
	"slices"
)

// Slot is one roster spot of a lineup.
type Slot struct {
	// Name is the slot label used in results and upload files ("QB", "FLEX", "CPT").
	Name string `json:"name"`
	// Eligible lists the player positions that may fill the slot.
	Eligible []string `json:"eligible"`
	// PointsMultiplier scales the player's points in this slot (1.5 for CPT/MVP).
	PointsMultiplier float64 `json:"points_multiplier"`
	// SalaryMultiplier scales the player's salary in this slot (1.5 for DK CPT).
	SalaryMultiplier float64 `json:"salary_multiplier"`
}

// Accepts reports whether a player with the given positions may fill the slot.
func (s *Slot) Accepts(positions []string) bool {
	for _, p := range positions {
		if slices.Contains(s.Eligible, p) {
			return true
		}
	}
	return false
}

// Rules are the roster rules of one site, sport and mode.
type Rules struct {
	Site      Site   `json:"site"`
	Sport     Sport  `json:"sport"`
	Mode      Mode   `json:"mode"`
	SalaryCap int    `json:"salary_cap"`
	Slots     []Slot `json:"slots"`
	// MaxPerTeam caps the players from one team (0: no limit). Players whose
	// positions are all in TeamLimitExempt do not count (MLB pitchers).
	MaxPerTeam      int      `json:"max_per_team,omitempty"`
	TeamLimitExempt []string `json:"team_limit_exempt,omitempty"`
	// MinTeams and MinGames are the site's minimum number of distinct teams
	// and games in a lineup (0: no rule).
	MinTeams int `json:"min_teams,omitempty"`
	MinGames int `json:"min_games,omitempty"`
	// DefensePositions are the positions an offensive player may be kept from
	// facing (NFL DST, MLB pitcher, NHL goalie).
	DefensePositions []string `json:"defense_positions,omitempty"`
}

// Size returns the number of players in a lineup.
func (r *Rules) Size() int { return len(r.Slots) }

// IsShowdown reports whether the rules are a single-game format with a
// multiplier slot.
func (r *Rules) IsShowdown() bool { return r.Mode == Showdown }

// SlotSalary returns the salary a player costs in slot i.
func (r *Rules) SlotSalary(p *Player, i int) int {
	m := r.Slots[i].SalaryMultiplier
	if m == 1 {
		return p.Salary
	}
	if p.CaptainSalary > 0 {
		return p.CaptainSalary
	}
	return int(float64(p.Salary)*m + 0.5)
}

// SlotPoints returns the projected points a player scores in slot i.
func (r *Rules) SlotPoints(p *Player, i int) float64 {
	return p.Projection * r.Slots[i].PointsMultiplier
}

// CountsTowardTeamLimit reports whether the player counts for MaxPerTeam.
func (r *Rules) CountsTowardTeamLimit(p *Player) bool {
	if len(r.TeamLimitExempt) == 0 {
		return true
	}
	for _, pos := range p.Positions {
		if !slices.Contains(r.TeamLimitExempt, pos) {
			return true
		}
	}
	return false
}

// Eligible reports whether the player can fill any slot of the rules.
func (r *Rules) Eligible(p *Player) bool {
	for i := range r.Slots {
		if r.Slots[i].Accepts(p.Positions) {
			return true
		}
	}
	return false
}

func slot(name string, eligible ...string) Slot {
	return Slot{Name: name, Eligible: eligible, PointsMultiplier: 1, SalaryMultiplier: 1}
}

func repeat(n int, s Slot) []Slot {
	out := make([]Slot, n)
	for i := range out {
		out[i] = s
		out[i].Eligible = slices.Clone(s.Eligible)
	}
	return out
}

func concat(parts ...[]Slot) []Slot {
	var out []Slot
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	nflDef     = []string{"DST", "DEF", "D"}
	mlbPitcher = []string{"P", "SP", "RP"}
	mlbHitters = []string{"C", "1B", "2B", "3B", "SS", "OF"}
	nhlSkaters = []string{"C", "W", "LW", "RW", "D"}
)

// captainSlots builds the single-game slots: one multiplier slot then flex.
func captainSlots(name string, pts, sal float64, flexName string, flex int, any []string) []Slot {
	c := Slot{Name: name, Eligible: any, PointsMultiplier: pts, SalaryMultiplier: sal}
	return append([]Slot{c}, repeat(flex, slot(flexName, any...))...)
}

func anyPosition(s Sport) []string {
	switch s {
	case NFL:
		return []string{"QB", "RB", "WR", "TE", "K", "DST", "DEF", "D"}
	case NBA:
		return []string{"PG", "SG", "SF", "PF", "C"}
	case MLB:
		return append(slices.Clone(mlbPitcher), mlbHitters...)
	case NHL:
		return []string{"C", "W", "LW", "RW", "D", "G"}
	}
	return nil
}

// RulesFor returns the roster rules of a site, sport and mode. Each call
// returns a fresh copy the caller may modify.
func RulesFor(site Site, sport Sport, mode Mode) (*Rules, error) {
	r := &Rules{Site: site, Sport: sport, Mode: mode}
	switch {
	case site == DraftKings && mode == Classic:
		r.SalaryCap = 50000
		r.MinGames = 2
		switch sport {
		case NFL:
			r.Slots = concat([]Slot{slot("QB", "QB")}, repeat(2, slot("RB", "RB")), repeat(3, slot("WR", "WR")),
				[]Slot{slot("TE", "TE"), slot("FLEX", "RB", "WR", "TE"), slot("DST", nflDef...)})
			r.DefensePositions = nflDef
		case NBA:
			r.Slots = []Slot{slot("PG", "PG"), slot("SG", "SG"), slot("SF", "SF"), slot("PF", "PF"), slot("C", "C"),
				slot("G", "PG", "SG"), slot("F", "SF", "PF"), slot("UTIL", "PG", "SG", "SF", "PF", "C")}
		case MLB:
			r.Slots = concat(repeat(2, slot("P", mlbPitcher...)), []Slot{slot("C", "C"), slot("1B", "1B"), slot("2B", "2B"),
				slot("3B", "3B"), slot("SS", "SS")}, repeat(3, slot("OF", "OF")))
			r.MaxPerTeam = 5
			r.TeamLimitExempt = mlbPitcher
			r.DefensePositions = mlbPitcher
		case NHL:
			r.Slots = concat(repeat(2, slot("C", "C")), repeat(3, slot("W", "W", "LW", "RW")), repeat(2, slot("D", "D")),
				[]Slot{slot("G", "G"), slot("UTIL", nhlSkaters...)})
			r.MinTeams = 3
			r.DefensePositions = []string{"G"}
		default:
			return nil, fmt.Errorf("no rules for %s %s %s", site, sport, mode)
		}
	case site == DraftKings && mode == Showdown:
		r.SalaryCap = 50000
		r.MinTeams = 2
		flex := "FLEX"
		if sport == NBA || sport == MLB || sport == NHL {
			flex = "UTIL"
		}
		r.Slots = captainSlots("CPT", 1.5, 1.5, flex, 5, anyPosition(sport))
		if sport == NFL {
			r.DefensePositions = nflDef
		}
	case site == FanDuel && mode == Classic:
		r.MaxPerTeam = 4
		r.MinTeams = 3
		switch sport {
		case NFL:
			r.SalaryCap = 60000
			r.Slots = concat([]Slot{slot("QB", "QB")}, repeat(2, slot("RB", "RB")), repeat(3, slot("WR", "WR")),
				[]Slot{slot("TE", "TE"), slot("FLEX", "RB", "WR", "TE"), slot("DEF", nflDef...)})
			r.DefensePositions = nflDef
		case NBA:
			r.SalaryCap = 60000
			r.Slots = concat(repeat(2, slot("PG", "PG")), repeat(2, slot("SG", "SG")), repeat(2, slot("SF", "SF")),
				repeat(2, slot("PF", "PF")), []Slot{slot("C", "C")})
		case MLB:
			r.SalaryCap = 35000
			r.Slots = concat([]Slot{slot("P", mlbPitcher...), slot("C/1B", "C", "1B"), slot("2B", "2B"), slot("3B", "3B"),
				slot("SS", "SS")}, repeat(3, slot("OF", "OF")), []Slot{slot("UTIL", mlbHitters...)})
			r.TeamLimitExempt = mlbPitcher
			r.DefensePositions = mlbPitcher
		case NHL:
			r.SalaryCap = 55000
			r.Slots = concat(repeat(2, slot("C", "C")), repeat(2, slot("W", "W", "LW", "RW")), repeat(2, slot("D", "D")),
				repeat(2, slot("UTIL", nhlSkaters...)), []Slot{slot("G", "G")})
			r.DefensePositions = []string{"G"}
		default:
			return nil, fmt.Errorf("no rules for %s %s %s", site, sport, mode)
		}
	case site == FanDuel && mode == Showdown:
		r.SalaryCap = 60000
		r.MinTeams = 2
		switch sport {
		case NFL:
			// MVP scores 1.5x at no extra salary, plus four AnyFLEX.
			r.Slots = captainSlots("MVP", 1.5, 1, "FLEX", 4, anyPosition(sport))
			r.DefensePositions = nflDef
		case NBA:
			// MVP 2x, STAR 1.5x, PRO 1.2x, two UTIL; salaries unchanged.
			all := anyPosition(sport)
			r.Slots = []Slot{
				{Name: "MVP", Eligible: all, PointsMultiplier: 2, SalaryMultiplier: 1},
				{Name: "STAR", Eligible: slices.Clone(all), PointsMultiplier: 1.5, SalaryMultiplier: 1},
				{Name: "PRO", Eligible: slices.Clone(all), PointsMultiplier: 1.2, SalaryMultiplier: 1},
				slot("UTIL", all...), slot("UTIL", all...),
			}
		default:
			return nil, fmt.Errorf("no rules for %s %s %s", site, sport, mode)
		}
	default:
		return nil, fmt.Errorf("no rules for %s %s %s", site, sport, mode)
	}
	return r, nil
}
