package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/sitecsv"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// simulateFiles builds a simulate request from the site files:
//
//	dfsopt simulate --salaries DKSalaries.csv --projections p.csv [--sims N --seed N --sim-optimal]
//
// on top of --request when given (the files replace its players).
func simulateFiles(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error) {
	site := addSiteFlags(fs, dropOut)
	sims := fs.Int("sims", 0, "simulations (default 10000)")
	seed := fs.Uint64("seed", 0, "random seed")
	simOptimal := fs.Bool("sim-optimal", false, "also report each player's rate of being in the optimal lineup")
	return func(base []byte) ([]byte, error) {
		s, err := site.load(stderr)
		if s == nil || err != nil {
			return nil, err
		}
		var req schema.SimulateRequest
		if err := decodeBase(base, &req); err != nil {
			return nil, err
		}
		s.set(&req.Site, &req.Sport, &req.Mode, &req.Players, &req.SlateID)
		req.DefaultStdDev = s.defaultStdDev()
		if *sims > 0 {
			req.Sims = *sims
		}
		if *seed > 0 {
			req.Seed = *seed
		}
		if *simOptimal {
			req.SimOptimal = true
		}
		return json.Marshal(&req)
	}
}

// ownershipFiles builds an ownership request from the site files:
//
//	dfsopt ownership --salaries DKSalaries.csv --projections p.csv [--contest-type gpp|cash]
func ownershipFiles(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error) {
	site := addSiteFlags(fs, dropOut)
	contestType := fs.String("contest-type", "", "gpp (default) or cash")
	return func(base []byte) ([]byte, error) {
		s, err := site.load(stderr)
		if s == nil || err != nil {
			return nil, err
		}
		var req schema.OwnershipRequest
		if err := decodeBase(base, &req); err != nil {
			return nil, err
		}
		s.set(&req.Site, &req.Sport, &req.Mode, &req.Players, &req.SlateID)
		if *contestType != "" {
			req.ContestType = *contestType
		}
		return json.Marshal(&req)
	}
}

// contestFlags are the contest files and settings contest-sim and
// portfolio share: your DKEntries.csv, the payout table, the field size,
// sims and seed.
type contestFlags struct {
	entries, payouts *string
	fieldSize, sims  *int
	seed             *uint64
}

func addContestFlags(fs *flag.FlagSet) *contestFlags {
	return &contestFlags{
		entries:   fs.String("entries", "", "DKEntries.csv: your entries (reservations without a lineup are skipped)"),
		payouts:   fs.String("payouts", "", "payout table CSV (Place,Payout,Field Size,Entry Fee)"),
		fieldSize: fs.Int("field-size", 0, "field lineups to generate (default: the payout file's field size minus your entries)"),
		sims:      fs.Int("sims", 0, "simulations (default 10000)"),
		seed:      fs.Uint64("seed", 0, "random seed"),
	}
}

// given reports whether a contest file was named.
func (c *contestFlags) given() bool { return *c.entries != "" || *c.payouts != "" }

// contestEntries are the entries of a DKEntries.csv file.
type contestEntries struct {
	// lineups are the entries with a lineup, as player ids.
	lineups [][]string
	// rows counts every entry, reservations included.
	rows int
	// fee is the first entry fee the file gives.
	fee float64
}

// readEntries reads --entries (nil, nil when not given).
func (c *contestFlags) readEntries() (*contestEntries, error) {
	if *c.entries == "" {
		return nil, nil
	}
	f, err := os.Open(*c.entries)
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	defer f.Close()
	ent, err := sitecsv.ReadDraftKingsEntries(f, sitecsv.ImportOptions{})
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("read %s: %v", *c.entries, err)}
	}
	out := &contestEntries{rows: len(ent.Entries)}
	for _, e := range ent.Entries {
		if out.fee == 0 {
			out.fee = e.EntryFee
		}
		if len(e.Picks) == 0 {
			continue
		}
		ids := make([]string, len(e.Picks))
		for i, p := range e.Picks {
			ids[i] = p.ID
		}
		out.lineups = append(out.lineups, ids)
	}
	return out, nil
}

// applyPayouts reads --payouts into the contest (no-op when not given).
func (c *contestFlags) applyPayouts(contest *schema.ContestSpec) error {
	if *c.payouts == "" {
		return nil
	}
	f, err := os.Open(*c.payouts)
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	defer f.Close()
	pt, err := sitecsv.ReadPayouts(f)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("read %s: %v", *c.payouts, err)}
	}
	contest.Payouts = nil
	for _, r := range pt.Ranges {
		contest.Payouts = append(contest.Payouts, schema.PayoutRange{Places: [2]int{r.First, r.Last}, Prize: r.Prize})
	}
	if pt.EntryFee > 0 {
		contest.EntryFee = pt.EntryFee
	}
	if pt.FieldSize > 0 {
		contest.Size = pt.FieldSize
	}
	return nil
}

