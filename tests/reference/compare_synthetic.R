# Reference values for tests/test_steps_compare.py: cross-case comparison on the encoded synthetic study.
# Run from the project root: Rscript tests/reference/compare_synthetic.R
# Reads analysis/<case>/results/encoded.csv (written by notebook 01; items reverse-keyed), builds construct
# scores as emstudy does (mean of the answered items when at least 3 of the 4 are answered).
suppressPackageStartupMessages({library(jsonlite); library(lme4)})
cases <- c("chaoyang", "h_district", "wencheng", "xilinguole", "yima")
prefix <- c(training = "TRN", warning = "WRN", response = "RSP", organisation = "ORG",
            information = "INF", effectiveness = "EFF")
score <- function(d, p) {
  cols <- paste0(p, 1:4)
  m <- rowMeans(d[, cols], na.rm = TRUE)
  m[rowSums(!is.na(d[, cols])) < 3] <- NA
  m
}
parts <- lapply(cases, function(cid) {
  d <- read.csv(file.path("analysis", cid, "results", "encoded.csv"), colClasses = c(respondent_id = "character"))
  out <- data.frame(case = rep(cid, nrow(d)))
  for (k in names(prefix)) out[[k]] <- score(d, prefix[[k]])
  out
})
all <- do.call(rbind, parts)
all$case <- factor(all$case, levels = cases)

games_howell <- function(y, g) {
  ok <- !is.na(y); y <- y[ok]; g <- droplevels(g[ok])
  lev <- levels(g); k <- length(lev)
  n <- tapply(y, g, length); m <- tapply(y, g, mean); v <- tapply(y, g, var)
  rows <- list()
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    a <- v[i] / n[i]; b <- v[j] / n[j]
    se <- sqrt((a + b) / 2)
    df <- (a + b)^2 / (a^2 / (n[i] - 1) + b^2 / (n[j] - 1))
    diff <- m[j] - m[i]
    q <- abs(diff) / se
    crit <- qtukey(0.95, k, df)
    rows[[length(rows) + 1]] <- list(pair = paste0(lev[j], "-", lev[i]), diff = unname(diff), se = unname(se),
                                     q = unname(q), df = unname(df),
                                     p_adj = unname(ptukey(q, k, df, lower.tail = FALSE)),
                                     ci_lower = unname(diff - crit * se), ci_upper = unname(diff + crit * se))
  }
  rows
}

out <- list(n = nrow(all), welch = list(), games_howell = list(), one_vs_rest = list())
for (k in c("training", "warning")) {
  w <- oneway.test(as.formula(paste(k, "~ case")), data = all, var.equal = FALSE)
  out$welch[[k]] <- list(F = unname(w$statistic), df1 = unname(w$parameter[1]), df2 = unname(w$parameter[2]),
                         p = w$p.value)
  out$games_howell[[k]] <- games_howell(all[[k]], all$case)
}
# one case against the others pooled, two-sided Welch t test
for (cid in c("yima", "chaoyang")) {
  x <- all$warning
  t <- t.test(x[all$case == cid], x[all$case != cid], var.equal = FALSE)
  out$one_vs_rest[[cid]] <- list(construct = "warning", t = unname(t$statistic), df = unname(t$parameter),
                                 p = t$p.value)
}
fit <- lmer(effectiveness ~ response + organisation + information + (1 | case), data = all, REML = TRUE)
fe <- fixef(fit)
out$lmer <- list(formula = "effectiveness ~ response + organisation + information + (1 | case)",
                 coef = as.list(fe), se = as.list(sqrt(diag(as.matrix(vcov(fit))))),
                 var_case = as.data.frame(VarCorr(fit))$vcov[1], sigma2 = sigma(fit)^2,
                 singular = isSingular(fit), n = nobs(fit))
write_json(out, "tests/reference/compare_synthetic.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
