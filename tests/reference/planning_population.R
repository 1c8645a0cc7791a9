# Reference values for emstudy.planning.population.ModelPopulation and the RMSEA check of
# emstudy.planning.analyses.CFAFit (tests/test_planning_population.py, tests/test_planning_analyses.py),
# computed with R lavaan 0.6.14.
# Run from the repository root:  Rscript tests/reference/planning_population.R
# Writes tests/reference/planning_population.json.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_path <- "tests/reference/planning_population.json"

# The population moments lavaan::simulateData draws from: its fitted lavaan object (return.fit = TRUE)
# holds the parameter table with simulateData's values, and lavInspect(fit, "implied") the implied
# covariance matrix (and means) of the observed variables, in lavaan's order of the observed variables.
implied <- function(model, standardized = FALSE) {
  d <- suppressWarnings(simulateData(model, sample.nobs = 10L, seed = 1, standardized = standardized,
                                     return.fit = TRUE))
  fit <- attr(d, "fit")
  imp <- lavInspect(fit, "implied")
  cov <- unclass(imp$cov)
  mean <- if (is.null(imp$mean)) rep(0, nrow(cov)) else as.numeric(imp$mean)
  list(names = rownames(cov), cov = unname(cov), mean = mean)
}

models <- list(
  # three factors, loadings given, residual variances not given (simulateData: 1), factor covariances
  cfa3 = list(syntax = "f =~ 0.7*x1 + 0.7*x2 + 0.6*x3 + 0.8*x4
                        g =~ 0.6*x5 + 0.6*x6 + 0.5*x7 + 0.7*x8
                        h =~ 0.8*x9 + 0.7*x10 + 0.6*x11 + 0.5*x12
                        f ~~ 0.3*g
                        f ~~ 0.2*h", standardized = FALSE),
  cfa3_std = list(syntax = "f =~ 0.7*x1 + 0.7*x2 + 0.6*x3 + 0.8*x4
                            g =~ 0.6*x5 + 0.6*x6 + 0.5*x7 + 0.7*x8
                            h =~ 0.8*x9 + 0.7*x10 + 0.6*x11 + 0.5*x12
                            f ~~ 0.3*g
                            f ~~ 0.2*h", standardized = TRUE),
  # unspecified loadings (1; 0.7 when standardized), a label without a value, residual variances given,
  # intercepts, a residual covariance
  defaults = list(syntax = "f =~ x1 + a*x2 + 0.5*x3
                            x1 ~~ 0.4*x1
                            x2 ~~ 0.3*x3
                            x1 ~ 0.5*1
                            x3 ~ -0.2*1", standardized = FALSE),
  defaults_std = list(syntax = "f =~ x1 + x2 + 0.5*x3 + 0.6*x4", standardized = TRUE),
  # a structural model: latent regression, an observed outcome of a factor, an exogenous observed predictor
  sem = list(syntax = "f1 =~ 0.7*a1 + 0.7*a2 + 0.7*a3
                       f2 =~ 0.6*b1 + 0.6*b2 + 0.6*b3
                       f2 ~ 0.5*f1 + 0.2*z
                       y ~ 0.4*f2 + 0.1*z", standardized = FALSE),
  sem_std = list(syntax = "f1 =~ 0.7*a1 + 0.7*a2 + 0.7*a3
                           f2 =~ 0.6*b1 + 0.6*b2 + 0.6*b3
                           f2 ~ 0.5*f1 + 0.2*z
                           y ~ 0.4*f2 + 0.1*z", standardized = TRUE),
  # a chain of latent regressions, standardized: lavaan's two-stage rule is exact for one level only
  chain_std = list(syntax = "f1 =~ 0.7*a1 + 0.7*a2 + 0.7*a3
                             f2 =~ 0.7*b1 + 0.7*b2 + 0.7*b3
                             f3 =~ 0.7*c1 + 0.7*c2 + 0.7*c3
                             f2 ~ 0.5*f1
                             f3 ~ 0.6*f2", standardized = TRUE),
  # observed mediation (the IndirectEffect test's population)
  mediation = list(syntax = "m ~ 0.3*x
                             y ~ 0.3*m + 0.1*x", standardized = FALSE),
  mediation_std = list(syntax = "m ~ 0.3*x
                                 y ~ 0.3*m + 0.1*x", standardized = TRUE)
)
res <- list(lavaan_version = as.character(packageVersion("lavaan")), models = list())
for (name in names(models)) {
  m <- models[[name]]
  res$models[[name]] <- c(list(syntax = m$syntax, standardized = m$standardized), implied(m$syntax, m$standardized))
}

# simulateData's ordered items: X[, o] <- as.integer(cut(X[, o], c(-Inf, sort(thresholds), Inf))),
# right-closed intervals (a value equal to a threshold falls in the lower category)
values <- c(-2, -1, -0.5, 0, 0.3, 1, 1.0000001, 3)
res$cut <- list(values = values, thresholds = c(-1, 0, 1),
                codes = as.integer(cut(values, c(-Inf, -1, 0, 1, Inf))))
# and simulateData's category shares at a large n. An ordered item's latent response has unit variance
# (lavaan's delta parameterization: its residual variance is 1 minus the variance explained), so x1 is
# cut as a standard normal while x2 and x3 keep their variance 0.7^2 + 1 = 1.49.
ord_model <- "f =~ 0.7*x1 + 0.7*x2 + 0.7*x3
              x1 | -1*t1 + 0*t2 + 1*t3"
d <- simulateData(ord_model, sample.nobs = 200000L, seed = 20190719)
res$ordered <- c(list(syntax = "f =~ 0.7*x1 + 0.7*x2 + 0.7*x3", item = "x1", thresholds = c(-1, 0, 1),
                      n = 200000L, shares = as.numeric(table(factor(d$x1, levels = 1:4))) / nrow(d)),
                 implied(ord_model)[c("names", "cov")])

# The CFA power check: population covariance of a two-factor model with one cross-loading (standardized,
# so Sigma is a correlation matrix), the analysis model without the cross-loading fitted to it
# (sample.cov.rescale = FALSE: Sigma is the population matrix itself). F_ML = chisq / N (lavaan's
# likelihood = "normal": chisq = N * F_ML); the population RMSEA is sqrt(F_ML / df) (MacCallum et al. 1996).
misfit <- function(pop_model, ana_model, N = 1000L) {
  pop <- implied(pop_model, standardized = TRUE)
  Sigma <- pop$cov
  dimnames(Sigma) <- list(pop$names, pop$names)
  fit <- cfa(ana_model, sample.cov = Sigma, sample.nobs = N, sample.cov.rescale = FALSE)
  fm <- fitMeasures(fit, c("chisq", "df", "rmsea"))
  list(population = pop_model, analysis = ana_model, standardized = TRUE, n = N,
       chisq = unname(fm["chisq"]), df = unname(fm["df"]), rmsea = unname(fm["rmsea"]),
       fmin = unname(fm["chisq"]) / N, rmsea_population = sqrt(unname(fm["chisq"]) / N / unname(fm["df"])))
}
ana_model <- "f =~ x1 + x2 + x3 + x4
              g =~ x5 + x6 + x7 + x8"
# a clear misfit (population RMSEA above .05: the test of close fit) and a small one (below .05: not-close fit)
res$misfit <- misfit("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3 + 0.7*x4 + 0.3*x5
                      g =~ 0.7*x5 + 0.7*x6 + 0.7*x7 + 0.7*x8
                      f ~~ 0.3*g", ana_model)
res$misfit_small <- misfit("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3 + 0.7*x4 + 0.1*x5
                            g =~ 0.7*x5 + 0.7*x6 + 0.7*x7 + 0.7*x8
                            f ~~ 0.3*g", ana_model)

writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), out_path)
