package schema

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Limits of the simulate request.
const (
	// MaxSimulateSims caps SimulateRequest.Sims.
	MaxSimulateSims = 1_000_000
	// DefaultSims is the number of simulations when a request omits sims.
	DefaultSims = 10_000
	// MaxSimOptimalSims caps the sims of a request with sim_optimal: each
	// sim is one exact lineup optimization (about 1.4 ms on a 209-player
	// NBA main slate on 2 cores, so 70 s at the cap).
	MaxSimOptimalSims = 50_000
	// MaxCorrelatedBlock caps the players simulated jointly in one
	// correlated block: the varying players of one game, with the games
	// that correlation.pairs link across merged into one block (see
	// correlatedBlock). The block's correlation matrix may need a repair
	// (Higham's nearest correlation: up to 200 Jacobi eigendecompositions,
	// cubic in the block size). Measured on 2 shared cores
	// (BenchmarkRepairLargestBlock in optimizer/outcome): at 150 players
	// the worst relation-driven matrix we know repairs in 0.54 CPU-s and a
	// dense adversarial one (all 11,175 pairs given explicitly, random
	// sign) in 4.8 CPU-s; in wall time on a quiet machine 100 players took
	// 0.08 s / 1.0 s, 200 players 2.8 s / 12 s and 300 players 15 s / 66 s.
	// 150 keeps the realistic case well under a second and the adversarial
	// one a few seconds, far inside the job timeouts (and the repair stops
	// on cancel). The largest real game in the shared slates has 129
	// players (MLB; most of them projected 0), an NFL showdown 65.
	MaxCorrelatedBlock = 150
)

// Outcome distributions accepted by OutcomeModel.Distribution.
const (
	DistributionNormal    = "normal"
	DistributionLognormal = "lognormal"
	DistributionAuto      = "auto"
)

// OutcomeModel selects the per-player outcome distribution.
//
// Distribution is "normal", "lognormal" or "auto" (default): a shifted
// lognormal matched to the player's mean and standard deviation with a
// sport/position default skew (fantasy points are right-skewed).
// FloorPercentile and CeilingPercentile say which percentiles players'
// floor and ceiling are (defaults 0.15 and 0.85: with them the floors and
// ceilings of the real 2019-09-08 DraftKings NFL projections put 79.9 % of
// the actual scores inside the fitted [p10, p90]; read as p10/p90 only 68 %).
type OutcomeModel struct {
	Distribution      string  `json:"distribution,omitempty"`
	FloorPercentile   float64 `json:"floor_percentile,omitempty"`
	CeilingPercentile float64 `json:"ceiling_percentile,omitempty"`
}

// NormalizedDistribution returns the distribution name in canonical form
// ("auto" when empty), or an error for an unknown value.
func (m *OutcomeModel) NormalizedDistribution() (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(m.Distribution)); v {
	case "", DistributionAuto:
		return DistributionAuto, nil
	case DistributionNormal, DistributionLognormal:
		return v, nil
	}
	return "", fmt.Errorf("unknown distribution %q (want normal, lognormal or auto)", m.Distribution)
}

// Percentiles returns the floor and ceiling percentiles with defaults applied.
func (m *OutcomeModel) Percentiles() (floor, ceiling float64) {
	floor, ceiling = m.FloorPercentile, m.CeilingPercentile
	if floor == 0 {
		floor = 0.15
	}
	if ceiling == 0 {
		ceiling = 0.85
	}
	return floor, ceiling
}

func (m *OutcomeModel) validate(l *errorList) {
	if _, err := m.NormalizedDistribution(); err != nil {
		l.add("outcome_model.distribution", ReasonInvalid, "%v", err)
	}
	f, c := m.Percentiles()
	if !finite(f) || f <= 0 || f >= 0.5 {
		l.add("outcome_model.floor_percentile", ReasonOutOfRange, "outcome_model.floor_percentile must be in (0, 0.5)")
	}
	if !finite(c) || c <= 0.5 || c >= 1 {
		l.add("outcome_model.ceiling_percentile", ReasonOutOfRange, "outcome_model.ceiling_percentile must be in (0.5, 1)")
	}
}

