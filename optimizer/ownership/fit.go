package ownership

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// FitSlate is one slate with the ownership a real contest field gave it.
type FitSlate struct {
	// Name labels the slate in reports.
	Name  string
	Rules *slate.Rules
	// Players is the whole slate (features are computed on all of it).
	Players []slate.Player
	// Actual[i] is players[i]'s actual ownership as a fraction; NaN when
	// unknown (e.g. late games of a standings file captured mid-slate).
	Actual []float64
	// TeamTotals are optional implied team points.
	TeamTotals map[string]float64
}

// FitOptions tune Fit.
type FitOptions struct {
	// Ridge is the L2 penalty on the coefficients (per slate of weight 1).
	Ridge float64
	// MaxIter bounds the Newton iterations (0: 50).
	MaxIter int
}

// FitResult is the outcome of Fit.
type FitResult struct {
	Beta       [NumFeatures]float64
	Iterations int
	// Loss is the penalized mean cross-entropy at the optimum.
	Loss float64
}

// fitGroup is one position group of one slate: the features and actual
// shares of the players whose actual ownership is known.
type fitGroup struct {
	x      [][NumFeatures]float64
	a      []float64 // actual shares, summing to 1
	weight float64
}

// Fit estimates the utility coefficients by maximum likelihood: within every
// position group of every slate, the actual ownership shares are treated as
// multinomial choice frequencies of a softmax over the group's players whose
// ownership is known (a conditional logit, so groups observed only in part
// still count). Groups are weighted by their slot demand, each slate weighs
// 1, and a ridge penalty keeps the coefficients finite. Newton's method with
// step halving; deterministic.
func Fit(ctx context.Context, slates []FitSlate, opt FitOptions) (*FitResult, error) {
	var groups []fitGroup
	for si := range slates {
		g, err := fitGroups(&slates[si])
		if err != nil {
			return nil, err
		}
		groups = append(groups, g...)
	}
	if len(groups) == 0 {
		return nil, errors.New("ownership: no slate with known ownership to fit")
	}
	maxIter := opt.MaxIter
	if maxIter == 0 {
		maxIter = 50
	}
	res := &FitResult{}
	beta := make([]float64, NumFeatures)
	loss := func(b []float64) float64 {
		l := 0.5 * opt.Ridge * dot(b, b)
		for _, g := range groups {
			l += g.weight * groupLoss(g, b)
		}
		return l
	}
	cur := loss(beta)
	for it := 0; it < maxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		grad := make([]float64, NumFeatures)
		hess := make([][]float64, NumFeatures)
		for k := range hess {
			hess[k] = make([]float64, NumFeatures)
			hess[k][k] = opt.Ridge
			grad[k] = opt.Ridge * beta[k]
		}
		for _, g := range groups {
			s := softmax(g.x, beta)
			var mean [NumFeatures]float64
			for i := range g.x {
				for k := range NumFeatures {
					grad[k] += g.weight * (s[i] - g.a[i]) * g.x[i][k]
					mean[k] += s[i] * g.x[i][k]
				}
			}
			for i := range g.x {
				for j := range NumFeatures {
					for k := range NumFeatures {
						hess[j][k] += g.weight * s[i] * g.x[i][j] * g.x[i][k]
					}
				}
			}
			for j := range NumFeatures {
				for k := range NumFeatures {
					hess[j][k] -= g.weight * mean[j] * mean[k]
				}
			}
		}
		step, err := solve(hess, grad)
		if err != nil {
			return nil, err
		}
		t := 1.0
		var next []float64
		var nl float64
		for range 40 {
			next = make([]float64, NumFeatures)
			for k := range next {
				next[k] = beta[k] - t*step[k]
			}
			nl = loss(next)
			if nl <= cur {
				break
			}
			t /= 2
		}
		res.Iterations = it + 1
		done := cur-nl < 1e-12
		if nl <= cur {
			beta, cur = next, nl
		}
		if done {
			break
		}
	}
	copy(res.Beta[:], beta)
	res.Loss = cur
	return res, nil
}

