package mcmc

import (
	"math"
	"math/cmplx"
)

// fftPlan caches twiddle factors and a work buffer for one transform size.
// The zero value is ready to use; it is not safe for concurrent use.
type fftPlan struct {
	n    int
	tw   []complex128
	work []complex128
}

func (p *fftPlan) prepare(n int) {
	if p.n == n {
		return
	}
	p.n = n
	p.tw = make([]complex128, n/2)
	for k := range p.tw {
		p.tw[k] = cmplx.Rect(1, -2*math.Pi*float64(k)/float64(n))
	}
	p.work = make([]complex128, n)
}

// transform is an in-place iterative radix-2 FFT of a (len = p.n, a power of
// two); inverse uses conjugate twiddles and does not scale.
func (p *fftPlan) transform(a []complex128, inverse bool) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				w := p.tw[k*step]
				if inverse {
					w = cmplx.Conj(w)
				}
				u := a[start+k]
				v := a[start+k+half] * w
				a[start+k] = u + v
				a[start+k+half] = u - v
			}
		}
	}
}

// autocovariance returns the biased autocovariances of x at lags 0..n-1,
// acov[t] = (1/n) sum_i (x_i - mean)(x_{i+t} - mean), computed by FFT with
// zero padding, as posterior::autocovariance.
func (p *fftPlan) autocovariance(x []float64) []float64 {
	n := len(x)
	m := 1
	for m < 2*n {
		m <<= 1
	}
	p.prepare(m)
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(n)
	a := p.work
	for i := range a {
		if i < n {
			a[i] = complex(x[i]-mean, 0)
		} else {
			a[i] = 0
		}
	}
	p.transform(a, false)
	for i, v := range a {
		a[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	p.transform(a, true)
	out := make([]float64, n)
	scale := 1 / (float64(m) * float64(n))
	for i := range out {
		out[i] = real(a[i]) * scale
	}
	return out
}

// betaQuantile inverts the regularized incomplete beta function I_x(a, b) by
// bisection refined with Newton steps; accurate to about 1e-12.
func betaQuantile(p, a, b float64) float64 {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return 1
	}
	lo, hi := 0.0, 1.0
	x := a / (a + b)
	lbeta := lgamma(a) + lgamma(b) - lgamma(a+b)
	for range 200 {
		f := regIncBeta(x, a, b) - p
		if math.Abs(f) < 1e-14 {
			break
		}
		if f > 0 {
			hi = x
		} else {
			lo = x
		}
		// Newton step with the beta density; fall back to bisection.
		dens := math.Exp((a-1)*math.Log(x) + (b-1)*math.Log1p(-x) - lbeta)
		nx := x - f/dens
		if !(nx > lo && nx < hi) || dens == 0 {
			nx = (lo + hi) / 2
		}
		if math.Abs(nx-x) < 1e-15 {
			x = nx
			break
		}
		x = nx
	}
	return x
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// regIncBeta is the regularized incomplete beta function I_x(a, b), by the
// continued fraction (modified Lentz).
func regIncBeta(x, a, b float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	lbt := lgamma(a+b) - lgamma(a) - lgamma(b) + a*math.Log(x) + b*math.Log1p(-x)
	if x < (a+1)/(a+b+2) {
		return math.Exp(lbt) * betaCF(x, a, b) / a
	}
	return 1 - math.Exp(lbt)*betaCF(1-x, b, a)/b
}

func betaCF(x, a, b float64) float64 {
	const tiny = 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c := 1.0
	d := 1 - qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= 10000; m++ {
		mf := float64(m)
		m2 := 2 * mf
		aa := mf * (b - mf) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		aa = -(a + mf) * (qab + mf) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-16 {
			break
		}
	}
	return h
}
