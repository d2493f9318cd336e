// Package contest simulates DFS contests: the user's entries and a field of
// lineups (given, or generated from projected ownership under the site's
// roster rules) are scored on every simulated slate outcome, ranked, and paid
// from the contest's payout table, tied lineups splitting the prizes of the
// places they occupy equally.
//
// The simulation streams: one sim at a time per goroutine, with a score
// vector of the players in cache, each distinct lineup scored once as a sum of
// int32 fixed-point points (hundredths), ranks found from a two-level
// histogram of the scores, and integer accumulators. Memory is bounded by the
// lineups and a histogram per goroutine, never sims × lineups.
//
// Results are reproducible and splittable: simulation k uses the random
// stream (seed, k) only and every accumulator is an integer, so the sims can
// be cut into chunks (RunChunk) run anywhere and merged (Merge) into exactly
// the result of a single run.
package contest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Fixed-point scales: scores in hundredths of a point, money in millionths.
const (
	pointScale = 100
	moneyScale = 1_000_000
	// creditScale is the fixed-point scale of fractional tie credits.
	creditScale = 1 << 32
)

// Prepared is a contest ready to simulate: resolved lineups, the outcome
// model of the players they use and the payout prefix sums. It is immutable
// and safe for concurrent use; Prepare is deterministic, so workers of a
// fanned-out job can each rebuild it from the same request.
type Prepared struct {
	// Sims and Seed of the request.
	Sims int
	Seed uint64
	// Workers is the number of goroutines RunChunk uses (default GOMAXPROCS).
	Workers int
	// Warnings lists adjustments and oddities found while preparing.
	Warnings []string

	model   *outcome.Model // over the used players
	used    []int          // used player → request player index
	mults   []float64      // distinct slot multipliers; score index = m*len(used)+p
	roster  int
	lineups []uint16
	weight  []int32 // copies of each unique lineup in the contest
	// fieldWeight is weight counting the field only (entries excluded).
	fieldWeight []int32
	entries     []int32 // entry → unique lineup
	// entry metadata
	entryDup  []int
	entryProj []float64
	// ranking and payouts
	total     int     // lineups in the contest (entries + field)
	prefix    []int64 // prefix[k] = prizes of places 1..k, micro-units
	paid      int     // last paid place
	top1Cut   int
	top10Cut  int
	fee       float64
	histLimit int // largest score range ranked by histogram

	fieldSize           int
	fieldGenerated      bool
	fieldMeanSalary     float64
	fieldMeanProjection float64
}

// Entries returns the number of entries.
func (p *Prepared) Entries() int { return len(p.entries) }

// UniqueLineups returns the number of distinct lineups scored per sim.
func (p *Prepared) UniqueLineups() int { return len(p.weight) }

// TotalLineups returns the number of lineups in the contest.
func (p *Prepared) TotalLineups() int { return p.total }

// FieldSize returns the number of field lineups (entries excluded).
func (p *Prepared) FieldSize() int { return p.fieldSize }

// FieldGenerated reports whether the field was generated from ownership.
func (p *Prepared) FieldGenerated() bool { return p.fieldGenerated }

// FieldMeanSalary returns the mean salary of the field lineups.
func (p *Prepared) FieldMeanSalary() float64 { return p.fieldMeanSalary }

// FieldMeanProjection returns the mean projected points of the field
// lineups (slot multipliers applied): the field's strength, to compare with
// the entries' projections and the optimal lineup's.
func (p *Prepared) FieldMeanProjection() float64 { return p.fieldMeanProjection }

// EntryProjection returns entry e's projected points.
func (p *Prepared) EntryProjection(e int) float64 { return p.entryProj[e] }

// validationError builds a *schema.ValidationError with one field error.
func validationError(field, reason, format string, args ...any) error {
	return &schema.ValidationError{Errors: []schema.FieldError{{Field: field, Reason: reason, Message: fmt.Sprintf(format, args...)}}}
}

// Options are the optional inputs of PrepareWith and SimulateWith.
type Options struct {
	// Calibration is the calibration the request's calibration_id names
	// ("latest" = the newest of the sport), resolved by the caller (the
	// worker reads it from the calibration cache; fanned-out chunks all
	// resolve the same pinned id). It applies to the outcome model as in
	// outcome.SimulateWith. nil simulates with the request's own outcome
	// model and, when calibration_id is set, warns that it was not applied.
	Calibration *schema.CalibrateResult
}

// Prepare validates a contest-sim request with inline players and builds
// the contest: entries, field (generated when not given), outcome model and
// payout table. It applies no calibration (see PrepareWith).
func Prepare(ctx context.Context, req *schema.ContestSimRequest) (*Prepared, error) {
	return PrepareWith(ctx, req, Options{})
}

