package sitecsv

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// ProjectionRow is one row of a projections file.
type ProjectionRow struct {
	Line     int
	ID       string
	Name     string
	Team     string
	Position string
	// Salary is the salary the file lists (0: none); it confirms loose matches.
	Salary int
	// HasProjection is false when the projection cell is empty or NULL.
	HasProjection bool
	Projection    float64
	StdDev        *float64
	// Ownership is a fraction (0.12 for 12 %).
	Ownership *float64
	Floor     *float64
	Ceiling   *float64
}

// Projections is a parsed projections file.
type Projections struct {
	Rows []ProjectionRow
	// Columns maps each field read (id, name, team, position, projection,
	// stddev, ownership, floor, ceiling) to the header it was read from.
	Columns map[string]string
	// OwnershipPercent reports that the ownership column was read as
	// percentages and divided by 100.
	OwnershipPercent bool
}

// projectionColumns lists, per field, the accepted header names in order of
// preference, compared after lower-casing and removing spaces, "_", "-"
// and ".".
var projectionColumns = []struct {
	field   string
	headers []string
}{
	{"id", []string{"id", "playerid", "dkid", "draftableid", "fdid", "siteid", "dfsid"}},
	{"name", []string{"name", "player", "playername", "nickname", "fullname", "displayname", "dkname", "name+id"}},
	{"team", []string{"team", "teamabbrev", "tm", "teamabbr", "teamcode"}},
	{"position", []string{"position", "pos", "dkposition", "rosterposition"}},
	{"projection", []string{"projection", "proj", "fpts", "projectionsproj", "points", "projectedpoints",
		"projpts", "dkproj", "dkpoints", "fantasypoints", "projfpts", "fptsproj", "projected", "median"}},
	{"stddev", []string{"stddev", "std", "sd", "stdev", "standarddeviation", "projectionsstddev"}},
	{"ownership", []string{"ownership", "own%", "own", "projown", "projectionsprojown", "projectedownership",
		"pown%", "pown", "ownpct", "projown%", "ownership%"}},
	{"floor", []string{"floor", "projectionsfloor", "projfloor"}},
	{"salary", []string{"salary", "sal", "dksalary", "fdsalary", "dksal", "fdsal"}},
	{"ceiling", []string{"ceiling", "ceil", "projectionsceiling", "projceiling"}},
}

func headerKey(s string) string {
	r := strings.NewReplacer(" ", "", "_", "", "-", "", ".", "")
	return r.Replace(strings.ToLower(strings.TrimSpace(s)))
}

// ReadProjections reads a projections CSV whose columns are recognised by
// name, case-insensitively (see the package's projectionColumns): an id
// and/or a name (plus optional team and position) to find the player, and
// the projection, with optional stddev, ownership (percent columns, or any
// value above 1, are divided by 100), floor and ceiling.
func ReadProjections(r io.Reader) (*Projections, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read projections: %w", err)
	}
	p, err := parseProjections(recs)
	if err != nil {
		return nil, fmt.Errorf("read projections: %w", err)
	}
	return p, nil
}

