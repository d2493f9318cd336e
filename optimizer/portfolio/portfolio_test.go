package portfolio

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// handSlate is a DK NFL classic slate with fixed (stddev 0) players.
func handSlate() []slate.Player {
	mk := func(id, pos, team, opp, game string, sal int, proj float64) slate.Player {
		return slate.Player{ID: id, Positions: []string{pos}, Team: team, Opponent: opp, Game: game, Salary: sal, Projection: proj, Ownership: 0.1}
	}
	return []slate.Player{
		mk("q", "QB", "AAA", "BBB", "AAA@BBB", 7000, 20),
		mk("r1", "RB", "AAA", "BBB", "AAA@BBB", 6000, 10),
		mk("r2", "RB", "BBB", "AAA", "AAA@BBB", 6000, 10),
		mk("r3", "RB", "CCC", "DDD", "CCC@DDD", 4000, 5),
		mk("w1", "WR", "AAA", "BBB", "AAA@BBB", 5000, 10),
		mk("w2", "WR", "BBB", "AAA", "AAA@BBB", 5000, 10),
		mk("w3", "WR", "CCC", "DDD", "CCC@DDD", 5000, 10),
		mk("wa", "WR", "DDD", "CCC", "CCC@DDD", 5000, 12),
		mk("wd", "WR", "DDD", "CCC", "CCC@DDD", 5000, 12),
		mk("wc", "WR", "CCC", "DDD", "CCC@DDD", 5000, 10),
		mk("w11", "WR", "CCC", "DDD", "CCC@DDD", 5000, 11),
		mk("w9", "WR", "CCC", "DDD", "CCC@DDD", 4000, 9),
		mk("t", "TE", "AAA", "BBB", "AAA@BBB", 3000, 5),
		mk("d", "DST", "DDD", "CCC", "CCC@DDD", 2500, 5),
	}
}

// handRequest: candidates A (87 points), B (87), C (85); field 86 and 84;
// places 1-3 pay 100, 50, 20. Best pair: A and B tie for first and share
// places 1-2 (150); A and C take places 1 and 3 (120).
func handRequest() *schema.PortfolioRequest {
	base := []string{"q", "r1", "r2", "w1", "w2", "w3", "t", "r3", "d"}
	swap := func(id string) []string { l := slices.Clone(base); l[5] = id; return l }
	return &schema.PortfolioRequest{Site: "draftkings", Sport: "nfl", Players: handSlate(), Lineups: 2,
		Candidates: schema.CandidateSpec{Lineups: [][]string{swap("wa"), swap("wd"), swap("wc")}},
		Field:      schema.FieldSpec{Lineups: [][]string{swap("w11"), swap("w9")}},
		Contest: schema.ContestSpec{EntryFee: 10, Payouts: []schema.PayoutRange{
			{Places: [2]int{1, 1}, Prize: 100}, {Places: [2]int{2, 2}, Prize: 50}, {Places: [2]int{3, 3}, Prize: 20}}},
		Sims: 20, Seed: 1}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestHandComputed(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	cases := []struct {
		name      string
		lineups   int
		caps      schema.PortfolioConstraints
		chosen    []int
		pays      []float64
		gains     []float64
		total     float64
		warnCount int
	}{
		{"tie for first beats first and third", 2, schema.PortfolioConstraints{}, []int{0, 1}, []float64{75, 75}, []float64{100, 50}, 150, 0},
		{"exposure cap forbids B", 2, schema.PortfolioConstraints{Exposures: map[string]schema.ExposureRange{"wd": {Max: f(0)}}},
			[]int{0, 2}, []float64{100, 20}, []float64{100, 20}, 120, 0},
		{"third entry pushed out of the money", 3, schema.PortfolioConstraints{}, []int{0, 1, 2}, []float64{75, 75, 0}, []float64{100, 50, 0}, 150, 0},
		{"max exposure 0.5 leaves one entry", 2, schema.PortfolioConstraints{MaxExposure: f(0.5)}, []int{0}, []float64{100}, []float64{100}, 100, 1},
	}
	for _, tc := range cases {
		for _, lazy := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/lazy=%v", tc.name, lazy), func(t *testing.T) {
				req := handRequest()
				req.Lineups = tc.lineups
				req.Constraints = tc.caps
				res, err := selectPortfolio(context.Background(), req, nil, lazy, contest.Options{})
				if err != nil {
					t.Fatal(err)
				}
				var got []int
				for i, e := range res.Entries {
					got = append(got, e.Candidate)
					if !near(e.MeanPayout, tc.pays[i]) || !near(e.MarginalGain, tc.gains[i]) {
						t.Errorf("entry %d: payout %g gain %g, want %g %g", i, e.MeanPayout, e.MarginalGain, tc.pays[i], tc.gains[i])
					}
				}
				if !slices.Equal(got, tc.chosen) {
					t.Fatalf("chosen %v, want %v", got, tc.chosen)
				}
				if !near(res.Portfolio.MeanPayout, tc.total) || res.Portfolio.P05 != tc.total || res.Portfolio.P95 != tc.total {
					t.Errorf("portfolio %+v, want %g", res.Portfolio, tc.total)
				}
				fees := 10 * float64(len(tc.chosen))
				if !near(res.Portfolio.ROI, (tc.total-fees)/fees) {
					t.Errorf("roi %g", res.Portfolio.ROI)
				}
				if len(res.Warnings) != tc.warnCount {
					t.Errorf("warnings %q", res.Warnings)
				}
			})
		}
	}
}

