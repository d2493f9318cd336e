package schema

import (
	"fmt"
	"math"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Limits and defaults of the calibrate request.
const (
	MaxCalibrationRows      = 500_000
	DefaultCalibrateChains  = 4
	DefaultCalibrateDraws   = 1000
	DefaultCalibrateWarmup  = 1000
	DefaultHoldoutFraction  = 0.2
	DefaultMinProjection    = 5.0
	maxCalibrateChains      = 16
	maxCalibrateIterations  = 100_000
	minCalibrateIterations  = 100
	maxRowErrors            = 20
	maxCalibrateSourceSlate = 1000
)

// CalibrationRow is one historical observation: a player's projection and
// the points he actually scored. StdDev (the projection source's own spread,
// optional) feeds the naive "before" model of the report; Ownership is
// carried but not used by the model yet.
type CalibrationRow struct {
	PlayerID   string  `json:"player_id"`
	Name       string  `json:"name,omitempty"`
	Position   string  `json:"position"`
	Team       string  `json:"team"`
	Opponent   string  `json:"opponent,omitempty"`
	Game       string  `json:"game,omitempty"`
	Date       string  `json:"date"`
	Projection float64 `json:"projection"`
	Actual     float64 `json:"actual"`
	StdDev     float64 `json:"stddev,omitempty"`
	Ownership  float64 `json:"ownership,omitempty"`
}

// CalibrateSource names stored history to calibrate on instead of inline
// rows; the worker resolves it into rows before calling the calibration.
type CalibrateSource struct {
	SlateIDs []string `json:"slate_ids"`
}

// CalibrateRequest is the calibrate request document.
type CalibrateRequest struct {
	Sport  string           `json:"sport"`
	Site   string           `json:"site,omitempty"`
	Rows   []CalibrationRow `json:"rows,omitempty"`
	Source *CalibrateSource `json:"source,omitempty"`
	Seed   uint64           `json:"seed,omitempty"`
	// Chains is the number of MCMC chains (default 4).
	Chains int `json:"chains,omitempty"`
	// Draws is the number of retained draws per chain (default 1000).
	Draws int `json:"draws,omitempty"`
	// Warmup is the number of discarded adaptation iterations per chain
	// (default 1000).
	Warmup int `json:"warmup,omitempty"`
	// HoldoutFraction is the share of the most recent dates held out for the
	// report (default 0.2; 0 disables the report).
	HoldoutFraction *float64 `json:"holdout_fraction,omitempty"`
	// MinProjection excludes rows projected below it from the fit (default 5).
	MinProjection *float64 `json:"min_projection,omitempty"`
	JobOptions
}

// Defaults returns the request's chains, draws, warmup, holdout fraction and
// minimum projection with the defaults applied.
func (r *CalibrateRequest) Defaults() (chains, draws, warmup int, holdout, minProjection float64) {
	chains, draws, warmup = r.Chains, r.Draws, r.Warmup
	if chains == 0 {
		chains = DefaultCalibrateChains
	}
	if draws == 0 {
		draws = DefaultCalibrateDraws
	}
	if warmup == 0 {
		warmup = DefaultCalibrateWarmup
	}
	holdout, minProjection = DefaultHoldoutFraction, DefaultMinProjection
	if r.HoldoutFraction != nil {
		holdout = *r.HoldoutFraction
	}
	if r.MinProjection != nil {
		minProjection = *r.MinProjection
	}
	return chains, draws, warmup, holdout, minProjection
}

// Validate checks the request and returns a *ValidationError naming every
// problem found (at most 20 row problems are listed), or nil.
func (r *CalibrateRequest) Validate() error {
	var l errorList
	if r.Sport == "" {
		l.add("sport", ReasonRequired, "sport is required")
	} else if _, err := slate.ParseSport(r.Sport); err != nil {
		l.add("sport", ReasonInvalid, "%v", err)
	}
	if r.Site != "" {
		if _, err := slate.ParseSite(r.Site); err != nil {
			l.add("site", ReasonInvalid, "%v", err)
		}
	}
	hasSource := r.Source != nil && len(r.Source.SlateIDs) > 0
	switch {
	case len(r.Rows) == 0 && !hasSource:
		l.add("rows", ReasonRequired, "rows or source.slate_ids is required")
	case len(r.Rows) > 0 && r.Source != nil:
		l.add("source", ReasonConflict, "give rows or source, not both")
	case len(r.Rows) > MaxCalibrationRows:
		l.add("rows", ReasonOutOfRange, "at most %d rows", MaxCalibrationRows)
	}
	if r.Source != nil {
		if len(r.Source.SlateIDs) == 0 && len(r.Rows) == 0 {
			l.add("source.slate_ids", ReasonRequired, "source.slate_ids must list at least one slate")
		}
		if len(r.Source.SlateIDs) > maxCalibrateSourceSlate {
			l.add("source.slate_ids", ReasonOutOfRange, "at most %d slates", maxCalibrateSourceSlate)
		}
		for i, id := range r.Source.SlateIDs {
			if strings.TrimSpace(id) == "" {
				l.add(fmt.Sprintf("source.slate_ids[%d]", i), ReasonInvalid, "empty slate id")
			}
		}
	}
	if r.Chains != 0 && (r.Chains < 1 || r.Chains > maxCalibrateChains) {
		l.add("chains", ReasonOutOfRange, "chains must be between 1 and %d", maxCalibrateChains)
	}
	if r.Draws != 0 && (r.Draws < minCalibrateIterations || r.Draws > maxCalibrateIterations) {
		l.add("draws", ReasonOutOfRange, "draws must be between %d and %d", minCalibrateIterations, maxCalibrateIterations)
	}
	if r.Warmup != 0 && (r.Warmup < minCalibrateIterations || r.Warmup > maxCalibrateIterations) {
		l.add("warmup", ReasonOutOfRange, "warmup must be between %d and %d", minCalibrateIterations, maxCalibrateIterations)
	}
	if h := r.HoldoutFraction; h != nil && (!finite(*h) || *h < 0 || *h > 0.5) {
		l.add("holdout_fraction", ReasonOutOfRange, "holdout_fraction must be between 0 and 0.5")
	}
	if m := r.MinProjection; m != nil && (!finite(*m) || *m < 0 || *m > 1000) {
		l.add("min_projection", ReasonOutOfRange, "min_projection must be between 0 and 1000")
	}
	validateCalibrationRows(&l, r.Rows)
	r.JobOptions.validate(&l)
	return l.err()
}

// ValidateCalibrationRow returns the problems of one row as field errors
// named under prefix (e.g. "rows[3]").
func ValidateCalibrationRow(prefix string, row *CalibrationRow) []FieldError {
	var l errorList
	validateCalibrationRow(&l, prefix, row)
	return l.errs
}

func validateCalibrationRows(l *errorList, rows []CalibrationRow) {
	bad := 0
	for i := range rows {
		before := len(l.errs)
		validateCalibrationRow(l, fmt.Sprintf("rows[%d]", i), &rows[i])
		if len(l.errs) > before {
			bad++
			if bad >= maxRowErrors {
				l.add("rows", ReasonInvalid, "too many invalid rows; first %d listed", maxRowErrors)
				return
			}
		}
	}
}

func validateCalibrationRow(l *errorList, prefix string, row *CalibrationRow) {
	f := func(name string) string { return prefix + "." + name }
	if strings.TrimSpace(row.Position) == "" {
		l.add(f("position"), ReasonRequired, "%s is required", f("position"))
	}
	if strings.TrimSpace(row.Team) == "" {
		l.add(f("team"), ReasonRequired, "%s is required", f("team"))
	}
	if !finite(row.Projection) || math.Abs(row.Projection) > 10000 {
		l.add(f("projection"), ReasonOutOfRange, "%s must be a finite number", f("projection"))
	}
	if !finite(row.Actual) || math.Abs(row.Actual) > 10000 {
		l.add(f("actual"), ReasonOutOfRange, "%s must be a finite number", f("actual"))
	}
	if !finite(row.StdDev) || row.StdDev < 0 || row.StdDev > 10000 {
		l.add(f("stddev"), ReasonOutOfRange, "%s must be >= 0", f("stddev"))
	}
	if !finite(row.Ownership) || row.Ownership < 0 || row.Ownership > 1 {
		l.add(f("ownership"), ReasonOutOfRange, "%s must be a fraction between 0 and 1", f("ownership"))
	}
}

// CalibrateResult is the calibrate result document.
type CalibrateResult struct {
	// CalibrationID is a stable hash of the data set and the model
	// configuration: identical requests get identical ids.
	CalibrationID string                 `json:"calibration_id"`
	Sport         string                 `json:"sport"`
	Site          string                 `json:"site,omitempty"`
	Rows          int                    `json:"rows"`
	Model         CalibrationModel       `json:"model"`
	Parameters    []CalibrationParameter `json:"parameters"`
	Diagnostics   CalibrationDiagnostics `json:"diagnostics"`
	Report        CalibrationReport      `json:"report"`
}

// CalibrationModel describes the fitted model, so that consumers know how to
// turn the parameters into distributions.
type CalibrationModel struct {
	// Family is the outcome distribution: "exgaussian" (normal plus
	// exponential, parameterized by mean, sd and shape = the exponential's
	// share of the variance).
	Family string `json:"family"`
	// Version changes whenever the model or its priors change.
	Version       string   `json:"version"`
	MinProjection float64  `json:"min_projection"`
	Positions     []string `json:"positions"`
	RowsFit       int      `json:"rows_fit"`
	RowsHeldOut   int      `json:"rows_held_out"`
	RowsExcluded  int      `json:"rows_excluded"`
	// HeldOutFrom is the first held-out date (rows on or after it).
	HeldOutFrom string `json:"held_out_from,omitempty"`
}

// CalibrationParameter is the posterior summary of one parameter, named
// "<position>.<name>" (e.g. "QB.bias") or "<pos>-<pos>.<relation>" for
// correlations (e.g. "QB-WR.same_team"). Diagnostics that are undefined
// (e.g. constant draws) are reported as -1.
type CalibrationParameter struct {
	Name     string  `json:"name"`
	Mean     float64 `json:"mean"`
	SD       float64 `json:"sd"`
	Q05      float64 `json:"q05"`
	Q50      float64 `json:"q50"`
	Q95      float64 `json:"q95"`
	Rhat     float64 `json:"rhat"`
	ESSBulk  float64 `json:"ess_bulk"`
	ESSTail  float64 `json:"ess_tail"`
	MCSEMean float64 `json:"mcse_mean"`
}

// CalibrationDiagnostics summarizes convergence. Draws is the number of
// retained draws over all chains.
type CalibrationDiagnostics struct {
	Chains     int      `json:"chains"`
	Draws      int      `json:"draws"`
	Warmup     int      `json:"warmup"`
	Converged  bool     `json:"converged"`
	MaxRhat    float64  `json:"max_rhat"`
	MinESSBulk float64  `json:"min_ess_bulk"`
	MinESSTail float64  `json:"min_ess_tail"`
	Warnings   []string `json:"warnings,omitempty"`
}

// CalibrationReport compares the naive model ("before": normal around the
// projection with the row's stddev or a default) with the calibrated
// posterior predictive ("after") on held-out rows. Coverage maps the nominal
// level of central predictive intervals ("50", "80", "90") to the share of
// held-out actuals inside; PIT histograms have 10 equal bins and sum to 1;
// log scores are mean log predictive densities (higher is better).
type CalibrationReport struct {
	HeldOutRows        int                `json:"held_out_rows"`
	CoverageBefore     map[string]float64 `json:"coverage_before"`
	CoverageAfter      map[string]float64 `json:"coverage_after"`
	PITHistogram       []float64          `json:"pit_histogram"`
	PITHistogramBefore []float64          `json:"pit_histogram_before"`
	LogScoreBefore     float64            `json:"log_score_before"`
	LogScoreAfter      float64            `json:"log_score_after"`
}
