package sitecsv

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// outcomeColumns are the accepted headers, compared as in projections files
// (see headerKey), of the actual points and the actual ownership, in order
// of preference.
var outcomeColumns = struct{ points, ownership []string }{
	points: []string{"actual", "actualpoints", "actualfpts", "actpts", "projectionsactpts", "fptsactual",
		"actualscore", "fpts"},
	ownership: []string{"actualownership", "actualown", "actualown%", "%drafted", "drafted", "pctdrafted",
		"ownership", "own%", "own"},
}

// Outcomes are the actual results of a slate's players, read from a file
// after the games.
type Outcomes struct {
	// Points are the actual fantasy points, by slate player id.
	Points map[string]float64
	// Ownership is the actual ownership (0.12 for 12 %), by slate player
	// id, for the players whose row gives it.
	Ownership map[string]float64
	// Report says how the rows met the slate (the projections matcher's
	// report: Matched, Unmatched rows, players without an outcome).
	Report *MergeReport
}

// ReadOutcomes reads a results CSV (one row per player: an id and/or name,
// with optional team, position and salary to find him, the actual points and
// optionally the actual ownership) and matches its rows to the slate's
// players with the rules of MergeProjections. The points column is the
// first of actual, actual points, act pts, projections_actpts, fpts...;
// ownership is optional (actual ownership, %Drafted, ownership...; percents
// are divided by 100). Other projection-like columns (projection, stddev,
// floor, ceiling) are ignored.
func ReadOutcomes(r io.Reader, players []slate.Player, sport slate.Sport) (*Outcomes, error) {
	recs, err := readRecords(r)
	if err != nil {
		return nil, fmt.Errorf("read outcomes: %w", err)
	}
	hi := slices.IndexFunc(recs, func(rec record) bool { return !rec.empty() })
	if hi < 0 {
		return nil, fmt.Errorf("read outcomes: %w", &ParseError{Err: fmt.Errorf("empty file")})
	}
	// Rename the header so that parseProjections reads the actual points as
	// the projection and the actual ownership as the ownership, and nothing
	// else as either.
	hdr := recs[hi]
	keys := make([]string, len(hdr.cells))
	for j, c := range hdr.cells {
		keys[j] = headerKey(c)
	}
	pick := func(names []string) int {
		for _, n := range names {
			if j := slices.Index(keys, n); j >= 0 {
				return j
			}
		}
		return -1
	}
	pointsCol, ownCol := pick(outcomeColumns.points), pick(outcomeColumns.ownership)
	if pointsCol < 0 {
		return nil, fmt.Errorf("read outcomes: %w", &ParseError{Line: hdr.line,
			Err: fmt.Errorf("no actual points column (looked for %s)", strings.Join(outcomeColumns.points, ", "))})
	}
	ignored := map[string]bool{}
	for _, pc := range projectionColumns {
		if pc.field == "projection" || pc.field == "stddev" || pc.field == "ownership" || pc.field == "floor" || pc.field == "ceiling" {
			for _, h := range pc.headers {
				ignored[h] = true
			}
		}
	}
	cells := make([]string, len(hdr.cells))
	for j, c := range hdr.cells {
		switch {
		case j == pointsCol:
			cells[j] = "projection"
		case j == ownCol:
			cells[j] = "ownership"
			if strings.Contains(c, "%") {
				cells[j] = "ownership%"
			}
		case ignored[keys[j]]:
			cells[j] = "ignored " + c
		default:
			cells[j] = c
		}
	}
	renamed := slices.Clone(recs)
	renamed[hi] = record{line: hdr.line, cells: cells}
	proj, err := parseProjections(renamed)
	if err != nil {
		return nil, fmt.Errorf("read outcomes: %w", err)
	}
	// A negative ownership marks the players whose row gives none.
	marked := slices.Clone(players)
	for i := range marked {
		marked[i].Ownership = -1
	}
	merged, rep := MergeProjections(marked, proj, MergeOptions{Sport: sport, DropUnprojected: true})
	out := &Outcomes{Points: map[string]float64{}, Ownership: map[string]float64{}, Report: rep}
	for i := range merged {
		p := &merged[i]
		out.Points[p.ID] = p.Projection
		if p.Ownership >= 0 {
			out.Ownership[p.ID] = p.Ownership
		}
	}
	return out, nil
}
