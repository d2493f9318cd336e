package calibrate

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/dfsopt/dfsopt/optimizer/mcmc"
	"github.com/dfsopt/dfsopt/optimizer/schema"
)

// BenchmarkPositionModel samples one position's marginal model on the real
// data set with 4 chains, 1000 warm-up and 1000 retained draws per chain,
// with NUTS (every draw kept) and adaptive Metropolis (every 5th kept), and
// reports the smallest bulk ESS of the four parameters per second of wall
// time.
func BenchmarkPositionModel(b *testing.B) {
	rows := loadRealRows(b)
	for _, pos := range []string{"QB", "WR"} {
		var proj, act []float64
		for _, r := range rows {
			if r.Position == pos && r.Projection >= schema.DefaultMinProjection {
				proj = append(proj, r.Projection)
				act = append(act, r.Actual)
			}
		}
		m := newPosModel(proj, act)
		centre := m.start()
		samplers := []struct {
			name string
			run  func(cfg mcmc.Config) (*mcmc.Result, error)
			thin int
		}{
			{"nuts", func(cfg mcmc.Config) (*mcmc.Result, error) {
				return mcmc.SampleNUTS(context.Background(), m.logDensityGrad, posDim, cfg)
			}, 1},
			{"am", func(cfg mcmc.Config) (*mcmc.Result, error) {
				return mcmc.Sample(context.Background(), m.logDensity, posDim, cfg)
			}, 5},
		}
		for _, smp := range samplers {
			b.Run(pos+"/"+smp.name, func(b *testing.B) {
				var ess, secs float64
				for i := 0; b.Loop(); i++ {
					start := time.Now()
					out, err := smp.run(mcmc.Config{
						Chains: 4, Warmup: 1000, Draws: 1000, Thin: smp.thin, Seed: uint64(i),
						Init:  initFunc(centre, []float64{0.05, 0.5, 0.03, 0.5}),
						Scale: []float64{0.01, 0.1, 0.01, 0.1},
					})
					if err != nil {
						b.Fatal(err)
					}
					secs += time.Since(start).Seconds()
					minESS := math.Inf(1)
					for j := range posDim {
						minESS = math.Min(minESS, mcmc.ESSBulk(out.Param(j)))
					}
					ess += minESS
				}
				b.ReportMetric(ess/secs, "ess_bulk/s")
				b.ReportMetric(ess/float64(b.N), "min_ess_bulk")
				b.ReportMetric(float64(len(proj)), "rows")
			})
		}
	}
}

// BenchmarkRun runs the whole calibration on the real data set (46k rows,
// 9k fitted) and reports the smallest bulk ESS over all parameters per
// second of wall time.
func BenchmarkRun(b *testing.B) {
	rows := loadRealRows(b)
	var ess, secs float64
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		res, err := Run(context.Background(), &schema.CalibrateRequest{Sport: "nfl", Rows: rows, Seed: uint64(i + 1)}, nil)
		var nc *NotConvergedError
		if errors.As(err, &nc) {
			res = nc.Result
		} else if err != nil {
			b.Fatal(err)
		}
		secs += time.Since(start).Seconds()
		ess += res.Diagnostics.MinESSBulk
	}
	b.ReportMetric(ess/secs, "ess_bulk/s")
	b.ReportMetric(ess/float64(b.N), "min_ess_bulk")
}

// BenchmarkLogDensity is one evaluation of the WR likelihood (4.8k rows).
func BenchmarkLogDensity(b *testing.B) {
	rows := loadRealRows(b)
	var proj, act []float64
	for _, r := range rows {
		if r.Position == "WR" && r.Projection >= schema.DefaultMinProjection {
			proj = append(proj, r.Projection)
			act = append(act, r.Actual)
		}
	}
	m := newPosModel(proj, act)
	th := []float64{-0.036, 2.5, 0.5, 2.6}
	for b.Loop() {
		m.logDensity(th)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(proj)), "ns/row")
}
