package sitecsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// EntryPick is one slot of an entered lineup.
type EntryPick struct {
	Slot string `json:"slot"`
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// Locked: DraftKings marks the player "(LOCKED)": his game has started.
	Locked bool `json:"locked,omitempty"`
}

// Entry is one contest entry of a DKEntries.csv file.
type Entry struct {
	Line        int     `json:"line"`
	EntryID     string  `json:"entry_id"`
	ContestName string  `json:"contest_name"`
	ContestID   string  `json:"contest_id"`
	EntryFee    float64 `json:"entry_fee"`
	// Picks in slot order; empty for a reservation (no lineup yet).
	Picks []EntryPick `json:"picks,omitempty"`
}

// Entries is a parsed DKEntries.csv: the entries, the slot columns, and the
// salary table DraftKings embeds to their right.
type Entries struct {
	Slots   []string `json:"slots"`
	Entries []Entry  `json:"entries"`
	// Slate is the embedded salary table (nil when the file has none);
	// players of started games have GameStarted set.
	Slate *Slate `json:"-"`
}

var entryCell = regexp.MustCompile(`^(.*?)\s*\((\d+)\)\s*(\(LOCKED\))?$`)

// ReadDraftKingsEntries reads DraftKings' DKEntries.csv (Entry ID, Contest
// Name, Contest ID, Entry Fee, one column per slot holding
// "Name (id)" or "Name (id) (LOCKED)" or an id, then instructions and the
// salary table). opts apply to the embedded salary table.
func ReadDraftKingsEntries(r io.Reader, opts ImportOptions) (*Entries, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read DraftKings entries: %w", err)
	}
	e, err := parseEntries(recs, opts)
	if err != nil {
		return nil, fmt.Errorf("read DraftKings entries: %w", err)
	}
	return e, nil
}

func parseEntries(recs []record, opts ImportOptions) (*Entries, error) {
	h, ok := findHeader(recs, "Entry ID", []string{"Contest ID"}, 16)
	if !ok {
		return nil, &ParseError{Err: fmt.Errorf("no header row with Entry ID and Contest ID")}
	}
	cID, cName, cContest, cFee := h.col("Entry ID"), h.col("Contest Name"), h.col("Contest ID"), h.col("Entry Fee")
	first := max(cID, cName, cContest, cFee) + 1
	out := &Entries{}
	hdr := recs[h.row].cells
	last := first
	for j := first; j < len(hdr); j++ {
		name := strings.TrimSpace(hdr[j])
		if name == "" || strings.EqualFold(name, "Instructions") {
			break
		}
		out.Slots = append(out.Slots, name)
		last = j + 1
	}
	if len(out.Slots) == 0 {
		return nil, &ParseError{Line: h.line, Err: fmt.Errorf("no slot columns after Entry Fee")}
	}
	for i := h.row + 1; i < len(recs); i++ {
		rec := recs[i]
		id := rec.cell(cID)
		if id == "" {
			continue
		}
		e := Entry{Line: rec.line, EntryID: id, ContestName: rec.cell(cName), ContestID: rec.cell(cContest)}
		if v := rec.cell(cFee); !isNullCell(v) {
			f, err := parseFloat(v)
			if err != nil || f < 0 {
				return nil, errAt(rec.line, "Entry Fee", "invalid entry fee %q", v)
			}
			e.EntryFee = f
		}
		filled := 0
		picks := make([]EntryPick, 0, len(out.Slots))
		for j := first; j < last; j++ {
			slot := out.Slots[j-first]
			v := rec.cell(j)
			p := EntryPick{Slot: slot}
			switch {
			case v == "":
			case isDigits(v):
				p.ID = v
			default:
				m := entryCell.FindStringSubmatch(v)
				if m == nil {
					return nil, errAt(rec.line, slot, "cell %q is not \"Name (id)\" or an id", truncate(v, 60))
				}
				p.Name, p.ID, p.Locked = m[1], m[2], m[3] != ""
			}
			if p.ID != "" {
				filled++
			}
			picks = append(picks, p)
		}
		if filled > 0 {
			if filled < len(picks) {
				return nil, errAt(rec.line, "", "entry %s fills %d of %d slots", id, filled, len(picks))
			}
			e.Picks = picks
		}
		out.Entries = append(out.Entries, e)
	}
	if len(out.Entries) == 0 {
		return nil, &ParseError{Line: h.line, Err: fmt.Errorf("no entries after the header")}
	}
	if _, ok := findHeader(recs, "Position", dkRequired, len(recs)); ok {
		s, err := parseDraftKings(recs, opts, len(recs))
		if err != nil {
			return nil, err
		}
		out.Slate = s
		known := make(map[string]bool, len(s.Players))
		for i := range s.Players {
			known[s.Players[i].ID] = true
			known[s.Players[i].CaptainID] = true
		}
		for _, e := range out.Entries {
			for _, p := range e.Picks {
				if !known[p.ID] {
					return nil, errAt(e.Line, p.Slot, "player id %s of entry %s is not in the salary table", p.ID, e.EntryID)
				}
			}
		}
	}
	return out, nil
}

