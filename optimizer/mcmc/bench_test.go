package mcmc

import (
	"math/rand/v2"
	"testing"
)

func ar1Chains(chains, n int, phi float64) [][]float64 {
	r := rand.New(rand.NewPCG(1, 2))
	x := make([][]float64, chains)
	for c := range x {
		x[c] = make([]float64, n)
		v := 0.0
		for i := range x[c] {
			v = phi*v + r.NormFloat64()
			x[c][i] = v
		}
	}
	return x
}

// BenchmarkSummarize is the full per-parameter summary (quantiles, R-hat,
// bulk and tail ESS, MCSE) of 4 chains x 1000 draws.
func BenchmarkSummarize(b *testing.B) {
	x := ar1Chains(4, 1000, 0.7)
	for b.Loop() {
		Summarize(x)
	}
}

// BenchmarkDiagnostics times each diagnostic on 4 chains x 10000 draws.
func BenchmarkDiagnostics(b *testing.B) {
	x := ar1Chains(4, 10000, 0.9)
	for _, bc := range []struct {
		name string
		f    func([][]float64) float64
	}{{"Rhat", Rhat}, {"ESSBulk", ESSBulk}, {"ESSTail", ESSTail}, {"ESSMean", ESSMean}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.f(x)
			}
		})
	}
}

// BenchmarkReference is R-hat, bulk ESS and tail ESS for the 48 parameters
// of the blocker model (2 chains x 1000 draws).
func BenchmarkReference(b *testing.B) {
	draws := blockerDraws(b)
	ref := readReference(b)
	for b.Loop() {
		for _, r := range ref {
			x := draws[r.name]
			Rhat(x)
			ESSBulk(x)
			ESSTail(x)
		}
	}
}
