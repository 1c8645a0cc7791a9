# Reference values for emstudy/stats/power.py (tests/test_stats_power.py reads power.json).
#
# Run from the repository root:  Rscript tests/reference/power.R
# Produced with R 4.2.2 (stats::pchisq, qchisq, pt, qt, power.t.test), semTools 0.5-6 (findRMSEApower,
# findRMSEAsamplesize), jsonlite 1.8.4.
#
# RMSEA power (MacCallum, Browne & Sugawara 1996): ncp = (n - 1) * df * eps^2; close fit (rmsea_a > rmsea0)
# rejects above qchisq(1 - alpha, df, ncp0), not-close fit (rmsea_a < rmsea0) below qchisq(alpha, df, ncp0).
# Welch power: noncentral t with delta = diff / sqrt(sd1^2/n1 + sd2^2/n2) and the Welch-Satterthwaite df at the
# population variances; with equal n and sd this is power.t.test(..., strict = TRUE).
#
# R prints "full precision may not have been achieved in 'pnchisq'" warnings: they come from semTools'
# not-close-fit branch, 1 - pchisq(cval, df, ncp, lower.tail = FALSE), where the upper tail is below 1e-15
# (power = 1 to double precision: not-close fit, rmsea0 = 0.08, n >= 1000 or df >= 24 at n = 3500); the
# direct pchisq(crit, df, ncp) above gives the same values without a warning.

