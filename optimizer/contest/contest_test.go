package contest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

func ptrFalse() *bool { f := false; return &f }

// handSlate is a DK NFL classic slate of fixed players over two games.
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
		mk("wb", "WR", "DDD", "CCC", "CCC@DDD", 4000, 8),
		mk("wc", "WR", "CCC", "DDD", "CCC@DDD", 5000, 10),
		mk("t", "TE", "AAA", "BBB", "AAA@BBB", 3000, 5),
		mk("d", "DST", "DDD", "CCC", "CCC@DDD", 2500, 5),
	}
}

// handRequest: entries base (85 points) and wa (87); field base, wb (83),
// wc (85), wa (87), wb (83). Sorted: 87 87 | 85 85 85 | 83 83.
func handRequest() *schema.ContestSimRequest {
	base := []string{"q", "r1", "r2", "w1", "w2", "w3", "t", "r3", "d"}
	swap := func(id string) []string { l := slices.Clone(base); l[5] = id; return l }
	// Classic order is free: give one lineup shuffled.
	shuffled := []string{"d", "r3", "t", "wc", "w2", "w1", "r2", "r1", "q"}
	return &schema.ContestSimRequest{Site: "draftkings", Sport: "nfl", Players: handSlate(),
		Entries: [][]string{base, swap("wa")},
		Field:   schema.FieldSpec{Lineups: [][]string{base, swap("wb"), shuffled, swap("wa"), swap("wb")}},
		Contest: schema.ContestSpec{EntryFee: 10, Payouts: []schema.PayoutRange{
			{Places: [2]int{1, 1}, Prize: 100}, {Places: [2]int{2, 3}, Prize: 50}, {Places: [2]int{4, 5}, Prize: 20}}},
		Sims: 50, Seed: 1}
}