func parseProjections(recs []record) (*Projections, error) {
	hi := -1
	for i := range recs {
		if !recs[i].empty() {
			hi = i
			break
		}
	}
	if hi < 0 {
		return nil, &ParseError{Err: fmt.Errorf("empty file")}
	}
	hrec := recs[hi]
	byKey := map[string]int{}
	for j, c := range hrec.cells {
		k := headerKey(c)
		if _, dup := byKey[k]; !dup && k != "" {
			byKey[k] = j
		}
	}
	cols := map[string]int{}
	out := &Projections{Columns: map[string]string{}}
	for _, pc := range projectionColumns {
		for _, h := range pc.headers {
			if j, ok := byKey[h]; ok {
				cols[pc.field] = j
				out.Columns[pc.field] = strings.TrimSpace(hrec.cells[j])
				break
			}
		}
	}
	col := func(f string) int {
		if j, ok := cols[f]; ok {
			return j
		}
		return -1
	}
	if col("projection") < 0 {
		return nil, &ParseError{Line: hrec.line, Err: fmt.Errorf("no projection column (looked for %s)", strings.Join(projectionColumns[4].headers, ", "))}
	}
	if col("id") < 0 && col("name") < 0 {
		return nil, &ParseError{Line: hrec.line, Err: fmt.Errorf("no id or name column to find players by")}
	}
	ownHeader := out.Columns["ownership"]
	pctHeader := strings.Contains(ownHeader, "%") || strings.Contains(strings.ToLower(ownHeader), "pct")
	anyAbove1 := false
	optional := func(rec record, field string) (*float64, error) {
		j := col(field)
		if j < 0 {
			return nil, nil
		}
		v := rec.cell(j)
		if isNullCell(v) {
			return nil, nil
		}
		f, err := parseFloat(v)
		if err != nil {
			return nil, errAt(rec.line, out.Columns[field], "%v", err)
		}
		return &f, nil
	}
	for i := hi + 1; i < len(recs); i++ {
		rec := recs[i]
		if rec.empty() {
			continue
		}
		row := ProjectionRow{Line: rec.line, ID: rec.cell(col("id")), Name: rec.cell(col("name")),
			Team: rec.cell(col("team")), Position: rec.cell(col("position"))}
		if m := trailingID.FindStringSubmatch(row.Name); m != nil {
			// DraftKings "Name + ID" cells: "Lamar Jackson (100001)".
			if row.ID == "" {
				row.ID = m[1]
			}
			row.Name = strings.TrimSpace(row.Name[:len(row.Name)-len(m[0])])
		}
		if row.ID == "" && row.Name == "" {
			return nil, errAt(rec.line, "", "row has neither an id nor a name")
		}
		if v := rec.cell(col("projection")); !isNullCell(v) {
			f, err := parseFloat(v)
			if err != nil {
				return nil, errAt(rec.line, out.Columns["projection"], "%v", err)
			}
			row.Projection, row.HasProjection = f, true
		}
		var err error
		if row.StdDev, err = optional(rec, "stddev"); err != nil {
			return nil, err
		}
		if row.StdDev != nil && *row.StdDev < 0 {
			return nil, errAt(rec.line, out.Columns["stddev"], "negative standard deviation %g", *row.StdDev)
		}
		if row.Ownership, err = optional(rec, "ownership"); err != nil {
			return nil, err
		}
		if row.Ownership != nil {
			if *row.Ownership < 0 {
				return nil, errAt(rec.line, ownHeader, "negative ownership %g", *row.Ownership)
			}
			if strings.HasSuffix(rec.cell(col("ownership")), "%") {
				pctHeader = true
			}
			if *row.Ownership > 1 {
				anyAbove1 = true
			}
		}
		if sal, err := optional(rec, "salary"); err != nil {
			return nil, err
		} else if sal != nil && *sal >= 0 && *sal <= 1e7 {
			row.Salary = int(*sal)
		}
		if row.Floor, err = optional(rec, "floor"); err != nil {
			return nil, err
		}
		if row.Ceiling, err = optional(rec, "ceiling"); err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, row)
	}
	if pctHeader || anyAbove1 {
		out.OwnershipPercent = true
		for i := range out.Rows {
			if o := out.Rows[i].Ownership; o != nil {
				v := *o / 100
				out.Rows[i].Ownership = &v
			}
		}
	}
	for i := range out.Rows {
		if o := out.Rows[i].Ownership; o != nil && *o > 1 {
			return nil, errAt(out.Rows[i].Line, ownHeader, "ownership %g%% is above 100%%", *o*100)
		}
	}
	return out, nil
}

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