// PrepareWith is Prepare with the optional inputs in opts: the outcome
// model uses opts.Calibration when given (an error when it is not the
// calibration req.CalibrationID names or is of another sport). Like
// Prepare it is deterministic: the same request and calibration give the
// same prepared contest on every worker. It is ProblemOf then
// PrepareProblem.
func PrepareWith(ctx context.Context, req *schema.ContestSimRequest, opts Options) (*Prepared, error) {
	pr, err := ProblemOf(req, opts)
	if err != nil {
		return nil, err
	}
	return PrepareProblem(ctx, pr)
}

// Problem is a contest to simulate in typed form: what PrepareProblem needs,
// resolved once from a request document (ProblemOf for contest-sim; the
// portfolio package builds its own from a portfolio request). PrepareProblem
// trusts it to respect the request limits of package schema (prize and
// field bounds, lineup counts): build it from a validated request.
type Problem struct {
	// Rules are the site's roster rules.
	Rules *slate.Rules
	// Players are the slate's players (inline, ids unique).
	Players []slate.Player
	// Entries are the lineups whose results are reported, as player ids
	// (in slot order when slots carry multipliers).
	Entries [][]string
	// EntriesField names Entries in error messages ("entries" when empty).
	EntriesField string
	// FieldLineups is the whole field when given; otherwise FieldSize
	// lineups are generated from ownership (seeded by Seed).
	FieldLineups [][]string
	FieldSize    int
	// ContestSize is the declared contest size; when positive and not the
	// number of lineups simulated, a warning says so.
	ContestSize int
	// EntryFee and Payouts are the contest's fee and payout table.
	EntryFee float64
	Payouts  []schema.PayoutRange
	// Sims and Seed: simulation k draws from the stream (Seed, k).
	Sims int
	Seed uint64
	// Outcome is the outcome model of the players (calibration included).
	Outcome outcome.Config
	// Notes are warnings to report after the outcome model's (e.g. a
	// calibration that was named but not applied).
	Notes []string
}

// OutcomeConfig returns the outcome model configuration of a request's
// outcome fields, with the calibration cal applied when given (checked
// against calibrationID and the sport, as in outcome.SimulateWith), and the
// notes to report: calibrationID set without a calibration to apply.
func OutcomeConfig(sport slate.Sport, om schema.OutcomeModel, corr schema.CorrelationOptions, defaultSD []string,
	calibrationID string, cal *schema.CalibrateResult) (outcome.Config, []string, error) {
	cfg, err := outcome.ConfigOf(sport, om, corr, defaultSD)
	if err != nil {
		return outcome.Config{}, nil, err
	}
	if cfg.Calibration, err = outcome.CalibrationFor(sport, calibrationID, cal); err != nil {
		return outcome.Config{}, nil, err
	}
	var notes []string
	if calibrationID != "" && cal == nil {
		notes = append(notes, notAppliedWarning(calibrationID))
	}
	return cfg, notes, nil
}

// ProblemOf validates a contest-sim request with inline players and returns
// its typed problem, with opts.Calibration applied to the outcome model.
func ProblemOf(req *schema.ContestSimRequest, opts Options) (*Problem, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if len(req.Players) == 0 {
		return nil, validationError("players", schema.ReasonRequired, "contest: players must be inline (resolve slate_id first)")
	}
	site, sport, mode, err := req.Normalized()
	if err != nil {
		return nil, err
	}
	rules, err := slate.RulesFor(site, sport, mode)
	if err != nil {
		return nil, validationError("mode", schema.ReasonInvalid, "%v", err)
	}
	cfg, notes, err := OutcomeConfig(sport, req.OutcomeModel, req.Correlation, req.DefaultStdDev, req.CalibrationID, opts.Calibration)
	if err != nil {
		return nil, err
	}
	pr := &Problem{Rules: rules, Players: req.Players, Entries: req.Entries, FieldLineups: req.Field.Lineups,
		ContestSize: req.Contest.Size, EntryFee: req.Contest.EntryFee, Payouts: req.Contest.Payouts,
		Sims: req.SimCount(), Seed: req.Seed, Outcome: cfg, Notes: notes}
	if len(req.Field.Lineups) == 0 {
		pr.FieldSize = req.FieldCount()
	}
	return pr, nil
}

