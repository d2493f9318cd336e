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
// # Sampler
//
// Sample runs adaptive random-walk Metropolis chains in parallel goroutines,
// each with its own PCG stream seeded from (Config.Seed, chain index), so a
// run is reproducible regardless of scheduling. Warm-up adapts a full
// proposal covariance in doubling windows and a global scale towards an
// acceptance rate of 0.234; the proposal is frozen after warm-up, which is
// discarded. The cost per iteration is one log-density evaluation plus
// O(d^2); on a 30-dimensional strongly correlated Gaussian it needs about
// 250 iterations per independent draw per chain (see the tests), so thin
// long runs of high-dimensional targets, or split a factorized posterior
// into independent blocks.
package mcmc
