package sitecsv

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// MergeOptions control MergeProjections.
type MergeOptions struct {
	// Sport selects the team-code aliases and, for NFL, defense matching.
	Sport slate.Sport
	// KeepSiteProjection keeps the site's average as the projection of
	// players the file does not project; by default they get 0.
	KeepSiteProjection bool
	// DropStatuses removes players whose status is listed (case-insensitive;
	// "O" and "OUT" are the same).
	DropStatuses []string
	// DropUnprojected removes players the file does not project.
	DropUnprojected bool
}

// Match rules, the keys of MergeReport.MatchedBy, strictest first.
const (
	// MatchByID: the row's id is the player's site id.
	MatchByID = "id"
	// MatchByCaptainID: the row carries the DraftKings captain (CPT) id and
	// no row carries the player's base id; its value is taken as the base
	// projection.
	MatchByCaptainID = "captain id"
	// MatchByDefense: an NFL defense, by the team its name or team column
	// gives ("Ravens", "Baltimore Ravens", "BAL DST").
	MatchByDefense = "defense"
	// MatchByNameTeam: NormalizeName name and NormalizeTeam team.
	MatchByNameTeam = "name+team"
	// MatchByAlias: name with common first-name aliases (Mitch/Mitchell) or
	// a known second name of the player, and team.
	MatchByAlias = "alias+team"
	// MatchByName: the only player of that name, the row giving no team or
	// a team not on the slate.
	MatchByName = "name"
	// MatchByNameSalary: the only player of that name, listed on another
	// slate team (a trade one source has not caught up with) at the same
	// salary.
	MatchByNameSalary = "name+salary"
	// MatchByInitial: abbreviated first name ("C. McCaffrey") and team.
	MatchByInitial = "initial+team"
	// MatchByLastName: the only player of the team with that last name,
	// position and salary ("Bisi" for "Olabisi" Johnson).
	MatchByLastName = "lastname+team+salary"
)

// PlayerRef identifies a player in a report.
type PlayerRef struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Team      string   `json:"team"`
	Positions []string `json:"positions"`
	Salary    int      `json:"salary"`
	Status    string   `json:"status,omitempty"`
}