// PrepareProblem builds the contest of pr: entries and field resolved
// against the roster rules (the field generated when not given), the
// outcome model of the players they use and the payout table. It is
// deterministic.
func PrepareProblem(ctx context.Context, pr *Problem) (*Prepared, error) {
	if pr.Rules == nil || len(pr.Players) == 0 || pr.Sims < 1 {
		return nil, fmt.Errorf("contest: problem needs rules, players and sims (got %d players, %d sims)", len(pr.Players), pr.Sims)
	}
	rules, players := pr.Rules, pr.Players
	index := make(map[string]int, len(players))
	for i := range players {
		index[players[i].ID] = i
	}
	p := &Prepared{Sims: pr.Sims, Seed: pr.Seed, Workers: runtime.GOMAXPROCS(0), roster: rules.Size(),
		fee: pr.EntryFee, histLimit: histSize}

	// Lineups as slot-ordered player indices.
	entriesField := pr.EntriesField
	if entriesField == "" {
		entriesField = "entries"
	}
	entries, err := resolveLineups(entriesField, pr.Entries, index, players, rules)
	if err != nil {
		return nil, err
	}
	var field [][]int
	if len(pr.FieldLineups) > 0 {
		if field, err = resolveLineups("field.lineups", pr.FieldLineups, index, players, rules); err != nil {
			return nil, err
		}
	} else if n := pr.FieldSize; n > 0 {
		fieldSeed, _ := outcome.StreamSeeds(pr.Seed, math.MaxUint64)
		if field, err = GenerateField(ctx, rules, players, n, fieldSeed); err != nil {
			return nil, err
		}
		p.fieldGenerated = true
	}
	p.fieldSize = len(field)
	p.total = len(entries) + len(field)
	if p.total < 2 {
		return nil, validationError("field", schema.ReasonRequired, "the contest needs at least two lineups")
	}
	over := 0
	for _, lu := range entries {
		if lineupSalary(rules, players, lu) > rules.SalaryCap {
			over++
		}
	}
	if over > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d entries exceed the salary cap of %d", over, rules.SalaryCap))
	}
	if len(field) > 0 {
		sum, proj := 0, 0.0
		for _, lu := range field {
			sum += lineupSalary(rules, players, lu)
			for i, pi := range lu {
				proj += rules.SlotPoints(&players[pi], i)
			}
		}
		p.fieldMeanSalary = float64(sum) / float64(len(field))
		p.fieldMeanProjection = proj / float64(len(field))
	}
	if pr.ContestSize > 0 && pr.ContestSize != p.total {
		p.Warnings = append(p.Warnings, fmt.Sprintf("contest.size is %d but the contest simulated has %d lineups (%d entries + %d field)",
			pr.ContestSize, p.total, len(entries), len(field)))
	}

	// Multipliers and used players.
	multIndex := make([]int, rules.Size())
	for i, s := range rules.Slots {
		k := slices.Index(p.mults, s.PointsMultiplier)
		if k < 0 {
			k = len(p.mults)
			p.mults = append(p.mults, s.PointsMultiplier)
		}
		multIndex[i] = k
	}
	usedIdx := make(map[int]int)
	mark := func(ls [][]int) {
		for _, lu := range ls {
			for _, pi := range lu {
				if _, ok := usedIdx[pi]; !ok {
					usedIdx[pi] = 0
				}
			}
		}
	}
	mark(entries)
	mark(field)
	for pi := range usedIdx {
		p.used = append(p.used, pi)
	}
	slices.Sort(p.used)
	for k, pi := range p.used {
		usedIdx[pi] = k
	}
	nUsed := len(p.used)

	// Unique lineups with multiplicities.
	key := make([]byte, 4*p.roster)
	uniq := make(map[string]int32)
	buf := make([]uint16, p.roster)
	add := func(lu []int) int32 {
		for i, pi := range lu {
			buf[i] = uint16(multIndex[i]*nUsed + usedIdx[pi])
		}
		slices.Sort(buf)
		for i, v := range buf {
			binary.LittleEndian.PutUint16(key[2*i:], v)
		}
		u, ok := uniq[string(key)]
		if !ok {
			u = int32(len(p.weight))
			uniq[string(key)] = u
			p.lineups = append(p.lineups, buf...)
			p.weight = append(p.weight, 0)
		}
		p.weight[u]++
		return u
	}
	for _, lu := range field {
		add(lu)
	}
	fieldCount := slices.Clone(p.weight)
	p.entries = make([]int32, len(entries))
	p.entryDup = make([]int, len(entries))
	p.entryProj = make([]float64, len(entries))
	for e, lu := range entries {
		u := add(lu)
		p.entries[e] = u
		if int(u) < len(fieldCount) {
			p.entryDup[e] = int(fieldCount[u])
		}
		for i, pi := range lu {
			p.entryProj[e] += rules.SlotPoints(&players[pi], i)
		}
	}
	p.fieldWeight = make([]int32, len(p.weight))
	copy(p.fieldWeight, fieldCount)

	// Outcome model of the used players.
	full, err := outcome.NewModel(ctx, players, pr.Outcome)
	if err != nil {
		return nil, err
	}
	p.Warnings = append(p.Warnings, full.Warnings...)
	if p.model, err = full.Subset(ctx, p.used); err != nil {
		return nil, fmt.Errorf("contest: outcome model of the used players: %w", err)
	}
	p.Warnings = append(p.Warnings, pr.Notes...)

	// Payouts: prize per place, prefix sums in micro-units.
	p.prefix = make([]int64, p.total+1)
	perPlace := make([]int64, p.total+1)
	beyond := false
	for _, r := range pr.Payouts {
		prize := int64(math.Round(r.Prize * moneyScale))
		for pl := r.Places[0]; pl <= r.Places[1]; pl++ {
			if pl > p.total {
				beyond = true
				break
			}
			perPlace[pl] = prize
			if prize > 0 {
				p.paid = max(p.paid, pl)
			}
		}
	}
	if beyond {
		p.Warnings = append(p.Warnings, fmt.Sprintf("the payout table pays places beyond the %d lineups simulated; those prizes are never won", p.total))
	}
	for k := 1; k <= p.total; k++ {
		p.prefix[k] = p.prefix[k-1] + perPlace[k]
	}
	p.top1Cut = max(1, p.total/100)
	p.top10Cut = max(1, p.total/10)
	return p, nil
}