// PairCorrelation sets the correlation of two players' outcomes directly.
type PairCorrelation struct {
	A   string  `json:"a"`
	B   string  `json:"b"`
	Rho float64 `json:"rho"`
}

// CorrelationOptions controls the outcome correlation model.
//
// Enabled defaults to true. Relations overrides or adds relation values,
// keyed by relation: "QB-WR" (same team, positions in either order),
// "opp:QB-DST" (opponents), and the catch-alls "team" (other same-team
// pairs), "opp" (other opposing pairs) and "game" (same game, any other
// relation). Pairs sets individual players' correlations and wins over
// relations. The matrix is repaired to the nearest valid correlation matrix
// when the values given are not jointly possible.
type CorrelationOptions struct {
	Enabled   *bool              `json:"enabled,omitempty"`
	Relations map[string]float64 `json:"relations,omitempty"`
	Pairs     []PairCorrelation  `json:"pairs,omitempty"`
}

// IsEnabled reports whether correlation is on (the default).
func (c *CorrelationOptions) IsEnabled() bool { return c.Enabled == nil || *c.Enabled }

func (c *CorrelationOptions) validate(l *errorList, ids map[string]bool) {
	for k, v := range c.Relations {
		if !finite(v) || v < -1 || v > 1 {
			l.add("correlation.relations."+k, ReasonOutOfRange, "correlation.relations.%s must be between -1 and 1", k)
		}
		if strings.TrimSpace(k) == "" {
			l.add("correlation.relations", ReasonInvalid, "empty relation key")
		}
	}
	for i, p := range c.Pairs {
		f := fmt.Sprintf("correlation.pairs[%d]", i)
		if !finite(p.Rho) || p.Rho < -1 || p.Rho > 1 {
			l.add(f+".rho", ReasonOutOfRange, "%s.rho must be between -1 and 1", f)
		}
		if p.A == p.B {
			l.add(f, ReasonInvalid, "%s pairs a player with himself", f)
		}
		if ids != nil {
			if !ids[p.A] {
				l.add(f+".a", ReasonNotFound, "%s.a: unknown player %q", f, p.A)
			}
			if !ids[p.B] {
				l.add(f+".b", ReasonNotFound, "%s.b: unknown player %q", f, p.B)
			}
		}
	}
}

// correlatedBlock returns an upper bound of the largest block of players
// the outcome model samples jointly, and the field to blame when it is too
// large ("players", or "correlation.pairs" when explicit pairs join games).
// With correlation disabled every player is sampled alone (0). Otherwise
// the varying players of a game form one block (the model may split it
// further when some relations are 0), and a pair across two games merges
// their blocks. A player varies when its stddev is positive, when it has a
// floor and a ceiling, when it takes the default spread (listed in
// defaultSD with a positive projection), or, with a calibration, always
// (calibrated spreads do not depend on the request). Pairs naming unknown
// players are ignored here (validation reports them).
func correlatedBlock(players []slate.Player, corr *CorrelationOptions, defaultSD []string, calibrated bool) (size int, field, game string) {
	if !corr.IsEnabled() || len(players) == 0 {
		return 0, "", ""
	}
	def := make(map[string]bool, len(defaultSD))
	for _, id := range defaultSD {
		def[id] = true
	}
	gameOf := make(map[string]string, len(players))
	count := map[string]int{}
	for i := range players {
		p := &players[i]
		g := p.GameKey()
		gameOf[p.ID] = g
		if calibrated || p.StdDev > 0 || (p.Floor != nil && p.Ceiling != nil) || (def[p.ID] && p.Projection > 0) {
			count[g]++
		}
	}
	// Games linked by explicit pairs merge (union-find over game keys).
	parent := map[string]string{}
	var find func(string) string
	find = func(g string) string {
		for {
			p, ok := parent[g]
			if !ok || p == g {
				return g
			}
			parent[g] = parent[p]
			g = p
		}
	}
	linked := false
	for _, pr := range corr.Pairs {
		ga, okA := gameOf[pr.A]
		gb, okB := gameOf[pr.B]
		if !okA || !okB || pr.Rho == 0 {
			continue
		}
		if ra, rb := find(ga), find(gb); ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
			linked = true
		}
	}
	total := map[string]int{}
	for g, n := range count {
		total[find(g)] += n
	}
	for g, n := range total {
		if n > size || (n == size && g < game) {
			size, game = n, g
		}
	}
	field = "players"
	if linked && count[game] != size {
		field = "correlation.pairs"
	}
	return size, field, game
}

