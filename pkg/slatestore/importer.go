package slatestore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// ImportRequest is a slate import: a site salary file and an optional
// projections file, as POST /v1/slates and `dfsopt slates import` take them.
type ImportRequest struct {
	// Salaries is a DraftKings or FanDuel salary CSV.
	Salaries io.Reader
	// Projections is a projections CSV; nil: the site's averages are the
	// projections.
	Projections io.Reader
	// ProjectionSource names the projections (their file name); "site"
	// without a projections file.
	ProjectionSource string
	// Site, Sport and Mode, when given, override what the salary file says
	// or implies.
	Site, Sport, Mode string
}

// ImportResult says what an import stored.
type ImportResult struct {
	ID string `json:"id"`
	// Created is false when the same slate was already stored.
	Created  bool        `json:"created"`
	Site     slate.Site  `json:"site"`
	Sport    slate.Sport `json:"sport"`
	Mode     slate.Mode  `json:"mode"`
	LockTime time.Time   `json:"lock_time,omitzero"`
	Players  int         `json:"players"`
	// ProjectionSource is the stored projection source.
	ProjectionSource string `json:"projection_source"`
	// UnmatchedProjections are the projection rows no player took, and why.
	UnmatchedProjections []sitecsv.UnmatchedRow `json:"unmatched_projections"`
	// Unprojected is the number of players no projection row covered (they
	// are stored with projection 0).
	Unprojected int `json:"unprojected"`
	// Warnings from the salary file.
	Warnings []string `json:"warnings,omitempty"`
}

// ImportError is a salary or projections file that cannot be imported (the
// gateway answers 422 naming Field).
type ImportError struct {
	// Field is the form field at fault ("salaries", "projections", "site",
	// "sport", "mode").
	Field string
	Err   error
}

// Error returns "<field>: <cause>".
func (e *ImportError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ImportError) Unwrap() error { return e.Err }

// Is makes an ImportError match ErrInvalid.
func (e *ImportError) Is(target error) bool { return target == ErrInvalid }

// Import reads the files with optimizer/sitecsv (every player is kept,
// whatever his status; unprojected players get 0) and stores the slate in
// one transaction. Importing the same files again returns the same id with
// Created false.
func Import(ctx context.Context, st Store, req ImportRequest) (*ImportResult, error) {
	var opts sitecsv.RequestOptions
	var err error
	if req.Site != "" {
		if opts.Site, err = slate.ParseSite(req.Site); err != nil {
			return nil, &ImportError{Field: "site", Err: err}
		}
	}
	if req.Sport != "" {
		if opts.Sport, err = slate.ParseSport(req.Sport); err != nil {
			return nil, &ImportError{Field: "sport", Err: err}
		}
	}
	if req.Mode != "" {
		if opts.Mode, err = slate.ParseMode(req.Mode); err != nil {
			return nil, &ImportError{Field: "mode", Err: err}
		}
	}
	if req.Salaries == nil {
		return nil, &ImportError{Field: "salaries", Err: fmt.Errorf("a salary file is required")}
	}
	var projections io.Reader
	if req.Projections != nil {
		// Read the projections first, so that a bad file is blamed on the
		// right field.
		b, err := io.ReadAll(req.Projections)
		if err != nil {
			return nil, &ImportError{Field: "projections", Err: err}
		}
		if _, err := sitecsv.ReadProjections(bytes.NewReader(b)); err != nil {
			return nil, &ImportError{Field: "projections", Err: err}
		}
		projections = bytes.NewReader(b)
	}
	built, rep, err := sitecsv.BuildOptimizeRequest(req.Salaries, projections, opts)
	if err != nil {
		return nil, &ImportError{Field: "salaries", Err: err}
	}
	source := req.ProjectionSource
	if req.Projections == nil {
		source = "site"
	} else if source == "" {
		source = "projections"
	}
	sl := &Slate{Site: rep.Site, Sport: rep.Sport, Mode: rep.Mode, GameStarts: rep.GameStarts,
		ProjectionSource: source, Players: built.Players}
	id, created, err := st.Put(ctx, sl)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{ID: id, Created: created, Site: rep.Site, Sport: rep.Sport, Mode: rep.Mode,
		Players: len(built.Players), ProjectionSource: source, Warnings: rep.Warnings,
		UnmatchedProjections: []sitecsv.UnmatchedRow{}}
	for _, t := range rep.GameStarts {
		if res.LockTime.IsZero() || t.Before(res.LockTime) {
			res.LockTime = t.UTC()
		}
	}
	if rep.Merge != nil {
		res.UnmatchedProjections = slices.Clone(rep.Merge.Unmatched)
		res.Unprojected = len(rep.Merge.NoProjection)
		if res.UnmatchedProjections == nil {
			res.UnmatchedProjections = []sitecsv.UnmatchedRow{}
		}
	}
	return res, nil
}

// OutcomesResult says what an outcomes load stored.
type OutcomesResult struct {
	SlateID string `json:"slate_id"`
	// Outcomes is the number of players whose outcome was stored; with
	// Ownership of them carrying the actual ownership.
	Outcomes  int `json:"outcomes"`
	Ownership int `json:"ownership"`
	// Unmatched are the rows no player of the slate took.
	Unmatched []sitecsv.UnmatchedRow `json:"unmatched"`
}

// ImportOutcomes reads a results file (see sitecsv.ReadOutcomes) for a
// stored slate and stores the outcomes of the players it matches, in one
// transaction; loading it again replaces them.
func ImportOutcomes(ctx context.Context, st Store, slateID string, results io.Reader) (*OutcomesResult, error) {
	sl, err := st.Get(ctx, slateID)
	if err != nil {
		return nil, err
	}
	oc, err := sitecsv.ReadOutcomes(results, sl.Players, sl.Sport)
	if err != nil {
		return nil, &ImportError{Field: "outcomes", Err: err}
	}
	res := &OutcomesResult{SlateID: slateID, Unmatched: slices.Clone(oc.Report.Unmatched)}
	if res.Unmatched == nil {
		res.Unmatched = []sitecsv.UnmatchedRow{}
	}
	var outcomes []Outcome
	for i := range sl.Players {
		id := sl.Players[i].ID
		pts, ok := oc.Points[id]
		if !ok {
			continue
		}
		o := Outcome{PlayerID: id, Points: pts}
		if own, ok := oc.Ownership[id]; ok {
			o.Ownership = &own
			res.Ownership++
		}
		outcomes = append(outcomes, o)
	}
	if len(outcomes) == 0 {
		return nil, &ImportError{Field: "outcomes", Err: fmt.Errorf("no row matched a player of slate %s", slateID)}
	}
	if err := st.PutOutcomes(ctx, slateID, outcomes); err != nil {
		return nil, err
	}
	res.Outcomes = len(outcomes)
	return res, nil
}
