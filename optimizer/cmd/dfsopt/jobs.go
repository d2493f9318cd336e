package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dfsopt/dfsopt/optimizer/contest"
	"github.com/dfsopt/dfsopt/optimizer/ownership"
	"github.com/dfsopt/dfsopt/optimizer/portfolio"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/simulate"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
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
	// nil, nil when no file flag was given.
	files func(fs *flag.FlagSet) func(base []byte) ([]byte, error)
}

// commands returns the subcommands by name.
func commands() map[string]*command {
	return map[string]*command{
		"optimize":    {path: "/v1/optimize", local: optimizeLocal, files: optimizeFiles},
		"simulate":    {path: "/v1/simulate", local: localJob(simulateCompute)},
		"contest-sim": {path: "/v1/contest-sim", local: localJob(contestCompute), files: contestFiles},
		"ownership":   {path: "/v1/ownership", local: localJob(ownershipCompute)},
		"portfolio":   {path: "/v1/portfolio", local: localJob(portfolioCompute)},
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

// contestFiles adds the site-file flags of contest-sim: the request
// document is built from DraftKings salaries (+ projections), the payout
// table (Place,Payout,Field Size,Entry Fee) and DKEntries.csv, on top of
// --request when given.
func contestFiles(fs *flag.FlagSet) func(base []byte) ([]byte, error) {
	payouts := fs.String("payouts", "", "payout table CSV (Place,Payout,Field Size,Entry Fee)")
	salaries := fs.String("salaries", "", "site salary file (DKSalaries.csv): the players")
	projections := fs.String("projections", "", "projections CSV merged into the salary file's players")
	entries := fs.String("entries", "", "DKEntries.csv: your entries (reservations without a lineup are skipped)")
	fieldSize := fs.Int("field-size", 0, "field lineups to generate (default: the payout file's field size minus the entries)")
	sims := fs.Int("sims", 0, "simulations (default 10000)")
	seed := fs.Uint64("seed", 0, "random seed")
	return func(base []byte) ([]byte, error) {
		if *payouts == "" && *salaries == "" && *projections == "" && *entries == "" {
			return nil, nil
		}
		var req schema.ContestSimRequest
		if base != nil {
			if err := schema.DecodeBytes(base, &req); err != nil {
				var ve *schema.ValidationError
				if errors.As(err, &ve) {
					return nil, &usageError{msg: describeValidation(ve)}
				}
				return nil, err
			}
		}
		if *projections != "" && *salaries == "" {
			return nil, &usageError{msg: "--projections needs --salaries"}
		}
		if *salaries != "" {
			sal, err := os.Open(*salaries)
			if err != nil {
				return nil, &usageError{msg: err.Error()}
			}
			defer sal.Close()
			var proj io.Reader
			if *projections != "" {
				f, err := os.Open(*projections)
				if err != nil {
					return nil, &usageError{msg: err.Error()}
				}
				defer f.Close()
				proj = f
			}
			oreq, _, err := sitecsv.BuildOptimizeRequest(sal, proj, sitecsv.RequestOptions{})
			if err != nil {
				return nil, &usageError{msg: fmt.Sprintf("read %s: %v", *salaries, err)}
			}
			req.Site, req.Sport, req.Mode, req.Players, req.SlateID = oreq.Site, oreq.Sport, oreq.Mode, oreq.Players, ""
			req.DefaultStdDev = nil
			for _, p := range req.Players {
				if p.StdDev == 0 && (p.Floor == nil || p.Ceiling == nil) {
					req.DefaultStdDev = append(req.DefaultStdDev, p.ID) // no spread in the files: sport defaults
				}
			}
		}
		if *entries != "" {
			f, err := os.Open(*entries)
			if err != nil {
				return nil, &usageError{msg: err.Error()}
			}
			defer f.Close()
			ent, err := sitecsv.ReadDraftKingsEntries(f, sitecsv.ImportOptions{})
			if err != nil {
				return nil, &usageError{msg: fmt.Sprintf("read %s: %v", *entries, err)}
			}
			req.Entries = nil
			for _, e := range ent.Entries {
				if len(e.Picks) == 0 {
					continue
				}
				ids := make([]string, len(e.Picks))
				for i, p := range e.Picks {
					ids[i] = p.ID
				}
				req.Entries = append(req.Entries, ids)
				if req.Contest.EntryFee == 0 {
					req.Contest.EntryFee = e.EntryFee
				}
			}
			if len(req.Entries) == 0 {
				return nil, &usageError{msg: *entries + " has no entry with a lineup"}
			}
		}
		if *payouts != "" {
			f, err := os.Open(*payouts)
			if err != nil {
				return nil, &usageError{msg: err.Error()}
			}
			defer f.Close()
			pt, err := sitecsv.ReadPayouts(f)
			if err != nil {
				return nil, &usageError{msg: fmt.Sprintf("read %s: %v", *payouts, err)}
			}
			req.Contest.Payouts = nil
			for _, r := range pt.Ranges {
				req.Contest.Payouts = append(req.Contest.Payouts, schema.PayoutRange{Places: [2]int{r.First, r.Last}, Prize: r.Prize})
			}
			if pt.EntryFee > 0 {
				req.Contest.EntryFee = pt.EntryFee
			}
			if pt.FieldSize > 0 {
				req.Contest.Size = pt.FieldSize
			}
		}
		if *fieldSize > 0 {
			req.Field = schema.FieldSpec{Size: *fieldSize}
		} else if len(req.Field.Lineups) == 0 && req.Field.Size == 0 && req.Contest.Size > len(req.Entries) {
			req.Field.Size = req.Contest.Size - len(req.Entries)
		}
		if *sims > 0 {
			req.Sims = *sims
		}
		if *seed > 0 {
			req.Seed = *seed
		}
		return json.Marshal(&req)
	}
}
