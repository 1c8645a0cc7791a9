# lavaan side of benchmarks/bench_planning.py (run by it; not a test fixture).
#
#   Rscript benchmarks/bench_planning.R DATA_DIR CORES
#
# The loop simsem runs for a Monte Carlo power study of a CFA (simsem itself is not among Debian's packages):
# for every sample size n and replication r, lavaan::simulateData draws n rows from the population model
# (DATA_DIR/population.model: lavaan syntax with every value given, so no default of simulateData matters),
# lavaan::cfa fits the analysis model (DATA_DIR/analysis.model, ML) and the replication's verdicts are taken,
# all under parallel::mclapply(mc.cores = CORES). DATA_DIR/design.json (written by bench_planning.py) holds the
# sample sizes, the replications, the seed and the targets' settings (alpha, rmsea0, ci_width). Verdicts per
# replication, as emstudy.planning.analyses.CFAFit defines them:
#   rmsea_close      lavaan's test of close fit (H0: RMSEA <= rmsea0) rejects: rmsea.pvalue < alpha;
#   rmsea_not_close  the test of not-close fit (H0: RMSEA >= rmsea0) rejects: rmsea.notclose.pvalue < alpha
#                    with fm.args = list(rmsea.notclose.h0 = rmsea0);
#   loadings_precise every standardized loading's 95% interval (standardizedSolution, delta method) is
#                    narrower than ci_width;
#   loadings_precise_cfafit_rule  the same with CFAFit's interval: the Wald interval of the loading with the
#                    factor variances fixed to 1 (std.lv = TRUE) scaled by |std.all / est| (the item's SD
#                    taken as known), so that the two definitions can be told apart in the comparison.
# A replication that did not converge counts as reaching no target; improper = lavaan's post.check fails.
# Prints one JSON object: the wall seconds of the whole mclapply call (data generation, fits and verdicts),
# the counts per sample size, and the versions and BLAS in use.
suppressPackageStartupMessages({
  library(lavaan)
  library(parallel)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
cores <- as.integer(args[2])
design <- fromJSON(file.path(dir, "design.json"))
population <- paste(readLines(file.path(dir, "population.model")), collapse = "\n")
analysis <- paste(readLines(file.path(dir, "analysis.model")), collapse = "\n")
targets <- c("loadings_precise", "loadings_precise_cfafit_rule", "rmsea_close", "rmsea_not_close")

one <- function(job) {
  n <- job[[1]]
  r <- job[[2]]
  d <- simulateData(population, sample.nobs = n, seed = design$seed + 100000L * match(n, design$ns) + r)
  fit <- tryCatch(suppressWarnings(cfa(analysis, data = d, std.lv = TRUE)), error = function(e) NULL)
  none <- setNames(rep(FALSE, length(targets)), targets)
  if (is.null(fit) || !lavInspect(fit, "converged")) {
    return(c(n = n, converged = 0, improper = 0, none))
  }
  fm <- fitMeasures(fit, c("rmsea.pvalue", "rmsea.notclose.pvalue"),
    fm.args = list(rmsea.close.h0 = design$rmsea0, rmsea.notclose.h0 = design$rmsea0)
  )
  std <- standardizedSolution(fit, level = 0.95)
  std <- std[std$op == "=~", ]
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[pe$op == "=~", ]
  rule <- 2 * qnorm(0.975) * pe$se * abs(pe$std.all / pe$est)
  improper <- !isTRUE(suppressWarnings(lavInspect(fit, "post.check")))
  c(
    n = n, converged = 1, improper = as.numeric(improper),
    loadings_precise = all(std$ci.upper - std$ci.lower < design$ci_width),
    loadings_precise_cfafit_rule = all(rule < design$ci_width),
    rmsea_close = fm[["rmsea.pvalue"]] < design$alpha,
    rmsea_not_close = fm[["rmsea.notclose.pvalue"]] < design$alpha
  )
}

jobs <- do.call(c, lapply(design$ns, function(n) lapply(seq_len(design$replications), function(r) c(n, r))))
seconds <- system.time({
  out <- mclapply(jobs, one, mc.cores = cores)
})[["elapsed"]]
failed <- vapply(out, function(x) inherits(x, "try-error"), logical(1))
res <- do.call(rbind, out[!failed])
table <- lapply(design$ns, function(n) {
  rows <- res[res[, "n"] == n, , drop = FALSE]
  c(
    list(n = n, replications = nrow(rows), converged = sum(rows[, "converged"]), improper = sum(rows[, "improper"])),
    as.list(setNames(colMeans(rows[, targets, drop = FALSE]), targets))
  )
})
cat("\n@@JSON@@", toJSON(list(
  seconds = seconds,
  cores = cores,
  jobs = length(jobs),
  failed = sum(failed),
  table = table,
  r = R.version.string,
  r_blas = sessionInfo()$BLAS,
  lavaan = as.character(packageVersion("lavaan")),
  blas = extSoftVersion()[["BLAS"]],
  lapack = La_library()
), auto_unbox = TRUE, digits = NA), "\n")
