package lineup

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// lp is a bounded-variable linear program solved by the dual simplex method
// with an explicit dense basis inverse. It is built for the small, boxed LPs
// of lineup optimization (tens to a few hundred rows, hundreds of columns):
//
//	maximize c·x  subject to  A x + s = b,  lo <= (x, s) <= up
//
// Every structural variable is boxed, so the all-slack basis with each
// nonbasic variable at the bound its cost prefers is dual feasible: no phase 1
// is needed, bound changes (branching) and new rows (cuts) keep the basis dual
// feasible, and every iterate's objective is an upper bound on the LP optimum,
// which lets branch and bound stop a node as soon as it falls below the cutoff.
type lp struct {
	n int // structural columns; slack of row i is variable n+i
	m int // rows

	colIdx [][]int32   // structural column j: row indices
	colVal [][]float64 // structural column j: coefficients

	c      []float64 // objective, len n+m (slacks 0)
	lo, up []float64 // bounds, len n+m
	b      []float64 // right-hand sides, len m

	basis []int     // basis[r] = variable basic in row r
	pos   []int     // pos[j] = row of basic variable j, or -1
	x     []float64 // values of all variables
	d     []float64 // reduced costs of all variables
	binv  []float64 // m*m row-major basis inverse

	building   bool // rows are being added before the first solve: no basis inverse yet
	pivots     int  // pivots since the last refactorization
	iterations int64
	y          []float64 // dual values c_B B^-1, valid while yValid
	yValid     bool

	// scratch
	rho, rho2, alpha, col []float64
	cands                 []candidate
	flips                 []int
	nz, nzA               []int32
	refB, spare           []float64 // refactor scratch: A_T and its inverse, and the previous inverse's storage
	tIdx                  []int     // refactor scratch: row -> index among the rows whose slack is nonbasic
}

// candidate is an entering candidate of the dual ratio test.
type candidate struct {
	j int
	t float64 // |d_j / alpha_j|
	a float64 // |alpha_j|
}

type rowEntry struct {
	j int32
	v float64
}

const (
	primalTol = 1e-7
	dualTol   = 1e-9
	pivotTol  = 1e-9
	refactor  = 100
)

var (
	errInfeasible = errors.New("lp infeasible")
	errIterLimit  = errors.New("lp iteration limit")
)

// lpStatus is the outcome of a solve.
type lpStatus int

const (
	lpOptimal lpStatus = iota
	lpInfeasible
	lpCutoff // objective bound fell below the cutoff
)

func newLP(n int) *lp {
	p := &lp{n: n, building: true}
	p.colIdx = make([][]int32, n)
	p.colVal = make([][]float64, n)
	// one backing array each, so the first rows of every column need no growth
	idx, val := make([]int32, 0, 8*n), make([]float64, 0, 8*n)
	for j := range p.colIdx {
		p.colIdx[j] = idx[8*j : 8*j : 8*j+8]
		p.colVal[j] = val[8*j : 8*j : 8*j+8]
	}
	p.c = make([]float64, n)
	p.lo = make([]float64, n)
	p.up = make([]float64, n)
	p.x = make([]float64, n)
	p.d = make([]float64, n)
	p.pos = make([]int, n)
	for j := range p.pos {
		p.pos[j] = -1
		p.up[j] = 1
	}
	return p
}