// notAppliedWarning is the warning of a run whose request names
// calibration_id when no calibration was given to apply (the caller
// resolves calibrations: the worker from its calibration cache).
func notAppliedWarning(ref string) string {
	return "calibration_id " + ref + " was not applied: this simulation was given no calibration " +
		"(calibrations are resolved by the worker from its calibration cache)"
}

func lineupSalary(rules *slate.Rules, players []slate.Player, lu []int) int {
	s := 0
	for i, pi := range lu {
		s += rules.SlotSalary(&players[pi], i)
	}
	return s
}

// resolveLineups maps lineups of ids to slot-ordered player indices. With
// multiplier slots (showdown) ids are in slot order; otherwise players are
// assigned to slots by eligibility (any order).
func resolveLineups(name string, lineups [][]string, index map[string]int, players []slate.Player, rules *slate.Rules) ([][]int, error) {
	positional := false
	for _, s := range rules.Slots {
		if s.PointsMultiplier != 1 || s.SalaryMultiplier != 1 {
			positional = true
		}
	}
	var errs []schema.FieldError
	out := make([][]int, len(lineups))
	ids := make([]int, rules.Size())
	for li, lu := range lineups {
		f := fmt.Sprintf("%s[%d]", name, li)
		if len(lu) != rules.Size() {
			errs = append(errs, schema.FieldError{Field: f, Reason: schema.ReasonInvalid, Message: fmt.Sprintf("%s has %d players, the roster has %d", f, len(lu), rules.Size())})
			continue
		}
		ok := true
		for j, id := range lu {
			pi, found := index[id]
			if !found {
				errs = append(errs, schema.FieldError{Field: fmt.Sprintf("%s[%d]", f, j), Reason: schema.ReasonNotFound, Message: fmt.Sprintf("%s: unknown player %q", f, id)})
				ok = false
				break
			}
			ids[j] = pi
		}
		if !ok {
			continue
		}
		var slotted []int
		if positional {
			slotted = slices.Clone(ids)
			for i, pi := range slotted {
				if !rules.Slots[i].Accepts(players[pi].Positions) {
					slotted = nil
					break
				}
			}
		} else {
			slotted = assignSlots(rules, players, ids)
		}
		if slotted == nil {
			errs = append(errs, schema.FieldError{Field: f, Reason: schema.ReasonInvalid, Message: fmt.Sprintf("%s does not fit the %s roster slots", f, rules.Mode)})
			continue
		}
		out[li] = slotted
		if len(errs) >= 20 {
			break
		}
	}
	if len(errs) > 0 {
		return nil, &schema.ValidationError{Errors: errs}
	}
	return out, nil
}

// assignSlots finds a slot for each player (bipartite matching by augmenting
// paths) and returns the players in slot order, or nil.
func assignSlots(rules *slate.Rules, players []slate.Player, ids []int) []int {
	n := len(ids)
	slotOf := make([]int, n) // player k -> slot
	owner := make([]int, n)  // slot -> player k
	for i := range owner {
		owner[i] = -1
	}
	var try func(k int, seen []bool) bool
	try = func(k int, seen []bool) bool {
		for s := range n {
			if seen[s] || !rules.Slots[s].Accepts(players[ids[k]].Positions) {
				continue
			}
			seen[s] = true
			if owner[s] < 0 || try(owner[s], seen) {
				owner[s], slotOf[k] = k, s
				return true
			}
		}
		return false
	}
	for k := range n {
		if !try(k, make([]bool, n)) {
			return nil
		}
	}
	out := make([]int, n)
	for s, k := range owner {
		out[s] = ids[k]
	}
	_ = slotOf
	return out
}