// validateCorrelatedBlock refuses requests whose largest correlated block
// exceeds MaxCorrelatedBlock.
func validateCorrelatedBlock(l *errorList, players []slate.Player, corr *CorrelationOptions, defaultSD []string, calibrated bool) {
	n, field, game := correlatedBlock(players, corr, defaultSD, calibrated)
	if n <= MaxCorrelatedBlock {
		return
	}
	reason := fmt.Sprintf("game %s has %d varying players", game, n)
	if field == "correlation.pairs" {
		reason = fmt.Sprintf("correlation.pairs join games into a block of %d varying players (from game %s)", n, game)
	}
	l.add(field, ReasonOutOfRange, "%s sampled jointly; at most %d players may be correlated in one block "+
		"(split the slate, give fewer players stddev > 0, or set correlation.enabled false)", reason, MaxCorrelatedBlock)
}

// SimulateRequest is the simulate request document: per-player outcome
// distributions sampled jointly through a Gaussian copula.
//
// A player's spread comes from its stddev when positive; otherwise from its
// floor and ceiling when both are given; otherwise, if its id is listed in
// DefaultStdDev, from the sport/position default; otherwise (stddev 0) it
// scores exactly its projection. Decoding from JSON lists in DefaultStdDev
// every player whose object has no "stddev" key and no floor/ceiling, so
// that an omitted stddev means "default" and an explicit 0 means "exact",
// and the distinction survives re-encoding the document.
type SimulateRequest struct {
	Site    string         `json:"site"`
	Sport   string         `json:"sport"`
	Mode    string         `json:"mode,omitempty"`
	Players []slate.Player `json:"players,omitempty"`
	SlateID string         `json:"slate_id,omitempty"`
	// Sims is the number of simulated outcomes (default DefaultSims).
	Sims int    `json:"sims,omitempty"`
	Seed uint64 `json:"seed,omitempty"`
	// OutcomeModel selects the marginal distributions.
	OutcomeModel OutcomeModel `json:"outcome_model,omitempty"`
	// Correlation controls the correlation model.
	Correlation CorrelationOptions `json:"correlation,omitempty"`
	// CalibrationID names calibrated parameters to apply (calibrate job);
	// resolved by the caller before simulation.
	CalibrationID string `json:"calibration_id,omitempty"`
	// SimOptimal asks for each player's rate of being in the optimal lineup
	// of a simulated outcome (needs the lineup optimizer).
	SimOptimal bool `json:"sim_optimal,omitempty"`
	// DefaultStdDev lists players whose spread uses the sport/position default.
	DefaultStdDev []string `json:"default_stddev,omitempty"`
	JobOptions
}

// UnmarshalJSON decodes the document strictly (unknown fields rejected) and
// records players without a "stddev" key in DefaultStdDev.
func (r *SimulateRequest) UnmarshalJSON(b []byte) error {
	type plain SimulateRequest
	var p plain
	if err := unmarshalSpread(b, &p, &p.Players, &p.DefaultStdDev); err != nil {
		return err
	}
	*r = SimulateRequest(p)
	return nil
}

