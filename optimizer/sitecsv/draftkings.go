package sitecsv

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Slate is an imported site player list.
type Slate struct {
	Site  slate.Site
	Sport slate.Sport // as passed by the caller, else inferred; "" when unknown
	Mode  slate.Mode
	// Players in file order (DraftKings showdown: one per player, the captain
	// row merged in as CaptainID/CaptainSalary). Projection is the site's
	// average (AvgPointsPerGame / FPPG) until projections are merged.
	Players []slate.Player
	// GameStarts holds the scheduled start of each game (key: Player.Game)
	// when the file gives it.
	GameStarts map[string]time.Time
	// Warnings lists rows kept with a problem, or skipped, in plain words.
	Warnings []string
}

// ImportOptions tell an importer what the caller knows about the file.
type ImportOptions struct {
	// Sport of the slate; empty: inferred from the positions.
	Sport slate.Sport
	// Mode of the slate; empty: detected (DraftKings CPT rows, FanDuel MVP
	// roster positions mean showdown).
	Mode slate.Mode
}

// dkColumns are the DraftKings salary file columns the importer needs.
var dkRequired = []string{"Name", "ID", "Salary", "TeamAbbrev"}

// ReadDraftKings reads a DraftKings salary CSV (DKSalaries.csv), including
// the copies embedded to the right of DKEntries.csv and upload templates.
// Columns: Position, Name + ID, Name, ID, Roster Position, Salary, Game Info,
// TeamAbbrev, AvgPointsPerGame and the optional trailing Status.
//
// Showdown files list each player twice (CPT at 1.5x salary and FLEX/UTIL);
// they are merged into one Player whose CaptainID and CaptainSalary come from
// the CPT row. Game Info "AWAY@HOME MM/DD/YYYY HH:MMPM ET" gives Game,
// Opponent and the start time (US Eastern); "In Progress" or "Final", and a
// "(LOCKED)" mark in Name + ID, set GameStarted.
func ReadDraftKings(r io.Reader, opts ImportOptions) (*Slate, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read DraftKings salaries: %w", err)
	}
	s, err := parseDraftKings(recs, opts, 64)
	if err != nil {
		return nil, fmt.Errorf("read DraftKings salaries: %w", err)
	}
	return s, nil
}

var trailingID = regexp.MustCompile(`\((\d+)\)\s*(\(LOCKED\))?\s*$`)

type dkRow struct {
	line   int
	player slate.Player
	roster string // Roster Position
	start  time.Time
}

