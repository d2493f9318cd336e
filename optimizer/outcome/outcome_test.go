package outcome

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// syntheticSlate returns games×2 NFL teams of 13 players (QB, 3 RB, 5 WR,
// 2 TE, K, DST) with positive projections and stddevs.
func syntheticSlate(games int) []slate.Player {
	roster := []struct {
		pos      string
		proj, sd float64
	}{{"QB", 20, 7.5}, {"RB", 14, 7}, {"RB", 8, 5}, {"RB", 4, 3}, {"WR", 15, 7.5}, {"WR", 11, 6.5},
		{"WR", 8, 5.5}, {"WR", 5, 4}, {"WR", 3, 3}, {"TE", 9, 6}, {"TE", 4, 3}, {"K", 8, 4}, {"DST", 7, 5}}
	var ps []slate.Player
	for g := range games {
		home, away := fmt.Sprintf("H%02d", g), fmt.Sprintf("A%02d", g)
		for _, side := range [][2]string{{away, home}, {home, away}} {
			for k, r := range roster {
				ps = append(ps, slate.Player{ID: fmt.Sprintf("%s-%s-%d", side[0], r.pos, k), Positions: []string{r.pos},
					Team: side[0], Opponent: side[1], Game: away + "@" + home, Salary: 3000 + int(r.proj*300),
					Projection: r.proj, StdDev: r.sd, Ownership: 0.05})
			}
		}
	}
	return ps
}

func TestNormalQuantile(t *testing.T) {
	cases := []struct{ p, want float64 }{
		{0.5, 0}, {0.975, 1.959963984540054}, {0.9, 1.2815515655446004}, {0.1, -1.2815515655446004},
		{0.99, 2.3263478740408408}, {1e-10, -6.361340902404056}, {0.999, 3.090232306167813},
	}
	for _, c := range cases {
		if got := NormalQuantile(c.p); math.Abs(got-c.want) > 1e-12*max(1, math.Abs(c.want)) {
			t.Errorf("NormalQuantile(%g) = %.16g, want %.16g", c.p, got, c.want)
		}
	}
}

// TestMarginalMoments checks the analytic moments of the fitted families.
func TestMarginalMoments(t *testing.T) {
	ln, _ := lognormalMarginal(12, 6)
	cases := []struct {
		name           string
		m              Marginal
		mean, sd, skew float64
	}{
		{"normal", normalMarginal(20, 7), 20, 7, 0},
		{"constant", normalMarginal(20, 0), 20, 0, 0},
		{"lognormal", ln, 12, 6, 3*0.5 + 0.125}, // skew = 3cv + cv³, cv = 0.5
		{"shifted skew 0.3", shiftedLognormal(20, 8, 0.3), 20, 8, 0.3},
		{"shifted skew 1.2", shiftedLognormal(9, 6, 1.2), 9, 6, 1.2},
		{"shifted skew -0.5", shiftedLognormal(10, 4, -0.5), 10, 4, -0.5},
		{"auto QB (floor inactive)", autoMarginal(20, 7.5, 0.3, -100), 20, 7.5, 0.3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.m.Mean(); math.Abs(got-c.mean) > 1e-9 {
				t.Errorf("mean %g, want %g", got, c.mean)
			}
			if got := c.m.StdDev(); math.Abs(got-c.sd) > 1e-9 {
				t.Errorf("sd %g, want %g", got, c.sd)
			}
			if c.skew >= -0.9 {
				if got := c.m.Skewness(); math.Abs(got-c.skew) > 1e-9 {
					t.Errorf("skew %g, want %g", got, c.skew)
				}
			}
		})
	}
	// Floored auto distributions: mean kept exactly, analytic moments equal
	// numerical integration over the latent normal.
	for _, c := range []struct{ mu, sd, skew, floor float64 }{{6, 5, 1.0, 0}, {20, 7.5, 0.3, -2}, {3, 4, 1.5, 0}, {12, 6, 0.9, 0}} {
		a := autoMarginal(c.mu, c.sd, c.skew, c.floor)
		if lo := a.At(-40); lo < c.floor {
			t.Errorf("%+v: value %g below the floor", c, lo)
		}
		var m1, m2 float64
		const h = 1e-3
		for z := -12.0; z <= 12; z += h {
			w := math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) * h
			x := a.At(z)
			m1 += w * x
			m2 += w * x * x
		}
		sdNum := math.Sqrt(m2 - m1*m1)
		if math.Abs(a.Mean()-c.mu) > 1e-9 || math.Abs(m1-c.mu) > 1e-6 {
			t.Errorf("%+v: mean %g (numerical %g), want %g", c, a.Mean(), m1, c.mu)
		}
		if math.Abs(a.StdDev()-sdNum) > 1e-5 {
			t.Errorf("%+v: sd %g, numerical %g", c, a.StdDev(), sdNum)
		}
		if a.StdDev() > c.sd || a.StdDev() < 0.8*c.sd {
			t.Errorf("%+v: clamped sd %g, target %g", c, a.StdDev(), c.sd)
		}
		t.Logf("%+v: floored at %g below p%.0f, sd %.3f", c, c.floor, 100*(1-stdNormalSF(a.clampZ())), a.StdDev())
	}
}

