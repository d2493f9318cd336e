package contest

import (
	"context"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
)

// TestObservePathsAgree checks the histogram and sorting standings against
// a brute-force count over random scores, entries excluded from the field.
func TestObservePathsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, width := range []int{1, 7, 64, 65, 1000, histSize} {
		const lineups, entries = 2000, 30
		p := &Prepared{histLimit: histSize, fieldWeight: make([]int32, lineups)}
		for u := range p.fieldWeight {
			if u%5 != 0 { // every 5th lineup is an entry only
				p.fieldWeight[u] = 1 + int32(rng.IntN(3))
			}
		}
		for e := range entries {
			p.entries = append(p.entries, int32(e*5))
		}
		mk := func() *simState {
			return &simState{p: p, scores: make([]int32, lineups), fine: new([histSize]int32),
				coarse: new([histSize / 64]int32), suffix: new([histSize/64 + 1]int32)}
		}
		a, b := mk(), mk()
		for u := range a.scores {
			a.scores[u] = int32(1000 + rng.IntN(width))
		}
		a.scores[p.entries[0]] = 1000
		a.scores[lineups-1] = int32(1000 + width - 1)
		copy(b.scores, a.scores)
		sa, sb := make([]Standing, entries), make([]Standing, entries)
		a.observeHistogram(1000, width, sa)
		b.observeSorted(1000, sb)
		want := make([]Standing, entries)
		for e, u := range p.entries {
			want[e].Score = a.scores[u]
			for v, sc := range a.scores {
				switch {
				case sc > a.scores[u]:
					want[e].Above += p.fieldWeight[v]
				case sc == a.scores[u]:
					want[e].Tied += p.fieldWeight[v]
				}
			}
		}
		if !reflect.DeepEqual(sa, want) || !reflect.DeepEqual(sb, want) {
			t.Fatalf("width %d: standings differ from the brute force", width)
		}
		for _, c := range a.fine {
			if c != 0 {
				t.Fatalf("width %d: histogram not cleared", width)
			}
		}
	}
}

// TestObserveMatchesRunChunk: with a single entry, the payout computed from
// its standings equals RunChunk's.
func TestObserveMatchesRunChunk(t *testing.T) {
	req := syntheticRequest(3, 1, 500, 400, 5)
	p, err := Prepare(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	part, err := RunChunk(context.Background(), p, 0, p.Sims)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var pay int64
	err = Observe(context.Background(), p, 0, p.Sims, func(sim int, st []Standing) {
		g, t := int(st[0].Above), int(st[0].Tied)+1
		v := int64(0)
		if g < p.paid {
			v = (p.prefix[min(g+t, p.total)] - p.prefix[g] + int64(t)/2) / int64(t)
		}
		mu.Lock()
		pay += v
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if pay != part.Payout[0] || pay == 0 {
		t.Fatalf("payout from standings %d, RunChunk %d", pay, part.Payout[0])
	}
}
