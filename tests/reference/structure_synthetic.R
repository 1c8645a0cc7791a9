# Reference values for tests/test_steps_structure.py (notebook 03, the core CFA by FIML) on the synthetic Wencheng data.
# Run from the project root: Rscript tests/reference/structure_synthetic.R
# Reads analysis/wencheng/results/encoded.csv (written by notebook 01: kept respondents, reverse keys applied).
library(lavaan); library(jsonlite)
d <- read.csv("analysis/wencheng/results/encoded.csv", stringsAsFactors = FALSE)
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN",
            rules = "RUL", warning = "WRN", response = "RSP", information = "INF", participation = "SOC",
            recovery = "REC", effectiveness = "EFF")
model <- paste(sprintf("%s =~ %s", names(prefix),
                       sapply(prefix, function(p) paste0(p, 1:4, collapse = " + "))), collapse = "\n")
items <- unlist(lapply(prefix, function(p) paste0(p, 1:4)), use.names = FALSE)
x <- d[, items]
x <- x[rowSums(!is.na(x)) > 0, ]
ml <- cfa(model, data = x, missing = "ml")
mlr <- cfa(model, data = x, missing = "ml", estimator = "MLR")
measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "logl")
robust <- c("chisq.scaled", "chisq.scaling.factor", "cfi.robust", "rmsea.robust")
pe <- parameterEstimates(ml, standardized = TRUE)
pe <- pe[pe$op == "=~", ]
pr <- parameterEstimates(mlr)
pr <- pr[pr$op == "=~", ]
out <- list(
  n = lavInspect(ml, "nobs"),
  fit_ml = as.list(fitMeasures(ml, measures)),
  fit_mlr = as.list(fitMeasures(mlr, robust)),
  loadings = list(lhs = pe$lhs, rhs = pe$rhs, est = pe$est, se = pe$se, std_all = pe$std.all, se_mlr = pr$se),
  converged = lavInspect(ml, "converged"),
  calls = list(
    ml = "cfa(<12 constructs =~ their 4 items>, data = x, missing = 'ml'); x = the 48 items of the respondents who answered any",
    mlr = "cfa(..., missing = 'ml', estimator = 'MLR')",
    fit = "fitMeasures(fit, c('chisq', 'df', 'pvalue', 'cfi', 'tli', 'rmsea', 'rmsea.ci.lower', 'rmsea.ci.upper', 'srmr', 'logl'))",
    loadings = "parameterEstimates(fit, standardized = TRUE)[op == '=~', c('est', 'se', 'std.all')]"))
write_json(out, "tests/reference/structure_synthetic.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
