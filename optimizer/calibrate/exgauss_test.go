package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDistMoments(t *testing.T) {
	tests := []Dist{
		{Mean: 10, SD: 5, Shape: 0},
		{Mean: 10, SD: 5, Shape: 1e-12},
		{Mean: 10, SD: 5, Shape: 0.3},
		{Mean: 15, SD: 7, Shape: 0.9},
		{Mean: 2, SD: 1, Shape: 0.999},
	}
	for _, d := range tests {
		// Density integrates to 1 and to the mean and variance (trapezoid
		// rule on a wide grid); the CDF agrees with the integral.
		lo, hi := d.Mean-12*d.SD, d.Mean+40*d.SD
		const n = 400000
		h := (hi - lo) / n
		var mass, m1, m2, m3 float64
		checkAt := d.Mean + 0.7*d.SD
		var massAt float64
		for i := 0; i <= n; i++ {
			y := lo + float64(i)*h
			w := h
			if i == 0 || i == n {
				w = h / 2
			}
			f := math.Exp(d.LogPDF(y)) * w
			mass += f
			m1 += f * y
			if y <= checkAt {
				massAt += f
			}
		}
		for i := 0; i <= n; i++ {
			y := lo + float64(i)*h
			f := math.Exp(d.LogPDF(y)) * h
			m2 += f * (y - m1) * (y - m1)
			m3 += f * math.Pow(y-m1, 3)
		}
		skew := m3 / math.Pow(m2, 1.5)
		tol := 1e-4
		if math.Abs(mass-1) > tol || math.Abs(m1-d.Mean) > tol*d.SD || math.Abs(math.Sqrt(m2)-d.SD) > tol*d.SD {
			t.Errorf("%+v: mass %.6f mean %.6f sd %.6f", d, mass, m1, math.Sqrt(m2))
		}
		if math.Abs(skew-d.Skewness()) > 1e-3 {
			t.Errorf("%+v: skewness %.5f, want %.5f", d, skew, d.Skewness())
		}
		if c := d.CDF(checkAt); math.Abs(c-massAt) > 1e-4 {
			t.Errorf("%+v: CDF %.6f, integral %.6f", d, c, massAt)
		}
		for _, p := range []float64{0.01, 0.5, 0.95} {
			if q := d.Quantile(p); math.Abs(d.CDF(q)-p) > 1e-8 {
				t.Errorf("%+v: CDF(Quantile(%g)) = %g", d, p, d.CDF(q))
			}
		}
		// Monte Carlo draws: mean within 5 standard errors.
		r := rand.New(rand.NewPCG(1, 2))
		var s float64
		const draws = 200000
		for range draws {
			s += d.Draw(r)
		}
		if se := d.SD / math.Sqrt(draws); math.Abs(s/draws-d.Mean) > 5*se {
			t.Errorf("%+v: draw mean %.4f", d, s/draws)
		}
	}
}

func TestLogPhi(t *testing.T) {
	// Continuity across the branches and agreement with the direct formula
	// where that is accurate.
	for _, x := range []float64{-40, -30.0001, -29.9999, -10, -1, 0, 1e-9, 3, 8.2999, 8.3001, 20} {
		direct := math.Log(0.5 * math.Erfc(-x/math.Sqrt2))
		if x < -37 {
			continue // the direct formula underflows
		}
		if got := logPhi(x); math.Abs(got-direct) > 1e-9*math.Max(1, math.Abs(direct)) {
			t.Errorf("logPhi(%g) = %.15g, want %.15g", x, got, direct)
		}
	}
	if v := logPhi(-40); math.IsInf(v, 0) || math.Abs(v-(-804.608442013754)) > 1e-6 {
		t.Errorf("logPhi(-40) = %.12g", v)
	}
	for _, d := range []Dist{{Mean: 3, SD: 0}} {
		if d.CDF(2.9) != 0 || d.CDF(3) != 1 || d.LogPDF(3) != 0 || !math.IsInf(d.LogPDF(4), -1) || d.Draw(nil) != 3 {
			t.Errorf("point mass %+v misbehaves", d)
		}
	}
}
