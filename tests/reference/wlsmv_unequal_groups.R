# Reference values for the group weights of the multigroup WLSMV/ULSMV fit (tests/test_stats_cfa_wls_invariance.py,
# test_group_weights_are_lavaans): with equality constraints across groups of unequal sizes the estimates depend
# on how the groups weigh in the discrepancy function (lavaan 0.6.14: (N_g - 1) / N). Run from the repository root:
#   Rscript tests/reference/wlsmv_unequal_groups.R
# Writes (if absent) the SYNTHETIC data tests/reference/data/wlsmv_unequal_groups.csv (seeded: two factors of three
# four-category items, three groups of 90, 160 and 240 rows with different factor means and thresholds), and
# tests/reference/wlsmv_unequal_groups.json.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
path <- "tests/reference/data/wlsmv_unequal_groups.csv"
if (!file.exists(path)) {
  set.seed(20261130)
  make <- function(n, shift, label) {
    eta <- matrix(rnorm(n * 2), n) %*% chol(matrix(c(1, .45, .45, 1), 2))
    lam <- c(.8, .7, .6, .75, .65, .55)
    y <- sapply(1:6, function(j) {
      z <- lam[j] * eta[, (j - 1) %/% 3 + 1] + sqrt(1 - lam[j]^2) * rnorm(n) + shift
      findInterval(z, c(-1, -.2, .7)) + 1
    })
    colnames(y) <- paste0("x", 1:6)
    data.frame(y, place = label)
  }
  write.csv(rbind(make(90, .3, "east"), make(160, 0, "north"), make(240, -.2, "west")), path, row.names = FALSE)
}
d <- read.csv(path)
items <- paste0("x", 1:6)
model <- "
  f1 =~ x1 + x2 + x3
  f2 =~ x4 + x5 + x6
"
measures <- c("npar", "chisq", "df", "chisq.scaled", "pvalue.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled",
              "srmr")
calls <- list(
  delta_configural = "cfa(model, data = d, ordered = items, estimator = 'WLSMV', group = 'place')",
  delta_thresholds_loadings = "cfa(model, data = d, ordered = items, estimator = 'WLSMV', group = 'place', group.equal = c('thresholds', 'loadings'))",
  ulsmv_thresholds_loadings = "cfa(model, data = d, ordered = items, estimator = 'ULSMV', group = 'place', group.equal = c('thresholds', 'loadings'))"
)
fits <- lapply(calls, function(cl) eval(parse(text = cl)))
export <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.nonfree = FALSE)
  list(call = call, converged = lavInspect(fit, "converged"), nobs = as.list(lavInspect(fit, "nobs")),
       group_labels = lavInspect(fit, "group.label"), fit = as.list(fitMeasures(fit, measures)),
       parameters = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group, est = pe$est, se = pe$se))
}
lrt <- lavTestLRT(fits$delta_configural, fits$delta_thresholds_loadings)
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  data = paste0(path, ": SYNTHETIC (seeded, written by this script)"),
  model = model,
  fits = mapply(export, fits, calls, SIMPLIFY = FALSE),
  lrt = list(call = "lavTestLRT(delta_configural, delta_thresholds_loadings)",
             chisq_diff = lrt[2, "Chisq diff"], df_diff = lrt[2, "Df diff"], pvalue = lrt[2, "Pr(>Chisq)"])
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/wlsmv_unequal_groups.json")