// addRow appends the row lo <= a·x <= hi (use ±Inf for one-sided rows). The
// new slack enters the basis, which keeps the basis dual feasible.
func (p *lp) addRow(entries []rowEntry, lo, hi float64) int {
	r := p.m
	act := 0.0 // row activity at the current x
	for _, e := range entries {
		if e.v != 0 {
			p.colIdx[e.j] = append(p.colIdx[e.j], int32(r))
			p.colVal[e.j] = append(p.colVal[e.j], e.v)
			act += e.v * p.x[e.j]
		}
	}
	// slack s = b - a·x with b = hi (or lo for >= rows)
	var b, slo, sup float64
	switch {
	case !math.IsInf(hi, 1):
		b, slo, sup = hi, 0, hi-lo // lo may be -Inf: sup = +Inf
	default:
		b, slo, sup = lo, math.Inf(-1), 0
	}
	p.b = append(p.b, b)
	p.c = append(p.c, 0)
	p.lo = append(p.lo, slo)
	p.up = append(p.up, sup)
	p.d = append(p.d, 0)
	sIdx := p.n + r
	p.x = append(p.x, b-act)
	p.pos = append(p.pos, r)
	p.basis = append(p.basis, sIdx)
	p.m++
	p.yValid = false
	if p.building {
		return r // the basis inverse is set up once the model is complete
	}
	// extend binv: new row = -a_B^T Binv, new col = e_r
	m := p.m
	nb := make([]float64, m*m)
	for i := 0; i < m-1; i++ {
		copy(nb[i*m:i*m+m-1], p.binv[i*(m-1):(i+1)*(m-1)])
	}
	last := nb[(m-1)*m:]
	for _, e := range entries {
		if k := p.pos[e.j]; k >= 0 && e.v != 0 {
			// basic structural in row k
			src := nb[k*m : k*m+m-1]
			for t, v := range src {
				last[t] -= e.v * v
			}
		}
	}
	last[m-1] = 1
	p.binv = nb
	p.rho = make([]float64, m)
	p.rho2 = make([]float64, m)
	p.col = make([]float64, m)
	if len(p.alpha) < p.n+m {
		p.alpha = make([]float64, p.n+2*m+16)
	}
	return r
}

// setRowBounds changes a row's range lo <= a·x <= hi of a row created as a
// ranged or <= row (its slack bounds become [0, hi-lo] after shifting b).
func (p *lp) setRowBounds(r int, lo, hi float64) {
	s := p.n + r
	p.b[r] = hi
	p.lo[s], p.up[s] = 0, hi-lo
	if p.pos[s] < 0 {
		p.placeNonbasic(s)
	}
	p.recomputePrimal()
}

// setBounds changes a structural variable's bounds, keeping dual feasibility.
func (p *lp) setBounds(j int, lo, up float64) {
	wasFixed := p.lo[j] == p.up[j]
	p.lo[j], p.up[j] = lo, up
	if p.pos[j] < 0 {
		if wasFixed && lo != up {
			p.d[j] = p.reducedCost(j)
		}
		old := p.x[j]
		p.placeNonbasic(j)
		if p.x[j] != old {
			p.shiftBasic(j, p.x[j]-old)
		}
	}
}

// reducedCost computes c_j - y·A_j with y = c_B B^-1 (cached between pivots).
func (p *lp) reducedCost(j int) float64 {
	m := p.m
	if !p.yValid {
		if cap(p.y) < m {
			p.y = make([]float64, m)
		}
		p.y = p.y[:m]
		for i := range p.y {
			p.y[i] = 0
		}
		for r := 0; r < m; r++ {
			cb := p.c[p.basis[r]]
			if cb == 0 {
				continue
			}
			for i, v := range p.binv[r*m : r*m+m] {
				p.y[i] += cb * v
			}
		}
		p.yValid = true
	}
	if j >= p.n {
		return -p.y[j-p.n]
	}
	s := 0.0
	for k, r := range p.colIdx[j] {
		s += p.y[r] * p.colVal[j][k]
	}
	return p.c[j] - s
}

// placeNonbasic puts nonbasic j at the bound its reduced cost prefers.
func (p *lp) placeNonbasic(j int) {
	switch {
	case p.lo[j] == p.up[j]:
		p.x[j] = p.lo[j]
	case p.d[j] > 0 && !math.IsInf(p.up[j], 1):
		p.x[j] = p.up[j]
	case !math.IsInf(p.lo[j], -1):
		p.x[j] = p.lo[j]
	default:
		p.x[j] = p.up[j]
	}
}

// shiftBasic updates basic values after nonbasic j moved by delta:
// x_B -= B^-1 A_j delta.
func (p *lp) shiftBasic(j int, delta float64) {
	p.ftran(j, p.col)
	for r, v := range p.col {
		if v != 0 {
			p.x[p.basis[r]] -= v * delta
		}
	}
}

