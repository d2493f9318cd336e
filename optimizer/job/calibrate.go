package job

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// LatestCalibration is the calibration_id meaning "the sport's most recent
// calibration".
const LatestCalibration = "latest"

// ErrCalibrationNotFound: no such calibration (never stored, expired or
// evicted). Calibrations implementations return errors matching it.
var ErrCalibrationNotFound = errors.New("calibration not found")

// Calibrations is the calibration cache as the compute functions use it
// (pkg/calibcache implements it over Redis). Lookups of unknown
// calibrations return errors matching ErrCalibrationNotFound.
type Calibrations interface {
	Get(ctx context.Context, id string) (*schema.CalibrateResult, error)
	Put(ctx context.Context, res *schema.CalibrateResult) error
	// Resolve returns the calibration ref names: an id, or
	// LatestCalibration of the sport.
	Resolve(ctx context.Context, sport, ref string) (*schema.CalibrateResult, error)
}

// CalibrateDoc is a calibrate request as the calibrate kind decodes it: the
// schema document. Its source.slate_ids are read from the slate store into
// rows before it runs (see Resolve).
type CalibrateDoc struct{ schema.CalibrateRequest }

// runCalibrate answers from the cache when an identical calibration is
// there (same calibration id), else samples and stores the result. A cache
// that cannot be read or written never fails the job: the calibration is
// computed (or returned) anyway, with a warning through Services.Warn. Unconverged
// fits return *calibrate.NotConvergedError (the job fails and nothing is
// cached); data too thin to fit is a *schema.ValidationError on rows.
func (s Services) runCalibrate(ctx context.Context, doc *CalibrateDoc, progress Progress) (*schema.CalibrateResult, error) {
	r := &doc.CalibrateRequest
	id, err := calibrate.ID(r)
	if err != nil {
		return nil, fmt.Errorf("calibration id: %w", err)
	}
	if s.Calibrations != nil {
		res, err := s.Calibrations.Get(ctx, id)
		switch {
		case err == nil:
			progress(1, 1, "cached")
			// Re-store: refreshes the TTL and makes it the sport's latest.
			if err := s.Calibrations.Put(ctx, res); err != nil {
				s.warn(ctx, "cannot refresh the cached calibration "+id, err)
			}
			return res, nil
		case !errors.Is(err, ErrCalibrationNotFound):
			s.warn(ctx, "calibration cache unreadable; computing "+id, err)
		}
	}
	res, err := calibrate.Run(ctx, r, func(done, total int) { progress(done, total, "sampling") })
	if errors.Is(err, calibrate.ErrNoRows) {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "rows", Reason: schema.ReasonInvalid, Message: err.Error()}}}
	}
	if err != nil {
		return nil, err
	}
	if s.Calibrations != nil {
		if err := s.Calibrations.Put(ctx, res); err != nil {
			s.warn(ctx, "cannot cache the calibration "+res.CalibrationID, err)
		}
	}
	return res, nil
}

// ResolveCalibration returns the calibration a simulation request names,
// for outcome.Options.Calibration (or outcome.CalibrationFor): ref is a
// calibration id or "latest" (the sport's most recent calibration); ""
// returns nil, nil. An unknown, expired or other-sport calibration, or no
// cache configured, is a *schema.ValidationError on calibration_id (the job
// fails as invalid_request); a cache that cannot be reached is Transient
// (the job is retried).
func ResolveCalibration(ctx context.Context, c Calibrations, sport, ref string) (*schema.CalibrateResult, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, nil
	}
	invalid := func(msg string) error {
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: "calibration_id", Reason: schema.ReasonInvalid, Message: msg}}}
	}
	if c == nil {
		return nil, invalid("calibration_id " + ref + " cannot be resolved here: there is no calibration cache " +
			"(a local dfsopt run has none: run it with --server, or remove calibration_id)")
	}
	res, err := c.Resolve(ctx, sport, ref)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, ErrCalibrationNotFound):
		if strings.EqualFold(ref, LatestCalibration) {
			return nil, invalid("no calibration of " + strings.ToLower(sport) + " in the cache: run a calibrate job first")
		}
		return nil, invalid(fmt.Sprintf("calibration %s not found (never run, expired or evicted from the cache): %v", ref, err))
	default:
		return nil, Transient(fmt.Errorf("resolve calibration %s: %w", ref, err))
	}
}
