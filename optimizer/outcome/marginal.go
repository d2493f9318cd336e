package outcome

import (
	"math"
)

// Kind is the family of a marginal distribution.
type Kind uint8

// Marginal families.
const (
	// Constant always returns the projection (stddev 0).
	Constant Kind = iota
	// Normal is mean + sd·z.
	Normal
	// Lognormal is the (possibly shifted, possibly mirrored) lognormal
	// shift + sign·exp(m + sign·s·z).
	Lognormal
	// ExGaussian is a calibrated exGaussian with mean Mu and sd Sigma (see
	// calibrated.go).
	ExGaussian
)

// String returns the family name used in result documents.
func (k Kind) String() string {
	switch k {
	case Constant:
		return "constant"
	case Normal:
		return "normal"
	case ExGaussian:
		return "exgaussian"
	default:
		return "lognormal"
	}
}

// Marginal is one player's outcome distribution, written as a monotone
// increasing transform of a standard normal variable z (so that a Gaussian
// copula keeps its rank correlations).
type Marginal struct {
	Kind Kind
	// Mu and Sigma: Constant (Mu) and Normal parameters.
	Mu, Sigma float64
	// Lognormal parameters: x = Shift + Sign·exp(M + Sign·S·z).
	M, S, Shift, Sign float64
	// HasFloor clamps lognormal values below at Floor (Sign +1 only).
	HasFloor bool
	Floor    float64
	// exg is the ExGaussian's standardized quantile table.
	exg *exgTable
}

// At returns the points for latent standard normal value z.
func (m *Marginal) At(z float64) float64 {
	switch m.Kind {
	case Constant:
		return m.Mu
	case Normal:
		return m.Mu + m.Sigma*z
	case ExGaussian:
		return m.Mu + m.Sigma*m.exg.at(z)
	}
	x := m.Shift + m.Sign*math.Exp(m.M+m.Sign*m.S*z)
	if m.HasFloor && x < m.Floor {
		return m.Floor
	}
	return x
}

// clampZ returns the latent value below which a floored marginal sits at
// its floor (-Inf without an active floor).
func (m *Marginal) clampZ() float64 {
	if !m.HasFloor || m.Floor <= m.Shift {
		return math.Inf(-1)
	}
	return (math.Log(m.Floor-m.Shift) - m.M) / m.S
}

// Mean returns the distribution's mean.
func (m *Marginal) Mean() float64 {
	if m.Kind != Lognormal {
		return m.Mu
	}
	if z := m.clampZ(); !math.IsInf(z, -1) {
		// floor·P(Z<z) + E[shift + e^(M+S·Z); Z>z]
		return m.Floor*(1-stdNormalSF(z)) + m.Shift*stdNormalSF(z) + math.Exp(m.M+m.S*m.S/2)*stdNormalSF(z-m.S)
	}
	return m.Shift + m.Sign*math.Exp(m.M+m.S*m.S/2)
}

// StdDev returns the distribution's standard deviation.
func (m *Marginal) StdDev() float64 {
	switch m.Kind {
	case Constant:
		return 0
	case Normal, ExGaussian:
		return m.Sigma
	}
	s2 := m.S * m.S
	if z := m.clampZ(); !math.IsInf(z, -1) {
		c, em := m.Shift, math.Exp(m.M)
		ex2 := m.Floor*m.Floor*(1-stdNormalSF(z)) + c*c*stdNormalSF(z) +
			2*c*em*math.Exp(s2/2)*stdNormalSF(z-m.S) + em*em*math.Exp(2*s2)*stdNormalSF(z-2*m.S)
		mean := m.Mean()
		return math.Sqrt(max(ex2-mean*mean, 0))
	}
	return math.Exp(m.M+s2/2) * math.Sqrt(math.Expm1(s2))
}

// Skewness returns the skewness of the unclamped distribution.
func (m *Marginal) Skewness() float64 {
	if m.Kind == ExGaussian {
		return 2 * math.Pow(m.exg.shape, 1.5)
	}
	if m.Kind != Lognormal {
		return 0
	}
	w := math.Exp(m.S * m.S)
	return m.Sign * (w + 2) * math.Sqrt(w-1)
}

// Quantile returns the q-quantile (0 < q < 1).
func (m *Marginal) Quantile(q float64) float64 { return m.At(NormalQuantile(q)) }

