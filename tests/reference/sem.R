# Reference values for emstudy.stats.sem (tests/test_stats_sem.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/sem.R
# Writes tests/reference/sem.json and (if absent) tests/reference/data/PoliticalDemocracy.csv
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_dir <- "tests/reference"
csv_path <- file.path(out_dir, "data", "PoliticalDemocracy.csv")
dir.create(dirname(csv_path), showWarnings = FALSE, recursive = TRUE)
if (!file.exists(csv_path)) {
  write.csv(lavaan::PoliticalDemocracy, csv_path, row.names = FALSE)
}
PD <- read.csv(csv_path)

# lavaan's tutorial model (Bollen 1989), with labels on the regressions and defined effects
model <- "
  # measurement model
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  # regressions
  dem60 ~ a*ind60
  dem65 ~ c*ind60 + b*dem60
  # residual covariances
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  # defined parameters: ind60 -> dem60 -> dem65
  ind := a*b
  total := c + a*b
"

# the tutorial's equality constraints by shared labels
model_eq <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + d1*y2 + d2*y3 + d3*y4
  dem65 =~ y5 + d1*y6 + d2*y7 + d3*y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
"

# NA* frees the marker, a fixed variance and a fixed loading; an observed outcome of a regression
model_fixed <- "
  ind60 =~ NA*x1 + x2 + 0.8*x3
  ind60 ~~ 1*ind60
  dem60 =~ y1 + y2 + y3 + y4
  dem60 ~ ind60
  y5 ~ dem60
"

# observed variables only in regressions (a path model with exogenous covariates, fixed.x = TRUE)
model_path <- "
  dem60 =~ y1 + y2 + y3 + y4
  dem60 ~ x1 + x2
  y5 ~ dem60 + x1
"

# two endogenous latents that do not predict each other (is their residual covariance free by default?)
model_twoy <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ ind60
  dem65 ~ ind60
"

# an intercept statement turns on the mean structure (all intercepts free, latent means 0)
model_int <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem60 ~ a*ind60
  y1 ~ 1
  x1 ~ i1*1
"

# two groups (HolzingerSwineford1939 by school): a label shared by the groups makes the path equal
HS <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939.csv"))
model_mg <- "
  visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
  speed ~ visual + b*textual
  x4 ~~ x7
"

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
              "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic",
              "ntotal", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr")

fit_info <- function(fit) {
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit, standardized = TRUE)
  keep <- c("lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper",
            "std.lv", "std.all")
  if (!"label" %in% names(pe)) pe$label <- ""
  list(fit = as.list(fm[fm_names]), estimates = pe[, intersect(keep, names(pe))],
       converged = lavInspect(fit, "converged"), n = lavInspect(fit, "nobs"))
}

res <- list()
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$model <- model
res$model_eq <- model_eq
res$model_fixed <- model_fixed
res$model_path <- model_path
res$model_twoy <- model_twoy
res$model_int <- model_int
res$model_mg <- model_mg

# sem(model, data = PD)
res$ml <- fit_info(sem(model, data = PD))
# sem(model, data = PD, std.lv = TRUE)
res$ml_stdlv <- fit_info(sem(model, data = PD, std.lv = TRUE))
# sem(model_eq, data = PD)
res$eq <- fit_info(sem(model_eq, data = PD))
# sem(model_fixed, data = PD)
res$fixed <- fit_info(sem(model_fixed, data = PD))
# sem(model_path, data = PD)
res$path <- fit_info(sem(model_path, data = PD))
# sem(model_twoy, data = PD)
res$twoy <- fit_info(sem(model_twoy, data = PD))
# sem(model_int, data = PD)
res$int <- fit_info(sem(model_int, data = PD))
# sem(model_mg, data = HS, group = "school")
fit_mg <- sem(model_mg, data = HS, group = "school")
res$mg <- fit_info(fit_mg)
res$mg$estimates$group <- parameterEstimates(fit_mg)$group
res$mg$group_labels <- lavInspect(fit_mg, "group.label")

# sem(model, data = PD, estimator = "MLR")
fit_mlr <- sem(model, data = PD, estimator = "MLR")
fm <- fitMeasures(fit_mlr)
pe <- parameterEstimates(fit_mlr)
res$mlr <- list(
  fit = as.list(fm[c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled")]),
  estimates = pe[pe$op != "~1", intersect(c("lhs", "op", "rhs", "label", "est", "se"), names(pe))]
)

writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           file.path(out_dir, "sem.json"))
