package contest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Standing is one entry's position against the field alone in one sim:
// its score and how many field lineups scored strictly more (Above) and
// exactly the same (Tied). Other entries are not counted, so a caller can
// rank any subset of the entries together with the field (portfolio
// selection): with a set S of entries, an entry's tie group starts after
// Above + (entries of S scoring more) lineups.
type Standing struct {
	// Score is the entry's points in hundredths.
	Score int32
	Above int32
	Tied  int32
}

// Observe simulates sims [simStart, simEnd) of the prepared contest and
// calls visit once per sim with every entry's standing against the field
// alone (entry order). visit is called from several goroutines at once,
// each call with its own slice, valid only during the call. Sim k uses the
// same random stream as in RunChunk.
func Observe(ctx context.Context, p *Prepared, simStart, simEnd int, visit func(sim int, st []Standing)) error {
	if simStart < 0 || simEnd > p.Sims || simStart >= simEnd {
		return fmt.Errorf("contest: sim range [%d, %d) outside [0, %d)", simStart, simEnd, p.Sims)
	}
	n := simEnd - simStart
	nBlocks := (n + blockSims - 1) / blockSims
	workers := max(1, min(p.Workers, nBlocks))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSimState(p)
			st := make([]Standing, len(p.entries))
			for {
				b := int(next.Add(1) - 1)
				if b >= nBlocks || ctx.Err() != nil {
					return
				}
				for sim := simStart + b*blockSims; sim < min(simEnd, simStart+(b+1)*blockSims); sim++ {
					s.observe(uint64(sim), st)
					visit(sim, st)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// observe scores sim and fills st with the entries' field-only standings.
func (s *simState) observe(sim uint64, st []Standing) {
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
	if r > p.histLimit {
		s.observeSorted(lo, st)
		return
	}
	s.observeHistogram(lo, r, st)
}

// observeHistogram fills st from a two-level histogram of the field scores
// at or above the lowest entry score lo (range r).
func (s *simState) observeHistogram(lo int32, r int, st []Standing) {
	p := s.p
	fine, coarse := s.fine, s.coarse
	nc := (r + 63) >> 6
	scores := s.scores
	w := p.fieldWeight[:len(scores)]
	for u, sc := range scores {
		if off := uint32(sc - lo); off < uint32(r) && w[u] != 0 {
			fine[uint16(off)] += w[u]
			coarse[uint16(off)>>6] += w[u]
		}
	}
	suffix := s.suffix
	suffix[nc] = 0
	for b := nc - 1; b >= 0; b-- {
		suffix[b] = suffix[b+1] + coarse[b]
	}
	for e, u := range p.entries {
		off := int(scores[u] - lo)
		b := off >> 6
		g := suffix[b+1]
		for _, c := range fine[off+1 : min((b+1)<<6, r)] {
			g += c
		}
		st[e] = Standing{Score: scores[u], Above: g, Tied: fine[off]}
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
}

// observeSorted is observe's ranking for score ranges too wide for the
// histogram.
func (s *simState) observeSorted(lo int32, st []Standing) {
	p := s.p
	s.pairs = s.pairs[:0]
	for u, sc := range s.scores {
		if sc >= lo && p.fieldWeight[u] != 0 {
			s.pairs = append(s.pairs, scoreWeight{sc, p.fieldWeight[u]})
		}
	}
	slices.SortFunc(s.pairs, func(a, b scoreWeight) int { return int(b.s) - int(a.s) })
	cum := make([]int32, len(s.pairs)+1)
	for k, pw := range s.pairs {
		cum[k+1] = cum[k] + pw.w
	}
	for e, u := range p.entries {
		sc := s.scores[u]
		first, _ := slices.BinarySearchFunc(s.pairs, sc, func(a scoreWeight, t int32) int { return int(t) - int(a.s) })
		last := first
		for last < len(s.pairs) && s.pairs[last].s == sc {
			last++
		}
		st[e] = Standing{Score: sc, Above: cum[first], Tied: cum[last] - cum[first]}
	}
}
