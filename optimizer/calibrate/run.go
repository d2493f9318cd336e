package calibrate

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/mcmc"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Model identification and fixed settings.
const (
	// ModelVersion changes whenever the model, its priors or its sampler
	// settings change; it is part of the calibration id.
	ModelVersion = "exgauss-linsd-gausscopula-nuts-1"
	// Family is the outcome distribution family of the result.
	Family = "exgaussian"
	// NaiveSDFraction is the naive ("before") model's standard deviation as
	// a fraction of the projection (at least 1 point), for rows without a
	// stddev.
	NaiveSDFraction = 0.4
	// MaxRhat and MinESS are the convergence thresholds: every parameter
	// needs R-hat <= MaxRhat and bulk and tail ESS >= MinESS.
	MaxRhat = 1.01
	MinESS  = 400.0

	minRowsPerPosition  = 50
	minPairsPerRelation = 30
	predictiveDraws     = 200
)

// Relation is how two players of a game relate.
type Relation string

// Relations between the two players of a correlation.
const (
	SameTeam Relation = "same_team"
	Opponent Relation = "opponent"
)

// NotConvergedError reports a calibration whose chains did not converge
// (some R-hat > MaxRhat or ESS < MinESS). Result holds the full result,
// diagnostics and warnings included, for inspection; it must not be used
// as a calibration.
type NotConvergedError struct {
	Result *schema.CalibrateResult
	// Failed names the parameters that failed, with their diagnostics.
	Failed []string
}

// Error names every failing parameter with its diagnostics.
func (e *NotConvergedError) Error() string {
	return fmt.Sprintf("calibration did not converge (every parameter needs R-hat <= %.2f and bulk and tail ESS >= %.0f); failed: %s; run more draws or warmup",
		MaxRhat, MinESS, strings.Join(e.Failed, ", "))
}

// JobCode is the failure code of a calibrate job that did not converge.
func (e *NotConvergedError) JobCode() string { return "not_converged" }

