# lavaan side of benchmarks/bench_polychoric.py (run by it; not a test fixture).
#
#   Rscript benchmarks/bench_polychoric_lavaan.R DATA_DIR REPEATS
#
# For each CSV file DATA_DIR/<name>.csv the Python side wrote (complete rows), times lavaan's sample-statistics
# stage for ordered items: cfa(<one factor of all items>, data = x, ordered = TRUE, estimator = "WLSMV",
# do.fit = FALSE), which computes the thresholds, the two-step polychorics and their NACOV (Muthen 1984) and
# fits nothing (elapsed seconds, data already read), REPEATS times; writes lavInspect(fit, "wls.obs") and
# lavInspect(fit, "gamma") of the last run to DATA_DIR/<name>.wls.csv and <name>.gamma.csv and prints one
# JSON object with the times and versions.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
repeats <- as.integer(args[2])
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  r_version = R.version.string,
  r_blas = sessionInfo()$BLAS,
  seconds = list()
)
for (f in sort(list.files(dir, pattern = "^[a-z0-9_]+\\.csv$"))) {
  name <- sub("\\.csv$", "", f)
  x <- read.csv(file.path(dir, f))
  model <- paste("f =~", paste(names(x), collapse = " + "))
  times <- numeric(repeats)
  for (i in seq_len(repeats)) {
    times[i] <- system.time(fit <- suppressWarnings(
      cfa(model, data = x, ordered = TRUE, estimator = "WLSMV", do.fit = FALSE)))[["elapsed"]]
  }
  write.csv(data.frame(wls = lavInspect(fit, "wls.obs")), file.path(dir, paste0(name, ".wls.csv")), row.names = FALSE)
  write.csv(unclass(lavInspect(fit, "gamma")), file.path(dir, paste0(name, ".gamma.csv")), row.names = FALSE)
  out$seconds[[name]] <- times
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
