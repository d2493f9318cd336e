package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Limits of the contest-sim request.
const (
	// MaxContestSims caps ContestSimRequest.Sims.
	MaxContestSims = 1_000_000
	// MaxContestEntries caps the user's entries.
	MaxContestEntries = 10_000
	// MaxFieldSize caps the field (given or generated).
	MaxFieldSize = 2_000_000
	// MaxPayoutRanges caps the rows of contest.payouts.
	MaxPayoutRanges = 10_000
	// MaxContestPlaces is the last place a payout range may name (the
	// largest contest: the whole field plus every entry).
	MaxContestPlaces = MaxFieldSize + MaxContestEntries
	// MaxPrize caps contest.payouts[i].prize, per place, in the contest's
	// currency units (the largest DFS first prizes are a few million).
	MaxPrize = 1e9
	// MaxPrizePool caps the prize pool: the sum over the payout ranges of
	// prize × places in the range.
	MaxPrizePool = 1e10
	// MaxEntryFee caps contest.entry_fee.
	//
	// With these bounds the contest simulation's money arithmetic cannot
	// overflow: amounts are int64 millionths, so a place pays at most 1e15
	// and the prefix sums of the payout table and an entry set's payout in
	// one sim are at most 1e16 (int64 holds 9.2e18); the per-entry sums
	// over up to MaxContestSims sims (up to 1e21) are carried into a high
	// word (see contest.Partial).
	MaxEntryFee = 1e6
)

// FieldSpec is the rest of the contest: explicit lineups (the whole field),
// or Size lineups generated from projected ownership. When both are empty
// the field is contest.size minus the entries.
type FieldSpec struct {
	Size    int        `json:"size,omitempty"`
	Lineups [][]string `json:"lineups,omitempty"`
}

// PayoutRange pays Prize to each place from Places[0] to Places[1]
// inclusive (DraftKings' "8-10 $50" is {"places":[8,10],"prize":50}).
type PayoutRange struct {
	Places [2]int  `json:"places"`
	Prize  float64 `json:"prize"`
}

// ContestSpec describes the contest: entry fee, size and payout table.
type ContestSpec struct {
	EntryFee float64       `json:"entry_fee"`
	Size     int           `json:"size,omitempty"`
	Payouts  []PayoutRange `json:"payouts"`
	// LockTime is when the contest locks (RFC 3339); a run submitted
	// within the lock window before it is time-sensitive (critical queue).
	LockTime *time.Time `json:"lock_time,omitempty"`
}

// ContestSimRequest is the contest-sim request document.
//
// Entries are the user's lineups as player ids in slot order (in showdown
// the first id is the captain/MVP; in classic the order does not matter).
// Player spreads follow the rules of SimulateRequest (stddev 0 scores exactly
// the projection; an omitted stddev takes the sport/position default).
type ContestSimRequest struct {
	Site    string         `json:"site"`
	Sport   string         `json:"sport"`
	Mode    string         `json:"mode,omitempty"`
	Players []slate.Player `json:"players,omitempty"`
	SlateID string         `json:"slate_id,omitempty"`

	Entries [][]string  `json:"entries"`
	Field   FieldSpec   `json:"field"`
	Contest ContestSpec `json:"contest"`

	Sims          int                `json:"sims,omitempty"`
	Seed          uint64             `json:"seed,omitempty"`
	OutcomeModel  OutcomeModel       `json:"outcome_model,omitempty"`
	Correlation   CorrelationOptions `json:"correlation,omitempty"`
	CalibrationID string             `json:"calibration_id,omitempty"`
	// DefaultStdDev lists players whose spread uses the sport/position
	// default (filled on decoding, as for SimulateRequest).
	DefaultStdDev []string `json:"default_stddev,omitempty"`
	// TimeSensitive asks for the critical queue without naming a priority
	// (a run before lock); see also Contest.LockTime.
	TimeSensitive bool `json:"time_sensitive,omitempty"`
	JobOptions
}

// Options returns the job options with the time-sensitivity of the run
// (time_sensitive, contest.lock_time) filled in.
func (r *ContestSimRequest) Options() JobOptions {
	o := r.JobOptions
	o.Urgent, o.LocksAt = r.TimeSensitive, r.Contest.LockTime
	return o
}

// UnmarshalJSON decodes the document strictly (unknown fields rejected) and
// records players without a "stddev" key in DefaultStdDev.
func (r *ContestSimRequest) UnmarshalJSON(b []byte) error {
	type plain ContestSimRequest
	var p plain
	if err := unmarshalSpread(b, &p, &p.Players, &p.DefaultStdDev); err != nil {
		return err
	}
	*r = ContestSimRequest(p)
	return nil
}

