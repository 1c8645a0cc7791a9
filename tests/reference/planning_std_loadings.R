# Reference values for tests/test_planning_analyses.py: the standard errors of standardized loadings that
# emstudy.planning.analyses.CFAFit's loading-precision target uses (lavaan::standardizedSolution, delta method).
# Run from the project root: Rscript tests/reference/planning_std_loadings.R  (rewrites planning_std_loadings.json)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
models <- list(
  simple = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  cross = "visual =~ x1 + x2 + x3 + x9\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
)
out <- lapply(models, function(m) {
  fit <- cfa(m, data = HolzingerSwineford1939, std.lv = TRUE)
  s <- standardizedSolution(fit)
  s <- s[s$op == "=~", ]
  list(model = m, lhs = s$lhs, rhs = s$rhs, est_std = s$est.std, se = s$se)
})
writeLines(toJSON(out, digits = I(12), auto_unbox = TRUE, pretty = TRUE), "tests/reference/planning_std_loadings.json")
