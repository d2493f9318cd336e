package lineup

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// FuzzOptimize throws arbitrary request documents (over a small real-shaped
// slate) at the optimizer: it must never panic, must answer with a result, a
// validation error or an infeasibility error, and every lineup it returns
// must be valid.
func FuzzOptimize(f *testing.F) {
	f.Add([]byte(`{"site":"dk","sport":"nfl","lineups":3,"constraints":{"min_unique":2}}`))
	f.Add([]byte(`{"site":"fd","sport":"nba","lineups":2,"constraints":{"max_per_team":2,"stacks":[{"size":3}]}}`))
	f.Add([]byte(`{"site":"dk","sport":"nfl","mode":"showdown","lineups":4,"randomness":0.2,"seed":9}`))
	f.Add([]byte(`{"site":"dk","sport":"nfl","lineups":5,"constraints":{"max_exposure":0.4,"no_opposing_defense":true,"stacks":[{"positions":["QB","WR|TE"],"bring_back":1}]}}`))
	f.Add([]byte(`{"site":"dk","sport":"mlb","lineups":2,"constraints":{"min_salary":45000,"locks":["p03"],"excludes":["p04"]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var req schema.OptimizeRequest
		if err := schema.DecodeBytes(doc, &req); err != nil {
			return
		}
		site, sport, mode, err := req.Normalized()
		if err != nil {
			return
		}
		r, err := slate.RulesFor(site, sport, mode)
		if err != nil {
			return
		}
		if req.Lineups > 20 {
			req.Lineups = 20
		}
		req.LateSwap = nil
		if len(req.Players) == 0 {
			req.Players = randomSlate(newRand(uint64(len(doc))), r, 16)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		res, err := Optimize(ctx, &req, nil)
		var ve *schema.ValidationError
		var ie *InfeasibleError
		switch {
		case err == nil:
		case errors.As(err, &ve), errors.As(err, &ie), errors.Is(err, context.DeadlineExceeded):
			return
		default:
			t.Fatalf("unexpected error: %v", err)
		}
		byID := map[string]*slate.Player{}
		for i := range req.Players {
			byID[req.Players[i].ID] = &req.Players[i]
		}
		for i, lu := range res.Lineups {
			if err := checkLineup(r, &req, byID, toEntry(r, lu)); err != nil {
				t.Fatalf("lineup %d invalid: %v", i+1, err)
			}
		}
	})
}
