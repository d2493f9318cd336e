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
		if x := u - k; x > -30 {
			// One log for log(Phi(x)/em); Phi(x) = 1 within 5e-17 above 8.3.
			ll += math.Log(phi(x)/em) - k*u + half
		} else {
			ll += -math.Log(em) - k*u + half + logPhi(x)
		}
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

// logDensityGrad is logDensity with its gradient (for NUTS). Per row, with
// w = y - bias*p, s = a + b*p, c = (2tau-1)/sqrt(tau(1-tau)) and
// x = w/(s*sqrt(1-tau)) + c,
//
//	l = -log s - log(tau)/2 - w/(s*sqrt(tau)) + (1-tau)/(2*tau) - 1 + log Phi(x)
//
// and d log Phi(x)/dx = phi(x)/Phi(x) (the inverse Mills ratio).
func (m *posModel) logDensityGrad(th, grad []float64) float64 {
	for i := range grad {
		grad[i] = 0
	}
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
	g := tau * (1 - tau)
	sg := math.Sqrt(g)
	c := (2*tau - 1) / sg
	dc := 2/sg + 0.5*(2*tau-1)*(2*tau-1)/(g*sg)
	dInvRt := 0.5 / (tau * rt)       // -d/dtau tau^(-1/2)
	dInvR1 := 0.5 / ((1 - tau) * r1) // d/dtau (1-tau)^(-1/2)
	var ll, gBias, gS, gSP, sumWS, sumMWS, sumM float64
	for i, p := range m.proj {
		s := a + b*p
		w := m.act[i] - bias*p
		x := w/(s*r1) + c
		var mills float64
		switch {
		case x > 8.3: // Phi(x) = 1 - O(5e-17), phi(x) < 1e-15
			ll += -math.Log(s) - w/(s*rt)
		case x > -30: // one log for log(Phi(x)/s)
			p := 0.5 * math.Erfc(-x/math.Sqrt2)
			mills = math.Exp(-0.5*x*x-0.5*log2Pi) / p
			ll += math.Log(p/s) - w/(s*rt)
		default:
			var lphi float64
			lphi, mills = logPhiMills(x)
			ll += -math.Log(s) - w/(s*rt) + lphi
		}
		dw := -1/(s*rt) + mills/(s*r1)
		ds := -1/s + w/(s*s*rt) - mills*w/(s*s*r1)
		gBias -= p * dw
		gS += ds
		gSP += ds * p
		sumWS += w / s
		sumMWS += mills * w / s
		sumM += mills
	}
	n := float64(len(m.proj))
	ll += n * ((1-tau)/(2*tau) - 1 - 0.5*math.Log(tau))
	gTau := n*(-0.5/tau-0.5/(tau*tau)) + sumWS*dInvRt + sumMWS*dInvR1 + sumM*dc
	grad[iLogBias] = bias*gBias - th[iLogBias]/(priorLogBiasSD*priorLogBiasSD)
	grad[iIntercept] = gS - (a-priorInterceptMean)/(priorInterceptSD*priorInterceptSD)
	grad[iSlope] = gSP - (b-priorSlopeMean)/(priorSlopeSD*priorSlopeSD)
	grad[iLogitShape] = g*gTau + priorShapeA*(1-tau) - priorShapeB*tau
	return ll + logPrior(th)
}

// logDensityGrad is the correlation posterior with its gradient.
func (m *corrModel) logDensityGrad(eta, grad []float64) float64 {
	var lp float64
	for i, e := range eta {
		if math.Abs(e) > 10 {
			return math.Inf(-1)
		}
		s := &m.stats[i]
		rho := math.Tanh(e)
		q := 1 - rho*rho
		z := e / priorFisherZSD
		lp += -0.5*z*z + s.logLik(rho)
		dll := s.n*rho/q + s.sumProd/q - rho*(s.sumSq-2*rho*s.sumProd)/(q*q)
		grad[i] = -e/(priorFisherZSD*priorFisherZSD) + dll*q
	}
	return lp
}