func TestHandAloneAndRates(t *testing.T) {
	res, err := Select(context.Background(), handRequest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Entries[0], res.Entries[1]
	if a.AloneMeanPayout != 100 || b.AloneMeanPayout != 100 || a.WinRate != 0.5 || b.CashRate != 1 || a.ROI != 6.5 {
		t.Errorf("entries %+v %+v", a, b)
	}
	if res.Exposures["q"] != 1 || res.Exposures["wa"] != 0.5 || res.Exposures["wd"] != 0.5 {
		t.Errorf("exposures %v", res.Exposures)
	}
	if res.Candidates != 3 || res.Sims != 20 || res.Stats.FieldSize != 2 {
		t.Errorf("counts %+v", res)
	}
}

// syntheticSlate: games×2 NFL teams; ownership grows with value.
func syntheticSlate(games int) []slate.Player {
	roster := []struct {
		pos      string
		proj, sd float64
		sal      int
	}{{"QB", 20, 7.5, 7200}, {"RB", 15, 7, 7400}, {"RB", 9, 5, 5200}, {"RB", 4, 3, 4000}, {"WR", 16, 7.5, 7600},
		{"WR", 12, 6.5, 6000}, {"WR", 8, 5.5, 4600}, {"WR", 5, 4, 3500}, {"WR", 3, 3, 3000}, {"TE", 9, 6, 4800},
		{"TE", 4, 3, 2800}, {"DST", 7, 5, 3000}}
	var ps []slate.Player
	for g := range games {
		home, away := fmt.Sprintf("H%02d", g), fmt.Sprintf("A%02d", g)
		for side, teams := range [][2]string{{away, home}, {home, away}} {
			for k, r := range roster {
				bump := float64((g*7+side*3+k)%5) - 2
				proj := r.proj + bump*0.08*r.proj
				own := 0.02 + 0.3*math.Max(0, proj*1000/float64(r.sal)-1.2)
				ps = append(ps, slate.Player{ID: fmt.Sprintf("%s-%s-%d", teams[0], r.pos, k), Positions: []string{r.pos},
					Team: teams[0], Opponent: teams[1], Game: away + "@" + home, Salary: r.sal + 100*int(bump),
					Projection: proj, StdDev: r.sd, Ownership: math.Min(own, 0.6)})
			}
		}
	}
	return ps
}

// gppPayouts pays the top 20 % of total lineups, steeply decreasing.
func gppPayouts(total int, fee float64) []schema.PayoutRange {
	var pay []schema.PayoutRange
	place, prize := 1, 0.2*float64(total)*fee*0.85
	for place <= total/5 {
		end := min(place+max(1, place/2)-1, total/5)
		pay = append(pay, schema.PayoutRange{Places: [2]int{place, end}, Prize: math.Round(prize*100) / 100})
		prize = math.Max(prize/1.9, 2*fee)
		place = end + 1
	}
	return pay
}

func generatedRequest(games, lineups, candidates, field, sims int, seed uint64) *schema.PortfolioRequest {
	return &schema.PortfolioRequest{Site: "draftkings", Sport: "nfl", Players: syntheticSlate(games), Lineups: lineups,
		Candidates: schema.CandidateSpec{Generate: &schema.CandidateGeneration{Count: candidates}},
		Field:      schema.FieldSpec{Size: field},
		Contest:    schema.ContestSpec{EntryFee: 20, Payouts: gppPayouts(field+lineups, 20)},
		Sims:       sims, Seed: seed}
}

func TestExposureCapsRespected(t *testing.T) {
	req := generatedRequest(3, 10, 60, 300, 500, 4)
	half, fifth := 0.5, 0.2
	req.Constraints = schema.PortfolioConstraints{MaxExposure: &half}
	res, err := Select(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The top QB under a 0.2 cap: at most 2 of 10.
	top := ""
	for id, x := range res.Exposures {
		if top == "" || x > res.Exposures[top] || x == res.Exposures[top] && id < top {
			top = id
		}
	}
	req.Constraints.Exposures = map[string]schema.ExposureRange{top: {Max: &fifth}}
	res2, err := Select(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*schema.PortfolioSelection{res, res2} {
		if len(r.Entries) != 10 {
			t.Fatalf("%d entries, warnings %v", len(r.Entries), r.Warnings)
		}
		for id, x := range r.Exposures {
			if x > 0.5+1e-9 {
				t.Errorf("exposure of %s is %g > 0.5", id, x)
			}
		}
		seen := map[int]bool{}
		for _, e := range r.Entries {
			if seen[e.Candidate] {
				t.Errorf("candidate %d chosen twice", e.Candidate)
			}
			seen[e.Candidate] = true
		}
	}
	if res2.Exposures[top] > 0.2+1e-9 {
		t.Errorf("capped player %s at %g", top, res2.Exposures[top])
	}
	t.Logf("top %s: %g -> %g; roi %g -> %g", top, res.Exposures[top], res2.Exposures[top], res.Portfolio.ROI, res2.Portfolio.ROI)
}

// TestMatchesContestSim checks the reported payouts of the chosen entries
// against contest.Simulate of the same entries in the same field and sims.
// The candidates are field lineups, so both runs model the same players
// (and draw the same outcomes).
func TestMatchesContestSim(t *testing.T) {
	ps := syntheticSlate(2)
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	lus, err := contest.GenerateField(context.Background(), rules, ps, 400, 11)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([][]string, len(lus))
	for i, lu := range lus {
		for _, pi := range lu {
			ids[i] = append(ids[i], ps[pi].ID)
		}
	}
	field, cands := ids[:300], ids[300:]
	pay := gppPayouts(300+8, 10)
	req := &schema.PortfolioRequest{Site: "draftkings", Sport: "nfl", Players: ps, Lineups: 8,
		Candidates: schema.CandidateSpec{Lineups: append(slices.Clone(cands), field[:50]...)},
		Field:      schema.FieldSpec{Lineups: field}, Contest: schema.ContestSpec{EntryFee: 10, Payouts: pay},
		Sims: 1000, Seed: 5}
	res, err := Select(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var entries [][]string
	for _, e := range res.Entries {
		entries = append(entries, e.Players)
	}
	cres, err := contest.Simulate(context.Background(), &schema.ContestSimRequest{Site: "draftkings", Sport: "nfl", Players: ps,
		Entries: entries, Field: schema.FieldSpec{Lineups: field}, Contest: schema.ContestSpec{EntryFee: 10, Payouts: pay},
		Sims: 1000, Seed: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range res.Entries {
		c := cres.Entries[i]
		if math.Abs(e.MeanPayout-c.MeanPayout) > 1e-5 || math.Abs(e.WinRate-c.WinRate) > 1e-6 || math.Abs(e.CashRate-c.CashRate) > 1e-12 {
			t.Errorf("entry %d: portfolio %+v, contest %+v", i, e, c)
		}
	}
	if math.Abs(res.Portfolio.MeanPayout-cres.Portfolio.MeanPayout) > 1e-4 ||
		math.Abs(res.Portfolio.P95-cres.Portfolio.P95) > 1e-4 {
		t.Errorf("portfolio %+v, contest %+v", res.Portfolio, cres.Portfolio)
	}
	// The sum of marginal gains is the portfolio's expected payout.
	sum := 0.0
	for _, e := range res.Entries {
		sum += e.MarginalGain
	}
	if math.Abs(sum-res.Portfolio.MeanPayout) > 1e-6 {
		t.Errorf("sum of gains %g != portfolio mean %g", sum, res.Portfolio.MeanPayout)
	}
	t.Logf("portfolio roi %.3f (contest %.3f); evaluations %d of %d candidates", res.Portfolio.ROI, cres.Portfolio.ROI, res.Stats.Evaluations, res.Candidates)
}

// TestLazyCloseToPlain compares the lazy greedy with the plain greedy.
func TestLazyCloseToPlain(t *testing.T) {
	req := generatedRequest(3, 20, 80, 500, 800, 8)
	lazy, err := selectPortfolio(context.Background(), req, nil, true, contest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := selectPortfolio(context.Background(), req, nil, false, contest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, p := lazy.Portfolio.MeanPayout, plain.Portfolio.MeanPayout
	if l < p*0.99 {
		t.Errorf("lazy greedy %g vs plain %g", l, p)
	}
	if lazy.Stats.Evaluations >= plain.Stats.Evaluations {
		t.Errorf("lazy evaluated %d, plain %d", lazy.Stats.Evaluations, plain.Stats.Evaluations)
	}
	t.Logf("lazy %.4f (%d evals), plain %.4f (%d evals)", l, lazy.Stats.Evaluations, p, plain.Stats.Evaluations)
}

func TestDeterministic(t *testing.T) {
	req := generatedRequest(2, 5, 30, 200, 300, 2)
	a, err := Select(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Select(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Entries {
		if a.Entries[i].Candidate != b.Entries[i].Candidate || a.Entries[i].MeanPayout != b.Entries[i].MeanPayout {
			t.Fatalf("run 1 %+v, run 2 %+v", a.Entries[i], b.Entries[i])
		}
	}
}

func TestValidation(t *testing.T) {
	req := handRequest()
	req.Lineups = 5
	one := 0.1
	req.Constraints.Exposures = map[string]schema.ExposureRange{"q": {Min: &one}}
	_, err := Select(context.Background(), req, nil)
	ve, ok := err.(*schema.ValidationError)
	if !ok {
		t.Fatalf("err %v", err)
	}
	fields := map[string]bool{}
	for _, e := range ve.Errors {
		fields[e.Field] = true
	}
	if !fields["candidates"] || !fields["constraints.exposures.q.min"] {
		t.Errorf("errors %+v", ve.Errors)
	}
	req = handRequest()
	req.Candidates.Lineups[1][0] = "nobody"
	if _, err := Select(context.Background(), req, nil); err == nil {
		t.Error("unknown player accepted")
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Select(ctx, generatedRequest(2, 5, 20, 200, 5000, 1), nil); err == nil {
		t.Error("canceled run succeeded")
	}
}

// BenchmarkSelect: 150 entries from 1,000 candidates against a 10,000-lineup
// field × 2,000 sims (candidates given, so generation is not timed).
func BenchmarkSelect(b *testing.B) {
	ps := syntheticSlate(8)
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	lus, err := contest.GenerateField(context.Background(), rules, ps, 1000, 77)
	if err != nil {
		b.Fatal(err)
	}
	var cands [][]string
	for _, lu := range lus {
		var ids []string
		for _, pi := range lu {
			ids = append(ids, ps[pi].ID)
		}
		cands = append(cands, ids)
	}
	half := 0.5
	req := &schema.PortfolioRequest{Site: "draftkings", Sport: "nfl", Players: ps, Lineups: 150,
		Candidates: schema.CandidateSpec{Lineups: cands}, Field: schema.FieldSpec{Size: 10000},
		Contest:     schema.ContestSpec{EntryFee: 20, Payouts: gppPayouts(10150, 20)},
		Constraints: schema.PortfolioConstraints{MaxExposure: &half}, Sims: 2000, Seed: 3}
	b.ResetTimer()
	var res *schema.PortfolioSelection
	for i := 0; i < b.N; i++ {
		if res, err = Select(context.Background(), req, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Stats.SimMS), "sim-ms")
	b.ReportMetric(float64(res.Stats.SelectMS), "select-ms")
	b.ReportMetric(float64(res.Stats.Evaluations), "evaluations")
	b.ReportMetric(float64(res.Stats.Standings), "standings")
}
