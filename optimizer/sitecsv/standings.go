package sitecsv

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// StandingsEntry is one entry of a DraftKings contest standings file.
type StandingsEntry struct {
	Line      int    `json:"line"`
	Rank      int    `json:"rank"`
	EntryID   string `json:"entry_id"`
	EntryName string `json:"entry_name"`
	// User is EntryName without the " (k/n)" entry counter.
	User string `json:"user"`
	// TimeRemaining is DraftKings' remaining player-minutes (0 when final).
	TimeRemaining float64 `json:"time_remaining"`
	Points        float64 `json:"points"`
	// Lineup in the order of the file (DraftKings sorts by slot name).
	Lineup []StandingsPick `json:"lineup"`
}

// StandingsPick is a player in a standings lineup. DraftKings hides the
// players of games not started in live standings: Hidden is then true and
// Name empty.
type StandingsPick struct {
	Slot   string `json:"slot"`
	Name   string `json:"name,omitempty"`
	Hidden bool   `json:"hidden,omitempty"`
}

// DraftedPlayer is a row of the standings' side table.
type DraftedPlayer struct {
	Line           int    `json:"line"`
	Name           string `json:"name"`
	RosterPosition string `json:"roster_position"`
	// Drafted is the share of lineups holding the player (0.4979 for 49.79%).
	Drafted float64 `json:"drafted"`
	FPTS    float64 `json:"fpts"`
}

// Standings is a parsed contest-standings-*.csv.
type Standings struct {
	Entries []StandingsEntry `json:"entries"`
	Players []DraftedPlayer  `json:"players"`
}

// DraftKingsSlotNames returns every slot label DraftKings writes in
// standings lineups, all sports and modes; the default for ReadStandings.
func DraftKingsSlotNames() []string {
	return []string{"QB", "RB", "WR", "TE", "FLEX", "DST", "PG", "SG", "SF", "PF", "C", "G", "F",
		"UTIL", "CPT", "P", "1B", "2B", "3B", "SS", "OF", "W", "D", "LW", "RW"}
}

var entryCounter = regexp.MustCompile(`\s*\(\d+/\d+\)\s*$`)

// ReadStandings reads a DraftKings contest standings CSV (Rank, EntryId,
// EntryName, TimeRemaining, Points, Lineup, and the side table Player,
// Roster Position, %Drafted, FPTS). slots are the slot labels that split the
// Lineup string ("C Nikola Jokic F ..."); nil means DraftKingsSlotNames().
// Pass the contest's own labels (e.g. the slot names of slate.RulesFor)
// when a player's name could contain a label of another sport.
func ReadStandings(r io.Reader, slots []string) (*Standings, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read standings: %w", err)
	}
	s, err := parseStandings(recs, slots)
	if err != nil {
		return nil, fmt.Errorf("read standings: %w", err)
	}
	return s, nil
}

func parseStandings(recs []record, slots []string) (*Standings, error) {
	h, ok := findHeader(recs, "Rank", []string{"EntryId", "Points", "Lineup"}, 16)
	if !ok {
		return nil, &ParseError{Err: fmt.Errorf("no header row with Rank, EntryId, Points, Lineup")}
	}
	if slots == nil {
		slots = DraftKingsSlotNames()
	}
	slotSet := make(map[string]bool, len(slots))
	for _, s := range slots {
		slotSet[s] = true
	}
	cRank, cID, cName, cTime, cPts, cLineup := h.col("Rank"), h.col("EntryId"), h.col("EntryName"), h.col("TimeRemaining"), h.col("Points"), h.col("Lineup")
	cPlayer, cRoster, cDrafted, cFPTS := h.col("Player"), h.col("Roster Position"), h.col("%Drafted"), h.col("FPTS")
	out := &Standings{}
	for i := h.row + 1; i < len(recs); i++ {
		rec := recs[i]
		if rec.empty() {
			continue
		}
		if rank := rec.cell(cRank); rank != "" {
			e := StandingsEntry{Line: rec.line, EntryID: rec.cell(cID), EntryName: rec.cell(cName)}
			n, err := parseInt(rank)
			if err != nil || n < 1 {
				return nil, errAt(rec.line, "Rank", "invalid rank %q", rank)
			}
			e.Rank = n
			if e.EntryID == "" {
				return nil, errAt(rec.line, "EntryId", "missing entry id")
			}
			e.User = entryCounter.ReplaceAllString(e.EntryName, "")
			if v := rec.cell(cTime); !isNullCell(v) {
				if e.TimeRemaining, err = parseFloat(v); err != nil {
					return nil, errAt(rec.line, "TimeRemaining", "%v", err)
				}
			}
			if v := rec.cell(cPts); !isNullCell(v) {
				if e.Points, err = parseFloat(v); err != nil {
					return nil, errAt(rec.line, "Points", "%v", err)
				}
			}
			if e.Lineup, err = ParseStandingsLineup(rec.cell(cLineup), slotSet); err != nil {
				return nil, errAt(rec.line, "Lineup", "%v", err)
			}
			out.Entries = append(out.Entries, e)
		}
		if cPlayer >= 0 {
			if name := rec.cell(cPlayer); name != "" {
				d := DraftedPlayer{Line: rec.line, Name: name, RosterPosition: rec.cell(cRoster)}
				if v := rec.cell(cDrafted); !isNullCell(v) {
					f, err := parseFloat(v)
					if err != nil || f < 0 || f > 100 {
						return nil, errAt(rec.line, "%Drafted", "invalid percentage %q", v)
					}
					d.Drafted = f / 100
				}
				if v := rec.cell(cFPTS); !isNullCell(v) {
					f, err := parseFloat(v)
					if err != nil {
						return nil, errAt(rec.line, "FPTS", "%v", err)
					}
					d.FPTS = f
				}
				out.Players = append(out.Players, d)
			}
		}
	}
	if len(out.Entries) == 0 {
		return nil, &ParseError{Line: h.line, Err: fmt.Errorf("no entries after the header")}
	}
	return out, nil
}

// ParseStandingsLineup splits a DraftKings standings lineup string
// ("DST Browns  FLEX Trey McBride QB ...") into slot and player name. A
// token is a slot label when it is in slots and the player before it has a
// name; "LOCKED" as a name marks a hidden player. An empty string gives no
// picks.
func ParseStandingsLineup(s string, slots map[string]bool) ([]StandingsPick, error) {
	toks := strings.Fields(s)
	if len(toks) == 0 {
		return nil, nil
	}
	if !slots[toks[0]] {
		return nil, fmt.Errorf("lineup %q does not start with a slot label", truncate(s, 60))
	}
	var picks []StandingsPick
	var name []string
	flush := func() {
		n := strings.Join(name, " ")
		p := &picks[len(picks)-1]
		if n == "LOCKED" {
			p.Hidden = true
		} else {
			p.Name = n
		}
		name = name[:0]
	}
	for _, t := range toks {
		if slots[t] && (len(picks) == 0 || len(name) > 0) {
			if len(picks) > 0 {
				flush()
			}
			picks = append(picks, StandingsPick{Slot: t})
			continue
		}
		name = append(name, t)
	}
	if len(name) == 0 {
		return nil, fmt.Errorf("slot %s at the end of lineup %q has no player", picks[len(picks)-1].Slot, truncate(s, 60))
	}
	flush()
	return picks, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
