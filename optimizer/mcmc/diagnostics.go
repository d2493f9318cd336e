package mcmc

import (
	"cmp"
	"math"
	"slices"
)

// Draws of one scalar parameter are passed to the diagnostics as a
// [chain][iteration] matrix: every chain must hold the same number of
// iterations. The functions return NaN where R's posterior returns NA: fewer
// than three iterations per (split) chain, a non-finite draw, or (for R-hat)
// constant draws.

// Rhat returns the rank-normalized split R-hat: the maximum of the bulk R-hat
// (rank-normalized split chains) and the tail R-hat (rank-normalized split
// chains of the draws folded around their median), as posterior::rhat.
func Rhat(x [][]float64) float64 {
	split := splitChains(x)
	if shouldReturnNA(split) {
		return math.NaN()
	}
	bulk := rhatRaw(zScale(split))
	tail := rhatRaw(zScale(splitChains(fold(x))))
	return math.Max(bulk, tail)
}

// RhatBasic returns the classic potential scale reduction factor without rank
// normalization, on split chains when split is true (posterior::rhat_basic).
func RhatBasic(x [][]float64, split bool) float64 {
	if split {
		x = splitChains(x)
	}
	if shouldReturnNA(x) {
		return math.NaN()
	}
	return rhatRaw(x)
}

// ESSBulk returns the bulk effective sample size: the ESS of the
// rank-normalized split chains (posterior::ess_bulk).
func ESSBulk(x [][]float64) float64 {
	split := splitChains(x)
	if shouldReturnNA(split) {
		return math.NaN()
	}
	return essRaw(zScale(split))
}

// ESSTail returns the tail effective sample size: the minimum of the ESS of
// the 5% and 95% quantiles (posterior::ess_tail).
func ESSTail(x [][]float64) float64 {
	return math.Min(ESSQuantile(x, 0.05), ESSQuantile(x, 0.95))
}

// ESSQuantile returns the ESS of the prob quantile: the ESS of the split
// chains of the indicator draw <= quantile (posterior::ess_quantile).
func ESSQuantile(x [][]float64, prob float64) float64 {
	if shouldReturnNA(x) {
		return math.NaN()
	}
	q := quantile7(flatten(x), prob)
	ind := mapDraws(x, func(v float64) float64 {
		if v <= q {
			return 1
		}
		return 0
	})
	return essRaw(splitChains(ind))
}

// ESSMean returns the ESS of the mean: split chains, no rank normalization
// (posterior::ess_mean and ess_basic).
func ESSMean(x [][]float64) float64 {
	return ESSBasic(x, true)
}

// ESSBasic returns the ESS without rank normalization, of the split chains
// when split is true (posterior::ess_basic).
func ESSBasic(x [][]float64, split bool) float64 {
	if split {
		x = splitChains(x)
	}
	if shouldReturnNA(x) {
		return math.NaN()
	}
	return essRaw(x)
}

// ESSSD returns the ESS of the standard deviation: the ESS of the split
// chains of the squared centred draws (x - mean)^2, as posterior 1.0-1.5
// ess_sd and the reference values in testdata.
func ESSSD(x [][]float64) float64 {
	m, _ := meanVar(flatten(x))
	sq := mapDraws(x, func(v float64) float64 { return (v - m) * (v - m) })
	return ESSBasic(sq, true)
}

// MCSESD returns the Monte Carlo standard error of the standard deviation by
// the delta method on the variance, with the ESS of ESSSD (posterior 1.x
// mcse_sd).
func MCSESD(x [][]float64) float64 {
	flat := flatten(x)
	m, _ := meanVar(flat)
	var e2, e4 float64
	for _, v := range flat {
		d := (v - m) * (v - m)
		e2 += d
		e4 += d * d
	}
	n := float64(len(flat))
	e2 /= n
	e4 /= n
	varvar := (e4 - e2*e2) / ESSSD(x)
	return math.Sqrt(varvar / e2 / 4)
}

