# Reference values for omega(..., n_factors = 1) (emstudy/stats/omega.py; tests/test_stats_omega.py): psych's
# convention for one factor. psych::omega(x, nfactors = 1) messages "Omega_h for 1 factor is not meaningful,
# just omega_t" and still returns omega_h = (sum of the one-factor loadings)^2 / Vt (Vt the sum of the
# correlation matrix), beside omega.tot = 1 - sum(u2) / Vt; the two differ where the one-factor model does not
# fit exactly. Run from the repository root:  Rscript tests/reference/omega_one_factor.R
# Reads tests/reference/data/bfi.csv (written by tests/reference/reliability.R from psychTools::bfi);
# writes tests/reference/omega_one_factor.json.
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

q <- function(expr) suppressWarnings(suppressMessages(expr))
out <- list(psych_version = as.character(packageVersion("psych")), r_version = R.version.string)

bfi <- read.csv("tests/reference/data/bfi.csv")
reversed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
keyed <- bfi[, 1:25]
for (v in reversed) keyed[[v]] <- 7 - keyed[[v]]
scales <- list(A = paste0("A", 1:5), C = paste0("C", 1:5), E = paste0("E", 1:5),
               N = paste0("N", 1:5), O = paste0("O", 1:5))

out$scales <- list()
for (s in names(scales)) {
  items <- scales[[s]]
  x <- keyed[complete.cases(keyed[, items]), items]  # listwise complete cases per scale
  om <- q(psych::omega(x, nfactors = 1, plot = FALSE))
  op <- q(psych::omega(x, nfactors = 1, poly = TRUE, plot = FALSE))
  out$scales[[s]] <- list(
    items = items,
    n = nrow(x),
    omega_h = om$omega_h,             # psych::omega(x, nfactors = 1)$omega_h
    omega_total = om$omega.tot,       # psych::omega(x, nfactors = 1)$omega.tot
    poly_omega_h = op$omega_h,        # psych::omega(x, nfactors = 1, poly = TRUE)$omega_h
    poly_omega_total = op$omega.tot   # psych::omega(x, nfactors = 1, poly = TRUE)$omega.tot
  )
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/omega_one_factor.json")
