// Package sitecsv reads and writes the files DFS players exchange with the
// sites: DraftKings salary, entries, payout and contest-standings CSVs,
// FanDuel player lists, free-form projections CSVs (merged into a slate by id
// or normalised name), and the DraftKings and FanDuel lineup upload CSVs.
//
// Every reader accepts what the real exports contain (BOM, CRLF, leading blank
// rows and columns, tables embedded to the right of other tables, trailing
// columns) and reports bad input as a *ParseError naming the line and the
// column; no input makes a reader panic. The package is pure computation: no
// logging, no I/O beyond the readers and writers it is given.
package sitecsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxInputBytes bounds what a reader consumes; larger inputs are an error.
const MaxInputBytes = 64 << 20

// ErrTooLarge is returned when an input exceeds MaxInputBytes.
var ErrTooLarge = errors.New("sitecsv: input larger than 64 MiB")

// ParseError is a problem with one cell, row or header of an input file.
// Line is the 1-based line of the file (0 when the problem is not tied to a
// line, e.g. a missing column).
type ParseError struct {
	Line   int
	Column string
	Err    error
}

// Error formats the error as "line 12, column Salary: ...".
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d", e.Line)
	}
	if e.Column != "" {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %q", e.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

func errAt(line int, col string, format string, args ...any) *ParseError {
	return &ParseError{Line: line, Column: col, Err: fmt.Errorf(format, args...)}
}

// record is one CSV record and the file line it starts on.
type record struct {
	line  int
	cells []string
}

// empty reports whether every cell is blank.
func (r record) empty() bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// cell returns cells[i] trimmed, or "" when the record is shorter.
func (r record) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

// readRecords reads every CSV record of r. Records may have any number of
// fields; quotes are handled leniently, as in the site exports.
func readRecords(r io.Reader) ([]record, error) {
	lr := &io.LimitedReader{R: r, N: MaxInputBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	var out []record
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &ParseError{Line: pe.StartLine, Err: pe.Err}
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(out) == 0 && len(cells) > 0 {
			cells[0] = strings.TrimPrefix(cells[0], "\ufeff")
		}
		out = append(out, record{line: line, cells: cells})
	}
	if lr.N <= 0 {
		return nil, ErrTooLarge
	}
	return out, nil
}

// header is a located header row: its record index, the column offset of
// its first cell, and the trimmed column names from that offset.
type header struct {
	row    int
	offset int
	line   int
	names  []string
	index  map[string]int // lower-cased name → column (absolute); first wins
}

func newHeader(recs []record, row, offset int) *header {
	h := &header{row: row, offset: offset, line: recs[row].line, index: map[string]int{}}
	for j := offset; j < len(recs[row].cells); j++ {
		name := strings.TrimSpace(recs[row].cells[j])
		h.names = append(h.names, name)
		key := strings.ToLower(name)
		if _, dup := h.index[key]; !dup && name != "" {
			h.index[key] = j
		}
	}
	return h
}

// col returns the absolute column of name (case-insensitive), or -1.
func (h *header) col(name string) int {
	if j, ok := h.index[strings.ToLower(name)]; ok {
		return j
	}
	return -1
}

// findHeader returns the first row (and column offset) holding all of the
// required names, case-insensitively, starting at column `first`. The offset
// is the column of first. It looks at most maxScan rows deep.
func findHeader(recs []record, first string, required []string, maxScan int) (*header, bool) {
	for i := 0; i < len(recs) && i < maxScan; i++ {
		cells := recs[i].cells
		// lastCol: the rightmost column of each name in the row, so that
		// each candidate start is checked in O(len(required)).
		var lastCol map[string]int
		for j, c := range cells {
			if !strings.EqualFold(strings.TrimSpace(c), first) {
				continue
			}
			if lastCol == nil {
				lastCol = make(map[string]int, len(cells))
				for k, name := range cells {
					lastCol[strings.ToLower(strings.TrimSpace(name))] = k
				}
			}
			ok := true
			for _, name := range required {
				if k, found := lastCol[strings.ToLower(name)]; !found || k < j {
					ok = false
					break
				}
			}
			if ok {
				return newHeader(recs, i, j), true
			}
		}
	}
	return nil, false
}

// parseInt parses an integer cell that may carry "$", thousands separators
// or a ".0" fraction (as spreadsheets write them).
func parseInt(s string) (int, error) {
	t := cleanNumber(s)
	if t == "" {
		return 0, errors.New("empty number")
	}
	if n, err := strconv.Atoi(t); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1e15 {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return int(f), nil
}

// parseFloat parses a finite number cell that may carry "$", "%" (kept as
// written: "12.5%" is 12.5) or thousands separators.
func parseFloat(s string) (float64, error) {
	t := strings.TrimSuffix(cleanNumber(s), "%")
	if t == "" {
		return 0, errors.New("empty number")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

func cleanNumber(s string) string {
	t := strings.TrimSpace(s)
	t = strings.ReplaceAll(t, ",", "")
	t = strings.ReplaceAll(t, "$", "")
	return strings.TrimSpace(t)
}

// isNullCell reports cells that spreadsheets and databases use for "no value".
func isNullCell(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "NULL", "NA", "N/A", "NAN", "-", "--", "NONE":
		return true
	}
	return false
}
