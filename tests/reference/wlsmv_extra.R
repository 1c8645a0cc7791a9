# More reference values for the WLSMV/DWLS/ULS estimator on ordered items (tests/test_stats_cfa_wls.py),
# computed with R lavaan, beside tests/reference/wlsmv.R: the other estimators (ULSMV, DWLS, ULS), a
# structural model with a residual covariance, std.lv with the theta parameterization, and the parts of the
# scaled-shifted test (traces of U Gamma, shift parameter). Run from the repository root:
#   Rscript tests/reference/wlsmv_extra.R
# Reads tests/reference/data/bfi.csv and (written here if absent) the synthetic tests/reference/data/wlsmv_synthetic.csv;
# writes tests/reference/wlsmv_extra.json. Items as in the file (not
# reverse keyed); rows with a missing answer dropped (listwise, lavaan's default for ordered items).
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
model_sem <- "
  agree =~ A1 + A2 + A3 + A4 + A5
  consc =~ C1 + C2 + C3 + C4 + C5
  consc ~ agree
  A4 ~~ C4
"
measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "baseline.chisq", "baseline.df", "baseline.chisq.scaled", "baseline.chisq.scaling.factor",
              "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "cfi.scaled", "tli.scaled",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr", "wrmr")

export <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.nonfree = FALSE, standardized = TRUE)
  fm <- fitMeasures(fit)
  fm <- fm[intersect(measures, names(fm))]
  test <- lavInspect(fit, "test")
  out <- list(
    call = call,
    nobs = as.list(lavInspect(fit, "nobs")),
    converged = lavInspect(fit, "converged"),
    fit = as.list(fm),
    parameters = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                      group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group,
                      est = pe$est, se = pe$se, std_lv = pe$std.lv, std_all = pe$std.all)
  )
  # lavaan's own sample statistics and DWLS weights (for the check that emstudy's minimum is not above lavaan's)
  wls_obs <- lavInspect(fit, "wls.obs")
  wls_v <- lavInspect(fit, "wls.v")
  if (lavInspect(fit, "ngroups") == 1) {
    wls_obs <- list(wls_obs)
    wls_v <- list(wls_v)
  }
  if (lavInspect(fit, "ngroups") > 1) out$group_labels <- lavInspect(fit, "group.label")
  out$wls_obs <- lapply(wls_obs, as.numeric)
  out$wls_v_diag <- lapply(wls_v, function(v) as.numeric(diag(v)))
  if (!is.null(test$scaled.shifted)) {
    ss <- test$scaled.shifted
    out$scaled_shifted <- list(trace_UGamma = ss$trace.UGamma, trace_UGamma2 = ss$trace.UGamma2,
                               scaling_factor = ss$scaling.factor, shift_parameter = ss$shift.parameter)
  }
  out
}

# a synthetic data set (seeded; labelled synthetic wherever it is used): three factors, items with 2 to 5
# categories, two groups of different size and thresholds
syn_path <- "tests/reference/data/wlsmv_synthetic.csv"
if (!file.exists(syn_path)) {
  set.seed(20261130)
  make <- function(n, shift) {
    phi <- matrix(c(1, .4, .3, .4, 1, .5, .3, .5, 1), 3)
    eta <- matrix(rnorm(n * 3), n) %*% chol(phi)
    lam <- c(.8, .7, .6, .5, .75, .65, .55, .7, .6, .5, .8, .45)
    f <- rep(1:3, each = 4)
    cuts <- list(0, c(-.5, .6), c(-1, 0, 1), c(-1.5, -.5, .5, 1.5))
    y <- sapply(seq_along(lam), function(j) {
      z <- lam[j] * eta[, f[j]] + sqrt(1 - lam[j]^2) * rnorm(n) + shift
      findInterval(z, cuts[[(j - 1) %% 4 + 1]]) + 1
    })
    colnames(y) <- paste0("y", 1:12)
    y
  }
  syn <- rbind(data.frame(make(600, 0), grp = "a"), data.frame(make(400, .3), grp = "b"))
  write.csv(syn, syn_path, row.names = FALSE)
}
syn <- read.csv(syn_path)
model_syn <- "
  f1 =~ y1 + y2 + y3 + y4
  f2 =~ y5 + y6 + y7 + y8
  f3 =~ y9 + y10 + y11 + y12
"

x1 <- bfi[complete.cases(bfi[, items]), items]
g <- bfi[, c(items, "gender")]
g <- g[complete.cases(g), ]
g$gender <- ifelse(g$gender == 1, "male", "female")
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  data = "tests/reference/data/bfi.csv: items A1-A5, C1-C5 (raw, not reverse keyed), complete rows only",
  model = model,
  model_sem = model_sem,
  model_syn = model_syn,
  data_syn = "tests/reference/data/wlsmv_synthetic.csv: SYNTHETIC (seeded, written by this script), y1-y12 with 2 to 5 categories, groups a (600) and b (400)",
  fits = list()
)
fits <- list(
  single_delta = "cfa(model, data = x1, ordered = TRUE, estimator = 'WLSMV')",
  single_theta = "cfa(model, data = x1, ordered = TRUE, estimator = 'WLSMV', parameterization = 'theta')",
  groups_delta = "cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender')",
  ulsmv_delta = "cfa(model, data = x1, ordered = TRUE, estimator = 'ULSMV')",
  ulsmv_theta = "cfa(model, data = x1, ordered = TRUE, estimator = 'ULSMV', parameterization = 'theta')",
  dwls_delta = "cfa(model, data = x1, ordered = TRUE, estimator = 'DWLS')",
  uls_delta = "cfa(model, data = x1, ordered = TRUE, estimator = 'ULS')",
  sem_delta = "sem(model_sem, data = x1, ordered = TRUE, estimator = 'WLSMV')",
  sem_theta = "sem(model_sem, data = x1, ordered = TRUE, estimator = 'WLSMV', parameterization = 'theta')",
  stdlv_theta = "cfa(model, data = x1, ordered = TRUE, estimator = 'WLSMV', parameterization = 'theta', std.lv = TRUE)",
  syn_delta = "cfa(model_syn, data = syn, ordered = TRUE, estimator = 'WLSMV')",
  syn_theta_stdlv = "cfa(model_syn, data = syn, ordered = TRUE, estimator = 'WLSMV', parameterization = 'theta', std.lv = TRUE)",
  syn_groups_theta = "cfa(model_syn, data = syn, ordered = TRUE, estimator = 'WLSMV', parameterization = 'theta', group = 'grp')"
)
for (key in names(fits)) {
  fit <- eval(parse(text = fits[[key]]))
  out$fits[[key]] <- export(fit, fits[[key]])
}
write_json(out, "tests/reference/wlsmv_extra.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
