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
// ownership shipped with the same data, over the players both cover:
//
//	slate              predictor                         MAE (pp)  Spearman
//	NFL 2019-09-08     this model, held out                  2.52     0.873
//	(241 players)      shipped projown, as given             2.52     0.840
//	                   shipped, normalized to 900 %          2.20     0.809
//	NBA 2025-01-12     this model, held out                  2.49     0.916
//	(138 players)      shipped Own%                          1.64     0.769
//	                   shipped, normalized                   1.75     0.750
//
// The shipped projections have the lower absolute error (clearly so in
// NBA); this model ranks players better.
func CoefficientsFor(sport slate.Sport) Coefficients {
	switch sport {
	case slate.NFL:
		return Coefficients{Name: "nfl", Beta: [NumFeatures]float64{0.2179, 0.5098, 0.7201, 0.1602}}
	case slate.NBA:
		return Coefficients{Name: "nba", Beta: [NumFeatures]float64{0.5931, 0.2509, 0.5170, 0.0345}}
	}
	return Coefficients{Name: "generic", Beta: [NumFeatures]float64{0.3455, 0.4545, 0.6057, 0.0456}}
}
