package task

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/simulate"
	"github.com/dfsopt/dfsopt/pkg/calibcache"
	"github.com/dfsopt/dfsopt/pkg/logging"
)

// TypeCalibrate is the task type of calibrate jobs (POST /v1/calibrate).
const TypeCalibrate = "calibrate"

// Calibrate job limits: MCMC on a season of history takes minutes, so
// calibrations run on the low queue with a long explicit timeout (Asynq's
// 30-minute default would otherwise apply). A request's timeout_seconds
// (at most 3600) may shorten it.
const (
	CalibrateTimeout  = time.Hour
	calibrateMaxRetry = 2
)

// Calibrations is the calibration cache as the compute functions use it;
// *calibcache.Cache implements it. Lookups of unknown calibrations return
// calibcache.ErrNotFound.
type Calibrations interface {
	Get(ctx context.Context, id string) (*schema.CalibrateResult, error)
	Put(ctx context.Context, res *schema.CalibrateResult) error
	Resolve(ctx context.Context, sport, ref string) (*schema.CalibrateResult, error)
}

// Option configures the services the compute functions of Standard use.
type Option func(*deps)

// deps are the services of the compute functions.
type deps struct {
	calibrations Calibrations
}

// WithCalibrations gives the compute functions the calibration cache:
// calibrate jobs store their results there and answer identical requests
// from it; simulations resolve calibration_id through it. Without it,
// calibrations are computed every time and calibration_id cannot be
// resolved.
func WithCalibrations(c Calibrations) Option {
	return func(d *deps) { d.calibrations = c }
}

func newDeps(opts []Option) *deps {
	d := &deps{}
	for _, o := range opts {
		o(d)
	}
	return d
}

// calibrateKind is the calibrate job type. Requests naming
// source.slate_ids are refused at submission (422): there is no slate
// store to read history from yet.
func calibrateKind(d *deps) Kind {
	k := Define[schema.CalibrateRequest, schema.CalibrateResult](Spec{
		Type: TypeCalibrate, Path: "/v1/calibrate", DefaultQueue: QueueLow,
		DefaultTimeout: CalibrateTimeout, MaxTimeout: CalibrateTimeout, MaxRetry: calibrateMaxRetry,
	}, func(r *schema.CalibrateRequest) schema.JobOptions { return r.JobOptions }, d.runCalibrate)
	decode := k.Decode
	k.Decode = func(body []byte) (*Request, error) {
		r, err := decode(body)
		if err != nil {
			return nil, err
		}
		if err := noSlateSource(r.Doc.(*schema.CalibrateRequest)); err != nil {
			return nil, err
		}
		return r, nil
	}
	return k
}

// slateSourceUnsupported explains the refusal of source.slate_ids.
const slateSourceUnsupported = "source.slate_ids is not supported yet (there is no slate store to read history from): send the history as rows"

func noSlateSource(r *schema.CalibrateRequest) error {
	if r.Source != nil && len(r.Rows) == 0 {
		return &schema.ValidationError{Errors: []schema.FieldError{{Field: "source.slate_ids", Reason: schema.ReasonInvalid, Message: slateSourceUnsupported}}}
	}
	return nil
}

// runCalibrate answers from the cache when an identical calibration is
// there (same calibration id), else samples and stores the result. A cache
// that cannot be read or written never fails the job: the calibration is
// computed (or returned) anyway, with a warning in the log. Unconverged
// fits return *calibrate.NotConvergedError (the job fails and nothing is
// cached); data too thin to fit is a *schema.ValidationError on rows.
func (d *deps) runCalibrate(ctx context.Context, r *schema.CalibrateRequest, progress Progress) (*schema.CalibrateResult, error) {
	if err := noSlateSource(r); err != nil {
		return nil, err
	}
	log := logging.From(ctx)
	id, err := calibrate.ID(r)
	if err != nil {
		return nil, fmt.Errorf("calibration id: %w", err)
	}
	if d.calibrations != nil {
		res, err := d.calibrations.Get(ctx, id)
		switch {
		case err == nil:
			progress(1, 1, "cached")
			// Re-store: refreshes the TTL and makes it the sport's latest.
			if err := d.calibrations.Put(ctx, res); err != nil {
				log.Warn("cannot refresh the cached calibration", zap.String("calibration_id", id), zap.Error(err))
			}
			log.Info("calibration served from the cache", zap.String("calibration_id", id))
			return res, nil
		case !errors.Is(err, calibcache.ErrNotFound):
			log.Warn("calibration cache unreadable; computing", zap.String("calibration_id", id), zap.Error(err))
		}
	}
	res, err := calibrate.Run(ctx, r, func(done, total int) { progress(done, total, "sampling") })
	if errors.Is(err, calibrate.ErrNoRows) {
		return nil, &schema.ValidationError{Errors: []schema.FieldError{{Field: "rows", Reason: schema.ReasonInvalid, Message: err.Error()}}}
	}
	if err != nil {
		return nil, err
	}
	if d.calibrations != nil {
		if err := d.calibrations.Put(ctx, res); err != nil {
			log.Warn("cannot cache the calibration", zap.String("calibration_id", res.CalibrationID), zap.Error(err))
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
		return nil, invalid("calibration_id " + ref + " cannot be resolved: this worker has no calibration cache")
	}
	res, err := c.Resolve(ctx, sport, ref)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, calibcache.ErrNotFound):
		if strings.EqualFold(ref, calibcache.Latest) {
			return nil, invalid("no calibration of " + strings.ToLower(sport) + " in the cache: run a calibrate job first")
		}
		return nil, invalid(fmt.Sprintf("calibration %s not found (never run, expired or evicted from the cache): %v", ref, err))
	default:
		return nil, Transient(fmt.Errorf("resolve calibration %s: %w", ref, err))
	}
}

// runSimulate is the simulate compute with the calibration applied: it
// resolves the request's calibration_id (an id, or "latest" of the
// request's sport) from the cache and simulates with it; without a
// calibration_id it is the plain simulate compute.
func (d *deps) runSimulate(ctx context.Context, r *SimulateDoc, progress Progress) (*schema.SimulateResult, error) {
	if strings.TrimSpace(r.CalibrationID) == "" {
		return runSimulate(ctx, r, progress)
	}
	cal, err := ResolveCalibration(ctx, d.calibrations, r.Sport, r.CalibrationID)
	if err != nil {
		return nil, err
	}
	var hook outcome.OptimalFunc
	phase := "simulating (calibrated)"
	if r.SimOptimal {
		hook = simulate.Optimal(&r.SimulateRequest)
		phase = "simulating (calibrated, with optimal lineups)"
	}
	return outcome.SimulateWith(ctx, &r.SimulateRequest, func(done, total int) { progress(done, total, phase) },
		outcome.Options{Calibration: cal, Optimal: hook})
}
