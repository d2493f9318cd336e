package calibrate

import (
	"math"
	"math/rand/v2"
)

// Priors of the position model, on the sampler's unconstrained scale
// (see the package documentation).
const (
	priorLogBiasSD     = 0.25
	priorInterceptMean = 3.0
	priorInterceptSD   = 5.0
	priorSlopeMean     = 0.25
	priorSlopeSD       = 0.5
	priorShapeA        = 2.0 // Beta(2, 2) on shape
	priorShapeB        = 2.0
	priorFisherZSD     = 0.5 // atanh(rho) ~ Normal(0, 0.5^2)
	// sdFloor is the smallest standard deviation the model allows over the
	// range of fitted projections.
	sdFloor = 0.1
)

// Coordinates of the position model's parameter vector.
const (
	iLogBias = iota
	iIntercept
	iSlope
	iLogitShape
	posDim
)

// posParams are a position's parameters on the natural scale.
type posParams struct {
	Bias, Intercept, Slope, Shape float64
}

func toPosParams(th []float64) posParams {
	return posParams{
		Bias:      math.Exp(th[iLogBias]),
		Intercept: th[iIntercept],
		Slope:     th[iSlope],
		Shape:     logistic(th[iLogitShape]),
	}
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// posModel is the likelihood and prior of one position: actual ~
// ExGaussian(mean = bias*p, sd = intercept + slope*p, shape).
type posModel struct {
	proj, act  []float64
	pmin, pmax float64
}

func newPosModel(proj, act []float64) *posModel {
	m := &posModel{proj: proj, act: act, pmin: math.Inf(1), pmax: math.Inf(-1)}
	for _, p := range proj {
		m.pmin = math.Min(m.pmin, p)
		m.pmax = math.Max(m.pmax, p)
	}
	return m
}

// logPrior is the log prior density on the unconstrained scale (up to a
// constant), including the Jacobian of the logit transform of the shape.
func logPrior(th []float64) float64 {
	lb := th[iLogBias] / priorLogBiasSD
	a := (th[iIntercept] - priorInterceptMean) / priorInterceptSD
	b := (th[iSlope] - priorSlopeMean) / priorSlopeSD
	tau := logistic(th[iLogitShape])
	// Beta(A, B) density times the Jacobian tau*(1-tau).
	shape := priorShapeA*math.Log(tau) + priorShapeB*math.Log1p(-tau)
	return -0.5*(lb*lb+a*a+b*b) + shape
}

// logDensity is the unnormalized log posterior. It is safe for concurrent
// use (it only reads the data).
func (m *posModel) logDensity(th []float64) float64 {
	a, b := th[iIntercept], th[iSlope]
	if a+b*m.pmin < sdFloor || a+b*m.pmax < sdFloor || math.IsNaN(a+b) {
		return math.Inf(-1)
	}
	bias := math.Exp(th[iLogBias])
	tau := logistic(th[iLogitShape])
	if tau < minShape || tau > 1-1e-9 {
		return math.Inf(-1)
	}
	rt, r1 := math.Sqrt(tau), math.Sqrt(1-tau)
	k := r1 / rt
	half := 0.5 * k * k
	ll := 0.0
	for i, p := range m.proj {
		s := a + b*p
		em := s * rt
		u := (m.act[i] - bias*p + em) / (s * r1)
		ll += -math.Log(em) - k*u + half + logPhi(u-k)
	}
	return ll + logPrior(th)
}

// start returns a data-based centre for the chains' starting points:
// bias from the ratio of sums, sd line from the absolute residuals, shape 0.3.
func (m *posModel) start() []float64 {
	var sy, sp float64
	for i, p := range m.proj {
		sy += m.act[i]
		sp += p
	}
	bias := sy / sp
	if !(bias > 0.2 && bias < 5) {
		bias = 1
	}
	// OLS of |residual| * sqrt(pi/2) on projection.
	n := float64(len(m.proj))
	var mx, my float64
	for i, p := range m.proj {
		mx += p
		my += math.Abs(m.act[i]-bias*p) * math.Sqrt(math.Pi/2)
	}
	mx /= n
	my /= n
	var sxx, sxy float64
	for i, p := range m.proj {
		d := p - mx
		sxx += d * d
		sxy += d * (math.Abs(m.act[i]-bias*p)*math.Sqrt(math.Pi/2) - my)
	}
	b := 0.0
	if sxx > 0 {
		b = sxy / sxx
	}
	a := my - b*mx
	if a+b*m.pmin < 1 || a+b*m.pmax < 1 {
		a, b = math.Max(my, 1), 0
	}
	return []float64{math.Log(bias), a, b, logit(0.3)}
}

// initFunc returns an mcmc starting-point function dispersed around centre.
func initFunc(centre, spread []float64) func(r *rand.Rand, x []float64) {
	return func(r *rand.Rand, x []float64) {
		for i := range x {
			x[i] = centre[i] + spread[i]*r.NormFloat64()
		}
	}
}

// relStats are the sufficient statistics of the normal scores of one
// relation's pairs under a bivariate standard normal with correlation rho.
type relStats struct {
	n, sumSq, sumProd float64 // sumSq = sum z1^2 + z2^2
}

func (s *relStats) add(z1, z2 float64) {
	s.n++
	s.sumSq += z1*z1 + z2*z2
	s.sumProd += z1 * z2
}

// logLik is the bivariate standard normal log likelihood at rho.
func (s *relStats) logLik(rho float64) float64 {
	q := 1 - rho*rho
	return -0.5*s.n*math.Log(q) - (s.sumSq-2*rho*s.sumProd)/(2*q)
}

// corrModel is the joint posterior of the Fisher z = atanh(rho) of every
// relation (independent a priori, and independent given the scores).
type corrModel struct {
	stats []relStats
}

func (m *corrModel) logDensity(eta []float64) float64 {
	var lp float64
	for i, e := range eta {
		if math.Abs(e) > 10 {
			return math.Inf(-1)
		}
		z := e / priorFisherZSD
		lp += -0.5*z*z + m.stats[i].logLik(math.Tanh(e))
	}
	return lp
}
