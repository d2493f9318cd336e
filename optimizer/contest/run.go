package contest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/outcome"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// Progress receives the number of simulations done out of total. Calls are
// serialised (never concurrent).
type Progress func(done, total int)

// blockSims is the number of sims a goroutine takes at a time.
const blockSims = 32

// Partial holds the integer sums of a range of sims [SimStart, SimEnd).
// Partials of disjoint ranges covering all sims merge into exactly the
// result of one run. It is plain data (JSON-encodable) for fan-out.
type Partial struct {
	SimStart int `json:"sim_start"`
	SimEnd   int `json:"sim_end"`
	// Per entry: payout (millionths), win/top-1%/top-10% credit (1/2³²
	// units), cashes (sims), and twice the tie group's middle place summed.
	// An entry's payout sum is PayoutHi[e]·2⁶² + Payout[e] with Payout[e]
	// kept below 2⁶² (see carryPayout): one sim pays at most 1e15
	// millionths (schema.MaxPrize), but a million sims of it do not fit in
	// an int64. PayoutHi may be absent (all zero).
	Payout   []int64 `json:"payout"`
	PayoutHi []int64 `json:"payout_hi,omitempty"`
	Win      []int64 `json:"win"`
	Top1     []int64 `json:"top1"`
	Top10    []int64 `json:"top10"`
	Cash     []int64 `json:"cash"`
	Rank2    []int64 `json:"rank2"`
	// Totals is the entries' total payout of each sim (millionths).
	Totals []int64 `json:"totals"`
}

// payoutShift splits payout sums into a high word and a low word below
// 2^payoutShift. Each addition to a low word is below 2⁶² (one sim's payout,
// at most 1e15 millionths, or another normalized low word), so the low word
// stays below 2⁶³ until carryPayout normalizes it again: no overflow. The high
// words count units of 2⁶² millionths (4.6e12): at most about 217 under the
// schema bounds (1e6 sims × 1e15).
const payoutShift = 62

// carryPayout moves what exceeds the low word of entry e's payout sum into
// its high word.
func (a *Partial) carryPayout(e int) {
	if lo := a.Payout[e]; lo>>payoutShift != 0 {
		if a.PayoutHi == nil {
			a.PayoutHi = make([]int64, len(a.Payout))
		}
		a.PayoutHi[e] += lo >> payoutShift
		a.Payout[e] = lo & (1<<payoutShift - 1)
	}
}

// payoutSum returns entry e's payout sum (millionths) as a float64: exactly
// float64(Payout[e]) when the high word is 0.
func (a *Partial) payoutSum(e int) float64 {
	if a.PayoutHi == nil || a.PayoutHi[e] == 0 {
		return float64(a.Payout[e])
	}
	return float64(a.PayoutHi[e])*(1<<payoutShift) + float64(a.Payout[e])
}

func newPartial(entries, start, end int) Partial {
	return Partial{SimStart: start, SimEnd: end, Payout: make([]int64, entries), Win: make([]int64, entries),
		Top1: make([]int64, entries), Top10: make([]int64, entries), Cash: make([]int64, entries),
		Rank2: make([]int64, entries), Totals: make([]int64, end-start)}
}

func (a *Partial) add(b *Partial) {
	for e := range a.Payout {
		a.Payout[e] += b.Payout[e] & (1<<payoutShift - 1)
		a.carryPayout(e)
		if hi := b.Payout[e]>>payoutShift + b.hi(e); hi != 0 {
			if a.PayoutHi == nil {
				a.PayoutHi = make([]int64, len(a.Payout))
			}
			a.PayoutHi[e] += hi
		}
		a.Win[e] += b.Win[e]
		a.Top1[e] += b.Top1[e]
		a.Top10[e] += b.Top10[e]
		a.Cash[e] += b.Cash[e]
		a.Rank2[e] += b.Rank2[e]
	}
}

// hi returns the high word of entry e's payout sum (0 when absent).
func (a *Partial) hi(e int) int64 {
	if a.PayoutHi == nil {
		return 0
	}
	return a.PayoutHi[e]
}

// Simulate runs a contest-sim request (inline players) on this machine,
// without a calibration (see SimulateWith).
func Simulate(ctx context.Context, req *schema.ContestSimRequest, progress Progress) (*schema.ContestSimResult, error) {
	return SimulateWith(ctx, req, progress, Options{})
}

