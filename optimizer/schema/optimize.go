package schema

import (
	"fmt"
	"math"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Limits of the optimize request.
const (
	MaxLineups = 10000
	MaxPlayers = 5000
)

// Priorities (Asynq queue names).
const (
	PriorityCritical = "critical"
	PriorityDefault  = "default"
	PriorityLow      = "low"
)

// JobOptions are the fields every request document carries for the job
// system: queue priority, timeout and completion webhook.
type JobOptions struct {
	Priority       string  `json:"priority,omitempty"`
	TimeoutSeconds int     `json:"timeout_seconds,omitempty"`
	WebhookURL     *string `json:"webhook_url,omitempty"`
}

// validate checks the job options.
func (o *JobOptions) validate(l *errorList) {
	switch o.Priority {
	case "", PriorityCritical, PriorityDefault, PriorityLow:
	default:
		l.add("priority", ReasonInvalid, "priority must be critical, default or low, not %q", o.Priority)
	}
	if o.TimeoutSeconds < 0 || o.TimeoutSeconds > 3600 {
		l.add("timeout_seconds", ReasonOutOfRange, "timeout_seconds must be between 1 and 3600")
	}
	// Every field the schema accepts is acted on or refused: completion
	// webhooks are not delivered yet, so a webhook_url is refused rather
	// than silently ignored.
	if o.WebhookURL != nil && *o.WebhookURL != "" {
		l.add("webhook_url", ReasonInvalid, "webhook_url is not supported yet (webhooks are not delivered); poll GET /v1/jobs/{id} instead")
	}
}

// OptimizeRequest is the optimize request document.
type OptimizeRequest struct {
	Site        string         `json:"site"`
	Sport       string         `json:"sport"`
	Mode        string         `json:"mode,omitempty"`
	Players     []slate.Player `json:"players,omitempty"`
	SlateID     string         `json:"slate_id,omitempty"`
	Lineups     int            `json:"lineups"`
	Constraints Constraints    `json:"constraints"`
	// Randomness is the relative standard deviation of seeded noise applied
	// to projections before each lineup (0: none).
	Randomness float64 `json:"randomness,omitempty"`
	Seed       uint64  `json:"seed,omitempty"`
	// LateSwap re-optimizes existing lineups, keeping started players.
	LateSwap *LateSwap `json:"late_swap,omitempty"`
	JobOptions
}

// ExposureRange bounds the share of lineups a player appears in.
type ExposureRange struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// Stack asks every lineup to contain a group of players from one team.
//
// Positions lists one entry per player, each entry a set of positions joined
// by "|" (e.g. ["QB", "WR|TE", "WR|TE"]); Size instead asks for that many
// players of one team, any positions (NBA/MLB team stacks; Positions may then
// be empty or list the allowed positions). Team is "any" (default) or a team
// code. BringBack asks for that many players from the stack team's opponent
// (of BringBackPositions, default any).
type Stack struct {
	Positions          []string `json:"positions,omitempty"`
	Size               int      `json:"size,omitempty"`
	Team               string   `json:"team,omitempty"`
	BringBack          int      `json:"bring_back,omitempty"`
	BringBackPositions []string `json:"bring_back_positions,omitempty"`
}

// Constraints are the lineup constraints of an optimize request.
type Constraints struct {
	MinUnique   int                      `json:"min_unique,omitempty"`
	MinSalary   int                      `json:"min_salary,omitempty"`
	MaxSalary   int                      `json:"max_salary,omitempty"`
	MaxPerTeam  int                      `json:"max_per_team,omitempty"`
	MinGames    int                      `json:"min_games,omitempty"`
	Locks       []string                 `json:"locks,omitempty"`
	Excludes    []string                 `json:"excludes,omitempty"`
	MaxExposure *float64                 `json:"max_exposure,omitempty"`
	Exposures   map[string]ExposureRange `json:"exposures,omitempty"`
	Stacks      []Stack                  `json:"stacks,omitempty"`
	// NoOpposingDefense forbids offensive players facing the lineup's own
	// DST (NFL), pitcher (MLB) or goalie (NHL).
	NoOpposingDefense bool `json:"no_opposing_defense,omitempty"`
	// MinProjection drops players projected below it (locks excepted).
	MinProjection float64 `json:"min_projection,omitempty"`
	// ExcludeStatuses drops players whose status is listed (e.g. "OUT", "IR").
	ExcludeStatuses []string `json:"exclude_statuses,omitempty"`
}

// SlotPick is a player placed in a slot.
type SlotPick struct {
	Slot string `json:"slot"`
	ID   string `json:"id"`
}

// LateSwap holds entered lineups to re-optimize. Players whose game has
// started (listed in StartedGames by game key or team, or flagged
// game_started on the player) keep their slot; the rest is re-optimized.
type LateSwap struct {
	Lineups      [][]SlotPick `json:"lineups"`
	StartedGames []string     `json:"started_games,omitempty"`
}

// Normalized returns the parsed site, sport and mode.
func (r *OptimizeRequest) Normalized() (slate.Site, slate.Sport, slate.Mode, error) {
	return normalizedSSM(r.Site, r.Sport, r.Mode)
}

// Validate checks the request and returns a *ValidationError naming every
// problem found, or nil.
func (r *OptimizeRequest) Validate() error {
	var l errorList
	validateSlateRef(&l, r.Site, r.Sport, r.Mode, r.Players, r.SlateID)
	if r.LateSwap == nil && (r.Lineups < 1 || r.Lineups > MaxLineups) {
		l.add("lineups", ReasonOutOfRange, "lineups must be between 1 and %d", MaxLineups)
	}
	if r.LateSwap != nil {
		if len(r.LateSwap.Lineups) == 0 || len(r.LateSwap.Lineups) > MaxLineups {
			l.add("late_swap.lineups", ReasonOutOfRange, "late_swap.lineups must hold between 1 and %d lineups", MaxLineups)
		}
		if r.Lineups != 0 && r.Lineups != len(r.LateSwap.Lineups) {
			l.add("lineups", ReasonConflict, "lineups must be omitted or equal the number of late_swap lineups")
		}
	}
	if r.Randomness < 0 || r.Randomness > 1 || math.IsNaN(r.Randomness) {
		l.add("randomness", ReasonOutOfRange, "randomness must be between 0 and 1")
	}
	r.Constraints.validate(&l, r.Lineups)
	r.JobOptions.validate(&l)
	return l.err()
}

func validateSlateRef(l *errorList, site, sport, mode string, players []slate.Player, slateID string) {
	if site == "" {
		l.add("site", ReasonRequired, "site is required")
	} else if _, err := slate.ParseSite(site); err != nil {
		l.add("site", ReasonInvalid, "%v", err)
	}
	if sport == "" {
		l.add("sport", ReasonRequired, "sport is required")
	} else if _, err := slate.ParseSport(sport); err != nil {
		l.add("sport", ReasonInvalid, "%v", err)
	}
	if _, err := slate.ParseMode(mode); err != nil {
		l.add("mode", ReasonInvalid, "%v", err)
	}
	switch {
	case len(players) == 0 && slateID == "":
		l.add("players", ReasonRequired, "players or slate_id is required")
	case len(players) > 0 && slateID != "":
		l.add("slate_id", ReasonConflict, "give players or slate_id, not both")
	case len(players) > MaxPlayers:
		l.add("players", ReasonOutOfRange, "at most %d players", MaxPlayers)
	}
	ValidatePlayers(l, players)
}

// ValidatePlayers checks each player's fields and id uniqueness.
func ValidatePlayers(l *errorList, players []slate.Player) {
	seen := make(map[string]int, len(players))
	for i := range players {
		p := &players[i]
		f := func(name string) string { return fmt.Sprintf("players[%d].%s", i, name) }
		if p.ID == "" {
			l.add(f("id"), ReasonRequired, "players[%d].id is required", i)
		} else if j, dup := seen[p.ID]; dup {
			l.add(f("id"), ReasonDuplicate, "players[%d].id %q repeats players[%d]", i, p.ID, j)
		} else {
			seen[p.ID] = i
		}
		if len(p.Positions) == 0 {
			l.add(f("positions"), ReasonRequired, "players[%d].positions is required", i)
		}
		if p.Team == "" {
			l.add(f("team"), ReasonRequired, "players[%d].team is required", i)
		}
		if p.Salary < 0 || p.Salary > 1_000_000 {
			l.add(f("salary"), ReasonOutOfRange, "players[%d].salary must be between 0 and 1000000", i)
		}
		if !finite(p.Projection) || p.Projection < -1000 || p.Projection > 10000 {
			l.add(f("projection"), ReasonOutOfRange, "players[%d].projection must be a finite number", i)
		}
		if !finite(p.StdDev) || p.StdDev < 0 {
			l.add(f("stddev"), ReasonOutOfRange, "players[%d].stddev must be >= 0", i)
		}
		if !finite(p.Ownership) || p.Ownership < 0 || p.Ownership > 1 {
			l.add(f("ownership"), ReasonOutOfRange, "players[%d].ownership must be a fraction between 0 and 1", i)
		}
	}
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func (c *Constraints) validate(l *errorList, lineups int) {
	if c.MinUnique < 0 || c.MinUnique > 10 {
		l.add("constraints.min_unique", ReasonOutOfRange, "constraints.min_unique must be between 0 and the roster size")
	}
	if c.MinSalary < 0 {
		l.add("constraints.min_salary", ReasonOutOfRange, "constraints.min_salary must be >= 0")
	}
	if c.MaxSalary < 0 || (c.MaxSalary > 0 && c.MaxSalary < c.MinSalary) {
		l.add("constraints.max_salary", ReasonOutOfRange, "constraints.max_salary must be >= min_salary")
	}
	if c.MaxPerTeam < 0 {
		l.add("constraints.max_per_team", ReasonOutOfRange, "constraints.max_per_team must be >= 0")
	}
	if c.MinGames < 0 {
		l.add("constraints.min_games", ReasonOutOfRange, "constraints.min_games must be >= 0")
	}
	if c.MaxExposure != nil && (!finite(*c.MaxExposure) || *c.MaxExposure <= 0 || *c.MaxExposure > 1) {
		l.add("constraints.max_exposure", ReasonOutOfRange, "constraints.max_exposure must be in (0, 1]")
	}
	for id, e := range c.Exposures {
		field := fmt.Sprintf("constraints.exposures.%s", id)
		if e.Min != nil && (!finite(*e.Min) || *e.Min < 0 || *e.Min > 1) {
			l.add(field+".min", ReasonOutOfRange, "%s.min must be between 0 and 1", field)
		}
		if e.Max != nil && (!finite(*e.Max) || *e.Max < 0 || *e.Max > 1) {
			l.add(field+".max", ReasonOutOfRange, "%s.max must be between 0 and 1", field)
		}
		if e.Min != nil && e.Max != nil && *e.Min > *e.Max {
			l.add(field, ReasonConflict, "%s.min is above its max", field)
		}
	}
	locked := make(map[string]bool, len(c.Locks))
	for _, id := range c.Locks {
		locked[id] = true
	}
	for i, id := range c.Excludes {
		if locked[id] {
			l.add(fmt.Sprintf("constraints.excludes[%d]", i), ReasonConflict, "player %q is both locked and excluded", id)
		}
	}
	for i, s := range c.Stacks {
		field := fmt.Sprintf("constraints.stacks[%d]", i)
		if len(s.Positions) == 0 && s.Size < 2 {
			l.add(field, ReasonInvalid, "%s needs positions or a size of at least 2", field)
		}
		if s.Size < 0 || s.Size > 10 || len(s.Positions) > 10 {
			l.add(field+".size", ReasonOutOfRange, "%s is larger than a roster", field)
		}
		if s.BringBack < 0 || s.BringBack > 5 {
			l.add(field+".bring_back", ReasonOutOfRange, "%s.bring_back must be between 0 and 5", field)
		}
		for j, p := range s.Positions {
			if strings.TrimSpace(p) == "" {
				l.add(fmt.Sprintf("%s.positions[%d]", field, j), ReasonInvalid, "empty position")
			}
		}
	}
	if !finite(c.MinProjection) {
		l.add("constraints.min_projection", ReasonInvalid, "constraints.min_projection must be a number")
	}
	_ = lineups
}

// OptimizeResult is the optimize result document. Site, sport and mode
// echo the request's (normalized), so the result alone can be exported as
// the site's upload file.
type OptimizeResult struct {
	Site      string             `json:"site,omitempty"`
	Sport     string             `json:"sport,omitempty"`
	Mode      string             `json:"mode,omitempty"`
	Lineups   []Lineup           `json:"lineups"`
	Exposures map[string]float64 `json:"exposures"`
	Stats     OptimizeStats      `json:"stats"`
	Warnings  []string           `json:"warnings,omitempty"`
}

// Lineup is one roster in slot order.
type Lineup struct {
	Players    []LineupPlayer `json:"players"`
	Salary     int            `json:"salary"`
	Projection float64        `json:"projection"`
}

// LineupPlayer is a player in a slot, with the salary and projection he
// counts for there (captain multipliers applied). ID is the player's id;
// UploadID is the site id for that slot where it differs (DK captain rows).
type LineupPlayer struct {
	Slot       string  `json:"slot"`
	ID         string  `json:"id"`
	UploadID   string  `json:"upload_id,omitempty"`
	Name       string  `json:"name"`
	Team       string  `json:"team,omitempty"`
	Salary     int     `json:"salary"`
	Projection float64 `json:"projection"`
}

// OptimizeStats reports how the solve went: wall time, branch-and-bound
// nodes, simplex pivots, the largest LP solved, and the memory the solve held
// (basis inverse, constraint matrix and enumeration pool; bounded by the
// pool limit of 60,000 rosters).
type OptimizeStats struct {
	SolveMS      int64 `json:"solve_ms"`
	Nodes        int64 `json:"nodes,omitempty"`
	LPIterations int64 `json:"lp_iterations,omitempty"`
	LPRows       int   `json:"lp_rows,omitempty"`
	LPColumns    int   `json:"lp_columns,omitempty"`
	MemoryBytes  int64 `json:"memory_bytes,omitempty"`
	Players      int   `json:"players,omitempty"`
	Requested    int   `json:"requested,omitempty"`
}
