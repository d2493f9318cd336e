package main

import (
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

// dropOut is the --drop-status default of the commands without entries.
const dropOut = "OUT,IR"

// siteFlags are the flags every slate-based subcommand shares to read its
// players from a site salary file and a projections file.
type siteFlags struct {
	salaries, projections, site, sport, mode, dropStatus *string
	dropUnprojected, allowUnprojected, fillSiteAvg       *bool
}

// addSiteFlags registers the site-file flags on fs; dropStatus is the
// default of --drop-status.
func addSiteFlags(fs *flag.FlagSet, dropStatus string) *siteFlags {
	return &siteFlags{
		salaries:        fs.String("salaries", "", "site salary file (DKSalaries.csv or a FanDuel player list): the players"),
		projections:     fs.String("projections", "", "projections CSV merged into the players by id, else name and team"),
		site:            fs.String("site", "", "site of the salary file (draftkings|fanduel; default: detected)"),
		sport:           fs.String("sport", "", "sport (nfl|nba|mlb|nhl; default: inferred from the positions)"),
		mode:            fs.String("mode", "", "classic or showdown (default: detected)"),
		dropStatus:      fs.String("drop-status", dropStatus, "comma-separated site statuses to drop (empty keeps everyone)"),
		dropUnprojected: fs.Bool("drop-unprojected", false, "drop players the projections file does not cover"),
		allowUnprojected: fs.Bool("allow-unprojected", false,
			fmt.Sprintf("use a projections file that covers under %.0f%% of the optimal-value range", 100*sitecsv.MinCoverage)),
		fillSiteAvg: fs.Bool("fill-site-avg", false, "players the projections file does not cover keep the site's AvgPointsPerGame/FPPG (default: 0)"),
	}
}

// given reports whether a site file was named.
func (f *siteFlags) given() bool { return *f.salaries != "" || *f.projections != "" }

// siteSlate is the slate read from the site files.
type siteSlate struct {
	site, sport, mode string
	players           []slate.Player
}

// set copies the slate into a request document's slate fields (replacing
// any slate_id).
func (s *siteSlate) set(site, sport, mode *string, players *[]slate.Player, slateID *string) {
	*site, *sport, *mode, *players, *slateID = s.site, s.sport, s.mode, s.players, ""
}

// defaultStdDev lists the players whose files give no spread (no stddev,
// no floor and ceiling): the simulation uses the sport/position default.
func (s *siteSlate) defaultStdDev() []string {
	var ids []string
	for _, p := range s.players {
		if p.StdDev == 0 && (p.Floor == nil || p.Ceiling == nil) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// load reads the site files (nil, nil when none was named). It reports on
// stderr what a user must know: import warnings, the merge summary, every
// unmatched projection row, the coverage of the optimal-value range, and
// loudly the players whose projection is the site's average. A projections
// file covering under sitecsv.MinCoverage of the range is refused unless
// --allow-unprojected.
func (f *siteFlags) load(stderr io.Writer) (*siteSlate, error) {
	if !f.given() {
		return nil, nil
	}
	if *f.salaries == "" {
		return nil, &usageError{msg: "--projections needs --salaries"}
	}
	opts := sitecsv.RequestOptions{DropUnprojected: *f.dropUnprojected, KeepSiteProjection: *f.fillSiteAvg}
	var err error
	if *f.site != "" {
		if opts.Site, err = slate.ParseSite(*f.site); err != nil {
			return nil, &usageError{msg: err.Error()}
		}
	}
	if *f.sport != "" {
		if opts.Sport, err = slate.ParseSport(*f.sport); err != nil {
			return nil, &usageError{msg: err.Error()}
		}
	}
	if *f.mode != "" {
		if opts.Mode, err = slate.ParseMode(*f.mode); err != nil {
			return nil, &usageError{msg: err.Error()}
		}
	}
	for _, s := range strings.Split(*f.dropStatus, ",") {
		if s = strings.TrimSpace(s); s != "" {
			opts.DropStatuses = append(opts.DropStatuses, s)
		}
	}
	sal, err := os.Open(*f.salaries)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	defer sal.Close()
	var proj io.Reader
	if *f.projections != "" {
		pf, err := os.Open(*f.projections)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		defer pf.Close()
		proj = pf
	}
	req, rep, err := sitecsv.BuildOptimizeRequest(sal, proj, opts)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("read %s: %v", *f.salaries, err)}
	}
	if err := f.report(stderr, rep); err != nil {
		return nil, err
	}
	return &siteSlate{site: req.Site, sport: req.Sport, mode: req.Mode, players: req.Players}, nil
}

// maxListed caps the players named in one stderr line.
const maxListed = 10

// report prints the build report and applies the coverage check.
func (f *siteFlags) report(stderr io.Writer, rep *sitecsv.BuildReport) error {
	for _, w := range rep.Warnings {
		fmt.Fprintln(stderr, "dfsopt: warning:", w)
	}
	if m := rep.Merge; m != nil {
		fmt.Fprintln(stderr, "dfsopt:", m.Summary())
		for _, u := range m.Unmatched {
			fmt.Fprintf(stderr, "dfsopt: unmatched projection row, line %d: %s: %s\n", u.Line, describeRow(u), u.Reason)
		}
	}
	if c := rep.Coverage; c != nil {
		fmt.Fprintln(stderr, "dfsopt:", c.Summary())
		if c.Share() < sitecsv.MinCoverage {
			msg := fmt.Sprintf("projections cover only %d of the %d players in the optimal-value range (%.1f%%, under %.0f%%); without a projection: %s",
				c.Projected, c.InRange, 100*c.Share(), 100*sitecsv.MinCoverage, listPlayers(c.Missing))
			if !*f.allowUnprojected {
				return &usageError{msg: msg + "\nIs the projections file for this slate? --allow-unprojected uses it anyway (unprojected players get 0, or their site average with --fill-site-avg)."}
			}
			fmt.Fprintln(stderr, "dfsopt: warning:", msg, "(--allow-unprojected)")
		}
	}
	if n := len(rep.SiteAverage); n > 0 {
		fmt.Fprintf(stderr, "!!! using %s %s as projections for %d players: %s\n",
			siteName(rep.Site), sitecsv.SiteAverageColumn(rep.Site), n, listPlayers(rep.SiteAverage))
	}
	return nil
}

// describeRow names a projection row: "Name (TEAM POS)", or its id.
func describeRow(u sitecsv.UnmatchedRow) string {
	name := u.Name
	if name == "" {
		name = "id " + u.ID
	}
	var tp []string
	for _, s := range []string{u.Team, u.Position} {
		if s != "" {
			tp = append(tp, s)
		}
	}
	if len(tp) > 0 {
		name += " (" + strings.Join(tp, " ") + ")"
	}
	return name
}

// listPlayers names up to maxListed players, "Name (TEAM POS $salary)".
func listPlayers(ps []sitecsv.PlayerRef) string {
	var b strings.Builder
	for i, p := range ps {
		if i == maxListed {
			fmt.Fprintf(&b, " and %d more", len(ps)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s %s $%d)", p.Name, p.Team, strings.Join(p.Positions, "/"), p.Salary)
	}
	return b.String()
}

func siteName(s slate.Site) string {
	switch s {
	case slate.DraftKings:
		return "DraftKings"
	case slate.FanDuel:
		return "FanDuel"
	}
	return string(s)
}

// decodeBase decodes the --request document the files complete; a
// document that does not decode is a usage error naming the fields.
func decodeBase(base []byte, req any) error {
	if base == nil {
		return nil
	}
	err := schema.DecodeBytes(base, req)
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		return &usageError{msg: describeValidation(ve)}
	}
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	return nil
}
