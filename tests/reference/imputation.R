# Reference values for emstudy/stats/imputation.py (tests/test_stats_imputation.py reads imputation.json).
#
# Run from the repository root:  Rscript tests/reference/imputation.R
# Produced with R 4.2.2, mice 3.15.0, sandwich 3.0.2, jsonlite 1.8.4.
#
# Data: tests/reference/data/imputation_sets.csv, in mice's long format (.imp = 0 the incomplete data, 1..5 the
# completed sets, .id the row). Those sets are emstudy's own imputations (scikit-learn's IterativeImputer with
# posterior draws, seed 14, as emstudy.stats.imputation.pooled_drivers makes them for this model, gender in the
# imputation model as a dummy), written by `python tests/test_stats_imputation.py` from the bfi scale scores of
# models.R (first 400 complete rows of agree, consc, extra, neuro, open and gender; about 5% of the scale scores
# removed by a seeded draw). R does not impute here: it pools the same sets, so the comparison checks Rubin's
# rules (closed form) and nothing else.

suppressPackageStartupMessages({
  library(mice)
  library(sandwich)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"
long <- read.csv(file.path(ref_dir, "data", "imputation_sets.csv"), check.names = FALSE)
long$gender <- factor(long$gender)
imp <- as.mids(long, .imp = ".imp", .id = ".id")
stopifnot(imp$m == 5, nrow(imp$data) == 400)

fits <- with(imp, lm(agree ~ consc + extra + neuro + open + gender))
out <- list(m = imp$m, n = nrow(imp$data), n_missing = as.list(colSums(is.na(imp$data))))

# ------------------------------------------------------------- mice::pool on the lm fits (model-based vcov)
pooled <- pool(fits)
p <- pooled$pooled
out$pool <- list(term = as.character(p$term), estimate = p$estimate, ubar = p$ubar, b = p$b, t = p$t,
                 dfcom = p$dfcom, df = p$df, riv = p$riv, lambda = p$lambda, fmi = p$fmi)
s95 <- summary(pooled, conf.int = TRUE)
out$summary95 <- list(estimate = s95$estimate, std.error = s95$std.error, statistic = s95$statistic,
                      df = s95$df, p.value = s95$p.value, ci_lower = s95[["2.5 %"]], ci_upper = s95[["97.5 %"]])
s90 <- summary(pooled, conf.int = TRUE, conf.level = 0.90)
out$summary90 <- list(ci_lower = s90[["5 %"]], ci_upper = s90[["95 %"]])

# the per-set estimates and variances pooled above (for pool() on arrays, without refitting in Python)
out$coef <- lapply(fits$analyses, function(f) unname(coef(f)))
out$var_model <- lapply(fits$analyses, function(f) unname(diag(vcov(f))))
out$vcov_model <- lapply(fits$analyses, function(f) unname(vcov(f)))

# total covariance matrix T = Ubar + (1 + 1/m) B by its definition (Rubin 1987; the matrix mice's D1 uses)
Q <- t(sapply(fits$analyses, coef))
Ubar <- Reduce(`+`, lapply(fits$analyses, vcov)) / imp$m
out$t_matrix <- unname(Ubar + (1 + 1 / imp$m) * cov(Q))

# ------------------------------------------------------------- HC3 variances pooled with mice::pool.scalar
n <- nrow(imp$data); k <- length(coef(fits$analyses[[1]]))
U3 <- t(sapply(fits$analyses, function(f) diag(vcovHC(f, type = "HC3"))))
out$var_hc3 <- lapply(seq_len(imp$m), function(i) unname(U3[i, ]))
hc3 <- lapply(seq_len(k), function(j) pool.scalar(Q[, j], U3[, j], n = n, k = k))
out$hc3 <- list(qbar = sapply(hc3, `[[`, "qbar"), ubar = sapply(hc3, `[[`, "ubar"), b = sapply(hc3, `[[`, "b"),
                t = sapply(hc3, `[[`, "t"), df = sapply(hc3, `[[`, "df"), r = sapply(hc3, `[[`, "r"),
                fmi = sapply(hc3, `[[`, "fmi"))

# ------------------------------------------------------------- large-sample df (complete-data df infinite)
inf <- lapply(seq_len(k), function(j) pool.scalar(Q[, j], U3[, j]))
out$hc3_inf <- list(df = sapply(inf, `[[`, "df"), fmi = sapply(inf, `[[`, "fmi"))

# ------------------------------------------------------------- R^2 of each set
out$r2 <- lapply(fits$analyses, function(f) summary(f)$r.squared)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(ref_dir, "imputation.json"))