// ftran computes out = B^-1 A_j.
func (p *lp) ftran(j int, out []float64) {
	m := p.m
	for i := range out[:m] {
		out[i] = 0
	}
	if j >= p.n {
		r := j - p.n
		for i := 0; i < m; i++ {
			out[i] = p.binv[i*m+r]
		}
		return
	}
	idx, val := p.colIdx[j], p.colVal[j]
	for i := 0; i < m; i++ {
		row := p.binv[i*m : i*m+m]
		s := 0.0
		for k, r := range idx {
			s += row[r] * val[k]
		}
		out[i] = s
	}
}

// resetBasis returns to the all-slack basis (after the objective changed).
func (p *lp) resetBasis() { p.slackBasis() }

// setObjective replaces the structural objective and restarts from the slack
// basis, which is dual feasible for any objective.
func (p *lp) setObjective(c []float64) {
	copy(p.c[:p.n], c)
	p.resetBasis()
}

// refactor recomputes the basis inverse, the primal values of basic
// variables and all reduced costs from scratch.
func (p *lp) refactor() {
	m := p.m
	p.pivots = 0
	p.yValid = false
	if m == 0 {
		for j := 0; j < p.n; j++ {
			p.d[j] = p.c[j]
			p.placeNonbasic(j)
		}
		return
	}
	// Basic slacks are unit columns: with T the rows whose slack is not
	// basic and S the others, B = [[A_T, 0], [A_S, I]] (rows T then S,
	// structural positions then slack ones), so B^-1 = [[A_T^-1, 0],
	// [-A_S A_T^-1, I]] and only A_T, one row per basic structural, needs a
	// dense Gauss-Jordan inversion (with partial pivoting).
	tIdx := p.tIdx[:0]
	var tRows []int
	for r := 0; r < m; r++ {
		if p.pos[p.n+r] >= 0 {
			tIdx = append(tIdx, -1)
		} else {
			tIdx = append(tIdx, len(tRows))
			tRows = append(tRows, r)
		}
	}
	p.tIdx = tIdx
	var xPos []int // positions of the basic structurals
	for i := 0; i < m; i++ {
		if p.basis[i] < p.n {
			xPos = append(xPos, i)
		}
	}
	q := len(xPos)
	if q != len(tRows) {
		p.slackBasis() // cannot happen for a basis: one slack row per basic slack
		return
	}
	// scratch reused across refactorizations: A_T and its inverse, then the
	// old inverse's storage for the new one
	if cap(p.refB) < 2*q*q {
		p.refB = make([]float64, 2*q*q)
	}
	a, ainv := p.refB[:q*q], p.refB[q*q:2*q*q]
	clear(a)
	clear(ainv)
	for t, i := range xPos {
		j := p.basis[i]
		for k, r := range p.colIdx[j] {
			if tr := tIdx[r]; tr >= 0 {
				a[tr*q+t] = p.colVal[j][k]
			}
		}
		ainv[t*q+t] = 1
	}
	for col := 0; col < q; col++ {
		piv, best := -1, 0.0
		for r := col; r < q; r++ {
			if v := math.Abs(a[r*q+col]); v > best {
				piv, best = r, v
			}
		}
		if piv < 0 || best < 1e-12 {
			// singular basis: fall back to the slack basis
			p.slackBasis()
			return
		}
		if piv != col {
			swapRows(a, q, piv, col)
			swapRows(ainv, q, piv, col)
		}
		f := 1 / a[col*q+col]
		scaleRow(a, q, col, f)
		scaleRow(ainv, q, col, f)
		nzA := append(p.nzA[:0], p.nonzeros(a[col*q:col*q+q])...)
		p.nzA = nzA
		nzInv := p.nonzeros(ainv[col*q : col*q+q])
		for r := 0; r < q; r++ {
			if r == col {
				continue
			}
			g := a[r*q+col]
			if g == 0 {
				continue
			}
			axpyRow(a, q, r, col, -g, nzA)
			axpyRow(ainv, q, r, col, -g, nzInv)
		}
	}
	inv := p.spare
	if cap(inv) < m*m {
		inv = make([]float64, m*m)
	}
	inv = inv[:m*m]
	clear(inv)
	for t, i := range xPos {
		row := inv[i*m : i*m+m]
		src := ainv[t*q : t*q+q]
		for tr, r := range tRows {
			row[r] = src[tr]
		}
	}
	for r := 0; r < m; r++ {
		if ps := p.pos[p.n+r]; ps >= 0 {
			inv[ps*m+r] = 1
		}
	}
	for t, i := range xPos {
		j := p.basis[i]
		src := ainv[t*q : t*q+q]
		nz := p.nonzeros(src)
		for k, r := range p.colIdx[j] {
			ps := p.pos[p.n+int(r)]
			if ps < 0 {
				continue // a T row
			}
			v := p.colVal[j][k]
			row := inv[ps*m : ps*m+m]
			for _, tr := range nz {
				row[tRows[tr]] -= v * src[tr]
			}
		}
	}
	p.spare, p.binv = p.binv, inv
	p.recomputeDual()
	for j := 0; j < p.n+m; j++ {
		if p.pos[j] < 0 {
			p.placeNonbasic(j)
		}
	}
	p.recomputePrimal()
}