// TestHandComputed checks exact payouts with ties against a hand computation.
func TestHandComputed(t *testing.T) {
	for _, ranking := range []string{"histogram", "sorted"} {
		t.Run(ranking, func(t *testing.T) {
			req := handRequest()
			p, err := Prepare(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if ranking == "sorted" {
				p.histLimit = 0
			}
			part, err := RunChunk(context.Background(), p, 0, p.Sims)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Merge(p, []Partial{part})
			if err != nil {
				t.Fatal(err)
			}
			// Entry 1 ties field wa for places 1-2: (100+50)/2 = 75, win 1/2.
			// Entry 0 ties field base and wc for places 3-5: (50+20+20)/3 = 30.
			want := []schema.EntryResult{
				{Index: 0, MeanPayout: 30, ROI: 2, WinRate: 0, Top1Rate: 0, Top10Rate: 0, CashRate: 1, MeanRank: 4, FieldDuplicates: 1, Projection: 85},
				{Index: 1, MeanPayout: 75, ROI: 6.5, WinRate: 0.5, Top1Rate: 0.5, Top10Rate: 0.5, CashRate: 1, MeanRank: 1.5, FieldDuplicates: 1, Projection: 87},
			}
			for e, w := range want {
				g := res.Entries[e]
				vals := [][3]any{{"mean_payout", g.MeanPayout, w.MeanPayout}, {"roi", g.ROI, w.ROI}, {"win", g.WinRate, w.WinRate},
					{"top1", g.Top1Rate, w.Top1Rate}, {"top10", g.Top10Rate, w.Top10Rate}, {"cash", g.CashRate, w.CashRate},
					{"rank", g.MeanRank, w.MeanRank}, {"proj", g.Projection, w.Projection}}
				for _, v := range vals {
					if math.Abs(v[1].(float64)-v[2].(float64)) > 1e-6 {
						t.Errorf("entry %d %s = %.9g, want %g", e, v[0], v[1], v[2])
					}
				}
				if g.FieldDuplicates != w.FieldDuplicates {
					t.Errorf("entry %d duplicates %d, want %d", e, g.FieldDuplicates, w.FieldDuplicates)
				}
			}
			pf := res.Portfolio
			if pf.MeanPayout != 105 || pf.ROI != 4.25 || pf.P05 != 105 || pf.P95 != 105 {
				t.Errorf("portfolio %+v, want mean 105 roi 4.25 p05=p95=105", pf)
			}
			if res.Stats.UniqueLineups != 4 {
				t.Errorf("unique lineups %d, want 4", res.Stats.UniqueLineups)
			}
		})
	}
}

// TestTieSplitTable covers tie groups across prize boundaries.
func TestTieSplitTable(t *testing.T) {
	// 10 lineups; prizes 1:100 2:60 3-4:30 5-10:0; fee 5.
	payouts := []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 100}, {Places: [2]int{2, 2}, Prize: 60}, {Places: [2]int{3, 4}, Prize: 30}}
	cases := []struct {
		name       string
		g, t       int
		pay, win   float64
		top1, rank float64
	}{
		{"alone first", 0, 1, 100, 1, 1, 1},
		{"2-way first", 0, 2, 80, 0.5, 0.5, 1.5},
		{"3-way first", 0, 3, 190.0 / 3, 1.0 / 3, 1.0 / 3, 2},
		{"straddles cash line", 3, 3, 10, 0, 0, 5},
		{"out of money", 5, 2, 0, 0, 0, 6.5},
		{"all tied", 0, 10, 22, 0.1, 0.1, 5.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Prepared{entries: []int32{0}, total: 10, top1Cut: 1, top10Cut: 1, paid: 4}
			p.prefix = []int64{0, 100e6, 160e6, 190e6, 220e6, 220e6, 220e6, 220e6, 220e6, 220e6, 220e6}
			_ = payouts
			s := &simState{p: p}
			acc := newPartial(1, 0, 1)
			pay := s.settle(0, c.g, c.t, &acc)
			if math.Abs(float64(pay)/moneyScale-c.pay) > 1e-6 {
				t.Errorf("pay %g, want %g", float64(pay)/moneyScale, c.pay)
			}
			if math.Abs(float64(acc.Win[0])/creditScale-c.win) > 1e-9 {
				t.Errorf("win %g, want %g", float64(acc.Win[0])/creditScale, c.win)
			}
			if math.Abs(float64(acc.Top1[0])/creditScale-c.top1) > 1e-9 {
				t.Errorf("top1 %g, want %g", float64(acc.Top1[0])/creditScale, c.top1)
			}
			if float64(acc.Rank2[0])/2 != c.rank {
				t.Errorf("rank %g, want %g", float64(acc.Rank2[0])/2, c.rank)
			}
		})
	}
}

// TestHeadToHead: two lineups differing in one independent normal player;
// the win rate must match Φ(Δμ/√(σa²+σb²)) within Monte Carlo error.
func TestHeadToHead(t *testing.T) {
	sims := 40000
	if testing.Short() {
		sims = 10000
	}
	ps := handSlate()
	for i := range ps {
		ps[i].StdDev = 3 + float64(i%3) // shared players vary too
	}
	idx := func(id string) int { return slices.IndexFunc(ps, func(p slate.Player) bool { return p.ID == id }) }
	ps[idx("wa")].Projection, ps[idx("wa")].StdDev = 15, 6
	ps[idx("wb")].Projection, ps[idx("wb")].StdDev = 12, 5
	a := []string{"q", "r1", "r2", "w1", "w2", "wa", "t", "r3", "d"}
	b := []string{"q", "r1", "r2", "w1", "w2", "wb", "t", "r3", "d"}
	req := &schema.ContestSimRequest{Site: "dk", Sport: "nfl", Players: ps, Entries: [][]string{a},
		Field:   schema.FieldSpec{Lineups: [][]string{b}},
		Contest: schema.ContestSpec{EntryFee: 1, Payouts: []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 1.8}}},
		Sims:    sims, Seed: 42,
		OutcomeModel: schema.OutcomeModel{Distribution: "normal"}, Correlation: schema.CorrelationOptions{Enabled: ptrFalse()}}
	res, err := Simulate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	pWin := 0.5 * math.Erfc(-(15-12)/math.Sqrt(36+25)/math.Sqrt2)
	se := math.Sqrt(pWin * (1 - pWin) / float64(sims))
	e := res.Entries[0]
	if math.Abs(e.WinRate-pWin) > 4*se {
		t.Errorf("win rate %.4f, analytic %.4f (se %.4f)", e.WinRate, pWin, se)
	}
	if math.Abs(e.MeanPayout-1.8*e.WinRate) > 1e-6 {
		t.Errorf("mean payout %.6f != 1.8 × win rate %.6f", e.MeanPayout, e.WinRate)
	}
	if math.Abs(e.MeanRank-(2-e.WinRate)) > 1e-6 {
		t.Errorf("mean rank %.6f, want 2 - win rate", e.MeanRank)
	}
	t.Logf("win rate %.4f, analytic %.4f ± %.4f", e.WinRate, pWin, se)
}

