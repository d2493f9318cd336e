package ownership

import "github.com/dfsopt/dfsopt/optimizer/slate"

// Coefficients are the utility weights of the model, indexed by the Feat
// constants: a player's utility is Σ Beta[k]·x[k].
type Coefficients struct {
	// Name identifies the set ("nfl", "nba", "generic").
	Name string
	Beta [NumFeatures]float64
}

// CoefficientsFor returns the shipped coefficient set for a sport.
//
// How they were fitted (reproduced by TestFitReproducesShippedCoefficients
// whenever ../shared/data is present): Fit with FitOptions{Ridge: 0.05} on
// the testdata fixtures, which data_test.go derives from the public files:
//
//   - nfl: DraftKings NFL classic 2019-09-08, 12 games; actual ownership
//     measured on 1,500 real lineups of three $100 single-entry GPPs.
//   - nba: DraftKings NBA classic 2025-01-12, 6 games; actual %Drafted of a
//     5,945-entry GPP, known for the 4 games that had started when the
//     standings were captured (138 players).
//   - generic: both slates pooled; used for MLB, NHL and anything else.
//
// The NFL standings of 2025 in ../shared/data (two contests with actual
// %Drafted) carry no salaries or projections, and the projected ownership
// file beside them is for another week's slate, so they could not enter the
// fit. Each sport's set thus rests on one slate: treat them as a sensible
// start, to be refitted as standings with salaries accumulate.
//
// Held-out error (TestHeldOutError; leave-one-slate-out, so each slate is
// predicted by coefficients fitted on the other sport) against the projected
// ownership shipped with the same data, over the players both cover; the
// model's rows are asserted by TestHeldOutDocumentedFigures (±0.01 pp MAE,
// ±0.001 Spearman), so update them together:
//
//	slate              predictor                         MAE (pp)  Spearman
//	NFL 2019-09-08     this model, held out                  2.34     0.876
//	(241 players)      shipped projown, as given             2.52     0.840
//	                   shipped, normalized to 900 %          2.20     0.809
//	NBA 2025-01-12     this model, held out                  2.20     0.919
//	(138 players)      shipped Own%                          1.64     0.769
//	                   shipped, normalized                   1.75     0.750
//
// The shipped projections have the lower absolute error once normalized
// (clearly so in NBA); this model ranks players better. The feature set and
// the soft clip (zClip) were chosen on this same evaluation, so the model's
// numbers are slightly optimistic.
func CoefficientsFor(sport slate.Sport) Coefficients {
	switch sport {
	case slate.NFL:
		return Coefficients{Name: "nfl", Beta: [NumFeatures]float64{0.2081, 0.5190, 1.1408, 0.1511}}
	case slate.NBA:
		return Coefficients{Name: "nba", Beta: [NumFeatures]float64{0.7176, 0.3513, 0.7990, 0.0916}}
	}
	return Coefficients{Name: "generic", Beta: [NumFeatures]float64{0.4239, 0.4885, 0.9965, 0.1163}}
}
