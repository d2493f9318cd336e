package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// optimizeFiles registers the flags that build an optimize request from a
// site salary file and a projections file:
//
//	dfsopt optimize --salaries DKSalaries.csv --projections proj.csv --lineups 150 --min-unique 3
//
// With --request too, the files replace the document's players (and the
// flags set override the document's fields).
func optimizeFiles(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error) {
	site := addSiteFlags(fs, dropOut)
	lineups := fs.Int("lineups", 0, "number of lineups (default 1 with --salaries)")
	minUnique := fs.Int("min-unique", -1, "players any two lineups must differ in")
	return func(base []byte) ([]byte, error) {
		s, err := site.load(stderr)
		if s == nil || err != nil {
			return nil, err
		}
		var req schema.OptimizeRequest
		if err := decodeBase(base, &req); err != nil {
			return nil, err
		}
		s.set(&req.Site, &req.Sport, &req.Mode, &req.Players, &req.SlateID)
		if *lineups > 0 {
			req.Lineups = *lineups
		}
		if req.Lineups == 0 {
			req.Lineups = 1
		}
		if *minUnique >= 0 {
			req.Constraints.MinUnique = *minUnique
		}
		return json.Marshal(&req)
	}
}

// uploadCSV turns an optimize result document into the site's upload CSV;
// format is "csv" (the request's site), "dk-csv" or "fd-csv".
func uploadCSV(request, result []byte, format string) ([]byte, error) {
	var req schema.OptimizeRequest
	if err := json.Unmarshal(request, &req); err != nil {
		return nil, fmt.Errorf("read request for --format: %w", err)
	}
	site, sport, mode, err := req.Normalized()
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	switch format {
	case "dk-csv":
		site = slate.DraftKings
	case "fd-csv":
		site = slate.FanDuel
	case "csv":
	default:
		return nil, &usageError{msg: fmt.Sprintf("--format must be json, csv, dk-csv or fd-csv, not %q", format)}
	}
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	var res schema.OptimizeResult
	if err := json.Unmarshal(result, &res); err != nil {
		return nil, fmt.Errorf("read result for --format: %w", err)
	}
	var b bytes.Buffer
	if err := sitecsv.WriteUpload(&b, rules, res.Lineups); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// remoteCSVFormat checks that --format can be served by the gateway for
// this request: optimize only, and dk-csv/fd-csv only for a request of
// that site (the gateway writes the upload CSV of the job's own site).
func remoteCSVFormat(command string, request []byte, format string) error {
	if command != "optimize" {
		return &usageError{msg: "--format applies to optimize only"}
	}
	var want slate.Site
	switch format {
	case "csv":
		return nil
	case "dk-csv":
		want = slate.DraftKings
	case "fd-csv":
		want = slate.FanDuel
	default:
		return &usageError{msg: fmt.Sprintf("--format must be json, csv, dk-csv or fd-csv, not %q", format)}
	}
	var req schema.OptimizeRequest
	if err := json.Unmarshal(request, &req); err != nil {
		return fmt.Errorf("read request for --format: %w", err)
	}
	site, _, _, err := req.Normalized()
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if site != want {
		return &usageError{msg: fmt.Sprintf("--format %s with --server needs a %s request, not %s (the gateway writes the CSV of the job's site)", format, want, site)}
	}
	return nil
}