// TestChunksMergeExactly: any split of the sims, and any number of
// goroutines, gives the identical result.
func TestChunksMergeExactly(t *testing.T) {
	req := syntheticRequest(3, 20, 300, 997, 5)
	p, err := Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	p.Workers = 1
	one, err := RunChunk(context.Background(), p, 0, p.Sims)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Merge(p, []Partial{one})
	if err != nil {
		t.Fatal(err)
	}
	p.Workers = 3
	var parts []Partial
	for _, r := range [][2]int{{500, 997}, {0, 1}, {1, 333}, {333, 500}} {
		part, err := RunChunk(context.Background(), p, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part)
	}
	split, err := Merge(p, parts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(whole, split) {
		t.Fatalf("split run differs from the single run:\n%+v\n%+v", whole.Portfolio, split.Portfolio)
	}
	// Partials travel as JSON between workers.
	for i := range parts {
		b, err := json.Marshal(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = Partial{}
		if err := json.Unmarshal(b, &parts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if viaJSON, err := Merge(p, parts); err != nil || !reflect.DeepEqual(whole, viaJSON) {
		t.Fatalf("merge after JSON differs (%v)", err)
	}
	if _, err := Merge(p, parts[:3]); err == nil {
		t.Error("merge of partials with a gap succeeded")
	}
	// A fresh Prepare (another worker) gives the same contest.
	p2, _ := Prepare(context.Background(), req)
	part, _ := RunChunk(context.Background(), p2, 0, p2.Sims)
	again, _ := Merge(p2, []Partial{part})
	if !reflect.DeepEqual(whole, again) {
		t.Fatal("re-prepared contest differs")
	}
	// Histogram and sorted ranking agree on a random contest.
	p.histLimit = 0
	part, _ = RunChunk(context.Background(), p, 0, p.Sims)
	sorted, _ := Merge(p, []Partial{part})
	if !reflect.DeepEqual(whole, sorted) {
		t.Fatal("sorted ranking differs from the histogram ranking")
	}
}

// TestShowdownCaptain: the first id is the captain at 1.5×.
func TestShowdownCaptain(t *testing.T) {
	ps := handSlate()[:6]
	for i := range ps {
		ps[i].Game, ps[i].Team, ps[i].Opponent = "AAA@BBB", []string{"AAA", "BBB"}[i%2], []string{"BBB", "AAA"}[i%2]
		ps[i].Projection = float64(10 + i)
		ps[i].Salary = 5000
	}
	ids := []string{"q", "r1", "r2", "r3", "w1", "w2"} // 10..15
	capQ := ids
	capW2 := []string{"w2", "q", "r1", "r2", "r3", "w1"}
	req := &schema.ContestSimRequest{Site: "dk", Sport: "nfl", Mode: "showdown", Players: ps,
		Entries: [][]string{capQ}, Field: schema.FieldSpec{Lineups: [][]string{capW2}},
		Contest: schema.ContestSpec{EntryFee: 1, Payouts: []schema.PayoutRange{{Places: [2]int{1, 1}, Prize: 2}}}, Sims: 10}
	res, err := Simulate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 75 + 5 (captain q 10 → 15) = 80 < 75 + 7.5 = 82.5
	if e := res.Entries[0]; e.WinRate != 0 || e.MeanRank != 2 || e.Projection != 80 {
		t.Errorf("captain q entry: %+v", e)
	}
}

func TestPrepareErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*schema.ContestSimRequest)
		field string
	}{
		{"unknown player", func(r *schema.ContestSimRequest) { r.Entries[0][0] = "zz" }, "entries[0][0]"},
		{"wrong size", func(r *schema.ContestSimRequest) { r.Entries[0] = r.Entries[0][:8] }, "entries[0]"},
		{"two QBs", func(r *schema.ContestSimRequest) {
			r.Players[1].Positions = []string{"QB"}
		}, "entries[0]"},
		{"no fee", func(r *schema.ContestSimRequest) { r.Contest.EntryFee = 0 }, "contest.entry_fee"},
		{"overlapping payouts", func(r *schema.ContestSimRequest) { r.Contest.Payouts[1].Places = [2]int{1, 3} }, "contest.payouts[1].places"},
		{"bad distribution", func(r *schema.ContestSimRequest) { r.OutcomeModel.Distribution = "x" }, "outcome_model.distribution"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := handRequest()
			c.edit(r)
			_, err := Simulate(context.Background(), r, nil)
			ve, ok := err.(*schema.ValidationError)
			if !ok {
				t.Fatalf("error %v, want a ValidationError", err)
			}
			if !slices.ContainsFunc(ve.Errors, func(e schema.FieldError) bool { return e.Field == c.field }) {
				t.Fatalf("errors %+v do not name %s", ve.Errors, c.field)
			}
		})
	}
}

