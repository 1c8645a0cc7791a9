# Reference values for emstudy.stats.sem with groups (group.equal / group.partial, group-specific labels),
# MLR with groups, intercepts and a mean structure, se = "robust" / "bootstrap", and modindices() with groups,
# intercepts and observed regressors (tests/test_stats_sem.py, tests/test_stats_modindices.py,
# tests/test_stats_bootstrap.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/sem_groups.R
# Writes tests/reference/sem_groups.json. Reads the data written by cfa.R and sem.R.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_dir <- "tests/reference"
HS <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(out_dir, "data", "PoliticalDemocracy.csv"))

# HolzingerSwineford1939 by school: three factors, a structural path, a residual covariance
hs_model <- "
  visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
  speed ~ visual + textual
  x4 ~~ x7
"
# group-specific labels c(b1, b2) and a fixed value in one group only, with defined parameters
hs_labels <- "
  visual =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + c(NA, 0.8)*x8 + x9
  speed ~ c(b1, b2)*textual + c(v, v)*visual
  diff := b1 - b2
"
# a two-group path model of observed variables with an indirect effect (x1 -> x4 -> x7; x1 fixed.x)
path_model <- "
  x4 ~ c(a1, a2)*x1
  x7 ~ c(b1, b2)*x4 + x1
  ind1 := a1*b1
  ind2 := a2*b2
  diff := ind1 - ind2
"
# lavaan's tutorial model (Bollen 1989) with an intercept statement
pd_model <- "
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
  y1 ~ 1
  ind := a*b
"
# a latent outcome of observed regressors (fixed.x), for modindices()
pd_xmodel <- "
  dem60 =~ y1 + y2 + y3 + y4
  dem60 ~ x1 + x2
  y5 ~ dem60
"

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
              "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic",
              "ntotal", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr")
mlr_names <- c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled", "npar", "logl")

fit_info <- function(fit, names = fm_names) {
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit, standardized = TRUE)
  keep <- c("lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper",
            "std.lv", "std.all")
  if (!"label" %in% names(pe)) pe$label <- ""
  if (!"group" %in% names(pe)) pe$group <- 1L
  list(fit = as.list(fm[names]), estimates = pe[, intersect(keep, names(pe))],
       converged = lavInspect(fit, "converged"))
}

mi_info <- function(fit) {
  mi <- modindices(fit, sort. = TRUE)
  cols <- intersect(c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.lv", "sepc.all"), names(mi))
  out <- as.data.frame(mi)[, cols]
  rownames(out) <- NULL
  pe <- parameterEstimates(fit)
  if (!"group" %in% names(pe)) pe$group <- 1L
  list(mi = out, estimates = pe[pe$op != ":=", c("lhs", "op", "rhs", "group", "est")])
}

res <- list()
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$hs_model <- hs_model
res$hs_labels <- hs_labels
res$path_model <- path_model
res$pd_model <- pd_model
res$pd_xmodel <- pd_xmodel

# sem(hs_model, data = HS, group = "school", group.equal = "loadings")
res$metric <- fit_info(sem(hs_model, data = HS, group = "school", group.equal = "loadings"))
# sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))
res$scalar <- fit_info(sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts")))
# sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
#     group.partial = c("visual=~x2", "x7~1"))
res$partial <- fit_info(sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
                            group.partial = c("visual=~x2", "x7~1")))
# sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts", "residuals",
#     "residual.covariances", "lv.variances", "lv.covariances", "regressions", "means"))
res$strict <- fit_info(sem(hs_model, data = HS, group = "school",
                           group.equal = c("loadings", "intercepts", "residuals", "residual.covariances",
                                           "lv.variances", "lv.covariances", "regressions", "means")))
# sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "regressions"), std.lv = TRUE)
res$stdlv <- fit_info(sem(hs_model, data = HS, group = "school", group.equal = c("loadings", "regressions"),
                          std.lv = TRUE))
# sem(hs_labels, data = HS, group = "school")
res$labels <- fit_info(sem(hs_labels, data = HS, group = "school"))
# sem(path_model, data = HS, group = "school")
res$path <- fit_info(sem(path_model, data = HS, group = "school"))

# MLR with groups and with intercepts (listwise, complete data)
# sem(hs_model, data = HS, group = "school", group.equal = "loadings", estimator = "MLR")
res$mlr_metric <- fit_info(sem(hs_model, data = HS, group = "school", group.equal = "loadings",
                               estimator = "MLR"), mlr_names)
# sem(pd_model, data = PD, estimator = "MLR")
res$mlr_int <- fit_info(sem(pd_model, data = PD, estimator = "MLR"), mlr_names)

# FIML (missing = "ml") with MLR and equality constraints, on HS with about 10% MCAR missing (written by fiml.R)
HSM <- read.csv(file.path(out_dir, "data", "hs_missing.csv"))
# sem(hs_model, data = HSM, group = "school", group.equal = c("loadings", "intercepts"), missing = "ml",
#     estimator = "MLR")
res$fiml_scalar <- fit_info(sem(hs_model, data = HSM, group = "school", group.equal = c("loadings", "intercepts"),
                                missing = "ml", estimator = "MLR"), mlr_names)

# se = "robust.huber.white": the sandwich with ML estimates and the ML chi-square
# sem(pd_model, data = PD, se = "robust.huber.white")
res$robust <- fit_info(sem(pd_model, data = PD, se = "robust.huber.white"), c("chisq", "df", "npar"))

# modindices() with groups, intercepts and observed regressors
# modindices(sem(hs_model, data = HS, group = "school", group.equal = "loadings"), sort. = TRUE)
res$mi_groups <- mi_info(sem(hs_model, data = HS, group = "school", group.equal = "loadings"))
# modindices(sem(pd_model, data = PD), sort. = TRUE)
res$mi_int <- mi_info(sem(pd_model, data = PD))
# modindices(sem(pd_xmodel, data = PD), sort. = TRUE)
res$mi_x <- mi_info(sem(pd_xmodel, data = PD))

# bootstrap of the two-group path model: sem(path_model, data = HS, group = "school", se = "bootstrap",
# bootstrap = 1000) after set.seed(20261129); parameterEstimates(fit, boot.ci.type = "perc").
# Other resamples than ours: compared in distribution only.
set.seed(20261129)
fit_boot <- sem(path_model, data = HS, group = "school", se = "bootstrap", bootstrap = 1000)
pe <- parameterEstimates(fit_boot, boot.ci.type = "perc", level = 0.95)
res$path_boot <- list(B = 1000, nboot_ok = nrow(lavInspect(fit_boot, "boot")),
                      estimates = pe[, c("lhs", "op", "rhs", "group", "label", "est", "se", "ci.lower",
                                         "ci.upper")])

writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           file.path(out_dir, "sem_groups.json"))