// Match reasons reported in MergeReport.MatchedBy.
const (
	MatchByID = "id"
	// MatchByCaptainID: the row carries the DraftKings captain (CPT) id and
	// no row carries the player's base id; its value is taken as the base
	// projection.
	MatchByCaptainID = "captain id"
	MatchByNameTeam  = "name+team"
	MatchByName      = "name"
	MatchByAlias     = "alias+team"
	MatchByInitial   = "initial+team"
	MatchByDefense   = "defense"
	// MatchByNameSalary: the only player of that name, listed on another
	// team (a trade the site or the source has not caught up with) at the
	// same salary.
	MatchByNameSalary = "name+salary"
	// MatchByLastName: the only player of the team with that last name,
	// position and salary (nicknames: "Bisi" for "Olabisi").
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

// MergeProjections returns a copy of players with the projections of proj
// applied, and a report. Rows find their player, in passes so that a loose
// match never takes a player a stricter one claims: by site id, then by
// captain id; rows whose position is CPT/MVP are skipped (the rules apply the
// multiplier); NFL defenses by team ("Ravens", "Baltimore Ravens", "BAL DST");
// by NormalizeName name and NormalizeTeam team; by name alone when exactly
// // name with common first-name aliases (Mitch/Mitchell) and team; and by
// name alone when exactly one player has it and the row's team is not
// another slate team. A player
// matched twice keeps the first row; the second is reported as a duplicate.
func MergeProjections(players []slate.Player, proj *Projections, opts MergeOptions) ([]slate.Player, *MergeReport) {
	out := make([]slate.Player, len(players))
	copy(out, players)
	rep := &MergeReport{Rows: len(proj.Rows), MatchedBy: map[string]int{}, Columns: proj.Columns}
	sport := opts.Sport

	byID := map[string]int{}
	byCaptainID := map[string]int{}
	byNameTeam := map[string][]int{}
	byName := map[string][]int{}
	byAliasTeam := map[string][]int{}
	byInitialTeam := map[string][]int{}
	byLastTeam := map[string][]int{}
	dstByTeam := map[string]int{}
	slateTeams := map[string]bool{}
	for i := range out {
		p := &out[i]
		byID[p.ID] = i
		if p.CaptainID != "" {
			byCaptainID[p.CaptainID] = i
		}
		team := NormalizeTeam(sport, p.Team)
		slateTeams[team] = true
		if isNFLDefense(sport, p.Positions) {
			dstByTeam[team] = i
		}
		n := NormalizeName(p.Name)
		byNameTeam[n+"|"+team] = append(byNameTeam[n+"|"+team], i)
		byName[n] = append(byName[n], i)
		a := aliasName(n) + "|" + team
		byAliasTeam[a] = append(byAliasTeam[a], i)
		if f, l := initialKey(n), lastName(n); f != "" {
			byInitialTeam[f+"|"+team] = append(byInitialTeam[f+"|"+team], i)
			byLastTeam[l+"|"+team] = append(byLastTeam[l+"|"+team], i)
		}
	}

	takenBy := make([]int, len(out)) // row index + 1 that projected player i
	rowDone := make([]bool, len(proj.Rows))
	reason := make([]string, len(proj.Rows))
	assign := func(ri, pi int, how string) {
		if takenBy[pi] != 0 {
			prev := proj.Rows[takenBy[pi]-1]
			reason[ri] = fmt.Sprintf("duplicate: player %s (%s %s) already projected by line %d", out[pi].ID, out[pi].Name, out[pi].Team, prev.Line)
			rowDone[ri] = true
			return
		}
		takenBy[pi] = ri + 1
		rowDone[ri] = true
		rep.Matched++
		rep.MatchedBy[how]++
	}
	// filterPos narrows candidates to those sharing a position with the row.
	filterPos := func(c []int, pos string) []int {
		if len(c) < 2 || pos == "" {
			return c
		}
		want := splitPositions(pos)
		var keep []int
		for _, i := range c {
			for _, w := range want {
				if out[i].HasPosition(w) || (isNFLDefense(sport, out[i].Positions) && isDefensePosition(w)) {
					keep = append(keep, i)
					break
				}
			}
		}
		if len(keep) == 0 {
			return c
		}
		return keep
	}

	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		switch {
		case !row.HasProjection:
			rowDone[ri] = true
			reason[ri] = "no projection value"
		case isCaptainPosition(row.Position):
			// Showdown sources often add a 1.5x captain row per player; the
			// rules apply the multiplier, so only the base row counts.
			rowDone[ri] = true
			reason[ri] = "captain/MVP row skipped: the rules apply the multiplier to the base projection"
		}
	}
	// Pass 1: ids.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.ID == "" {
			continue
		}
		if pi, ok := byID[row.ID]; ok {
			assign(ri, pi, MatchByID)
		}
	}
	// Pass 1b: captain ids, for players no base-id row projected.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.ID == "" {
			continue
		}
		if pi, ok := byCaptainID[row.ID]; ok {
			assign(ri, pi, MatchByCaptainID)
		}
	}
	// Pass 2: NFL defenses.
	if sport == slate.NFL {
		for ri := range proj.Rows {
			row := &proj.Rows[ri]
			if rowDone[ri] {
				continue
			}
			team := ""
			switch {
			case isDefensePosition(row.Position):
				team = NFLDefenseTeam(row.Name)
				if team == "" {
					team = NormalizeTeam(sport, row.Team)
				}
			case row.Position == "":
				team = NFLDefenseTeam(row.Name)
			}
			if team == "" {
				continue
			}
			if pi, ok := dstByTeam[team]; ok {
				assign(ri, pi, MatchByDefense)
			} else if isDefensePosition(row.Position) {
				rowDone[ri] = true
				reason[ri] = fmt.Sprintf("no %s defense on the slate", team)
			}
		}
	}
	// Pass 3: name + team.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.Team == "" || row.Name == "" {
			continue
		}
		c := filterPos(byNameTeam[NormalizeName(row.Name)+"|"+NormalizeTeam(sport, row.Team)], row.Position)
		switch len(c) {
		case 0:
		case 1:
			assign(ri, c[0], MatchByNameTeam)
		default:
			rowDone[ri] = true
			reason[ri] = fmt.Sprintf("ambiguous: %d players named %q on %s", len(c), row.Name, row.Team)
		}
	}
	// Pass 4: first-name aliases + team.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.Name == "" || row.Team == "" {
			continue
		}
		c := filterPos(byAliasTeam[aliasName(NormalizeName(row.Name))+"|"+NormalizeTeam(sport, row.Team)], row.Position)
		if len(c) == 1 {
			assign(ri, c[0], MatchByAlias)
		}
	}

	// Pass 5: name alone, unique on the slate.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.Name == "" {
			continue
		}
		c := filterPos(byName[NormalizeName(row.Name)], row.Position)
		switch {
		case len(c) == 0:
		case len(c) > 1:
			rowDone[ri] = true
			reason[ri] = fmt.Sprintf("ambiguous: %d players named %q and the team does not tell them apart", len(c), row.Name)
		default:
			team := NormalizeTeam(sport, row.Team)
			p := &out[c[0]]
			switch {
			case row.Team == "" || !slateTeams[team]:
				assign(ri, c[0], MatchByName)
			case row.Salary > 0 && row.Salary == p.Salary:
				assign(ri, c[0], MatchByNameSalary)
			default:
				rowDone[ri] = true
				reason[ri] = fmt.Sprintf("name matches %s (%s, $%d) but the row's team is %s", p.Name, p.Team, p.Salary, row.Team)
			}
		}
	}
	// Pass 6: abbreviated first name ("C. McCaffrey") + team.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.Name == "" || row.Team == "" {
			continue
		}
		n := NormalizeName(row.Name)
		if first, _, _ := strings.Cut(n, " "); len(first) != 1 {
			continue
		}
		c := filterPos(byInitialTeam[initialKey(n)+"|"+NormalizeTeam(sport, row.Team)], row.Position)
		if len(c) == 1 {
			assign(ri, c[0], MatchByInitial)
		}
	}
	// Pass 7: last name + team + salary (+ position), unique.
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] || row.Name == "" || row.Team == "" || row.Salary <= 0 {
			continue
		}
		var c []int
		for _, i := range filterPos(byLastTeam[lastName(NormalizeName(row.Name))+"|"+NormalizeTeam(sport, row.Team)], row.Position) {
			if out[i].Salary == row.Salary && (row.Position == "" || sharesPosition(out[i].Positions, row.Position)) {
				c = append(c, i)
			}
		}
		if len(c) == 1 {
			assign(ri, c[0], MatchByLastName)
		}
	}

	// Apply, in row order.
	for pi := range out {
		ri := takenBy[pi] - 1
		p := &out[pi]
		if ri < 0 {
			if !opts.KeepSiteProjection {
				p.Projection = 0
			}
			continue
		}
		row := &proj.Rows[ri]
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
	for ri := range proj.Rows {
		row := &proj.Rows[ri]
		if rowDone[ri] && reason[ri] == "" {
			continue // matched
		}
		why := reason[ri]
		if why == "" {
			why = unmatchedReason(row, byID, byName, slateTeams, sport)
		}
		rep.Unmatched = append(rep.Unmatched, UnmatchedRow{Line: row.Line, ID: row.ID, Name: row.Name, Team: row.Team, Position: row.Position, Reason: why})
	}

	// Drops.
	drop := map[string]bool{}
	for _, s := range opts.DropStatuses {
		drop[canonStatus(s)] = true
	}
	kept := out[:0]
	for pi := range out {
		p := out[pi]
		projected := takenBy[pi] != 0
		if !projected {
			rep.NoProjection = append(rep.NoProjection, refOf(&p))
		}
		switch {
		case p.Status != "" && drop[canonStatus(p.Status)]:
			rep.Dropped = append(rep.Dropped, DroppedPlayer{PlayerRef: refOf(&p), Reason: "status " + p.Status})
		case opts.DropUnprojected && !projected:
			rep.Dropped = append(rep.Dropped, DroppedPlayer{PlayerRef: refOf(&p), Reason: "no projection"})
		default:
			kept = append(kept, p)
		}
	}
	return kept, rep
}