// UnmatchedRow is a projection row no player took, and why.
type UnmatchedRow struct {
	Line     int    `json:"line"`
	ID       string `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	Team     string `json:"team,omitempty"`
	Position string `json:"position,omitempty"`
	Reason   string `json:"reason"`
}

// DroppedPlayer is a player removed from the slate, and why.
type DroppedPlayer struct {
	PlayerRef
	Reason string `json:"reason"`
}

// MergeReport says how a projections file met a slate.
type MergeReport struct {
	// Rows is the number of projection rows read; Matched how many found
	// their player, counted per rule in MatchedBy.
	Rows      int            `json:"rows"`
	Matched   int            `json:"matched"`
	MatchedBy map[string]int `json:"matched_by"`
	// Unmatched lists the rows no player took, with the reason.
	Unmatched []UnmatchedRow `json:"unmatched,omitempty"`
	// NoProjection lists the slate players no row projected.
	NoProjection []PlayerRef `json:"no_projection,omitempty"`
	// Dropped lists players removed by MergeOptions.
	Dropped []DroppedPlayer `json:"dropped,omitempty"`
	// Columns maps each field to the header it was read from.
	Columns map[string]string `json:"columns,omitempty"`
}

// MatchRate is the share of projection rows that found their player.
func (r *MergeReport) MatchRate() float64 {
	if r.Rows == 0 {
		return 0
	}
	return float64(r.Matched) / float64(r.Rows)
}

// Summary is a one-line account of the merge for people.
func (r *MergeReport) Summary() string {
	keys := make([]string, 0, len(r.MatchedBy))
	for k := range r.MatchedBy {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.MatchedBy[k]))
	}
	return fmt.Sprintf("projections: %d/%d rows matched (%.1f%%; %s), %d unmatched, %d players without projection, %d dropped",
		r.Matched, r.Rows, 100*r.MatchRate(), strings.Join(parts, ", "), len(r.Unmatched), len(r.NoProjection), len(r.Dropped))
}

// MergeProjections returns a copy of players with the projections of proj
// applied (projection, and stddev, ownership, floor and ceiling when the
// file has them), and a report.
//
// Rows find their player in passes, strictest first, so that a loose rule
// never takes a player a stricter one claims (the Match* constants, in
// order): site id; captain id; NFL defense by team; name and team; aliased
// name and team; name alone (unique on the slate, the row's team absent or
// not on the slate, or the same salary); abbreviated first name and team;
// last name, team, position and salary. Rows without a projection value and
// captain/MVP rows (the rules apply the multiplier) are skipped. A player
// matched by two rows keeps the first; the second is reported as a
// duplicate. Players no row projects get 0 (see MergeOptions).
func MergeProjections(players []slate.Player, proj *Projections, opts MergeOptions) ([]slate.Player, *MergeReport) {
	m := newMerge(players, proj.Rows, opts.Sport)
	m.rep.Columns = proj.Columns
	m.screen()
	m.passID()
	m.passCaptainID()
	m.passDefense()
	m.passNameTeam()
	m.passAlias()
	m.passName()
	m.passInitial()
	m.passLastName()
	m.apply(opts.KeepSiteProjection)
	m.reportUnmatched()
	return m.drop(opts), m.rep
}

// merge is the state of one MergeProjections call.
type merge struct {
	sport   slate.Sport
	players []slate.Player // the copy being filled
	rows    []ProjectionRow
	rep     *MergeReport

	byID, byCaptainID, dstByTeam                                   map[string]int
	byNameTeam, byName, byAliasTeam, byInitialTeam, byLastNameTeam map[string][]int
	slateTeams                                                     map[string]bool

	takenBy []int    // per player: index+1 of the row that projected him
	done    []bool   // per row: matched or given up
	reason  []string // per row: why it was given up
}

func newMerge(players []slate.Player, rows []ProjectionRow, sport slate.Sport) *merge {
	m := &merge{
		sport: sport, players: append([]slate.Player(nil), players...), rows: rows,
		rep:  &MergeReport{Rows: len(rows), MatchedBy: map[string]int{}},
		byID: map[string]int{}, byCaptainID: map[string]int{}, dstByTeam: map[string]int{},
		byNameTeam: map[string][]int{}, byName: map[string][]int{}, byAliasTeam: map[string][]int{},
		byInitialTeam: map[string][]int{}, byLastNameTeam: map[string][]int{}, slateTeams: map[string]bool{},
		takenBy: make([]int, len(players)), done: make([]bool, len(rows)), reason: make([]string, len(rows)),
	}
	for i := range m.players {
		p := &m.players[i]
		m.byID[p.ID] = i
		if p.CaptainID != "" {
			m.byCaptainID[p.CaptainID] = i
		}
		team := NormalizeTeam(sport, p.Team)
		m.slateTeams[team] = true
		if isNFLDefense(sport, p.Positions) {
			m.dstByTeam[team] = i
		}
		n := NormalizeName(p.Name)
		add := func(idx map[string][]int, key string) { idx[key] = append(idx[key], i) }
		add(m.byNameTeam, n+"|"+team)
		add(m.byName, n)
		add(m.byAliasTeam, aliasName(n)+"|"+team)
		if f := initialKey(n); f != "" {
			add(m.byInitialTeam, f+"|"+team)
			add(m.byLastNameTeam, lastName(n)+"|"+team)
		}
	}
	return m
}

// pending calls fn for each row not matched or given up yet.
func (m *merge) pending(fn func(ri int, row *ProjectionRow)) {
	for ri := range m.rows {
		if !m.done[ri] {
			fn(ri, &m.rows[ri])
		}
	}
}

// giveUp marks a row unmatched for a reason.
func (m *merge) giveUp(ri int, format string, args ...any) {
	m.done[ri] = true
	m.reason[ri] = fmt.Sprintf(format, args...)
}

// assign gives row ri to player pi, unless another row has him already.
func (m *merge) assign(ri, pi int, how string) {
	if prev := m.takenBy[pi]; prev != 0 {
		p := &m.players[pi]
		m.giveUp(ri, "duplicate: player %s (%s %s) already projected by line %d", p.ID, p.Name, p.Team, m.rows[prev-1].Line)
		return
	}
	m.takenBy[pi] = ri + 1
	m.done[ri] = true
	m.rep.Matched++
	m.rep.MatchedBy[how]++
}

// filterPos narrows candidates to those sharing a position with the row
// (all of them when none does or the row gives no position).
func (m *merge) filterPos(c []int, pos string) []int {
	if len(c) < 2 || pos == "" {
		return c
	}
	var keep []int
	for _, i := range c {
		if m.sharesPosition(&m.players[i], pos) {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return c
	}
	return keep
}

func (m *merge) sharesPosition(p *slate.Player, pos string) bool {
	for _, w := range splitPositions(pos) {
		if p.HasPosition(w) || (isNFLDefense(m.sport, p.Positions) && isDefensePosition(w)) {
			return true
		}
	}
	return false
}

func (m *merge) team(code string) string { return NormalizeTeam(m.sport, code) }

// screen gives up rows without a value and captain rows.
func (m *merge) screen() {
	m.pending(func(ri int, row *ProjectionRow) {
		switch {
		case !row.HasProjection:
			m.giveUp(ri, "no projection value")
		case isCaptainPosition(row.Position):
			// Showdown sources often add a 1.5x captain row per player.
			m.giveUp(ri, "captain/MVP row skipped: the rules apply the multiplier to the base projection")
		}
	})
}

func (m *merge) passID() {
	m.pending(func(ri int, row *ProjectionRow) {
		if pi, ok := m.byID[row.ID]; ok && row.ID != "" {
			m.assign(ri, pi, MatchByID)
		}
	})
}

func (m *merge) passCaptainID() {
	m.pending(func(ri int, row *ProjectionRow) {
		if pi, ok := m.byCaptainID[row.ID]; ok && row.ID != "" {
			m.assign(ri, pi, MatchByCaptainID)
		}
	})
}

func (m *merge) passDefense() {
	if m.sport != slate.NFL {
		return
	}
	m.pending(func(ri int, row *ProjectionRow) {
		team := ""
		switch {
		case isDefensePosition(row.Position):
			if team = NFLDefenseTeam(row.Name); team == "" {
				team = m.team(row.Team)
			}
		case row.Position == "":
			team = NFLDefenseTeam(row.Name)
		}
		if team == "" {
			return
		}
		if pi, ok := m.dstByTeam[team]; ok {
			m.assign(ri, pi, MatchByDefense)
		} else if isDefensePosition(row.Position) {
			m.giveUp(ri, "no %s defense on the slate", team)
		}
	})
}

func (m *merge) passNameTeam() {
	m.pending(func(ri int, row *ProjectionRow) {
		if row.Team == "" || row.Name == "" {
			return
		}
		c := m.filterPos(m.byNameTeam[NormalizeName(row.Name)+"|"+m.team(row.Team)], row.Position)
		switch len(c) {
		case 0:
		case 1:
			m.assign(ri, c[0], MatchByNameTeam)
		default:
			m.giveUp(ri, "ambiguous: %d players named %q on %s", len(c), row.Name, row.Team)
		}
	})
}

func (m *merge) passAlias() {
	m.pending(func(ri int, row *ProjectionRow) {
		if row.Team == "" || row.Name == "" {
			return
		}
		c := m.filterPos(m.byAliasTeam[aliasName(NormalizeName(row.Name))+"|"+m.team(row.Team)], row.Position)
		if len(c) == 1 {
			m.assign(ri, c[0], MatchByAlias)
		}
	})
}

func (m *merge) passName() {
	m.pending(func(ri int, row *ProjectionRow) {
		if row.Name == "" {
			return
		}
		c := m.filterPos(m.byName[NormalizeName(row.Name)], row.Position)
		switch {
		case len(c) == 0:
		case len(c) > 1:
			m.giveUp(ri, "ambiguous: %d players named %q and the team does not tell them apart", len(c), row.Name)
		case row.Team == "" || !m.slateTeams[m.team(row.Team)]:
			m.assign(ri, c[0], MatchByName)
		case row.Salary > 0 && row.Salary == m.players[c[0]].Salary:
			m.assign(ri, c[0], MatchByNameSalary)
		default:
			p := &m.players[c[0]]
			m.giveUp(ri, "name matches %s (%s, $%d) but the row's team is %s", p.Name, p.Team, p.Salary, row.Team)
		}
	})
}

func (m *merge) passInitial() {
	m.pending(func(ri int, row *ProjectionRow) {
		if row.Team == "" || row.Name == "" {
			return
		}
		n := NormalizeName(row.Name)
		if first, _, _ := strings.Cut(n, " "); len(first) != 1 {
			return // only abbreviated first names
		}
		c := m.filterPos(m.byInitialTeam[initialKey(n)+"|"+m.team(row.Team)], row.Position)
		if len(c) == 1 {
			m.assign(ri, c[0], MatchByInitial)
		}
	})
}

func (m *merge) passLastName() {
	m.pending(func(ri int, row *ProjectionRow) {
		if row.Team == "" || row.Name == "" || row.Salary <= 0 {
			return
		}
		var c []int
		for _, i := range m.byLastNameTeam[lastName(NormalizeName(row.Name))+"|"+m.team(row.Team)] {
			p := &m.players[i]
			if p.Salary == row.Salary && (row.Position == "" || m.sharesPosition(p, row.Position)) {
				c = append(c, i)
			}
		}
		if len(c) == 1 {
			m.assign(ri, c[0], MatchByLastName)
		}
	})
}

// apply copies the matched rows' values into the players.
func (m *merge) apply(keepSite bool) {
	for pi := range m.players {
		p := &m.players[pi]
		if m.takenBy[pi] == 0 {
			if !keepSite {
				p.Projection = 0
			}
			continue
		}
		row := &m.rows[m.takenBy[pi]-1]
		p.Projection = row.Projection
		if row.StdDev != nil {
			p.StdDev = *row.StdDev
		}
		if row.Ownership != nil {
			p.Ownership = *row.Ownership
		}
		if row.Floor != nil {
			v := *row.Floor
			p.Floor = &v
		}
		if row.Ceiling != nil {
			v := *row.Ceiling
			p.Ceiling = &v
		}
	}
}

func (m *merge) reportUnmatched() {
	for ri := range m.rows {
		row := &m.rows[ri]
		why := m.reason[ri]
		if m.done[ri] && why == "" {
			continue // matched
		}
		if why == "" {
			var parts []string
			if row.ID != "" {
				parts = append(parts, fmt.Sprintf("no player with id %s", row.ID))
			}
			switch {
			case row.Name == "":
			case row.Team != "" && !m.slateTeams[m.team(row.Team)]:
				parts = append(parts, fmt.Sprintf("team %s is not on the slate", row.Team))
			default:
				parts = append(parts, fmt.Sprintf("no player named %q", row.Name))
			}
			why = strings.Join(parts, "; ")
		}
		m.rep.Unmatched = append(m.rep.Unmatched, UnmatchedRow{Line: row.Line, ID: row.ID, Name: row.Name, Team: row.Team, Position: row.Position, Reason: why})
	}
}

// drop lists the unprojected players and removes those opts ask to drop.
func (m *merge) drop(opts MergeOptions) []slate.Player {
	drop := statusSet(opts.DropStatuses)
	kept := make([]slate.Player, 0, len(m.players))
	for pi := range m.players {
		p := &m.players[pi]
		projected := m.takenBy[pi] != 0
		if !projected {
			m.rep.NoProjection = append(m.rep.NoProjection, refOf(p))
		}
		switch {
		case p.Status != "" && drop[canonStatus(p.Status)]:
			m.rep.Dropped = append(m.rep.Dropped, DroppedPlayer{PlayerRef: refOf(p), Reason: "status " + p.Status})
		case opts.DropUnprojected && !projected:
			m.rep.Dropped = append(m.rep.Dropped, DroppedPlayer{PlayerRef: refOf(p), Reason: "no projection"})
		default:
			kept = append(kept, *p)
		}
	}
	return kept
}

// DropPlayers returns the players whose status is not in statuses (see
// MergeOptions.DropStatuses), and those it removed.
func DropPlayers(players []slate.Player, statuses []string) ([]slate.Player, []DroppedPlayer) {
	drop := statusSet(statuses)
	var kept []slate.Player
	var dropped []DroppedPlayer
	for i := range players {
		p := &players[i]
		if p.Status != "" && drop[canonStatus(p.Status)] {
			dropped = append(dropped, DroppedPlayer{PlayerRef: refOf(p), Reason: "status " + p.Status})
			continue
		}
		kept = append(kept, *p)
	}
	return kept, dropped
}

func statusSet(statuses []string) map[string]bool {
	set := make(map[string]bool, len(statuses))
	for _, s := range statuses {
		set[canonStatus(s)] = true
	}
	return set
}

// canonStatus folds status spellings: "O" is "OUT".
func canonStatus(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "O" {
		return "OUT"
	}
	return u
}

func refOf(p *slate.Player) PlayerRef {
	return PlayerRef{ID: p.ID, Name: p.Name, Team: p.Team, Positions: p.Positions, Salary: p.Salary, Status: p.Status}
}

func isNFLDefense(sport slate.Sport, positions []string) bool {
	if sport != slate.NFL {
		return false
	}
	for _, p := range positions {
		if isDefensePosition(p) {
			return true
		}
	}
	return false
}

// isCaptainPosition reports the roster positions of single-game multiplier
// slots.
func isCaptainPosition(p string) bool {
	switch strings.ToUpper(strings.TrimSpace(p)) {
	case "CPT", "CAPTAIN", "MVP", "STAR", "PRO":
		return true
	}
	return false
}

// initialKey is a normalised name with the first name cut to its initial
// ("christian mccaffrey" → "c mccaffrey"); "" for one-word names.
func initialKey(norm string) string {
	first, rest, ok := strings.Cut(norm, " ")
	if !ok || first == "" {
		return ""
	}
	_, size := utf8.DecodeRuneInString(first)
	return first[:size] + " " + rest
}

// lastName is the last word of a normalised name.
func lastName(norm string) string {
	if i := strings.LastIndexByte(norm, ' '); i >= 0 {
		return norm[i+1:]
	}
	return norm
}