// SimulateWith is Simulate with the optional inputs in opts (the
// calibration to apply, see PrepareWith).
func SimulateWith(ctx context.Context, req *schema.ContestSimRequest, progress Progress, opts Options) (*schema.ContestSimResult, error) {
	start := time.Now()
	p, err := PrepareWith(ctx, req, opts)
	if err != nil {
		return nil, err
	}
	part, err := RunChunkWithProgress(ctx, p, 0, p.Sims, progress)
	if err != nil {
		return nil, err
	}
	res, err := Merge(p, []Partial{part})
	if err != nil {
		return nil, err
	}
	res.Stats.SimMS = time.Since(start).Milliseconds()
	return res, nil
}

// RunChunk simulates sims [simStart, simEnd) of the prepared contest.
func RunChunk(ctx context.Context, p *Prepared, simStart, simEnd int) (Partial, error) {
	return RunChunkWithProgress(ctx, p, simStart, simEnd, nil)
}

// RunChunkWithProgress is RunChunk reporting progress within the chunk.
func RunChunkWithProgress(ctx context.Context, p *Prepared, simStart, simEnd int, progress Progress) (Partial, error) {
	if simStart < 0 || simEnd > p.Sims || simStart >= simEnd {
		return Partial{}, fmt.Errorf("contest: sim range [%d, %d) outside [0, %d)", simStart, simEnd, p.Sims)
	}
	n := simEnd - simStart
	nBlocks := (n + blockSims - 1) / blockSims
	workers := max(1, min(p.Workers, nBlocks))
	out := newPartial(len(p.entries), simStart, simEnd)
	parts := make([]Partial, workers)
	var next, done atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		parts[w] = newPartial(len(p.entries), 0, 0)
		wg.Add(1)
		go func(acc *Partial) {
			defer wg.Done()
			s := newSimState(p)
			for {
				b := int(next.Add(1) - 1)
				if b >= nBlocks || ctx.Err() != nil {
					return
				}
				for sim := simStart + b*blockSims; sim < min(simEnd, simStart+(b+1)*blockSims); sim++ {
					out.Totals[sim-simStart] = s.run(uint64(sim), acc)
				}
				d := done.Add(int64(min(blockSims, n-b*blockSims)))
				if progress != nil {
					mu.Lock()
					progress(int(d), n)
					mu.Unlock()
				}
			}
		}(&parts[w])
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Partial{}, err
	}
	for w := range parts {
		out.add(&parts[w])
	}
	return out, nil
}

// simState is one goroutine's scratch space.
type simState struct {
	p       *Prepared
	sampler *outcome.Sampler
	x, z    []float64
	vec     *[1 << 16]int32       // points of each (multiplier, player) in hundredths
	scores  []int32               // per unique lineup
	fine    *[histSize]int32      // histogram of the scores lo, lo+1, ...
	coarse  *[histSize / 64]int32 // the same per 64 scores
	suffix  *[histSize/64 + 1]int32
	pairs   []scoreWeight
}

type scoreWeight struct{ s, w int32 }

func newSimState(p *Prepared) *simState {
	nUsed := len(p.used)
	return &simState{p: p, sampler: p.model.NewSampler(p.Seed), x: make([]float64, nUsed), z: make([]float64, nUsed),
		vec: new([1 << 16]int32), scores: make([]int32, len(p.weight)),
		fine: new([histSize]int32), coarse: new([histSize / 64]int32), suffix: new([histSize/64 + 1]int32)}
}

// run simulates one sim, adds its results to acc and returns the entries'
// total payout.
func (s *simState) run(sim uint64, acc *Partial) int64 {
	p := s.p
	s.sampler.Sample(sim, s.x, s.z)
	nUsed := len(p.used)
	for m, mult := range p.mults {
		v := s.vec[m*nUsed : (m+1)*nUsed]
		for i, x := range s.x {
			v[i] = int32(math.Round(x * mult * pointScale))
		}
	}
	scoreLineups(s.vec, p.lineups, p.roster, s.scores)
	lo := int32(math.MaxInt32)
	for _, u := range p.entries {
		lo = min(lo, s.scores[u])
	}
	hi := lo
	for _, sc := range s.scores {
		hi = max(hi, sc)
	}
	r := int(hi) - int(lo) + 1
	if r <= p.histLimit {
		return s.rankHistogram(lo, r, acc)
	}
	return s.rankSorted(lo, acc)
}

