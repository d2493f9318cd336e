package contest

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// TestProblemMatchesRequest: a Problem built by hand (as the portfolio
// package does, without a request document) prepares the same contest as
// the equivalent contest-sim request: identical result documents.
func TestProblemMatchesRequest(t *testing.T) {
	rules, err := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  *schema.ContestSimRequest
	}{
		{"given field", handRequest()},
		{"generated field", syntheticRequest(3, 5, 400, 300, 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			cfg, err := outcome.ConfigOf(slate.NFL, req.OutcomeModel, req.Correlation, req.DefaultStdDev)
			if err != nil {
				t.Fatal(err)
			}
			pr := &Problem{Rules: rules, Players: req.Players, Entries: req.Entries, FieldLineups: req.Field.Lineups,
				ContestSize: req.Contest.Size, EntryFee: req.Contest.EntryFee, Payouts: req.Contest.Payouts,
				Sims: req.SimCount(), Seed: req.Seed, Outcome: cfg}
			if len(req.Field.Lineups) == 0 {
				pr.FieldSize = req.FieldCount()
			}
			byHand, err := PrepareProblem(context.Background(), pr)
			if err != nil {
				t.Fatal(err)
			}
			fromReq, err := Prepare(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			run := func(p *Prepared) *schema.ContestSimResult {
				part, err := RunChunk(context.Background(), p, 0, p.Sims)
				if err != nil {
					t.Fatal(err)
				}
				res, err := Merge(p, []Partial{part})
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			if a, b := run(byHand), run(fromReq); !reflect.DeepEqual(a, b) {
				t.Fatalf("problem and request results differ:\n%+v\n%+v", a, b)
			}
		})
	}
}

// TestProblemEntriesField: lineup errors name the entries the way the
// caller calls them (the portfolio's candidates.lineups).
func TestProblemEntriesField(t *testing.T) {
	req := handRequest()
	pr, err := ProblemOf(req, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pr.Entries = [][]string{{"q", "q", "r2", "w1", "w2", "w3", "t", "r3", "d"}}
	pr.EntriesField = "candidates.lineups"
	_, err = PrepareProblem(context.Background(), pr)
	var ve *schema.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "candidates.lineups[0]" {
		t.Fatalf("error %v, want one naming candidates.lineups[0]", err)
	}
}

// TestFieldMeanProjection: the field's mean projection in the result stats
// (hand request: field lineups of 85, 83, 85, 87 and 83 points).
func TestFieldMeanProjection(t *testing.T) {
	res, err := Simulate(context.Background(), handRequest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Stats.FieldMeanProjection, (85+83+85+87+83)/5.0; math.Abs(got-want) > 1e-9 {
		t.Errorf("field mean projection %g, want %g", got, want)
	}
}
