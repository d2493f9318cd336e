package slatestore

import (
	"context"

	"github.com/dfsopt/dfsopt/optimizer/job"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// ForJobs adapts a store to job.Slates, the slate lookups of the compute
// functions and of the gateway's submission check.
func ForJobs(st Store) job.Slates { return jobSlates{st: st} }

type jobSlates struct{ st Store }

// Slate returns a stored slate's site, sport, mode and players.
func (j jobSlates) Slate(ctx context.Context, id string) (*job.StoredSlate, error) {
	s, err := j.st.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return &job.StoredSlate{Site: s.Site, Sport: s.Sport, Mode: s.Mode, Players: s.Players}, nil
}

// History returns the calibration rows of the slates.
func (j jobSlates) History(ctx context.Context, ids []string) ([]schema.CalibrationRow, error) {
	return j.st.History(ctx, ids)
}
