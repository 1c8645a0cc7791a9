# Reference values for emstudy/stats/agreement.py (tests/test_stats_agreement.py reads agreement.json).
#
# Run from the repository root:  Rscript tests/reference/agreement.R
# Produced with R 4.2.2, psych 2.2.9 (psych::cohen.kappa), jsonlite.
#
# R's irr and irrCAC are not packaged for Debian; psych::cohen.kappa is the R implementation of Cohen's kappa
# at hand. Its unweighted standard error and interval are Fleiss, Cohen & Everitt's (1969); its weighted
# *estimates* are compared, not its weighted variance, which is not that of Fleiss, Cohen & Everitt (psych returns
# var.weighted = 0 for quadratic weights on the first table; irrCAC and statsmodels agree with each other there).
# Tables: cont3x3abstractors (Gwet 2014, irrCAC) and a synthetic 4 x 4 table (made up for this test).

suppressPackageStartupMessages({
  library(jsonlite)
  library(psych)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

tables <- list(
  cont3x3abstractors = matrix(c(13, 0, 0, 0, 20, 7, 0, 4, 56), 3, byrow = TRUE),
  synthetic4x4 = matrix(c(20, 5, 2, 0, 4, 30, 6, 1, 1, 7, 25, 3, 0, 2, 4, 15), 4, byrow = TRUE)
)
# one row per unit: rater 1's category (row), rater 2's category (column), both 1..q
expand <- function(t) cbind(rep(row(t), t), rep(col(t), t))

one <- function(t) {
  x <- expand(t)
  q <- nrow(t)
  # cohen.kappa(x): unweighted kappa, var.kappa, confid (alpha = .05); weighted.kappa with its default
  # quadratic disagreement weights (i - j)^2 / (q - 1)^2
  ck <- cohen.kappa(x)
  # cohen.kappa(x, w = |i - j| / (q - 1)): linear disagreement weights
  lin <- suppressWarnings(cohen.kappa(x, w = abs(outer(1:q, 1:q, "-")) / (q - 1)))
  list(
    table = lapply(seq_len(q), function(i) t[i, ]),
    kappa = ck$kappa,
    se = sqrt(ck$var.kappa),
    ci_lower = ck$confid[1, "lower"],
    ci_upper = ck$confid[1, "upper"],
    weighted_quadratic = ck$weighted.kappa,
    weighted_linear = lin$weighted.kappa
  )
}

out <- list(
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  cohen_kappa = lapply(tables, one)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(ref_dir, "agreement.json"))