// normalMarginal returns N(mu, sd²), or a constant when sd is 0.
func normalMarginal(mu, sd float64) Marginal {
	if sd <= 0 {
		return Marginal{Kind: Constant, Mu: mu}
	}
	return Marginal{Kind: Normal, Mu: mu, Sigma: sd}
}

// lognormalMarginal returns the lognormal with mean mu and sd (no shift).
// ok is false when mu <= 0 (no lognormal has that mean).
func lognormalMarginal(mu, sd float64) (Marginal, bool) {
	if sd <= 0 {
		return Marginal{Kind: Constant, Mu: mu}, true
	}
	if mu <= 0 {
		return Marginal{}, false
	}
	s2 := math.Log1p(sd * sd / (mu * mu))
	return Marginal{Kind: Lognormal, M: math.Log(mu) - s2/2, S: math.Sqrt(s2), Sign: 1}, true
}

// skewU solves u³ + 3u = |γ| for u = sqrt(exp(s²) - 1): the lognormal
// whose skewness is |γ| has s² = log(1 + u²) (Cardano's formula).
func skewU(g float64) float64 {
	g = math.Abs(g)
	r := math.Sqrt(g*g/4 + 1)
	return math.Cbrt(g/2+r) + math.Cbrt(g/2-r)
}

// shiftedLognormal returns the shifted lognormal with mean mu, sd and
// skewness skew (negative skew mirrors it). Tiny skews give a normal.
func shiftedLognormal(mu, sd, skew float64) Marginal {
	if sd <= 0 {
		return Marginal{Kind: Constant, Mu: mu}
	}
	if math.Abs(skew) < 1e-4 {
		return Marginal{Kind: Normal, Mu: mu, Sigma: sd}
	}
	u := skewU(skew)
	return shiftedFromU(mu, sd, u, math.Copysign(1, skew))
}

// shiftedFromU builds the shifted lognormal with mean mu, sd and
// u = sqrt(exp(s²)-1); its support starts at mu - sign·sd/u.
func shiftedFromU(mu, sd, u, sign float64) Marginal {
	w := 1 + u*u
	s := math.Sqrt(math.Log(w))
	em := sd / math.Sqrt(w*(w-1)) // exp(m)
	return Marginal{Kind: Lognormal, M: math.Log(em), S: s, Sign: sign, Shift: mu - sign*em*math.Sqrt(w)}
}

// autoMarginal is the default skewed distribution: a shifted lognormal with
// the position's skew, clamped below at floor (the position's lowest
// realistic score: 0 for most) with the shift re-solved so that the mean is
// still mu. The clamp puts the mass of dud games at the floor, as real
// fantasy scores do (an NFL WR projected 5-8 scores 0 or less 11 % of the
// time, below 0 only 0.4 %). No clamp when mu is within 0.05·sd of the floor.
func autoMarginal(mu, sd, skew, floor float64) Marginal {
	if sd <= 0 {
		return Marginal{Kind: Constant, Mu: mu}
	}
	if skew < 1e-4 {
		return Marginal{Kind: Normal, Mu: mu, Sigma: sd}
	}
	m := shiftedFromU(mu, sd, skewU(min(skew, 14)), 1)
	if mu-floor < 0.05*sd || m.Shift >= floor {
		return m
	}
	m.Floor, m.HasFloor = floor, true
	// The clamped mean increases with the shift: bisect.
	lo, hi := m.Shift-20*sd-math.Abs(floor), m.Shift
	for range 100 {
		m.Shift = (lo + hi) / 2
		if m.Mean() < mu {
			lo = m.Shift
		} else {
			hi = m.Shift
		}
	}
	m.Shift = (lo + hi) / 2
	return m
}

// stdNormalSF is P(Z > z).
func stdNormalSF(z float64) float64 { return 0.5 * math.Erfc(z/math.Sqrt2) }

