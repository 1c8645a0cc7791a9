# Reference values for modification indices of ordered-item (WLSMV) fits (issue 15; emstudy.stats.modindices),
# computed with R lavaan. Run from the repository root:  Rscript tests/reference/modindices_wlsmv.R
# Reads tests/reference/data/bfi.csv (psychTools bfi, written by tests/reference/reliability.R), the model and
# data of tests/reference/wlsmv.R (items A1-A5, C1-C5 as in the file, complete rows); writes
# tests/reference/modindices_wlsmv.json: modindices(fit, sort. = TRUE) and parameterEstimates(fit)$est of each fit.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

bfi <- read.csv("tests/reference/data/bfi.csv")
items <- c(paste0("A", 1:5), paste0("C", 1:5))
model <- "
  agree =~ A1 + A2 + A3 + A4 + A5
  consc =~ C1 + C2 + C3 + C4 + C5
"
x1 <- bfi[complete.cases(bfi[, items]), items]
g <- bfi[, c(items, "gender")]
g <- g[complete.cases(g), ]
g$gender <- ifelse(g$gender == 1, "male", "female")

export <- function(fit, call) {
  mi <- modindices(fit, sort. = TRUE)
  pe <- parameterEstimates(fit, remove.nonfree = FALSE)
  list(
    call = call,
    nobs = as.list(lavInspect(fit, "nobs")),
    mi = list(lhs = mi$lhs, op = mi$op, rhs = mi$rhs,
              group = if (is.null(mi$group)) rep(1L, nrow(mi)) else mi$group,
              mi = mi$mi, epc = mi$epc, sepc.lv = mi$sepc.lv, sepc.all = mi$sepc.all),
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                     group = if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group, est = pe$est)
  )
}

out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  data = "tests/reference/data/bfi.csv: items A1-A5, C1-C5 (raw, not reverse keyed), complete rows only",
  model = model,
  fits = list()
)
fit <- cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV")
out$fits$single_delta <- export(fit, "modindices(cfa(model, data = x1, ordered = TRUE, estimator = 'WLSMV'), sort. = TRUE)")
fit <- cfa(model, data = x1, ordered = TRUE, estimator = "WLSMV", parameterization = "theta")
out$fits$single_theta <- export(fit, "modindices(cfa(model, data = x1, ordered = TRUE, estimator = 'WLSMV', parameterization = 'theta'), sort. = TRUE)")
fit <- cfa(model, data = x1, ordered = TRUE, estimator = "ULSMV")
out$fits$single_ulsmv <- export(fit, "modindices(cfa(model, data = x1, ordered = TRUE, estimator = 'ULSMV'), sort. = TRUE)")
fit <- cfa(model, data = g, ordered = items, estimator = "WLSMV", group = "gender")
out$fits$groups_delta <- export(fit, "modindices(cfa(model, data = g, ordered = items, estimator = 'WLSMV', group = 'gender'), sort. = TRUE); g = complete rows of items + gender, gender 1 = 'male', 2 = 'female'")
out$fits$groups_delta$group_labels <- lavInspect(fit, "group.label")
write_json(out, "tests/reference/modindices_wlsmv.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
