package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/calibrate"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// calibrateCompute runs a calibration locally. An unconverged fit is an
// error naming the failing parameters (exit 1), never a result.
func calibrateCompute(ctx context.Context, r *schema.CalibrateRequest, p func(int, int, string)) (*schema.CalibrateResult, error) {
	if r.Source != nil && len(r.Rows) == 0 {
		return nil, &usageError{msg: "source.slate_ids needs the gateway's slate store: run with --server URL, or give the history with --rows"}
	}
	res, err := calibrate.Run(ctx, r, func(d, t int) { p(d, t, "sampling") })
	if errors.Is(err, calibrate.ErrNoRows) {
		return nil, &usageError{msg: err.Error()}
	}
	return res, err
}

// calibrateFiles adds the flags of calibrate: the history rows (CSV with a
// header, or JSON) and the model settings, on top of --request when given.
func calibrateFiles(fs *flag.FlagSet, _ io.Writer) func(base []byte) ([]byte, error) {
	rows := fs.String("rows", "", "history rows: CSV (player_id,name,position,team,opponent,game,date,projection,actual[,stddev,ownership]) or JSON")
	sport := fs.String("sport", "", "sport of the history (default nfl)")
	site := fs.String("site", "", "site of the projections (optional)")
	seed := fs.Uint64("seed", 0, "random seed (part of the calibration id)")
	chains := fs.Int("chains", 0, "MCMC chains (default 4)")
	draws := fs.Int("draws", 0, "retained draws per chain (default 1000)")
	warmup := fs.Int("warmup", 0, "warm-up iterations per chain (default 1000)")
	return func(base []byte) ([]byte, error) {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if base == nil && !set["rows"] {
			if len(set) > 0 && (set["sport"] || set["seed"] || set["chains"] || set["draws"] || set["warmup"] || set["site"]) {
				return nil, &usageError{msg: "dfsopt calibrate: --rows FILE (or --request FILE) is required"}
			}
			return nil, nil
		}
		var req schema.CalibrateRequest
		if base != nil {
			if err := schema.DecodeBytes(base, &req); err != nil {
				var ve *schema.ValidationError
				if errors.As(err, &ve) {
					return nil, &usageError{msg: describeValidation(ve)}
				}
				return nil, err
			}
		}
		if set["rows"] {
			f, err := os.Open(*rows)
			if err != nil {
				return nil, &usageError{msg: err.Error()}
			}
			defer f.Close()
			rs, err := calibrate.ReadRows(f)
			if err != nil {
				return nil, &usageError{msg: fmt.Sprintf("read %s: %v", *rows, err)}
			}
			req.Rows, req.Source = rs, nil
		}
		switch {
		case set["sport"]:
			req.Sport = strings.ToLower(*sport)
		case req.Sport == "":
			req.Sport = "nfl"
		}
		if set["site"] {
			req.Site = *site
		}
		if set["seed"] {
			req.Seed = *seed
		}
		if set["chains"] {
			req.Chains = *chains
		}
		if set["draws"] {
			req.Draws = *draws
		}
		if set["warmup"] {
			req.Warmup = *warmup
		}
		return json.Marshal(&req)
	}
}