// TestGenerateField checks validity, salary usage and ownership weighting.
func TestGenerateField(t *testing.T) {
	for _, tc := range []struct {
		sport slate.Sport
		mode  slate.Mode
	}{{slate.NFL, slate.Classic}, {slate.NFL, slate.Showdown}} {
		t.Run(string(tc.mode), func(t *testing.T) {
			ps := syntheticSlate(8)
			if tc.mode == slate.Showdown {
				ps = ps[:26]
				for i := range ps {
					ps[i].Salary = ps[i].Salary * 3 / 2
				}
			}
			rules, _ := slate.RulesFor(slate.DraftKings, tc.sport, tc.mode)
			n := 4000
			field, err := GenerateField(context.Background(), rules, ps, n, 7)
			if err != nil {
				t.Fatal(err)
			}
			exposure := make([]float64, len(ps))
			var salaries []int
			for _, lu := range field {
				seen := map[int]bool{}
				for s, pi := range lu {
					if !rules.Slots[s].Accepts(ps[pi].Positions) || seen[pi] {
						t.Fatalf("invalid lineup %v", lu)
					}
					seen[pi] = true
					exposure[pi]++
				}
				sal := lineupSalary(rules, ps, lu)
				if sal > rules.SalaryCap || !validTeams(rules, ps, lu) {
					t.Fatalf("lineup breaks the rules: %v (salary %d)", lu, sal)
				}
				salaries = append(salaries, sal)
			}
			slices.Sort(salaries)
			med, p10 := salaries[n/2], salaries[n/10]
			t.Logf("salary p10 %d median %d max %d", p10, med, salaries[n-1])
			if med < rules.SalaryCap-700 || p10 < rules.SalaryCap-2500 {
				t.Errorf("salary usage too low: p10 %d median %d", p10, med)
			}
			// Higher-owned players are rostered more (same position, similar salary band).
			if tc.mode == slate.Classic {
				hi, lo := 0.0, 0.0
				for i := range ps {
					if ps[i].Positions[0] == "WR" {
						if ps[i].Ownership >= 0.2 {
							hi += exposure[i]
						} else {
							lo += exposure[i]
						}
					}
				}
				if hi <= lo/4 {
					t.Errorf("ownership weighting weak: high-owned WR exposure %g vs low %g", hi, lo)
				}
			}
		})
	}
}

