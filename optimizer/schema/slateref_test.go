package schema

import (
	"errors"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// TestSimOptimalChecksPlayersAgainstRules: a simulate request with
// sim_optimal optimizes a lineup from every player in every sim, so it
// checks their positions and salaries against the roster rules at submit,
// as optimize does (it would otherwise fail in the worker); without
// sim_optimal positions outside the roster are simulated as they are.
func TestSimOptimalChecksPlayersAgainstRules(t *testing.T) {
	players := []slate.Player{
		{ID: "a", Name: "A", Positions: []string{"PG"}, Team: "X", Salary: 5000, Projection: 30},
		{ID: "b", Name: "B", Positions: []string{"QB"}, Team: "X", Salary: 5000, Projection: 20},
		{ID: "c", Name: "C", Positions: []string{"C"}, Team: "Y", Salary: 60000, Projection: 20},
	}
	err := (&SimulateRequest{Site: "draftkings", Sport: "nba", Players: players, SimOptimal: true}).Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, fe := range ve.Errors {
		got[fe.Field] = fe.Reason
	}
	if len(got) != 2 || got["players[1].positions[0]"] != ReasonInvalid || got["players[2].salary"] != ReasonOutOfRange {
		t.Errorf("errors %+v", ve.Errors)
	}
	if err := (&SimulateRequest{Site: "draftkings", Sport: "nba", Players: players}).Validate(); err != nil {
		t.Errorf("without sim_optimal: %v", err)
	}
	// A site without the mode is reported once, on mode.
	err = (&ContestSimRequest{Site: "fanduel", Sport: "nhl", Mode: "showdown", Players: players[:1]}).Validate()
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	n := 0
	for _, fe := range ve.Errors {
		if fe.Field == "mode" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("mode errors: %+v", ve.Errors)
	}
}