func parseDraftKings(recs []record, opts ImportOptions, maxScan int) (*Slate, error) {
	h, ok := findHeader(recs, "Position", dkRequired, maxScan)
	if !ok {
		// Files without a Position column still need the others.
		h, ok = findHeader(recs, "Name", dkRequired, maxScan)
	}
	if !ok {
		return nil, &ParseError{Err: fmt.Errorf("no DraftKings header row (need columns %s)", strings.Join(dkRequired, ", "))}
	}
	cPos, cNameID, cName, cID := h.col("Position"), h.col("Name + ID"), h.col("Name"), h.col("ID")
	cRoster, cSalary, cGame, cTeam := h.col("Roster Position"), h.col("Salary"), h.col("Game Info"), h.col("TeamAbbrev")
	cAvg, cStatus := h.col("AvgPointsPerGame"), h.col("Status")

	s := &Slate{Site: slate.DraftKings, Sport: opts.Sport, GameStarts: map[string]time.Time{}}
	var rows []dkRow
	for i := h.row + 1; i < len(recs); i++ {
		rec := recs[i]
		// Only the cells of the embedded table count.
		if rec.empty() || allBlankFrom(rec, h.offset) {
			continue
		}
		line := rec.line
		var p slate.Player
		p.Name = rec.cell(cName)
		nameID := rec.cell(cNameID)
		p.ID = rec.cell(cID)
		if m := trailingID.FindStringSubmatch(nameID); m != nil {
			if p.ID == "" {
				p.ID = m[1]
			}
			if m[2] != "" {
				p.GameStarted = true
			}
			if p.Name == "" {
				p.Name = strings.TrimSpace(nameID[:len(nameID)-len(m[0])])
			}
		}
		if p.ID == "" {
			return nil, errAt(line, "ID", "missing player id")
		}
		if !isDigits(p.ID) {
			return nil, errAt(line, "ID", "player id %q is not a number", p.ID)
		}
		if p.Name == "" {
			return nil, errAt(line, "Name", "missing player name")
		}
		pos := rec.cell(cPos)
		roster := strings.ToUpper(rec.cell(cRoster))
		if pos == "" {
			pos = positionsFromRoster(roster)
		}
		p.Positions = splitPositions(pos)
		if len(p.Positions) == 0 {
			return nil, errAt(line, "Position", "missing position")
		}
		sal, err := parseInt(rec.cell(cSalary))
		if err != nil {
			return nil, errAt(line, "Salary", "%v", err)
		}
		if sal < 0 || sal > 1_000_000 {
			return nil, errAt(line, "Salary", "salary %d out of range", sal)
		}
		p.Salary = sal
		if sal == 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("line %d: %s (%s) has salary 0", line, p.Name, p.ID))
		}
		p.Team = NormalizeTeam("", rec.cell(cTeam))
		if p.Team == "" {
			return nil, errAt(line, "TeamAbbrev", "missing team")
		}
		if v := rec.cell(cAvg); !isNullCell(v) {
			f, err := parseFloat(v)
			if err != nil {
				return nil, errAt(line, "AvgPointsPerGame", "%v", err)
			}
			p.Projection = f
		}
		if cStatus >= 0 {
			p.Status = normalizeStatus(rec.cell(cStatus))
		}
		var start time.Time
		if cGame >= 0 {
			g, err := parseGameInfo(rec.cell(cGame))
			if err != nil {
				return nil, errAt(line, "Game Info", "%v", err)
			}
			if g.started {
				p.GameStarted = true
			}
			if g.game != "" {
				p.Game = g.game
				switch p.Team {
				case g.away:
					p.Opponent = g.home
				case g.home:
					p.Opponent = g.away
				default:
					s.Warnings = append(s.Warnings, fmt.Sprintf("line %d: team %s is not in game %s", line, p.Team, g.game))
				}
			}
			start = g.start
		}
		rows = append(rows, dkRow{line: line, player: p, roster: roster, start: start})
	}
	if len(rows) == 0 {
		return nil, &ParseError{Line: h.line, Err: fmt.Errorf("no players after the header")}
	}

	showdown := false
	for _, r := range rows {
		if r.roster == "CPT" {
			showdown = true
			break
		}
	}
	switch {
	case opts.Mode == "" && showdown:
		s.Mode = slate.Showdown
	case opts.Mode == "":
		s.Mode = slate.Classic
	case opts.Mode == slate.Classic && showdown:
		return nil, &ParseError{Column: "Roster Position", Err: fmt.Errorf("file has CPT rows (showdown) but classic mode was asked for")}
	default:
		s.Mode = opts.Mode
	}

	for _, r := range rows {
		if !r.start.IsZero() && r.player.Game != "" {
			s.GameStarts[r.player.Game] = r.start
		}
	}
	if s.Mode == slate.Showdown && showdown {
		players, warns, err := mergeCaptains(rows)
		if err != nil {
			return nil, err
		}
		s.Players = players
		s.Warnings = append(s.Warnings, warns...)
	} else {
		s.Players = make([]slate.Player, len(rows))
		for i := range rows {
			s.Players[i] = rows[i].player
		}
	}
	if err := checkUniqueIDs(s.Players, rows); err != nil {
		return nil, err
	}
	if s.Sport == "" {
		s.Sport = inferSport(s.Players, s.Site)
	}
	return s, nil
}

func allBlankFrom(rec record, offset int) bool {
	for j := offset; j < len(rec.cells); j++ {
		if strings.TrimSpace(rec.cells[j]) != "" {
			return false
		}
	}
	return true
}

// mergeCaptains folds each CPT row into the FLEX/UTIL row of the same
// player (same name, team and positions).
func mergeCaptains(rows []dkRow) ([]slate.Player, []string, error) {
	key := func(p *slate.Player) string {
		return p.Name + "\x00" + p.Team + "\x00" + strings.Join(p.Positions, "/")
	}
	flexIdx := map[string]int{}
	var players []slate.Player
	var captains []dkRow
	for _, r := range rows {
		if r.roster == "CPT" {
			captains = append(captains, r)
			continue
		}
		k := key(&r.player)
		if j, dup := flexIdx[k]; dup {
			return nil, nil, errAt(r.line, "Name", "player %q (%s) listed twice as %s (ids %s and %s)",
				r.player.Name, r.player.Team, r.roster, players[j].ID, r.player.ID)
		}
		flexIdx[k] = len(players)
		players = append(players, r.player)
	}
	var warns []string
	for _, c := range captains {
		j, ok := flexIdx[key(&c.player)]
		if !ok {
			warns = append(warns, fmt.Sprintf("line %d: captain row %s (%s) has no FLEX/UTIL row; skipped", c.line, c.player.Name, c.player.ID))
			continue
		}
		if players[j].CaptainID != "" {
			return nil, nil, errAt(c.line, "Roster Position", "player %q (%s) has two CPT rows", c.player.Name, c.player.Team)
		}
		players[j].CaptainID = c.player.ID
		players[j].CaptainSalary = c.player.Salary
		if c.player.GameStarted {
			players[j].GameStarted = true
		}
	}
	for i := range players {
		if players[i].CaptainID == "" {
			warns = append(warns, fmt.Sprintf("player %s (%s) has no CPT row: he cannot be captain", players[i].Name, players[i].ID))
		}
	}
	return players, warns, nil
}