// MCSEMean returns the Monte Carlo standard error of the mean,
// sd / sqrt(ess_mean) (posterior::mcse_mean).
func MCSEMean(x [][]float64) float64 {
	_, sd := meanSD(flatten(x))
	return sd / math.Sqrt(ESSMean(x))
}

// MCSEQuantile returns the Monte Carlo standard error of the prob quantile,
// from the ESS of the quantile and the Beta posterior of the indicator's mean
// (posterior::mcse_quantile).
func MCSEQuantile(x [][]float64, prob float64) float64 {
	ess := ESSQuantile(x, prob)
	if math.IsNaN(ess) {
		return math.NaN()
	}
	p1, p2 := 0.1586553, 0.8413447
	a1 := betaQuantile(p1, ess*prob+1, ess*(1-prob)+1)
	a2 := betaQuantile(p2, ess*prob+1, ess*(1-prob)+1)
	s := flatten(x)
	slices.Sort(s)
	n := len(s)
	i1 := max(int(math.Floor(a1*float64(n))), 1)
	i2 := min(int(math.Ceil(a2*float64(n))), n)
	return (s[i2-1] - s[i1-1]) / 2
}

// rhatRaw is posterior's .rhat on already prepared chains.
func rhatRaw(x [][]float64) float64 {
	m := len(x)
	n := len(x[0])
	means := make([]float64, m)
	vars := make([]float64, m)
	for i, c := range x {
		means[i], vars[i] = meanVar(c)
	}
	_, vb := meanVar(means)
	varBetween := float64(n) * vb
	var varWithin float64
	for _, v := range vars {
		varWithin += v
	}
	varWithin /= float64(m)
	return math.Sqrt((varBetween/varWithin + float64(n) - 1) / float64(n))
}

// essRaw is posterior's .ess: Geyer's initial monotone sequence on the
// multi-chain autocorrelation estimate (FFT autocovariances).
func essRaw(x [][]float64) float64 {
	m := len(x)
	n := len(x[0])
	if n < 3 || shouldReturnNA(x) {
		return math.NaN()
	}
	acov := make([][]float64, m)
	means := make([]float64, m)
	var f fftPlan
	for i, c := range x {
		acov[i] = f.autocovariance(c)
		means[i], _ = meanVar(c)
	}
	meanAcov := func(t int) float64 {
		var s float64
		for i := range acov {
			s += acov[i][t]
		}
		return s / float64(m)
	}
	nf := float64(n)
	meanVar0 := meanAcov(0) * nf / (nf - 1)
	varPlus := meanVar0 * (nf - 1) / nf
	if m > 1 {
		_, vb := meanVar(means)
		varPlus += vb
	}
	rho := make([]float64, n)
	t := 0
	rhoEven := 1.0
	rho[t] = rhoEven
	rhoOdd := 1 - (meanVar0-meanAcov(t+1))/varPlus
	rho[t+1] = rhoOdd
	for t < n-5 && !math.IsNaN(rhoEven+rhoOdd) && rhoEven+rhoOdd > 0 {
		t += 2
		rhoEven = 1 - (meanVar0-meanAcov(t))/varPlus
		rhoOdd = 1 - (meanVar0-meanAcov(t+1))/varPlus
		if rhoEven+rhoOdd >= 0 {
			rho[t] = rhoEven
			rho[t+1] = rhoOdd
		}
	}
	maxT := t
	if rhoEven > 0 {
		rho[maxT] = rhoEven
	}
	// Geyer's initial monotone sequence (R indices shifted by one).
	t = 0
	for t <= maxT-4 {
		t += 2
		if rho[t]+rho[t+1] > rho[t-2]+rho[t-1] {
			rho[t] = (rho[t-2] + rho[t-1]) / 2
			rho[t+1] = rho[t]
		}
	}
	ess := float64(m) * nf
	var sum float64
	for i := 0; i < maxT; i++ {
		sum += rho[i]
	}
	tau := -1 + 2*sum + rho[maxT]
	tau = math.Max(tau, 1/math.Log10(ess))
	return ess / tau
}