// MarshalJSON encodes the document, writing "stddev": 0 explicitly for
// players that score exactly their projection (an omitted stddev would
// read back as "use the default").
func (r SimulateRequest) MarshalJSON() ([]byte, error) {
	type plain SimulateRequest
	p := plain(r)
	return json.Marshal(struct {
		*plain
		Players []playerOut `json:"players,omitempty"`
	}{&p, explicitStdDev(r.Players, r.DefaultStdDev)})
}

// playerOut is a player with its stddev always written when set.
type playerOut struct {
	slate.Player
	StdDev *float64 `json:"stddev,omitempty"`
}

var zero = 0.0

// explicitStdDev returns the players for encoding: stddev written when
// positive, and as an explicit 0 for exact players.
func explicitStdDev(players []slate.Player, defaults []string) []playerOut {
	if players == nil {
		return nil
	}
	def := make(map[string]bool, len(defaults))
	for _, id := range defaults {
		def[id] = true
	}
	out := make([]playerOut, len(players))
	for i := range players {
		p := &players[i]
		out[i].Player = *p
		switch {
		case p.StdDev != 0:
			out[i].StdDev = &p.StdDev
		case !def[p.ID] && (p.Floor == nil || p.Ceiling == nil):
			out[i].StdDev = &zero
		}
	}
	return out
}

// missingStdDev appends to list the ids of players whose JSON object in
// doc lacks "stddev" and one of "floor" and "ceiling", and that are not
// listed yet. members, when not nil, are the members each object has, as
// the scanner read them; otherwise doc is read again for them.
func missingStdDev(doc []byte, players []slate.Player, members []uint32, list []string) []string {
	if members == nil {
		var raw struct {
			Players []map[string]json.RawMessage `json:"players"`
		}
		if err := json.Unmarshal(doc, &raw); err != nil {
			return list
		}
		for _, obj := range raw.Players {
			var m uint32
			if _, ok := obj["stddev"]; ok {
				m |= memberStdDev
			}
			if _, ok := obj["floor"]; ok {
				m |= memberFloor
			}
			if _, ok := obj["ceiling"]; ok {
				m |= memberCeiling
			}
			members = append(members, m)
		}
	}
	if len(members) != len(players) {
		return list
	}
	have := make(map[string]bool, len(list))
	for _, id := range list {
		have[id] = true
	}
	for i, m := range members {
		if m&memberStdDev != 0 || m&(memberFloor|memberCeiling) == memberFloor|memberCeiling {
			continue
		}
		if id := players[i].ID; !have[id] {
			have[id] = true
			list = append(list, id)
		}
	}
	return list
}

// Normalized returns the parsed site, sport and mode.
func (r *SimulateRequest) Normalized() (slate.Site, slate.Sport, slate.Mode, error) {
	return normalizedSSM(r.Site, r.Sport, r.Mode)
}

func normalizedSSM(siteS, sportS, modeS string) (slate.Site, slate.Sport, slate.Mode, error) {
	site, err := slate.ParseSite(siteS)
	if err != nil {
		return "", "", "", err
	}
	sport, err := slate.ParseSport(sportS)
	if err != nil {
		return "", "", "", err
	}
	mode, err := slate.ParseMode(modeS)
	if err != nil {
		return "", "", "", err
	}
	return site, sport, mode, nil
}

// SimCount returns the number of simulations with the default applied.
func (r *SimulateRequest) SimCount() int {
	if r.Sims == 0 {
		return DefaultSims
	}
	return r.Sims
}

