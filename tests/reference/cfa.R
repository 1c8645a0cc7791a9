# Reference values for emstudy/stats/cfa/ (tests/test_stats_cfa.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/cfa.R
# Writes tests/reference/cfa.json and (if absent) tests/reference/data/HolzingerSwineford1939.csv
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_dir <- "tests/reference"
csv_path <- file.path(out_dir, "data", "HolzingerSwineford1939.csv")
dir.create(dirname(csv_path), showWarnings = FALSE, recursive = TRUE)
if (!file.exists(csv_path)) {
  write.csv(lavaan::HolzingerSwineford1939, csv_path, row.names = FALSE)
}
HS <- read.csv(csv_path)

HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"

fm_names <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
              "baseline.pvalue", "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic",
              "ntotal", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
              "srmr", "srmr_bentler")

fit_info <- function(fit) {
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est", "se", "z", "pvalue"), names(pe))
  list(
    fit = as.list(fm[fm_names]),
    estimates = pe[, keep],
    standardized = ss[, intersect(c("lhs", "op", "rhs", "group", "est.std", "se", "z", "pvalue"),
                                  names(ss))]
  )
}

res <- list()
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$model <- HS.model

# single group, ML, lavaan defaults
fit <- cfa(HS.model, data = HS)
res$single <- fit_info(fit)
res$single$n <- lavInspect(fit, "nobs")
res$single$converged <- lavInspect(fit, "converged")

# std.lv = TRUE
fit_stdlv <- cfa(HS.model, data = HS, std.lv = TRUE)
res$single_stdlv <- fit_info(fit_stdlv)

# MLR (robust) single group, for future use
fit_mlr <- cfa(HS.model, data = HS, estimator = "MLR")
fm <- fitMeasures(fit_mlr)
res$single_mlr <- list(
  fit = as.list(fm[c("chisq", "df", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled",
                     "cfi.robust", "tli.robust", "rmsea.robust", "srmr")]),
  estimates = parameterEstimates(fit_mlr)[, c("lhs", "op", "rhs", "est", "se")]
)

# multigroup by school
configural <- cfa(HS.model, data = HS, group = "school")
metric <- cfa(HS.model, data = HS, group = "school", group.equal = "loadings")
scalar <- cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))
res$group_labels <- lavInspect(configural, "group.label")
res$group_n <- lavInspect(configural, "nobs")
res$configural <- fit_info(configural)
res$metric <- fit_info(metric)
res$scalar <- fit_info(scalar)

lrt_to_list <- function(tab) {
  list(
    model = rownames(tab),
    df = tab[["Df"]],
    aic = tab[["AIC"]],
    bic = tab[["BIC"]],
    chisq = tab[["Chisq"]],
    chisq_diff = tab[["Chisq diff"]],
    df_diff = tab[["Df diff"]],
    p = tab[["Pr(>Chisq)"]]
  )
}
res$lrt <- lrt_to_list(as.data.frame(lavTestLRT(configural, metric, scalar)))

# partial scalar: scalar model with one intercept freed at a time (chisq, df)
items <- paste0("x", 1:9)
partial <- lapply(items, function(it) {
  f <- cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
           group.partial = paste0(it, "~1"))
  fm <- fitMeasures(f, c("chisq", "df", "cfi", "rmsea"))
  list(item = it, chisq = unname(fm["chisq"]), df = unname(fm["df"]),
       cfi = unname(fm["cfi"]), rmsea = unname(fm["rmsea"]))
})
res$partial_one <- partial

# sequential partial: free x3 then x7 intercepts
f2 <- cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
          group.partial = c("x3~1", "x7~1"))
res$partial_x3_x7 <- as.list(fitMeasures(f2, c("chisq", "df", "cfi", "rmsea", "srmr")))

# second step of the partial search: x3 freed plus one more intercept
partial2 <- lapply(setdiff(items, "x3"), function(it) {
  f <- cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
           group.partial = c("x3~1", paste0(it, "~1")))
  fm <- fitMeasures(f, c("chisq", "df", "cfi", "rmsea"))
  list(item = it, chisq = unname(fm["chisq"]), df = unname(fm["df"]),
       cfi = unname(fm["cfi"]), rmsea = unname(fm["rmsea"]))
})
res$partial_two <- partial2

# strict-type constraint: loadings, intercepts and residual variances equal
strict <- cfa(HS.model, data = HS, group = "school",
              group.equal = c("loadings", "intercepts", "residuals"))
res$strict <- list(fit = as.list(fitMeasures(strict)[fm_names]))

# std.lv = TRUE in multi-group models (configural and equal loadings)
res$configural_stdlv <- list(fit = as.list(fitMeasures(
  cfa(HS.model, data = HS, group = "school", std.lv = TRUE))[fm_names]))
res$metric_stdlv <- list(fit = as.list(fitMeasures(
  cfa(HS.model, data = HS, group = "school", group.equal = "loadings", std.lv = TRUE))[fm_names]))

# summary-statistics input: sample.cov (unbiased, divisor N - 1), sample.mean, sample.nobs.
# lavaan rescales sample.cov by (N - 1) / N for ML (sample.cov.rescale = TRUE by default);
# lavInspect(fit, "sampstat") is the matrix after rescaling.
vars <- paste0("x", 1:9)
res$sample_vars <- vars
fit_cov <- cfa(HS.model, sample.cov = cov(HS[, vars]), sample.nobs = 301)
res$single_cov <- fit_info(fit_cov)
res$single_cov$n <- lavInspect(fit_cov, "nobs")
res$single_cov$sampstat_cov <- unname(lavInspect(fit_cov, "sampstat")$cov[vars, vars])

# two groups from per-school statistics, groups in the order of the raw data (as group = "school")
schools <- unique(HS$school)
covs <- setNames(lapply(schools, function(s) cov(HS[HS$school == s, vars])), schools)
means <- setNames(lapply(schools, function(s) colMeans(HS[HS$school == s, vars])), schools)
nobs <- setNames(lapply(schools, function(s) sum(HS$school == s)), schools)
fit_cov2 <- cfa(HS.model, sample.cov = covs, sample.mean = means, sample.nobs = nobs,
                group.equal = c("loadings", "intercepts"))
res$scalar_cov <- fit_info(fit_cov2)
res$scalar_cov$group_labels <- lavInspect(fit_cov2, "group.label")
res$scalar_cov$group_n <- lavInspect(fit_cov2, "nobs")
ss <- lavInspect(fit_cov2, "sampstat")
res$scalar_cov$sampstat_cov <- lapply(ss, function(g) unname(g$cov[vars, vars]))

write_json(res, file.path(out_dir, "cfa.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
