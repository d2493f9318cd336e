// Package slatestore provides the slate store of dfsopt: imported slates
// (site, sport, mode, lock time, the players with their salaries, positions
// and projections) and, after the games, their outcomes (actual points and
// ownership), which are the history calibrations read.
//
// Store is the contract; its adapters are named for their technology:
// redisstore (the embedded default) and neo4jstore (the player/team/game
// graph, when DFSOPT_NEO4J_URI is set). Both pass the same contract tests
// (package storetest).
//
// A slate's id is derived from its content (see ID): importing the same
// files again yields the same id and stores nothing new, and a stored slate
// never changes, so a job that names a slate_id is reproducible. New
// projections for the same salary file are a new slate. Outcomes are added
// to a stored slate later and do not change its id.
package slatestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Errors callers branch on. Adapters wrap them with context; test with
// errors.Is.
var (
	// ErrNotFound: no slate with that id. It is job.ErrSlateNotFound, so
	// that the compute's slate lookups see it.
	ErrNotFound = job.ErrSlateNotFound
	// ErrUnavailable: the store's backend cannot be reached or did not
	// answer in time; the gateway answers 503 and the worker retries.
	ErrUnavailable = errors.New("slate store unavailable")
	// ErrInvalid: the slate or outcomes given are not storable (no players,
	// duplicate ids, unknown players...).
	ErrInvalid = errors.New("invalid slate")
)

// Unavailable wraps a backend error so that it matches ErrUnavailable and
// keeps its cause.
func Unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, err)
}

// Slate is a stored slate: what an optimize or simulate request needs in
// place of inline players, and where it came from.
type Slate struct {
	// ID is the content-derived id (see ID); Put fills it.
	ID    string      `json:"id"`
	Site  slate.Site  `json:"site"`
	Sport slate.Sport `json:"sport"`
	Mode  slate.Mode  `json:"mode"`
	// LockTime is the earliest game start (zero when the salary file gives
	// no start times).
	LockTime time.Time `json:"lock_time,omitzero"`
	// GameStarts are the scheduled starts by game key ("NYG@DAL").
	GameStarts map[string]time.Time `json:"game_starts,omitempty"`
	// ProjectionSource names where the projections came from (a file name,
	// "site" for the site's averages).
	ProjectionSource string `json:"projection_source,omitempty"`
	// Players in import order, projections merged.
	Players []slate.Player `json:"players"`
	// ImportedAt is when the slate was first stored (set by the store; not
	// part of the id).
	ImportedAt time.Time `json:"imported_at,omitzero"`
}

// Summary describes a stored slate without its players.
type Summary struct {
	ID               string      `json:"id"`
	Site             slate.Site  `json:"site"`
	Sport            slate.Sport `json:"sport"`
	Mode             slate.Mode  `json:"mode"`
	LockTime         time.Time   `json:"lock_time,omitzero"`
	ProjectionSource string      `json:"projection_source,omitempty"`
	Players          int         `json:"players"`
	// Outcomes is the number of players with a stored outcome.
	Outcomes   int       `json:"outcomes"`
	ImportedAt time.Time `json:"imported_at,omitzero"`
}

// Outcome is what a player did once the games were played.
type Outcome struct {
	PlayerID string `json:"player_id"`
	// Points are the actual fantasy points scored.
	Points float64 `json:"points"`
	// Ownership is the actual share of lineups that held the player (0.12
	// for 12 %), when known.
	Ownership *float64 `json:"ownership,omitempty"`
}

// ListOptions filter List.
type ListOptions struct {
	// Site and Sport, when set, keep only the slates of that site or sport.
	Site  slate.Site
	Sport slate.Sport
	// Limit caps the number of summaries (DefaultListLimit when <= 0).
	Limit int
}

// DefaultListLimit is the number of summaries List returns by default.
const DefaultListLimit = 100