// MarshalJSON encodes the document, writing "stddev": 0 explicitly for
// players that score exactly their projection.
func (r ContestSimRequest) MarshalJSON() ([]byte, error) {
	type plain ContestSimRequest
	p := plain(r)
	return json.Marshal(struct {
		*plain
		Players []playerOut `json:"players,omitempty"`
	}{&p, explicitStdDev(r.Players, r.DefaultStdDev)})
}

// Normalized returns the parsed site, sport and mode.
func (r *ContestSimRequest) Normalized() (slate.Site, slate.Sport, slate.Mode, error) {
	return normalizedSSM(r.Site, r.Sport, r.Mode)
}

// SimCount returns the number of simulations with the default applied.
func (r *ContestSimRequest) SimCount() int {
	if r.Sims == 0 {
		return DefaultSims
	}
	return r.Sims
}

// FieldCount returns the number of field lineups: explicit lineups, else
// field.size, else contest.size minus the entries.
func (r *ContestSimRequest) FieldCount() int {
	switch {
	case len(r.Field.Lineups) > 0:
		return len(r.Field.Lineups)
	case r.Field.Size > 0:
		return r.Field.Size
	case r.Contest.Size > len(r.Entries):
		return r.Contest.Size - len(r.Entries)
	}
	return 0
}

// Validate checks the request and returns a *ValidationError naming every
// problem found, or nil. Player ids in lineups are checked against inline
// players; roster eligibility is checked when the contest is prepared.
func (r *ContestSimRequest) Validate() error {
	var l errorList
	rosterSize := validateSlateRef(&l, r.Site, r.Sport, r.Mode, r.Players, r.SlateID).size()
	if r.Sims < 0 || r.Sims > MaxContestSims {
		l.add("sims", ReasonOutOfRange, "sims must be between 1 and %d", MaxContestSims)
	}
	ids := playerIDs(r.Players)
	if len(r.Entries) == 0 || len(r.Entries) > MaxContestEntries {
		l.add("entries", ReasonOutOfRange, "entries must hold between 1 and %d lineups", MaxContestEntries)
	}
	validateLineups(&l, "entries", r.Entries, rosterSize, ids)
	if r.Field.Size < 0 || r.Field.Size > MaxFieldSize {
		l.add("field.size", ReasonOutOfRange, "field.size must be between 0 and %d", MaxFieldSize)
	}
	if len(r.Field.Lineups) > MaxFieldSize {
		l.add("field.lineups", ReasonOutOfRange, "field.lineups must hold at most %d lineups", MaxFieldSize)
	}
	if len(r.Field.Lineups) > 0 && r.Field.Size != 0 && r.Field.Size != len(r.Field.Lineups) {
		l.add("field.size", ReasonConflict, "field.size must be omitted or equal the number of field.lineups")
	}
	validateLineups(&l, "field.lineups", r.Field.Lineups, rosterSize, ids)
	r.Contest.validate(&l, len(r.Entries)+r.FieldCount())
	r.OutcomeModel.validate(&l)
	r.Correlation.validate(&l, ids)
	validateCorrelatedBlock(&l, r.Players, &r.Correlation, r.DefaultStdDev, r.CalibrationID != "")
	validateDefaultStdDev(&l, r.DefaultStdDev, ids)
	validateFloorCeiling(&l, r.Players)
	r.JobOptions.validate(&l)
	return l.err()
}

func validateLineups(l *errorList, name string, lineups [][]string, size int, ids map[string]bool) {
	reported := 0
	for i, lu := range lineups {
		if reported >= 20 { // keep error lists readable on huge fields
			return
		}
		f := fmt.Sprintf("%s[%d]", name, i)
		if size > 0 && len(lu) != size {
			l.add(f, ReasonInvalid, "%s has %d players, the roster has %d", f, len(lu), size)
			reported++
			continue
		}
		seen := make(map[string]bool, len(lu))
		for j, id := range lu {
			switch {
			case seen[id]:
				l.add(fmt.Sprintf("%s[%d]", f, j), ReasonDuplicate, "%s lists player %q twice", f, id)
				reported++
			case ids != nil && !ids[id]:
				l.add(fmt.Sprintf("%s[%d]", f, j), ReasonNotFound, "%s: unknown player %q", f, id)
				reported++
			}
			seen[id] = true
		}
	}
}

