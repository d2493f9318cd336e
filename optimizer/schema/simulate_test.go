package schema

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// gamePlayers returns n players of game g (teams alternating) with spread
// sd (0: exact) and the given projection.
func gamePlayers(g string, n int, proj, sd float64) []slate.Player {
	ps := make([]slate.Player, n)
	for i := range ps {
		team, opp := "H"+g, "A"+g
		if i%2 == 1 {
			team, opp = opp, team
		}
		ps[i] = slate.Player{ID: fmt.Sprintf("%s-%d", g, i), Name: "x", Positions: []string{"WR"}, Team: team, Opponent: opp,
			Game: "A" + g + "@H" + g, Salary: 3000, Projection: proj, StdDev: sd}
	}
	return ps
}

// blockError returns the out-of-range field error of the correlated block
// check in err, if any.
func blockError(err error) (FieldError, bool) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return FieldError{}, false
	}
	for _, e := range ve.Errors {
		if (e.Field == "players" || e.Field == "correlation.pairs") && e.Reason == ReasonOutOfRange {
			return e, true
		}
	}
	return FieldError{}, false
}

// TestCorrelatedBlockValidation: simulate, contest-sim and portfolio
// requests whose largest correlated block exceeds MaxCorrelatedBlock are
// refused naming players (one game) or correlation.pairs (games joined by
// pairs); exact players, disabled correlation and blocks at the bound pass.
func TestCorrelatedBlockValidation(t *testing.T) {
	over := MaxCorrelatedBlock + 1
	off := false
	half := func(g string) []slate.Player { return gamePlayers(g, over/2+1, 10, 5) }
	tests := []struct {
		name      string
		players   []slate.Player
		corr      CorrelationOptions
		defaultSD []string
		calID     string
		field     string // "" = accepted
	}{
		{"at the bound", gamePlayers("1", MaxCorrelatedBlock, 10, 5), CorrelationOptions{}, nil, "", ""},
		{"one game over", gamePlayers("1", over, 10, 5), CorrelationOptions{}, nil, "", "players"},
		{"over, several games", append(gamePlayers("1", 40, 10, 5), gamePlayers("2", over, 10, 5)...), CorrelationOptions{}, nil, "", "players"},
		{"over but correlation off", gamePlayers("1", over, 10, 5), CorrelationOptions{Enabled: &off}, nil, "", ""},
		{"over but exact players", gamePlayers("1", over, 10, 0), CorrelationOptions{}, nil, "", ""},
		{"exact players with default spread", gamePlayers("1", over, 10, 0), CorrelationOptions{},
			idsOf(gamePlayers("1", over, 10, 0)), "", "players"},
		{"default spread, projection 0", gamePlayers("1", over, 0, 0), CorrelationOptions{},
			idsOf(gamePlayers("1", over, 0, 0)), "", ""},
		{"exact players, calibrated", gamePlayers("1", over, 0, 0), CorrelationOptions{}, nil, "latest", "players"},
		{"two games apart", append(half("1"), half("2")...), CorrelationOptions{}, nil, "", ""},
		{"two games joined by a pair", append(half("1"), half("2")...),
			CorrelationOptions{Pairs: []PairCorrelation{{A: "1-0", B: "2-0", Rho: 0.2}}}, nil, "", "correlation.pairs"},
		{"pair of rho 0 joins nothing", append(half("1"), half("2")...),
			CorrelationOptions{Pairs: []PairCorrelation{{A: "1-0", B: "2-0", Rho: 0}}}, nil, "", ""},
	}
	for _, tt := range tests {
		reqs := map[string]interface{ Validate() error }{
			"simulate": &SimulateRequest{Site: "dk", Sport: "nfl", Players: tt.players, Correlation: tt.corr,
				DefaultStdDev: tt.defaultSD, CalibrationID: tt.calID},
			"contest-sim": &ContestSimRequest{Site: "dk", Sport: "nfl", Players: tt.players, Correlation: tt.corr,
				DefaultStdDev: tt.defaultSD, CalibrationID: tt.calID, Entries: [][]string{{"x"}},
				Contest: ContestSpec{EntryFee: 1, Size: 10, Payouts: []PayoutRange{{Places: [2]int{1, 1}, Prize: 5}}}},
			"portfolio": &PortfolioRequest{Site: "dk", Sport: "nfl", Players: tt.players, Correlation: tt.corr,
				DefaultStdDev: tt.defaultSD, CalibrationID: tt.calID, Lineups: 1},
		}
		for kind, req := range reqs {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				fe, found := blockError(req.Validate())
				switch {
				case tt.field == "" && found:
					t.Fatalf("refused: %+v", fe)
				case tt.field != "" && !found:
					t.Fatalf("accepted a block over %d: %v", MaxCorrelatedBlock, req.Validate())
				case found && fe.Field != tt.field:
					t.Fatalf("field %s, want %s (%s)", fe.Field, tt.field, fe.Message)
				}
				if found {
					t.Log(fe.Message)
				}
			})
		}
	}
}

func idsOf(ps []slate.Player) []string {
	out := make([]string, len(ps))
	for i := range ps {
		out[i] = ps[i].ID
	}
	return out
}
