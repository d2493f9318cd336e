package mcmc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// GradLogDensity returns the log of an unnormalized target density at x
// (-Inf outside its support) and writes its gradient into grad (len(x)).
// It must not modify x and must be safe for concurrent use.
type GradLogDensity func(x, grad []float64) float64

const (
	nutsMaxDepth  = 10
	nutsMaxDeltaH = 1000.0
)

// SampleNUTS draws from target with the No-U-Turn Sampler (Hoffman & Gelman
// 2014, Algorithm 6: slice variant with dual-averaging step size) and a
// dense Euclidean metric: the sampler works in coordinates whitened by the
// Cholesky factor of a covariance estimated during warm-up, in Stan-like
// windows (75 iterations of step-size tuning, doubling covariance windows
// from 25 iterations, 50 final iterations of step-size tuning). The
// step size and metric are frozen after warm-up. Config.TargetAccept
// defaults to 0.8; Config.Scale, when given, is the initial metric's
// standard deviations. Result.Divergences counts post-warm-up divergent
// transitions per chain (energy error above 1000), a sign of a biased fit.
func SampleNUTS(ctx context.Context, target GradLogDensity, dim int, cfg Config) (*Result, error) {
	if dim < 1 {
		return nil, fmt.Errorf("mcmc: dimension %d < 1", dim)
	}
	if cfg.Init == nil {
		return nil, errors.New("mcmc: Config.Init is required")
	}
	cfg = withDefaults(cfg, 0.8)
	if cfg.Scale != nil && len(cfg.Scale) != dim {
		return nil, fmt.Errorf("mcmc: %d scales for dimension %d", len(cfg.Scale), dim)
	}
	total := (cfg.Warmup + cfg.Draws*cfg.Thin) * cfg.Chains
	prog := newProgress(cfg.Progress, total)
	res := &Result{
		Draws:       make([][][]float64, cfg.Chains),
		AcceptRate:  make([]float64, cfg.Chains),
		LogDensity:  make([][]float64, cfg.Chains),
		Divergences: make([]int, cfg.Chains),
		StepSize:    make([]float64, cfg.Chains),
	}
	errs := make([]error, cfg.Chains)
	var wg sync.WaitGroup
	for c := range cfg.Chains {
		wg.Go(func() {
			n := &nutsChain{target: target, dim: dim, cfg: &cfg, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(c))), prog: prog}
			errs[c] = n.run(ctx)
			res.Draws[c], res.LogDensity[c] = n.draws, n.lps
			res.AcceptRate[c], res.Divergences[c], res.StepSize[c] = n.meanAccept, n.divergences, n.eps
		})
	}
	wg.Wait()
	for c, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("mcmc chain %d: %w", c, err)
		}
	}
	prog.finish()
	return res, nil
}

func withDefaults(cfg Config, accept float64) Config {
	if cfg.Chains <= 0 {
		cfg.Chains = 4
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = 1000
	}
	if cfg.Draws <= 0 {
		cfg.Draws = 1000
	}
	if cfg.Thin <= 0 {
		cfg.Thin = 1
	}
	if cfg.TargetAccept <= 0 || cfg.TargetAccept >= 1 {
		cfg.TargetAccept = accept
	}
	return cfg
}

// nutsState is a point of the trajectory in whitened coordinates z (x = L z)
// with momentum p, log density and gradient with respect to z.
type nutsState struct {
	z, p, g []float64
	lp      float64
}

type nutsChain struct {
	target GradLogDensity
	dim    int
	cfg    *Config
	rng    *rand.Rand
	prog   *progress

	chol  []float64 // x = chol * z
	x, gx []float64 // scratch

	eps         float64
	draws       [][]float64
	lps         []float64
	meanAccept  float64
	divergences int
}

// eval sets s.lp and s.g at s.z.
func (n *nutsChain) eval(s *nutsState) {
	d := n.dim
	for i := range d {
		var v float64
		for j := 0; j <= i; j++ {
			v += n.chol[i*d+j] * s.z[j]
		}
		n.x[i] = v
	}
	for i := range n.gx {
		n.gx[i] = 0
	}
	s.lp = n.target(n.x, n.gx)
	// dlp/dz = chol' * dlp/dx.
	for j := range d {
		var v float64
		for i := j; i < d; i++ {
			v += n.chol[i*d+j] * n.gx[i]
		}
		s.g[j] = v
	}
	if math.IsNaN(s.lp) {
		s.lp = math.Inf(-1)
	}
}

func (n *nutsChain) newState() *nutsState {
	return &nutsState{z: make([]float64, n.dim), p: make([]float64, n.dim), g: make([]float64, n.dim)}
}

