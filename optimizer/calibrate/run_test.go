package calibrate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// synthetic generates games from known parameters: per team a QB, an RB,
// two WRs and a TE, outcomes from the exGaussian model tied by a Gaussian
// copula with the correlations in corr (by parameter name; others zero).
func synthetic(seed uint64, games int, truth map[string]posParams, corr map[string]float64) []schema.CalibrationRow {
	r := rand.New(rand.NewPCG(seed, 7))
	type slot struct {
		pos    string
		lo, hi float64
	}
	roster := []slot{{"QB", 12, 26}, {"RB", 5, 20}, {"WR", 5, 20}, {"WR", 5, 16}, {"TE", 5, 13}}
	n := 2 * len(roster)
	// Correlation matrix of one game: players 0..4 home, 5..9 away.
	c := make([]float64, n*n)
	for i := range n {
		for j := range n {
			if i == j {
				c[i*n+j] = 1
				continue
			}
			rel := Opponent
			if (i < len(roster)) == (j < len(roster)) {
				rel = SameTeam
			}
			c[i*n+j] = corr[RelationName(roster[i%len(roster)].pos, roster[j%len(roster)].pos, rel)]
		}
	}
	l := choleskyLower(c, n)
	var rows []schema.CalibrationRow
	z := make([]float64, n)
	for g := range games {
		date := fmt.Sprintf("2030-W%03d", g/8)
		home, away := fmt.Sprintf("H%d", g%8), fmt.Sprintf("A%d", g%8)
		e := make([]float64, n)
		for i := range e {
			e[i] = r.NormFloat64()
		}
		for i := range n {
			z[i] = 0
			for k := 0; k <= i; k++ {
				z[i] += l[i*n+k] * e[k]
			}
		}
		for i := range n {
			s := roster[i%len(roster)]
			team, opp := home, away
			if i >= len(roster) {
				team, opp = away, home
			}
			proj := math.Round((s.lo+(s.hi-s.lo)*r.Float64())*100) / 100
			d := distFor(truth[s.pos], proj, 5)
			u := 0.5 * math.Erfc(-z[i]/math.Sqrt2)
			rows = append(rows, schema.CalibrationRow{
				PlayerID: fmt.Sprintf("%s-%s-%d", team, s.pos, i), Position: s.pos, Team: team, Opponent: opp,
				Game: away + "@" + home, Date: date, Projection: proj, Actual: math.Round(d.Quantile(u)*100) / 100,
			})
		}
	}
	return rows
}