func unmatchedReason(row *ProjectionRow, byID map[string]int, byName map[string][]int, slateTeams map[string]bool, sport slate.Sport) string {
	var parts []string
	if row.ID != "" {
		parts = append(parts, fmt.Sprintf("no player with id %s", row.ID))
	}
	if row.Name != "" {
		if row.Team != "" && !slateTeams[NormalizeTeam(sport, row.Team)] {
			parts = append(parts, fmt.Sprintf("team %s is not on the slate", row.Team))
		} else {
			parts = append(parts, fmt.Sprintf("no player named %q", row.Name))
		}
	}
	return strings.Join(parts, "; ")
}

// canonStatus folds status spellings: "O" is "OUT".
func canonStatus(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "O" {
		return "OUT"
	}
	return u
}

// DropPlayers returns the players whose status is not in statuses (see
// MergeOptions.DropStatuses), and those it removed.
func DropPlayers(players []slate.Player, statuses []string) ([]slate.Player, []DroppedPlayer) {
	drop := map[string]bool{}
	for _, s := range statuses {
		drop[canonStatus(s)] = true
	}
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

// initialKey is a normalised name with the first name cut to its initial
// ("christian mccaffrey" → "c mccaffrey"); "" for one-word names.
func initialKey(norm string) string {
	first, rest, ok := strings.Cut(norm, " ")
	if !ok || first == "" {
		return ""
	}
	return first[:1] + " " + rest
}

// lastName is the last word of a normalised name.
func lastName(norm string) string {
	if i := strings.LastIndexByte(norm, ' '); i >= 0 {
		return norm[i+1:]
	}
	return norm
}

func sharesPosition(positions []string, pos string) bool {
	for _, w := range splitPositions(pos) {
		for _, p := range positions {
			if p == w {
				return true
			}
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