// scoreLineups sums each lineup's score indices into scores. vec is a full
// 2^16 table so that uint16 indices need no bounds checks.
func scoreLineups(vec *[1 << 16]int32, lineups []uint16, roster int, scores []int32) {
	switch roster {
	case 9:
		lineups = lineups[:len(scores)*9]
		for u := range scores {
			l := lineups[u*9 : u*9+9 : u*9+9]
			scores[u] = vec[l[0]] + vec[l[1]] + vec[l[2]] + vec[l[3]] + vec[l[4]] + vec[l[5]] + vec[l[6]] + vec[l[7]] + vec[l[8]]
		}
	case 8:
		lineups = lineups[:len(scores)*8]
		for u := range scores {
			l := lineups[u*8 : u*8+8 : u*8+8]
			scores[u] = vec[l[0]] + vec[l[1]] + vec[l[2]] + vec[l[3]] + vec[l[4]] + vec[l[5]] + vec[l[6]] + vec[l[7]]
		}
	case 6:
		lineups = lineups[:len(scores)*6]
		for u := range scores {
			l := lineups[u*6 : u*6+6 : u*6+6]
			scores[u] = vec[l[0]] + vec[l[1]] + vec[l[2]] + vec[l[3]] + vec[l[4]] + vec[l[5]]
		}
	default:
		for u := range scores {
			var t int32
			for _, i := range lineups[u*roster : (u+1)*roster] {
				t += vec[i]
			}
			scores[u] = t
		}
	}
}

// credit returns the fixed-point share of the places g+1..g+t that lie
// within the first cut places.
func credit(g, t, cut int) int64 {
	in := min(max(cut-g, 0), t)
	if in == 0 {
		return 0
	}
	return (int64(in)*creditScale + int64(t)/2) / int64(t)
}

// settle pays an entry whose tie group has g lineups above and t lineups
// (itself included) at its score.
func (s *simState) settle(e, g, t int, acc *Partial) int64 {
	p := s.p
	var pay int64
	if g < p.paid {
		num := p.prefix[min(g+t, p.total)] - p.prefix[g]
		pay = (num + int64(t)/2) / int64(t)
	}
	acc.Payout[e] += pay
	acc.carryPayout(e)
	if pay > 0 {
		acc.Cash[e]++
	}
	if g == 0 {
		acc.Win[e] += (creditScale + int64(t)/2) / int64(t)
	}
	acc.Top1[e] += credit(g, t, p.top1Cut)
	acc.Top10[e] += credit(g, t, p.top10Cut)
	acc.Rank2[e] += int64(2*g + t + 1)
	return pay
}

// histSize is the widest score range (hundredths: 655 points between the
// lowest entry and the best lineup) ranked by histogram; wider ranges (rare)
// are sorted.
const histSize = 1 << 16

// rankHistogram ranks the entries from a two-level histogram of the scores
// at or above the lowest entry score lo (range r).
func (s *simState) rankHistogram(lo int32, r int, acc *Partial) int64 {
	p := s.p
	fine, coarse := s.fine, s.coarse
	nc := (r + 63) >> 6 // coarse buckets covering [0, r)
	scores := s.scores
	w := p.weight[:len(scores)]
	for u, sc := range scores {
		if off := uint32(sc - lo); off < uint32(r) {
			fine[uint16(off)] += w[u]
			coarse[uint16(off)>>6] += w[u]
		}
	}
	suffix := s.suffix
	suffix[nc] = 0
	for b := nc - 1; b >= 0; b-- {
		suffix[b] = suffix[b+1] + coarse[b]
	}
	var total int64
	for e, u := range p.entries {
		off := int(scores[u] - lo)
		b := off >> 6
		g := int(suffix[b+1])
		for _, c := range fine[off+1 : min((b+1)<<6, r)] {
			g += int(c)
		}
		total += s.settle(e, g, int(fine[off]), acc)
	}
	if r <= 4*len(scores) {
		clear(fine[:r])
	} else {
		for _, sc := range scores {
			if off := uint32(sc - lo); off < uint32(r) {
				fine[uint16(off)] = 0
			}
		}
	}
	clear(coarse[:nc])
	return total
}

