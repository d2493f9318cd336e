package schema

import (
	"encoding/json"
	"math"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Limits of the portfolio request.
const (
	// MaxPortfolioLineups caps PortfolioRequest.Lineups.
	MaxPortfolioLineups = 1_000
	// MaxPortfolioCandidates caps the candidate pool (given or generated).
	MaxPortfolioCandidates = 5_000
	// MaxPortfolioGenerate caps candidates.generate.count (each generated
	// lineup is one optimizer solve).
	MaxPortfolioGenerate = 2_000
	// MaxPortfolioSims caps PortfolioRequest.Sims.
	MaxPortfolioSims = 100_000
	// MaxPortfolioWork caps candidates × sims: the standings kept in memory
	// take 16 bytes per candidate and sim in which the candidate finishes
	// inside the paid places against the field (about a third of the sims
	// for optimizer lineups in a GPP), so at most 320 MB, about 100 MB in
	// practice (e.g. 1,000 candidates × 20,000 sims).
	MaxPortfolioWork = 20_000_000
	// DefaultPortfolioRandomness is candidates.generate.randomness when
	// omitted.
	DefaultPortfolioRandomness = 0.2
)

// CandidateGeneration asks the lineup optimizer for the candidate pool:
// Count lineups with seeded projection noise Randomness (relative standard
// deviation, default DefaultPortfolioRandomness) under Constraints (as in
// OptimizeRequest). The seed is the request's seed.
type CandidateGeneration struct {
	Count       int         `json:"count"`
	Randomness  *float64    `json:"randomness,omitempty"`
	Constraints Constraints `json:"constraints,omitempty"`
}

// RandomnessOrDefault returns the randomness with the default applied.
func (g *CandidateGeneration) RandomnessOrDefault() float64 {
	if g.Randomness == nil {
		return DefaultPortfolioRandomness
	}
	return *g.Randomness
}

// CandidateSpec is the candidate pool: explicit lineups (player ids, in
// slot order for showdown), or generated ones, or both (given first).
type CandidateSpec struct {
	Lineups  [][]string           `json:"lineups,omitempty"`
	Generate *CandidateGeneration `json:"generate,omitempty"`
}

// PortfolioConstraints caps player exposure in the chosen portfolio: a
// player may appear in at most floor(max × lineups) entries (a tolerance of
// 1e-9 absorbs rounding, so 0.5 of 3 is 1 entry). MaxExposure applies to
// every player; Exposures[id].Max overrides it per player. Minimum
// exposures are not supported by the selection (rejected).
type PortfolioConstraints struct {
	MaxExposure *float64                 `json:"max_exposure,omitempty"`
	Exposures   map[string]ExposureRange `json:"exposures,omitempty"`
}

// MaxCount returns the most entries player id may appear in out of n.
func (c *PortfolioConstraints) MaxCount(id string, n int) int {
	share := 1.0
	if c.MaxExposure != nil {
		share = *c.MaxExposure
	}
	if e, ok := c.Exposures[id]; ok && e.Max != nil {
		share = *e.Max
	}
	return int(math.Floor(share*float64(n) + 1e-9))
}

// PortfolioRequest is the portfolio request document: choose Lineups
// entries from a candidate pool to maximize the portfolio's expected payout
// in the simulated contest (field and contest as in ContestSimRequest; a
// generated field has field.size, else contest.size minus Lineups,
// lineups), under exposure caps.
type PortfolioRequest struct {
	Site    string         `json:"site"`
	Sport   string         `json:"sport"`
	Mode    string         `json:"mode,omitempty"`
	Players []slate.Player `json:"players,omitempty"`
	SlateID string         `json:"slate_id,omitempty"`

	// Lineups is the number of entries to choose.
	Lineups     int                  `json:"lineups"`
	Candidates  CandidateSpec        `json:"candidates"`
	Field       FieldSpec            `json:"field"`
	Contest     ContestSpec          `json:"contest"`
	Constraints PortfolioConstraints `json:"constraints,omitempty"`

	Sims          int                `json:"sims,omitempty"`
	Seed          uint64             `json:"seed,omitempty"`
	OutcomeModel  OutcomeModel       `json:"outcome_model,omitempty"`
	Correlation   CorrelationOptions `json:"correlation,omitempty"`
	CalibrationID string             `json:"calibration_id,omitempty"`
	// DefaultStdDev lists players whose spread uses the sport/position
	// default (filled on decoding, as for SimulateRequest).
	DefaultStdDev []string `json:"default_stddev,omitempty"`
	JobOptions
}

// UnmarshalJSON decodes the document strictly (unknown fields rejected) and
// records players without a "stddev" key in DefaultStdDev.
func (r *PortfolioRequest) UnmarshalJSON(b []byte) error {
	type plain PortfolioRequest
	var p plain
	if err := unmarshalSpread(b, &p, &p.Players, &p.DefaultStdDev); err != nil {
		return err
	}
	*r = PortfolioRequest(p)
	return nil
}

// MarshalJSON encodes the document, writing "stddev": 0 explicitly for
// players that score exactly their projection.
func (r PortfolioRequest) MarshalJSON() ([]byte, error) {
	type plain PortfolioRequest
	p := plain(r)
	return json.Marshal(struct {
		*plain
		Players []playerOut `json:"players,omitempty"`
	}{&p, explicitStdDev(r.Players, r.DefaultStdDev)})
}

// Normalized returns the parsed site, sport and mode.
func (r *PortfolioRequest) Normalized() (slate.Site, slate.Sport, slate.Mode, error) {
	return normalizedSSM(r.Site, r.Sport, r.Mode)
}

// SimCount returns the number of simulations with the default applied.
func (r *PortfolioRequest) SimCount() int {
	if r.Sims == 0 {
		return DefaultSims
	}
	return r.Sims
}

// CandidateCount returns the size of the candidate pool before duplicates
// are removed.
func (r *PortfolioRequest) CandidateCount() int {
	n := len(r.Candidates.Lineups)
	if g := r.Candidates.Generate; g != nil {
		n += g.Count
	}
	return n
}

// FieldCount returns the number of field lineups: explicit lineups, else
// field.size, else contest.size minus the chosen entries.
func (r *PortfolioRequest) FieldCount() int {
	switch {
	case len(r.Field.Lineups) > 0:
		return len(r.Field.Lineups)
	case r.Field.Size > 0:
		return r.Field.Size
	case r.Contest.Size > r.Lineups:
		return r.Contest.Size - r.Lineups
	}
	return 0
}

// Validate checks the request and returns a *ValidationError naming every
// problem found, or nil.
func (r *PortfolioRequest) Validate() error {
	var l errorList
	rosterSize := validateSlateRef(&l, r.Site, r.Sport, r.Mode, r.Players, r.SlateID).size()
	if r.Lineups < 1 || r.Lineups > MaxPortfolioLineups {
		l.add("lineups", ReasonOutOfRange, "lineups must be between 1 and %d", MaxPortfolioLineups)
	}
	ids := playerIDs(r.Players)
	c := r.CandidateCount()
	switch {
	case c == 0:
		l.add("candidates", ReasonRequired, "candidates.lineups or candidates.generate is required")
	case c > MaxPortfolioCandidates:
		l.add("candidates", ReasonOutOfRange, "the candidate pool must hold at most %d lineups", MaxPortfolioCandidates)
	case c < r.Lineups:
		l.add("candidates", ReasonOutOfRange, "the candidate pool (%d) is smaller than lineups (%d)", c, r.Lineups)
	}
	validateLineups(&l, "candidates.lineups", r.Candidates.Lineups, rosterSize, ids)
	if g := r.Candidates.Generate; g != nil {
		if g.Count < 1 || g.Count > MaxPortfolioGenerate {
			l.add("candidates.generate.count", ReasonOutOfRange, "candidates.generate.count must be between 1 and %d", MaxPortfolioGenerate)
		}
		if x := g.RandomnessOrDefault(); !finite(x) || x < 0 || x > 1 {
			l.add("candidates.generate.randomness", ReasonOutOfRange, "candidates.generate.randomness must be between 0 and 1")
		}
		var sub errorList
		g.Constraints.validate(&sub, g.Count)
		for _, e := range sub.errs {
			e.Field = "candidates.generate." + e.Field
			l.errs = append(l.errs, e)
		}
	}
	if r.Sims < 0 || r.Sims > MaxPortfolioSims {
		l.add("sims", ReasonOutOfRange, "sims must be between 1 and %d", MaxPortfolioSims)
	}
	if c > 0 && c <= MaxPortfolioCandidates && r.SimCount() <= MaxPortfolioSims && c*r.SimCount() > MaxPortfolioWork {
		l.add("sims", ReasonOutOfRange, "candidates × sims is %d, at most %d: fewer sims or candidates", c*r.SimCount(), MaxPortfolioWork)
	}
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
	if r.FieldCount() < 1 {
		l.add("field", ReasonRequired, "the contest needs a field: field.lineups, field.size or contest.size above lineups")
	}
	r.Contest.validate(&l, r.Lineups+r.FieldCount())
	if x := r.Constraints.MaxExposure; x != nil && (!finite(*x) || *x <= 0 || *x > 1) {
		l.add("constraints.max_exposure", ReasonOutOfRange, "constraints.max_exposure must be in (0, 1]")
	}
	for id, e := range r.Constraints.Exposures {
		f := "constraints.exposures." + id
		if e.Min != nil {
			l.add(f+".min", ReasonInvalid, "%s.min: minimum exposures are not supported by portfolio selection", f)
		}
		if e.Max != nil && (!finite(*e.Max) || *e.Max < 0 || *e.Max > 1) {
			l.add(f+".max", ReasonOutOfRange, "%s.max must be between 0 and 1", f)
		}
		if ids != nil && !ids[id] {
			l.add(f, ReasonNotFound, "%s: unknown player %q", f, id)
		}
	}
	r.OutcomeModel.validate(&l)
	r.Correlation.validate(&l, ids)
	validateCorrelatedBlock(&l, r.Players, &r.Correlation, r.DefaultStdDev, r.CalibrationID != "")
	validateDefaultStdDev(&l, r.DefaultStdDev, ids)
	validateFloorCeiling(&l, r.Players)
	r.JobOptions.validate(&l)
	return l.err()
}

// PortfolioSelection is the portfolio result document.
//
// Entries are in the order chosen (greedy). Payouts are those of the
// chosen entries entered together in the simulated contest: an entry's
// MeanPayout accounts for the other chosen entries above it and tying with
// it (they share places exactly as field lineups do), and AloneMeanPayout is
// its mean payout entered alone. Portfolio sums the entries (ROI on all
// fees; p05/p95 of the per-sim total payout).
type PortfolioSelection struct {
	Entries    []PortfolioEntry   `json:"entries"`
	Portfolio  PortfolioResult    `json:"portfolio"`
	Exposures  map[string]float64 `json:"exposures"`
	Candidates int                `json:"candidates"`
	Sims       int                `json:"sims"`
	Stats      PortfolioStats     `json:"stats"`
	Warnings   []string           `json:"warnings,omitempty"`
}

// PortfolioEntry is one chosen entry.
type PortfolioEntry struct {
	// Candidate is the entry's index in the candidate pool (given lineups
	// first, then generated ones, duplicates removed).
	Candidate  int      `json:"candidate"`
	Players    []string `json:"players"`
	Projection float64  `json:"projection"`
	MeanPayout float64  `json:"mean_payout"`
	ROI        float64  `json:"roi"`
	CashRate   float64  `json:"cash_rate"`
	// WinRate counts a k-way tie for first (field or own entries) as 1/k.
	WinRate         float64 `json:"win_rate"`
	AloneMeanPayout float64 `json:"alone_mean_payout"`
	// MarginalGain is the expected portfolio payout the entry added when it
	// was chosen (its own payout minus what it cost the entries already
	// chosen).
	MarginalGain float64 `json:"marginal_gain"`
}

// PortfolioStats reports how the selection went.
type PortfolioStats struct {
	GenerateMS int64 `json:"generate_ms"`
	SimMS      int64 `json:"sim_ms"`
	SelectMS   int64 `json:"select_ms"`
	FieldSize  int   `json:"field_size"`
	// FieldGenerated is true when the field was generated from ownership.
	FieldGenerated bool `json:"field_generated"`
	// Standings is the number of (candidate, sim) standings kept: the sims
	// in which a candidate finishes inside the paid places of the field.
	Standings int64 `json:"standings"`
	// Evaluations counts marginal-gain evaluations of candidates (lazy
	// greedy re-evaluates only candidates that reach the top).
	Evaluations int `json:"evaluations"`
}