// LateSwap returns the entries' lineups as a late-swap request part: one
// lineup per entry, in file order (a reservation gives an empty lineup),
// and the started games (Player.GameKey of the players whose game has
// started, from the embedded salary table or the LOCKED marks).
func (e *Entries) LateSwap() *schema.LateSwap {
	ls := &schema.LateSwap{Lineups: make([][]schema.SlotPick, len(e.Entries))}
	started := map[string]bool{}
	lockedIDs := map[string]bool{}
	for i, en := range e.Entries {
		lu := make([]schema.SlotPick, 0, len(en.Picks))
		for _, p := range en.Picks {
			lu = append(lu, schema.SlotPick{Slot: p.Slot, ID: p.ID})
			if p.Locked {
				lockedIDs[p.ID] = true
			}
		}
		ls.Lineups[i] = lu
	}
	if e.Slate != nil {
		for i := range e.Slate.Players {
			p := &e.Slate.Players[i]
			if p.GameStarted || lockedIDs[p.ID] || lockedIDs[p.CaptainID] {
				started[p.GameKey()] = true
			}
		}
	}
	for k := range started {
		ls.StartedGames = append(ls.StartedGames, k)
	}
	sort.Strings(ls.StartedGames)
	return ls
}

// WriteDraftKingsEntries writes DraftKings' entries upload (the DKEntries.csv
// layout: Entry ID, Contest Name, Contest ID, Entry Fee, then one player id
// per slot), lineup i replacing the lineup of entries[i]. Cells are
// UploadID when set, else ID (see FillUploadIDs for showdown captains).
func WriteDraftKingsEntries(w io.Writer, rules *slate.Rules, entries []Entry, lineups []schema.Lineup) error {
	if len(entries) != len(lineups) {
		return fmt.Errorf("write entries: %d entries but %d lineups", len(entries), len(lineups))
	}
	cw := csv.NewWriter(w)
	header := []string{"Entry ID", "Contest Name", "Contest ID", "Entry Fee"}
	for _, s := range rules.Slots {
		header = append(header, s.Name)
	}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write entries: %w", err)
	}
	for i := range entries {
		ordered, err := slotOrder(rules, &lineups[i])
		if err != nil {
			return fmt.Errorf("write entries: entry %s: %w", entries[i].EntryID, err)
		}
		row := []string{entries[i].EntryID, entries[i].ContestName, entries[i].ContestID, formatFee(entries[i].EntryFee)}
		for j, p := range ordered {
			id := p.ID
			if p.UploadID != "" {
				id = p.UploadID
			} else if rules.Slots[j].SalaryMultiplier != 1 {
				return fmt.Errorf("write entries: entry %s: player %s in slot %s has no upload id (see FillUploadIDs)", entries[i].EntryID, p.ID, rules.Slots[j].Name)
			}
			if id == "" {
				return fmt.Errorf("write entries: entry %s: slot %s has no player id", entries[i].EntryID, rules.Slots[j].Name)
			}
			row = append(row, id)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write entries: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write entries: %w", err)
	}
	return nil
}

func formatFee(f float64) string {
	s := fmt.Sprintf("$%.2f", f)
	return strings.TrimSuffix(s, ".00")
}