func (p *lp) slackBasis() {
	m := p.m
	p.yValid = false
	p.pivots = 0
	p.building = false
	p.rho = make([]float64, m)
	p.rho2 = make([]float64, m)
	p.col = make([]float64, m)
	if len(p.alpha) < p.n+m {
		p.alpha = make([]float64, p.n+2*m+16)
	}
	for j := range p.pos {
		p.pos[j] = -1
	}
	for r := 0; r < m; r++ {
		p.basis[r] = p.n + r
		p.pos[p.n+r] = r
	}
	p.binv = make([]float64, m*m)
	for i := 0; i < m; i++ {
		p.binv[i*m+i] = 1
	}
	p.recomputeDual()
	for j := 0; j < p.n+m; j++ {
		if p.pos[j] < 0 {
			p.placeNonbasic(j)
		}
	}
	p.recomputePrimal()
}

func swapRows(a []float64, m, i, k int) {
	ri, rk := a[i*m:i*m+m], a[k*m:k*m+m]
	for t := range ri {
		ri[t], rk[t] = rk[t], ri[t]
	}
}

func scaleRow(a []float64, m, i int, f float64) {
	for t := range a[i*m : i*m+m] {
		a[i*m+t] *= f
	}
}

// axpyRow adds f times row src to row dst over the nonzero columns nz of src.
func axpyRow(a []float64, m, dst, src int, f float64, nz []int32) {
	d, s := a[dst*m:dst*m+m], a[src*m:src*m+m]
	for _, t := range nz {
		d[t] += f * s[t]
	}
}

// recomputeDual sets d = c - (c_B B^-1) A.
func (p *lp) recomputeDual() {
	m := p.m
	y := p.rho[:m]
	for i := range y {
		y[i] = 0
	}
	for r := 0; r < m; r++ {
		cb := p.c[p.basis[r]]
		if cb == 0 {
			continue
		}
		row := p.binv[r*m : r*m+m]
		for i, v := range row {
			y[i] += cb * v
		}
	}
	for j := 0; j < p.n; j++ {
		s := 0.0
		for k, r := range p.colIdx[j] {
			s += y[r] * p.colVal[j][k]
		}
		p.d[j] = p.c[j] - s
	}
	for r := 0; r < m; r++ {
		p.d[p.n+r] = -y[r]
	}
	for r := 0; r < m; r++ {
		p.d[p.basis[r]] = 0
	}
}

// recomputePrimal sets x_B = B^-1 (b - N x_N).
func (p *lp) recomputePrimal() {
	m := p.m
	rhs := make([]float64, m)
	copy(rhs, p.b)
	for j := 0; j < p.n; j++ {
		if p.pos[j] >= 0 || p.x[j] == 0 {
			continue
		}
		xj := p.x[j]
		for k, r := range p.colIdx[j] {
			rhs[r] -= p.colVal[j][k] * xj
		}
	}
	for r := 0; r < m; r++ {
		if s := p.n + r; p.pos[s] < 0 {
			rhs[r] -= p.x[s]
		}
	}
	for i := 0; i < m; i++ {
		row := p.binv[i*m : i*m+m]
		s := 0.0
		for t, v := range row {
			s += v * rhs[t]
		}
		p.x[p.basis[i]] = s
	}
}

