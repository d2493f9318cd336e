package outcome

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Calibrated simulation.
//
// With Config.Calibration set, every player at a position the calibration
// covers gets the calibrated distribution calibrate.Model.Dist(position,
// projection): an exGaussian with mean bias·projection, sd
// sd_intercept + sd_slope·projection and the position's shape, sampled
// exactly through its quantile function (see ExGaussian). The player's own
// stddev, floor and ceiling and the request's distribution family do not
// apply to those players; the others keep the request's model (a warning
// counts them). The calibrated same-team and opponent correlations replace
// the built-in defaults of the position pairs they cover; relations and
// pairs given in the request still take precedence.

// Options are the optional inputs of SimulateWith.
type Options struct {
	// Calibration is the calibration the request's calibration_id names
	// ("latest" = the newest of the sport), resolved by the caller (the
	// worker reads it from the calibration cache). nil simulates with the
	// request's own outcome model and, when calibration_id is set, warns
	// that it was not applied.
	Calibration *schema.CalibrateResult
	// Optimal is the lineup optimizer hook of SimulateWithOptimal.
	Optimal OptimalFunc
}

// CalibrationFor checks that res is the calibration ref names for a
// request of sport (ref "latest" or "" accepts any id) and returns its
// model, for Config.Calibration.
func CalibrationFor(sport slate.Sport, ref string, res *schema.CalibrateResult) (*calibrate.Model, error) {
	if res == nil {
		return nil, nil
	}
	if ref != "" && !strings.EqualFold(ref, "latest") && ref != res.CalibrationID {
		return nil, fmt.Errorf("outcome: calibration_id %s was requested but calibration %s was given", ref, res.CalibrationID)
	}
	if !strings.EqualFold(res.Sport, string(sport)) {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "calibration_id", Reason: schema.ReasonInvalid,
			Message: fmt.Sprintf("calibration %s is for %s, the request is %s", res.CalibrationID, res.Sport, sport)}}}
	}
	m, err := calibrate.NewModel(res)
	if err != nil {
		return nil, fmt.Errorf("outcome: %w", err)
	}
	return m, nil
}

// SimulateWith is SimulateWithOptimal with the optional inputs in opts:
// the calibration to apply and the lineup optimizer hook.
func SimulateWith(ctx context.Context, req *schema.SimulateRequest, progress Progress, opts Options) (*schema.SimulateResult, error) {
	return simulate(ctx, req, progress, opts)
}

// ExGaussian quantile table: the standardized exGaussian (mean 0, sd 1) of
// one shape, tabulated at tableN equally spaced latent values over
// [tableLo, tableHi] and interpolated linearly (extrapolated with the end
// slopes beyond). The grid step (0.012) keeps the interpolation error of the
// mean and sd below 1e-4 sd, far below the Monte Carlo error.
const (
	tableN  = 1025
	tableLo = -6.0
	tableHi = 6.0
)

// exgTable is a standardized exGaussian's quantile function on the latent
// scale: x(z) = Q(Φ(z)).
type exgTable struct {
	shape float64
	x     [tableN]float64
}

func newExgTable(shape float64) *exgTable {
	t := &exgTable{shape: shape}
	d := calibrate.Dist{Mean: 0, SD: 1, Shape: shape}
	step := (tableHi - tableLo) / (tableN - 1)
	t.x[0] = d.Quantile(1 - stdNormalSF(tableLo))
	for i := 1; i < tableN; i++ {
		z := tableLo + float64(i)*step
		t.x[i] = quantileNewton(d, 1-stdNormalSF(z), t.x[i-1])
		if t.x[i] < t.x[i-1] { // rounding in the far tails
			t.x[i] = t.x[i-1]
		}
	}
	return t
}

// quantileNewton solves d.CDF(x) = p by Newton's method from x0 (the
// previous grid point, just below), falling back to bisection when a step
// leaves the bracket or it does not converge.
func quantileNewton(d calibrate.Dist, p, x0 float64) float64 {
	x := x0
	for range 30 {
		f := d.CDF(x) - p
		dens := math.Exp(d.LogPDF(x))
		if !(dens > 1e-300) {
			break
		}
		dx := f / dens
		x -= dx
		if math.IsNaN(x) || x < x0-1e-9 {
			break
		}
		if math.Abs(dx) < 1e-8 { // of the sd: far below the interpolation error
			return x
		}
	}
	return d.Quantile(p)
}

// at returns the standardized value at latent z.
func (t *exgTable) at(z float64) float64 {
	const inv = (tableN - 1) / (tableHi - tableLo)
	f := (z - tableLo) * inv
	i := int(math.Floor(f))
	switch {
	case i < 0:
		i = 0
	case i > tableN-2:
		i = tableN - 2
	}
	w := f - float64(i)
	return t.x[i] + w*(t.x[i+1]-t.x[i])
}

// calibratedMarginals builds the calibrated marginals, sharing one table
// per shape (one per position).
type calibratedMarginals struct {
	m      *calibrate.Model
	tables map[float64]*exgTable
}

func newCalibratedMarginals(m *calibrate.Model) *calibratedMarginals {
	if m == nil {
		return nil
	}
	return &calibratedMarginals{m: m, tables: map[float64]*exgTable{}}
}

// marginal returns the calibrated marginal of p; ok is false when the
// calibration does not cover its position.
func (c *calibratedMarginals) marginal(sport slate.Sport, p *slate.Player) (Marginal, bool) {
	if c == nil {
		return Marginal{}, false
	}
	d, ok := c.m.Dist(canonicalPosition(sport, p.Positions), p.Projection)
	if !ok && len(p.Positions) > 0 {
		d, ok = c.m.Dist(p.Positions[0], p.Projection)
	}
	if !ok {
		return Marginal{}, false
	}
	if d.SD <= 0 {
		return Marginal{Kind: Constant, Mu: d.Mean}, true
	}
	if d.Shape < 1e-6 {
		return Marginal{Kind: Normal, Mu: d.Mean, Sigma: d.SD}, true
	}
	t, ok := c.tables[d.Shape]
	if !ok {
		t = newExgTable(d.Shape)
		c.tables[d.Shape] = t
	}
	return Marginal{Kind: ExGaussian, Mu: d.Mean, Sigma: d.SD, exg: t}, true
}

// relationDefaults returns the default relation values of cfg: the sport's
// built-in ones overlaid with the calibrated correlations.
func (cfg *Config) relationDefaults() map[string]float64 {
	base := relationDefaults[cfg.Sport]
	if cfg.Calibration == nil {
		return base
	}
	out := make(map[string]float64, len(base))
	for k, v := range base {
		out[k] = v
	}
	for name, rho := range cfg.Calibration.Correlations() {
		pair, rel, ok := strings.Cut(name, ".")
		if !ok {
			continue
		}
		switch calibrate.Relation(rel) {
		case calibrate.SameTeam:
			out[relationKey(pair)] = rho
		case calibrate.Opponent:
			out["opp:"+relationKey(pair)] = rho
		}
	}
	return out
}