// contestDoc points at the parts of a contest-sim or portfolio request
// document that the site and contest files fill.
type contestDoc struct {
	site, sport, mode, slateID *string
	players                    *[]slate.Player
	defaultStdDev              *[]string
	contest                    *schema.ContestSpec
	field                      *schema.FieldSpec
	sims                       *int
	seed                       *uint64
}

// fill reads the site files, the payouts and the run flags into d, and
// returns the entries (nil without --entries) for the caller to place; the
// entries' fee is the contest's unless the document or the payout file
// gives one.
func (c *contestFlags) fill(site *siteFlags, stderr io.Writer, d contestDoc) (*contestEntries, error) {
	s, err := site.load(stderr)
	if err != nil {
		return nil, err
	}
	if s != nil {
		s.set(d.site, d.sport, d.mode, d.players, d.slateID)
		*d.defaultStdDev = s.defaultStdDev()
	}
	ent, err := c.readEntries()
	if err != nil {
		return nil, err
	}
	if ent != nil && d.contest.EntryFee == 0 {
		d.contest.EntryFee = ent.fee
	}
	if err := c.applyPayouts(d.contest); err != nil {
		return nil, err
	}
	if *c.fieldSize > 0 {
		*d.field = schema.FieldSpec{Size: *c.fieldSize}
	}
	if *c.sims > 0 {
		*d.sims = *c.sims
	}
	if *c.seed > 0 {
		*d.seed = *c.seed
	}
	return ent, nil
}

// contestFiles builds a contest-sim request from DraftKings salaries (+
// projections), the payout table and DKEntries.csv, on top of --request
// when given.
func contestFiles(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error) {
	site := addSiteFlags(fs, "") // your entries may hold any player
	cf := addContestFlags(fs)
	return func(base []byte) ([]byte, error) {
		if !site.given() && !cf.given() {
			return nil, nil
		}
		var req schema.ContestSimRequest
		if err := decodeBase(base, &req); err != nil {
			return nil, err
		}
		ent, err := cf.fill(site, stderr, contestDoc{&req.Site, &req.Sport, &req.Mode, &req.SlateID, &req.Players,
			&req.DefaultStdDev, &req.Contest, &req.Field, &req.Sims, &req.Seed})
		if err != nil {
			return nil, err
		}
		if ent != nil {
			if len(ent.lineups) == 0 {
				return nil, &usageError{msg: *cf.entries + " has no entry with a lineup"}
			}
			req.Entries = ent.lineups
		}
		if len(req.Field.Lineups) == 0 && req.Field.Size == 0 && req.Contest.Size > len(req.Entries) {
			req.Field.Size = req.Contest.Size - len(req.Entries)
		}
		return json.Marshal(&req)
	}
}

// portfolioFiles builds a portfolio request from the same files as
// contest-sim: the entries of DKEntries.csv are candidates (and their
// number, reservations included, the lineups to choose), plus --candidates
// lineups generated by the optimizer.
func portfolioFiles(fs *flag.FlagSet, stderr io.Writer) func(base []byte) ([]byte, error) {
	site := addSiteFlags(fs, "") // your entries may hold any player
	cf := addContestFlags(fs)
	lineups := fs.Int("lineups", 0, "entries to choose (default: the number of entries in --entries)")
	generate := fs.Int("candidates", 0, "candidate lineups the optimizer generates (seeded, randomness 0.2)")
	return func(base []byte) ([]byte, error) {
		if !site.given() && !cf.given() && *lineups == 0 && *generate == 0 {
			return nil, nil
		}
		var req schema.PortfolioRequest
		if err := decodeBase(base, &req); err != nil {
			return nil, err
		}
		ent, err := cf.fill(site, stderr, contestDoc{&req.Site, &req.Sport, &req.Mode, &req.SlateID, &req.Players,
			&req.DefaultStdDev, &req.Contest, &req.Field, &req.Sims, &req.Seed})
		if err != nil {
			return nil, err
		}
		if ent != nil {
			req.Candidates.Lineups = ent.lineups
			req.Lineups = ent.rows
		}
		if *lineups > 0 {
			req.Lineups = *lineups
		}
		if *generate > 0 {
			if req.Candidates.Generate == nil {
				req.Candidates.Generate = &schema.CandidateGeneration{}
			}
			req.Candidates.Generate.Count = *generate
		}
		return json.Marshal(&req)
	}
}
