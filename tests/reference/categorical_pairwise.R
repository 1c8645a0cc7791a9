# Reference values for ordered items with missing answers (missing = "pairwise"; issue 15): lavaan's
# thresholds from each item's available answers, polychorics from the pairwise-complete rows, NACOV from the
# casewise scores with the missing contributions left out, and WLSMV CFA fits on them
# (emstudy.stats.cfa.categorical.ordinal_moments(missing="pairwise"), emstudy.stats.sem(..., missing="pairwise");
# tests/test_stats_cfa_categorical.py, tests/test_stats_cfa_wls_pairwise.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/categorical_pairwise.R
# Reads tests/reference/data/bfi.csv (psychTools bfi, all rows) and analysis/wencheng/results/encoded.csv
# (notebook 01's encoded items of the synthetic study: synthetic data, all rows);
# writes tests/reference/categorical_pairwise.json.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

stats <- function(fit, call, full_gamma = TRUE) {
  ss <- lavInspect(fit, "sampstat")
  G <- lavInspect(fit, "gamma")
  m <- nrow(G)
  pick <- unique(round(seq(1, m, length.out = min(m, 40))))
  out <- list(
    call = call,
    nobs = lavInspect(fit, "nobs"),
    th_names = names(ss$th), th = unname(ss$th),
    cor = unname(unclass(ss$cov)), cor_names = colnames(ss$cov),
    wls_obs_names = names(lavInspect(fit, "wls.obs")), wls_obs = unname(lavInspect(fit, "wls.obs")),
    gamma_diag = diag(G),
    gamma_times_probe = as.vector(G %*% sin(seq_len(m))),
    gamma_pick = pick, gamma_block = unname(G[pick, pick])
  )
  if (full_gamma) out$gamma <- unname(G)
  out
}

measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "chisq.shift.parameters", "cfi", "tli", "rmsea", "cfi.scaled",
              "tli.scaled", "rmsea.scaled", "srmr")

export <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE)
  list(
    call = call,
    nobs = lavInspect(fit, "nobs"),
    converged = lavInspect(fit, "converged"),
    fit = as.list(fitMeasures(fit, measures)),
    parameters = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se, std_all = pe$std.all)
  )
}

bfi <- read.csv("tests/reference/data/bfi.csv")
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
x <- bfi[, items]
empty <- x
empty[c(1, 5, 9), ] <- NA  # three cases without any answer: lavaan ignores them (with a warning)

enc <- read.csv("analysis/wencheng/results/encoded.csv")
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN",
            rules = "RUL", warning = "WRN", response = "RSP", information = "INF", participation = "SOC",
            recovery = "REC", effectiveness = "EFF")
syn_items <- unlist(lapply(prefix, function(p) paste0(p, 1:4)), use.names = FALSE)
syn <- enc[, syn_items]
model_syn <- paste(sprintf("%s =~ %s", names(prefix),
                           sapply(prefix, function(p) paste0(p, 1:4, collapse = " + "))), collapse = "\n")

wlsmv <- function(model, data, ...) {
  cfa(model, data = data, ordered = TRUE, estimator = "WLSMV", missing = "pairwise", ...)
}
fit_bfi <- wlsmv(model, x)
fit_bfi_theta <- wlsmv(model, x, parameterization = "theta")
fit_empty <- suppressWarnings(wlsmv(model, empty, do.fit = FALSE))
fit_syn <- wlsmv(model_syn, syn)

call_bfi <- "cfa('agree =~ A1 + ... + A5; consc =~ C1 + ... + C5', data = bfi[, items] (all rows), ordered = TRUE, estimator = 'WLSMV', missing = 'pairwise')"
call_syn <- "cfa(<12 constructs =~ their 4 items>, data = the 48 items of analysis/wencheng/results/encoded.csv (all rows; synthetic data), ordered = TRUE, estimator = 'WLSMV', missing = 'pairwise')"
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  measures = measures,
  bfi = stats(fit_bfi, paste(call_bfi, "; lavInspect(fit, 'sampstat' | 'wls.obs' | 'gamma' | 'nobs')")),
  bfi_empty = stats(fit_empty, paste(
    "the same with rows 1, 5 and 9 of bfi[, items] set to NA (lavaan warns 'some cases are empty and will be",
    "ignored'), do.fit = FALSE"), full_gamma = FALSE),
  synthetic = stats(fit_syn, paste(call_syn, "; lavInspect(fit, 'sampstat' | 'wls.obs' | 'gamma' | 'nobs')"),
                    full_gamma = FALSE),
  fits = list(
    bfi_delta = export(fit_bfi, call_bfi),
    bfi_theta = export(fit_bfi_theta, sub(")$", ", parameterization = 'theta')", call_bfi)),
    synthetic_delta = export(fit_syn, call_syn)
  )
)
write_json(out, "tests/reference/categorical_pairwise.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
