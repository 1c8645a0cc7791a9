# Reference values for the WLSMV/DWLS estimator on ordered items (issue 15; emstudy/stats/cfa, tests of
# the categorical CFA), computed with R lavaan. Run from the repository root:  Rscript tests/reference/wlsmv.R
# Reads tests/reference/data/bfi.csv (psychTools bfi, six categories, written by tests/reference/reliability.R);
# writes tests/reference/wlsmv.json. Items as in the file (not reverse keyed); incomplete rows dropped
# (lavaan's default for ordered data: listwise).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

bfi <- read.csv("tests/reference/data/bfi.csv")
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "
  agree =~ A1 + A2 + A3 + A4 + A5
  consc =~ C1 + C2 + C3 + C4 + C5
"
measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "chisq.shift.parameters", "baseline.chisq", "baseline.df",
              "baseline.chisq.scaled", "baseline.df.scaled", "baseline.chisq.scaling.factor",
              "baseline.chisq.shift.parameters", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr", "wrmr")

export <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE)
  fm <- fitMeasures(fit, measures)
  list(
    call = call,
    nobs = as.list(lavInspect(fit, "nobs")),
    converged = lavInspect(fit, "converged"),
    iterations = lavInspect(fit, "iterations"),
    fit = as.list(fm),
    parameters = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                      group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group,
                      est = pe$est, se = pe$se, std_all = pe$std.all)
  )
}

x <- bfi[, items]
x1 <- x[complete.cases(x), ]
g <- bfi[, c(items, "gender")]
g <- g[complete.cases(g), ]
g$gender <- ifelse(g$gender == 1, "male", "female")

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  data = "tests/reference/data/bfi.csv: items A1-A5, C1-C5 (raw, not reverse keyed), complete rows only",
  model = model,
  measures = measures,
  fits = list()
)
for (param in c("delta", "theta")) {
  fit <- cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV", parameterization = param)
  out$fits[[paste0("single_", param)]] <- export(fit, sprintf(
    "cfa(model, data = bfi[complete.cases(bfi[, items]), items], ordered = TRUE, estimator = 'WLSMV', parameterization = '%s')", param))
  fitg <- cfa(model, data = g, ordered = items, estimator = "WLSMV", parameterization = param,
              group = "gender")
  out$fits[[paste0("groups_", param)]] <- export(fitg, sprintf(
    "cfa(model, data = g, ordered = items, estimator = 'WLSMV', parameterization = '%s', group = 'gender'); g = complete rows of items + gender, gender 1 = 'male', 2 = 'female'", param))
  out$fits[[paste0("groups_", param)]]$group_labels <- lavInspect(fitg, "group.label")
}
write_json(out, "tests/reference/wlsmv.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
