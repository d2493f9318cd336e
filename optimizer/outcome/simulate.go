package outcome

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// Progress receives the number of simulations done out of total. Calls are
// serialised (never concurrent).
type Progress func(done, total int)

// OptimalFunc returns the indices (into the request's players) of the
// optimal lineup for one simulated outcome, points[i] being player i's
// simulated points. It is the hook through which the lineup optimizer fills
// the sim-optimal rates; it is called from several goroutines at once and
// must be safe for concurrent use.
type OptimalFunc func(ctx context.Context, points []float64) ([]int, error)

// Histogram of the latent z per player, for the percentiles: bins of width
// 12/histBins over [-6, 6] (out-of-range values in the end bins). The bin
// width (0.01) is far below the Monte Carlo error of a percentile.
const (
	histBins = 1200
	histLo   = -6.0
	histHi   = 6.0
	// chunkSims is the number of simulations per work unit.
	chunkSims = 256
)

// ConfigOf returns the outcome configuration of a simulate request.
func ConfigOf(sport slate.Sport, om schema.OutcomeModel, corr schema.CorrelationOptions, defaultSD []string) (Config, error) {
	dist, err := om.NormalizedDistribution()
	if err != nil {
		return Config{}, err
	}
	pf, pc := om.Percentiles()
	return Config{Sport: sport, Distribution: dist, FloorPct: pf, CeilingPct: pc, Correlation: corr, DefaultStdDev: defaultSD}, nil
}

// Simulate runs a simulate request with inline players (resolve slate_id
// before calling). Sim-optimal rates are omitted (see SimulateWithOptimal).
func Simulate(ctx context.Context, req *schema.SimulateRequest, progress Progress) (*schema.SimulateResult, error) {
	return SimulateWithOptimal(ctx, req, progress, nil)
}

// SimulateWithOptimal is Simulate with the lineup optimizer hook: when
// req.SimOptimal is set and optimal is not nil, optimal is called on every
// simulated outcome and each player's share of optimal lineups is reported.
func SimulateWithOptimal(ctx context.Context, req *schema.SimulateRequest, progress Progress, optimal OptimalFunc) (*schema.SimulateResult, error) {
	return simulate(ctx, req, progress, Options{Optimal: optimal})
}

func simulate(ctx context.Context, req *schema.SimulateRequest, progress Progress, opts Options) (*schema.SimulateResult, error) {
	start := time.Now()
	optimal := opts.Optimal
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if len(req.Players) == 0 {
		return nil, errors.New("outcome: players must be inline (resolve slate_id first)")
	}
	_, sport, _, err := req.Normalized()
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigOf(sport, req.OutcomeModel, req.Correlation, req.DefaultStdDev)
	if err != nil {
		return nil, err
	}
	if cfg.Calibration, err = CalibrationFor(sport, req.CalibrationID, opts.Calibration); err != nil {
		return nil, err
	}
	model, err := NewModel(ctx, req.Players, cfg)
	if err != nil {
		return nil, err
	}
	var warnings []string
	warnings = append(warnings, model.Warnings...)
	if req.CalibrationID != "" && opts.Calibration == nil {
		warnings = append(warnings, "calibration_id "+req.CalibrationID+" was not applied: calibrated parameters are applied by the caller before simulation")
	}
	if req.SimOptimal && optimal == nil {
		warnings = append(warnings, "sim_optimal needs the lineup optimizer; rates omitted")
	}
	if !req.SimOptimal {
		optimal = nil
	}
	sims := req.SimCount()
	st, err := Run(ctx, model, req.Seed, sims, runtime.GOMAXPROCS(0), progress, optimal)
	if err != nil {
		return nil, err
	}
	res := &schema.SimulateResult{Sims: sims, Seed: req.Seed, Warnings: warnings}
	res.Players = make([]schema.PlayerOutcome, len(req.Players))
	for i := range req.Players {
		p := &req.Players[i]
		mg := &model.Marginals[i]
		po := schema.PlayerOutcome{ID: p.ID, Name: p.Name, Distribution: mg.Kind.String(), Projection: p.Projection,
			Mean: st.Mean[i], StdDev: st.StdDev[i]}
		po.P10, po.P50, po.P90, po.P99 = st.Quantile(i, 0.10), st.Quantile(i, 0.50), st.Quantile(i, 0.90), st.Quantile(i, 0.99)
		if st.Optimal != nil {
			r := float64(st.Optimal[i]) / float64(sims)
			po.SimOptimalRate = &r
		}
		res.Players[i] = po
	}
	res.Stats = schema.SimulateStats{SimMS: time.Since(start).Milliseconds(), CorrelatedBlocks: model.Blocks(),
		Repaired: model.Repaired, MaxRepair: model.MaxRepair}
	return res, nil
}