// syntheticSlate: games×2 NFL teams of 13 players; ownership grows with
// projection per dollar.
func syntheticSlate(games int) []slate.Player {
	roster := []struct {
		pos      string
		proj, sd float64
		sal      int
	}{{"QB", 20, 7.5, 7200}, {"RB", 15, 7, 7400}, {"RB", 9, 5, 5200}, {"RB", 4, 3, 4000}, {"WR", 16, 7.5, 7600},
		{"WR", 12, 6.5, 6000}, {"WR", 8, 5.5, 4600}, {"WR", 5, 4, 3500}, {"WR", 3, 3, 3000}, {"TE", 9, 6, 4800},
		{"TE", 4, 3, 2800}, {"K", 8, 4, 4500}, {"DST", 7, 5, 3000}}
	var ps []slate.Player
	for g := range games {
		home, away := fmt.Sprintf("H%02d", g), fmt.Sprintf("A%02d", g)
		for side, teams := range [][2]string{{away, home}, {home, away}} {
			for k, r := range roster {
				bump := float64((g*7+side*3+k)%5) - 2 // vary projections across teams
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

// syntheticRequest builds a DK NFL classic contest over games games with
// entries generated lineups and a generated field of fieldSize.
func syntheticRequest(games, entries, fieldSize, sims int, seed uint64) *schema.ContestSimRequest {
	ps := syntheticSlate(games)
	rules, _ := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	lus, err := GenerateField(context.Background(), rules, ps, entries, seed+1000)
	if err != nil {
		panic(err)
	}
	ent := make([][]string, len(lus))
	for i, lu := range lus {
		for _, pi := range lu {
			ent[i] = append(ent[i], ps[pi].ID)
		}
	}
	total := entries + fieldSize
	// A GPP-like table: top 20 % paid, steeply decreasing.
	var pay []schema.PayoutRange
	place := 1
	prize := 0.2 * float64(total) * 20 * 0.85
	for place <= total/5 {
		width := max(1, place/2)
		end := min(place+width-1, total/5)
		pay = append(pay, schema.PayoutRange{Places: [2]int{place, end}, Prize: math.Round(prize*100) / 100})
		prize = math.Max(prize/1.9, 40)
		place = end + 1
	}
	return &schema.ContestSimRequest{Site: "dk", Sport: "nfl", Players: ps, Entries: ent,
		Field:   schema.FieldSpec{Size: fieldSize},
		Contest: schema.ContestSpec{EntryFee: 20, Size: total, Payouts: pay}, Sims: sims, Seed: seed}
}

func TestSyntheticContest(t *testing.T) {
	req := syntheticRequest(6, 30, 2000, 2000, 3)
	var calls int
	res, err := Simulate(context.Background(), req, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("no progress")
	}
	var sumPay float64
	for _, e := range res.Entries {
		sumPay += e.MeanPayout
		if e.WinRate < 0 || e.WinRate > 1 || e.CashRate < e.Top10Rate-1e-9 && e.CashRate > 0 {
			t.Errorf("entry %+v", e)
		}
	}
	if math.Abs(sumPay-res.Portfolio.MeanPayout) > 1e-6 {
		t.Errorf("portfolio mean %g != sum of entries %g", res.Portfolio.MeanPayout, sumPay)
	}
	if res.Portfolio.P05 > res.Portfolio.P95 {
		t.Errorf("portfolio quantiles %+v", res.Portfolio)
	}
	t.Logf("portfolio %+v, stats %+v, warnings %v", res.Portfolio, res.Stats, res.Warnings)
	_ = outcome.DefaultStdDev
}

func TestCancel(t *testing.T) {
	req := syntheticRequest(4, 10, 2000, 100000, 1)
	p, err := Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err = RunChunkWithProgress(ctx, p, 0, p.Sims, func(done, total int) {
		calls++
		if done > 1000 {
			cancel()
		}
	})
	if err != context.Canceled {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if _, err := RunChunk(context.Background(), p, 5, 5); err == nil {
		t.Error("empty range accepted")
	}
	if _, err := RunChunk(context.Background(), p, 0, p.Sims+1); err == nil {
		t.Error("range beyond sims accepted")
	}
}

// TestRequestRoundTrip: the request document survives encoding (task
// payloads), explicit stddev 0 and omitted stddev included.
func TestRequestRoundTrip(t *testing.T) {
	req := handRequest()
	req.Players[0].StdDev = 5
	req.DefaultStdDev = []string{"q"}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var back schema.ContestSimRequest
	if err := schema.DecodeBytes(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*req, back) {
		t.Fatalf("round trip differs:\n%s", b)
	}
	doc := `{"site":"dk","sport":"nfl","players":[{"id":"a","positions":["QB"],"team":"X","salary":1,"projection":3}],
	  "entries":[["a"]],"contest":{"entry_fee":1,"payouts":[{"places":[1,1],"prize":1}]}}`
	if err := schema.DecodeBytes([]byte(doc), &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.DefaultStdDev, []string{"a"}) {
		t.Fatalf("default_stddev %v, want [a]", back.DefaultStdDev)
	}
}

// TestRankingPathsAgree compares the histogram ranking with the sorting
// one on random scores, including the widest range the histogram takes.
func TestRankingPathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, width := range []int{1, 7, 64, 65, 1000, histSize - 1, histSize} {
		const lineups, entries = 3000, 40
		p := &Prepared{total: 0, top1Cut: 30, top10Cut: 300, histLimit: histSize}
		p.weight = make([]int32, lineups)
		for u := range p.weight {
			p.weight[u] = 1 + int32(rng.IntN(3))
			p.total += int(p.weight[u])
		}
		for e := range entries {
			p.entries = append(p.entries, int32(e*7%lineups))
		}
		p.prefix = make([]int64, p.total+1)
		for k := 1; k <= p.total; k++ {
			p.prefix[k] = p.prefix[k-1]
			if k <= 500 {
				p.prefix[k] += int64(1000000 * (501 - k))
			}
		}
		p.paid = 500
		mk := func() *simState {
			return &simState{p: p, scores: make([]int32, lineups), fine: new([histSize]int32),
				coarse: new([histSize / 64]int32), suffix: new([histSize/64 + 1]int32)}
		}
		a, b := mk(), mk()
		for u := range a.scores {
			a.scores[u] = int32(1000 + rng.IntN(width))
		}
		lo := int32(math.MaxInt32)
		for _, u := range p.entries {
			lo = min(lo, a.scores[u])
		}
		a.scores[p.entries[0]] = 1000 // lowest entry at the bottom
		a.scores[lineups-1] = int32(1000 + width - 1)
		lo = 1000
		copy(b.scores, a.scores)
		pa, pb := newPartial(entries, 0, 1), newPartial(entries, 0, 1)
		ta := a.rankHistogram(lo, width, &pa)
		tb := b.rankSorted(lo, &pb)
		if ta != tb || !reflect.DeepEqual(pa, pb) {
			t.Fatalf("width %d: histogram and sorted ranking differ", width)
		}
		for _, c := range a.fine {
			if c != 0 {
				t.Fatalf("width %d: histogram not cleared", width)
			}
		}
	}
}
