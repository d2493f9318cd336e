package ownership

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

const tol = 1e-9

// syntheticSlate builds a seeded slate: for every listed position, n
// players per team over the given teams, salaries and projections drawn
// around position-typical levels.
func syntheticSlate(seed uint64, teams int, perPos map[string]int, multi bool) []slate.Player {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []slate.Player
	positions := make([]string, 0, len(perPos))
	for _, p := range []string{"QB", "RB", "WR", "TE", "DST", "PG", "SG", "SF", "PF", "C", "P", "1B", "2B", "3B", "SS", "OF", "W", "D", "G", "CPT"} {
		if perPos[p] > 0 {
			positions = append(positions, p)
		}
	}
	for t := 0; t < teams; t++ {
		team := fmt.Sprintf("T%02d", t)
		opp := fmt.Sprintf("T%02d", t^1)
		game := fmt.Sprintf("T%02d@T%02d", t&^1, t|1)
		for _, pos := range positions {
			for k := 0; k < perPos[pos]; k++ {
				sal := 3000 + 100*rng.IntN(60)
				proj := float64(sal)/1000*(2.2+rng.Float64()) + rng.NormFloat64()
				if rng.IntN(5) == 0 {
					proj = 0 // not expected to play
				}
				ps := []string{pos}
				if multi && rng.IntN(3) == 0 && pos != "C" {
					ps = append(ps, "C")
				}
				out = append(out, slate.Player{ID: fmt.Sprintf("%s-%s-%d", team, pos, k), Name: fmt.Sprintf("%s %s %d", team, pos, k),
					Positions: ps, Team: team, Opponent: opp, Game: game, Salary: sal, Projection: max(0, proj)})
			}
		}
	}
	return out
}

