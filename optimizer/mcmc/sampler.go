package mcmc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// LogDensity returns the log of an unnormalized target density at x, or
// -Inf outside its support. It must not modify x and must be safe for
// concurrent use: chains call it from parallel goroutines.
type LogDensity func(x []float64) float64

// Config configures Sample. Zero fields take the documented defaults.
type Config struct {
	// Chains is the number of independent chains, run in parallel (default 4).
	Chains int
	// Warmup is the number of adaptation iterations per chain, discarded
	// (default 1000).
	Warmup int
	// Draws is the number of retained draws per chain (default 1000).
	Draws int
	// Thin keeps every Thin-th post-warm-up iteration (default 1): a chain
	// runs Warmup + Draws*Thin iterations.
	Thin int
	// Seed seeds the chains: chain c draws from PCG(Seed, c), so results do
	// not depend on goroutine scheduling.
	Seed uint64
	// Init writes a starting point for a chain into x. Dispersed starting
	// points make R-hat meaningful. Required.
	Init func(r *rand.Rand, x []float64)
	// Scale is the initial proposal standard deviation per coordinate
	// (default 0.1 for every coordinate).
	Scale []float64
	// TargetAccept is the acceptance rate the warm-up tunes the global
	// proposal scale to (default 0.234, 0.44 in one dimension).
	TargetAccept float64
	// Progress, when set, is called with the iterations done and the total
	// over all chains, at most about 200 times per run, never concurrently,
	// and once at the end with done == total.
	Progress func(done, total int)
}

// Result holds the retained draws of a run.
type Result struct {
	// Draws is [chain][draw][coordinate].
	Draws [][][]float64
	// AcceptRate is the post-warm-up acceptance rate of each chain.
	AcceptRate []float64
	// LogDensity is [chain][draw] log density of each retained draw.
	LogDensity [][]float64
	// Divergences counts post-warm-up divergent transitions per chain
	// (SampleNUTS only).
	Divergences []int
	// StepSize is the adapted leapfrog step size per chain (SampleNUTS only).
	StepSize []float64
}

// Dim returns the number of coordinates of the draws.
func (r *Result) Dim() int {
	if len(r.Draws) == 0 || len(r.Draws[0]) == 0 {
		return 0
	}
	return len(r.Draws[0][0])
}

// Param returns coordinate i as a [chain][draw] matrix, the shape the
// diagnostics take.
func (r *Result) Param(i int) [][]float64 {
	out := make([][]float64, len(r.Draws))
	for c, ch := range r.Draws {
		out[c] = make([]float64, len(ch))
		for d, x := range ch {
			out[c][d] = x[i]
		}
	}
	return out
}

// Map applies f to every draw and returns the [chain][draw] matrix of its
// values: the draws of a derived quantity.
func (r *Result) Map(f func(x []float64) float64) [][]float64 {
	out := make([][]float64, len(r.Draws))
	for c, ch := range r.Draws {
		out[c] = make([]float64, len(ch))
		for d, x := range ch {
			out[c][d] = f(x)
		}
	}
	return out
}

// ErrInvalidStart is returned when a chain's starting point has a
// non-finite log density.
var ErrInvalidStart = errors.New("mcmc: starting point has zero density")

