# lavaan side of benchmarks/bench_wlsmv.py (run by it; not a test fixture).
#
#   Rscript benchmarks/bench_wlsmv.R DATA_CSV MODEL_FILE REPEATS
#
# Times cfa(model, data, ordered = TRUE, estimator = "WLSMV") (elapsed seconds, data already read) REPEATS times
# and prints one JSON object with the times, the chi-squares (so that the Python side can check it fitted the
# same model) and the versions.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
model <- paste(readLines(args[2], warn = FALSE), collapse = "\n")
repeats <- as.integer(args[3])
seconds <- numeric(0)
for (i in seq_len(repeats)) {
  t <- system.time(fit <- suppressWarnings(cfa(model, data = d, ordered = TRUE, estimator = "WLSMV")))
  seconds <- c(seconds, t[["elapsed"]])
}
fm <- fitMeasures(fit, c("chisq", "chisq.scaled"))
cat(toJSON(list(seconds = I(seconds), chisq = fm[["chisq"]], chisq_scaled = fm[["chisq.scaled"]],
                lavaan = as.character(packageVersion("lavaan")), r = R.version.string,
                r_blas = sessionInfo()$BLAS),
           auto_unbox = TRUE, digits = NA))
