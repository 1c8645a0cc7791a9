# Reference values for polychoric correlations of items with 10 categories (emstudy's limit for every
# polychoric, Mplus's; psych's polychoric stops at max.cat = 8 by default, so it is called with max.cat = 10):
# emstudy/stats/correlation.py, reliability.py (ordinal alpha); tests/test_stats_correlation.py.
# Run from the repository root:  Rscript tests/reference/polychoric_categories.R
# Writes the SYNTHETIC data tests/reference/data/polychoric_10cat.csv (seeded below) and
# tests/reference/polychoric_categories.json.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

q <- function(expr) suppressWarnings(suppressMessages(expr))

# SYNTHETIC: four items on one normal factor (loadings .8 .7 .6 .5), cut at the deciles (10 categories, codes
# 1..10, every one chosen: psych's global thresholds, as emstudy's polychoric uses them)
set.seed(20261130)
n <- 500
f <- rnorm(n)
lam <- c(0.8, 0.7, 0.6, 0.5)
z <- sapply(lam, function(l) l * f + sqrt(1 - l^2) * rnorm(n))
cuts10 <- qnorm(seq(0.1, 0.9, by = 0.1))
x <- data.frame(a1 = findInterval(z[, 1], cuts10) + 1, a2 = findInterval(z[, 2], cuts10) + 1,
                a3 = findInterval(z[, 3], cuts10) + 1, a4 = findInterval(z[, 4], cuts10) + 1)
write.csv(x, "tests/reference/data/polychoric_10cat.csv", row.names = FALSE)

# refined(x): psych's likelihood maximised to 1e-10 (psych's optimize() stops about 3e-5 short)
source("tests/reference/refined_polychoric.R")

pc <- q(psych::polychoric(x, max.cat = 10))
rr <- refined(x)
out <- list(
  psych_version = as.character(packageVersion("psych")),
  r_version = R.version.string,
  ncat = unname(sapply(x, function(v) length(unique(v)))),
  rho_psych = unname(pc$rho),                                  # psych::polychoric(x, max.cat = 10)$rho
  rho_refined = unname(rr),                                    # refined(x): the same likelihood to 1e-10
  raw_alpha = q(psych::alpha(rr, check.keys = FALSE))$total$raw_alpha,  # psych::alpha(refined(x))$total$raw_alpha
  default_max_cat = tryCatch({ q(psych::polychoric(x)); "no error" },
                             error = function(e) conditionMessage(e))  # psych::polychoric(x): max.cat = 8
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/polychoric_categories.json")
