package schema

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

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

// Result cache choices of a request ("cache"): use it (the default), or
// bypass it (compute, and do not file the result for later requests).
const (
	CacheUse    = "use"
	CacheBypass = "bypass"
)

// JobOptions are the fields every request document carries for the job
// system: queue priority, timeout, completion webhook and result cache use.
type JobOptions struct {
	Priority       string  `json:"priority,omitempty"`
	TimeoutSeconds int     `json:"timeout_seconds,omitempty"`
	WebhookURL     *string `json:"webhook_url,omitempty"`
	// Cache is CacheUse (or empty) or CacheBypass.
	Cache string `json:"cache,omitempty"`
	// Urgent and LocksAt are set by the kinds that have them (contest-sim:
	// time_sensitive, contest.lock_time), never decoded here; with no
	// priority they route a job to the critical queue.
	Urgent  bool       `json:"-"`
	LocksAt *time.Time `json:"-"`
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
	if o.WebhookURL != nil && *o.WebhookURL != "" {
		checkWebhookURL(l, *o.WebhookURL)
	}
	switch o.Cache {
	case "", CacheUse, CacheBypass:
	default:
		l.add("cache", ReasonInvalid, "cache must be use or bypass, not %q", o.Cache)
	}
}

// MaxWebhookURLLength bounds webhook_url, in bytes.
const MaxWebhookURLLength = 2048

