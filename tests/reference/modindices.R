# Reference values for emstudy.stats.modindices and emstudy.stats.bootstrap
# (tests/test_stats_modindices.py, tests/test_stats_bootstrap.py), computed with R lavaan.
# Run from the repository root:  Rscript tests/reference/modindices.R
# Writes tests/reference/modindices.json. Reads the data written by cfa.R and sem.R.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

out_dir <- "tests/reference"
HS <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(out_dir, "data", "PoliticalDemocracy.csv"))

HS.model <- "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"
# lavaan's tutorial SEM (Bollen 1989), as in sem.R
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
  total := c + a*b
"

# fixed values (a loading and a variance), regressions and latent covariances to free
PD.fixed <- "
  ind60 =~ NA*x1 + x2 + 0.8*x3
  ind60 ~~ 1*ind60
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ ind60
  dem65 ~ dem60
  y1 ~~ y5
"

mi_info <- function(fit) {
  mi <- modindices(fit, sort. = TRUE)
  out <- as.data.frame(mi)[, c("lhs", "op", "rhs", "mi", "epc", "sepc.lv", "sepc.all", "sepc.nox")]
  rownames(out) <- NULL
  pe <- parameterEstimates(fit)
  # lavaan's estimates, to check the formula at the very point lavaan evaluated it
  list(mi = out, estimates = pe[pe$op != ":=", c("lhs", "op", "rhs", "est")])
}

res <- list()
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$hs_model <- HS.model
res$pd_model <- PD.model
res$pd_fixed_model <- PD.fixed

# modindices(cfa(HS.model, data = HS), sort. = TRUE)
res$hs <- mi_info(cfa(HS.model, data = HS))
# modindices(cfa(HS.model, data = HS, std.lv = TRUE), sort. = TRUE)
res$hs_stdlv <- mi_info(cfa(HS.model, data = HS, std.lv = TRUE))
# modindices(sem(PD.model, data = PD), sort. = TRUE)
res$pd <- mi_info(sem(PD.model, data = PD))
# modindices(sem(PD.fixed, data = PD), sort. = TRUE)
res$pd_fixed <- mi_info(sem(PD.fixed, data = PD))

# bootstrap: sem(PD.model, data = PD, se = "bootstrap", bootstrap = 1000) after set.seed(20261129);
# parameterEstimates(fit, boot.ci.type = "perc"). Other resamples than ours: compared in distribution only.
set.seed(20261129)
fit_boot <- sem(PD.model, data = PD, se = "bootstrap", bootstrap = 1000)
pe <- parameterEstimates(fit_boot, boot.ci.type = "perc", level = 0.95)
res$pd_boot <- list(
  B = 1000,
  nboot_ok = nrow(lavInspect(fit_boot, "boot")),
  estimates = pe[, c("lhs", "op", "rhs", "label", "est", "se", "ci.lower", "ci.upper")]
)
# delta-method SEs of the same model: parameterEstimates(sem(PD.model, data = PD))
pe_ml <- parameterEstimates(sem(PD.model, data = PD))
res$pd_boot$se_delta <- pe_ml[, c("lhs", "op", "rhs", "label", "est", "se")]

writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           file.path(out_dir, "modindices.json"))