// Store keeps slates and their outcomes. Implementations are safe for
// concurrent use; their backend failures match ErrUnavailable.
type Store interface {
	// Put stores a slate in one transaction and returns its id; created is
	// false when that slate was already stored (nothing is written then).
	Put(ctx context.Context, s *Slate) (id string, created bool, err error)
	// Get returns a stored slate (ErrNotFound when there is none).
	Get(ctx context.Context, id string) (*Slate, error)
	// List returns summaries of the stored slates, latest lock time first.
	List(ctx context.Context, opts ListOptions) ([]Summary, error)
	// PutOutcomes stores (or replaces) the outcomes of a slate's players, in
	// one transaction. Unknown player ids are ErrInvalid and nothing is
	// stored; an unknown slate is ErrNotFound.
	PutOutcomes(ctx context.Context, slateID string, outcomes []Outcome) error
	// History returns one calibration row per player with an outcome on the
	// given slates, in slate then import order (ErrNotFound naming the first
	// unknown slate).
	History(ctx context.Context, slateIDs []string) ([]schema.CalibrationRow, error)
	// Ping reports whether the backend answers (for /ready).
	Ping(ctx context.Context) error
	// Close releases the store's connections.
	Close(ctx context.Context) error
}

// idPrefix starts every slate id.
const idPrefix = "sl_"

// ValidID reports whether id has the form of a slate id ("sl_" and 32
// lower-case hex digits), so that other strings never reach keys or queries.
func ValidID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, idPrefix)
	if !ok || len(hexPart) != 32 {
		return false
	}
	for _, c := range hexPart {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ID returns the content-derived id of a slate: "sl_" and the first 128
// bits of the SHA-256 of its canonical JSON (site, sport, mode, game starts,
// projection source and players in order; not ID, ImportedAt or LockTime,
// which follows from the game starts).
func ID(s *Slate) (string, error) {
	starts := make([][2]string, 0, len(s.GameStarts))
	for _, g := range slices.Sorted(maps.Keys(s.GameStarts)) {
		starts = append(starts, [2]string{g, s.GameStarts[g].UTC().Format(time.RFC3339)})
	}
	b, err := json.Marshal(struct {
		Site, Sport, Mode string
		Starts            [][2]string
		Source            string
		Players           []slate.Player
	}{string(s.Site), string(s.Sport), string(s.Mode), starts, s.ProjectionSource, s.Players})
	if err != nil {
		return "", fmt.Errorf("slate id: %w", err)
	}
	sum := sha256.Sum256(b)
	return idPrefix + hex.EncodeToString(sum[:16]), nil
}

// Prepare checks a slate before it is stored and returns a normalised copy
// with its ID and LockTime set (ImportedAt is left to the store). Adapters
// call it first in Put.
func Prepare(s *Slate) (*Slate, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no slate", ErrInvalid)
	}
	out := *s
	if _, err := slate.RulesFor(out.Site, out.Sport, out.Mode); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(out.Players) == 0 {
		return nil, fmt.Errorf("%w: no players", ErrInvalid)
	}
	seen := make(map[string]bool, len(out.Players))
	for i := range out.Players {
		p := &out.Players[i]
		if p.ID == "" {
			return nil, fmt.Errorf("%w: player %d has no id", ErrInvalid, i)
		}
		if p.Team == "" {
			return nil, fmt.Errorf("%w: player %s has no team", ErrInvalid, p.ID)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("%w: player id %s is listed twice", ErrInvalid, p.ID)
		}
		seen[p.ID] = true
	}
	out.Players = slices.Clone(out.Players)
	out.GameStarts = make(map[string]time.Time, len(s.GameStarts))
	out.LockTime = time.Time{}
	for g, t := range s.GameStarts {
		t = t.UTC()
		out.GameStarts[g] = t
		if out.LockTime.IsZero() || t.Before(out.LockTime) {
			out.LockTime = t
		}
	}
	id, err := ID(&out)
	if err != nil {
		return nil, err
	}
	out.ID = id
	return &out, nil
}

