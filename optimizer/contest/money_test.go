package contest

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// TestPayoutsAtTheBounds: the largest prizes validation allows, won every
// sim for 20,000 sims, are paid exactly. Each entry's payout sum (2e19
// millionths) and the portfolio's (4e19) exceed an int64: before the sums
// were carried into a high word they wrapped to negative payouts.
func TestPayoutsAtTheBounds(t *testing.T) {
	req := handRequest()
	// Entry 1 ties field wa for places 1-2, entry 0 ties base and wc for
	// places 3-5, in every sim (exact players): each wins MaxPrize per sim.
	req.Contest.Payouts = []schema.PayoutRange{
		{Places: [2]int{1, 1}, Prize: schema.MaxPrize}, {Places: [2]int{2, 3}, Prize: schema.MaxPrize},
		{Places: [2]int{4, 5}, Prize: schema.MaxPrize}}
	req.Contest.EntryFee = schema.MaxEntryFee
	req.Sims = 20_000
	p, err := Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := RunChunk(context.Background(), p, 0, p.Sims)
	if err != nil {
		t.Fatal(err)
	}
	// Fanned out: chunks encoded as JSON (as the worker stores them) merge
	// into the same result.
	var parts []Partial
	for _, r := range [][2]int{{0, 7000}, {7000, 13001}, {13001, 20_000}} {
		part, err := RunChunk(context.Background(), p, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(part)
		if err != nil {
			t.Fatal(err)
		}
		var back Partial
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, back)
	}
	for _, tt := range []struct {
		name  string
		parts []Partial
	}{{"one run", []Partial{whole}}, {"three chunks via JSON", parts}} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Merge(p, tt.parts)
			if err != nil {
				t.Fatal(err)
			}
			for e, g := range res.Entries {
				if g.MeanPayout != schema.MaxPrize {
					t.Errorf("entry %d mean payout %v, want %v", e, g.MeanPayout, float64(schema.MaxPrize))
				}
				if want := (schema.MaxPrize - schema.MaxEntryFee) / schema.MaxEntryFee; g.ROI != want {
					t.Errorf("entry %d roi %v, want %v", e, g.ROI, want)
				}
			}
			pf := res.Portfolio
			if pf.MeanPayout != 2*schema.MaxPrize || pf.P05 != 2*schema.MaxPrize || pf.P95 != 2*schema.MaxPrize {
				t.Errorf("portfolio %+v, want mean = p05 = p95 = %v", pf, 2*schema.MaxPrize)
			}
		})
	}
}

// TestPrizeBounds: prizes, the prize pool, places and the entry fee beyond
// the documented maxima are refused naming the field; the maxima pass.
func TestPrizeBounds(t *testing.T) {
	tests := []struct {
		name    string
		payouts []schema.PayoutRange
		fee     float64
		field   string // "" = accepted
	}{
		{"at the bounds", []schema.PayoutRange{{Places: [2]int{1, 5}, Prize: schema.MaxPrize}}, schema.MaxEntryFee, ""},
		{"prize 1e20", []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 1e20}}, 10, "contest.payouts[0].prize"},
		{"prize just over", []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 10}, {Places: [2]int{2, 2}, Prize: schema.MaxPrize * 1.000001}}, 10, "contest.payouts[1].prize"},
		{"prize infinite", []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: math.Inf(1)}}, 10, "contest.payouts[0].prize"},
		{"pool over", []schema.PayoutRange{{Places: [2]int{1, 11}, Prize: schema.MaxPrize}}, 10, "contest.payouts"},
		{"places beyond any contest", []schema.PayoutRange{{Places: [2]int{1, schema.MaxContestPlaces + 1}, Prize: 1}}, 10, "contest.payouts[0].places"},
		{"entry fee over", []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 100}}, schema.MaxEntryFee * 2, "contest.entry_fee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := handRequest()
			req.Contest.Payouts, req.Contest.EntryFee = tt.payouts, tt.fee
			_, err := Prepare(context.Background(), req)
			var ve *schema.ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "":
				return
			case !errors.As(err, &ve):
				t.Fatalf("error %v, want a ValidationError naming %s", err, tt.field)
			}
			for _, fe := range ve.Errors {
				if fe.Field == tt.field && fe.Reason == schema.ReasonOutOfRange {
					t.Log(fe.Message)
					return
				}
			}
			t.Fatalf("errors %+v do not name %s", ve.Errors, tt.field)
		})
	}
}