// Run fits the calibration model to req.Rows and returns the result
// document. progress, when not nil, receives the MCMC iterations done and
// the total (calls are never concurrent). ctx is checked between
// iterations. A request that fails validation returns its
// *schema.ValidationError (wrapped); a source without rows returns
// ErrNoRows (the caller resolves source.slate_ids into rows); an
// unconverged fit returns *NotConvergedError with the result attached.
func Run(ctx context.Context, req *schema.CalibrateRequest, progress func(done, total int)) (*schema.CalibrateResult, error) {
	if req == nil {
		return nil, errors.New("calibrate: nil request")
	}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	if len(req.Rows) == 0 {
		return nil, fmt.Errorf("calibrate: source.slate_ids must be resolved to rows before Run: %w", ErrNoRows)
	}
	chains, draws, warmup, holdout, minProj := req.Defaults()
	sport := strings.ToLower(req.Sport)
	site := strings.ToLower(req.Site)

	rows := canonicalRows(req.Rows)
	res := &schema.CalibrateResult{
		CalibrationID: calibrationID(sport, site, rows, req.Seed, chains, draws, warmup, holdout, minProj),
		Sport:         sport,
		Site:          site,
		Rows:          len(rows),
		Model:         schema.CalibrationModel{Family: Family, Version: ModelVersion, MinProjection: minProj},
		Diagnostics:   schema.CalibrationDiagnostics{Chains: chains, Draws: chains * draws, Warmup: warmup},
	}
	var warnings []string

	held, heldFrom := splitHoldout(rows, holdout, req.Seed)
	res.Model.HeldOutFrom = heldFrom
	byPos := map[string][]int{}
	for i := range rows {
		if rows[i].Projection < minProj {
			res.Model.RowsExcluded++
			continue
		}
		if held[i] {
			res.Model.RowsHeldOut++
			continue
		}
		byPos[rows[i].Position] = append(byPos[rows[i].Position], i)
	}
	var positions []string
	for _, pos := range sortedKeys(byPos) {
		idx := byPos[pos]
		if len(idx) < minRowsPerPosition {
			warnings = append(warnings, fmt.Sprintf("position %s skipped: %d fitted rows, %d needed", pos, len(idx), minRowsPerPosition))
			continue
		}
		positions = append(positions, pos)
		res.Model.RowsFit += len(idx)
	}
	if len(positions) == 0 {
		return nil, fmt.Errorf("calibrate: no position has %d rows projected at least %g outside the holdout: %w", minRowsPerPosition, minProj, ErrNoRows)
	}
	res.Model.Positions = positions

	// Progress over all runs: one per position, then the correlations.
	perPos := chains * (warmup + draws)
	perCorr := perPos
	grand := perPos*len(positions) + perCorr
	offset := 0
	sub := func() func(done, total int) {
		if progress == nil {
			return nil
		}
		base := offset
		return func(done, _ int) { progress(base+done, grand) }
	}

	fitted := map[string][]posParams{} // posterior draws per position (flattened)
	means := map[string]posParams{}
	for pi, pos := range positions {
		idx := byPos[pos]
		proj := make([]float64, len(idx))
		act := make([]float64, len(idx))
		for k, i := range idx {
			proj[k], act[k] = rows[i].Projection, rows[i].Actual
		}
		m := newPosModel(proj, act)
		centre := m.start()
		out, err := mcmc.SampleNUTS(ctx, m.logDensityGrad, posDim, mcmc.Config{
			Chains:   chains,
			Warmup:   warmup,
			Draws:    draws,
			Seed:     req.Seed ^ uint64(pi+1)*0x9e3779b97f4a7c15,
			Init:     initFunc(centre, []float64{0.05, 0.5, 0.03, 0.5}),
			Scale:    []float64{0.01, 0.1, 0.01, 0.1},
			Progress: sub(),
		})
		if err != nil {
			return nil, fmt.Errorf("calibrate: sample %s: %w", pos, err)
		}
		offset += perPos
		warnings = append(warnings, divergenceWarning(pos, out)...)
		names := []string{"bias", "sd_intercept", "sd_slope", "shape"}
		getters := []func(p posParams) float64{
			func(p posParams) float64 { return p.Bias },
			func(p posParams) float64 { return p.Intercept },
			func(p posParams) float64 { return p.Slope },
			func(p posParams) float64 { return p.Shape },
		}
		for j, name := range names {
			x := out.Map(func(th []float64) float64 { return getters[j](toPosParams(th)) })
			res.Parameters = append(res.Parameters, parameter(pos+"."+name, x))
		}
		var all []posParams
		for _, ch := range out.Draws {
			for _, th := range ch {
				all = append(all, toPosParams(th))
			}
		}
		fitted[pos] = all
		means[pos] = meanParams(all)
	}

	// Correlations between normal scores of same-game pairs.
	relNames, stats := relationStats(rows, held, minProj, means)
	var corrNames []string
	var corrStats []relStats
	for i, name := range relNames {
		if stats[i].n < minPairsPerRelation {
			warnings = append(warnings, fmt.Sprintf("correlation %s skipped: %.0f pairs, %d needed", name, stats[i].n, minPairsPerRelation))
			continue
		}
		corrNames = append(corrNames, name)
		corrStats = append(corrStats, stats[i])
	}
	if len(corrNames) > 0 {
		cm := &corrModel{stats: corrStats}
		centre := make([]float64, len(corrStats))
		spread := make([]float64, len(corrStats))
		scale := make([]float64, len(corrStats))
		for i, s := range corrStats {
			r := 2 * s.sumProd / s.sumSq
			centre[i] = math.Atanh(math.Max(-0.9, math.Min(0.9, r)))
			scale[i] = 1 / math.Sqrt(s.n)
			spread[i] = 2 * scale[i]
		}
		out, err := mcmc.SampleNUTS(ctx, cm.logDensityGrad, len(corrStats), mcmc.Config{
			Chains:   chains,
			Warmup:   warmup,
			Draws:    draws,
			Seed:     req.Seed ^ 0xc0aa3e1a7e,
			Init:     initFunc(centre, spread),
			Scale:    scale,
			Progress: sub(),
		})
		if err != nil {
			return nil, fmt.Errorf("calibrate: sample correlations: %w", err)
		}
		warnings = append(warnings, divergenceWarning("correlations", out)...)
		for j, name := range corrNames {
			x := out.Map(func(eta []float64) float64 { return math.Tanh(eta[j]) })
			res.Parameters = append(res.Parameters, parameter(name, x))
		}
	}
	if progress != nil {
		progress(grand, grand)
	}

	res.Report = report(rows, held, minProj, fitted)

	// Convergence.
	d := &res.Diagnostics
	d.MinESSBulk, d.MinESSTail = math.Inf(1), math.Inf(1)
	var failed []string
	for _, p := range res.Parameters {
		d.MaxRhat = math.Max(d.MaxRhat, p.Rhat)
		d.MinESSBulk = math.Min(d.MinESSBulk, p.ESSBulk)
		d.MinESSTail = math.Min(d.MinESSTail, p.ESSTail)
		if !(p.Rhat >= 0 && p.Rhat <= MaxRhat && p.ESSBulk >= MinESS && p.ESSTail >= MinESS) {
			f := fmt.Sprintf("%s (R-hat %.3f, ESS bulk %.0f, tail %.0f)", p.Name, p.Rhat, p.ESSBulk, p.ESSTail)
			failed = append(failed, f)
			warnings = append(warnings, "not converged: "+f)
		}
	}
	d.Warnings = warnings
	d.Converged = len(failed) == 0
	if !d.Converged {
		return nil, &NotConvergedError{Result: res, Failed: failed}
	}
	return res, nil
}