// Stats are the per-player summaries of a run.
type Stats struct {
	Sims         int
	Mean, StdDev []float64
	// Optimal counts the sims in which each player was optimal (nil when
	// no optimizer was given).
	Optimal []int64
	hist    []uint32 // players × histBins counts of the latent z
	model   *Model
}

// Quantile returns player i's sample q-quantile (from the latent histogram,
// interpolated within a bin, mapped through the player's marginal).
func (s *Stats) Quantile(i int, q float64) float64 {
	mg := &s.model.Marginals[i]
	if mg.Kind == Constant {
		return mg.Mu
	}
	h := s.hist[i*histBins : (i+1)*histBins]
	target := q * float64(s.Sims)
	cum := 0.0
	w := (histHi - histLo) / histBins
	for b, c := range h {
		if c == 0 {
			continue
		}
		if cum+float64(c) >= target {
			z := histLo + (float64(b)+(target-cum)/float64(c))*w
			return mg.At(z)
		}
		cum += float64(c)
	}
	return mg.At(histHi)
}

type chunkAcc struct {
	chunk      int
	sum, sumsq []float64
}

// Run draws sims outcomes of model with the given seed on workers
// goroutines and summarises them per player. The result does not depend on
// workers: draws depend only on (seed, sim), sums are reduced in chunk order
// and counts are integers.
func Run(ctx context.Context, model *Model, seed uint64, sims, workers int, progress Progress, optimal OptimalFunc) (*Stats, error) {
	n := model.Size()
	nChunks := (sims + chunkSims - 1) / chunkSims
	workers = max(1, min(workers, nChunks))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var next atomic.Int64
	results := make(chan *chunkAcc, workers)
	pool := sync.Pool{New: func() any { return &chunkAcc{sum: make([]float64, n), sumsq: make([]float64, n)} }}
	hists := make([][]uint32, workers)
	opts := make([][]int64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		hists[w] = make([]uint32, n*histBins)
		if optimal != nil {
			opts[w] = make([]int64, n)
		}
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := model.NewSampler(seed)
			x, z := make([]float64, n), make([]float64, n)
			center := make([]float64, n) // sums are of x - mean for accuracy
			for i := range center {
				center[i] = model.Marginals[i].Mean()
			}
			hist := hists[w]
			const scale = histBins / (histHi - histLo)
			for {
				c := int(next.Add(1) - 1)
				if c >= nChunks || ctx.Err() != nil {
					return
				}
				acc := pool.Get().(*chunkAcc)
				acc.chunk = c
				clear(acc.sum)
				clear(acc.sumsq)
				for sim := c * chunkSims; sim < min(sims, (c+1)*chunkSims); sim++ {
					s.Sample(uint64(sim), x, z)
					for i, v := range x {
						d := v - center[i]
						acc.sum[i] += d
						acc.sumsq[i] += d * d
						b := int((z[i] - histLo) * scale)
						b = min(max(b, 0), histBins-1)
						hist[i*histBins+b]++
					}
					if optimal != nil {
						idx, err := optimal(ctx, x)
						if err != nil {
							errs[w] = fmt.Errorf("outcome: sim %d optimal lineup: %w", sim, err)
							cancel()
							return
						}
						for _, i := range idx {
							opts[w][i]++
						}
					}
				}
				select {
				case results <- acc:
				case <-ctx.Done():
					return
				}
			}
		}(w)
	}
	go func() { wg.Wait(); close(results) }()

	st := &Stats{Sims: sims, Mean: make([]float64, n), StdDev: make([]float64, n), model: model}
	sum, sumsq := make([]float64, n), make([]float64, n)
	pending := map[int]*chunkAcc{}
	nextChunk := 0
	for acc := range results {
		pending[acc.chunk] = acc
		for {
			a, ok := pending[nextChunk]
			if !ok {
				break
			}
			delete(pending, nextChunk)
			for i := range sum {
				sum[i] += a.sum[i]
				sumsq[i] += a.sumsq[i]
			}
			pool.Put(a)
			nextChunk++
			if progress != nil {
				progress(min(sims, nextChunk*chunkSims), sims)
			}
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil || nextChunk < nChunks {
		if err == nil {
			err = context.Canceled
		}
		return nil, err
	}
	for i := range n {
		dm := sum[i] / float64(sims)
		st.Mean[i] = model.Marginals[i].Mean() + dm
		if model.Marginals[i].Kind == Constant {
			st.Mean[i], st.StdDev[i] = model.Marginals[i].Mu, 0
			continue
		}
		v := (sumsq[i] - float64(sims)*dm*dm) / float64(max(sims-1, 1))
		st.StdDev[i] = math.Sqrt(max(v, 0))
	}
	st.hist = hists[0]
	for w := 1; w < workers; w++ {
		for k, c := range hists[w] {
			st.hist[k] += c
		}
	}
	if optimal != nil {
		st.Optimal = make([]int64, n)
		for w := range workers {
			for i, c := range opts[w] {
				st.Optimal[i] += c
			}
		}
	}
	return st, nil
}
