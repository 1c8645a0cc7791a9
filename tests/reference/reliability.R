# Reference values for emstudy/stats/reliability.py, omega.py, factorability.py, validity.py (tests/test_stats_*.py), computed with R psych, semTools and lavaan.
# Run from the repository root:  Rscript tests/reference/reliability.R
# Writes tests/reference/reliability.json and (if absent) tests/reference/data/bfi.csv and
# tests/reference/data/HolzingerSwineford1939.csv.
# Versions used for the committed JSON: see the *_version fields in it.
suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(lavaan)
  library(semTools)
  library(GPArotation)
  library(jsonlite)
})

out_dir <- "tests/reference"
bfi_path <- file.path(out_dir, "data", "bfi.csv")
hs_path <- file.path(out_dir, "data", "HolzingerSwineford1939.csv")
dir.create(dirname(bfi_path), showWarnings = FALSE, recursive = TRUE)
if (!file.exists(bfi_path)) {
  write.csv(psychTools::bfi, bfi_path, row.names = FALSE, na = "")
}
if (!file.exists(hs_path)) {
  write.csv(lavaan::HolzingerSwineford1939, hs_path, row.names = FALSE)
}
bfi <- read.csv(bfi_path)

# Reverse keying as in the psych documentation (bfi items are 1..6, so reverse is 7 - x).
reversed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
keyed <- bfi[, 1:25]
for (v in reversed) keyed[[v]] <- 7 - keyed[[v]]
scales <- list(A = paste0("A", 1:5), C = paste0("C", 1:5), E = paste0("E", 1:5),
               N = paste0("N", 1:5), O = paste0("O", 1:5))

res <- list()
res$psych_version <- as.character(packageVersion("psych"))
res$semTools_version <- as.character(packageVersion("semTools"))
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$GPArotation_version <- as.character(packageVersion("GPArotation"))
res$reversed <- reversed

q <- function(expr) suppressWarnings(suppressMessages(expr))

res$scales <- list()
for (s in names(scales)) {
  items <- scales[[s]]
  x <- keyed[complete.cases(keyed[, items]), items]        # listwise complete cases per scale
  a <- psych::alpha(x, check.keys = FALSE)
  ap <- psych::alpha(keyed[, items], check.keys = FALSE)   # psych default use = "pairwise" on all rows
  om1 <- q(psych::omega(x, nfactors = 1, plot = FALSE))
  om3 <- q(psych::omega(x, plot = FALSE))
  sh <- q(psych::splitHalf(x, check.keys = FALSE))
  res$scales[[s]] <- list(
    items = items,
    n = nrow(x),
    raw_alpha = a$total$raw_alpha,
    std_alpha = a$total$std.alpha,
    average_r = a$total$average_r,
    feldt_lower = a$feldt$lower.ci[[1]],
    feldt_upper = a$feldt$upper.ci[[1]],
    item_n = a$item.stats$n,
    item_mean = a$item.stats$mean,
    item_sd = a$item.stats$sd,
    r_drop = a$item.stats$r.drop,
    alpha_if_deleted_raw = a$alpha.drop$raw_alpha,
    alpha_if_deleted_std = a$alpha.drop$std.alpha,
    pairwise_raw_alpha = ap$total$raw_alpha,
    pairwise_std_alpha = ap$total$std.alpha,
    pairwise_r_drop = ap$item.stats$r.drop,
    pairwise_alpha_if_deleted_raw = ap$alpha.drop$raw_alpha,
    pairwise_nrow = nrow(keyed),
    omega_total_1f = om1$omega.tot,
    omega3_h = om3$omega_h,
    omega3_total = om3$omega.tot,
    split_max = sh$maxrb,
    split_min = sh$minrb,
    split_mean = sh$meanr,
    split_lambda2 = sh$lambda2,
    split_lambda6 = sh$lambda6,
    split_alpha = sh$alpha,
    kmo = psych::KMO(x)$MSA,
    # raw data with missing values (all rows): psych::KMO uses cor(., use = "pairwise")
    kmo_pairwise = psych::KMO(keyed[, items])$MSA
  )
}

# Omega on larger item sets, where a 3- or 5-factor solution is identified.
ace <- c(scales$A, scales$C, scales$E)
x <- keyed[complete.cases(keyed[, ace]), ace]
om <- q(psych::omega(x, nfactors = 3, plot = FALSE))
res$omega_ace <- list(items = ace, n = nrow(x), omega_h = om$omega_h, omega_total = om$omega.tot,
                      g_loadings = unname(om$schmid$sl[, "g"]))
all25 <- unlist(scales, use.names = FALSE)
x25 <- keyed[complete.cases(keyed[, all25]), all25]
om5 <- q(psych::omega(x25, nfactors = 5, plot = FALSE))
res$omega_all25 <- list(items = all25, n = nrow(x25), omega_h = om5$omega_h,
                        omega_total = om5$omega.tot)