func mustRules(t *testing.T, site slate.Site, sport slate.Sport, mode slate.Mode) *slate.Rules {
	t.Helper()
	r, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestNormalizationInvariants checks, on real and synthetic slates of every
// supported format: ownership in [0, 1], the total equal to the roster size,
// and each position's sum equal to its dedicated slots plus its share of the
// flexible ones.
func TestNormalizationInvariants(t *testing.T) {
	type tc struct {
		name    string
		rules   *slate.Rules
		players []slate.Player
		// exact per-position sums; lower bounds for positions with flex
		exact, atLeast map[string]float64
	}
	fx := loadFixtures(t)
	cases := []tc{
		{"dk nfl 2019-09-08 (real)", fx[0].rules(t), fx[0].players,
			map[string]float64{"QB": 1, "DST": 1}, map[string]float64{"RB": 2, "WR": 3, "TE": 1}},
		{"dk nba 2025-01-12 (real)", fx[1].rules(t), fx[1].players, nil, nil},
		{"dk nfl synthetic", mustRules(t, slate.DraftKings, slate.NFL, slate.Classic),
			syntheticSlate(1, 20, map[string]int{"QB": 2, "RB": 4, "WR": 6, "TE": 3, "DST": 1}, false),
			map[string]float64{"QB": 1, "DST": 1}, map[string]float64{"RB": 2, "WR": 3, "TE": 1}},
		{"fd nfl synthetic", mustRules(t, slate.FanDuel, slate.NFL, slate.Classic),
			syntheticSlate(2, 10, map[string]int{"QB": 2, "RB": 4, "WR": 6, "TE": 3, "DST": 1}, false),
			map[string]float64{"QB": 1, "DST": 1}, map[string]float64{"RB": 2, "WR": 3, "TE": 1}},
		{"dk mlb synthetic", mustRules(t, slate.DraftKings, slate.MLB, slate.Classic),
			syntheticSlate(3, 12, map[string]int{"P": 3, "C": 2, "1B": 2, "2B": 2, "3B": 2, "SS": 2, "OF": 5}, false),
			map[string]float64{"P": 2, "C": 1, "1B": 1, "2B": 1, "3B": 1, "SS": 1, "OF": 3}, nil},
		{"dk nhl synthetic", mustRules(t, slate.DraftKings, slate.NHL, slate.Classic),
			syntheticSlate(4, 8, map[string]int{"C": 4, "W": 8, "D": 6, "G": 2}, false),
			map[string]float64{"G": 1}, map[string]float64{"C": 2, "W": 3, "D": 2}},
		{"dk nba synthetic multi-position", mustRules(t, slate.DraftKings, slate.NBA, slate.Classic),
			syntheticSlate(5, 8, map[string]int{"PG": 3, "SG": 3, "SF": 3, "PF": 3, "C": 2}, true), nil, nil},
		{"dk nfl showdown synthetic", mustRules(t, slate.DraftKings, slate.NFL, slate.Showdown),
			syntheticSlate(6, 2, map[string]int{"QB": 2, "RB": 4, "WR": 6, "TE": 3, "DST": 1}, false), nil, nil},
		{"fd nba single game synthetic", mustRules(t, slate.FanDuel, slate.NBA, slate.Showdown),
			syntheticSlate(7, 2, map[string]int{"PG": 3, "SG": 3, "SF": 3, "PF": 3, "C": 2}, false), nil, nil},
	}
	for _, c := range cases {
		for _, temp := range []float64{1, CashTemperature} {
			t.Run(fmt.Sprintf("%s/T=%.1f", c.name, temp), func(t *testing.T) {
				pred, err := Predict(context.Background(), c.players, c.rules, Options{Temperature: temp})
				if err != nil {
					t.Fatal(err)
				}
				if len(pred.Warnings) > 0 {
					t.Fatalf("warnings: %v", pred.Warnings)
				}
				var total float64
				sums := map[string]float64{}
				for i, o := range pred.Ownership {
					if o < 0 || o > 1 || math.IsNaN(o) {
						t.Fatalf("%s: ownership %v outside [0,1]", c.players[i].Name, o)
					}
					if !active(&c.players[i]) && o != 0 {
						t.Fatalf("%s: inactive player owned %v", c.players[i].Name, o)
					}
					total += o
					sums[primaryPosition(&c.players[i], c.rules)] += o
				}
				if math.Abs(total-float64(c.rules.Size())) > tol {
					t.Errorf("total %.12f, want roster size %d", total, c.rules.Size())
				}
				for pos, want := range c.exact {
					if math.Abs(sums[pos]-want) > tol {
						t.Errorf("%s sums to %.6f, want %v", pos, sums[pos], want)
					}
				}
				for pos, want := range c.atLeast {
					if sums[pos] < want-tol {
						t.Errorf("%s sums to %.6f, want at least %v", pos, sums[pos], want)
					}
				}
				var dem float64
				for _, d := range pred.Demand {
					dem += d
				}
				if math.Abs(dem-float64(c.rules.Size())) > tol {
					t.Errorf("demand %.9f, want %d", dem, c.rules.Size())
				}
			})
		}
	}
}

// TestCapScale checks the water-filling normalizer directly.
func TestCapScale(t *testing.T) {
	cases := []struct {
		w      []float64
		demand float64
		want   []float64
		short  float64
	}{
		{[]float64{1, 1, 2}, 1, []float64{0.25, 0.25, 0.5}, 0},
		{[]float64{100, 1, 1}, 1.5, []float64{1, 0.25, 0.25}, 0},
		{[]float64{100, 10, 1, 1}, 2.5, []float64{1, 1, 0.25, 0.25}, 0},
		{[]float64{1, 2}, 3, []float64{1, 1}, 1},
		{[]float64{1, 2}, 0, []float64{0, 0}, 0},
	}
	for _, c := range cases {
		got, short := capScale(c.w, c.demand)
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > tol {
				t.Errorf("capScale(%v, %v) = %v, want %v", c.w, c.demand, got, c.want)
				break
			}
		}
		if math.Abs(short-c.short) > tol {
			t.Errorf("capScale(%v, %v) short %v, want %v", c.w, c.demand, short, c.short)
		}
	}
}