func TestFromPercentiles(t *testing.T) {
	cases := []struct {
		dist                string
		mu, floor, ceil, pf float64
		pc                  float64
		ok                  bool
	}{
		{"auto", 20.3, 10.1, 28.9, 0.1, 0.9, true}, // left-leaning pair: normal
		{"auto", 10, 5, 16, 0.1, 0.9, true},        // right-skewed
		{"auto", 10, 6, 15, 0.2, 0.85, true},
		{"auto", 10, 4, 20, 0.1, 0.9, true}, // more skew than a lognormal with that mean can have: mean and spread kept
		{"normal", 10, 4, 16, 0.1, 0.9, true},
		{"auto", 10, 12, 20, 0.1, 0.9, false},
	}
	for _, c := range cases {
		m, ok := fromPercentiles(c.dist, c.mu, c.floor, c.ceil, c.pf, c.pc)
		if ok != c.ok {
			t.Fatalf("%+v: ok %v", c, ok)
		}
		if !ok {
			continue
		}
		if got := m.Mean(); math.Abs(got-c.mu) > 1e-9 {
			t.Errorf("%+v: mean %g", c, got)
		}
		if m.Kind == Lognormal && c.ceil-c.floor < 15 {
			if f, ce := m.Quantile(c.pf), m.Quantile(c.pc); math.Abs(f-c.floor) > 1e-6 || math.Abs(ce-c.ceil) > 1e-6 {
				t.Errorf("%+v: quantiles %g %g", c, f, ce)
			}
		}
	}
}

// TestNearestCorrelation checks Higham's 2002 worked example.
func TestNearestCorrelation(t *testing.T) {
	a := []float64{2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2, -1, 0, 0, -1, 2}
	want := []float64{1, -0.8084, 0.1916, 0.1068, -0.8084, 1, -0.6562, 0.1916, 0.1916, -0.6562, 1, -0.8084, 0.1068, 0.1916, -0.8084, 1}
	got, err := nearestCorrelation(context.Background(), a, 4, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 2e-4 {
			t.Fatalf("nearest correlation[%d] = %.4f, want %.4f\n%v", i, got[i], want[i], got)
		}
	}
	if _, ok, err := cholesky(context.Background(), got, 4); err != nil || !ok {
		t.Fatal("repaired matrix is not positive definite")
	}
}

