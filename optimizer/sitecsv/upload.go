package sitecsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// UploadOptions tune the upload writers.
type UploadOptions struct {
	// FanDuelIDOnly writes bare FanDuel ids ("37319-104449") instead of
	// FanDuel's "Player ID + Player Name" form ("37319-104449:Joe Horn Jr.").
	FanDuelIDOnly bool
}

// WriteUpload writes lineups as the bulk-upload CSV of rules.Site (see
// WriteDraftKingsUpload and WriteFanDuelUpload). Each lineup must fill every
// slot of rules exactly once; the cell is LineupPlayer.UploadID when set,
// else ID.
func WriteUpload(w io.Writer, rules *slate.Rules, lineups []schema.Lineup) error {
	return WriteUploadOptions(w, rules, lineups, UploadOptions{})
}

// WriteUploadOptions is WriteUpload with options.
func WriteUploadOptions(w io.Writer, rules *slate.Rules, lineups []schema.Lineup, opts UploadOptions) error {
	switch rules.Site {
	case slate.DraftKings:
		return WriteDraftKingsUpload(w, rules, lineups)
	case slate.FanDuel:
		return WriteFanDuelUpload(w, rules, lineups, opts)
	}
	return fmt.Errorf("write upload: no upload format for site %q", rules.Site)
}

// WriteDraftKingsUpload writes the DraftKings lineup upload CSV: a header of
// slot names in roster order (QB,RB,RB,WR,WR,WR,TE,FLEX,DST; showdown
// CPT,FLEX,...,FLEX or CPT,UTIL,...) and one row of player ids per lineup,
// as in DraftKings' DKUploadTemplate.csv. A showdown CPT cell must hold the
// captain row's id: LineupPlayer.UploadID (see FillUploadIDs); a CPT player
// without one is an error, since DraftKings would reject the FLEX id there.
// DraftKings takes at most 500 lineups per file; split larger sets.
func WriteDraftKingsUpload(w io.Writer, rules *slate.Rules, lineups []schema.Lineup) error {
	header := make([]string, len(rules.Slots))
	for i, s := range rules.Slots {
		header[i] = s.Name
	}
	return writeUpload(w, rules, lineups, header, func(slot *slate.Slot, p *schema.LineupPlayer) (string, error) {
		if p.UploadID != "" {
			return p.UploadID, nil
		}
		if slot.SalaryMultiplier != 1 {
			return "", fmt.Errorf("player %s in slot %s has no upload id (the CPT row's id; see FillUploadIDs)", p.ID, slot.Name)
		}
		return p.ID, nil
	})
}

// fanDuelSlotHeader maps rule slot names to FanDuel's upload headers for the
// single-game formats, whose template columns spell out the multiplier.
// FanDuel NFL single game lists roster positions "MVP - 1.5X Points" and
// "AnyFLEX" in its player file (fd-nfl-single-game.csv); the NBA labels
// follow the same pattern.
var fanDuelSlotHeader = map[slate.Sport]map[string]string{
	slate.NFL: {"MVP": "MVP - 1.5X Points", "FLEX": "AnyFLEX"},
	slate.NBA: {"MVP": "MVP - 2X Points", "STAR": "STAR - 1.5X Points", "PRO": "PRO - 1.2X Points"},
}

// WriteFanDuelUpload writes FanDuel's lineup upload CSV: a header of slot
// names in roster order (QB,RB,RB,WR,WR,WR,TE,FLEX,DEF; MLB
// P,C/1B,2B,3B,SS,OF,OF,OF,UTIL; single game "MVP - 1.5X Points" then
// "AnyFLEX"), one row per lineup. Cells use FanDuel's "Player ID + Player
// Name" form, "id:name" (e.g. "37319-104449:Joe Horn Jr."), which is what
// FanDuel's upload template lists for copying; FanDuel reads the id before
// the colon. UploadOptions.FanDuelIDOnly writes the id alone.
func WriteFanDuelUpload(w io.Writer, rules *slate.Rules, lineups []schema.Lineup, opts UploadOptions) error {
	header := make([]string, len(rules.Slots))
	for i, s := range rules.Slots {
		header[i] = s.Name
		if rules.Mode == slate.Showdown {
			if h, ok := fanDuelSlotHeader[rules.Sport][s.Name]; ok {
				header[i] = h
			}
		}
	}
	return writeUpload(w, rules, lineups, header, func(_ *slate.Slot, p *schema.LineupPlayer) (string, error) {
		id := p.ID
		if p.UploadID != "" {
			id = p.UploadID
		}
		if opts.FanDuelIDOnly || p.Name == "" {
			return id, nil
		}
		return id + ":" + strings.TrimSpace(p.Name), nil
	})
}

func writeUpload(w io.Writer, rules *slate.Rules, lineups []schema.Lineup, header []string,
	cell func(*slate.Slot, *schema.LineupPlayer) (string, error)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write upload: %w", err)
	}
	for li := range lineups {
		ordered, err := slotOrder(rules, &lineups[li])
		if err != nil {
			return fmt.Errorf("write upload: lineup %d: %w", li, err)
		}
		row := make([]string, len(ordered))
		for i, p := range ordered {
			c, err := cell(&rules.Slots[i], p)
			if err != nil {
				return fmt.Errorf("write upload: lineup %d: %w", li, err)
			}
			if strings.TrimSpace(c) == "" {
				return fmt.Errorf("write upload: lineup %d: slot %s has no player id", li, rules.Slots[i].Name)
			}
			row[i] = c
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write upload: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write upload: %w", err)
	}
	return nil
}

// slotOrder returns the lineup's players in the order of rules.Slots,
// matching each slot to the first unused player with that slot name.
func slotOrder(rules *slate.Rules, l *schema.Lineup) ([]*schema.LineupPlayer, error) {
	if len(l.Players) != len(rules.Slots) {
		return nil, fmt.Errorf("%d players for %d slots", len(l.Players), len(rules.Slots))
	}
	used := make([]bool, len(l.Players))
	out := make([]*schema.LineupPlayer, len(rules.Slots))
	for i, s := range rules.Slots {
		for j := range l.Players {
			if !used[j] && strings.EqualFold(l.Players[j].Slot, s.Name) {
				used[j] = true
				out[i] = &l.Players[j]
				break
			}
		}
		if out[i] == nil {
			return nil, fmt.Errorf("no player for slot %s (slot %d)", s.Name, i)
		}
	}
	return out, nil
}

// FillUploadIDs sets LineupPlayer.UploadID, for players in a slot with a
// salary multiplier (DraftKings CPT), to the player's CaptainID from
// players. It leaves UploadIDs already set alone.
func FillUploadIDs(rules *slate.Rules, players []slate.Player, lineups []schema.Lineup) {
	captain := make(map[string]string, len(players))
	for i := range players {
		if players[i].CaptainID != "" {
			captain[players[i].ID] = players[i].CaptainID
		}
	}
	multi := map[string]bool{}
	for _, s := range rules.Slots {
		if s.SalaryMultiplier != 1 {
			multi[s.Name] = true
		}
	}
	for li := range lineups {
		for pi := range lineups[li].Players {
			p := &lineups[li].Players[pi]
			if p.UploadID == "" && multi[p.Slot] {
				p.UploadID = captain[p.ID]
			}
		}
	}
}