// checkWebhookURL checks the shape of a webhook URL: absolute http(s),
// with a host, of bounded length. Which targets may be called (https
// unless allow-listed, no private addresses) is the service's policy,
// applied by the gateway (pkg/webhook).
func checkWebhookURL(l *errorList, raw string) {
	if len(raw) > MaxWebhookURLLength {
		l.add("webhook_url", ReasonOutOfRange, "webhook_url must be at most %d bytes", MaxWebhookURLLength)
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		l.add("webhook_url", ReasonInvalid, "webhook_url must be an absolute https URL (https://host/path)")
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

// MsgSlateIDUnsupported is the message refusing a document that still
// names a slate_id when it is validated on its own: the job seam
// (optimizer/job.Resolve) replaces slate_id with the stored slate's players
// before it validates, so only a document checked without a slate store
// meets it.
const MsgSlateIDUnsupported = "slate_id needs the slate store to be resolved into players (the gateway does it): give the players inline to validate the document alone"

// maxRosterSize is the largest roster of any site, sport and mode
// (DraftKings MLB): the bound of roster-sized fields when the rules are
// unknown.
const maxRosterSize = 10

// Normalized returns the parsed site, sport and mode.
func (r *OptimizeRequest) Normalized() (slate.Site, slate.Sport, slate.Mode, error) {
	return normalizedSSM(r.Site, r.Sport, r.Mode)
}

// Validate checks the request and returns a *ValidationError naming every
// problem found, or nil.
//
// Beyond each field's own range it checks what the document alone can tell
// against its players and the roster rules of its site, sport and mode:
// every id a constraint or late-swap lineup names is one of the players,
// every position (of a player or a stack) is one a slot accepts, every
// salary fits under the cap, and the roster-sized fields fit the roster.
// What only the solver can tell (an infeasible combination of rules) is
// left to it. A slate_id is refused here: optimizer/job resolves it into
// players before it validates.
func (r *OptimizeRequest) Validate() error {
	var l errorList
	validateSSM(&l, r.Site, r.Sport, r.Mode)
	rs := rosterOf(&l, r.Site, r.Sport, r.Mode)
	switch {
	case r.SlateID != "":
		l.add("slate_id", ReasonInvalid, "%s", MsgSlateIDUnsupported)
	case len(r.Players) == 0:
		l.add("players", ReasonRequired, "players are required")
	}
	if len(r.Players) > MaxPlayers {
		l.add("players", ReasonOutOfRange, "at most %d players", MaxPlayers)
	}
	ids := validatePlayers(&l, r.Players)
	rs.checkPlayers(&l, r.Players)
	n := r.Lineups
	if r.LateSwap == nil && (r.Lineups < 1 || r.Lineups > MaxLineups) {
		l.add("lineups", ReasonOutOfRange, "lineups must be between 1 and %d", MaxLineups)
	}
	if r.LateSwap != nil {
		n = len(r.LateSwap.Lineups)
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
	d := &docContext{roster: rs, players: r.Players, ids: ids, lineups: n, lateSwap: r.LateSwap != nil}
	pool := r.Constraints.check(&l, d)
	if r.LateSwap != nil {
		r.LateSwap.check(&l, d, pool)
	}
	r.JobOptions.validate(&l)
	return l.err()
}

// validateSlateRef checks site, sport and mode, that players or a slate_id
// (not both) are given, and the players' own fields. It returns the roster,
// nil when site, sport or mode is invalid (reported); callers that build
// lineups from every player check them against it (roster.checkPlayers).
func validateSlateRef(l *errorList, site, sport, mode string, players []slate.Player, slateID string) *roster {
	validateSSM(l, site, sport, mode)
	rs := rosterOf(l, site, sport, mode)
	switch {
	case len(players) == 0 && slateID == "":
		l.add("players", ReasonRequired, "players or slate_id is required")
	case len(players) > 0 && slateID != "":
		l.add("slate_id", ReasonConflict, "give players or slate_id, not both")
	case len(players) > MaxPlayers:
		l.add("players", ReasonOutOfRange, "at most %d players", MaxPlayers)
	}
	validatePlayers(l, players)
	return rs
}

// size is the roster size, 0 for a nil roster.
func (rs *roster) size() int {
	if rs == nil {
		return 0
	}
	return rs.rules.Size()
}

// validateSSM checks site, sport and mode.
func validateSSM(l *errorList, site, sport, mode string) {
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
}

// ValidatePlayers checks each player's fields and id uniqueness.
func ValidatePlayers(l *errorList, players []slate.Player) { validatePlayers(l, players) }

// validatePlayers is ValidatePlayers, returning the index of each player id
// (its first occurrence) for the checks that look ids up.
func validatePlayers(l *errorList, players []slate.Player) map[string]int {
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
		if p.Salary < 0 || p.Salary > maxSalary {
			l.add(f("salary"), ReasonOutOfRange, "players[%d].salary must be between 0 and %d", i, maxSalary)
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
	return seen
}

// maxSalary bounds any salary field, whatever the site.
const maxSalary = 1_000_000

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// roster is what the checks need of the roster rules of one site, sport
// and mode. A nil *roster (site, sport or mode unknown) skips the checks
// against the rules.
type roster struct {
	rules *slate.Rules // read only: rosters are shared
	// accepts lists every position some slot accepts, with a bit set for
	// each slot accepting it (rosters have at most 10 slots).
	accepts []slotSet
	// plain are the slots costing a player's own salary.
	plain uint64
}

type slotSet struct {
	pos   string
	slots uint64
}

type rosterKey struct {
	site  slate.Site
	sport slate.Sport
	mode  slate.Mode
}

// rosters holds the roster of every site, sport and mode with rules. It is
// built once and only read: Validate runs on the gateway's submit path and
// need not rebuild the rules for each request.
var rosters = func() map[rosterKey]*roster {
	out := map[rosterKey]*roster{}
	for _, site := range []slate.Site{slate.DraftKings, slate.FanDuel} {
		for _, sport := range []slate.Sport{slate.NFL, slate.NBA, slate.MLB, slate.NHL} {
			for _, mode := range []slate.Mode{slate.Classic, slate.Showdown} {
				if rules, err := slate.RulesFor(site, sport, mode); err == nil {
					out[rosterKey{site, sport, mode}] = newRoster(rules)
				}
			}
		}
	}
	return out
}()

func newRoster(rules *slate.Rules) *roster {
	rs := &roster{rules: rules}
	for i := range rules.Slots {
		if rules.Slots[i].SalaryMultiplier <= 1 {
			rs.plain |= 1 << i
		}
		for _, p := range rules.Slots[i].Eligible {
			k := slices.IndexFunc(rs.accepts, func(a slotSet) bool { return a.pos == p })
			if k < 0 {
				k = len(rs.accepts)
				rs.accepts = append(rs.accepts, slotSet{pos: p})
			}
			rs.accepts[k].slots |= 1 << i
		}
	}
	return rs
}

// rosterOf returns the roster of a site, sport and mode, nil when one of
// them does not parse (validateSSM reports it) or the site has no such
// mode (reported here, on mode).
func rosterOf(l *errorList, site, sport, mode string) *roster {
	s, sp, m, err := normalizedSSM(site, sport, mode)
	if err != nil {
		return nil
	}
	rs := rosters[rosterKey{s, sp, m}]
	if rs == nil {
		_, err := slate.RulesFor(s, sp, m)
		l.add("mode", ReasonInvalid, "mode %q: %v", m, err)
	}
	return rs
}

// slotsFor returns the slots accepting a position as a bit set (0: none).
func (rs *roster) slotsFor(pos string) uint64 {
	for i := range rs.accepts {
		if rs.accepts[i].pos == pos {
			return rs.accepts[i].slots
		}
	}
	return 0
}

// name is the site, sport and mode, as messages name them.
func (rs *roster) name() string {
	return fmt.Sprintf("%s %s %s", rs.rules.Site, rs.rules.Sport, rs.rules.Mode)
}

// unknownPosition explains that no slot accepts pos, listing those some
// slot accepts.
func (rs *roster) unknownPosition(pos string) string {
	list := make([]string, len(rs.accepts))
	for i, a := range rs.accepts {
		list[i] = a.pos
	}
	msg := fmt.Sprintf("position %q is not a position of %s (%s)", pos, rs.name(), strings.Join(list, ", "))
	if up := strings.ToUpper(pos); up != pos && rs.slotsFor(up) != 0 {
		msg += "; positions are upper case"
	}
	return msg
}

// checkPlayers checks each player's positions and salary against the rules:
// every position must be one a slot accepts, and the player must fit under
// the salary cap in at least one slot he may fill.
func (rs *roster) checkPlayers(l *errorList, players []slate.Player) {
	if rs == nil {
		return
	}
	capacity := rs.rules.SalaryCap
	for i := range players {
		p := &players[i]
		var slots uint64
		for j, pos := range p.Positions {
			s := rs.slotsFor(pos)
			if s == 0 {
				l.add(fmt.Sprintf("players[%d].positions[%d]", i, j), ReasonInvalid, "players[%d] (%q): %s", i, p.ID, rs.unknownPosition(pos))
			}
			slots |= s
		}
		if p.CaptainSalary < 0 || p.CaptainSalary > maxSalary {
			l.add(fmt.Sprintf("players[%d].captain_salary", i), ReasonOutOfRange, "players[%d].captain_salary must be between 0 and %d", i, maxSalary)
		}
		if slots == 0 || p.Salary < 0 || p.Salary > maxSalary || p.CaptainSalary < 0 ||
			(p.Salary <= capacity && slots&rs.plain != 0) {
			continue
		}
		cheapest := math.MaxInt
		for k := range rs.rules.Slots {
			if slots&(1<<k) != 0 {
				cheapest = min(cheapest, rs.rules.SlotSalary(p, k))
			}
		}
		if cheapest > capacity {
			l.add(fmt.Sprintf("players[%d].salary", i), ReasonOutOfRange,
				"players[%d] (%q): salary %d is above the %s salary cap of %d, so the player can never be rostered", i, p.ID, cheapest, rs.name(), capacity)
		}
	}
}

// docContext is what the checks looking beyond one field know of an
// optimize document.
type docContext struct {
	roster   *roster        // nil: site, sport or mode unknown
	players  []slate.Player // the request's
	ids      map[string]int // player index by id; empty without players
	lineups  int            // lineups the exposures count against
	lateSwap bool           // the request late-swaps entered lineups
	// teams and games index the players' teams and game keys,
	// upper-cased, once lookups are many (stack teams, started games).
	teams, games map[string]bool
	scans        int // lookups answered by scanning the players
}

// known reports whether id is a player's (always true when there are no
// players to look it up in).
func (d *docContext) known(id string) bool {
	if d == nil || len(d.ids) == 0 {
		return true
	}
	_, ok := d.ids[id]
	return ok
}

// hasTeam reports whether some player is of team t (ignoring case).
func (d *docContext) hasTeam(t string) bool {
	return d.lookup(t, false)
}

// hasGameOrTeam reports whether g names some player's team or game key
// (ignoring case).
func (d *docContext) hasGameOrTeam(g string) bool {
	return d.lookup(g, true)
}

// lookup answers hasTeam and hasGameOrTeam: the first few lookups scan the
// players (a request names a team or two), later ones use an index built
// once, so that many lookups stay linear.
func (d *docContext) lookup(key string, games bool) bool {
	key = strings.ToUpper(key)
	if d.teams == nil && d.scans < 4 {
		d.scans++
		for i := range d.players {
			p := &d.players[i]
			if strings.ToUpper(p.Team) == key || games && strings.ToUpper(p.GameKey()) == key {
				return true
			}
		}
		return false
	}
	if d.teams == nil {
		d.teams, d.games = map[string]bool{}, map[string]bool{}
		for i := range d.players {
			d.teams[strings.ToUpper(d.players[i].Team)] = true
			d.games[strings.ToUpper(d.players[i].GameKey())] = true
		}
	}
	return d.teams[key] || games && d.games[key]
}

// validate checks the constraints on their own (portfolio candidate
// generation, whose players and rules are checked elsewhere).
func (c *Constraints) validate(l *errorList, lineups int) {
	_ = lineups
	c.check(l, nil)
}

// check checks the constraints, against the document d when it is given,
// and returns the pool filter the late-swap checks need.
func (c *Constraints) check(l *errorList, d *docContext) *poolFilter {
	var rs *roster
	size := maxRosterSize
	if d != nil && d.roster != nil {
		rs = d.roster
		size = rs.rules.Size()
	}
	switch {
	case c.MinUnique < 0:
		l.add("constraints.min_unique", ReasonOutOfRange, "constraints.min_unique must be >= 0")
	case c.MinUnique > size:
		l.add("constraints.min_unique", ReasonOutOfRange, "constraints.min_unique %d exceeds the roster size %d", c.MinUnique, size)
	}
	switch {
	case c.MinSalary < 0:
		l.add("constraints.min_salary", ReasonOutOfRange, "constraints.min_salary must be >= 0")
	case rs != nil && c.MinSalary > rs.rules.SalaryCap:
		l.add("constraints.min_salary", ReasonOutOfRange, "constraints.min_salary %d is above the %s salary cap of %d", c.MinSalary, rs.name(), rs.rules.SalaryCap)
	}
	if c.MaxSalary < 0 || (c.MaxSalary > 0 && c.MaxSalary < c.MinSalary) {
		l.add("constraints.max_salary", ReasonOutOfRange, "constraints.max_salary must be >= min_salary")
	}
	if c.MaxPerTeam < 0 {
		l.add("constraints.max_per_team", ReasonOutOfRange, "constraints.max_per_team must be >= 0")
	}
	switch {
	case c.MinGames < 0:
		l.add("constraints.min_games", ReasonOutOfRange, "constraints.min_games must be >= 0")
	case c.MinGames > size:
		l.add("constraints.min_games", ReasonOutOfRange, "constraints.min_games %d exceeds the roster size %d (one player per game at most)", c.MinGames, size)
	}
	if c.MaxExposure != nil && (!finite(*c.MaxExposure) || *c.MaxExposure <= 0 || *c.MaxExposure > 1) {
		l.add("constraints.max_exposure", ReasonOutOfRange, "constraints.max_exposure must be in (0, 1]")
	}
	pool := &poolFilter{c: c, lateSwap: d != nil && d.lateSwap}
	if len(c.Locks) > 0 {
		pool.locked = make(map[string]int, len(c.Locks))
	}
	for i, id := range c.Locks {
		if j, dup := pool.locked[id]; dup {
			l.add(fmt.Sprintf("constraints.locks[%d]", i), ReasonDuplicate, "player %q is locked twice (constraints.locks[%d])", id, j)
			continue
		}
		pool.locked[id] = i
		if !d.known(id) {
			l.add(fmt.Sprintf("constraints.locks[%d]", i), ReasonNotFound, "locked player %q is not in the slate", id)
		}
	}
	if len(pool.locked) > size {
		l.add("constraints.locks", ReasonOutOfRange, "constraints.locks names %d players; a lineup has %d", len(pool.locked), size)
	}
	if len(c.Excludes) > 0 {
		pool.excluded = make(map[string]int, len(c.Excludes))
	}
	for i, id := range c.Excludes {
		field := func() string { return fmt.Sprintf("constraints.excludes[%d]", i) }
		if j, dup := pool.excluded[id]; dup {
			l.add(field(), ReasonDuplicate, "player %q is excluded twice (constraints.excludes[%d])", id, j)
			continue
		}
		pool.excluded[id] = i
		if j, ok := pool.locked[id]; ok {
			l.add(field(), ReasonConflict, "player %q is both locked (constraints.locks[%d]) and excluded", id, j)
		} else if !d.known(id) {
			l.add(field(), ReasonNotFound, "excluded player %q is not in the slate", id)
		}
	}
	c.checkExposures(l, d, pool)
	for i := range c.Stacks {
		c.Stacks[i].check(l, i, d, size)
	}
	if !finite(c.MinProjection) {
		l.add("constraints.min_projection", ReasonInvalid, "constraints.min_projection must be a number")
	}
	return pool
}

// checkExposures checks the per-player exposure ranges (in id order, for
// stable error lists) and, against the document, that each names a player
// and can be met: counted in lineups as the optimizer counts them, a min
// within the max, no max below 1 for a locked player, no min for a player
// the pool filter drops.
func (c *Constraints) checkExposures(l *errorList, d *docContext, pool *poolFilter) {
	if len(c.Exposures) == 0 {
		return
	}
	for _, id := range slices.Sorted(maps.Keys(c.Exposures)) {
		e := c.Exposures[id]
		field := func(suffix string) string { return "constraints.exposures." + id + suffix }
		ok := true
		if e.Min != nil && (!finite(*e.Min) || *e.Min < 0 || *e.Min > 1) {
			l.add(field(".min"), ReasonOutOfRange, "%s must be between 0 and 1", field(".min"))
			ok = false
		}
		if e.Max != nil && (!finite(*e.Max) || *e.Max < 0 || *e.Max > 1) {
			l.add(field(".max"), ReasonOutOfRange, "%s must be between 0 and 1", field(".max"))
			ok = false
		}
		if ok && e.Min != nil && e.Max != nil && *e.Min > *e.Max {
			l.add(field(""), ReasonConflict, "%s.min is above its max", field(""))
			ok = false
		}
		if !d.known(id) {
			l.add(field(""), ReasonNotFound, "player %q of constraints.exposures is not in the slate", id)
			continue
		}
		if !ok || d == nil || len(d.ids) == 0 {
			continue
		}
		p := &d.players[d.ids[id]]
		if why := pool.dropped(p); why != "" {
			if e.Min != nil && *e.Min > 0 {
				l.add(field(".min"), ReasonConflict, "player %q has a min exposure but %s", id, why)
			}
			continue
		}
		n := d.lineups
		if n < 1 || n > MaxLineups {
			continue
		}
		_, locked := pool.locked[id]
		maxCount := n
		if c.MaxExposure != nil && !locked {
			maxCount = int(math.Floor(*c.MaxExposure*float64(n) + 1e-9))
		}
		if e.Max != nil {
			maxCount = int(math.Floor(*e.Max*float64(n) + 1e-9))
			if locked && maxCount < n {
				l.add(field(".max"), ReasonConflict, "player %q is locked but has a max exposure below 1", id)
				continue
			}
		}
		if e.Min != nil {
			if minCount := int(math.Ceil(*e.Min*float64(n) - 1e-9)); minCount > maxCount {
				l.add(field(""), ReasonConflict, "player %q needs %d lineups by min exposure but max exposure allows %d of %d", id, minCount, maxCount, n)
			}
		}
	}
}

// check checks stack i against the roster size, the positions the slots
// accept and the teams of the players, when d gives them.
func (s *Stack) check(l *errorList, i int, d *docContext, size int) {
	// field names the stack or one of its fields; built only for errors.
	field := func(suffix string, j ...int) string {
		if len(j) > 0 {
			suffix = fmt.Sprintf("%s[%d]", suffix, j[0])
		}
		return fmt.Sprintf("constraints.stacks[%d]%s", i, suffix)
	}
	var rs *roster
	if d != nil {
		rs = d.roster
	}
	count := s.Size
	if count == 0 {
		count = len(s.Positions)
	}
	if len(s.Positions) == 0 && s.Size < 2 {
		f := field("")
		l.add(f, ReasonInvalid, "%s needs positions or a size of at least 2", f)
	}
	switch {
	case s.Size < 0:
		f := field(".size")
		l.add(f, ReasonOutOfRange, "%s must be >= 0", f)
	case count > size:
		f := field("")
		l.add(f, ReasonOutOfRange, "%s asks for %d players; a lineup has %d", f, count, size)
	}
	switch {
	case s.BringBack < 0 || s.BringBack > 5:
		f := field(".bring_back")
		l.add(f, ReasonOutOfRange, "%s must be between 0 and 5", f)
	case s.BringBack > 0 && count <= size && count+s.BringBack > size:
		l.add(field(".bring_back"), ReasonOutOfRange, "%s asks for %d stack players and %d bring-back players; a lineup has %d", field(""), count, s.BringBack, size)
	case s.BringBack == 0 && len(s.BringBackPositions) > 0:
		f := field(".bring_back_positions")
		l.add(f, ReasonConflict, "%s is set but bring_back is 0: give bring_back too", f)
	}
	for j, e := range s.Positions {
		if strings.TrimSpace(e) == "" {
			f := field(".positions", j)
			l.add(f, ReasonInvalid, "%s is empty", f)
			continue
		}
		if rs == nil {
			continue
		}
		for rest := e; rest != ""; {
			var part string
			part, rest, _ = strings.Cut(rest, "|")
			if part = strings.ToUpper(strings.TrimSpace(part)); part != "" && rs.slotsFor(part) == 0 {
				f := field(".positions", j)
				l.add(f, ReasonInvalid, "%s: %s", f, rs.unknownPosition(part))
				break
			}
		}
	}
	for j, p := range s.BringBackPositions {
		switch up := strings.ToUpper(strings.TrimSpace(p)); {
		case up == "":
			f := field(".bring_back_positions", j)
			l.add(f, ReasonInvalid, "%s is empty", f)
		case strings.Contains(up, "|"):
			f := field(".bring_back_positions", j)
			l.add(f, ReasonInvalid, "%s: list one position per entry (%q)", f, p)
		case rs != nil && rs.slotsFor(up) == 0:
			f := field(".bring_back_positions", j)
			l.add(f, ReasonInvalid, "%s: %s", f, rs.unknownPosition(up))
		}
	}
	if t := strings.TrimSpace(s.Team); t != "" && !strings.EqualFold(t, "any") && d != nil && len(d.players) > 0 &&
		!d.hasTeam(t) {
		f := field(".team")
		l.add(f, ReasonNotFound, "%s: team %q is not in the slate", f, t)
	}
}

// poolFilter tells which players the optimizer's pool filter drops before
// solving: the excluded, then (locked players are kept) those of an
// excluded status, those projected below min_projection, and those whose
// game has started outside a late swap.
type poolFilter struct {
	c        *Constraints
	locked   map[string]int  // constraints.locks index by id
	excluded map[string]int  // constraints.excludes index by id
	statuses map[string]bool // constraints.exclude_statuses, built on first use
	lateSwap bool
}

// dropped says why the pool filter drops p ("is excluded by ..."), or ""
// when it keeps him.
func (f *poolFilter) dropped(p *slate.Player) string {
	if j, ok := f.excluded[p.ID]; ok {
		return fmt.Sprintf("is excluded by constraints.excludes[%d]", j)
	}
	if _, ok := f.locked[p.ID]; ok {
		return ""
	}
	if p.Status != "" && len(f.c.ExcludeStatuses) > 0 {
		if f.statuses == nil {
			f.statuses = make(map[string]bool, len(f.c.ExcludeStatuses))
			for _, s := range f.c.ExcludeStatuses {
				f.statuses[strings.ToUpper(strings.TrimSpace(s))] = true
			}
		}
		if f.statuses[strings.ToUpper(p.Status)] {
			return fmt.Sprintf("has status %q, which constraints.exclude_statuses drops", p.Status)
		}
	}
	if f.c.MinProjection != 0 && p.Projection < f.c.MinProjection {
		return "is projected below constraints.min_projection"
	}
	if p.GameStarted && !f.lateSwap {
		return "has game_started set outside a late swap"
	}
	return ""
}

// check checks the late-swap lineups against the document: each has a
// roster's worth of players, each player is in the slate (and kept by the
// pool filter) once per lineup, each slot is one of the roster's and filled
// once, and each started player sits in a slot he may fill; each started
// game names a game or team of the slate.
func (s *LateSwap) check(l *errorList, d *docContext, pool *poolFilter) {
	if len(d.players) == 0 {
		return
	}
	started := make(map[string]bool, len(s.StartedGames))
	for i, g := range s.StartedGames {
		if !d.hasGameOrTeam(g) {
			l.add(fmt.Sprintf("late_swap.started_games[%d]", i), ReasonNotFound, "late_swap.started_games[%d]: no player's game or team is %q", i, g)
		}
		started[strings.ToUpper(g)] = true
	}
	// hasStarted is the optimizer's test: game_started, or the player's
	// team or game key listed in started_games.
	hasStarted := func(p *slate.Player) bool {
		return p.GameStarted || started[strings.ToUpper(p.Team)] || started[strings.ToUpper(p.GameKey())]
	}
	rs := d.roster
	for k, picks := range s.Lineups {
		if rs != nil && len(picks) != rs.rules.Size() {
			l.add(fmt.Sprintf("late_swap.lineups[%d]", k), ReasonInvalid, "late_swap.lineups[%d] has %d players; a lineup has %d", k, len(picks), rs.rules.Size())
		}
		if len(picks) > maxRosterSize {
			continue // no roster is that long: the players are not worth checking
		}
		var used uint64
		for t, pk := range picks {
			f := func(name string) string { return fmt.Sprintf("late_swap.lineups[%d][%d].%s", k, t, name) }
			i, known := d.ids[pk.ID]
			switch {
			case !known:
				l.add(f("id"), ReasonNotFound, "%s: player %q is not in the slate", f("id"), pk.ID)
			case slices.ContainsFunc(picks[:t], func(q SlotPick) bool { return q.ID == pk.ID }):
				l.add(f("id"), ReasonDuplicate, "%s: player %q is already in late_swap.lineups[%d]", f("id"), pk.ID, k)
			default:
				if why := pool.dropped(&d.players[i]); why != "" {
					l.add(f("id"), ReasonConflict, "%s: player %q %s", f("id"), pk.ID, why)
				}
			}
			if rs == nil {
				continue
			}
			slot, named := -1, false
			for si := range rs.rules.Slots {
				if strings.EqualFold(rs.rules.Slots[si].Name, pk.Slot) {
					named = true
					if used&(1<<si) == 0 {
						slot = si
						break
					}
				}
			}
			switch {
			case slot < 0 && !named:
				l.add(f("slot"), ReasonInvalid, "%s: %q is not a slot of %s", f("slot"), pk.Slot, rs.name())
			case slot < 0:
				l.add(f("slot"), ReasonInvalid, "%s: slot %q is not free in this roster (already filled)", f("slot"), pk.Slot)
			default:
				used |= 1 << slot
				if known && hasStarted(&d.players[i]) && !rs.rules.Slots[slot].Accepts(d.players[i].Positions) {
					l.add(f("slot"), ReasonInvalid, "%s: player %q has started and cannot play slot %q", f("slot"), pk.ID, pk.Slot)
				}
			}
		}
	}
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