func (c *ContestSpec) validate(l *errorList, lineups int) {
	if !finite(c.EntryFee) || c.EntryFee <= 0 || c.EntryFee > MaxEntryFee {
		l.add("contest.entry_fee", ReasonOutOfRange, "contest.entry_fee must be > 0 and at most %g", float64(MaxEntryFee))
	}
	size := c.Size
	if size < 0 || size > MaxContestPlaces {
		l.add("contest.size", ReasonOutOfRange, "contest.size must be between 2 and %d", MaxContestPlaces)
	}
	if size == 0 {
		size = lineups
	}
	if lineups < 2 {
		l.add("field", ReasonRequired, "the contest needs a field: field.lineups, field.size or contest.size")
	}
	if len(c.Payouts) == 0 || len(c.Payouts) > MaxPayoutRanges {
		l.add("contest.payouts", ReasonOutOfRange, "contest.payouts must hold between 1 and %d ranges", MaxPayoutRanges)
	}
	type span struct{ a, b, i int }
	var spans []span
	pool, poolOK := 0.0, true
	for i, p := range c.Payouts {
		f := fmt.Sprintf("contest.payouts[%d]", i)
		if p.Places[0] < 1 || p.Places[1] < p.Places[0] {
			l.add(f+".places", ReasonInvalid, "%s.places must be [first, last] with 1 <= first <= last", f)
			poolOK = false
			continue
		}
		if p.Places[1] > MaxContestPlaces {
			l.add(f+".places", ReasonOutOfRange, "%s.places must be at most %d", f, MaxContestPlaces)
			poolOK = false
			continue
		}
		if !finite(p.Prize) || p.Prize < 0 || p.Prize > MaxPrize {
			l.add(f+".prize", ReasonOutOfRange, "%s.prize must be between 0 and %g per place", f, float64(MaxPrize))
			poolOK = false
		} else {
			pool += p.Prize * float64(p.Places[1]-p.Places[0]+1)
		}
		if size > 0 && p.Places[1] > size {
			l.add(f+".places", ReasonOutOfRange, "%s pays places beyond the contest size %d", f, size)
		}
		spans = append(spans, span{p.Places[0], p.Places[1], i})
	}
	if poolOK && pool > MaxPrizePool {
		l.add("contest.payouts", ReasonOutOfRange, "contest.payouts pay %g in total; the prize pool may be at most %g", pool, float64(MaxPrizePool))
	}
	sort.Slice(spans, func(x, y int) bool { return spans[x].a < spans[y].a })
	for k := 1; k < len(spans); k++ {
		if spans[k].a <= spans[k-1].b {
			l.add(fmt.Sprintf("contest.payouts[%d].places", spans[k].i), ReasonConflict,
				"contest.payouts[%d] overlaps contest.payouts[%d]", spans[k].i, spans[k-1].i)
		}
	}
}

// ContestSimResult is the contest-sim result document.
type ContestSimResult struct {
	Entries   []EntryResult   `json:"entries"`
	Portfolio PortfolioResult `json:"portfolio"`
	Sims      int             `json:"sims"`
	Stats     ContestSimStats `json:"stats"`
	Warnings  []string        `json:"warnings,omitempty"`
}

// EntryResult is one entry's simulated contest outcome.
//
// Places shared by a k-way tie are credited 1/k each: WinRate is the share
// of sims the entry finishes alone in first place plus 1/k of those it ties
// k ways for first; Top1Rate and Top10Rate likewise count the share of the
// places the entry's tie group occupies that lie in the top 1 % / 10 % of
// the contest (at least one place). CashRate is the share of sims with a
// positive payout. MeanRank is the mean of the middle place of the tie
// group (1 = first).
type EntryResult struct {
	Index           int     `json:"index"`
	MeanPayout      float64 `json:"mean_payout"`
	ROI             float64 `json:"roi"`
	WinRate         float64 `json:"win_rate"`
	Top1Rate        float64 `json:"top1_rate"`
	Top10Rate       float64 `json:"top10_rate"`
	CashRate        float64 `json:"cash_rate"`
	MeanRank        float64 `json:"mean_rank"`
	FieldDuplicates int     `json:"field_duplicates"`
	Projection      float64 `json:"projection"`
}

// PortfolioResult summarises all entries together: the mean total payout,
// ROI on the total fees and the 5th/95th percentiles of the total payout.
type PortfolioResult struct {
	MeanPayout float64 `json:"mean_payout"`
	ROI        float64 `json:"roi"`
	P05        float64 `json:"p05"`
	P95        float64 `json:"p95"`
}

// ContestSimStats reports how the simulation went.
type ContestSimStats struct {
	SimMS          int64 `json:"sim_ms"`
	FieldSize      int   `json:"field_size"`
	FieldGenerated bool  `json:"field_generated"`
	// UniqueLineups is the number of distinct lineups scored per sim.
	UniqueLineups int `json:"unique_lineups"`
	// FieldMeanSalary is the mean salary of the field lineups.
	FieldMeanSalary float64 `json:"field_mean_salary"`
	// FieldMeanProjection is the mean projected points of the field
	// lineups (slot multipliers applied): the field's strength beside the
	// entries' projections.
	FieldMeanProjection float64 `json:"field_mean_projection"`
}
