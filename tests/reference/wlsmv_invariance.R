# Reference values for ordinal measurement invariance by WLSMV (issue 15 point 2; emstudy/stats/cfa/wls_groups.py,
# emstudy/stats/cfa/invariance_ordinal.py), computed with R lavaan. Run from the repository root:
#   Rscript tests/reference/wlsmv_invariance.R
# Reads tests/reference/data/bfi.csv (psychTools bfi; items as in the file, not reverse keyed); writes
# tests/reference/wlsmv_invariance.json. Groups: gender 1 = "male", 2 = "female"; complete rows of the items and
# gender (lavaan's listwise default for ordered data). The sequence of Wu & Estabrook (2016): configural,
# thresholds, thresholds + loadings, thresholds + loadings + intercepts; lavTestLRT between consecutive levels
# (its default for the scaled-shifted WLSMV statistic: method = "satorra.2000", A.method = "delta").
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
              "baseline.chisq.scaled", "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr")

export <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE)
  list(
    call = call,
    converged = lavInspect(fit, "converged"),
    fit = as.list(fitMeasures(fit, measures)),
    parameters = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group,
                      free = as.integer(parTable(fit)$free[match(paste(pe$lhs, pe$op, pe$rhs, pe$group),
                        paste(parTable(fit)$lhs, parTable(fit)$op, parTable(fit)$rhs, parTable(fit)$group))] > 0),
                      est = pe$est, se = pe$se, std_all = pe$std.all)
  )
}

lrt <- function(m1, m0, call) {
  out <- lavTestLRT(m1, m0)
  list(call = call, chisq_diff = out[2, "Chisq diff"], df_diff = out[2, "Df diff"],
       pvalue = out[2, "Pr(>Chisq)"], a = attr(out, "scale")[2], b = attr(out, "shift")[2])
}

g <- bfi[, c(items, "gender")]
g <- g[complete.cases(g), ]
g$gender <- ifelse(g$gender == 1, "male", "female")
levels <- list(configural = "none", thresholds = "thresholds",
               thresholds_loadings = c("thresholds", "loadings"),
               thresholds_loadings_intercepts = c("thresholds", "loadings", "intercepts"))

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  data = "tests/reference/data/bfi.csv: items A1-A5, C1-C5 (raw, not reverse keyed) and gender, complete rows only",
  model = model,
  group_labels = NULL,
  fits = list(),
  tests = list()
)
for (param in c("delta", "theta")) {
  fits <- list()
  for (lev in names(levels)) {
    ge <- levels[[lev]]
    fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", parameterization = param,
               group = "gender", group.equal = ge)
    call <- sprintf("cfa(model, data = g, ordered = items, estimator = 'WLSMV', parameterization = '%s', group = 'gender', group.equal = c(%s))",
                    param, paste0("'", ge, "'", collapse = ", "))
    fits[[lev]] <- fit
    out$fits[[paste0(param, "_", lev)]] <- export(fit, call)
  }
  out$group_labels <- lavInspect(fits[[1]], "group.label")
  nm <- names(levels)
  for (k in 2:length(nm)) {
    out$tests[[paste0(param, "_", nm[k])]] <- lrt(fits[[nm[k - 1]]], fits[[nm[k]]], sprintf(
      "lavTestLRT(fit_%s, fit_%s)  # %s parameterization", nm[k - 1], nm[k], param))
  }
  out$tests[[paste0(param, "_thresholds_loadings_vs_configural")]] <- lrt(fits$configural, fits$thresholds_loadings,
    sprintf("lavTestLRT(fit_configural, fit_thresholds_loadings)  # %s parameterization", param))
}
# lavaan 0.6.14 with ordered items: "intercepts" alone makes the thresholds equal (and frees the scaling
# factors and latent means) as "thresholds" does; "loadings" alone frees nothing; group.partial on a threshold
fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", group = "gender", group.equal = "intercepts")
out$fits$delta_intercepts_only <- export(fit, "cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', group.equal = 'intercepts')")
fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", group = "gender", group.equal = "loadings")
out$fits$delta_loadings_only <- export(fit, "cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', group.equal = 'loadings')")
fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", group = "gender",
           group.equal = c("thresholds", "loadings"), group.partial = c("A1|t2", "C5|t5", "agree =~ A2"))
out$fits$delta_partial <- export(fit, "cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', group.equal = c('thresholds', 'loadings'), group.partial = c('A1|t2', 'C5|t5', 'agree =~ A2'))")
fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", group = "gender", parameterization = "theta",
           group.equal = c("thresholds", "loadings", "residuals"))
out$fits$theta_residuals <- export(fit, "cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender', parameterization = 'theta', group.equal = c('thresholds', 'loadings', 'residuals'))")
# ULSMV (unweighted least squares, the same scaled-shifted test and lavTestLRT method)
ulsmv <- list()
for (lev in names(levels)[1:3]) {
  ge <- levels[[lev]]
  ulsmv[[lev]] <- cfa(model, data = g, ordered = items, estimator = "ULSMV", group = "gender", group.equal = ge)
  out$fits[[paste0("ulsmv_", lev)]] <- export(ulsmv[[lev]], sprintf(
    "cfa(model, data = g, ordered = items, estimator = 'ULSMV', group = 'gender', group.equal = c(%s))",
    paste0("'", ge, "'", collapse = ", ")))
}
out$tests$ulsmv_thresholds <- lrt(ulsmv$configural, ulsmv$thresholds,
                                  "lavTestLRT(fit_configural, fit_thresholds)  # ULSMV")
out$tests$ulsmv_thresholds_loadings <- lrt(ulsmv$thresholds, ulsmv$thresholds_loadings,
                                           "lavTestLRT(fit_thresholds, fit_thresholds_loadings)  # ULSMV")
write_json(out, "tests/reference/wlsmv_invariance.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
