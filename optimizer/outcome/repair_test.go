package outcome

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/schema"
	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// cancelGuard is how long a cancelled repair may keep running before the
// cancellation tests call it a hang. It is not a speed requirement (the
// latency is logged; it is a few milliseconds: one row of work): before the
// repair checked ctx the same calls ran for hours.
const cancelGuard = 10 * time.Second

// indefinite returns an n×n unit-diagonal matrix with every off-diagonal
// entry rho (not positive semidefinite for rho < -1/(n-1)).
func indefinite(n int, rho float64) []float64 {
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			a[i*n+j] = rho
		}
		a[i*n+i] = 1
	}
	return a
}

// randomCorrelations returns an n×n unit-diagonal symmetric matrix with
// off-diagonal entries uniform in [-0.9, 0.9]: far from any correlation
// matrix, the slowest repair we know of.
func randomCorrelations(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	a := make([]float64, n*n)
	for i := range n {
		a[i*n+i] = 1
		for j := i + 1; j < n; j++ {
			v := rng.Float64()*1.8 - 0.9
			a[i*n+j], a[j*n+i] = v, v
		}
	}
	return a
}

// oneGameSlate returns n players of one game (all WRs of one team) with
// positive stddevs.
func oneGameSlate(n int) []slate.Player {
	ps := make([]slate.Player, n)
	for i := range ps {
		ps[i] = slate.Player{ID: fmt.Sprintf("p%d", i), Positions: []string{"WR"}, Team: "KC", Opponent: "BUF",
			Game: "BUF@KC", Salary: 3000, Projection: 10, StdDev: 5}
	}
	return ps
}

// TestRepairCancel: every stage of the correlation repair returns
// context.Canceled soon after its context is cancelled, on blocks far larger
// than validation allows (the repair of the 1,000-player block would run for
// hours; the factorisation of the 2,000-player one for seconds).
func TestRepairCancel(t *testing.T) {
	const n = 1000
	tests := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"nearestCorrelation", func(ctx context.Context) error {
			_, err := nearestCorrelation(ctx, indefinite(n, -0.5), n, 1e-6)
			return err
		}},
		{"symEigen", func(ctx context.Context) error {
			_, _, err := symEigen(ctx, randomCorrelations(n, 1), n)
			return err
		}},
		{"psdProject", func(ctx context.Context) error {
			_, err := psdProject(ctx, randomCorrelations(n, 2), n, 0)
			return err
		}},
		{"cholesky", func(ctx context.Context) error {
			const m = 2000
			_, _, err := cholesky(ctx, indefinite(m, 0.3), m) // positive definite: runs to the end unless cancelled
			return err
		}},
		{"NewModel", func(ctx context.Context) error {
			_, err := NewModel(ctx, oneGameSlate(n), Config{Sport: slate.NFL, Distribution: "normal",
				Correlation: schema.CorrelationOptions{Relations: map[string]float64{"WR-WR": -0.5}}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tt.run(ctx) }()
			time.Sleep(50 * time.Millisecond)
			cancel()
			cancelled := time.Now()
			select {
			case err := <-done:
				t.Logf("returned %v after cancel: %v", time.Since(cancelled), err)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v, want context.Canceled", err)
				}
			case <-time.After(cancelGuard):
				t.Fatalf("still running %v after cancel", cancelGuard)
			}
		})
	}
}

// TestRepairCancelledBeforeStart: a context already done stops the repair
// before any work, with the cause wrapped.
func TestRepairCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := nearestCorrelation(ctx, indefinite(4, -0.5), 4, 1e-6); !errors.Is(err, context.Canceled) {
		t.Fatalf("nearestCorrelation: %v", err)
	}
	if _, _, err := cholesky(ctx, indefinite(4, 0.1), 4); !errors.Is(err, context.Canceled) {
		t.Fatalf("cholesky: %v", err)
	}
	ps := syntheticSlate(1)
	m, err := NewModel(context.Background(), ps, Config{Sport: slate.NFL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Subset(ctx, []int{0, 1, 4}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subset: %v", err)
	}
}

// BenchmarkRepairLargestBlock is the correlation repair of the largest
// block validation allows (schema.MaxCorrelatedBlock players): "relations"
// is the worst relation-driven matrix we know (same-parity players -0.9,
// others 0.9), "random" a dense adversarial one (every pair given, random
// sign). Its figures set the bound (see schema.MaxCorrelatedBlock).
func BenchmarkRepairLargestBlock(b *testing.B) {
	n := schema.MaxCorrelatedBlock
	structured := make([]float64, n*n)
	for i := range n {
		for j := range n {
			switch {
			case i == j:
				structured[i*n+j] = 1
			case i%2 == j%2:
				structured[i*n+j] = -0.9
			default:
				structured[i*n+j] = 0.9
			}
		}
	}
	for _, c := range []struct {
		name string
		a    []float64
	}{{"relations", structured}, {"random", randomCorrelations(n, 7)}} {
		b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := nearestCorrelation(context.Background(), c.a, n, 1e-6); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