// TestMonotonicity: all else equal, the cheaper (higher value) player and
// the better-projected player rank higher, under every shipped coefficient
// set; and a cash contest concentrates the field on the top player.
func TestMonotonicity(t *testing.T) {
	for _, sport := range []slate.Sport{slate.NFL, slate.NBA, slate.MLB} {
		coef := CoefficientsFor(sport)
		for k, b := range coef.Beta {
			if b < 0 {
				t.Errorf("%s: %s weight %v < 0 breaks monotonicity", coef.Name, FeatureNames()[k], b)
			}
		}
	}
	rules := mustRules(t, slate.DraftKings, slate.NFL, slate.Classic)
	base := syntheticSlate(11, 20, map[string]int{"QB": 2, "RB": 4, "WR": 6, "TE": 3, "DST": 1}, false)
	for _, sport := range []slate.Sport{slate.NFL, slate.NBA, slate.MLB} {
		coef := CoefficientsFor(sport)
		for _, pos := range []string{"QB", "RB", "WR", "TE"} {
			players := append([]slate.Player(nil), base...)
			cheap := slate.Player{ID: "cheap", Positions: []string{pos}, Team: "T00", Opponent: "T01", Game: "T00@T01", Salary: 4500, Projection: 15}
			dear := cheap
			dear.ID, dear.Salary = "dear", 5500
			better := cheap
			better.ID, better.Projection = "better", 17
			players = append(players, cheap, dear, better)
			pred, err := Predict(context.Background(), players, rules, Options{Coefficients: &coef})
			if err != nil {
				t.Fatal(err)
			}
			n := len(players)
			oCheap, oDear, oBetter := pred.Ownership[n-3], pred.Ownership[n-2], pred.Ownership[n-1]
			if !(oCheap > oDear) {
				t.Errorf("%s %s: cheaper player %.4f not above pricier %.4f at equal projection", coef.Name, pos, oCheap, oDear)
			}
			if !(oBetter > oCheap) {
				t.Errorf("%s %s: better-projected player %.4f not above %.4f at equal salary", coef.Name, pos, oBetter, oCheap)
			}
		}
	}
	gpp, err := Predict(context.Background(), base, rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cash, err := Predict(context.Background(), base, rules, Options{Temperature: CashTemperature})
	if err != nil {
		t.Fatal(err)
	}
	if top(cash.Ownership, gpp.Group, "QB") <= top(gpp.Ownership, gpp.Group, "QB") {
		t.Errorf("cash top QB %.3f not above GPP top QB %.3f", top(cash.Ownership, gpp.Group, "QB"), top(gpp.Ownership, gpp.Group, "QB"))
	}
}

func top(o []float64, group []string, g string) float64 {
	var m float64
	for i := range o {
		if group[i] == g {
			m = max(m, o[i])
		}
	}
	return m
}

// TestTeamEnvironment: a player on a team with a higher implied total gets
// more ownership than his twin on a lower one.
func TestTeamEnvironment(t *testing.T) {
	rules := mustRules(t, slate.DraftKings, slate.NFL, slate.Classic)
	players := syntheticSlate(12, 4, map[string]int{"QB": 2, "RB": 4, "WR": 6, "TE": 3, "DST": 1}, false)
	a := slate.Player{ID: "a", Positions: []string{"WR"}, Team: "T00", Salary: 5000, Projection: 15}
	b := a
	b.ID, b.Team = "b", "T02"
	players = append(players, a, b)
	totals := map[string]float64{"T00": 28, "T01": 24, "T02": 18, "T03": 21}
	pred, err := Predict(context.Background(), players, rules, Options{TeamTotals: totals})
	if err != nil {
		t.Fatal(err)
	}
	n := len(players)
	if !(pred.Ownership[n-2] > pred.Ownership[n-1]) {
		t.Errorf("high-total twin %.4f not above low-total twin %.4f", pred.Ownership[n-2], pred.Ownership[n-1])
	}
}

// TestProject covers the request/result document path.
func TestProject(t *testing.T) {
	fx := loadFixtures(t)
	req := &schema.OwnershipRequest{Site: "dk", Sport: "NFL", Players: fx[0].players, ContestType: "gpp"}
	res, err := Project(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.RosterSize != 9 || math.Abs(res.Total-9) > tol {
		t.Errorf("total %v roster %d, want 9", res.Total, res.RosterSize)
	}
	if math.Abs(res.Positions["QB"]-1) > tol || math.Abs(res.Positions["DST"]-1) > tol {
		t.Errorf("positions %v", res.Positions)
	}
	if res.Model.Name != ModelName || res.Model.Version != ModelVersion || res.Model.Coefficients != "nfl" || res.Model.ContestType != "gpp" {
		t.Errorf("model %+v", res.Model)
	}
	if len(res.Players) != len(fx[0].players) || res.Players[0].ID != fx[0].players[0].ID {
		t.Errorf("players not in request order")
	}

	errCases := []struct {
		name  string
		req   *schema.OwnershipRequest
		field string
		is    error
	}{
		{"slate id only", &schema.OwnershipRequest{Site: "dk", Sport: "nfl", SlateID: "s1"}, "", ErrNoPlayers},
		{"bad contest type", &schema.OwnershipRequest{Site: "dk", Sport: "nfl", Players: fx[0].players, ContestType: "satellite"}, "contest_type", nil},
		{"bad sport", &schema.OwnershipRequest{Site: "dk", Sport: "cricket", Players: fx[0].players}, "sport", nil},
		{"no rules", &schema.OwnershipRequest{Site: "fd", Sport: "mlb", Mode: "showdown", Players: fx[0].players}, "mode", nil},
		{"bad team total", &schema.OwnershipRequest{Site: "dk", Sport: "nfl", Players: fx[0].players, TeamTotals: map[string]float64{"DAL": -1}}, "team_totals.DAL", nil},
		{"players and slate", &schema.OwnershipRequest{Site: "dk", Sport: "nfl", Players: fx[0].players, SlateID: "x"}, "slate_id", nil},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Project(context.Background(), c.req)
			if c.is != nil {
				if !errors.Is(err, c.is) {
					t.Fatalf("err %v, want %v", err, c.is)
				}
				return
			}
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err %v, want *schema.ValidationError", err)
			}
			found := false
			for _, fe := range ve.Errors {
				found = found || fe.Field == c.field
			}
			if !found {
				t.Errorf("errors %+v do not name %q", ve.Errors, c.field)
			}
		})
	}

	cash, err := Project(context.Background(), &schema.OwnershipRequest{Site: "dk", Sport: "nfl", Players: fx[0].players, ContestType: "cash"})
	if err != nil {
		t.Fatal(err)
	}
	if cash.Model.ContestType != "cash" || math.Abs(cash.Total-9) > tol {
		t.Errorf("cash result %+v total %v", cash.Model, cash.Total)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Project(ctx, req); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled ctx: err %v", err)
	}
}

