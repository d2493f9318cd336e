package sitecsv

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PayoutRange is the prize paid to each of the places First..Last.
type PayoutRange struct {
	First int     `json:"first"`
	Last  int     `json:"last"`
	Prize float64 `json:"prize"`
}

// PayoutTable is a contest's prize table.
type PayoutTable struct {
	Ranges []PayoutRange `json:"ranges"`
	// FieldSize and EntryFee as the file gives them (0 when absent).
	FieldSize int     `json:"field_size,omitempty"`
	EntryFee  float64 `json:"entry_fee,omitempty"`
}

// PaidPlaces is the last paid place.
func (t *PayoutTable) PaidPlaces() int {
	if len(t.Ranges) == 0 {
		return 0
	}
	return t.Ranges[len(t.Ranges)-1].Last
}

// TotalPrizes is the sum paid over every place.
func (t *PayoutTable) TotalPrizes() float64 {
	total := 0.0
	for _, r := range t.Ranges {
		total += float64(r.Last-r.First+1) * r.Prize
	}
	return total
}

// maxPlace bounds places in payout tables (DraftKings' largest contests
// have a few million entries).
const maxPlace = 100_000_000

// ReadPayouts reads a DraftKings payout table CSV: Place, Payout and, on
// the first row, Field Size and Entry Fee. Places are "1" or ranges "8-10";
// payouts may carry "$" and thousands separators. Ranges must ascend
// without gaps or overlaps.
func ReadPayouts(r io.Reader) (*PayoutTable, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read payouts: %w", err)
	}
	t, err := parsePayouts(recs)
	if err != nil {
		return nil, fmt.Errorf("read payouts: %w", err)
	}
	return t, nil
}

func parsePayouts(recs []record) (*PayoutTable, error) {
	h, ok := findHeader(recs, "Place", []string{"Payout"}, 16)
	if !ok {
		return nil, &ParseError{Err: fmt.Errorf("no header row with Place and Payout")}
	}
	cPlace, cPay, cField, cFee := h.col("Place"), h.col("Payout"), h.col("Field Size"), h.col("Entry Fee")
	t := &PayoutTable{}
	for i := h.row + 1; i < len(recs); i++ {
		rec := recs[i]
		if rec.empty() {
			continue
		}
		first, last, err := parsePlaces(rec.cell(cPlace))
		if err != nil {
			return nil, errAt(rec.line, "Place", "%v", err)
		}
		prize, err := parseFloat(rec.cell(cPay))
		if err != nil {
			return nil, errAt(rec.line, "Payout", "%v", err)
		}
		if prize < 0 {
			return nil, errAt(rec.line, "Payout", "negative payout %g", prize)
		}
		if n := len(t.Ranges); n > 0 && first != t.Ranges[n-1].Last+1 {
			return nil, errAt(rec.line, "Place", "places %d-%d do not follow place %d", first, last, t.Ranges[n-1].Last)
		} else if n == 0 && first != 1 {
			return nil, errAt(rec.line, "Place", "first range starts at place %d, not 1", first)
		}
		if v := rec.cell(cField); cField >= 0 && v != "" {
			n, err := parseInt(v)
			if err != nil || n < 0 || n > maxPlace {
				return nil, errAt(rec.line, "Field Size", "invalid field size %q", v)
			}
			if t.FieldSize == 0 {
				t.FieldSize = n
			}
		}
		if v := rec.cell(cFee); cFee >= 0 && v != "" {
			f, err := parseFloat(v)
			if err != nil || f < 0 {
				return nil, errAt(rec.line, "Entry Fee", "invalid entry fee %q", v)
			}
			if t.EntryFee == 0 {
				t.EntryFee = f
			}
		}
		t.Ranges = append(t.Ranges, PayoutRange{First: first, Last: last, Prize: prize})
	}
	if len(t.Ranges) == 0 {
		return nil, &ParseError{Line: h.line, Err: fmt.Errorf("no payout rows")}
	}
	if t.FieldSize > 0 && t.PaidPlaces() > t.FieldSize {
		return nil, &ParseError{Column: "Place", Err: fmt.Errorf("pays %d places in a field of %d", t.PaidPlaces(), t.FieldSize)}
	}
	return t, nil
}

// parsePlaces parses "7" or "8-10" (also "8 - 10", "1st", "8th-10th").
func parsePlaces(s string) (int, int, error) {
	clean := func(x string) (int, error) {
		x = strings.TrimSpace(strings.ReplaceAll(x, ",", ""))
		for _, suf := range []string{"st", "nd", "rd", "th"} {
			x = strings.TrimSuffix(x, suf)
		}
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 || n > maxPlace {
			return 0, fmt.Errorf("invalid place %q", s)
		}
		return n, nil
	}
	a, b, isRange := strings.Cut(s, "-")
	first, err := clean(a)
	if err != nil {
		return 0, 0, err
	}
	last := first
	if isRange {
		if last, err = clean(b); err != nil {
			return 0, 0, err
		}
	}
	if last < first {
		return 0, 0, fmt.Errorf("place range %q ends before it starts", s)
	}
	return first, last, nil
}
