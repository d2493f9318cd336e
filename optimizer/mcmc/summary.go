package mcmc

import "slices"

// Summary describes the posterior draws of one scalar quantity.
type Summary struct {
	Mean     float64 `json:"mean"`
	SD       float64 `json:"sd"`
	Q05      float64 `json:"q05"`
	Q50      float64 `json:"q50"`
	Q95      float64 `json:"q95"`
	Rhat     float64 `json:"rhat"`
	ESSBulk  float64 `json:"ess_bulk"`
	ESSTail  float64 `json:"ess_tail"`
	MCSEMean float64 `json:"mcse_mean"`
}

// Summarize computes the summary of [chain][draw] draws: mean, standard
// deviation, type-7 quantiles, rank-normalized split R-hat, bulk and tail ESS
// and the MCSE of the mean (NaN where undefined, e.g. constant draws).
func Summarize(x [][]float64) Summary {
	flat := flatten(x)
	sorted := slices.Clone(flat)
	slices.Sort(sorted)
	mean, sd := meanSD(flat)
	return Summary{
		Mean:     mean,
		SD:       sd,
		Q05:      quantileSorted(sorted, 0.05),
		Q50:      quantileSorted(sorted, 0.5),
		Q95:      quantileSorted(sorted, 0.95),
		Rhat:     Rhat(x),
		ESSBulk:  ESSBulk(x),
		ESSTail:  ESSTail(x),
		MCSEMean: MCSEMean(x),
	}
}

// Converged reports whether the summary passes the usual thresholds:
// R-hat <= maxRhat and bulk and tail ESS >= minESS (NaN fails).
func (s Summary) Converged(maxRhat, minESS float64) bool {
	return s.Rhat <= maxRhat && s.ESSBulk >= minESS && s.ESSTail >= minESS
}

// Quantile returns the type-7 (R default) quantile of all draws.
func Quantile(x [][]float64, p float64) float64 {
	return quantile7(flatten(x), p)
}
