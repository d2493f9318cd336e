package outcome

import (
	"context"
	"fmt"
	"math"
)

// The correlation repair is cubic in the block size and iterative (Higham's
// alternating projections, each one a Jacobi eigendecomposition), so every
// routine here checks ctx once per row of work: a cancelled or timed-out job
// stops within one row (O(n²) flops, well under a millisecond for the largest
// block schema.MaxCorrelatedBlock allows) instead of running to the end.

// Dense symmetric matrices here are n×n row-major []float64; triangular
// factors are packed by rows: L[i][j] (j <= i) at i*(i+1)/2 + j.

// cholesky returns the packed lower Cholesky factor of the symmetric matrix
// a, or false when a is not (numerically) positive definite. It returns
// ctx.Err() when ctx is done before it finishes.
func cholesky(ctx context.Context, a []float64, n int) ([]float64, bool, error) {
	l := make([]float64, n*(n+1)/2)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, false, fmt.Errorf("cholesky: %w", err)
		}
		ri := i * (i + 1) / 2
		for j := 0; j <= i; j++ {
			rj := j * (j + 1) / 2
			s := a[i*n+j]
			for k := range j {
				s -= l[ri+k] * l[rj+k]
			}
			if i == j {
				if s <= 1e-12 {
					return nil, false, nil
				}
				l[ri+i] = math.Sqrt(s)
			} else {
				l[ri+j] = s / l[rj+j]
			}
		}
	}
	return l, true, nil
}

// symEigen returns the eigenvalues and eigenvectors (columns of v, row-major
// n×n) of the symmetric matrix a, by cyclic Jacobi rotations. a is not
// modified. Fine for the block sizes of a slate (one game, tens of players);
// a sweep costs about 6n³ flops, so ctx is checked before every row p of a
// sweep and ctx.Err() returned when it is done.
func symEigen(ctx context.Context, a []float64, n int) (vals, v []float64, err error) {
	m := make([]float64, len(a))
	copy(m, a)
	v = make([]float64, n*n)
	for i := range n {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for p := range n {
			for q := p + 1; q < n; q++ {
				off += m[p*n+q] * m[p*n+q]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range n {
			if err := ctx.Err(); err != nil {
				return nil, nil, fmt.Errorf("eigen sweep %d: %w", sweep, err)
			}
			for q := p + 1; q < n; q++ {
				apq := m[p*n+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				app, aqq := m[p*n+p], m[q*n+q]
				theta := (aqq - app) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range n {
					akp, akq := m[k*n+p], m[k*n+q]
					m[k*n+p] = c*akp - s*akq
					m[k*n+q] = s*akp + c*akq
				}
				for k := range n {
					apk, aqk := m[p*n+k], m[q*n+k]
					m[p*n+k] = c*apk - s*aqk
					m[q*n+k] = s*apk + c*aqk
				}
				for k := range n {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p] = c*vkp - s*vkq
					v[k*n+q] = s*vkp + c*vkq
				}
			}
		}
	}
	vals = make([]float64, n)
	for i := range n {
		vals[i] = m[i*n+i]
	}
	return vals, v, nil
}

// psdProject returns the projection of the symmetric a onto the matrices
// whose eigenvalues are at least floor (clipping the spectrum), or ctx.Err().
func psdProject(ctx context.Context, a []float64, n int, floor float64) ([]float64, error) {
	vals, v, err := symEigen(ctx, a, n)
	if err != nil {
		return nil, err
	}
	out := make([]float64, n*n)
	for k := range n {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("psd projection: %w", err)
		}
		lam := max(vals[k], floor)
		if lam == 0 {
			continue
		}
		for i := range n {
			vik := v[i*n+k] * lam
			if vik == 0 {
				continue
			}
			for j := range n {
				out[i*n+j] += vik * v[j*n+k]
			}
		}
	}
	// Symmetrise against rounding.
	for i := range n {
		for j := i + 1; j < n; j++ {
			x := (out[i*n+j] + out[j*n+i]) / 2
			out[i*n+j], out[j*n+i] = x, x
		}
	}
	return out, nil
}

// nearestCorrelation returns a positive definite correlation matrix close to
// the symmetric a (unit diagonal assumed): Higham's alternating projections
// with Dykstra's correction (Higham 2002, "Computing the nearest correlation
// matrix", IMA J. Numer. Anal. 22), then eigenvalues clipped at minEig and
// the diagonal rescaled to 1 so that the Cholesky factorisation succeeds.
// Every iteration (and every row inside it) checks ctx: it returns ctx.Err()
// wrapped when ctx is done first.
func nearestCorrelation(ctx context.Context, a []float64, n int, minEig float64) ([]float64, error) {
	y := make([]float64, len(a))
	copy(y, a)
	ds := make([]float64, len(a))
	r := make([]float64, len(a))
	for iter := 0; iter < 200; iter++ {
		for i := range r {
			r[i] = y[i] - ds[i]
		}
		x, err := psdProject(ctx, r, n, 0)
		if err != nil {
			return nil, fmt.Errorf("nearest correlation iteration %d: %w", iter, err)
		}
		for i := range ds {
			ds[i] = x[i] - r[i]
		}
		diff, norm := 0.0, 0.0
		for i := range n {
			x[i*n+i] = 1
		}
		for i := range x {
			d := x[i] - y[i]
			diff += d * d
			norm += x[i] * x[i]
		}
		y = x
		if diff <= 1e-20*norm {
			break
		}
	}
	// Strict positive definiteness: clip and restore the unit diagonal.
	z, err := psdProject(ctx, y, n, minEig)
	if err != nil {
		return nil, fmt.Errorf("nearest correlation: %w", err)
	}
	d := make([]float64, n)
	for i := range n {
		d[i] = 1 / math.Sqrt(z[i*n+i])
	}
	for i := range n {
		for j := range n {
			z[i*n+j] *= d[i] * d[j]
		}
		z[i*n+i] = 1
	}
	return z, nil
}
