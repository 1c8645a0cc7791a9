# Reference values for multigroup WLSMV with missing answers (missing = "pairwise"; issue 15 point 5, the
# ordinal invariance of notebook 05; emstudy.stats.sem(..., group=, missing="pairwise"), emstudy.stats.invariance
# (..., ordered=, missing="pairwise"); tests/test_stats_cfa_wls_pairwise_groups.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/wlsmv_pairwise_groups.R
# Reads tests/reference/data/bfi.csv (psychTools bfi; items A1-A5, C1-C5 as in the file, not reverse keyed; all
# rows, incomplete ones included); writes tests/reference/wlsmv_pairwise_groups.json. Groups: gender 1 = "male",
# 2 = "female". Levels: configural, thresholds + loadings; lavTestLRT between them (satorra.2000).
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
              "chisq.scaling.factor", "chisq.shift.parameters", "cfi", "tli", "rmsea", "cfi.scaled",
              "tli.scaled", "rmsea.scaled", "srmr")

export <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE)
  ss <- lavInspect(fit, "sampstat")
  list(
    call = call,
    nobs = as.list(lavInspect(fit, "nobs")),
    converged = lavInspect(fit, "converged"),
    fmin = as.numeric(fitMeasures(fit, "fmin")),
    fit = as.list(fitMeasures(fit, measures)),
    sample_th = lapply(ss, function(s) unname(s$th)),
    parameters = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group,
                      est = pe$est, se = pe$se, std_all = pe$std.all)
  )
}

g <- bfi[, c(items, "gender")]
g$gender <- ifelse(g$gender == 1, "male", "female")
levels <- list(configural = "none", thresholds_loadings = c("thresholds", "loadings"))
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  data = "tests/reference/data/bfi.csv: items A1-A5, C1-C5 (raw, not reverse keyed) and gender, all rows (pairwise)",
  model = model,
  fits = list(),
  tests = list()
)
fits <- list()
for (lev in names(levels)) {
  ge <- levels[[lev]]
  fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", missing = "pairwise", group = "gender",
             group.equal = ge)
  fits[[lev]] <- fit
  out$fits[[lev]] <- export(fit, sprintf(
    "cfa(model, data = g, ordered = items, estimator = 'WLSMV', missing = 'pairwise', group = 'gender', group.equal = c(%s))",
    paste0("'", ge, "'", collapse = ", ")))
}
out$group_labels <- lavInspect(fits[[1]], "group.label")
t <- lavTestLRT(fits$configural, fits$thresholds_loadings)
out$tests$thresholds_loadings <- list(
  call = "lavTestLRT(fit_configural, fit_thresholds_loadings)",
  chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"], pvalue = t[2, "Pr(>Chisq)"],
  a = attr(t, "scale")[2], b = attr(t, "shift")[2])
write_json(out, "tests/reference/wlsmv_pairwise_groups.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
