// Package outcome models and samples DFS players' fantasy points: one
// marginal distribution per player (normal, lognormal or a skewed shifted
// lognormal) joined by a Gaussian copula whose correlations come from the
// players' relations (teammates by position pair, opponents, same game).
//
// Sampling is reproducible: the draws of simulation k depend only on the
// seed and k (a PCG stream seeded from both), never on how simulations are
// split between goroutines or workers. Players of different games are
// independent, so the copula is factored per block of correlated players
// (connected groups within a game), which keeps the per-sample cost at the
// sum of the squared block sizes instead of the square of the slate size.
package outcome

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Config is the outcome-model part of a request.
type Config struct {
	Sport slate.Sport
	// Distribution is "normal", "lognormal" or "auto" ("" = auto).
	Distribution string
	// FloorPct and CeilingPct are the quantiles of players' floor and
	// ceiling (0 = 0.15 and 0.85, see schema.OutcomeModel).
	FloorPct, CeilingPct float64
	// Correlation are the request's correlation options.
	Correlation schema.CorrelationOptions
	// DefaultStdDev lists the players whose spread is the sport/position
	// default (see schema.SimulateRequest).
	DefaultStdDev []string
	// Calibration, when set, gives the players of the positions it covers
	// their calibrated distribution and overlays the calibrated
	// correlations on the defaults (see CalibrationFor and calibrated.go).
	Calibration *calibrate.Model
}

// Model is the prepared joint distribution of a slate's players. It is
// immutable after NewModel and safe for concurrent use; draw from it with a
// Sampler per goroutine.
type Model struct {
	// Marginals holds one distribution per player, in input order.
	Marginals []Marginal
	blocks    []block
	// singles are varying players without correlated partners.
	singles []int32
	// Warnings lists what the model adjusted (repairs, fallbacks).
	Warnings []string
	// Repaired counts the blocks whose correlation matrix was repaired, and
	// MaxRepair is the largest change made to one correlation.
	Repaired  int
	MaxRepair float64
}

// block is a group of jointly sampled players.
type block struct {
	idx  []int32   // player indices
	corr []float64 // n×n correlation (repaired)
	chol []float64 // packed lower Cholesky factor of corr
}

// Blocks returns the number of correlated blocks.
func (m *Model) Blocks() int { return len(m.blocks) }

// Size returns the number of players.
func (m *Model) Size() int { return len(m.Marginals) }

// NewModel builds the outcome model of players under cfg.
func NewModel(ctx context.Context, players []slate.Player, cfg Config) (*Model, error) {
	dist := cfg.Distribution
	if dist == "" {
		dist = schema.DistributionAuto
	}
	switch dist {
	case schema.DistributionAuto, schema.DistributionNormal, schema.DistributionLognormal:
	default:
		return nil, fmt.Errorf("outcome: unknown distribution %q", dist)
	}
	pf, pc := cfg.FloorPct, cfg.CeilingPct
	if pf == 0 {
		pf = 0.15
	}
	if pc == 0 {
		pc = 0.85
	}
	defSD := make(map[string]bool, len(cfg.DefaultStdDev))
	for _, id := range cfg.DefaultStdDev {
		defSD[id] = true
	}
	m := &Model{Marginals: make([]Marginal, len(players))}
	var lognormalFallback, percentileIgnored, uncalibrated int
	cal := newCalibratedMarginals(cfg.Calibration)
	for i := range players {
		p := &players[i]
		if mg, ok := cal.marginal(cfg.Sport, p); ok {
			m.Marginals[i] = mg
			continue
		} else if cal != nil {
			uncalibrated++
		}
		mu := p.Projection
		pos := canonicalPosition(cfg.Sport, p.Positions)
		d := defaultsFor(cfg.Sport, pos)
		sd := p.StdDev
		if sd <= 0 && p.Floor != nil && p.Ceiling != nil {
			if mg, ok := fromPercentiles(dist, mu, *p.Floor, *p.Ceiling, pf, pc); ok {
				m.Marginals[i] = mg
				continue
			}
			percentileIgnored++
		}
		if sd <= 0 && defSD[p.ID] && mu > 0 {
			sd = DefaultStdDev(cfg.Sport, p.Positions, mu)
		}
		switch dist {
		case schema.DistributionNormal:
			m.Marginals[i] = normalMarginal(mu, sd)
		case schema.DistributionLognormal:
			mg, ok := lognormalMarginal(mu, sd)
			if !ok {
				lognormalFallback++
				mg = normalMarginal(mu, sd)
			}
			m.Marginals[i] = mg
		default:
			m.Marginals[i] = autoMarginal(mu, sd, d.Skew, d.MinPoints)
		}
	}
	if lognormalFallback > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d players with projection <= 0 use a normal distribution (no lognormal has that mean)", lognormalFallback))
	}
	if uncalibrated > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d players at positions the calibration does not cover (it has %s) use the uncalibrated model", uncalibrated, strings.Join(cfg.Calibration.Positions(), ", ")))
	}
	if percentileIgnored > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d players' floor/ceiling ignored (projection not between them)", percentileIgnored))
	}
	if err := m.buildCorrelation(ctx, players, cfg); err != nil {
		return nil, err
	}
	return m, nil
}