// Summarize returns the summary of a slate with outcomes stored outcomes.
func Summarize(s *Slate, outcomes int) Summary {
	return Summary{ID: s.ID, Site: s.Site, Sport: s.Sport, Mode: s.Mode, LockTime: s.LockTime,
		ProjectionSource: s.ProjectionSource, Players: len(s.Players), Outcomes: outcomes, ImportedAt: s.ImportedAt}
}

// Filter applies opts to summaries sorted latest lock time first (then id),
// for adapters that filter in Go.
func Filter(all []Summary, opts ListOptions) []Summary {
	out := make([]Summary, 0, len(all))
	for _, s := range all {
		if (opts.Site == "" || s.Site == opts.Site) && (opts.Sport == "" || s.Sport == opts.Sport) {
			out = append(out, s)
		}
	}
	SortSummaries(out)
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// SortSummaries sorts latest lock time first, then by id.
func SortSummaries(s []Summary) {
	sort.SliceStable(s, func(i, j int) bool {
		if !s[i].LockTime.Equal(s[j].LockTime) {
			return s[i].LockTime.After(s[j].LockTime)
		}
		return s[i].ID < s[j].ID
	})
}

// CheckOutcomes refuses outcomes naming players not on the slate, listed
// twice, or with a negative or non-finite value.
func CheckOutcomes(s *Slate, outcomes []Outcome) error {
	on := make(map[string]bool, len(s.Players))
	for i := range s.Players {
		on[s.Players[i].ID] = true
	}
	seen := make(map[string]bool, len(outcomes))
	for _, o := range outcomes {
		switch {
		case !on[o.PlayerID]:
			return fmt.Errorf("%w: outcome for player %q, who is not on slate %s", ErrInvalid, o.PlayerID, s.ID)
		case seen[o.PlayerID]:
			return fmt.Errorf("%w: two outcomes for player %s", ErrInvalid, o.PlayerID)
		case !finite(o.Points):
			return fmt.Errorf("%w: player %s: points %v", ErrInvalid, o.PlayerID, o.Points)
		case o.Ownership != nil && (!finite(*o.Ownership) || *o.Ownership < 0 || *o.Ownership > 1):
			return fmt.Errorf("%w: player %s: ownership %v is not in [0, 1]", ErrInvalid, o.PlayerID, *o.Ownership)
		}
		seen[o.PlayerID] = true
	}
	return nil
}

func finite(f float64) bool { return f == f && f < 1e300 && f > -1e300 }

// HistoryRow builds the calibration row of a player of a slate with its
// outcome: the projection, stddev and projected ownership are the
// forecast, Actual the points scored; Position is the player's first
// position and Date the day of his game (of the slate's lock when his game
// has no start) in US Eastern time.
func HistoryRow(s *Slate, p *slate.Player, actual float64) schema.CalibrationRow {
	pos := ""
	if len(p.Positions) > 0 {
		pos = p.Positions[0]
	}
	start, ok := s.GameStarts[p.GameKey()]
	if !ok {
		start = s.LockTime
	}
	if start.IsZero() {
		start = s.ImportedAt
	}
	return schema.CalibrationRow{
		PlayerID: p.ID, Name: p.Name, Position: pos, Team: p.Team, Opponent: p.Opponent, Game: p.Game,
		Date: EasternDate(start), Projection: p.Projection, Actual: actual, StdDev: p.StdDev, Ownership: p.Ownership,
	}
}

// EasternDate returns the US Eastern calendar day of t (YYYY-MM-DD). It
// uses UTC-5 all year: games start between 9 a.m. and midnight Eastern, so
// the hour daylight time adds never changes the day.
func EasternDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Add(-5 * time.Hour).Format(time.DateOnly)
}

// RosterPositions returns the roster slots (by name, deduplicated, in slot
// order) a player may fill under the slate's rules: what a site's "Roster
// Position" column lists ("RB/FLEX").
func RosterPositions(r *slate.Rules, p *slate.Player) []string {
	var out []string
	for i := range r.Slots {
		if r.Slots[i].Accepts(p.Positions) && !slices.Contains(out, r.Slots[i].Name) {
			out = append(out, r.Slots[i].Name)
		}
	}
	return out
}