// fitGroups builds the fit groups of one slate.
func fitGroups(s *FitSlate) ([]fitGroup, error) {
	if s.Rules == nil {
		return nil, fmt.Errorf("slate %s: no rules", s.Name)
	}
	if len(s.Actual) != len(s.Players) {
		return nil, fmt.Errorf("slate %s: %d actual values for %d players", s.Name, len(s.Actual), len(s.Players))
	}
	n := len(s.Players)
	group := make([]string, n)
	act := make([]bool, n)
	for i := range s.Players {
		pos := groupOf(&s.Players[i], s.Rules)
		group[i] = pos
		act[i] = pos != "" && active(&s.Players[i])
	}
	x := features(s.Players, group, act, s.TeamTotals)
	byGroup := map[string][]int{}
	var total float64
	for i := range s.Players {
		if act[i] && !math.IsNaN(s.Actual[i]) {
			byGroup[group[i]] = append(byGroup[group[i]], i)
			total += s.Actual[i]
		}
	}
	names := make([]string, 0, len(byGroup))
	for g := range byGroup {
		names = append(names, g)
	}
	sort.Strings(names)
	var out []fitGroup
	for _, name := range names {
		idx := byGroup[name]
		var sum float64
		for _, i := range idx {
			sum += s.Actual[i]
		}
		if sum <= 0 || len(idx) < 2 {
			continue
		}
		g := fitGroup{weight: sum / total}
		for _, i := range idx {
			g.x = append(g.x, x[i])
			g.a = append(g.a, s.Actual[i]/sum)
		}
		out = append(out, g)
	}
	return out, nil
}

func softmax(x [][NumFeatures]float64, b []float64) []float64 {
	s := make([]float64, len(x))
	m := math.Inf(-1)
	for i := range x {
		for k := range NumFeatures {
			s[i] += b[k] * x[i][k]
		}
		m = max(m, s[i])
	}
	var z float64
	for i := range s {
		s[i] = math.Exp(s[i] - m)
		z += s[i]
	}
	for i := range s {
		s[i] /= z
	}
	return s
}

func groupLoss(g fitGroup, b []float64) float64 {
	s := softmax(g.x, b)
	var l float64
	for i := range s {
		if g.a[i] > 0 {
			l -= g.a[i] * math.Log(max(s[i], 1e-300))
		}
	}
	return l
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// solve solves A x = b by Gaussian elimination with partial pivoting.
func solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(slices.Clone(a[i]), b[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-14 {
			return nil, errors.New("ownership: singular Hessian (add ridge)")
		}
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < n; r++ {
			f := m[r][c] / m[c][c]
			for k := c; k <= n; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := m[r][n]
		for k := r + 1; k < n; k++ {
			s -= m[r][k] * x[k]
		}
		x[r] = s / m[r][r]
	}
	return x, nil
}

// Metrics compares predicted and actual ownership (fractions) over the
// players where both are known (NaN marks unknown).
type Metrics struct {
	// N is the number of players compared.
	N int
	// MAE is the mean absolute error in ownership percentage points.
	MAE float64
	// Spearman is the rank correlation (average ranks for ties).
	Spearman float64
}

// Evaluate computes MAE (percentage points) and Spearman correlation of pred
// against actual over the indexes where both are finite.
func Evaluate(pred, actual []float64) Metrics {
	var p, a []float64
	for i := range pred {
		if i < len(actual) && !math.IsNaN(pred[i]) && !math.IsNaN(actual[i]) {
			p = append(p, pred[i])
			a = append(a, actual[i])
		}
	}
	m := Metrics{N: len(p)}
	if m.N == 0 {
		return m
	}
	for i := range p {
		m.MAE += math.Abs(p[i] - a[i])
	}
	m.MAE = 100 * m.MAE / float64(m.N)
	m.Spearman = pearson(ranks(p), ranks(a))
	return m
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}