# Split half with an even number of items (all distinct splits enumerated by psych).
ac <- c(scales$A, scales$C)
x <- keyed[complete.cases(keyed[, ac]), ac]
sh <- q(psych::splitHalf(x, check.keys = FALSE))
res$split_ac <- list(items = ac, n = nrow(x), max = sh$maxrb, min = sh$minrb, mean = sh$meanr,
                     lambda2 = sh$lambda2, lambda6 = sh$lambda6, alpha = sh$alpha)
a4 <- scales$A[1:4]
x <- keyed[complete.cases(keyed[, a4]), a4]
sh <- q(psych::splitHalf(x, check.keys = FALSE))
res$split_a4 <- list(items = a4, n = nrow(x), max = sh$maxrb, min = sh$minrb, mean = sh$meanr,
                     lambda2 = sh$lambda2, lambda6 = sh$lambda6, alpha = sh$alpha)

# KMO and Bartlett on all 25 keyed items, listwise complete cases.
k <- psych::KMO(x25)
b <- psych::cortest.bartlett(cor(x25), n = nrow(x25))
res$kmo25 <- list(n = nrow(x25), msa = k$MSA, msai = unname(k$MSAi))
res$bartlett25 <- list(n = nrow(x25), chisq = b$chisq, df = b$df, p = b$p.value)

# KMO and Bartlett on all 25 keyed items with the missing values kept (all 2800 rows): the pairwise
# policy. On raw data psych::KMO and psych::cortest.bartlett use cor(x, use = "pairwise") (each
# correlation with the means and SDs of the respondents answering both items); cortest.bartlett then
# takes n = nrow(x), whereas emstudy uses the smallest pairwise count, so both are recorded.
xp <- keyed[, all25]
kp <- psych::KMO(xp)
rp <- cor(xp, use = "pairwise")
n_pair_min <- min(psych::pairwiseCount(xp))
bp <- psych::cortest.bartlett(rp, n = n_pair_min)
bp_raw <- q(psych::cortest.bartlett(xp))
res$kmo25_pairwise <- list(nrow = nrow(xp), n_pair_min = n_pair_min, msa = kp$MSA, msai = unname(kp$MSAi))
res$bartlett25_pairwise <- list(n = n_pair_min, chisq = bp$chisq, df = bp$df, p = bp$p.value,
                                raw_nrow = nrow(xp), raw_chisq = bp_raw$chisq)

# HTMT on the five scales (semTools::htmt, listwise over the 25 items).
model <- paste(sapply(names(scales), function(s) paste(s, "=~", paste(scales[[s]], collapse = " + "))),
               collapse = "\n")
h_geo <- semTools::htmt(model, data = keyed)                    # semTools 0.5-6 default: htmt2 = TRUE
h_ari <- semTools::htmt(model, data = keyed, htmt2 = FALSE)      # arithmetic mean (HTMT of Henseler 2015)
res$htmt <- list(constructs = names(scales), geometric = unclass(unname(as.matrix(h_geo))),
                 arithmetic = unclass(unname(as.matrix(h_ari))))

# Composite reliability and AVE on Holzinger-Swineford (3-factor CFA).
HS <- read.csv(hs_path)
v <- paste0("x", 1:9)
hs_model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
fit <- lavaan::cfa(hs_model, data = HS)
# The same model fitted to the correlation matrix: its standardized loadings equal the raw fit's
# (ML is scale invariant), and its model-implied indicator variances are equal, so semTools with
# obs.var = FALSE returns exactly the standardized-loading formulas.
fit_r <- lavaan::cfa(hs_model, sample.cov = cor(HS[, v]), sample.nobs = nrow(HS))
ss <- lavaan::standardizedSolution(fit_r)
ss <- ss[ss$op == "=~", ]
pe <- lavaan::parameterEstimates(fit)
S <- lavInspect(fit, "sampstat")$cov
fac <- c("visual", "textual", "speed")
cfa_out <- list()
for (f in fac) {
  ind <- pe$rhs[pe$op == "=~" & pe$lhs == f]
  cfa_out[[f]] <- list(
    indicators = ind,
    std_loadings = ss$est.std[ss$lhs == f],
    loadings = pe$est[pe$op == "=~" & pe$lhs == f],
    residual_variances = sapply(ind, function(i) pe$est[pe$op == "~~" & pe$lhs == i & pe$rhs == i]),
    factor_variance = pe$est[pe$op == "~~" & pe$lhs == f & pe$rhs == f],
    observed_total_variance = sum(S[ind, ind]),
    observed_variances = unname(diag(S[ind, ind]))
  )
}
res$cfa <- list(
  model = hs_model,
  factors = cfa_out,
  # semTools::compRelSEM(fit_r, obs.var = FALSE) and semTools::AVE(fit_r, obs.var = FALSE)
  cr_std = as.list(compRelSEM(fit_r, obs.var = FALSE, return.df = FALSE)),
  ave_std = as.list(AVE(fit_r, obs.var = FALSE, return.df = FALSE)),
  # semTools defaults (obs.var = TRUE) on the raw-data fit
  cr_default = as.list(compRelSEM(fit, return.df = FALSE)),
  ave_default = as.list(AVE(fit, return.df = FALSE))
)

write_json(res, file.path(out_dir, "reliability.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