suppressPackageStartupMessages({
  library(jsonlite)
  library(semTools)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

# ---- RMSEA power by pchisq/qchisq with ncp, and semTools::findRMSEApower (the same formula)
rmsea_power_r <- function(df, n, rmsea0, rmsea_a, alpha) {
  ncp0 <- (n - 1) * df * rmsea0^2
  ncpa <- (n - 1) * df * rmsea_a^2
  if (rmsea_a > rmsea0) {
    crit <- qchisq(1 - alpha, df, ncp = ncp0)
    power <- pchisq(crit, df, ncp = ncpa, lower.tail = FALSE)
  } else {
    crit <- qchisq(alpha, df, ncp = ncp0)
    power <- pchisq(crit, df, ncp = ncpa)
  }
  list(ncp0 = ncp0, ncp_a = ncpa, critical = crit, power = power)
}

pairs <- list(c(0.05, 0.08), c(0.05, 0.01), c(0, 0.05), c(0.08, 0.05), c(0.05, 0.1), c(0.06, 0))
grid <- expand.grid(df = c(1, 2, 5, 10, 24, 40, 100), n = c(30, 100, 200, 500, 1000, 3500), pair = seq_along(pairs),
                    alpha = c(0.05, 0.01))
rmsea <- lapply(seq_len(nrow(grid)), function(i) {
  g <- grid[i, ]
  p <- pairs[[g$pair]]
  r <- rmsea_power_r(g$df, g$n, p[1], p[2], g$alpha)
  c(list(df = g$df, n = g$n, rmsea0 = p[1], rmsea_a = p[2], alpha = g$alpha), r,
    # semTools::findRMSEApower(rmsea0, rmseaA, df, n, alpha)
    list(semtools = findRMSEApower(p[1], p[2], g$df, g$n, g$alpha)))
})

# ---- smallest n with power >= target: integer search on rmsea_power_r (power increases with n), and
# semTools::findRMSEAsamplesize (smallest n with power > target, scanning upwards)
smallest_n <- function(f, target) {
  hi <- 2
  while (f(hi) < target) hi <- hi * 2
  lo <- max(1, hi %/% 2)
  while (hi - lo > 1) {
    mid <- (lo + hi) %/% 2
    if (f(mid) >= target) hi <- mid else lo <- mid
  }
  hi
}
sgrid <- expand.grid(df = c(2, 4, 10, 20, 40, 100), pair = c(1, 2, 3), power = c(0.5, 0.8, 0.9), alpha = 0.05)
rmsea_n <- lapply(seq_len(nrow(sgrid)), function(i) {
  g <- sgrid[i, ]
  p <- pairs[[g$pair]]
  f <- function(n) rmsea_power_r(g$df, n, p[1], p[2], g$alpha)$power
  list(df = g$df, rmsea0 = p[1], rmsea_a = p[2], power = g$power, alpha = g$alpha,
       n = smallest_n(f, g$power),
       # semTools::findRMSEAsamplesize(rmsea0, rmseaA, df, power, alpha)
       semtools = findRMSEAsamplesize(p[1], p[2], g$df, g$power, g$alpha))
})

# ---- Welch power by the noncentral t (pt with ncp) at the Welch-Satterthwaite df
welch_power_r <- function(diff, sd1, sd2, n1, n2, alpha, alternative) {
  v1 <- sd1^2 / n1
  v2 <- sd2^2 / n2
  df <- (v1 + v2)^2 / (v1^2 / (n1 - 1) + v2^2 / (n2 - 1))
  ncp <- diff / sqrt(v1 + v2)
  if (alternative == "greater") {
    pt(qt(1 - alpha, df), df, ncp = ncp, lower.tail = FALSE)
  } else if (alternative == "less") {
    pt(-qt(1 - alpha, df), df, ncp = ncp)
  } else {
    q <- qt(1 - alpha / 2, df)
    pt(q, df, ncp = ncp, lower.tail = FALSE) + pt(-q, df, ncp = ncp)
  }
}
wcases <- list(
  list(diff = 0.5, sd1 = 1, sd2 = 1.5, n1 = 40, n2 = 60),
  list(diff = 0.3, sd1 = 0.8, sd2 = 1.2, n1 = 40, n2 = 300),
  list(diff = -0.4, sd1 = 0.6, sd2 = 1.1, n1 = 25, n2 = 180),
  list(diff = 0.2, sd1 = 1.3, sd2 = 0.7, n1 = 120, n2 = 35),
  list(diff = 1.1, sd1 = 2, sd2 = 0.5, n1 = 8, n2 = 12),
  list(diff = 0, sd1 = 1, sd2 = 2, n1 = 30, n2 = 30),
  list(diff = 0.05, sd1 = 1, sd2 = 1.2, n1 = 5000, n2 = 8000),
  list(diff = 1, sd1 = 1, sd2 = 1, n1 = 161, n2 = 185)
)
welch <- list()
for (w in wcases) for (alt in c("two-sided", "less", "greater")) for (alpha in c(0.05, 0.01)) {
  welch[[length(welch) + 1]] <- c(w, list(alpha = alpha, alternative = alt,
                                          power = welch_power_r(w$diff, w$sd1, w$sd2, w$n1, w$n2, alpha, alt)))
}

# ---- power.t.test(n, delta, sd, sig.level, type = "two.sample", alternative, strict = TRUE)
tgrid <- expand.grid(n = c(5, 20, 64, 200), delta = c(0.2, 0.5, 1.3), sd = c(1, 2.5), alpha = c(0.05, 0.01),
                     alternative = c("two.sided", "one.sided"), stringsAsFactors = FALSE)
ttest <- lapply(seq_len(nrow(tgrid)), function(i) {
  g <- tgrid[i, ]
  p <- power.t.test(n = g$n, delta = g$delta, sd = g$sd, sig.level = g$alpha, type = "two.sample",
                    alternative = g$alternative, strict = TRUE)$power
  c(as.list(g), list(power = p))
})

# ---- power.t.test(power =, delta, sd, sig.level, strict = TRUE)$n: fractional n per group (ceiling = smallest)
ngrid <- expand.grid(delta = c(0.2, 0.5, 0.8), sd = 1, power = c(0.8, 0.9), alpha = 0.05,
                     alternative = c("two.sided", "one.sided"), stringsAsFactors = FALSE)
ttest_n <- lapply(seq_len(nrow(ngrid)), function(i) {
  g <- ngrid[i, ]
  n <- power.t.test(power = g$power, delta = g$delta, sd = g$sd, sig.level = g$alpha, type = "two.sample",
                    alternative = g$alternative, strict = TRUE, tol = 1e-10)$n
  c(as.list(g), list(n = n))
})

out <- list(
  r_version = R.version.string,
  semtools_version = as.character(packageVersion("semTools")),
  rmsea_power = rmsea,
  rmsea_sample_size = rmsea_n,
  welch_power = welch,
  power_t_test = ttest,
  power_t_test_n = ttest_n
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(ref_dir, "power.json"))