// objective returns c·x for the current iterate; for a dual feasible basis
// it bounds the LP optimum from above.
func (p *lp) objective() float64 {
	z := 0.0
	for j := 0; j < p.n; j++ {
		z += p.c[j] * p.x[j]
	}
	return z
}

// solve runs the dual simplex until the basis is primal feasible (optimal),
// the LP is found infeasible, or the objective bound drops to cutoff or
// below. maxIter bounds the pivots.
func (p *lp) solve(cutoff float64, maxIter int) (lpStatus, error) {
	m := p.m
	// Dual degenerate pivots (no objective progress) can cycle; after a run
	// of them the solve switches to Bland's rule (smallest index leaving and
	// entering), which terminates.
	bland := false
	stall := 0
	lastZ := math.Inf(1)
	for it := 0; ; it++ {
		if it >= maxIter {
			return 0, errIterLimit
		}
		if p.pivots >= refactor {
			p.refactor()
		}
		z := p.objective()
		if z < lastZ-1e-9*(1+math.Abs(z)) {
			lastZ, stall = z, 0
		} else if stall++; stall > 50 {
			bland = true
		}
		// leaving row: largest bound violation (Bland: smallest variable index)
		r, worst := -1, primalTol
		for i := 0; i < m; i++ {
			j := p.basis[i]
			v := p.x[j]
			var viol float64
			if v < p.lo[j]-primalTol {
				viol = p.lo[j] - v
			} else if v > p.up[j]+primalTol {
				viol = v - p.up[j]
			} else {
				continue
			}
			if bland {
				if r < 0 || j < p.basis[r] {
					r = i
				}
			} else if viol > worst {
				r, worst = i, viol
			}
		}
		if r < 0 {
			return lpOptimal, nil
		}
		if z <= cutoff {
			return lpCutoff, nil
		}
		leave := p.basis[r]
		toLower := p.x[leave] < p.lo[leave]
		// pivot row alpha_j = (e_r B^-1) A_j over nonbasic j
		rho := p.binv[r*m : r*m+m]
		alpha := p.alpha[:p.n+m]
		// Ratio test with bound flipping: candidates are passed in order of
		// their dual ratio; a boxed candidate whose whole range still leaves
		// the leaving variable infeasible flips to its other bound instead of
		// entering (one pivot instead of many).
		cands := p.cands[:0]
		for j := 0; j < p.n+m; j++ {
			if p.pos[j] >= 0 || p.lo[j] == p.up[j] {
				continue
			}
			var a float64
			if j < p.n {
				for k, i := range p.colIdx[j] {
					a += rho[i] * p.colVal[j][k]
				}
			} else {
				a = rho[j-p.n]
			}
			alpha[j] = a
			if !p.eligible(j, a, toLower) {
				continue
			}
			cands = append(cands, candidate{j: j, t: math.Abs(p.d[j]) / math.Abs(a), a: math.Abs(a)})
		}
		p.cands = cands
		if len(cands) == 0 {
			return lpInfeasible, nil
		}
		target := p.up[leave]
		if toLower {
			target = p.lo[leave]
		}
		enter := -1
		flips := p.flips[:0]
		if bland {
			best := math.Inf(1)
			for _, c := range cands {
				if c.t < best*(1-1e-12) || (c.t <= best*(1+1e-12) && c.j < enter) {
					best, enter = c.t, c.j
				}
			}
		} else {
			slices.SortFunc(cands, func(x, y candidate) int {
				if x.t != y.t {
					return cmp.Compare(x.t, y.t)
				}
				return cmp.Compare(y.a, x.a)
			})
			slope := math.Abs(p.x[leave] - target)
			for k, c := range cands {
				rng := p.up[c.j] - p.lo[c.j]
				if !math.IsInf(rng, 1) && slope-c.a*rng > primalTol {
					if k == len(cands)-1 {
						return lpInfeasible, nil
					}
					slope -= c.a * rng
					flips = append(flips, c.j)
					continue
				}
				// among near-ties prefer the largest pivot element
				enter = c.j
				best := c.a
				for _, c2 := range cands[k+1:] {
					if c2.t > c.t+dualTol {
						break
					}
					if c2.a > best {
						enter, best = c2.j, c2.a
					}
				}
				break
			}
		}
		p.flips = flips
		if enter < 0 {
			return lpInfeasible, nil
		}
		aq := alpha[enter]
		theta := p.d[enter] / aq
		// dual update; fixed variables are skipped and their reduced cost is
		// recomputed when their bounds are relaxed (see setBounds)
		for j := 0; j < p.n+m; j++ {
			if p.pos[j] >= 0 || p.lo[j] == p.up[j] {
				continue
			}
			p.d[j] -= theta * alpha[j]
		}
		p.d[enter] = 0
		p.d[leave] = -theta
		// primal update: bound flips, then the pivot step
		col := p.col[:m]
		if len(flips) > 0 {
			rhs := p.rho2[:m]
			for i := range rhs {
				rhs[i] = 0
			}
			for _, j := range flips {
				if j == enter {
					continue
				}
				nv := p.up[j]
				if p.x[j] >= p.up[j] {
					nv = p.lo[j]
				}
				dx := nv - p.x[j]
				p.x[j] = nv
				if j < p.n {
					for k, i := range p.colIdx[j] {
						rhs[i] += p.colVal[j][k] * dx
					}
				} else {
					rhs[j-p.n] += dx
				}
			}
			nz := p.nonzeros(rhs)
			for i := 0; i < m; i++ {
				row := p.binv[i*m : i*m+m]
				v := 0.0
				for _, t := range nz {
					v += row[t] * rhs[t]
				}
				p.x[p.basis[i]] -= v
			}
		}
		p.ftran(enter, col)
		delta := (p.x[leave] - target) / col[r]
		for i := 0; i < m; i++ {
			if col[i] != 0 {
				p.x[p.basis[i]] -= col[i] * delta
			}
		}
		p.x[enter] += delta
		p.x[leave] = target
		// basis inverse update
		pr := p.binv[r*m : r*m+m]
		inv := 1 / col[r]
		for t := range pr {
			pr[t] *= inv
		}
		nz := p.nonzeros(pr)
		for i := 0; i < m; i++ {
			if i == r || col[i] == 0 {
				continue
			}
			f := col[i]
			row := p.binv[i*m : i*m+m]
			for _, t := range nz {
				row[t] -= f * pr[t]
			}
		}
		p.basis[r] = enter
		p.pos[enter] = r
		p.pos[leave] = -1
		p.pivots++
		p.iterations++
		p.yValid = false
	}
}

// nonzeros returns the indices of the nonzero entries of v, ascending (in
// scratch space valid until the next call). Dense row operations skip zeros
// through it: basis inverse rows are mostly sparse.
func (p *lp) nonzeros(v []float64) []int32 {
	nz := p.nz[:0]
	for t, x := range v {
		if x != 0 {
			nz = append(nz, int32(t))
		}
	}
	p.nz = nz
	return nz
}

// eligible reports whether nonbasic j with pivot-row entry a can enter when
// the leaving variable moves up (toLower: it is below its lower bound) or down.
func (p *lp) eligible(j int, a float64, toLower bool) bool {
	if math.Abs(a) < pivotTol {
		return false
	}
	atUpper := p.x[j] >= p.up[j] && !math.IsInf(p.up[j], 1)
	atLower := p.x[j] <= p.lo[j] && !math.IsInf(p.lo[j], -1)
	if toLower {
		return (atLower && a < 0) || (atUpper && a > 0) || (!atLower && !atUpper)
	}
	return (atLower && a > 0) || (atUpper && a < 0) || (!atLower && !atUpper)
}
