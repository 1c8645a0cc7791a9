# Reference values for tests/test_steps_compare_invariance.py: measurement invariance of the instrument across
# the five synthetic cases by FIML with MLR, as emstudy.steps.compare_invariance fits it.
# Run from the project root:
#   Rscript tests/reference/invariance_synthetic.R        (rewrites invariance_synthetic.json; a few minutes)
#   Rscript tests/reference/invariance_synthetic.R full   (rewrites invariance_synthetic_full.json; lavaan needs
#                                                          about an hour of CPU for the three 48-item fits)
# Reads analysis/<case>/results/encoded.csv (written by notebook 01; items reverse-keyed, item non-response
# left empty). Every respondent enters (missing = "ml", i.e. FIML); the group order is the cases' order.
# Two models: "sub" (training, warning, effectiveness; fast, for the unit tests) and "full" (the whole
# instrument: the 11 core constructs and the outcome, 48 items; checks the committed study output).
args <- commandArgs(trailingOnly = TRUE)
part <- if (length(args) > 0) args[1] else "sub"
stopifnot(part %in% c("sub", "full"))
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
cases <- c("chaoyang", "h_district", "wencheng", "xilinguole", "yima")
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN", rules = "RUL",
            warning = "WRN", response = "RSP", information = "INF", participation = "SOC", recovery = "REC",
            effectiveness = "EFF")
syntax <- function(constructs) {
  paste(sapply(constructs, function(k) paste0(k, " =~ ", paste0(prefix[[k]], 1:4, collapse = " + "))),
        collapse = "\n")
}
parts <- lapply(cases, function(cid) {
  d <- read.csv(file.path("analysis", cid, "results", "encoded.csv"), colClasses = c(respondent_id = "character"))
  d <- d[, paste0(rep(unname(prefix), each = 4), 1:4)]
  d$case <- cid
  d
})
all <- do.call(rbind, parts)

measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "cfi", "tli", "rmsea", "srmr", "cfi.scaled", "rmsea.scaled", "cfi.robust", "tli.robust",
              "rmsea.robust", "logl", "aic", "bic", "ntotal")
levels_equal <- list(configural = "none", metric = "loadings", scalar = c("loadings", "intercepts"))

invariance_ref <- function(constructs) {
  model <- syntax(constructs)
  fits <- lapply(levels_equal, function(eq) {
    cfa(model, data = all, group = "case", group.label = cases, missing = "ml", estimator = "MLR",
        group.equal = eq)
  })
  out <- list(model = model, constructs = constructs, levels = list(), lrt = list())
  for (lv in names(fits)) {
    fm <- fitMeasures(fits[[lv]], measures)
    out$levels[[lv]] <- as.list(setNames(unname(fm), names(fm)))
  }
  # scaled chi-square difference (Satorra & Bentler 2001), lavaan's default for MLR
  for (pair in list(c("metric", "configural"), c("scalar", "metric"))) {
    t <- lavTestLRT(fits[[pair[2]]], fits[[pair[1]]], method = "satorra.bentler.2001")
    out$lrt[[pair[1]]] <- list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"],
                               pvalue_diff = t[2, "Pr(>Chisq)"])
  }
  pe <- parameterEstimates(fits$scalar)
  means <- pe[pe$op == "~1" & pe$lhs %in% constructs & pe$group > 1, ]
  var1 <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% constructs & pe$group == 1, ]
  sd1 <- setNames(sqrt(var1$est), var1$lhs)
  out$latent_means <- lapply(seq_len(nrow(means)), function(i) {
    r <- means[i, ]
    list(construct = r$lhs, case = cases[r$group], est = r$est, se = r$se, z = r$z, pvalue = r$pvalue,
         ci_lower = r$ci.lower, ci_upper = r$ci.upper, sd_reference = unname(sd1[r$lhs]),
         std_est = r$est / unname(sd1[r$lhs]))
  })
  out
}

out <- list(
  call = paste("cfa(model, data = all, group = 'case', group.label = cases, missing = 'ml', estimator = 'MLR',",
               "group.equal = ...); lavTestLRT(..., method = 'satorra.bentler.2001')"),
  n = nrow(all)
)
if (part == "sub") {
  out$sub <- invariance_ref(c("training", "warning", "effectiveness"))
  path <- "tests/reference/invariance_synthetic.json"
} else {
  out$full <- invariance_ref(names(prefix))
  path <- "tests/reference/invariance_synthetic_full.json"
}
write_json(out, path, digits = NA, auto_unbox = TRUE, pretty = TRUE)