func (n *nutsChain) copyState(dst, src *nutsState) {
	copy(dst.z, src.z)
	copy(dst.p, src.p)
	copy(dst.g, src.g)
	dst.lp = src.lp
}

// leapfrog returns the state one step of size eps (signed) from s.
func (n *nutsChain) leapfrog(s *nutsState, eps float64) *nutsState {
	out := n.newState()
	for i := range s.z {
		out.p[i] = s.p[i] + 0.5*eps*s.g[i]
		out.z[i] = s.z[i] + eps*out.p[i]
	}
	n.eval(out)
	for i := range out.p {
		out.p[i] += 0.5 * eps * out.g[i]
	}
	return out
}

func kinetic(p []float64) float64 {
	var k float64
	for _, v := range p {
		k += v * v
	}
	return k / 2
}

// toX maps whitened z to x.
func (n *nutsChain) toX(z []float64) []float64 {
	d := n.dim
	x := make([]float64, d)
	for i := range d {
		for j := 0; j <= i; j++ {
			x[i] += n.chol[i*d+j] * z[j]
		}
	}
	return x
}

// toZ solves chol * z = x.
func (n *nutsChain) toZ(x []float64) []float64 {
	d := n.dim
	z := make([]float64, d)
	for i := range d {
		s := x[i]
		for j := range i {
			s -= n.chol[i*d+j] * z[j]
		}
		z[i] = s / n.chol[i*d+i]
	}
	return z
}

type treeResult struct {
	minus, plus *nutsState
	prop        *nutsState
	n           float64
	ok          bool
	alpha       float64
	nAlpha      float64
	divergent   bool
}

func uturn(minus, plus *nutsState) bool {
	var a, b float64
	for i := range minus.z {
		dz := plus.z[i] - minus.z[i]
		a += dz * minus.p[i]
		b += dz * plus.p[i]
	}
	return a < 0 || b < 0
}

// buildTree is Hoffman & Gelman's BuildTree with log slice variable logU
// and the initial Hamiltonian h0 = lp0 - kinetic0.
func (n *nutsChain) buildTree(s *nutsState, logU float64, dir float64, depth int, eps, h0 float64) treeResult {
	if depth == 0 {
		t := n.leapfrog(s, dir*eps)
		h := t.lp - kinetic(t.p)
		if math.IsNaN(h) {
			h = math.Inf(-1)
		}
		r := treeResult{minus: t, plus: t, prop: t, alpha: math.Min(1, math.Exp(h-h0)), nAlpha: 1}
		if logU <= h {
			r.n = 1
		}
		r.ok = h > logU-nutsMaxDeltaH
		r.divergent = !r.ok
		return r
	}
	r := n.buildTree(s, logU, dir, depth-1, eps, h0)
	if !r.ok {
		return r
	}
	var r2 treeResult
	if dir < 0 {
		r2 = n.buildTree(r.minus, logU, dir, depth-1, eps, h0)
		r.minus = r2.minus
	} else {
		r2 = n.buildTree(r.plus, logU, dir, depth-1, eps, h0)
		r.plus = r2.plus
	}
	if r2.n > 0 && n.rng.Float64()*(r.n+r2.n) < r2.n {
		r.prop = r2.prop
	}
	r.alpha += r2.alpha
	r.nAlpha += r2.nAlpha
	r.divergent = r.divergent || r2.divergent
	r.ok = r2.ok && !uturn(r.minus, r.plus)
	r.n += r2.n
	return r
}

// transition runs one NUTS iteration from cur; it returns the new state and
// the mean acceptance statistic of the trajectory.
func (n *nutsChain) transition(cur *nutsState, eps float64) (*nutsState, float64, bool) {
	for i := range cur.p {
		cur.p[i] = n.rng.NormFloat64()
	}
	h0 := cur.lp - kinetic(cur.p)
	logU := h0 + math.Log(n.rng.Float64())
	minus, plus := cur, cur
	next := cur
	count := 1.0
	var alpha, nAlpha float64
	divergent := false
	for depth := 0; depth < nutsMaxDepth; depth++ {
		dir := 1.0
		if n.rng.Float64() < 0.5 {
			dir = -1
		}
		var r treeResult
		if dir < 0 {
			r = n.buildTree(minus, logU, dir, depth, eps, h0)
			minus = r.minus
		} else {
			r = n.buildTree(plus, logU, dir, depth, eps, h0)
			plus = r.plus
		}
		alpha += r.alpha
		nAlpha += r.nAlpha
		divergent = divergent || r.divergent
		if !r.ok {
			break
		}
		if n.rng.Float64()*count < r.n {
			next = r.prop
		}
		count += r.n
		if uturn(minus, plus) {
			break
		}
	}
	out := n.newState()
	n.copyState(out, next)
	return out, alpha / nAlpha, divergent
}