// Sample draws from target, a density on R^dim, with adaptive random-walk
// Metropolis (Haario et al. 2001; Roberts & Rosenthal 2009; Andrieu & Thoms
// 2008).
//
// During warm-up the proposal is Normal(x, lambda^2 * 2.38^2/dim * Sigma):
// Sigma is re-estimated at the end of doubling windows (Stan-like, each from
// the window's own draws only, so the transient from the starting point is
// forgotten) with shrinkage towards its diagonal, and log lambda follows a
// Robbins-Monro recursion towards TargetAccept. After warm-up the proposal
// is frozen, so the retained draws come from a time-homogeneous Metropolis
// chain with the target as its stationary law.
//
// Chains run in parallel goroutines; ctx is checked between iterations and
// its error returned (wrapped) on cancellation.
func Sample(ctx context.Context, target LogDensity, dim int, cfg Config) (*Result, error) {
	if dim < 1 {
		return nil, fmt.Errorf("mcmc: dimension %d < 1", dim)
	}
	if cfg.Init == nil {
		return nil, errors.New("mcmc: Config.Init is required")
	}
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
		cfg.TargetAccept = 0.234
		if dim == 1 {
			cfg.TargetAccept = 0.44
		}
	}
	if cfg.Scale != nil && len(cfg.Scale) != dim {
		return nil, fmt.Errorf("mcmc: %d scales for dimension %d", len(cfg.Scale), dim)
	}
	perChain := cfg.Warmup + cfg.Draws*cfg.Thin
	total := perChain * cfg.Chains
	prog := newProgress(cfg.Progress, total)

	res := &Result{
		Draws:      make([][][]float64, cfg.Chains),
		AcceptRate: make([]float64, cfg.Chains),
		LogDensity: make([][]float64, cfg.Chains),
	}
	errs := make([]error, cfg.Chains)
	var wg sync.WaitGroup
	for c := range cfg.Chains {
		wg.Go(func() {
			ch := &chain{
				target: target,
				dim:    dim,
				cfg:    &cfg,
				rng:    rand.New(rand.NewPCG(cfg.Seed, uint64(c))),
				prog:   prog,
			}
			errs[c] = ch.run(ctx)
			res.Draws[c] = ch.draws
			res.LogDensity[c] = ch.lps
			res.AcceptRate[c] = ch.acceptRate
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

// progress serializes progress callbacks.
type progress struct {
	fn    func(done, total int)
	total int
	every int64
	done  atomic.Int64
	mu    sync.Mutex
	last  int64 // last value reported, guarded by mu
}

func newProgress(fn func(done, total int), total int) *progress {
	return &progress{fn: fn, total: total, every: int64(max(1, total/200))}
}

func (p *progress) add(n int) {
	if p.fn == nil {
		return
	}
	d := p.done.Add(int64(n))
	if d%p.every < int64(n) && d < int64(p.total) {
		p.mu.Lock()
		// chains race to the lock: never report less than already reported
		if d > p.last {
			p.last = d
			p.fn(int(d), p.total)
		}
		p.mu.Unlock()
	}
}

func (p *progress) finish() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	p.fn(p.total, p.total)
	p.mu.Unlock()
}

type chain struct {
	target LogDensity
	dim    int
	cfg    *Config
	rng    *rand.Rand
	prog   *progress

	draws      [][]float64
	lps        []float64
	acceptRate float64
}

func (ch *chain) run(ctx context.Context) error {
	d := ch.dim
	cfg := ch.cfg
	x := make([]float64, d)
	var lp float64
	// Up to 100 attempts at a starting point with finite density.
	for attempt := 0; ; attempt++ {
		cfg.Init(ch.rng, x)
		lp = ch.target(x)
		if !math.IsNaN(lp) && !math.IsInf(lp, 0) {
			break
		}
		if attempt == 99 {
			return ErrInvalidStart
		}
	}
	// Proposal: chol is the Cholesky factor of Sigma; the step is
	// exp(logLambda) * 2.38/sqrt(d) * chol * z.
	chol := make([]float64, d*d)
	for i := range d {
		s := 0.1
		if cfg.Scale != nil {
			s = cfg.Scale[i]
		}
		chol[i*d+i] = s
	}
	logLambda := 0.0
	sinceReset := 0
	base := 2.38 / math.Sqrt(float64(d))

	// Adaptation windows over warm-up: an initial fast phase (15%), doubling
	// covariance windows, and a final phase (10%) that only tunes lambda.
	warm := cfg.Warmup
	initBuf := int(0.15 * float64(warm))
	termBuf := int(0.1 * float64(warm))
	winStart := initBuf
	winLen := max(25, (warm-initBuf-termBuf)/15)
	winEnd := winStart + winLen
	lastCovEnd := warm - termBuf
	welford := newWelford(d)

	y := make([]float64, d)
	z := make([]float64, d)
	total := warm + cfg.Draws*cfg.Thin
	ch.draws = make([][]float64, 0, cfg.Draws)
	ch.lps = make([]float64, 0, cfg.Draws)
	accepted := 0
	pending := 0
	for it := range total {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("iteration %d: %w", it, err)
		}
		for i := range z {
			z[i] = ch.rng.NormFloat64()
		}
		step := math.Exp(logLambda) * base
		for i := range d {
			var s float64
			for j := 0; j <= i; j++ {
				s += chol[i*d+j] * z[j]
			}
			y[i] = x[i] + step*s
		}
		lpy := ch.target(y)
		alpha := 0.0
		if !math.IsNaN(lpy) {
			alpha = math.Min(1, math.Exp(lpy-lp))
		}
		if ch.rng.Float64() < alpha {
			copy(x, y)
			lp = lpy
			if it >= warm {
				accepted++
			}
		}
		if it < warm {
			// Robbins-Monro on the global scale.
			sinceReset++
			gamma := math.Pow(float64(sinceReset+10), -0.6)
			logLambda += gamma * (alpha - cfg.TargetAccept)
			logLambda = math.Max(-20, math.Min(20, logLambda))
			if it >= winStart && it < lastCovEnd {
				welford.add(x)
				if it+1 == winEnd {
					if welford.n >= 10 {
						if l, ok := welford.choleskyShrunk(); ok {
							chol = l
							logLambda = 0
							sinceReset = 0
						}
					}
					welford = newWelford(d)
					winStart = winEnd
					winLen *= 2
					winEnd = winStart + winLen
					if winEnd+winLen > lastCovEnd {
						winEnd = lastCovEnd
					}
				}
			}
		} else if (it-warm+1)%cfg.Thin == 0 {
			ch.draws = append(ch.draws, append([]float64(nil), x...))
			ch.lps = append(ch.lps, lp)
		}
		pending++
		if pending >= 16 || it == total-1 {
			ch.prog.add(pending)
			pending = 0
		}
	}
	ch.acceptRate = float64(accepted) / float64(cfg.Draws*cfg.Thin)
	return nil
}

// welford accumulates a mean and covariance.
type welford struct {
	n     int
	mean  []float64
	m2    []float64 // d*d
	delta []float64
}

func newWelford(d int) *welford {
	return &welford{mean: make([]float64, d), m2: make([]float64, d*d), delta: make([]float64, d)}
}

func (w *welford) add(x []float64) {
	w.n++
	d := len(x)
	delta := w.delta
	for i, v := range x {
		delta[i] = v - w.mean[i]
		w.mean[i] += delta[i] / float64(w.n)
	}
	for i := range d {
		di := x[i] - w.mean[i]
		for j := range d {
			w.m2[i*d+j] += di * delta[j]
		}
	}
}

// choleskyShrunk returns the Cholesky factor of the window covariance shrunk
// towards its diagonal (weight 5/(n+5)) plus a small jitter, as Stan does
// for its metric.
func (w *welford) choleskyShrunk() ([]float64, bool) {
	d := len(w.mean)
	n := float64(w.n)
	cov := make([]float64, d*d)
	alpha := n / (n + 5)
	for i := range d {
		for j := range d {
			c := w.m2[i*d+j] / (n - 1)
			if i == j {
				cov[i*d+j] = c + 1e-10
			} else {
				cov[i*d+j] = alpha * c
			}
		}
	}
	return cholesky(cov, d)
}

// cholesky returns the lower factor of the symmetric d*d matrix a.
func cholesky(a []float64, d int) ([]float64, bool) {
	l := make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			s := a[i*d+j]
			for k := range j {
				s -= l[i*d+k] * l[j*d+k]
			}
			if i == j {
				if s <= 0 || math.IsNaN(s) {
					return nil, false
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	return l, true
}
