package calibrate

import (
	"math"
	"math/rand/v2"
)

// Dist is a calibrated outcome distribution: an exponentially modified
// Gaussian (a normal plus an independent exponential) with the given mean
// and standard deviation, whose Shape in [0, 1) is the exponential's share
// of the variance. Shape 0 is a normal; the skewness is 2*Shape^1.5, so
// shapes span skewness 0 to 2. SD 0 is a point mass at Mean.
type Dist struct {
	Mean  float64 `json:"mean"`
	SD    float64 `json:"sd"`
	Shape float64 `json:"shape"`
}

// Skewness returns the distribution's skewness, 2*Shape^1.5.
func (d Dist) Skewness() float64 { return 2 * math.Pow(d.Shape, 1.5) }

// parts returns the normal location and sd and the exponential's mean.
func (d Dist) parts() (mu, sigma, expMean float64) {
	expMean = d.SD * math.Sqrt(d.Shape)
	sigma = d.SD * math.Sqrt(1-d.Shape)
	return d.Mean - expMean, sigma, expMean
}

// Draw returns one random outcome.
func (d Dist) Draw(r *rand.Rand) float64 {
	if d.SD <= 0 {
		return d.Mean
	}
	mu, sigma, expMean := d.parts()
	return mu + sigma*r.NormFloat64() + expMean*r.ExpFloat64()
}

// LogPDF returns the log density at y (-Inf for a point mass off its value).
func (d Dist) LogPDF(y float64) float64 {
	if d.SD <= 0 {
		if y == d.Mean {
			return 0
		}
		return math.Inf(-1)
	}
	return exGaussLogPDF(y, d.Mean, d.SD, d.Shape)
}

// CDF returns P(outcome <= y).
func (d Dist) CDF(y float64) float64 {
	if d.SD <= 0 {
		if y >= d.Mean {
			return 1
		}
		return 0
	}
	return exGaussCDF(y, d.Mean, d.SD, d.Shape)
}

const (
	minShape = 1e-9
	log2Pi   = 1.8378770664093453
)

// exGaussLogPDF is the log density of the exGaussian with mean m, sd s and
// shape tau: with sigma = s*sqrt(1-tau), 1/lambda = s*sqrt(tau),
// mu = m - 1/lambda and u = (y-mu)/sigma, k = lambda*sigma,
// log f = log lambda - k*u + k^2/2 + log Phi(u - k).
func exGaussLogPDF(y, m, s, tau float64) float64 {
	if tau < minShape {
		z := (y - m) / s
		return -0.5*z*z - math.Log(s) - 0.5*log2Pi
	}
	rt := math.Sqrt(tau)
	sigma := s * math.Sqrt(1-tau)
	em := s * rt
	k := sigma / em
	u := (y - (m - em)) / sigma
	return -math.Log(em) - k*u + 0.5*k*k + logPhi(u-k)
}

// exGaussCDF is the exGaussian CDF: Phi(u) - exp(-k*u + k^2/2 + log Phi(u-k)).
func exGaussCDF(y, m, s, tau float64) float64 {
	if tau < minShape {
		return phi((y - m) / s)
	}
	rt := math.Sqrt(tau)
	sigma := s * math.Sqrt(1-tau)
	em := s * rt
	k := sigma / em
	u := (y - (m - em)) / sigma
	c := phi(u) - math.Exp(-k*u+0.5*k*k+logPhi(u-k))
	return math.Max(0, math.Min(1, c))
}

// phi is the standard normal CDF.
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// logPhi is log of the standard normal CDF, accurate in the far left tail.
func logPhi(x float64) float64 {
	if x > 8.3 {
		// log Phi(x) = log1p(-Phi(-x)) with Phi(-x) < 5.2e-17: negligible
		// next to any log density it is added to.
		return 0
	}
	if x > 0 {
		return math.Log1p(-0.5 * math.Erfc(x/math.Sqrt2))
	}
	if x > -30 {
		return math.Log(0.5 * math.Erfc(-x/math.Sqrt2))
	}
	// Asymptotic series: Phi(x) = phi(x)/|x| (1 - 1/x^2 + 3/x^4 - 15/x^6 ...).
	x2 := x * x
	series := 1 - 1/x2 + 3/(x2*x2) - 15/(x2*x2*x2) + 105/(x2*x2*x2*x2)
	return -0.5*x2 - 0.5*log2Pi - math.Log(-x) + math.Log(series)
}

// Quantile returns the p quantile (0 < p < 1) by bisection on the CDF,
// accurate to about 1e-9 of the sd.
func (d Dist) Quantile(p float64) float64 {
	if d.SD <= 0 || math.IsNaN(p) {
		return d.Mean
	}
	if p <= 0 {
		return math.Inf(-1)
	}
	if p >= 1 {
		return math.Inf(1)
	}
	lo, hi := d.Mean-d.SD, d.Mean+d.SD
	for d.CDF(lo) > p {
		lo -= 2 * (hi - lo)
	}
	for d.CDF(hi) < p {
		hi += 2 * (hi - lo)
	}
	for range 200 {
		mid := (lo + hi) / 2
		if d.CDF(mid) < p {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-9*d.SD {
			break
		}
	}
	return (lo + hi) / 2
}

// logPhiMills returns log Phi(x) and the inverse Mills ratio phi(x)/Phi(x).
func logPhiMills(x float64) (logp, mills float64) {
	switch {
	case x > 8.3:
		// Phi(x) = 1 - O(5e-17); phi(x) < 1e-15.
		return 0, 0
	case x > -30:
		p := 0.5 * math.Erfc(-x/math.Sqrt2)
		return math.Log(p), math.Exp(-0.5*x*x-0.5*log2Pi) / p
	default:
		x2 := x * x
		series := 1 - 1/x2 + 3/(x2*x2) - 15/(x2*x2*x2) + 105/(x2*x2*x2*x2)
		return -0.5*x2 - 0.5*log2Pi - math.Log(-x) + math.Log(series), -x / series
	}
}