// fromPercentiles fits a distribution with mean mu to a floor and a ceiling
// at quantiles pf and pc. The "auto" family fits the shifted lognormal whose
// quantile asymmetry matches (ceiling-mu)/(mu-floor); a symmetric or
// left-leaning pair gives a normal. ok is false when floor < mu < ceiling
// does not hold.
func fromPercentiles(dist string, mu, floor, ceiling, pf, pc float64) (Marginal, bool) {
	if !(floor < mu && mu < ceiling) {
		return Marginal{}, false
	}
	zf, zc := NormalQuantile(pf), NormalQuantile(pc)
	sd := (ceiling - floor) / (zc - zf)
	switch dist {
	case "normal":
		return normalMarginal(mu, sd), true
	case "lognormal":
		m, ok := lognormalMarginal(mu, sd)
		if !ok {
			return normalMarginal(mu, sd), true
		}
		return m, true
	}
	ratio := (ceiling - mu) / (mu - floor)
	r := func(s float64) float64 {
		e := math.Exp(s * s / 2)
		return (math.Exp(s*zc) - e) / (e - math.Exp(s*zf))
	}
	// r is not monotone in s: it may dip first (asymmetric percentiles),
	// then rises to a maximum and falls to 0 (where the mean passes the
	// ceiling). Take the first crossing before that maximum, then bisect;
	// a ratio above the maximum takes the most asymmetric lognormal, and one
	// no lognormal reaches (left-leaning pairs) a normal.
	lo, hi := -1.0, -1.0
	prev, best := 1e-4, 1e-4
	rose := false
	for s := prev + 0.005; s < min(2*zc, 3); s += 0.005 {
		rp, rs := r(prev), r(s)
		if (rp-ratio)*(rs-ratio) <= 0 {
			lo, hi = prev, s
			break
		}
		if rs > rp {
			rose = true
		} else if rose {
			break // past the maximum
		}
		if rs > r(best) {
			best = s
		}
		prev = s
	}
	if lo < 0 {
		if ratio <= r(best) || best <= 1e-4 {
			return normalMarginal(mu, sd), true
		}
		lo, hi = best, best
	}
	up := r(hi) > r(lo)
	for range 60 {
		mid := (lo + hi) / 2
		if (r(mid) < ratio) == up {
			lo = mid
		} else {
			hi = mid
		}
	}
	s := lo
	k := (ceiling - floor) / (math.Exp(s*zc) - math.Exp(s*zf))
	return Marginal{Kind: Lognormal, M: math.Log(k), S: s, Sign: 1, Shift: mu - k*math.Exp(s*s/2)}, true
}

// NormalQuantile returns Φ⁻¹(p), the standard normal quantile, by Wichura's
// algorithm AS 241 (PPND16, relative accuracy about 1e-16).
func NormalQuantile(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	if p >= 1 {
		return math.Inf(1)
	}
	q := p - 0.5
	if math.Abs(q) <= 0.425 {
		r := 0.180625 - q*q
		return q * (((((((2509.0809287301226727*r+33430.575583588128105)*r+67265.770927008700853)*r+
			45921.953931549871457)*r+13731.693765509461125)*r+1971.5909503065514427)*r+133.14166789178437745)*r +
			3.387132872796366608) /
			(((((((5226.495278852545925*r+28729.085735721942674)*r+39307.89580009271061)*r+
				21213.794301586595867)*r+5394.1960214247511077)*r+687.1870074920579083)*r+42.313330701600911252)*r + 1)
	}
	r := p
	if q > 0 {
		r = 1 - p
	}
	r = math.Sqrt(-math.Log(r))
	var x float64
	if r <= 5 {
		r -= 1.6
		x = (((((((7.7454501427834140764e-4*r+0.0227238449892691845833)*r+0.24178072517745061177)*r+
			1.27045825245236838258)*r+3.64784832476320460504)*r+5.7694972214606914055)*r+4.6303378461565452959)*r +
			1.42343711074968357734) /
			(((((((1.05075007164441684324e-9*r+5.475938084995344946e-4)*r+0.0151986665636164571966)*r+
				0.14810397642748007459)*r+0.68976733498510000455)*r+1.6763848301838038494)*r+2.05319162663775882187)*r + 1)
	} else {
		r -= 5
		x = (((((((2.01033439929228813265e-7*r+2.71155556874348757815e-5)*r+0.0012426609473880784386)*r+
			0.026532189526576123093)*r+0.29656057182850489123)*r+1.7848265399172913358)*r+5.4637849111641143699)*r +
			6.6579046435011037772) /
			(((((((2.04426310338993978564e-15*r+1.4215117583164458887e-7)*r+1.8463183175100546818e-5)*r+
				7.868691311456132591e-4)*r+0.0148753612908506148525)*r+0.13692988092273580531)*r+0.59983220655588793769)*r + 1)
	}
	if q < 0 {
		return -x
	}
	return x
}
