package schema

import (
	"fmt"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Contest types accepted by OwnershipRequest.ContestType.
const (
	ContestGPP  = "gpp"
	ContestCash = "cash"
)

// OwnershipRequest is the ownership request document: project the share of
// the field rostering each player of a slate.
type OwnershipRequest struct {
	Site    string         `json:"site"`
	Sport   string         `json:"sport"`
	Mode    string         `json:"mode,omitempty"`
	Players []slate.Player `json:"players,omitempty"`
	SlateID string         `json:"slate_id,omitempty"`
	// ContestType is "gpp" (default) or "cash"; cash fields are chalkier.
	ContestType string `json:"contest_type,omitempty"`
	// TeamTotals optionally gives each team's implied points (Vegas), keyed
	// by team code as in players[].team. Without it the game environment is
	// the team's share of the slate's projected points.
	TeamTotals map[string]float64 `json:"team_totals,omitempty"`
	JobOptions
}

// Normalized returns the parsed site, sport and mode.
func (r *OwnershipRequest) Normalized() (slate.Site, slate.Sport, slate.Mode, error) {
	return normalizedSSM(r.Site, r.Sport, r.Mode)
}

// NormalizedContestType returns the contest type in canonical form ("gpp"
// when empty), or an error for an unknown value.
func (r *OwnershipRequest) NormalizedContestType() (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(r.ContestType)); v {
	case "", ContestGPP, "tournament":
		return ContestGPP, nil
	case ContestCash, "50/50", "double_up", "h2h":
		return ContestCash, nil
	default:
		return "", fmt.Errorf("unknown contest_type %q (want gpp or cash)", r.ContestType)
	}
}

// Validate checks the request and returns a *ValidationError naming every
// problem found, or nil.
func (r *OwnershipRequest) Validate() error {
	var l errorList
	validateSlateRef(&l, r.Site, r.Sport, r.Mode, r.Players, r.SlateID)
	if _, err := r.NormalizedContestType(); err != nil {
		l.add("contest_type", ReasonInvalid, "%v", err)
	}
	for team, v := range r.TeamTotals {
		if !finite(v) || v < 0 || v > 1000 {
			l.add("team_totals."+team, ReasonOutOfRange, "team_totals.%s must be between 0 and 1000", team)
		}
	}
	r.JobOptions.validate(&l)
	return l.err()
}

// OwnershipResult is the ownership result document.
type OwnershipResult struct {
	// Players lists every requested player in request order.
	Players []PlayerOwnership `json:"players"`
	// Total is the sum of ownership over players; it equals RosterSize
	// unless the slate cannot fill every slot (see Warnings).
	Total float64 `json:"total"`
	// RosterSize is the number of slots of a lineup under the site rules.
	RosterSize int `json:"roster_size"`
	// Positions is the ownership summed by each player's primary position
	// (e.g. QB 1.0 in DraftKings NFL classic: one QB per lineup).
	Positions map[string]float64 `json:"positions"`
	Model     OwnershipModel     `json:"model"`
	Warnings  []string           `json:"warnings,omitempty"`
}

// PlayerOwnership is one player's projected ownership.
type PlayerOwnership struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Position is the player's primary position, the group whose slot total
	// the player's ownership counts toward.
	Position   string  `json:"position"`
	Team       string  `json:"team,omitempty"`
	Salary     int     `json:"salary"`
	Projection float64 `json:"projection"`
	// Ownership is the projected share of lineups rostering the player, a
	// fraction in [0, 1].
	Ownership float64 `json:"ownership"`
}

// OwnershipModel identifies the model that produced a result.
type OwnershipModel struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Coefficients names the coefficient set used ("nfl", "nba", "generic").
	Coefficients string `json:"coefficients"`
	ContestType  string `json:"contest_type"`
}
