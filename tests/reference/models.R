# Reference values for emstudy/stats/regression.py, pooled.py, groups.py, multitest.py (tests/test_stats_regression.py, test_stats_pooled.py, test_stats_groups.py read models.json).
#
# Run from the repository root:  Rscript tests/reference/models.R
# Produced with R 4.2.2, psychTools 2.2.9, sandwich 3.0.2, MASS 7.3-58.2, lme4 1.1-31, jsonlite 1.8.4.
#
# Data: psychTools::bfi (2800 rows, 28 columns), written to tests/reference/data/bfi.csv if that file does
# not exist yet (another reference script may already have written the identical file).
#
# Scale scores (row means of the available items, as pandas' DataFrame.mean(axis=1) does):
#   agree = A1r, A2..A5; consc = C1..C3, C4r, C5r; extra = E1r, E2r, E3..E5;
#   neuro = N1..N5; open = O1, O2r, O3, O4, O5r; reversed items are 7 - x (items are 1..6).

suppressPackageStartupMessages({
  library(psychTools)
  library(jsonlite)
  library(sandwich)
  library(MASS)
  library(lme4)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"
data_dir <- file.path(ref_dir, "data")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)
bfi_csv <- file.path(data_dir, "bfi.csv")
if (!file.exists(bfi_csv)) {
  write.csv(psychTools::bfi, bfi_csv, row.names = FALSE, na = "")
}
bfi <- read.csv(bfi_csv)
stopifnot(nrow(bfi) == 2800, ncol(bfi) == 28)

r <- function(x) 7 - x
d <- data.frame(
  agree = rowMeans(cbind(r(bfi$A1), bfi$A2, bfi$A3, bfi$A4, bfi$A5), na.rm = TRUE),
  consc = rowMeans(cbind(bfi$C1, bfi$C2, bfi$C3, r(bfi$C4), r(bfi$C5)), na.rm = TRUE),
  extra = rowMeans(cbind(r(bfi$E1), r(bfi$E2), bfi$E3, bfi$E4, bfi$E5), na.rm = TRUE),
  neuro = rowMeans(cbind(bfi$N1, bfi$N2, bfi$N3, bfi$N4, bfi$N5), na.rm = TRUE),
  open = rowMeans(cbind(bfi$O1, r(bfi$O2), bfi$O3, bfi$O4, r(bfi$O5)), na.rm = TRUE),
  gender = bfi$gender,
  education = bfi$education
)
d[is.na(as.matrix(d))] <- NA  # NaN from all-missing rows -> NA
out <- list()
out$scale_means <- lapply(d[c("agree", "consc", "extra", "neuro", "open")], mean, na.rm = TRUE)

# ---------------------------------------------------------------- group comparison: agree by education
g <- d[!is.na(d$education) & !is.na(d$agree), c("agree", "education")]
g$education <- factor(g$education)
out$groups <- list(n = nrow(g), n_per_group = as.list(table(g$education)))

# Welch's ANOVA: oneway.test(var.equal = FALSE)
w <- oneway.test(agree ~ education, data = g, var.equal = FALSE)
out$welch <- list(F = unname(w$statistic), df1 = unname(w$parameter[1]),
                  df2 = unname(w$parameter[2]), p = w$p.value)

# Classical ANOVA: aov + TukeyHSD
a <- aov(agree ~ education, data = g)
sa <- summary(a)[[1]]
out$anova <- list(F = sa[["F value"]][1], df1 = sa$Df[1], df2 = sa$Df[2], p = sa[["Pr(>F)"]][1],
                  ss_between = sa[["Sum Sq"]][1], ss_within = sa[["Sum Sq"]][2])
tk <- TukeyHSD(a, "education", conf.level = 0.95)$education
out$tukey <- list(pair = rownames(tk), diff = unname(tk[, "diff"]), lwr = unname(tk[, "lwr"]),
                  upr = unname(tk[, "upr"]), p_adj = unname(tk[, "p adj"]))

# Effect sizes from the one-way decomposition (k groups, N cases):
#   eta^2     = SSB / SST                               (Pearson; Kelley 1935)
#   epsilon^2 = (SSB - (k-1) MSW) / SST                 (Kelley 1935)
#   omega^2   = (SSB - (k-1) MSW) / (SST + MSW)         (Hays 1963)
#   epsilon^2_H = H / ((N^2 - 1) / (N + 1)) = H/(N-1)   (rank-based, Tomczak & Tomczak 2014)
k <- nlevels(g$education); N <- nrow(g)
ssb <- sa[["Sum Sq"]][1]; ssw <- sa[["Sum Sq"]][2]; sst <- ssb + ssw; msw <- ssw / (N - k)
out$effect_sizes <- list(eta_squared = ssb / sst,
                         epsilon_squared = (ssb - (k - 1) * msw) / sst,
                         omega_squared = (ssb - (k - 1) * msw) / (sst + msw))

# Kruskal-Wallis with tie correction
kw <- kruskal.test(agree ~ education, data = g)
out$kruskal <- list(H = unname(kw$statistic), df = unname(kw$parameter), p = kw$p.value)
out$effect_sizes$epsilon_squared_H <- unname(kw$statistic) / ((N^2 - 1) / (N + 1))

# Games-Howell (Games & Howell 1976), by hand from the formula, pairs in TukeyHSD order ("j-i", i < j):
#   diff = m_j - m_i;  se = sqrt((s_i^2/n_i + s_j^2/n_j) / 2)
#   df   = (s_i^2/n_i + s_j^2/n_j)^2 / ((s_i^2/n_i)^2/(n_i-1) + (s_j^2/n_j)^2/(n_j-1))
#   q = |diff| / se;  p = ptukey(q, k, df, lower.tail = FALSE);  CI = diff -/+ qtukey(.95, k, df) * se
m <- tapply(g$agree, g$education, mean); v <- tapply(g$agree, g$education, var)
n <- tapply(g$agree, g$education, length); lev <- levels(g$education)
gh <- list(pair = character(), diff = numeric(), se = numeric(), df = numeric(), q = numeric(),
           lwr = numeric(), upr = numeric(), p_adj = numeric())
for (i in 1:(k - 1)) for (j in (i + 1):k) {
  vi <- v[i] / n[i]; vj <- v[j] / n[j]
  dif <- unname(m[j] - m[i]); se <- unname(sqrt((vi + vj) / 2))
  df <- unname((vi + vj)^2 / (vi^2 / (n[i] - 1) + vj^2 / (n[j] - 1)))
  q <- abs(dif) / se; crit <- qtukey(0.95, k, df)
  gh$pair <- c(gh$pair, paste0(lev[j], "-", lev[i])); gh$diff <- c(gh$diff, dif)
  gh$se <- c(gh$se, se); gh$df <- c(gh$df, df); gh$q <- c(gh$q, q)
  gh$lwr <- c(gh$lwr, dif - crit * se); gh$upr <- c(gh$upr, dif + crit * se)
  gh$p_adj <- c(gh$p_adj, ptukey(q, k, df, lower.tail = FALSE))
}
out$games_howell <- gh

# Dunn (1964) with Holm (1979), by hand: mean ranks of the pooled sample (midranks for ties),
#   z = (Rbar_j - Rbar_i) / sqrt((N(N+1)/12 - sum(t^3 - t) / (12 (N-1))) * (1/n_i + 1/n_j))
#   p = 2 * pnorm(-|z|); p_adj = p.adjust(p, "holm")
rk <- rank(g$agree); rbar <- tapply(rk, g$education, mean)
ties <- table(g$agree); tc <- sum(ties^3 - ties) / (12 * (N - 1))
dn <- list(pair = character(), diff = numeric(), z = numeric(), p = numeric())
for (i in 1:(k - 1)) for (j in (i + 1):k) {
  z <- unname((rbar[j] - rbar[i]) / sqrt((N * (N + 1) / 12 - tc) * (1 / n[i] + 1 / n[j])))
  dn$pair <- c(dn$pair, paste0(lev[j], "-", lev[i])); dn$diff <- c(dn$diff, unname(rbar[j] - rbar[i]))
  dn$z <- c(dn$z, z); dn$p <- c(dn$p, 2 * pnorm(-abs(z)))
}
dn$p_adj <- p.adjust(dn$p, method = "holm")
out$dunn <- dn

# ---------------------------------------------------------------- OLS with HC3
dl <- d[complete.cases(d[c("agree", "consc", "extra", "neuro", "open", "gender")]), ]
dl$gender <- factor(dl$gender)
fit <- lm(agree ~ consc + extra + neuro + open + gender, data = dl)
V <- sandwich::vcovHC(fit, type = "HC3")
se <- sqrt(diag(V)); b <- coef(fit); tval <- b / se; dfr <- df.residual(fit)
crit <- qt(0.975, dfr)
# standardized betas: every numeric variable z-scored (sample SD); the dummy is left unstandardized
zs <- function(x) (x - mean(x)) / sd(x)
dz <- transform(dl, agree = zs(agree), consc = zs(consc), extra = zs(extra), neuro = zs(neuro),
                open = zs(open))
bz <- coef(lm(agree ~ consc + extra + neuro + open + gender, data = dz))
# VIF_j = 1 / (1 - R^2_j), R^2_j from regressing column j of the design (without intercept) on the others
X <- model.matrix(fit)[, -1]
vif <- sapply(colnames(X), function(cn) 1 / (1 - summary(lm(X[, cn] ~ X[, colnames(X) != cn]))$r.squared))
out$ols <- list(
  n = nobs(fit), term = names(b), coef = unname(b), se_hc3 = unname(se), t = unname(tval),
  p = unname(2 * pt(-abs(tval), dfr)), ci_lower = unname(b - crit * se), ci_upper = unname(b + crit * se),
  beta_std = unname(bz), vif = unname(vif), vif_term = names(vif),
  r2 = summary(fit)$r.squared, adj_r2 = summary(fit)$adj.r.squared, df_resid = dfr
)

# ---------------------------------------------------------------- proportional-odds logit (MASS::polr)
# logit P(Y <= k) = zeta_k - eta, eta = x'beta
# optim's default reltol (1e-8) stops about 1e-4 short of the maximum on the thresholds; the reference is the
# maximum-likelihood estimate itself, so polr is run to a tight tolerance (control is passed on to optim).
po <- d[complete.cases(d[c("education", "agree", "consc", "extra", "neuro", "open")]), ]
po$education <- factor(po$education, ordered = TRUE)
for (lnk in c("logistic", "probit")) {
  pf <- polr(education ~ agree + consc + extra + neuro + open, data = po, Hess = TRUE, method = lnk,
             control = list(reltol = 1e-14, maxit = 10000))
  vc <- vcov(pf)
  out[[paste0("polr_", lnk)]] <- list(
    n = nrow(po), term = names(coef(pf)), coef = unname(coef(pf)),
    se = unname(sqrt(diag(vc))[names(coef(pf))]),
    threshold = names(pf$zeta), zeta = unname(pf$zeta), zeta_se = unname(sqrt(diag(vc))[names(pf$zeta)]),
    loglik = as.numeric(logLik(pf))
  )
}

# ---------------------------------------------------------------- pooled models across groups (education)
pm <- d[complete.cases(d[c("agree", "consc", "education")]), ]
pm$education <- factor(pm$education)
mm <- lmer(agree ~ consc + (1 | education), data = pm, REML = TRUE)
vcm <- as.data.frame(VarCorr(mm))
out$lmer <- list(
  n = nrow(pm), term = names(fixef(mm)), coef = unname(fixef(mm)),
  se = unname(sqrt(diag(as.matrix(vcov(mm))))),
  var_group = vcm$vcov[vcm$grp == "education"], var_resid = vcm$vcov[vcm$grp == "Residual"],
  reml = as.numeric(REMLcrit(mm))
)
fe <- lm(agree ~ consc + education, data = pm)
Vf <- sandwich::vcovHC(fe, type = "HC3")
out$fixed_groups <- list(n = nobs(fe), term = names(coef(fe)), coef = unname(coef(fe)),
                         se_hc3 = unname(sqrt(diag(Vf))))

write_json(out, file.path(ref_dir, "models.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
