# Reference values for emstudy/steps/drivers_imputed.py (the ordinal model pooled over imputed sets) and
# emstudy/steps/compare_imputed.py (Welch comparisons pooled over them); tests/test_steps_drivers_imputed.py reads
# imputation_ordinal.json.
#
# Run from the repository root:  Rscript tests/reference/imputation_ordinal.R
# Produced with R 4.2.2, mice 3.15.0, MASS 7.3, jsonlite 1.8.4.
#
# Data: tests/reference/data/imputation_ordinal_sets.csv, in mice's long format (.imp = 0 the incomplete data, 1..5
# the completed sets, .id the row). Those sets are emstudy's own imputations (scikit-learn's IterativeImputer with
# posterior draws, seed 14, as emstudy.steps.drivers_imputed.imputed_models makes them: agree on consc, extra, neuro,
# open and gender, education an auxiliary column), written by `python tests/test_steps_drivers_imputed.py` from the
# bfi scale scores of models.R (first 400 rows with complete scales, gender and education; about 5% of the scale
# scores removed by a seeded draw). R does not impute here: it pools the same sets, so the comparison checks the
# per-set fits (polr, t.test) and Rubin's rules, nothing else.

suppressPackageStartupMessages({
  library(mice)
  library(MASS)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"
long <- read.csv(file.path(ref_dir, "data", "imputation_ordinal_sets.csv"), check.names = FALSE)
long$gender <- factor(long$gender)
imp <- as.mids(long, .imp = ".imp", .id = ".id")
stopifnot(imp$m == 5, nrow(imp$data) == 400)
out <- list(m = imp$m, n = nrow(imp$data), n_missing = as.list(colSums(is.na(imp$data))))

# ------------------------------------------------------------- polr on each set, mice::pool (as.mira)
# optim's default reltol (1e-8) stops polr about 1e-5 short of the optimum; a tight one brings it to where
# emstudy's Newton fit is, so that the comparison is of the pooling and not of two stopping rules
polr_fit <- function(d) {
  polr(factor(education, ordered = TRUE) ~ consc + extra + neuro + open, data = d, Hess = TRUE,
       control = list(reltol = 1e-15, maxit = 10000))
}
sets <- lapply(seq_len(imp$m), function(i) complete(imp, i))
fits <- lapply(sets, polr_fit)
pooled <- pool(as.mira(fits))
p <- pooled$pooled
out$ordinal_pool <- list(term = as.character(p$term), estimate = p$estimate, ubar = p$ubar, b = p$b, t = p$t,
                         dfcom = p$dfcom, df = p$df, riv = p$riv, lambda = p$lambda, fmi = p$fmi)
s <- summary(pooled)
out$ordinal_pool$std_error <- s$std.error
out$ordinal_pool$p_value <- s$p.value
out$polr_coef <- lapply(fits, function(f) unname(coef(f)))
out$polr_zeta <- lapply(fits, function(f) unname(f$zeta))
out$polr_se <- lapply(fits, function(f) unname(sqrt(diag(vcov(f)))))
model_vars <- na.omit(imp$data[, c("education", "consc", "extra", "neuro", "open")])
cc <- polr_fit(model_vars)
out$polr_complete_case <- list(coef = unname(coef(cc)), n = nrow(model_vars))

# ------------------------------------------------------------- Welch: each education level against the others
welch <- list(level = c(), variable = c(), qbar = c(), t = c(), dfcom = c(), df = c(), lambda = c(), fmi = c(),
              pvalue = c(), pvalue_holm = c())
for (a in sort(unique(imp$data$education))) {
  p_level <- c()
  for (v in c("agree", "consc")) {
    tt <- lapply(sets, function(d) t.test(d[[v]][d$education == a], d[[v]][d$education != a]))
    Q <- sapply(tt, function(x) unname(x$estimate[1] - x$estimate[2]))
    U <- sapply(tt, function(x) x$stderr^2)
    dfcom <- mean(sapply(tt, function(x) unname(x$parameter)))
    ps <- pool.scalar(Q, U, n = dfcom + 1, k = 1)
    lambda <- (1 + 1 / imp$m) * ps$b / ps$t
    pv <- 2 * pt(-abs(ps$qbar / sqrt(ps$t)), ps$df)
    welch$level <- c(welch$level, format(a)); welch$variable <- c(welch$variable, v)
    welch$qbar <- c(welch$qbar, ps$qbar); welch$t <- c(welch$t, ps$t); welch$dfcom <- c(welch$dfcom, dfcom)
    welch$df <- c(welch$df, ps$df); welch$lambda <- c(welch$lambda, lambda); welch$fmi <- c(welch$fmi, ps$fmi)
    welch$pvalue <- c(welch$pvalue, pv)
    p_level <- c(p_level, pv)
  }
  welch$pvalue_holm <- c(welch$pvalue_holm, p.adjust(p_level, "holm"))
}
out$welch <- welch
# the first set's Welch tests of agree, level by level (what the pooled statistics are made of)
t1 <- lapply(sort(unique(imp$data$education)), function(a) {
  t.test(sets[[1]]$agree[sets[[1]]$education == a], sets[[1]]$agree[sets[[1]]$education != a])
})
out$welch$set1_agree <- list(diff = sapply(t1, function(x) unname(x$estimate[1] - x$estimate[2])),
                             stderr = sapply(t1, function(x) x$stderr),
                             df = sapply(t1, function(x) unname(x$parameter)))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(ref_dir, "imputation_ordinal.json"))