// divergenceWarning reports divergent NUTS transitions, a sign that the
// posterior has regions the sampler could not explore.
func divergenceWarning(what string, out *mcmc.Result) []string {
	n := 0
	for _, d := range out.Divergences {
		n += d
	}
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s: %d divergent transitions after warm-up", what, n)}
}

// parameter summarizes draws, reporting undefined diagnostics as -1.
func parameter(name string, x [][]float64) schema.CalibrationParameter {
	s := mcmc.Summarize(x)
	def := func(v float64) float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return -1
		}
		return v
	}
	return schema.CalibrationParameter{
		Name: name, Mean: s.Mean, SD: s.SD, Q05: s.Q05, Q50: s.Q50, Q95: s.Q95,
		Rhat: def(s.Rhat), ESSBulk: def(s.ESSBulk), ESSTail: def(s.ESSTail), MCSEMean: def(s.MCSEMean),
	}
}

func meanParams(all []posParams) posParams {
	var m posParams
	for _, p := range all {
		m.Bias += p.Bias
		m.Intercept += p.Intercept
		m.Slope += p.Slope
		m.Shape += p.Shape
	}
	n := float64(len(all))
	return posParams{m.Bias / n, m.Intercept / n, m.Slope / n, m.Shape / n}
}

// canonicalRows returns the rows with trimmed, upper-case positions and
// teams, sorted into a canonical order so that the result does not depend on
// the order of the input.
func canonicalRows(in []schema.CalibrationRow) []schema.CalibrationRow {
	rows := slices.Clone(in)
	for i := range rows {
		r := &rows[i]
		r.Position = strings.ToUpper(strings.TrimSpace(r.Position))
		r.Team = strings.ToUpper(strings.TrimSpace(r.Team))
		r.Opponent = strings.ToUpper(strings.TrimSpace(r.Opponent))
		r.Game = strings.ToUpper(strings.TrimSpace(r.Game))
		r.Date = strings.TrimSpace(r.Date)
	}
	slices.SortStableFunc(rows, func(a, b schema.CalibrationRow) int {
		return cmp.Or(
			cmp.Compare(a.Date, b.Date), cmp.Compare(a.Game, b.Game), cmp.Compare(a.Team, b.Team),
			cmp.Compare(a.Position, b.Position), cmp.Compare(a.PlayerID, b.PlayerID),
			cmp.Compare(a.Projection, b.Projection), cmp.Compare(a.Actual, b.Actual),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.Opponent, b.Opponent),
			cmp.Compare(a.StdDev, b.StdDev), cmp.Compare(a.Ownership, b.Ownership),
		)
	})
	return rows
}

// calibrationID hashes the model version, the configuration and the
// canonical rows.
func calibrationID(sport, site string, rows []schema.CalibrationRow, seed uint64, chains, draws, warmup int, holdout, minProj float64) string {
	h := sha256.New()
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	fmt.Fprintf(h, "%s\x1f%s\x1f%s\x1f%d\x1f%d\x1f%d\x1f%d\x1f%s\x1f%s\n",
		ModelVersion, sport, site, seed, chains, draws, warmup, f(holdout), f(minProj))
	for _, r := range rows {
		fmt.Fprintf(h, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\n",
			r.PlayerID, r.Name, r.Position, r.Team, r.Opponent, r.Game, r.Date,
			f(r.Projection), f(r.Actual), f(r.StdDev), f(r.Ownership))
	}
	return "cal_" + hex.EncodeToString(h.Sum(nil))[:32]
}