func choleskyLower(a []float64, n int) []float64 {
	l := make([]float64, n*n)
	for i := range n {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	return l
}

var (
	synthTruth = map[string]posParams{
		"QB": {Bias: 0.92, Intercept: 5.5, Slope: 0.1, Shape: 0.3},
		"RB": {Bias: 1.0, Intercept: 2.4, Slope: 0.45, Shape: 0.8},
		"WR": {Bias: 0.96, Intercept: 2.5, Slope: 0.5, Shape: 0.9},
		"TE": {Bias: 0.98, Intercept: 1.8, Slope: 0.55, Shape: 0.9},
	}
	synthCorr = map[string]float64{
		"QB-WR.same_team": 0.35, "QB-TE.same_team": 0.3, "QB-RB.same_team": 0.1,
		"QB-QB.opponent": 0.2, "QB-WR.opponent": 0.1,
	}
)

// TestSyntheticRecovery fits data generated from known parameters: the 90%
// posterior intervals must cover the truth (allowing the few misses that
// 90% intervals make), the fit must converge, and the predictive checks on
// held-out rows must be calibrated.
func TestSyntheticRecovery(t *testing.T) {
	games := 400
	if testing.Short() {
		games = 200
	}
	rows := synthetic(3, games, synthTruth, synthCorr)
	res, err := Run(context.Background(), &schema.CalibrateRequest{Sport: "nfl", Rows: rows, Seed: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]float64{}
	for pos, p := range synthTruth {
		truth[pos+".bias"], truth[pos+".sd_intercept"], truth[pos+".sd_slope"], truth[pos+".shape"] = p.Bias, p.Intercept, p.Slope, p.Shape
	}
	misses := 0
	for _, p := range res.Parameters {
		want, ok := truth[p.Name]
		if !ok {
			want = synthCorr[p.Name] // zero unless listed
		}
		if want < p.Q05 || want > p.Q95 {
			misses++
			t.Logf("miss: %s = %.4f, 90%% interval [%.4f, %.4f]", p.Name, want, p.Q05, p.Q95)
		}
	}
	// Binomial(n, 0.1) misses: n*0.1 expected; allow up to n*0.1 + 3 sd.
	n := len(res.Parameters)
	if limit := float64(n)*0.1 + 3*math.Sqrt(float64(n)*0.09); float64(misses) > limit {
		t.Errorf("%d of %d 90%% intervals miss the truth (limit %.1f)", misses, n, limit)
	}
	if n < 16+15 {
		t.Errorf("%d parameters, want the 16 marginal ones and at least 15 correlations", n)
	}
	rep := res.Report
	for _, lvl := range []string{"50", "80", "90"} {
		want := map[string]float64{"50": 0.5, "80": 0.8, "90": 0.9}[lvl]
		se := math.Sqrt(want * (1 - want) / float64(rep.HeldOutRows))
		if got := rep.CoverageAfter[lvl]; math.Abs(got-want) > 4*se+0.01 {
			t.Errorf("coverage %s%% = %.3f on %d rows", lvl, got, rep.HeldOutRows)
		}
	}
	if rep.LogScoreAfter <= rep.LogScoreBefore {
		t.Errorf("log score after %.3f not above before %.3f", rep.LogScoreAfter, rep.LogScoreBefore)
	}
	if s := sum(rep.PITHistogram); math.Abs(s-1) > 1e-9 {
		t.Errorf("PIT histogram sums to %v", s)
	}
	t.Logf("%d parameters, %d misses; coverage after %v before %v; log score %.3f -> %.3f; max R-hat %.4f, min ESS %.0f/%.0f",
		n, misses, rep.CoverageAfter, rep.CoverageBefore, rep.LogScoreBefore, rep.LogScoreAfter,
		res.Diagnostics.MaxRhat, res.Diagnostics.MinESSBulk, res.Diagnostics.MinESSTail)

	// The simulation-side model reproduces the fitted means.
	m, err := NewModel(res)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := m.Dist("wr", 10)
	if !ok || math.Abs(d.Mean-9.6) > 0.5 || math.Abs(d.SD-7.5) > 0.7 || d.Shape < 0.7 {
		t.Errorf("WR at 10: %+v (ok %v), truth mean 9.6 sd 7.5 shape 0.9", d, ok)
	}
	if rho, ok := m.Correlation("WR", "QB", SameTeam); !ok || math.Abs(rho-0.35) > 0.1 {
		t.Errorf("QB-WR same team = %.3f (ok %v), truth 0.35", rho, ok)
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func TestRunErrors(t *testing.T) {
	rows := synthetic(1, 40, synthTruth, synthCorr)
	hold := 0.9
	tests := []struct {
		name  string
		req   *schema.CalibrateRequest
		check func(error) bool
	}{
		{"nil", nil, func(err error) bool { return err != nil }},
		{"invalid", &schema.CalibrateRequest{Sport: "curling", Rows: rows, Chains: 99},
			func(err error) bool {
				var ve *schema.ValidationError
				return errors.As(err, &ve) && len(ve.Errors) == 2
			}},
		{"source without rows", &schema.CalibrateRequest{Sport: "nfl", Source: &schema.CalibrateSource{SlateIDs: []string{"s1"}}},
			func(err error) bool { return errors.Is(err, ErrNoRows) }},
		{"bad holdout", &schema.CalibrateRequest{Sport: "nfl", Rows: rows, HoldoutFraction: &hold},
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "holdout_fraction") }},
		{"too few rows per position", &schema.CalibrateRequest{Sport: "nfl", Rows: rows[:60]},
			func(err error) bool { return errors.Is(err, ErrNoRows) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.req, nil)
			if !tc.check(err) {
				t.Errorf("unexpected error %v", err)
			}
		})
	}
}

// TestNotConverged: far too few draws must fail loudly, with the result
// attached and the failing parameters named.
func TestNotConverged(t *testing.T) {
	rows := synthetic(2, 60, synthTruth, synthCorr)
	res, err := Run(context.Background(), &schema.CalibrateRequest{Sport: "nfl", Rows: rows, Draws: 100, Warmup: 100, Chains: 2}, nil)
	var nc *NotConvergedError
	if !errors.As(err, &nc) {
		t.Fatalf("err = %v, want *NotConvergedError", err)
	}
	if res != nil || nc.Result == nil || nc.Result.Diagnostics.Converged || len(nc.Failed) == 0 || len(nc.Result.Diagnostics.Warnings) == 0 {
		t.Errorf("result %v, error result %+v", res, nc.Result)
	}
	if !strings.Contains(err.Error(), "did not converge") {
		t.Errorf("message %q", err)
	}
}

func TestRunProgressCancelAndID(t *testing.T) {
	rows := synthetic(5, 80, synthTruth, synthCorr)
	req := &schema.CalibrateRequest{Sport: "nfl", Rows: rows, Draws: 200, Warmup: 200, Seed: 9}
	var last, total, calls int
	res1, err1 := Run(context.Background(), req, func(done, tot int) {
		if done < last || (total != 0 && tot != total) {
			t.Errorf("progress %d/%d after %d/%d", done, tot, last, total)
		}
		last, total = done, tot
		calls++
	})
	var nc *NotConvergedError
	if errors.As(err1, &nc) {
		res1 = nc.Result
	} else if err1 != nil {
		t.Fatal(err1)
	}
	if last != total || calls < 50 {
		t.Errorf("progress ended at %d/%d after %d calls", last, total, calls)
	}

	// Same data in another order: same id, same numbers.
	shuffled := slices.Clone(rows)
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	req2 := *req
	req2.Rows = shuffled
	res2, err2 := Run(context.Background(), &req2, nil)
	if errors.As(err2, &nc) {
		res2 = nc.Result
	} else if err2 != nil {
		t.Fatal(err2)
	}
	if res1.CalibrationID != res2.CalibrationID || !strings.HasPrefix(res1.CalibrationID, "cal_") {
		t.Errorf("ids %s and %s", res1.CalibrationID, res2.CalibrationID)
	}
	for i := range res1.Parameters {
		if res1.Parameters[i] != res2.Parameters[i] {
			t.Fatalf("parameter %d differs: %+v vs %+v", i, res1.Parameters[i], res2.Parameters[i])
		}
	}
	req3 := *req
	req3.Seed = 10
	_, err3 := Run(context.Background(), &req3, nil)
	if errors.As(err3, &nc) && nc.Result.CalibrationID == res1.CalibrationID {
		t.Error("a different seed kept the id")
	}

	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, req, func(done, _ int) {
		if done > 1000 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestModelDist(t *testing.T) {
	res := &schema.CalibrateResult{
		CalibrationID: "cal_x",
		Model:         schema.CalibrationModel{Family: Family, MinProjection: 5, Positions: []string{"QB"}},
		Parameters: []schema.CalibrationParameter{
			{Name: "QB.bias", Mean: 0.9}, {Name: "QB.sd_intercept", Mean: 5}, {Name: "QB.sd_slope", Mean: 0.1},
			{Name: "QB.shape", Mean: 0.25}, {Name: "QB-WR.same_team", Mean: 0.3}, {Name: "QB-QB.opponent", Mean: 0.2},
		},
	}
	m, err := NewModel(res)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pos  string
		proj float64
		want Dist
		ok   bool
	}{
		{"QB", 20, Dist{Mean: 18, SD: 7, Shape: 0.25}, true},
		{"qb", 5, Dist{Mean: 4.5, SD: 5.5, Shape: 0.25}, true},
		{"QB", 2.5, Dist{Mean: 2.25, SD: 2.75, Shape: 0.25}, true}, // below min_projection: sd scaled
		{"QB", 0, Dist{Mean: 0, SD: 0, Shape: 0.25}, true},
		{"K", 8, Dist{}, false},
	}
	for _, tc := range tests {
		got, ok := m.Dist(tc.pos, tc.proj)
		if ok != tc.ok || math.Abs(got.Mean-tc.want.Mean) > 1e-12 || math.Abs(got.SD-tc.want.SD) > 1e-12 || got.Shape != tc.want.Shape {
			t.Errorf("Dist(%s, %g) = %+v, %v; want %+v, %v", tc.pos, tc.proj, got, ok, tc.want, tc.ok)
		}
	}
	if rho, ok := m.Correlation("WR", "QB", SameTeam); !ok || rho != 0.3 {
		t.Errorf("WR-QB same team = %v %v", rho, ok)
	}
	if _, ok := m.Correlation("QB", "WR", Opponent); ok {
		t.Error("unexpected QB-WR opponent")
	}
	if len(m.Correlations()) != 2 || !slices.Equal(m.Positions(), []string{"QB"}) {
		t.Errorf("correlations %v positions %v", m.Correlations(), m.Positions())
	}
	bad := *res
	bad.Parameters = bad.Parameters[1:]
	if _, err := NewModel(&bad); err == nil {
		t.Error("missing QB.bias accepted")
	}
	bad = *res
	bad.Model.Family = "normal"
	if _, err := NewModel(&bad); err == nil {
		t.Error("other family accepted")
	}
}