// relationTable resolves the correlation of two players.
type relationTable struct {
	sport    slate.Sport
	req, def map[string]float64
	pairs    map[[2]int32]float64
}

func (t *relationTable) lookup(key, catchAll string) (float64, bool) {
	if v, ok := t.req[key]; ok {
		return v, true
	}
	if v, ok := t.def[key]; ok {
		return v, true
	}
	for _, k := range []string{catchAll, "game"} {
		if v, ok := t.req[k]; ok {
			return v, true
		}
		if v, ok := t.def[k]; ok {
			return v, true
		}
	}
	return 0, false
}

// rho returns the target correlation of players i and j (same game).
func (t *relationTable) rho(players []slate.Player, pos []string, i, j int) float64 {
	a, b := int32(min(i, j)), int32(max(i, j))
	if v, ok := t.pairs[[2]int32{a, b}]; ok {
		return v
	}
	pi, pj := &players[i], &players[j]
	pa, pb := pos[i], pos[j]
	if pa > pb {
		pa, pb = pb, pa
	}
	var v float64
	switch {
	case pi.Team == pj.Team:
		v, _ = t.lookup(pa+"-"+pb, "team")
	default:
		v, _ = t.lookup("opp:"+pa+"-"+pb, "opp")
	}
	return v
}

// CorrelationOf returns the target (unrepaired) correlation the model
// assigns to two players of the slate, for inspection and tests.
func CorrelationOf(players []slate.Player, cfg Config, i, j int) float64 {
	t, pos := newRelationTable(players, cfg)
	if i == j {
		return 1
	}
	if players[i].GameKey() != players[j].GameKey() {
		return 0
	}
	return t.rho(players, pos, i, j)
}

func newRelationTable(players []slate.Player, cfg Config) (*relationTable, []string) {
	t := &relationTable{sport: cfg.Sport, def: cfg.relationDefaults(), req: map[string]float64{}, pairs: map[[2]int32]float64{}}
	for k, v := range cfg.Correlation.Relations {
		t.req[relationKey(k)] = v
	}
	index := make(map[string]int32, len(players))
	for i := range players {
		index[players[i].ID] = int32(i)
	}
	for _, p := range cfg.Correlation.Pairs {
		a, okA := index[p.A]
		b, okB := index[p.B]
		if okA && okB && a != b {
			t.pairs[[2]int32{min(a, b), max(a, b)}] = p.Rho
		}
	}
	pos := make([]string, len(players))
	for i := range players {
		pos[i] = canonicalPosition(cfg.Sport, players[i].Positions)
	}
	return t, pos
}

