package calibrate

import (
	"fmt"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Model is a calibration ready for the simulation engine: the posterior
// means of a CalibrateResult's parameters, looked up by position and
// relation. It is immutable and safe for concurrent use.
type Model struct {
	minProj   float64
	positions map[string]posParams
	corr      map[string]float64
}

// NewModel builds the Model of a calibration result. It fails when the
// result is of another model family or misses a position's parameters.
func NewModel(res *schema.CalibrateResult) (*Model, error) {
	if res == nil {
		return nil, fmt.Errorf("calibrate: nil result")
	}
	if res.Model.Family != Family {
		return nil, fmt.Errorf("calibrate: result %s has model family %q, want %q", res.CalibrationID, res.Model.Family, Family)
	}
	values := make(map[string]float64, len(res.Parameters))
	for _, p := range res.Parameters {
		values[p.Name] = p.Mean
	}
	m := &Model{minProj: res.Model.MinProjection, positions: map[string]posParams{}, corr: map[string]float64{}}
	for _, pos := range res.Model.Positions {
		var pp posParams
		for _, f := range []struct {
			name string
			dst  *float64
		}{{"bias", &pp.Bias}, {"sd_intercept", &pp.Intercept}, {"sd_slope", &pp.Slope}, {"shape", &pp.Shape}} {
			v, ok := values[pos+"."+f.name]
			if !ok {
				return nil, fmt.Errorf("calibrate: result %s lacks parameter %s.%s", res.CalibrationID, pos, f.name)
			}
			*f.dst = v
		}
		m.positions[pos] = pp
	}
	for name, v := range values {
		if strings.HasSuffix(name, "."+string(SameTeam)) || strings.HasSuffix(name, "."+string(Opponent)) {
			m.corr[name] = v
		}
	}
	return m, nil
}

// Positions returns the calibrated positions.
func (m *Model) Positions() []string {
	out := make([]string, 0, len(m.positions))
	for p := range m.positions {
		out = append(out, p)
	}
	sortPositions(out)
	return out
}

// Dist returns the calibrated outcome distribution of a player at a
// position with a projection: mean = bias*projection, sd = sd_intercept +
// sd_slope*projection, and the position's shape. Below the calibration's
// min_projection the sd shrinks in proportion to the projection (a
// projection of 0 or less is a point mass at 0). ok is false for a position
// the calibration does not cover.
func (m *Model) Dist(position string, projection float64) (d Dist, ok bool) {
	pp, ok := m.positions[strings.ToUpper(position)]
	if !ok {
		return Dist{}, false
	}
	return distFor(pp, projection, m.minProj), true
}

// Correlation returns the calibrated correlation (of normal scores, i.e. a
// Gaussian copula coefficient) between players at positions a and b in the
// given relation; ok is false when the calibration has no such relation.
func (m *Model) Correlation(a, b string, rel Relation) (rho float64, ok bool) {
	rho, ok = m.corr[RelationName(a, b, rel)]
	return rho, ok
}

// Correlations returns every calibrated correlation by parameter name
// (e.g. "QB-WR.same_team").
func (m *Model) Correlations() map[string]float64 {
	out := make(map[string]float64, len(m.corr))
	for k, v := range m.corr {
		out[k] = v
	}
	return out
}
