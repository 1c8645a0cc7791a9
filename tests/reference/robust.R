# Reference values for the robust (MLR) fit measures, multigroup MLR and the scaled chi-square difference test
# in emstudy.stats.cfa (tests/test_stats_cfa_robust.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/robust.R
# Writes tests/reference/robust.json. Data: HolzingerSwineford1939 (HS), the same with about 10% of x1-x9
# removed by the seeded MCAR draw of tests/reference/fiml.R (hs_missing.csv, HSm), PoliticalDemocracy (PD).
#
# FIML fits use em.h1.tol = 1e-10 (lavaan's default EM for the saturated model stops at about 4e-6 in the
# moments, which moves the FIML-corrected robust indices of Zhang & Savalei by about 1e-6; the chi-squares
# and estimates do not depend on it beyond 1e-8). Everything else is lavaan's default.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_dir <- "tests/reference"
HS <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939.csv"))
HSm <- read.csv(file.path(out_dir, "data", "hs_missing.csv"))
PD <- read.csv(file.path(out_dir, "data", "PoliticalDemocracy.csv"))

HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
PD.model <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
"

fm_names <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "rmsea",
              "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl", "aic", "bic",
              "chisq.scaled", "pvalue.scaled", "chisq.scaling.factor",
              "baseline.chisq.scaled", "baseline.pvalue.scaled", "baseline.chisq.scaling.factor",
              "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
              "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust")

fit_info <- function(fit) {
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit)
  if (!"group" %in% names(pe)) pe$group <- 1L
  fm_out <- as.list(fm[fm_names])  # NA where lavaan does not report the measure
  names(fm_out) <- fm_names
  list(
    fit = fm_out,
    estimates = pe[, c("lhs", "op", "rhs", "group", "est", "se")],
    options = lavInspect(fit, "options")[c("information", "observed.information", "h1.information", "test", "se")],
    converged = lavInspect(fit, "converged")
  )
}
lrt <- function(...) {
  tab <- lavTestLRT(...)
  attr_method <- attr(tab, "heading")
  out <- as.data.frame(tab)
  names(out) <- c("df", "aic", "bic", "chisq", "chisq_diff", "df_diff", "pvalue_diff")
  list(table = out, heading = attr_method)
}

res <- list()
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$hs_model <- HS.model
res$pd_model <- PD.model

# complete data, listwise (no missing values)
# cfa(HS.model, data = HS, estimator = "MLR")
res$single <- fit_info(cfa(HS.model, data = HS, estimator = "MLR"))
# cfa(HS.model, data = HS, estimator = "MLR", group = "school")
configural <- cfa(HS.model, data = HS, estimator = "MLR", group = "school")
res$groups <- fit_info(configural)
# cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = "loadings")
metric <- cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = "loadings")
res$metric <- fit_info(metric)
# cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = c("loadings", "intercepts"))
scalar <- cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = c("loadings", "intercepts"))
res$scalar <- fit_info(scalar)
# cfa(..., group.equal = c("loadings", "intercepts"), group.partial = c("x3~1", "x7~1"))
partial <- cfa(HS.model, data = HS, estimator = "MLR", group = "school", group.equal = c("loadings", "intercepts"),
               group.partial = c("x3~1", "x7~1"))
res$partial <- fit_info(partial)
# lavTestLRT(configural, metric, scalar)   (method "satorra.bentler.2001", the default for MLR)
res$lrt <- lrt(configural, metric, scalar)
# lavTestLRT(metric, partial)
res$lrt_partial <- lrt(metric, partial)
# lavTestLRT(configural, scalar, method = "satorra.bentler.2001")
res$lrt_skip <- lrt(configural, scalar, method = "satorra.bentler.2001")
# sem(PD.model, data = PD, estimator = "MLR")
res$pd <- fit_info(sem(PD.model, data = PD, estimator = "MLR"))

# FIML (missing = "ml"), EM of the saturated model to 1e-10
fiml <- function(...) cfa(HS.model, data = HSm, missing = "ml", em.h1.tol = 1e-10, em.h1.iter.max = 100000L, ...)
# cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", em.h1.tol = 1e-10)
res$fiml <- fit_info(fiml(estimator = "MLR"))
# cfa(HS.model, data = HSm, missing = "ml", em.h1.tol = 1e-10)   (ML: lavaan reports the robust indices too)
res$fiml_ml <- fit_info(fiml())
# cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school", em.h1.tol = 1e-10)
fconf <- fiml(estimator = "MLR", group = "school")
res$fiml_groups <- fit_info(fconf)
# cfa(HS.model, data = HSm, missing = "ml", group = "school", em.h1.tol = 1e-10)
res$fiml_groups_ml <- fit_info(fiml(group = "school"))
# cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school", group.equal = "loadings", ...)
fmetric <- fiml(estimator = "MLR", group = "school", group.equal = "loadings")
res$fiml_metric <- fit_info(fmetric)
# cfa(..., group.equal = c("loadings", "intercepts"), ...)
fscalar <- fiml(estimator = "MLR", group = "school", group.equal = c("loadings", "intercepts"))
res$fiml_scalar <- fit_info(fscalar)
# lavTestLRT(fconf, fmetric, fscalar)
res$fiml_lrt <- lrt(fconf, fmetric, fscalar)

write_json(res, file.path(out_dir, "robust.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", file.path(out_dir, "robust.json"), "\n")
