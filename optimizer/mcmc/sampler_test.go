package mcmc

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// gaussianTarget is the posterior of a conjugate Bayesian linear regression
// with known noise: y = X beta + e, e ~ N(0, sigma^2), beta ~ N(0, tau^2 I).
// The posterior is N(m, S) with S = (X'X/sigma^2 + I/tau^2)^-1 and
// m = S X'y / sigma^2; its log density is -(b-m)' S^-1 (b-m) / 2.
type gaussianTarget struct {
	d    int
	prec []float64 // S^-1
	m    []float64
	cov  []float64 // S
}

func newRegression(r *rand.Rand, n, d int, beta []float64, sigma, tau float64, correlated bool) *gaussianTarget {
	x := make([]float64, n*d)
	y := make([]float64, n)
	for i := range n {
		common := r.NormFloat64()
		for j := range d {
			v := r.NormFloat64()
			if correlated {
				v = 0.9*common + 0.45*v // strongly correlated predictors
			}
			x[i*d+j] = v
			y[i] += v * beta[j]
		}
		y[i] += sigma * r.NormFloat64()
	}
	prec := make([]float64, d*d)
	xty := make([]float64, d)
	for a := range d {
		for b := range d {
			var s float64
			for i := range n {
				s += x[i*d+a] * x[i*d+b]
			}
			prec[a*d+b] = s / (sigma * sigma)
		}
		prec[a*d+a] += 1 / (tau * tau)
		for i := range n {
			xty[a] += x[i*d+a] * y[i] / (sigma * sigma)
		}
	}
	cov := invertSPD(prec, d)
	m := make([]float64, d)
	for a := range d {
		for b := range d {
			m[a] += cov[a*d+b] * xty[b]
		}
	}
	return &gaussianTarget{d: d, prec: prec, m: m, cov: cov}
}

func (g *gaussianTarget) logDensity(b []float64) float64 {
	d := g.d
	var q float64
	for i := range d {
		di := b[i] - g.m[i]
		for j := range d {
			q += di * g.prec[i*d+j] * (b[j] - g.m[j])
		}
	}
	return -q / 2
}

// init starts chains over-dispersed around the posterior mean.
func (g *gaussianTarget) init(r *rand.Rand, x []float64) {
	for i := range x {
		x[i] = g.m[i] + 3*math.Sqrt(g.cov[i*g.d+i])*r.NormFloat64()
	}
}

func invertSPD(a []float64, d int) []float64 {
	l, ok := cholesky(a, d)
	if !ok {
		panic("not SPD")
	}
	inv := make([]float64, d*d)
	col := make([]float64, d)
	for c := range d {
		for i := range col {
			col[i] = 0
		}
		col[c] = 1
		for i := range d { // L z = e
			s := col[i]
			for k := range i {
				s -= l[i*d+k] * col[k]
			}
			col[i] = s / l[i*d+i]
		}
		for i := d - 1; i >= 0; i-- { // L' x = z
			s := col[i]
			for k := i + 1; k < d; k++ {
				s -= l[k*d+i] * col[k]
			}
			col[i] = s / l[i*d+i]
		}
		for i := range d {
			inv[i*d+c] = col[i]
		}
	}
	return inv
}

// TestConjugateGaussian checks sampled means and variances against the
// analytic posterior, within Monte Carlo error computed from the ESS.
func TestConjugateGaussian(t *testing.T) {
	tests := []struct {
		name       string
		d          int
		correlated bool
		warmup     int
		draws      int
		thin       int
		long       bool
	}{
		{"normal mean 1-d", 1, false, 500, 2000, 1, false},
		{"regression 4-d correlated", 4, true, 1000, 1500, 2, false},
		{"regression 30-d correlated", 30, true, 20000, 1000, 40, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("long run")
			}
			r := rand.New(rand.NewPCG(11, uint64(tc.d)))
			beta := make([]float64, tc.d)
			for i := range beta {
				beta[i] = r.NormFloat64()
			}
			g := newRegression(r, 50, tc.d, beta, 1.5, 2, tc.correlated)
			res, err := Sample(context.Background(), g.logDensity, tc.d, Config{
				Seed: 5, Warmup: tc.warmup, Draws: tc.draws, Thin: tc.thin, Init: g.init,
			})
			if err != nil {
				t.Fatal(err)
			}
			minESS := math.Inf(1)
			maxRhat := 0.0
			for i := range tc.d {
				x := res.Param(i)
				s := Summarize(x)
				minESS = math.Min(minESS, math.Min(s.ESSBulk, s.ESSTail))
				maxRhat = math.Max(maxRhat, s.Rhat)
				if s.Rhat > 1.01 {
					t.Errorf("coordinate %d: rhat %.4f", i, s.Rhat)
				}
				if s.ESSBulk < 400 || s.ESSTail < 400 {
					t.Errorf("coordinate %d: ess bulk %.0f tail %.0f", i, s.ESSBulk, s.ESSTail)
				}
				wantVar := g.cov[i*tc.d+i]
				// Mean within 4 MCSE (MCSE from the ESS of the mean).
				if dev := math.Abs(s.Mean - g.m[i]); dev > 4*s.MCSEMean {
					t.Errorf("coordinate %d: mean %.5f, want %.5f (MCSE %.5f)", i, s.Mean, g.m[i], s.MCSEMean)
				}
				// Variance within 4 MCSE, MCSE(var) = var*sqrt(2/ESS_sd) for a normal.
				gotVar := s.SD * s.SD
				mcseVar := wantVar * math.Sqrt(2/ESSSD(x))
				if math.Abs(gotVar-wantVar) > 4*mcseVar {
					t.Errorf("coordinate %d: variance %.5g, want %.5g (MCSE %.3g)", i, gotVar, wantVar, mcseVar)
				}
			}
			t.Logf("d=%d: min ESS %.0f, max R-hat %.4f, accept %.2f", tc.d, minESS, maxRhat, res.AcceptRate)
		})
	}
}

