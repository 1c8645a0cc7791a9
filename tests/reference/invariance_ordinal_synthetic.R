# Reference values for tests/test_steps_compare_ordinal.py: the ordinal (WLSMV) invariance of the whole instrument
# across the five synthetic cases, as emstudy.steps.compare_ordinal fits it for notebook 05.
# Run from the project root (lavaan 0.6.14):
#   Rscript tests/reference/invariance_ordinal_synthetic.R      (rewrites invariance_ordinal_synthetic.json)
# Mind the BLAS: the three fits multiply matrices of about 6,600 x 6,600. With R's reference BLAS (Debian's default)
# the script had not finished after 122 CPU minutes. The committed JSON was written on 2 cores in 9.4 minutes (12 CPU
# minutes) with Debian's OpenBLAS (apt-get install libopenblas0-pthread) and OPENBLAS_CORETYPE=SkylakeX set for
# this run only (OpenBLAS 0.3.21 did not recognise the CPU and fell back to its SSE3 kernels, 4 to 8 times slower).
# Reads analysis/<case>/results/encoded.csv (written by notebook 01; items reverse-keyed, item non-response left
# empty). Respondents with at least one answer enter (missing = "pairwise"); the group order is the cases' order.
# An answer category that some case never chose is merged into its neighbour towards the middle of the item's
# observed categories, in every case (lavaan cannot equate thresholds otherwise); this is done here on its own,
# not by reading what the Python step merged, and the merges are written beside the fits.
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
cases <- c("chaoyang", "h_district", "wencheng", "xilinguole", "yima")
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN", rules = "RUL",
            warning = "WRN", response = "RSP", information = "INF", participation = "SOC", recovery = "REC",
            effectiveness = "EFF")
items <- paste0(rep(unname(prefix), each = 4), 1:4)
model <- paste(sapply(names(prefix), function(k) paste0(k, " =~ ", paste0(prefix[[k]], 1:4, collapse = " + "))),
               collapse = "\n")
all <- do.call(rbind, lapply(cases, function(cid) {
  d <- read.csv(file.path("analysis", cid, "results", "encoded.csv"), colClasses = c(respondent_id = "character"))
  d <- d[, items]
  d$case <- cid
  d
}))
all <- all[rowSums(!is.na(all[, items])) > 0, ]

merges <- list()
for (it in items) {
  repeat {
    tab <- table(factor(all$case, levels = cases), all[[it]])
    cats <- as.numeric(colnames(tab))
    empty <- cats[colSums(tab == 0) > 0]
    if (length(empty) == 0 || length(cats) <= 2) break
    k <- match(empty[1], cats)
    into <- if (k - 1 < (length(cats) - 1) / 2) cats[k + 1] else cats[k - 1]
    all[[it]][!is.na(all[[it]]) & all[[it]] == empty[1]] <- into
    merges[[length(merges) + 1]] <- list(item = it, category = empty[1], merged_into = into)
  }
}

measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "cfi", "tli", "rmsea", "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr")
levels_equal <- list(configural = "", thresholds = "thresholds", `thresholds+loadings` = c("thresholds", "loadings"))
fits <- lapply(levels_equal, function(eq) {
  cfa(model, data = all, group = "case", group.label = cases, ordered = items, estimator = "WLSMV",
      missing = "pairwise", group.equal = eq)
})
# The fits are written first (lavTestLRT takes as long again), then the file is rewritten with the difference tests.
json_path <- "tests/reference/invariance_ordinal_synthetic.json"
out <- list(
  merges = merges,
  ntotal = lavInspect(fits$configural, "ntotal"),
  fit = lapply(fits, function(f) as.list(fitMeasures(f, measures))),
  converged = lapply(fits, function(f) lavInspect(f, "converged"))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), json_path)
lrt_row <- function(a, b) as.list(lavTestLRT(a, b)[2, c("Chisq diff", "Df diff", "Pr(>Chisq)")])
out$lrt <- list(
  thresholds = lrt_row(fits$configural, fits$thresholds),
  `thresholds+loadings` = lrt_row(fits$thresholds, fits$`thresholds+loadings`)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), json_path)