// splitHoldout marks the held-out rows: the most recent dates (a fraction
// holdout of the distinct dates, at least one, never all), or, with fewer
// than 5 distinct dates, a seeded random fraction of the rows. It returns
// the first held-out date ("" for a random split).
func splitHoldout(rows []schema.CalibrationRow, holdout float64, seed uint64) ([]bool, string) {
	held := make([]bool, len(rows))
	if holdout <= 0 {
		return held, ""
	}
	var dates []string
	for i := range rows {
		dates = append(dates, rows[i].Date)
	}
	slices.Sort(dates)
	dates = slices.Compact(dates)
	if len(dates) >= 5 {
		n := int(math.Round(holdout * float64(len(dates))))
		n = max(1, min(len(dates)-1, n))
		from := dates[len(dates)-n]
		for i := range rows {
			held[i] = rows[i].Date >= from
		}
		return held, from
	}
	r := rand.New(rand.NewPCG(seed, 0x686f6c646f7574))
	for i := range held {
		held[i] = r.Float64() < holdout
	}
	return held, ""
}

// positionOrder lists the usual positions first, in roster order.
var positionOrder = []string{"QB", "RB", "WR", "TE", "K", "DST", "PG", "SG", "SF", "PF", "C", "P", "1B", "2B", "3B", "SS", "OF", "W", "D", "G"}

// sortedKeys returns the positions of m in roster order.
func sortedKeys(m map[string][]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortPositions(keys)
	return keys
}

func sortPositions(p []string) { slices.SortFunc(p, comparePositions) }

func comparePositions(a, b string) int {
	ia, ib := slices.Index(positionOrder, a), slices.Index(positionOrder, b)
	if ia < 0 {
		ia = len(positionOrder)
	}
	if ib < 0 {
		ib = len(positionOrder)
	}
	return cmp.Or(cmp.Compare(ia, ib), cmp.Compare(a, b))
}

// RelationName returns the parameter name of the correlation between
// positions a and b in relation rel, e.g. "QB-WR.same_team" (positions in
// canonical order).
func RelationName(a, b string, rel Relation) string {
	a, b = strings.ToUpper(a), strings.ToUpper(b)
	if comparePositions(a, b) > 0 {
		a, b = b, a
	}
	return a + "-" + b + "." + string(rel)
}

// gameKey identifies a game on a date.
func gameKey(r *schema.CalibrationRow) string {
	g := r.Game
	if g == "" {
		t := []string{r.Team, r.Opponent}
		slices.Sort(t)
		g = t[0] + "@" + t[1]
	}
	return r.Date + "|" + g
}

// relationStats computes the normal scores z = Phi^-1(F(actual)) of the
// fitted rows under the posterior-mean marginal model and accumulates them
// over every same-team and opposing pair of each game.
func relationStats(rows []schema.CalibrationRow, held []bool, minProj float64, means map[string]posParams) ([]string, []relStats) {
	type scored struct {
		team, pos string
		z         float64
	}
	games := map[string][]scored{}
	var keys []string
	for i := range rows {
		r := &rows[i]
		p, ok := means[r.Position]
		if held[i] || r.Projection < minProj || !ok {
			continue
		}
		d := distFor(p, r.Projection, minProj)
		u := math.Max(1e-12, math.Min(1-1e-12, d.CDF(r.Actual)))
		k := gameKey(r)
		if _, seen := games[k]; !seen {
			keys = append(keys, k)
		}
		games[k] = append(games[k], scored{r.Team, r.Position, mcmc.NormalQuantile(u)})
	}
	index := map[string]int{}
	var names []string
	var stats []relStats
	add := func(a, b scored, rel Relation) {
		name := RelationName(a.pos, b.pos, rel)
		i, ok := index[name]
		if !ok {
			i = len(names)
			index[name] = i
			names = append(names, name)
			stats = append(stats, relStats{})
		}
		stats[i].add(a.z, b.z)
	}
	for _, k := range keys {
		g := games[k]
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				if g[i].team == g[j].team {
					add(g[i], g[j], SameTeam)
				} else {
					add(g[i], g[j], Opponent)
				}
			}
		}
	}
	// Sort relations by name for a stable parameter order.
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareRelations(names[a], names[b]) })
	sn := make([]string, len(names))
	ss := make([]relStats, len(names))
	for i, o := range order {
		sn[i], ss[i] = names[o], stats[o]
	}
	return sn, ss
}

