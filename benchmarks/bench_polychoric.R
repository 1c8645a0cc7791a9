# psych side of benchmarks/bench_polychoric.py (run by it; not a test fixture).
#
#   Rscript benchmarks/bench_polychoric.R DATA_DIR REPEATS
#
# For each CSV file DATA_DIR/<name>.csv the Python side wrote, times psych::polychoric(x) (elapsed seconds,
# data already read, psych's defaults: global thresholds, pairwise-complete tables, cor.smooth) REPEATS
# times, writes the matrix of the last run to DATA_DIR/<name>.rho.csv and prints one JSON object with the
# times, the versions and the number of cores psych's mcmapply may use.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
repeats <- as.integer(args[2])
out <- list(
  psych_version = as.character(packageVersion("psych")),
  r_version = R.version.string,
  r_blas = sessionInfo()$BLAS,
  mc_cores = getOption("mc.cores", 2L),
  seconds = list()
)
for (f in sort(list.files(dir, pattern = "^[a-z0-9_]+\\.csv$"))) {
  name <- sub("\\.csv$", "", f)
  x <- read.csv(file.path(dir, f))
  times <- numeric(repeats)
  for (i in seq_len(repeats)) {
    times[i] <- system.time(pc <- suppressWarnings(psych::polychoric(x)))[["elapsed"]]
  }
  write.csv(pc$rho, file.path(dir, paste0(name, ".rho.csv")), row.names = FALSE)
  out$seconds[[name]] <- times
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
