package ownership

import (
	"context"
	"testing"

	"github.com/dfsopt/dfsopt/optimizer/slate"
)

// BenchmarkPredict times one projection of a 720-player DK NFL slate.
func BenchmarkPredict(b *testing.B) {
	rules, err := slate.RulesFor(slate.DraftKings, slate.NFL, slate.Classic)
	if err != nil {
		b.Fatal(err)
	}
	players := syntheticSlate(1, 24, map[string]int{"QB": 4, "RB": 7, "WR": 12, "TE": 6, "DST": 1}, false)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Predict(ctx, players, rules, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFit times the fit of the generic coefficients on the fixtures.
func BenchmarkFit(b *testing.B) {
	fx := loadFixtures(b)
	slates := []FitSlate{fx[0].fitSlate(b), fx[1].fitSlate(b)}
	for b.Loop() {
		if _, err := Fit(context.Background(), slates, FitOptions{Ridge: fitRidge}); err != nil {
			b.Fatal(err)
		}
	}
}