// Validate checks the request and returns a *ValidationError naming every
// problem found, or nil.
func (r *SimulateRequest) Validate() error {
	var l errorList
	rs := validateSlateRef(&l, r.Site, r.Sport, r.Mode, r.Players, r.SlateID)
	if r.SimOptimal {
		// Every sim optimizes a lineup from every player: their positions
		// and salaries must fit the roster, as in an optimize request.
		rs.checkPlayers(&l, r.Players)
	}
	if r.Sims < 0 || r.Sims > MaxSimulateSims {
		l.add("sims", ReasonOutOfRange, "sims must be between 1 and %d", MaxSimulateSims)
	} else if r.SimOptimal && r.SimCount() > MaxSimOptimalSims {
		l.add("sims", ReasonOutOfRange, "sims must be at most %d with sim_optimal (one lineup optimization per sim)", MaxSimOptimalSims)
	}
	r.OutcomeModel.validate(&l)
	ids := playerIDs(r.Players)
	r.Correlation.validate(&l, ids)
	validateCorrelatedBlock(&l, r.Players, &r.Correlation, r.DefaultStdDev, r.CalibrationID != "")
	validateDefaultStdDev(&l, r.DefaultStdDev, ids)
	validateFloorCeiling(&l, r.Players)
	r.JobOptions.validate(&l)
	return l.err()
}

// playerIDs returns the set of inline player ids, or nil when the players
// come from a slate id (then ids cannot be checked here).
func playerIDs(players []slate.Player) map[string]bool {
	if len(players) == 0 {
		return nil
	}
	ids := make(map[string]bool, len(players))
	for i := range players {
		ids[players[i].ID] = true
	}
	return ids
}

func validateDefaultStdDev(l *errorList, list []string, ids map[string]bool) {
	if ids == nil {
		return
	}
	for i, id := range list {
		if !ids[id] {
			l.add(fmt.Sprintf("default_stddev[%d]", i), ReasonNotFound, "default_stddev[%d]: unknown player %q", i, id)
		}
	}
}

func validateFloorCeiling(l *errorList, players []slate.Player) {
	for i := range players {
		p := &players[i]
		if p.Floor != nil && !finite(*p.Floor) {
			l.add(fmt.Sprintf("players[%d].floor", i), ReasonInvalid, "players[%d].floor must be a finite number", i)
		}
		if p.Ceiling != nil && !finite(*p.Ceiling) {
			l.add(fmt.Sprintf("players[%d].ceiling", i), ReasonInvalid, "players[%d].ceiling must be a finite number", i)
		}
		if p.Floor != nil && p.Ceiling != nil && finite(*p.Floor) && finite(*p.Ceiling) && *p.Floor > *p.Ceiling {
			l.add(fmt.Sprintf("players[%d].floor", i), ReasonConflict, "players[%d].floor is above its ceiling", i)
		}
	}
}

// SimulateResult is the simulate result document.
type SimulateResult struct {
	Players  []PlayerOutcome `json:"players"`
	Sims     int             `json:"sims"`
	Seed     uint64          `json:"seed"`
	Stats    SimulateStats   `json:"stats"`
	Warnings []string        `json:"warnings,omitempty"`
}

// PlayerOutcome is one player's simulated outcome distribution. Mean and
// StdDev are sample moments; the percentiles are sample percentiles.
// SimOptimalRate is the share of simulations in which the player is in the
// optimal lineup (present only when requested).
type PlayerOutcome struct {
	ID             string   `json:"id"`
	Name           string   `json:"name,omitempty"`
	Distribution   string   `json:"distribution"`
	Projection     float64  `json:"projection"`
	Mean           float64  `json:"mean"`
	StdDev         float64  `json:"stddev"`
	P10            float64  `json:"p10"`
	P50            float64  `json:"p50"`
	P90            float64  `json:"p90"`
	P99            float64  `json:"p99"`
	SimOptimalRate *float64 `json:"sim_optimal_rate,omitempty"`
}

// SimulateStats reports how the simulation went.
type SimulateStats struct {
	SimMS int64 `json:"sim_ms"`
	// CorrelatedBlocks is the number of independent player groups sampled
	// jointly; Repaired the number whose correlation matrix needed repair.
	CorrelatedBlocks int     `json:"correlated_blocks"`
	Repaired         int     `json:"repaired"`
	MaxRepair        float64 `json:"max_repair,omitempty"`
}
