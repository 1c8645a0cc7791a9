# Reference values for tests/test_steps_drivers.py (notebook 04, case drivers) on the synthetic Wencheng data.
# Run from the project root: Rscript tests/reference/drivers_synthetic.R
# Reads analysis/wencheng/results/encoded.csv (written by notebook 01: kept respondents, reverse keys applied).
library(sandwich); library(MASS); library(jsonlite)
d <- read.csv("analysis/wencheng/results/encoded.csv", stringsAsFactors = FALSE)
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN",
            rules = "RUL", warning = "WRN", response = "RSP", information = "INF", participation = "SOC",
            recovery = "REC", effectiveness = "EFF")
# construct score = mean of the construct's 4 items when at least 3 are answered (emstudy.encode.construct_scores)
for (cn in names(prefix)) {
  block <- d[, paste0(prefix[[cn]], 1:4)]
  s <- rowMeans(block, na.rm = TRUE)
  s[rowSums(!is.na(block)) < 3] <- NA
  d[[cn]] <- s
}
core <- names(prefix)[1:11]
d$role <- factor(d$role, levels = c("res", "ent", "gov"))
f <- as.formula(paste("effectiveness ~", paste(core, collapse = " + "), "+ role"))
m <- lm(f, data = d)
V <- vcovHC(m, type = "HC3")
ols <- list(terms = names(coef(m)), coef = unname(coef(m)), se = unname(sqrt(diag(V))),
            r2 = summary(m)$r.squared, n = nobs(m), df_resid = m$df.residual)
fo <- as.formula(paste("factor(overall, ordered = TRUE) ~", paste(core, collapse = " + ")))
p <- polr(fo, data = d, Hess = TRUE)
vp <- vcov(p)
polr_out <- list(terms = names(coef(p)), coef = unname(coef(p)), se = unname(sqrt(diag(vp))[names(coef(p))]),
                 zeta = unname(p$zeta), zeta_se = unname(sqrt(diag(vp))[names(p$zeta)]),
                 loglik = as.numeric(logLik(p)), n = p$n)
welch <- list()
for (cn in c("information", "response")) {
  w <- oneway.test(as.formula(paste(cn, "~ role")), data = d, var.equal = FALSE)
  welch[[cn]] <- list(F = unname(w$statistic), df1 = unname(w$parameter[1]), df2 = unname(w$parameter[2]),
                      p = w$p.value)
}
means <- list()
for (cn in c("information", "effectiveness")) {
  tt <- t.test(d[[cn]])
  means[[cn]] <- list(mean = unname(tt$estimate), ci = unname(as.numeric(tt$conf.int)), n = sum(!is.na(d[[cn]])))
}
out <- list(ols = ols, polr = polr_out, welch = welch, means = means,
            calls = list(ols = "lm(effectiveness ~ <11 constructs> + role) with sandwich::vcovHC(m, type = 'HC3'), role levels res, ent, gov",
                         polr = "MASS::polr(factor(overall, ordered = TRUE) ~ <11 constructs>, Hess = TRUE)",
                         welch = "oneway.test(<construct> ~ role, var.equal = FALSE)",
                         means = "t.test(d$<construct>)$conf.int"))
write_json(out, "tests/reference/drivers_synthetic.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