// findStepSize is Hoffman & Gelman's heuristic: double or halve eps until
// the one-step acceptance crosses 1/2.
func (n *nutsChain) findStepSize(cur *nutsState) float64 {
	eps := 1.0
	s := n.newState()
	n.copyState(s, cur)
	for i := range s.p {
		s.p[i] = n.rng.NormFloat64()
	}
	h0 := s.lp - kinetic(s.p)
	accept := func(e float64) float64 {
		t := n.leapfrog(s, e)
		h := t.lp - kinetic(t.p)
		if math.IsNaN(h) {
			return math.Inf(-1)
		}
		return h - h0
	}
	a := 1.0
	if accept(eps) < math.Log(0.5) {
		a = -1
	}
	for range 50 {
		d := accept(eps)
		if a > 0 && d < math.Log(0.5) || a < 0 && d > math.Log(0.5) {
			break
		}
		eps *= math.Pow(2, a)
	}
	return eps
}

func (n *nutsChain) run(ctx context.Context) error {
	d := n.dim
	cfg := n.cfg
	n.chol = make([]float64, d*d)
	for i := range d {
		s := 1.0
		if cfg.Scale != nil {
			s = cfg.Scale[i]
		}
		n.chol[i*d+i] = s
	}
	n.x, n.gx = make([]float64, d), make([]float64, d)
	x0 := make([]float64, d)
	cur := n.newState()
	for attempt := 0; ; attempt++ {
		cfg.Init(n.rng, x0)
		copy(cur.z, n.toZ(x0))
		n.eval(cur)
		if !math.IsInf(cur.lp, 0) && !math.IsNaN(cur.lp) {
			break
		}
		if attempt == 99 {
			return ErrInvalidStart
		}
	}

	// Dual averaging (Hoffman & Gelman 2014, section 3.2).
	const gamma, t0, kappa = 0.05, 10.0, 0.75
	var eps, mu, hBar, logEpsBar float64
	var m int
	restart := func() {
		eps = n.findStepSize(cur)
		mu = math.Log(10 * eps)
		hBar, logEpsBar, m = 0, 0, 0
	}
	restart()

	warm := cfg.Warmup
	initBuf, termBuf, base := 75, 50, 25
	if warm < 20 {
		initBuf, termBuf, base = warm, 0, 0
	} else if initBuf+termBuf+base > warm {
		initBuf, termBuf = warm*15/100, warm*10/100
		base = warm - initBuf - termBuf
	}
	winStart, winEnd := initBuf, initBuf+base
	lastEnd := warm - termBuf
	if winEnd+2*base > lastEnd {
		winEnd = lastEnd
	}
	w := newWelford(d)

	total := warm + cfg.Draws*cfg.Thin
	var acceptSum float64
	pending := 0
	for it := range total {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("iteration %d: %w", it, err)
		}
		next, accept, divergent := n.transition(cur, eps)
		cur = next
		if it < warm {
			m++
			fm := float64(m)
			hBar = (1-1/(fm+t0))*hBar + (cfg.TargetAccept-accept)/(fm+t0)
			logEps := mu - math.Sqrt(fm)/gamma*hBar
			eta := math.Pow(fm, -kappa)
			logEpsBar = eta*logEps + (1-eta)*logEpsBar
			eps = math.Exp(logEps)
			if it >= winStart && it < lastEnd {
				w.add(n.toX(cur.z))
				if it+1 == winEnd {
					if l, ok := w.choleskyShrunk(); ok {
						x := n.toX(cur.z)
						n.chol = l
						copy(cur.z, n.toZ(x))
						n.eval(cur)
						restart()
					}
					w = newWelford(d)
					base *= 2
					winStart, winEnd = winEnd, winEnd+base
					if winEnd+2*base > lastEnd {
						winEnd = lastEnd
					}
				}
			}
			if it == warm-1 {
				eps = math.Exp(logEpsBar)
			}
		} else {
			acceptSum += accept
			if divergent {
				n.divergences++
			}
			if (it-warm+1)%cfg.Thin == 0 {
				n.draws = append(n.draws, n.toX(cur.z))
				n.lps = append(n.lps, cur.lp)
			}
		}
		pending++
		if pending >= 4 || it == total-1 {
			n.prog.add(pending)
			pending = 0
		}
	}
	n.eps = eps
	n.meanAccept = acceptSum / float64(cfg.Draws*cfg.Thin)
	return nil
}
