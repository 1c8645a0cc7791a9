# Reference values for the sample statistics of ordered items (emstudy.stats.cfa.categorical.ordinal_moments;
# tests/test_stats_cfa_categorical.py): lavaan's thresholds, polychoric correlations (two-step), the
# sample-statistics vector of WLS estimation and its asymptotic covariance NACOV (Muthen 1984), computed
# with R lavaan. Run from the repository root:  Rscript tests/reference/categorical.R
# Reads tests/reference/data/bfi.csv (psychTools bfi) and analysis/wencheng/results/encoded.csv (notebook 01's
# encoded items of the synthetic study: synthetic data); writes tests/reference/categorical.json.
# lavaan drops incomplete rows of ordered data (missing = "listwise"); the data are passed complete here.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

# the sample statistics of a fit that is not run (do.fit = FALSE computes them all)
stats <- function(x, model, call, group = NULL, full_gamma = TRUE) {
  fit <- cfa(model, data = x, ordered = setdiff(names(x), group), estimator = "WLSMV",
             group = group, do.fit = FALSE)
  ss <- lavInspect(fit, "sampstat")
  wobs <- lavInspect(fit, "wls.obs")
  gam <- lavInspect(fit, "gamma")
  wv <- lavInspect(fit, "wls.v")
  if (is.null(group)) {
    ss <- list(ss); wobs <- list(wobs); gam <- list(gam); wv <- list(wv)
  }
  groups <- lapply(seq_along(ss), function(g) {
    G <- gam[[g]]
    m <- nrow(G)
    probe <- sin(seq_len(m))
    pick <- unique(round(seq(1, m, length.out = min(m, 40))))
    out <- list(
      nobs = lavInspect(fit, "nobs")[g],
      th_names = names(ss[[g]]$th), th = unname(ss[[g]]$th),
      cor = unname(unclass(ss[[g]]$cov)), cor_names = colnames(ss[[g]]$cov),
      wls_obs_names = names(wobs[[g]]), wls_obs = unname(wobs[[g]]),
      gamma_names = rownames(G),
      gamma_diag = diag(G),
      gamma_times_probe = as.vector(G %*% probe),
      gamma_pick = pick, gamma_block = unname(G[pick, pick]),
      wls_v_diag = diag(wv[[g]]),
      wls_v_offdiag_max = max(abs(wv[[g]] - diag(diag(wv[[g]]))))
    )
    if (full_gamma) out$gamma <- unname(G)
    out
  })
  if (!is.null(group)) names(groups) <- lavInspect(fit, "group.label")
  list(call = call, groups = groups)
}

bfi <- read.csv("tests/reference/data/bfi.csv")
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
x <- bfi[complete.cases(bfi[, items]), items]
g <- bfi[complete.cases(bfi[, c(items, "gender")]), c(items, "gender")]
g$gender <- ifelse(g$gender == 1, "male", "female")

# unequal numbers of categories and a 2 x 2 table with an empty cell (lavaan adds 0.5 keeping the margins)
m <- x[, c("A2", "A4", "C1", "C3")]
m$b1 <- as.integer(m$A2 >= 4)
m$b2 <- as.integer(m$b1 == 1 | m$C1 >= 5)
m$b3 <- as.integer(m$b1 == 1 & x$A1 <= 2 & x$C4 <= 2)
m$c3 <- cut(m$C3, c(0, 2, 4, 6), labels = FALSE)
m <- m[, c("b1", "b2", "A4", "c3", "C1", "b3")]
model_m <- "f =~ b1 + b2 + A4 + c3 + C1 + b3"

# b1 x b2 (141, 173 / 0, 2318) has its likelihood maximum near the bound: lavaan's nlminb jumps from its
# start to the bound 0.999 in one step and stops there, where its gradient drops the cells of probability
# below sqrt(.Machine$double.eps); the maximum of lavaan's own objective for that pair, by optimize():
fy1 <- lavaan:::lav_uvord_fit(m$b1 + 1L)
fy2 <- lavaan:::lav_uvord_fit(m$b2 + 1L)
cache <- lavaan:::lav_bvord_init_cache(fit.y1 = fy1, fit.y2 = fy2, parent = asNamespace("lavaan"))
cache$freq <- cache$freq + 0.5 * matrix(c(-1, 1, 1, -1), 2, 2)  # zero.add = 0.5 in the empty cell, margins kept
b1b2_max <- optimize(lavaan:::lav_bvord_min_objective, c(0, 0.999), cache = cache, tol = 1e-12)

enc <- read.csv("analysis/wencheng/results/encoded.csv")
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN",
            rules = "RUL", warning = "WRN", response = "RSP", information = "INF", participation = "SOC",
            recovery = "REC", effectiveness = "EFF")
syn_items <- unlist(lapply(prefix, function(p) paste0(p, 1:4)), use.names = FALSE)
syn <- enc[complete.cases(enc[, syn_items]), syn_items]
model_syn <- paste(sprintf("%s =~ %s", names(prefix),
                           sapply(prefix, function(p) paste0(p, 1:4, collapse = " + "))), collapse = "\n")

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  bfi = stats(x, model, paste(
    "cfa('agree =~ A1 + ... + A5; consc =~ C1 + ... + C5', data = bfi[complete rows, items],",
    "ordered = TRUE, estimator = 'WLSMV', do.fit = FALSE); lavInspect(fit, 'sampstat' | 'wls.obs' | 'gamma' | 'wls.v')")),
  bfi_groups = stats(g, model, paste(
    "cfa(..., data = g, ordered = items, estimator = 'WLSMV', group = 'gender', do.fit = FALSE);",
    "g = complete rows of items + gender, gender 1 = 'male', 2 = 'female'"), group = "gender", full_gamma = FALSE),
  mixed = stats(m, model_m, paste(
    "cfa('f =~ b1 + b2 + A4 + c3 + C1', data = m, ordered = TRUE, estimator = 'WLSMV', do.fit = FALSE);",
    "m from bfi complete rows: b1 = A2 >= 4, b2 = b1 | C1 >= 5 (an empty cell), c3 = C3 cut at 2, 4,",
    "b3 = b1 & A1 <= 2 & C4 <= 2 (an empty cell)")),
  synthetic = stats(syn, model_syn, paste(
    "cfa(<12 constructs =~ their 4 items>, data = the 48 items of analysis/wencheng/results/encoded.csv,",
    "complete rows (synthetic data), ordered = TRUE, estimator = 'WLSMV', do.fit = FALSE)"), full_gamma = FALSE)
)
out$mixed$data <- list(b1 = m$b1, b2 = m$b2, c3 = m$c3, b3 = m$b3)
out$mixed$b1b2_maximum <- list(
  rho = b1b2_max$minimum, objective = b1b2_max$objective,
  objective_at_bound = lavaan:::lav_bvord_min_objective(0.999, cache),
  call = paste("optimize(lavaan:::lav_bvord_min_objective, c(0, 0.999), cache = <b1 x b2 table with",
               "0.5 moved into its empty cell>, tol = 1e-12)"))
write_json(out, "tests/reference/categorical.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