func checkUniqueIDs(players []slate.Player, rows []dkRow) error {
	seen := make(map[string]bool, 2*len(players))
	for i := range players {
		for _, id := range []string{players[i].ID, players[i].CaptainID} {
			if id == "" {
				continue
			}
			if seen[id] {
				line := 0
				for _, r := range rows {
					if r.player.ID == id {
						line = r.line
					}
				}
				return errAt(line, "ID", "player id %s appears twice", id)
			}
			seen[id] = true
		}
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// flexRosterNames are roster positions that are not real positions.
var flexRosterNames = map[string]bool{"FLEX": true, "UTIL": true, "CPT": true}

// positionsFromRoster derives positions from "Roster Position" when the
// Position column is missing ("RB/FLEX" → "RB").
func positionsFromRoster(roster string) string {
	var keep []string
	for _, p := range strings.Split(roster, "/") {
		if p = strings.TrimSpace(p); p != "" && !flexRosterNames[p] {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "/")
}

// splitPositions splits "PG/SG" into ["PG","SG"] (upper case, deduplicated).
func splitPositions(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "/") {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		dup := false
		for _, q := range out {
			if q == p {
				dup = true
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// normalizeStatus upper-cases a status and maps "None"/"Active"/"-" to "".
func normalizeStatus(s string) string {
	u := strings.ToUpper(strings.TrimSpace(s))
	switch u {
	case "NONE", "ACTIVE", "-", "HEALTHY":
		return ""
	}
	return u
}

type gameInfo struct {
	game, away, home string
	start            time.Time
	started          bool
}

var gameInfoRe = regexp.MustCompile(`^([A-Za-z0-9]{1,5})@([A-Za-z0-9]{1,5})(?:\s+(\d{1,2}/\d{1,2}/\d{4})\s+(\d{1,2}:\d{2}\s*[AaPp][Mm])(?:\s+([A-Za-z]{1,4}))?)?\s*$`)

// parseGameInfo parses DraftKings "NYG@DAL 09/08/2019 04:25PM ET". An
// unparseable time is not an error (the game is kept, the start dropped);
// an unknown shape is, except the live states DraftKings writes instead.
func parseGameInfo(s string) (gameInfo, error) {
	var g gameInfo
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "":
		return g, nil
	case "in progress", "final", "live", "completed", "locked":
		g.started = true
		return g, nil
	case "postponed", "cancelled", "canceled", "suspended", "delayed":
		return g, nil
	}
	m := gameInfoRe.FindStringSubmatch(t)
	if m == nil {
		return g, fmt.Errorf("game info %q is not AWAY@HOME [MM/DD/YYYY HH:MMPM ET]", s)
	}
	g.away, g.home = strings.ToUpper(m[1]), strings.ToUpper(m[2])
	g.game = g.away + "@" + g.home
	if m[3] != "" {
		if ts, err := time.Parse("01/02/2006 03:04PM", m[3]+" "+strings.ToUpper(strings.ReplaceAll(m[4], " ", ""))); err == nil {
			g.start = easternToUTC(ts, strings.ToUpper(m[5]))
		}
	}
	return g, nil
}

// easternToUTC interprets a wall-clock time (parsed as UTC) in the zone DK
// names ("ET" is US Eastern with daylight saving; "EST"/"EDT" fixed), and
// returns it in UTC. US rules since 2007: DST from the second Sunday of March
// 02:00 to the first Sunday of November 02:00.
func easternToUTC(wall time.Time, zone string) time.Time {
	offset := 5 * time.Hour
	switch zone {
	case "EDT":
		offset = 4 * time.Hour
	case "EST":
	case "CT", "CST", "CDT", "MT", "MST", "MDT", "PT", "PST", "PDT":
		base := map[byte]time.Duration{'C': 6, 'M': 7, 'P': 8}[zone[0]] * time.Hour
		if zone[1:] == "DT" || (zone[1:] == "T" && usDST(wall)) {
			base -= time.Hour
		}
		return wall.Add(base)
	default: // "ET" or unspecified
		if usDST(wall) {
			offset = 4 * time.Hour
		}
	}
	return wall.Add(offset)
}

// usDST reports whether a US local wall-clock time falls in daylight time.
func usDST(wall time.Time) bool {
	y := wall.Year()
	start := nthSunday(y, time.March, 2).Add(2 * time.Hour)
	end := nthSunday(y, time.November, 1).Add(2 * time.Hour)
	return !wall.Before(start) && wall.Before(end)
}

func nthSunday(year int, month time.Month, n int) time.Time {
	d := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return d.AddDate(0, 0, 7*(n-1))
}

// inferSport guesses the sport from the positions in a player list, or
// returns "" when they do not decide it.
func inferSport(players []slate.Player, site slate.Site) slate.Sport {
	votes := map[slate.Sport]int{}
	for i := range players {
		for _, p := range players[i].Positions {
			switch p {
			case "QB", "RB", "WR", "TE", "DST", "DEF", "K":
				votes[slate.NFL]++
			case "PG", "SG", "SF", "PF":
				votes[slate.NBA]++
			case "SP", "RP", "1B", "2B", "3B", "SS", "OF", "P":
				votes[slate.MLB]++
			case "LW", "RW", "W", "G":
				votes[slate.NHL]++
			}
		}
	}
	best, n := slate.Sport(""), 0
	for _, sp := range []slate.Sport{slate.NFL, slate.NBA, slate.MLB, slate.NHL} {
		if votes[sp] > n {
			best, n = sp, votes[sp]
		}
	}
	return best
}
