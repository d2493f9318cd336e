package mcmc

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func (g *gaussianTarget) logDensityGrad(b, grad []float64) float64 {
	d := g.d
	var q float64
	for i := range d {
		var s float64
		for j := range d {
			s += g.prec[i*d+j] * (b[j] - g.m[j])
		}
		grad[i] = -s
		q += (b[i] - g.m[i]) * s
	}
	return -q / 2
}

// TestNUTSConjugateGaussian: NUTS on the conjugate regression posteriors,
// means and variances within Monte Carlo error of the analytic values.
func TestNUTSConjugateGaussian(t *testing.T) {
	tests := []struct {
		name       string
		d          int
		correlated bool
	}{
		{"normal mean 1-d", 1, false},
		{"regression 4-d correlated", 4, true},
		{"regression 30-d correlated", 30, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, uint64(tc.d)))
			beta := make([]float64, tc.d)
			for i := range beta {
				beta[i] = r.NormFloat64()
			}
			g := newRegression(r, 50, tc.d, beta, 1.5, 2, tc.correlated)
			res, err := SampleNUTS(context.Background(), g.logDensityGrad, tc.d, Config{Seed: 5, Warmup: 500, Draws: 1000, Init: g.init})
			if err != nil {
				t.Fatal(err)
			}
			minESS, maxRhat := math.Inf(1), 0.0
			for i := range tc.d {
				x := res.Param(i)
				s := Summarize(x)
				minESS = math.Min(minESS, math.Min(s.ESSBulk, s.ESSTail))
				maxRhat = math.Max(maxRhat, s.Rhat)
				if !s.Converged(1.01, 400) {
					t.Errorf("coordinate %d: rhat %.4f ess %.0f/%.0f", i, s.Rhat, s.ESSBulk, s.ESSTail)
				}
				if dev := math.Abs(s.Mean - g.m[i]); dev > 4*s.MCSEMean {
					t.Errorf("coordinate %d: mean %.5f, want %.5f (MCSE %.5f)", i, s.Mean, g.m[i], s.MCSEMean)
				}
				wantVar := g.cov[i*tc.d+i]
				if mcse := wantVar * math.Sqrt(2/ESSSD(x)); math.Abs(s.SD*s.SD-wantVar) > 4*mcse {
					t.Errorf("coordinate %d: variance %.5g, want %.5g (MCSE %.3g)", i, s.SD*s.SD, wantVar, mcse)
				}
			}
			t.Logf("d=%d: min ESS %.0f, max R-hat %.4f, accept %.2f, step %.3f, divergences %v", tc.d, minESS, maxRhat, res.AcceptRate, res.StepSize, res.Divergences)
		})
	}
}

// TestNUTSSBC is the simulation-based calibration rank test for NUTS.
func TestNUTSSBC(t *testing.T) {
	reps := 200
	if testing.Short() {
		reps = 100
	}
	const L, bins = 99, 10
	r := rand.New(rand.NewPCG(98, 1))
	counts := make([]int, bins)
	for k := range reps {
		theta := r.NormFloat64()
		y := make([]float64, 3)
		for i := range y {
			y[i] = theta + r.NormFloat64()
		}
		lp := func(x, g []float64) float64 {
			s := -x[0] * x[0] / 2
			g[0] = -x[0]
			for _, v := range y {
				s -= (v - x[0]) * (v - x[0]) / 2
				g[0] += v - x[0]
			}
			return s
		}
		res, err := SampleNUTS(context.Background(), lp, 1, Config{
			Seed: uint64(k), Chains: 1, Warmup: 200, Draws: L, Thin: 3,
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
	if chi2 > 27.88 {
		t.Errorf("SBC ranks not uniform: chi2 %.1f, counts %v", chi2, counts)
	}
	t.Logf("SBC %d reps: chi2 %.1f (9 df), counts %v", reps, chi2, counts)
}

func TestNUTSReproducibleAndCancel(t *testing.T) {
	g := newRegression(rand.New(rand.NewPCG(1, 2)), 20, 3, []float64{1, 2, 3}, 1, 2, true)
	cfg := Config{Seed: 8, Warmup: 150, Draws: 100, Init: g.init}
	a, err := SampleNUTS(context.Background(), g.logDensityGrad, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SampleNUTS(context.Background(), g.logDensityGrad, 3, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for c := range a.Draws {
		for i := range a.Draws[c] {
			for j := range a.Draws[c][i] {
				if a.Draws[c][i][j] != b.Draws[c][i][j] {
					t.Fatalf("chain %d draw %d differs", c, i)
				}
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Draws = 1_000_000
	cfg.Progress = func(done, _ int) {
		if done > 500 {
			cancel()
		}
	}
	if _, err := SampleNUTS(ctx, g.logDensityGrad, 3, cfg); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	zero := func(x, g []float64) float64 { return math.Inf(-1) }
	if _, err := SampleNUTS(context.Background(), zero, 1, Config{Init: func(*rand.Rand, []float64) {}}); !errors.Is(err, ErrInvalidStart) {
		t.Errorf("err = %v, want ErrInvalidStart", err)
	}
	if _, err := SampleNUTS(context.Background(), zero, 1, Config{}); err == nil {
		t.Error("missing Init accepted")
	}
}
