# Reference values for ordinal alpha and ordinal omega (emstudy/stats/reliability.py, omega.py,
# correlation.py; tests/test_stats_reliability.py, test_stats_omega.py, test_steps_reliability.py):
# alpha and omega of the polychoric correlation matrix (Zumbo, Gadermann & Zeisser 2007), computed with
# R psych. Run from the repository root:  Rscript tests/reference/ordinal_reliability.R
# Reads tests/reference/data/bfi.csv (written by tests/reference/reliability.R from psychTools::bfi) and
# analysis/wencheng/results/encoded.csv (notebook 01's encoded items of the synthetic study);
# writes tests/reference/ordinal_reliability.json.
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

q <- function(expr) suppressWarnings(suppressMessages(expr))
out <- list(
  psych_version = as.character(packageVersion("psych")),
  r_version = R.version.string
)

# --- public data: the bfi items (six categories, about 1% missing per item), keyed as in reliability.R
bfi <- read.csv("tests/reference/data/bfi.csv")
reversed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
keyed <- bfi[, 1:25]
for (v in reversed) keyed[[v]] <- 7 - keyed[[v]]
scales <- list(A = paste0("A", 1:5), C = paste0("C", 1:5), E = paste0("E", 1:5),
               N = paste0("N", 1:5), O = paste0("O", 1:5))

# refined(x): psych's likelihood maximised to 1e-10 (psych's optimize() stops about 3e-5 short)
source("tests/reference/refined_polychoric.R")

one <- function(x) {
  # x: the items of one scale (listwise: na.omit(x); pairwise: all rows)
  pc <- q(psych::polychoric(x))
  a <- q(psych::alpha(pc$rho, check.keys = FALSE))
  rr <- refined(x)
  ar <- q(psych::alpha(rr, check.keys = FALSE))
  omr <- q(psych::omega(rr, nfactors = 1, plot = FALSE))
  om1 <- q(psych::omega(x, nfactors = 1, poly = TRUE, plot = FALSE))
  om3 <- q(psych::omega(x, poly = TRUE, plot = FALSE))
  list(
    rho = unname(pc$rho),                       # psych::polychoric(x)$rho
    n_obs = pc$n.obs,                           # psych::polychoric(x)$n.obs
    raw_alpha = a$total$raw_alpha,              # psych::alpha(psych::polychoric(x)$rho)$total$raw_alpha
    std_alpha = a$total$std.alpha,              # ...$total$std.alpha
    average_r = a$total$average_r,              # ...$total$average_r
    median_r = a$total$median_r,                # ...$total$median_r
    alpha_drop = a$alpha.drop$raw_alpha,        # ...$alpha.drop$raw_alpha (alpha if the item is deleted)
    r_drop = a$item.stats$r.drop,               # ...$item.stats$r.drop
    omega_total_single = om1$omega.tot,         # psych::omega(x, nfactors = 1, poly = TRUE)$omega.tot
    omega_h = om3$omega_h,                      # psych::omega(x, poly = TRUE)$omega_h  (3 factors)
    omega_total = om3$omega.tot,                # psych::omega(x, poly = TRUE)$omega.tot
    rho_refined = unname(rr),                   # refined(x): psych's likelihood maximised to 1e-10
    raw_alpha_refined = ar$total$raw_alpha,     # psych::alpha(refined(x))$total$raw_alpha
    average_r_refined = ar$total$average_r,     # psych::alpha(refined(x))$total$average_r
    alpha_drop_refined = ar$alpha.drop$raw_alpha,  # psych::alpha(refined(x))$alpha.drop$raw_alpha
    omega_total_single_refined = omr$omega.tot  # psych::omega(refined(x), nfactors = 1)$omega.tot
  )
}

out$bfi <- list(reversed = reversed, scales = list())
for (s in names(scales)) {
  items <- scales[[s]]
  out$bfi$scales[[s]] <- list(
    items = items,
    listwise = one(na.omit(keyed[, items])),
    pairwise = one(keyed[, items])
  )
}
# ten items with missing answers (pairwise polychorics; the matrix of psych::omega(x, poly = TRUE))
ten <- c(scales$C, scales$E)
out$bfi$ten <- list(items = ten, pairwise = one(keyed[, ten]))

# --- the synthetic study: one case's encoded five-point items (reverse-keyed items already reversed)
constructs <- list(
  plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN", rules = "RUL",
  warning = "WRN", response = "RSP", information = "INF", participation = "SOC", recovery = "REC",
  effectiveness = "EFF"
)
d <- read.csv(file.path("analysis", "wencheng", "results", "encoded.csv"), check.names = FALSE)
out$synthetic <- list(case = "wencheng", scales = list())
for (s in names(constructs)) {
  cols <- paste0(constructs[[s]], 1:4)
  x <- na.omit(d[, cols])
  pc <- q(psych::polychoric(x))
  a <- q(psych::alpha(pc$rho, check.keys = FALSE))
  om1 <- q(psych::omega(x, nfactors = 1, poly = TRUE, plot = FALSE))
  out$synthetic$scales[[s]] <- list(
    items = cols,
    n = nrow(x),
    ordinal_alpha = a$total$raw_alpha,          # psych::alpha(psych::polychoric(na.omit(x))$rho)$total$raw_alpha
    ordinal_omega_total = om1$omega.tot         # psych::omega(na.omit(x), nfactors = 1, poly = TRUE)$omega.tot
  )
}
all_items <- unlist(lapply(constructs, function(p) paste0(p, 1:4)), use.names = FALSE)
out$synthetic$rho_all <- unname(q(psych::polychoric(d[, all_items]))$rho)  # psych::polychoric(items)$rho (48 items, pairwise)
out$synthetic$items_all <- all_items

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/ordinal_reliability.json")