// TestIntervalCoverage generates data from known coefficients many times
// and checks that the 90% posterior intervals cover the truth about 90% of
// the time.
func TestIntervalCoverage(t *testing.T) {
	const datasets, d = 25, 3
	r := rand.New(rand.NewPCG(21, 0))
	covered, total := 0, 0
	for k := range datasets {
		beta := []float64{1, -0.5, 0.25}
		g := newRegression(r, 30, d, beta, 1, 3, true)
		res, err := Sample(context.Background(), g.logDensity, d, Config{
			Seed: uint64(k), Chains: 2, Warmup: 500, Draws: 1000, Thin: 2, Init: g.init,
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range d {
			x := res.Param(i)
			lo, hi := Quantile(x, 0.05), Quantile(x, 0.95)
			if beta[i] >= lo && beta[i] <= hi {
				covered++
			}
			total++
		}
	}
	rate := float64(covered) / float64(total)
	// Binomial(75, 0.9): sd 0.035; accept within about 3 sd.
	if rate < 0.79 || rate > 0.99 {
		t.Errorf("90%% interval coverage %.3f over %d intervals", rate, total)
	}
	t.Logf("90%% interval coverage %.3f (%d/%d)", rate, covered, total)
}

// TestSBC is a simulation-based calibration rank test (Talts et al. 2018) on
// theta ~ N(0,1), y_i ~ N(theta, 1), i = 1..3: the rank of the prior draw
// among thinned posterior draws must be uniform.
func TestSBC(t *testing.T) {
	reps := 300
	if testing.Short() {
		reps = 120
	}
	const L, bins = 99, 10 // ranks 0..99, 10 bins of 10
	r := rand.New(rand.NewPCG(99, 1))
	counts := make([]int, bins)
	for k := range reps {
		theta := r.NormFloat64()
		y := make([]float64, 3)
		for i := range y {
			y[i] = theta + r.NormFloat64()
		}
		lp := func(x []float64) float64 {
			s := -x[0] * x[0] / 2
			for _, v := range y {
				s -= (v - x[0]) * (v - x[0]) / 2
			}
			return s
		}
		res, err := Sample(context.Background(), lp, 1, Config{
			Seed: uint64(k), Chains: 1, Warmup: 300, Draws: L, Thin: 10,
			Init: func(r *rand.Rand, x []float64) { x[0] = r.NormFloat64() },
		})
		if err != nil {
			t.Fatal(err)
		}
		rank := 0
		for _, d := range res.Draws[0] {
			if d[0] < theta {
				rank++
			}
		}
		counts[rank*bins/(L+1)]++
	}
	exp := float64(reps) / bins
	var chi2 float64
	for _, c := range counts {
		chi2 += (float64(c) - exp) * (float64(c) - exp) / exp
	}
	// chi-square with 9 degrees of freedom: 27.88 is the 0.999 quantile.
	if chi2 > 27.88 {
		t.Errorf("SBC ranks not uniform: chi2 %.1f, counts %v", chi2, counts)
	}
	t.Logf("SBC %d reps: chi2 %.1f (9 df), counts %v", reps, chi2, counts)
}

func TestSampleReproducible(t *testing.T) {
	g := newRegression(rand.New(rand.NewPCG(1, 2)), 20, 3, []float64{1, 2, 3}, 1, 2, false)
	run := func() *Result {
		res, err := Sample(context.Background(), g.logDensity, 3, Config{Seed: 8, Warmup: 200, Draws: 200, Init: g.init})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a := run()
	prev := runtime.GOMAXPROCS(1)
	b := run()
	runtime.GOMAXPROCS(prev)
	for c := range a.Draws {
		for i := range a.Draws[c] {
			if !slices.Equal(a.Draws[c][i], b.Draws[c][i]) {
				t.Fatalf("chain %d draw %d differs between runs", c, i)
			}
		}
	}
}

func TestSampleCancelAndProgress(t *testing.T) {
	lp := func(x []float64) float64 { return -x[0] * x[0] / 2 }
	init := func(r *rand.Rand, x []float64) { x[0] = r.NormFloat64() }

	var calls, last, total int
	_, err := Sample(context.Background(), lp, 1, Config{Warmup: 100, Draws: 400, Init: init,
		Progress: func(done, tot int) {
			if done < last {
				t.Errorf("progress went back: %d after %d", done, last)
			}
			calls++
			last, total = done, tot
		}})
	if err != nil {
		t.Fatal(err)
	}
	if total != 4*500 || last != total || calls < 10 {
		t.Errorf("progress: %d calls, last %d of %d", calls, last, total)
	}

	ctx, cancel := context.WithCancel(context.Background())
	_, err = Sample(ctx, lp, 1, Config{Warmup: 100, Draws: 1_000_000, Init: init,
		Progress: func(done, _ int) {
			if done > 1000 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestSampleErrors(t *testing.T) {
	lp := func(x []float64) float64 { return math.Inf(-1) }
	init := func(r *rand.Rand, x []float64) {}
	tests := []struct {
		name string
		dim  int
		cfg  Config
		want error
	}{
		{"no init", 1, Config{}, nil},
		{"bad dim", 0, Config{Init: init}, nil},
		{"zero density start", 1, Config{Init: init}, ErrInvalidStart},
		{"scale length", 2, Config{Init: init, Scale: []float64{1}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Sample(context.Background(), lp, tc.dim, tc.cfg)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