func compareRelations(a, b string) int {
	pa, ra, _ := strings.Cut(a, ".")
	pb, rb, _ := strings.Cut(b, ".")
	a1, a2, _ := strings.Cut(pa, "-")
	b1, b2, _ := strings.Cut(pb, "-")
	return cmp.Or(cmp.Compare(rb, ra), comparePositions(a1, b1), comparePositions(a2, b2))
}

// distFor is the outcome distribution at projection p: the fitted model at
// and above minProj; below it the mean stays bias*p and the sd shrinks in
// proportion to p from its value at minProj; p <= 0 (below minProj) is a
// point mass at 0.
func distFor(pp posParams, p, minProj float64) Dist {
	if p >= minProj {
		return Dist{Mean: pp.Bias * p, SD: math.Max(pp.Intercept+pp.Slope*p, sdFloor), Shape: pp.Shape}
	}
	if p <= 0 {
		return Dist{Mean: 0, SD: 0, Shape: pp.Shape}
	}
	sd := math.Max(pp.Intercept+pp.Slope*minProj, sdFloor) * p / minProj
	return Dist{Mean: pp.Bias * p, SD: sd, Shape: pp.Shape}
}

// report scores the naive and calibrated predictive distributions on the
// held-out rows of fitted positions projected at least minProj.
func report(rows []schema.CalibrationRow, held []bool, minProj float64, fitted map[string][]posParams) schema.CalibrationReport {
	levels := []float64{0.5, 0.8, 0.9}
	rep := schema.CalibrationReport{
		CoverageBefore:     map[string]float64{},
		CoverageAfter:      map[string]float64{},
		PITHistogram:       make([]float64, 10),
		PITHistogramBefore: make([]float64, 10),
	}
	// Evenly spaced posterior draws per position for the predictive mixture.
	sub := map[string][]posParams{}
	for pos, all := range fitted {
		n := min(predictiveDraws, len(all))
		s := make([]posParams, n)
		for i := range s {
			s[i] = all[i*len(all)/n]
		}
		sub[pos] = s
	}
	var pitB, pitA []float64
	var lsB, lsA float64
	lp := make([]float64, predictiveDraws)
	for i := range rows {
		r := &rows[i]
		draws, ok := sub[r.Position]
		if !held[i] || r.Projection < minProj || !ok {
			continue
		}
		sd := r.StdDev
		if sd <= 0 {
			sd = math.Max(NaiveSDFraction*r.Projection, 1)
		}
		naive := Dist{Mean: r.Projection, SD: sd}
		pitB = append(pitB, naive.CDF(r.Actual))
		lsB += naive.LogPDF(r.Actual)

		var u float64
		lp = lp[:len(draws)]
		for k, p := range draws {
			d := distFor(p, r.Projection, minProj)
			u += d.CDF(r.Actual)
			lp[k] = d.LogPDF(r.Actual)
		}
		pitA = append(pitA, u/float64(len(draws)))
		lsA += logMeanExp(lp)
	}
	n := len(pitA)
	rep.HeldOutRows = n
	if n == 0 {
		return rep
	}
	fill := func(pits []float64, cov map[string]float64, hist []float64) {
		for _, q := range levels {
			in := 0
			for _, u := range pits {
				if math.Abs(u-0.5) <= q/2 {
					in++
				}
			}
			cov[strconv.Itoa(int(math.Round(q*100)))] = float64(in) / float64(n)
		}
		var counts [10]int
		for _, u := range pits {
			counts[max(0, min(9, int(u*10)))]++
		}
		for i, c := range counts {
			hist[i] = float64(c) / float64(n)
		}
	}
	fill(pitB, rep.CoverageBefore, rep.PITHistogramBefore)
	fill(pitA, rep.CoverageAfter, rep.PITHistogram)
	rep.LogScoreBefore = lsB / float64(n)
	rep.LogScoreAfter = lsA / float64(n)
	return rep
}

func logMeanExp(x []float64) float64 {
	m := slices.Max(x)
	if math.IsInf(m, -1) {
		return m
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	return m + math.Log(s/float64(len(x)))
}