// TestFill fills only the zero ownerships.
func TestFill(t *testing.T) {
	fx := loadFixtures(t)
	rules := fx[0].rules(t)
	players := append([]slate.Player(nil), fx[0].players...)
	players[0].Ownership = 0.42
	n, err := Fill(context.Background(), rules, players)
	if err != nil {
		t.Fatal(err)
	}
	if players[0].Ownership != 0.42 {
		t.Errorf("preset ownership overwritten: %v", players[0].Ownership)
	}
	var filled int
	for i := range players[1:] {
		if players[i+1].Ownership > 0 {
			filled++
		}
	}
	if n != filled || n == 0 {
		t.Errorf("Fill reported %d, filled %d", n, filled)
	}
	if fx[0].players[1].Ownership != 0 {
		t.Errorf("Fill wrote through to the fixture slice")
	}
	again, err := Fill(context.Background(), rules, players[:1])
	if err != nil || again != 0 {
		t.Errorf("Fill on a fully set slate: %d, %v", again, err)
	}
}

// TestFitRecoversCoefficients: data generated from known coefficients are
// fitted back.
func TestFitRecoversCoefficients(t *testing.T) {
	rules := mustRules(t, slate.DraftKings, slate.NFL, slate.Classic)
	want := Coefficients{Name: "truth", Beta: [NumFeatures]float64{0.4, 0.3, 0.8, 0.2}}
	var slates []FitSlate
	for s := range 4 {
		players := syntheticSlate(uint64(100+s), 24, map[string]int{"QB": 2, "RB": 4, "WR": 6, "TE": 3, "DST": 1}, false)
		pred, err := Predict(context.Background(), players, rules, Options{Coefficients: &want})
		if err != nil {
			t.Fatal(err)
		}
		slates = append(slates, FitSlate{Name: fmt.Sprint(s), Rules: rules, Players: players, Actual: pred.Ownership})
	}
	got, err := Fit(context.Background(), slates, FitOptions{Ridge: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	// Capping at 1 distorts the shares a little: allow 0.1.
	for k := range NumFeatures {
		if math.Abs(got.Beta[k]-want.Beta[k]) > 0.1 {
			t.Errorf("%s: fitted %.4f, want %.4f", FeatureNames()[k], got.Beta[k], want.Beta[k])
		}
	}
}

// TestEvaluate checks the metrics on a hand-computed case.
func TestEvaluate(t *testing.T) {
	m := Evaluate([]float64{0.1, 0.2, 0.3, math.NaN()}, []float64{0.1, 0.3, 0.2, 0.5})
	if m.N != 3 || math.Abs(m.MAE-100*0.2/3) > tol || math.Abs(m.Spearman-0.5) > tol {
		t.Errorf("Evaluate = %+v", m)
	}
	if !strings.Contains(formatHeldOut([]heldOutRow{{"s", "p", m}}), "| s | p | 3 |") {
		t.Error("formatHeldOut")
	}
}
