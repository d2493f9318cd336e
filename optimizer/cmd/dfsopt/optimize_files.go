package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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
func optimizeFiles(fs *flag.FlagSet) func(base []byte) ([]byte, error) {
	salaries := fs.String("salaries", "", "site salary file (DKSalaries.csv or a FanDuel player list)")
	projections := fs.String("projections", "", "projections CSV merged into the players by id, else name and team")
	site := fs.String("site", "", "site of the salary file (draftkings|fanduel; default: detected)")
	sport := fs.String("sport", "", "sport (nfl|nba|mlb|nhl; default: inferred from the positions)")
	mode := fs.String("mode", "", "classic or showdown (default: detected)")
	lineups := fs.Int("lineups", 0, "number of lineups (default 1 with --salaries)")
	minUnique := fs.Int("min-unique", -1, "players any two lineups must differ in")
	drop := fs.String("drop-status", "OUT,IR", "comma-separated site statuses to drop (empty keeps everyone)")
	dropUnprojected := fs.Bool("drop-unprojected", false, "drop players the projections file does not cover")
	return func(base []byte) ([]byte, error) {
		if *salaries == "" {
			if *projections != "" {
				return nil, &usageError{msg: "--projections needs --salaries"}
			}
			return nil, nil
		}
		opts := sitecsv.RequestOptions{Lineups: *lineups, DropUnprojected: *dropUnprojected}
		var err error
		if *site != "" {
			if opts.Site, err = slate.ParseSite(*site); err != nil {
				return nil, &usageError{msg: err.Error()}
			}
		}
		if *sport != "" {
			if opts.Sport, err = slate.ParseSport(*sport); err != nil {
				return nil, &usageError{msg: err.Error()}
			}
		}
		if *mode != "" {
			if opts.Mode, err = slate.ParseMode(*mode); err != nil {
				return nil, &usageError{msg: err.Error()}
			}
		}
		for _, s := range strings.Split(*drop, ",") {
			if s = strings.TrimSpace(s); s != "" {
				opts.DropStatuses = append(opts.DropStatuses, s)
			}
		}
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
		built, rep, err := sitecsv.BuildOptimizeRequest(sal, proj, opts)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		if rep != nil {
			for _, w := range rep.Warnings {
				fmt.Fprintln(os.Stderr, "dfsopt: warning:", w)
			}
			if rep.Merge != nil {
				fmt.Fprintln(os.Stderr, "dfsopt:", rep.Merge.Summary())
			}
		}
		req := built
		if base != nil {
			var doc schema.OptimizeRequest
			if err := schema.DecodeBytes(base, &doc); err != nil {
				var ve *schema.ValidationError
				if errors.As(err, &ve) {
					return nil, &usageError{msg: describeValidation(ve)}
				}
				return nil, err
			}
			doc.Players, doc.SlateID = built.Players, ""
			doc.Site, doc.Sport, doc.Mode = built.Site, built.Sport, built.Mode
			if *lineups > 0 {
				doc.Lineups = *lineups
			}
			req = &doc
		}
		if req.Lineups == 0 {
			req.Lineups = 1
		}
		if *minUnique >= 0 {
			req.Constraints.MinUnique = *minUnique
		}
		return json.Marshal(req)
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
