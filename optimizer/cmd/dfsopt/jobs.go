package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/ownership"
	"github.com/dfsopt/dfsopt/optimizer/portfolio"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/simulate"
)

// command is one dfsopt subcommand: a job kind run locally or submitted to
// the gateway's path.
type command struct {
	// path is the gateway's submit route.
	path string
	// local computes a request document in process.
	local func(ctx context.Context, body []byte, progress io.Writer) ([]byte, error)
	// files, when set, adds flags for site files and returns the function
	// building (or completing) the request document from them; it returns
	// nil, nil when no file flag was given. Reports go to stderr.
	files func(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error)
}

// commands returns the subcommands by name.
func commands() map[string]*command {
	return map[string]*command{
		"optimize":    {path: "/v1/optimize", local: optimizeLocal, files: optimizeFiles},
		"simulate":    {path: "/v1/simulate", local: localJob(simulateCompute), files: simulateFiles},
		"contest-sim": {path: "/v1/contest-sim", local: localJob(contestCompute), files: contestFiles},
		"ownership":   {path: "/v1/ownership", local: localJob(ownershipCompute), files: ownershipFiles},
		"portfolio":   {path: "/v1/portfolio", local: localJob(portfolioCompute), files: portfolioFiles},
		"calibrate":   {path: "/v1/calibrate", local: localJob(calibrateCompute), files: calibrateFiles},
	}
}

// phaseProgress prints progress lines "phase: done/total" on w.
func phaseProgress(w io.Writer) (func(done, total int, phase string), func()) {
	last := ""
	report := func(done, total int, phase string) {
		line := fmt.Sprintf("\r%s: %d/%d", phase, done, total)
		if line != last {
			if last != "" && phase != lastPhase(last) {
				fmt.Fprintln(w)
			}
			fmt.Fprint(w, line)
			last = line
		}
	}
	return report, func() {
		if last != "" {
			fmt.Fprintln(w)
		}
	}
}

func lastPhase(line string) string {
	for i := 1; i < len(line); i++ {
		if line[i] == ':' {
			return line[1:i]
		}
	}
	return ""
}

// localJob decodes and validates a request document of type Req and runs
// compute on it, returning the result document.
func localJob[Req any, Res any, PReq interface {
	*Req
	Validate() error
}](compute func(context.Context, PReq, func(done, total int, phase string)) (*Res, error)) func(context.Context, []byte, io.Writer) ([]byte, error) {
	return func(ctx context.Context, body []byte, progress io.Writer) ([]byte, error) {
		req := PReq(new(Req))
		err := schema.DecodeBytes(body, req)
		if err == nil {
			err = req.Validate()
		}
		var ve *schema.ValidationError
		if errors.As(err, &ve) {
			return nil, &usageError{msg: describeValidation(ve)}
		}
		if err != nil {
			return nil, err
		}
		report, done := phaseProgress(progress)
		res, err := compute(ctx, req, report)
		done()
		if errors.As(err, &ve) {
			return nil, &usageError{msg: describeValidation(ve)}
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(res)
	}
}

// localCalibrationWarning says that a local run ignored calibration_id:
// calibrations live in the server's calibration cache, which the CLI does
// not have.
func localCalibrationWarning(ref string) string {
	return "calibration_id " + ref + " was not applied: a local run has no calibration cache to resolve it; " +
		"run with --server to simulate with the calibration"
}

func simulateCompute(ctx context.Context, r *schema.SimulateRequest, p func(int, int, string)) (*schema.SimulateResult, error) {
	ref := r.CalibrationID
	r.CalibrationID = "" // cannot be resolved here: warned below
	res, err := simulate.Run(ctx, r, func(d, t int) { p(d, t, "simulating") })
	if err == nil && ref != "" {
		res.Warnings = append(res.Warnings, localCalibrationWarning(ref))
	}
	return res, err
}

func contestCompute(ctx context.Context, r *schema.ContestSimRequest, p func(int, int, string)) (*schema.ContestSimResult, error) {
	ref := r.CalibrationID
	r.CalibrationID = "" // cannot be resolved here: warned below
	res, err := contest.Simulate(ctx, r, func(d, t int) { p(d, t, "simulating") })
	if err == nil && ref != "" {
		res.Warnings = append(res.Warnings, localCalibrationWarning(ref))
	}
	return res, err
}

func ownershipCompute(ctx context.Context, r *schema.OwnershipRequest, _ func(int, int, string)) (*schema.OwnershipResult, error) {
	return ownership.Project(ctx, r)
}

func portfolioCompute(ctx context.Context, r *schema.PortfolioRequest, p func(int, int, string)) (*schema.PortfolioSelection, error) {
	return portfolio.Select(ctx, r, portfolio.Progress(p))
}
