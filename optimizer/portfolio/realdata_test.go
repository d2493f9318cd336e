package portfolio

import (
	"context"
	"os"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
)

const realDir = "../../../shared/data/slates/dk-nba-2025-01-12/"

// TestRealNBAPortfolio chooses 20 entries (the contest's entry maximum)
// for the real $20K Four Point Play (5,945 entries) from lineups generated
// by the optimizer with randomness, against a generated field.
func TestRealNBAPortfolio(t *testing.T) {
	if _, err := os.Stat(realDir + "DKSalaries.csv"); err != nil {
		skipWithoutData(t, "%v", err)
	}
	cands, sims := 300, 2000
	if testing.Short() {
		cands, sims = 60, 300
	}
	open := func(name string) *os.File {
		f, err := os.Open(realDir + name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	oreq, _, err := sitecsv.BuildOptimizeRequest(open("DKSalaries.csv"), open("projections.csv"), sitecsv.RequestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pt, err := sitecsv.ReadPayouts(open("payouts-20K-Four-Point-Play.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var pay []schema.PayoutRange
	for _, r := range pt.Ranges {
		pay = append(pay, schema.PayoutRange{Places: [2]int{r.First, r.Last}, Prize: r.Prize})
	}
	var defaults []string
	for _, p := range oreq.Players {
		defaults = append(defaults, p.ID)
	}
	cap := 0.6
	req := &schema.PortfolioRequest{Site: oreq.Site, Sport: oreq.Sport, Mode: oreq.Mode, Players: oreq.Players, Lineups: 20,
		Candidates:  schema.CandidateSpec{Generate: &schema.CandidateGeneration{Count: cands}},
		Contest:     schema.ContestSpec{EntryFee: pt.EntryFee, Size: pt.FieldSize, Payouts: pay},
		Constraints: schema.PortfolioConstraints{MaxExposure: &cap},
		Sims:        sims, Seed: 12, DefaultStdDev: defaults}
	res, err := Select(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 20 || res.Stats.FieldSize != pt.FieldSize-20 {
		t.Fatalf("entries %d, field %d; warnings %v", len(res.Entries), res.Stats.FieldSize, res.Warnings)
	}
	for id, x := range res.Exposures {
		if x > cap+1e-9 {
			t.Errorf("exposure of %s is %g", id, x)
		}
	}
	var alone float64
	for _, e := range res.Entries {
		alone += e.AloneMeanPayout
	}
	t.Logf("%d candidates, %d sims: roi %.3f (p05 %.0f p95 %.0f); sum of entries alone %.2f vs together %.2f; generate %d ms, sim %d ms, select %d ms, %d evaluations, %d standings",
		res.Candidates, sims, res.Portfolio.ROI, res.Portfolio.P05, res.Portfolio.P95, alone, res.Portfolio.MeanPayout,
		res.Stats.GenerateMS, res.Stats.SimMS, res.Stats.SelectMS, res.Stats.Evaluations, res.Stats.Standings)
}

// skipWithoutData skips a real-data test whose files in ../shared/data are
// missing, except on CI (CI=true), where the data must be present and the
// test fails instead of passing silently.
func skipWithoutData(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but the real data is missing: "+format, args...)
	}
	t.Skipf("SKIPPING real-data test: "+format, args...)
}