func TestRepairInModel(t *testing.T) {
	ps := syntheticSlate(1)
	qb, wr := ps[0].ID, ps[4].ID
	cfg := Config{Sport: slate.NFL, Distribution: "normal", Correlation: schema.CorrelationOptions{
		Relations: map[string]float64{"WR-QB": 0.95, "WR-WR": -0.9}, Pairs: []schema.PairCorrelation{{A: qb, B: wr, Rho: 0.99}}}}
	m, err := NewModel(context.Background(), ps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if m.Repaired == 0 || len(m.Warnings) == 0 {
		t.Fatalf("expected a repair, got %d (%v)", m.Repaired, m.Warnings)
	}
	if got := CorrelationOf(ps, cfg, 4, 0); got != 0.99 {
		t.Errorf("pair override: %g", got)
	}
	if got := CorrelationOf(ps, cfg, 5, 0); got != 0.95 {
		t.Errorf("relation override (reversed key): %g", got)
	}
}

// TestSampledCorrelation checks that the latent and point correlations of
// the samples match the model within Monte Carlo error.
func TestSampledCorrelation(t *testing.T) {
	ps := syntheticSlate(2)
	cfg := Config{Sport: slate.NFL, Distribution: "normal"}
	m, err := NewModel(context.Background(), ps, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sims := 40000
	if testing.Short() {
		sims = 10000
	}
	n := len(ps)
	s := m.NewSampler(11)
	x, z := make([]float64, n), make([]float64, n)
	sum, cross := make([]float64, n), make([]float64, n*n)
	for sim := range sims {
		s.Sample(uint64(sim), x, z)
		for i := range n {
			d := (x[i] - ps[i].Projection) / ps[i].StdDev
			sum[i] += d
			for j := 0; j <= i; j++ {
				cross[i*n+j] += d * (x[j] - ps[j].Projection) / ps[j].StdDev
			}
		}
	}
	tol := 5 / math.Sqrt(float64(sims)) // 5 standard errors (|rho| < 1 makes it smaller)
	worst := 0.0
	for i := range n {
		for j := range i {
			want := m.Correlation(i, j)
			got := cross[i*n+j]/float64(sims) - sum[i]*sum[j]/float64(sims*sims)
			worst = max(worst, math.Abs(got-want))
			if math.Abs(got-want) > tol {
				t.Errorf("corr(%s,%s) = %.3f, want %.3f", ps[i].ID, ps[j].ID, got, want)
			}
		}
	}
	t.Logf("largest |sample - target| correlation: %.4f (tolerance %.4f)", worst, tol)
	if c := m.Correlation(0, 4); math.Abs(c-0.35) > 1e-12 {
		t.Errorf("QB-WR target %g, want 0.35", c)
	}
	if c := m.Correlation(0, 25); math.Abs(c+0.34) > 1e-12 { // QB vs opposing DST
		t.Errorf("QB-opp DST target %g, want -0.34", c)
	}
	if c := m.Correlation(0, 26); c != 0 { // other game
		t.Errorf("other game %g", c)
	}
}

// TestSampleMoments checks sample moments and percentiles of each family
// against the analytic values.
func TestSampleMoments(t *testing.T) {
	sims := 100000
	if testing.Short() {
		sims = 20000
	}
	for _, dist := range []string{"normal", "lognormal", "auto"} {
		t.Run(dist, func(t *testing.T) {
			ps := syntheticSlate(1)
			m, err := NewModel(context.Background(), ps, Config{Sport: slate.NFL, Distribution: dist})
			if err != nil {
				t.Fatal(err)
			}
			st, err := Run(context.Background(), m, 5, sims, 2, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ps {
				mg := &m.Marginals[i]
				sd := mg.StdDev()
				if math.Abs(st.Mean[i]-mg.Mean()) > 5*sd/math.Sqrt(float64(sims)) {
					t.Errorf("%s mean %.3f want %.3f", ps[i].ID, st.Mean[i], mg.Mean())
				}
				if math.Abs(st.Mean[i]-ps[i].Projection) > 1e-9+5*sd/math.Sqrt(float64(sims)) {
					t.Errorf("%s mean %.3f, projection %.3f", ps[i].ID, st.Mean[i], ps[i].Projection)
				}
				// sd of the sample sd ≈ sd·sqrt((kurtosis-1)/4n); allow a generous 6%/sqrt(n/1e4)
				if math.Abs(st.StdDev[i]-sd)/sd > 0.06*math.Sqrt(1e4/float64(sims)) {
					t.Errorf("%s sd %.3f want %.3f", ps[i].ID, st.StdDev[i], sd)
				}
				for _, q := range []float64{0.1, 0.5, 0.9, 0.99} {
					want := mg.Quantile(q)
					// quantile standard error sqrt(q(1-q)/n)/density; in z units
					zse := math.Sqrt(q*(1-q)/float64(sims)) / math.Exp(-NormalQuantile(q)*NormalQuantile(q)/2) * math.Sqrt(2*math.Pi)
					lo, hi := mg.At(NormalQuantile(q)-5*zse-0.01), mg.At(NormalQuantile(q)+5*zse+0.01)
					if got := st.Quantile(i, q); got < lo || got > hi {
						t.Errorf("%s p%g = %.3f, want %.3f in [%.3f, %.3f]", ps[i].ID, q*100, got, want, lo, hi)
					}
				}
			}
		})
	}
}

func TestReproducibleAcrossWorkers(t *testing.T) {
	ps := syntheticSlate(3)
	m, err := NewModel(context.Background(), ps, Config{Sport: slate.NFL})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Run(context.Background(), m, 99, 3000, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), m, 99, 3000, 4, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Mean, b.Mean) || !slices.Equal(a.StdDev, b.StdDev) || !slices.Equal(a.hist, b.hist) {
		t.Fatal("results depend on the number of workers")
	}
	c, _ := Run(context.Background(), m, 100, 3000, 4, nil, nil)
	if slices.Equal(a.Mean, c.Mean) {
		t.Fatal("different seeds gave the same results")
	}
}

func TestSimulateRequest(t *testing.T) {
	doc := `{"site":"dk","sport":"nfl","sims":2000,"seed":3,
	  "players":[
	    {"id":"a","positions":["QB"],"team":"KC","opponent":"BUF","salary":7000,"projection":22.4,"stddev":0},
	    {"id":"b","positions":["WR"],"team":"KC","opponent":"BUF","salary":6000,"projection":15},
	    {"id":"c","positions":["WR"],"team":"BUF","opponent":"KC","salary":5000,"projection":12,"floor":6,"ceiling":21},
	    {"id":"d","positions":["RB"],"team":"BUF","opponent":"KC","salary":5000,"projection":12,"stddev":6}],
	  "outcome_model":{"distribution":"auto"},"sim_optimal":true}`
	var req schema.SimulateRequest
	if err := schema.DecodeBytes([]byte(doc), &req); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(req.DefaultStdDev, []string{"b"}) {
		t.Fatalf("default_stddev = %v, want [b]", req.DefaultStdDev)
	}
	// The distinction survives re-encoding (task payloads).
	b, _ := json.Marshal(&req)
	var again schema.SimulateRequest
	if err := schema.DecodeBytes(b, &again); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.DefaultStdDev, []string{"b"}) {
		t.Fatalf("after re-encoding default_stddev = %v", again.DefaultStdDev)
	}
	var calls atomic.Int64
	res, err := SimulateWithOptimal(context.Background(), &req, nil, func(ctx context.Context, pts []float64) ([]int, error) {
		calls.Add(1)
		if pts[0] != 22.4 {
			return nil, fmt.Errorf("stddev 0 player scored %g", pts[0])
		}
		if pts[1] > pts[2] {
			return []int{0, 1}, nil
		}
		return []int{0, 2}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The optimizer hook runs exactly once per simulated outcome.
	if got := calls.Load(); got != int64(req.Sims) {
		t.Errorf("optimal called %d times, want once per sim (%d)", got, req.Sims)
	}
	a := res.Players[0]
	if a.Mean != 22.4 || a.StdDev != 0 || a.P10 != 22.4 || a.P99 != 22.4 || a.Distribution != "constant" {
		t.Errorf("stddev 0 player: %+v", a)
	}
	if sd := res.Players[1].StdDev; math.Abs(sd-DefaultStdDev(slate.NFL, []string{"WR"}, 15)) > 0.5 {
		t.Errorf("default sd player: sd %g", sd)
	}
	if c := res.Players[2]; c.P10 > 6 || c.P50 < 6 || c.P50 > 12 || c.P90 < 21 || c.P90 > 25 {
		t.Errorf("floor/ceiling player p10 %g p50 %g p90 %g, want floor 6 and ceiling 21 at p15/p85", c.P10, c.P50, c.P90)
	}
	if r := res.Players[0].SimOptimalRate; r == nil || *r != 1 {
		t.Errorf("sim optimal rate of a player always optimal: %v", r)
	}
	if r1, r2 := *res.Players[1].SimOptimalRate, *res.Players[2].SimOptimalRate; math.Abs(r1+r2-1) > 1e-12 {
		t.Errorf("rates %g + %g != 1", r1, r2)
	}
	// Unknown fields are still rejected.
	if err := schema.DecodeBytes([]byte(`{"site":"dk","bogus":1}`), &req); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestSimulateValidation(t *testing.T) {
	cases := []struct {
		name  string
		req   schema.SimulateRequest
		field string
	}{
		{"bad distribution", schema.SimulateRequest{Site: "dk", Sport: "nfl", Players: syntheticSlate(1), OutcomeModel: schema.OutcomeModel{Distribution: "cauchy"}}, "outcome_model.distribution"},
		{"sims", schema.SimulateRequest{Site: "dk", Sport: "nfl", Players: syntheticSlate(1), Sims: -1}, "sims"},
		{"pair unknown", schema.SimulateRequest{Site: "dk", Sport: "nfl", Players: syntheticSlate(1),
			Correlation: schema.CorrelationOptions{Pairs: []schema.PairCorrelation{{A: "x", B: "A00-QB-0", Rho: 0.1}}}}, "correlation.pairs[0].a"},
		{"rho range", schema.SimulateRequest{Site: "dk", Sport: "nfl", Players: syntheticSlate(1),
			Correlation: schema.CorrelationOptions{Relations: map[string]float64{"QB-WR": 1.5}}}, "correlation.relations.QB-WR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Simulate(context.Background(), &c.req, nil)
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

// BenchmarkSample500 measures correlated outcome sampling for 500 players
// (19 two-team NFL games).
func BenchmarkSample500(b *testing.B) {
	for _, dist := range []string{"normal", "auto"} {
		b.Run(dist, func(b *testing.B) {
			ps := syntheticSlate(19)[:500]
			m, err := NewModel(context.Background(), ps, Config{Sport: slate.NFL, Distribution: dist})
			if err != nil {
				b.Fatal(err)
			}
			s := m.NewSampler(1)
			x, z := make([]float64, len(ps)), make([]float64, len(ps))
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Sample(uint64(i), x, z)
			}
			b.ReportMetric(float64(b.N*len(ps))/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64(b.N*len(ps))/(cpuTime()-cpu0).Seconds(), "samples/cpu-s")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sims/s")
		})
	}
}

// BenchmarkRun500 measures a whole simulation of 500 correlated players
// (sampling plus the per-player moments and percentile histograms) on all
// cores.
func BenchmarkRun500(b *testing.B) {
	ps := syntheticSlate(19)[:500]
	m, err := NewModel(context.Background(), ps, Config{Sport: slate.NFL})
	if err != nil {
		b.Fatal(err)
	}
	const sims = 10000
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), m, uint64(i), sims, runtime.GOMAXPROCS(0), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*sims*len(ps))/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/10k-sims")
	b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/10k-sims")
}

// cpuTime returns the process's user+system CPU time: the shared cores make
// wall time noisy.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
