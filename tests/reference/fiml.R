# Reference values for FIML (missing = "ml") in emstudy.stats.cfa / emstudy.stats.sem
# (tests/test_stats_fiml.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/fiml.R
# Writes tests/reference/fiml.json and (if absent) tests/reference/data/hs_missing.csv and
# tests/reference/data/pd_missing.csv: HolzingerSwineford1939 and PoliticalDemocracy with about 10% of
# the model variables' cells removed by a seeded MCAR draw (each cell independently with probability 0.1).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_dir <- "tests/reference"
HS <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(out_dir, "data", "PoliticalDemocracy.csv"))

mcar <- function(df, vars, seed, prob = 0.1) {
  set.seed(seed)
  for (v in vars) {
    drop <- runif(nrow(df)) < prob
    df[drop, v] <- NA
  }
  df
}
hs_path <- file.path(out_dir, "data", "hs_missing.csv")
if (!file.exists(hs_path)) {
  write.csv(mcar(HS, paste0("x", 1:9), seed = 20261129), hs_path, row.names = FALSE, na = "")
}
pd_path <- file.path(out_dir, "data", "pd_missing.csv")
if (!file.exists(pd_path)) {
  write.csv(mcar(PD, c(paste0("y", 1:8), paste0("x", 1:3)), seed = 1129), pd_path, row.names = FALSE, na = "")
}
HSm <- read.csv(hs_path)
PDm <- read.csv(pd_path)

HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
PD.model <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ a*ind60
  dem65 ~ c*ind60 + b*dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  ind := a*b
"

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "baseline.pvalue",
              "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic", "ntotal", "bic2", "rmsea",
              "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr")
mlr_names <- c("chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor")

fit_info <- function(fit, robust = FALSE) {
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit, standardized = TRUE)
  if (!"label" %in% names(pe)) pe$label <- ""
  keep <- c("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "std.lv", "std.all")
  h1 <- lavInspect(fit, "sampstat")
  list(
    fit = as.list(fm[c(fm_names, if (robust) mlr_names)]),
    estimates = pe[, intersect(keep, names(pe))],
    information = fit@Options$information[1],
    converged = lavInspect(fit, "converged"),
    n = lavInspect(fit, "nobs"),
    npatterns = sapply(fit@Data@Mp, function(m) if (is.null(m)) 1L else m$npatterns),
    h1 = h1
  )
}

res <- list()
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$hs_model <- HS.model
res$pd_model <- PD.model
# cfa(HS.model, data = HSm, missing = "ml")
res$hs <- fit_info(cfa(HS.model, data = HSm, missing = "ml"))
# cfa(HS.model, data = HSm, missing = "ml", std.lv = TRUE)
res$hs_stdlv <- fit_info(cfa(HS.model, data = HSm, missing = "ml", std.lv = TRUE))
# cfa(HS.model, data = HS, missing = "ml")   (no missing values: the ML fit with a mean structure)
res$hs_complete <- fit_info(cfa(HS.model, data = HS, missing = "ml"))
# cfa(HS.model, data = HSm, missing = "ml", group = "school")
res$hs_groups <- fit_info(cfa(HS.model, data = HSm, missing = "ml", group = "school"))
# cfa(HS.model, data = HSm, missing = "ml", group = "school", group.equal = c("loadings", "intercepts"))
res$hs_scalar <- fit_info(cfa(HS.model, data = HSm, missing = "ml", group = "school",
                              group.equal = c("loadings", "intercepts")))
# cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR")
res$hs_mlr <- fit_info(cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR"), robust = TRUE)
# cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school")
res$hs_groups_mlr <- fit_info(cfa(HS.model, data = HSm, missing = "ml", estimator = "MLR", group = "school"),
                              robust = TRUE)
# sem(PD.model, data = PDm, missing = "ml")
res$pd <- fit_info(sem(PD.model, data = PDm, missing = "ml"))
# sem(HS.sem, data = HSm, missing = "ml", group = "school"): a regression with a label shared by the groups
HS.sem <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9; speed ~ b*visual"
res$hs_sem_model <- HS.sem
res$hs_sem_groups <- fit_info(sem(HS.sem, data = HSm, missing = "ml", group = "school"))
# sem(PD.model, data = PDm, missing = "ml", estimator = "MLR")
res$pd_mlr <- fit_info(sem(PD.model, data = PDm, missing = "ml", estimator = "MLR"), robust = TRUE)

write_json(res, file.path(out_dir, "fiml.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
cat("wrote", file.path(out_dir, "fiml.json"), "\n")