// buildCorrelation groups the varying players into blocks of correlated
// players and factors each block's correlation matrix.
func (m *Model) buildCorrelation(ctx context.Context, players []slate.Player, cfg Config) error {
	varying := make([]int, 0, len(players))
	for i := range m.Marginals {
		if m.Marginals[i].Kind != Constant {
			varying = append(varying, i)
		}
	}
	if !cfg.Correlation.IsEnabled() {
		for _, i := range varying {
			m.singles = append(m.singles, int32(i))
		}
		return nil
	}
	t, pos := newRelationTable(players, cfg)
	// Pairs across games are independent unless set explicitly.
	games := map[string][]int{}
	var gameOrder []string
	for _, i := range varying {
		g := players[i].GameKey()
		if _, ok := games[g]; !ok {
			gameOrder = append(gameOrder, g)
		}
		games[g] = append(games[g], i)
	}
	parent := make(map[int]int, len(varying))
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, i := range varying {
		parent[i] = i
	}
	type edge struct {
		a, b int
		rho  float64
	}
	var edges []edge
	for _, g := range gameOrder {
		if err := ctx.Err(); err != nil {
			return err
		}
		ps := games[g]
		for x := 0; x < len(ps); x++ {
			if x%64 == 63 { // a game of hundreds of players: O(n²) lookups
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			for y := x + 1; y < len(ps); y++ {
				if r := t.rho(players, pos, ps[x], ps[y]); r != 0 {
					edges = append(edges, edge{ps[x], ps[y], r})
				}
			}
		}
	}
	isVarying := make(map[int]bool, len(varying))
	for _, i := range varying {
		isVarying[i] = true
	}
	for k, r := range t.pairs { // explicit pairs across games
		a, b := int(k[0]), int(k[1])
		if isVarying[a] && isVarying[b] && players[a].GameKey() != players[b].GameKey() && r != 0 {
			edges = append(edges, edge{a, b, r})
		}
	}
	for _, e := range edges {
		ra, rb := find(e.a), find(e.b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	comps := map[int][]int{}
	var roots []int
	for _, i := range varying {
		r := find(i)
		if _, ok := comps[r]; !ok {
			roots = append(roots, r)
		}
		comps[r] = append(comps[r], i)
	}
	slices.Sort(roots)
	pos2 := map[int]int{} // player -> position in its block
	blockOf := map[int]int{}
	for _, r := range roots {
		c := comps[r]
		if len(c) == 1 {
			m.singles = append(m.singles, int32(c[0]))
			continue
		}
		b := block{idx: make([]int32, len(c)), corr: make([]float64, len(c)*len(c))}
		for k, i := range c {
			b.idx[k] = int32(i)
			pos2[i] = k
			blockOf[i] = len(m.blocks)
			b.corr[k*len(c)+k] = 1
		}
		m.blocks = append(m.blocks, b)
	}
	for _, e := range edges {
		b := &m.blocks[blockOf[e.a]]
		n := len(b.idx)
		x, y := pos2[e.a], pos2[e.b]
		b.corr[x*n+y], b.corr[y*n+x] = e.rho, e.rho
	}
	for bi := range m.blocks {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := &m.blocks[bi]
		n := len(b.idx)
		l, ok, err := cholesky(ctx, b.corr, n)
		if err != nil {
			return fmt.Errorf("outcome: correlation block of %d players: %w", n, err)
		}
		if !ok {
			fixed, err := nearestCorrelation(ctx, b.corr, n, 1e-6)
			if err != nil {
				return fmt.Errorf("outcome: repair correlation block of %d players: %w", n, err)
			}
			worst := 0.0
			for k := range fixed {
				worst = max(worst, math.Abs(fixed[k]-b.corr[k]))
			}
			b.corr = fixed
			m.Repaired++
			m.MaxRepair = max(m.MaxRepair, worst)
			l, ok, err = cholesky(ctx, b.corr, n)
			if err != nil {
				return fmt.Errorf("outcome: correlation block of %d players: %w", n, err)
			}
			if !ok {
				return fmt.Errorf("outcome: correlation block of %d players could not be repaired", n)
			}
		}
		b.chol = l
	}
	if m.Repaired > 0 {
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d correlation blocks were not valid correlation matrices and were repaired to the nearest valid one (largest change %.3f)", m.Repaired, m.MaxRepair))
	}
	return nil
}

// Subset returns the model of the players keep (indices into m, in the
// order given): the same marginals and the same joint distribution of those
// players (principal sub-blocks of the correlation matrices). Refactoring
// the sub-blocks checks ctx and returns ctx.Err() when it is done first.
func (m *Model) Subset(ctx context.Context, keep []int) (*Model, error) {
	newIdx := make(map[int32]int32, len(keep))
	s := &Model{Marginals: make([]Marginal, len(keep)), Warnings: m.Warnings, Repaired: m.Repaired, MaxRepair: m.MaxRepair}
	for k, i := range keep {
		s.Marginals[k] = m.Marginals[i]
		newIdx[int32(i)] = int32(k)
	}
	for _, i := range m.singles {
		if k, ok := newIdx[i]; ok {
			s.singles = append(s.singles, k)
		}
	}
	for _, b := range m.blocks {
		var sel []int
		for x, i := range b.idx {
			if _, ok := newIdx[i]; ok {
				sel = append(sel, x)
			}
		}
		switch len(sel) {
		case 0:
			continue
		case 1:
			s.singles = append(s.singles, newIdx[b.idx[sel[0]]])
			continue
		}
		n, k := len(b.idx), len(sel)
		nb := block{idx: make([]int32, k), corr: make([]float64, k*k)}
		for x, sx := range sel {
			nb.idx[x] = newIdx[b.idx[sx]]
			for y, sy := range sel {
				nb.corr[x*k+y] = b.corr[sx*n+sy]
			}
		}
		l, ok, err := cholesky(ctx, nb.corr, k)
		if err != nil {
			return nil, fmt.Errorf("outcome: subset block of %d players: %w", k, err)
		}
		if !ok { // principal submatrix of a PD matrix: cannot happen
			fixed, err := nearestCorrelation(ctx, nb.corr, k, 1e-6)
			if err != nil {
				return nil, fmt.Errorf("outcome: repair subset block of %d players: %w", k, err)
			}
			if l, _, err = cholesky(ctx, fixed, k); err != nil {
				return nil, fmt.Errorf("outcome: subset block of %d players: %w", k, err)
			}
		}
		nb.chol = l
		s.blocks = append(s.blocks, nb)
	}
	return s, nil
}

// Correlation returns the model's correlation of players i and j (after
// repair; 0 across blocks).
func (m *Model) Correlation(i, j int) float64 {
	if i == j {
		return 1
	}
	for _, b := range m.blocks {
		x, y := slices.Index(b.idx, int32(i)), slices.Index(b.idx, int32(j))
		if x >= 0 && y >= 0 {
			return b.corr[x*len(b.idx)+y]
		}
	}
	return 0
}

// Sampler draws joint outcomes from a Model. It is not safe for concurrent
// use: create one per goroutine.
type Sampler struct {
	m    *Model
	seed uint64
	src  *rand.PCG
	rng  *rand.Rand
	e    []float64
}

// NewSampler returns a sampler of m for the given seed.
func (m *Model) NewSampler(seed uint64) *Sampler {
	maxN := 0
	for _, b := range m.blocks {
		maxN = max(maxN, len(b.idx))
	}
	src := rand.NewPCG(0, 0)
	return &Sampler{m: m, seed: seed, src: src, rng: rand.New(src), e: make([]float64, maxN)}
}

// splitmix64 is the SplitMix64 finaliser (Steele, Lea, Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// StreamSeeds returns the two PCG seeds of stream k under seed: the draws of
// simulation k come from rand.NewPCG(StreamSeeds(seed, k)).
func StreamSeeds(seed, k uint64) (uint64, uint64) {
	a := splitmix64(seed ^ 0x5851f42d4c957f2d)
	b := splitmix64(a ^ splitmix64(k))
	return splitmix64(a + k), b
}

// Latent fills z (len = players) with the latent standard normal values of
// simulation sim: correlated within blocks, 0 for constant players.
func (s *Sampler) Latent(sim uint64, z []float64) {
	s.src.Seed(StreamSeeds(s.seed, sim))
	m := s.m
	for _, b := range m.blocks {
		n := len(b.idx)
		e := s.e[:n]
		for k := range e {
			e[k] = s.rng.NormFloat64()
		}
		l := b.chol
		for i := range n {
			row := l[i*(i+1)/2 : i*(i+1)/2+i+1]
			acc := 0.0
			for j, v := range row {
				acc += v * e[j]
			}
			z[b.idx[i]] = acc
		}
	}
	for _, i := range m.singles {
		z[i] = s.rng.NormFloat64()
	}
}

// Sample fills x (len = players) with the points of simulation sim, using z
// (len = players) as scratch for the latent values.
func (s *Sampler) Sample(sim uint64, x, z []float64) {
	for i := range z {
		z[i] = 0
	}
	s.Latent(sim, z)
	for i := range x {
		x[i] = s.m.Marginals[i].At(z[i])
	}
}