// rankSorted ranks the entries by sorting the scores at or above lo (for
// score ranges too wide for the histogram).
func (s *simState) rankSorted(lo int32, acc *Partial) int64 {
	p := s.p
	s.pairs = s.pairs[:0]
	for u, sc := range s.scores {
		if sc >= lo {
			s.pairs = append(s.pairs, scoreWeight{sc, p.weight[u]})
		}
	}
	slices.SortFunc(s.pairs, func(a, b scoreWeight) int { return int(b.s) - int(a.s) })
	// cum[k] = weight of pairs[:k]
	cum := make([]int, len(s.pairs)+1)
	for k, pw := range s.pairs {
		cum[k+1] = cum[k] + int(pw.w)
	}
	var total int64
	for e, u := range p.entries {
		sc := s.scores[u]
		first, _ := slices.BinarySearchFunc(s.pairs, sc, func(a scoreWeight, t int32) int { return int(t) - int(a.s) })
		last := first
		for last < len(s.pairs) && s.pairs[last].s == sc {
			last++
		}
		total += s.settle(e, cum[first], cum[last]-cum[first], acc)
	}
	return total
}

// Merge combines partials covering [0, p.Sims) exactly once into the
// result document. The result equals a single run's for the same request.
func Merge(p *Prepared, partials []Partial) (*schema.ContestSimResult, error) {
	if len(partials) == 0 {
		return nil, errors.New("contest: no partials to merge")
	}
	ps := slices.Clone(partials)
	slices.SortFunc(ps, func(a, b Partial) int { return a.SimStart - b.SimStart })
	sum := newPartial(len(p.entries), 0, 0)
	totals := make([]int64, 0, p.Sims)
	at := 0
	for i := range ps {
		q := &ps[i]
		if q.SimStart != at || q.SimEnd <= q.SimStart || len(q.Totals) != q.SimEnd-q.SimStart || len(q.Payout) != len(p.entries) {
			return nil, fmt.Errorf("contest: partials do not tile [0, %d): got [%d, %d) at %d", p.Sims, q.SimStart, q.SimEnd, at)
		}
		sum.add(q)
		totals = append(totals, q.Totals...)
		at = q.SimEnd
	}
	if at != p.Sims {
		return nil, fmt.Errorf("contest: partials cover [0, %d) of [0, %d)", at, p.Sims)
	}
	sims := float64(p.Sims)
	res := &schema.ContestSimResult{Sims: p.Sims, Warnings: p.Warnings, Entries: make([]schema.EntryResult, len(p.entries))}
	// The entries' payouts summed over entries and sims: wide words too
	// (up to MaxContestSims × the prize pool, 1e22 millionths).
	total := Partial{Payout: make([]int64, 1), PayoutHi: make([]int64, 1)}
	for e := range p.entries {
		mean := sum.payoutSum(e) / moneyScale / sims
		total.Payout[0] += sum.Payout[e] // both below 2⁶² (normalized by add)
		total.PayoutHi[0] += sum.hi(e)
		total.carryPayout(0)
		res.Entries[e] = schema.EntryResult{
			Index:           e,
			MeanPayout:      mean,
			ROI:             (mean - p.fee) / p.fee,
			WinRate:         float64(sum.Win[e]) / creditScale / sims,
			Top1Rate:        float64(sum.Top1[e]) / creditScale / sims,
			Top10Rate:       float64(sum.Top10[e]) / creditScale / sims,
			CashRate:        float64(sum.Cash[e]) / sims,
			MeanRank:        float64(sum.Rank2[e]) / 2 / sims,
			FieldDuplicates: p.entryDup[e],
			Projection:      p.entryProj[e],
		}
	}
	fees := p.fee * float64(len(p.entries))
	mean := total.payoutSum(0) / moneyScale / sims
	slices.Sort(totals)
	res.Portfolio = schema.PortfolioResult{MeanPayout: mean, ROI: (mean - fees) / fees,
		P05: quantile(totals, 0.05) / moneyScale, P95: quantile(totals, 0.95) / moneyScale}
	res.Stats = schema.ContestSimStats{FieldSize: p.fieldSize, FieldGenerated: p.fieldGenerated,
		UniqueLineups: len(p.weight), FieldMeanSalary: p.fieldMeanSalary, FieldMeanProjection: p.fieldMeanProjection}
	return res, nil
}

// quantile is the linearly interpolated q-quantile of sorted values
// (Hyndman-Fan type 7, as numpy's default).
func quantile(sorted []int64, q float64) float64 {
	if len(sorted) == 1 {
		return float64(sorted[0])
	}
	h := q * float64(len(sorted)-1)
	i := int(h)
	if i+1 >= len(sorted) {
		return float64(sorted[len(sorted)-1])
	}
	return float64(sorted[i]) + (h-float64(i))*float64(sorted[i+1]-sorted[i])
}
