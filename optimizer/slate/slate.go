// Package slate provides the DFS slate model: players, games, and the roster
// rules of each site, sport and contest mode.
package slate

import (
	"fmt"
	"strings"
)

// Player is one selectable player of a slate. In single-game modes a player is
// listed once; the captain/MVP version is derived from the rules (and may carry
// its own site id in CaptainID for upload files).
type Player struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Positions  []string `json:"positions"`
	Team       string   `json:"team"`
	Opponent   string   `json:"opponent,omitempty"`
	Game       string   `json:"game,omitempty"`
	Salary     int      `json:"salary"`
	Projection float64  `json:"projection"`
	StdDev     float64  `json:"stddev,omitempty"`
	Floor      *float64 `json:"floor,omitempty"`
	Ceiling    *float64 `json:"ceiling,omitempty"`
	Ownership  float64  `json:"ownership,omitempty"`
	// Status is the site's injury/availability status (e.g. "Q", "OUT", "IR").
	Status string `json:"status,omitempty"`
	// CaptainID is the site id of the captain/MVP version of this player, for
	// sites (DraftKings showdown) that list it as a separate row.
	CaptainID string `json:"captain_id,omitempty"`
	// CaptainSalary overrides the captain salary (default: the rule's salary
	// multiplier applied to Salary).
	CaptainSalary int `json:"captain_salary,omitempty"`
	// GameStarted marks a player whose game has started: for late swap he
	// keeps his slot if already in a lineup and cannot be added otherwise.
	GameStarted bool `json:"game_started,omitempty"`
}

// HasPosition reports whether the player lists pos among its positions.
func (p *Player) HasPosition(pos string) bool {
	for _, q := range p.Positions {
		if q == pos {
			return true
		}
	}
	return false
}

// GameKey returns the player's game identifier: Game if set, otherwise the two
// teams sorted, so that both sides of a game share the key.
func (p *Player) GameKey() string {
	if p.Game != "" {
		return p.Game
	}
	if p.Opponent == "" {
		return p.Team
	}
	a, b := p.Team, p.Opponent
	if a > b {
		a, b = b, a
	}
	return a + "@" + b
}

// Site is a DFS operator.
type Site string

// Supported sites.
const (
	DraftKings Site = "draftkings"
	FanDuel    Site = "fanduel"
)

// Sport is a league.
type Sport string

// Supported sports.
const (
	NFL Sport = "nfl"
	NBA Sport = "nba"
	MLB Sport = "mlb"
	NHL Sport = "nhl"
)

// Mode is a contest format.
type Mode string

// Supported modes. Showdown covers DraftKings showdown (captain) and FanDuel
// single game (MVP).
const (
	Classic  Mode = "classic"
	Showdown Mode = "showdown"
)

// ParseSite normalises a site name ("dk", "DraftKings", ...).
func ParseSite(s string) (Site, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "draftkings", "dk":
		return DraftKings, nil
	case "fanduel", "fd":
		return FanDuel, nil
	}
	return "", fmt.Errorf("unknown site %q (want draftkings or fanduel)", s)
}

// ParseSport normalises a sport name.
func ParseSport(s string) (Sport, error) {
	switch v := Sport(strings.ToLower(strings.TrimSpace(s))); v {
	case NFL, NBA, MLB, NHL:
		return v, nil
	}
	return "", fmt.Errorf("unknown sport %q (want nfl, nba, mlb or nhl)", s)
}

// ParseMode normalises a mode name; "captain", "single_game" and "singlegame"
// are accepted as showdown.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "classic":
		return Classic, nil
	case "showdown", "captain", "single_game", "singlegame", "single-game", "mvp":
		return Showdown, nil
	}
	return "", fmt.Errorf("unknown mode %q (want classic or showdown)", s)
}
