// Package calibrate learns, from history, how actual fantasy points scatter
// around projections: a multiplicative bias, a spread that grows with the
// projection, a right skew, and the correlations between players of a game.
// The result document (schema.CalibrateResult) feeds the outcome simulation
// through Model.
//
// # Data
//
// Rows are (player, position, team, opponent, game, date, projection,
// actual[, stddev, ownership]), read by ReadRows from CSV or JSON. Rows are
// put in a canonical order first, so the result and the calibration id do
// not depend on the order of the input. Rows projected below
// min_projection (default 5) are excluded from the fit and the report: in
// weekly data most of them are backups and inactive players projected 0-2
// whose outcome is mostly a point mass at 0, a different process that would
// distort the spread of real contributors (46k rows of the NFL history have
// 35k such rows). Model.Dist still answers for them (see below).
//
// Holdout: the most recent holdout_fraction (default 0.2) of the distinct
// dates (dates must sort chronologically as strings: ISO dates or
// YYYY-Www) are held out of the fit and used for the report; with fewer
// than 5 distinct dates a seeded random fraction of rows is held out.
//
// # Marginal model (per position)
//
//	actual ~ ExGaussian(mean = bias * projection,
//	                    sd   = sd_intercept + sd_slope * projection,
//	                    shape)
//
// The exGaussian is a normal plus an independent exponential; shape in
// (0, 1) is the exponential's share of the variance, so the skewness is
// 2 * shape^1.5 (0 to 2). It has full support, so negative scores and
// zeros are handled, and a shape near 1 describes outcomes with a soft
// floor and a long right tail (RB/WR/TE), a small shape a nearly normal
// spread (QB). The standard deviation must stay at least 0.1 over the
// fitted projections.
//
// Priors (weakly informative; the unconstrained sampling scale in brackets):
//
//	log(bias)     ~ Normal(0, 0.25^2)       bias within about x0.6 .. x1.6
//	sd_intercept  ~ Normal(3, 5^2)          points
//	sd_slope      ~ Normal(0.25, 0.5^2)     points per projected point
//	shape         ~ Beta(2, 2)              [logit(shape), with Jacobian]
//
// Positions are independent a priori and in the likelihood, so each
// position's 4 parameters are sampled in their own run (the joint posterior
// factorizes exactly). A position needs 50 fitted rows.
//
// # Correlations (Gaussian copula)
//
// Each fitted row gets a normal score z = Phi^-1(F(actual)) under its
// position's posterior-mean marginal model. Every pair of rows of the same
// game and date is a same-team pair or an opponent pair; pairs are pooled by
// position pair and relation into parameters named like
// "QB-WR.same_team" or "QB-QB.opponent" (positions in roster order QB, RB,
// WR, TE, ...), pooling depth (WR1, WR2, WR3 are all "WR"). Given the
// scores, each relation's pairs are modelled as bivariate standard normal
// with correlation rho, prior atanh(rho) ~ Normal(0, 0.5^2); all relations
// with at least 30 pairs are sampled jointly. This is a two-stage
// (inference-functions-for-margins) pseudo-likelihood: a player appears in
// several pairs and the marginal uncertainty is not propagated, so the
// correlations' posterior sds are somewhat too small. The coefficients are
// those of a Gaussian copula, which is what the simulator should use them
// for; they are close to, but not the same as, Pearson correlations of raw
// residuals (the data README's figures).
//
// # Sampling and convergence
//
// mcmc.SampleNUTS (No-U-Turn Sampler with analytic gradients, dense metric
// adapted in warm-up windows) with the request's chains (4), warmup (1000)
// and draws (1000 retained per chain), one run per position and one joint
// run for all correlations. On the real NFL history this gives bulk ESS of
// about 3000 from 4000 draws and R-hat below 1.005; adaptive Metropolis
// (mcmc.Sample) reaches about a third of that ESS from the same number of
// iterations at a similar cost per ESS, with R-hat too close to 1.01 to
// pass the convergence check reliably. Seeds derive from the request seed,
// so a request is reproducible. Every parameter must reach R-hat <= 1.01 and
// bulk and tail ESS >= 400 (Vehtari et al. 2021); otherwise Run returns
// *NotConvergedError with the result attached, never a silent result.
// Divergent transitions are reported as warnings.
//
// # Report
//
// On held-out rows projected at least min_projection: "before" is the
// naive model, Normal(projection, stddev) with the row's stddev or 40 % of
// the projection (at least 1 point); "after" is the posterior predictive
// (a mixture over 200 posterior draws). Coverage of the central 50/80/90 %
// intervals and 10-bin PIT histograms come from the predictive CDF at the
// actual; the log score is the mean log predictive density.
//
// # Using a result
//
// NewModel(result) returns the posterior-mean model. Model.Dist(position,
// projection) gives the mean, sd and shape (with Draw, CDF, Quantile); at or
// above min_projection it is the fitted line, below it the mean stays
// bias*projection and the sd shrinks in proportion to the projection, and
// a projection of 0 or less is a point mass at 0. Model.Correlation(a, b,
// relation) gives the copula coefficient.
package calibrate