// splitChains halves every chain (dropping the middle draw of odd chains).
func splitChains(x [][]float64) [][]float64 {
	if len(x) == 0 {
		return x
	}
	n := len(x[0])
	if n < 2 {
		return x
	}
	half := n / 2
	out := make([][]float64, 0, 2*len(x))
	for _, c := range x {
		out = append(out, c[:half], c[n-half:])
	}
	return out
}

// fold returns |x - median(x)| with the median over all draws.
func fold(x [][]float64) [][]float64 {
	med := quantile7(flatten(x), 0.5)
	return mapDraws(x, func(v float64) float64 { return math.Abs(v - med) })
}

// zScale rank-normalizes the draws: average ranks over all chains,
// back-transformed with Blom's offset c = 3/8 and the normal quantile.
func zScale(x [][]float64) [][]float64 {
	flat := flatten(x)
	s := len(flat)
	type item struct {
		v float64
		i int
	}
	items := make([]item, s)
	for i, v := range flat {
		items[i] = item{v, i}
	}
	// Ties get the average rank, so their relative order does not matter.
	slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.v, b.v) })
	ranks := make([]float64, s)
	for i := 0; i < s; {
		j := i + 1
		for j < s && items[j].v == items[i].v {
			j++
		}
		r := float64(i+1+j) / 2 // average of ranks i+1..j
		for k := i; k < j; k++ {
			ranks[items[k].i] = r
		}
		i = j
	}
	const c = 3.0 / 8
	out := make([][]float64, len(x))
	k := 0
	for i, ch := range x {
		out[i] = make([]float64, len(ch))
		for j := range ch {
			out[i][j] = NormalQuantile((ranks[k] - c) / (float64(s) - 2*c + 1))
			k++
		}
	}
	return out
}

// shouldReturnNA reports non-finite or constant draws.
func shouldReturnNA(x [][]float64) bool {
	if len(x) == 0 || len(x[0]) == 0 {
		return true
	}
	first := x[0][0]
	constant := true
	for _, c := range x {
		if len(c) != len(x[0]) {
			return true
		}
		for _, v := range c {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return true
			}
			if v != first {
				constant = false
			}
		}
	}
	return constant
}

func flatten(x [][]float64) []float64 {
	var n int
	for _, c := range x {
		n += len(c)
	}
	out := make([]float64, 0, n)
	for _, c := range x {
		out = append(out, c...)
	}
	return out
}

func mapDraws(x [][]float64, f func(float64) float64) [][]float64 {
	out := make([][]float64, len(x))
	for i, c := range x {
		out[i] = make([]float64, len(c))
		for j, v := range c {
			out[i][j] = f(v)
		}
	}
	return out
}

// meanVar returns the mean and the unbiased (n-1) variance.
func meanVar(x []float64) (mean, variance float64) {
	n := float64(len(x))
	for _, v := range x {
		mean += v
	}
	mean /= n
	for _, v := range x {
		d := v - mean
		variance += d * d
	}
	return mean, variance / (n - 1)
}

func meanSD(x []float64) (mean, sd float64) {
	m, v := meanVar(x)
	return m, math.Sqrt(v)
}

// quantile7 is R's default (type 7) quantile; it sorts a copy of x.
func quantile7(x []float64, p float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return quantileSorted(s, p)
}

// quantileSorted is the type 7 quantile of sorted data.
func quantileSorted(s []float64, p float64) float64 {
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return s[n-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// NormalQuantile is the standard normal quantile function (inverse CDF).
func NormalQuantile(p float64) float64 {
	if p < 0.5 {
		return -math.Sqrt2 * math.Erfcinv(2*p)
	}
	return math.Sqrt2 * math.Erfcinv(2*(1-p))
}
