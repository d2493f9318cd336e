// Package mcmc provides a multi-chain Markov chain Monte Carlo sampler and the
// convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter and Bürkner
// (2021), "Rank-normalization, folding, and localization: an improved R-hat
// for assessing convergence of MCMC", Bayesian Analysis 16(2).
//
// # Diagnostics
//
// Rhat, ESSBulk, ESSTail, ESSQuantile, ESSMean, ESSSD, MCSEMean, MCSESD and
// MCSEQuantile follow R's posterior package line by line: split chains,
// rank normalization with Blom's offset (3/8) and average ranks for ties,
// folding around the median for the tail R-hat, type-7 quantiles,
// autocovariances by FFT, and Geyer's initial positive and monotone
// sequences with the posterior package's loop bounds and its lower bound
// 1/log10(S) on tau. They match the posterior reference values of the
// arviz test suite (testdata/, Apache-2.0) to about 1e-13 relative.
//
// # Samplers
//
// SampleNUTS runs the No-U-Turn Sampler (Hoffman & Gelman 2014, slice
// variant with dual-averaging step size) for targets with gradients, on a
// dense metric estimated in Stan-like warm-up windows. Sample runs adaptive
// random-walk Metropolis (Haario et al. 2001 with a Robbins-Monro global
// scale towards 0.234 acceptance) for targets without gradients. Both run
// chains in parallel goroutines, each with its own PCG stream seeded from
// (Config.Seed, chain index), so a run is reproducible regardless of
// scheduling; warm-up is discarded and the adapted kernel is frozen after
// it; ctx is checked between iterations and progress reported as
// iterations done.
//
// On a 30-dimensional strongly correlated Gaussian, NUTS gives about 0.6
// independent draws per iteration; adaptive Metropolis needs about 250
// iterations per independent draw per chain (see the tests), so thin long
// adaptive Metropolis runs of high-dimensional targets.
package mcmc
