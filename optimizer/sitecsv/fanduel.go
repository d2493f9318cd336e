package sitecsv

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

var fdRequired = []string{"Position", "Salary", "FPPG", "Team"}

// ReadFanDuel reads a FanDuel player list CSV: the old all-quoted export and
// the current one with a trailing "Roster Position" column, including the
// copy embedded in FanDuel's lineup upload template (whose
// "Player ID + Player Name" column is then ignored). Columns used: Id,
// Position ("C/1B", "D" for NFL defense), First Name, Nickname, Last Name,
// FPPG (the default projection), Salary, Game ("JAC@BAL"), Team, Opponent,
// Injury Indicator (as Status) and Roster Position ("MVP - 1.5X Points/AnyFLEX"
// marks a single-game slate).
func ReadFanDuel(r io.Reader, opts ImportOptions) (*Slate, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read FanDuel players: %w", err)
	}
	s, err := parseFanDuel(recs, opts)
	if err != nil {
		return nil, fmt.Errorf("read FanDuel players: %w", err)
	}
	return s, nil
}

func parseFanDuel(recs []record, opts ImportOptions) (*Slate, error) {
	h, ok := findHeader(recs, "Id", fdRequired, 64)
	if !ok {
		return nil, &ParseError{Err: fmt.Errorf("no FanDuel header row (need columns Id, %s)", strings.Join(fdRequired, ", "))}
	}
	cID, cPos, cFirst, cNick, cLast := h.col("Id"), h.col("Position"), h.col("First Name"), h.col("Nickname"), h.col("Last Name")
	cFPPG, cSalary, cGame, cTeam, cOpp := h.col("FPPG"), h.col("Salary"), h.col("Game"), h.col("Team"), h.col("Opponent")
	cInjury, cRoster := h.col("Injury Indicator"), h.col("Roster Position")

	s := &Slate{Site: slate.FanDuel, Sport: opts.Sport, GameStarts: map[string]time.Time{}}
	seen := map[string]int{}
	mvp := false
	for i := h.row + 1; i < len(recs); i++ {
		rec := recs[i]
		if rec.empty() || allBlankFrom(rec, h.offset) {
			continue
		}
		line := rec.line
		var p slate.Player
		p.ID = rec.cell(cID)
		if p.ID == "" {
			return nil, errAt(line, "Id", "missing player id")
		}
		if j, dup := seen[p.ID]; dup {
			return nil, errAt(line, "Id", "player id %s repeats line %d", p.ID, j)
		}
		seen[p.ID] = line
		p.Name = rec.cell(cNick)
		if p.Name == "" {
			p.Name = strings.TrimSpace(rec.cell(cFirst) + " " + rec.cell(cLast))
		}
		if p.Name == "" {
			return nil, errAt(line, "Nickname", "missing player name")
		}
		p.Positions = splitPositions(rec.cell(cPos))
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
		if v := rec.cell(cFPPG); !isNullCell(v) {
			f, err := parseFloat(v)
			if err != nil {
				return nil, errAt(line, "FPPG", "%v", err)
			}
			p.Projection = f
		}
		p.Team = strings.ToUpper(rec.cell(cTeam))
		if p.Team == "" {
			return nil, errAt(line, "Team", "missing team")
		}
		p.Opponent = strings.ToUpper(rec.cell(cOpp))
		if g := strings.ToUpper(rec.cell(cGame)); g != "" {
			away, home, ok := strings.Cut(g, "@")
			if !ok || away == "" || home == "" {
				return nil, errAt(line, "Game", "game %q is not AWAY@HOME", g)
			}
			p.Game = g
			if p.Opponent == "" {
				switch p.Team {
				case away:
					p.Opponent = home
				case home:
					p.Opponent = away
				}
			}
		}
		if cInjury >= 0 {
			p.Status = normalizeStatus(rec.cell(cInjury))
		}
		if strings.Contains(strings.ToUpper(rec.cell(cRoster)), "MVP") {
			mvp = true
		}
		s.Players = append(s.Players, p)
	}
	if len(s.Players) == 0 {
		return nil, &ParseError{Line: h.line, Err: fmt.Errorf("no players after the header")}
	}
	switch {
	case opts.Mode != "":
		s.Mode = opts.Mode
	case mvp:
		s.Mode = slate.Showdown
	default:
		s.Mode = slate.Classic
	}
	if s.Sport == "" {
		s.Sport = inferSport(s.Players, s.Site)
	}
	return s, nil
}

// ReadSalaries reads a site player list, DraftKings or FanDuel, telling
// them apart by their header when site is empty.
func ReadSalaries(r io.Reader, site slate.Site, opts ImportOptions) (*Slate, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read salaries: %w", err)
	}
	if site == "" {
		site = detectSite(recs)
		if site == "" {
			return nil, fmt.Errorf("read salaries: %w", &ParseError{Err: fmt.Errorf("not a DraftKings or FanDuel player list (no known header row)")})
		}
	}
	var s *Slate
	switch site {
	case slate.DraftKings:
		s, err = parseDraftKings(recs, opts, 64)
	case slate.FanDuel:
		s, err = parseFanDuel(recs, opts)
	default:
		return nil, fmt.Errorf("read salaries: unknown site %q", site)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s salaries: %w", site, err)
	}
	return s, nil
}

// detectSite returns the site whose player-list header the records hold.
func detectSite(recs []record) slate.Site {
	if _, ok := findHeader(recs, "Id", fdRequired, 64); ok {
		return slate.FanDuel
	}
	if _, ok := findHeader(recs, "Name", dkRequired, 64); ok {
		return slate.DraftKings
	}
	return ""
}
