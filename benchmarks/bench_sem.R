# lavaan side of benchmarks/bench_sem.py (run by it; not a test fixture).
#
#   Rscript benchmarks/bench_sem.R TASK DATA_DIR REPEATS
#
# TASK is one of cfa11, mlr11, inv3, instrument, instrument_fiml_mlr, parallel; DATA_DIR holds the files bench_sem.py wrote
# (CSV data, model syntax, per-group moments). Times each fit with system.time (elapsed seconds, data already
# read), REPEATS times, and prints one JSON object: the times, the chi-square of every fit (so that the Python
# side can check it fitted the same model) and the versions and BLAS in use.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
task <- args[1]
dir <- args[2]
repeats <- as.integer(args[3])
model_file <- file.path(dir, paste0(task, ".model"))
model <- if (file.exists(model_file)) paste(readLines(model_file), collapse = "\n") else ""

levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"))

run <- switch(task,
  cfa11 = {
    d <- read.csv(file.path(dir, "cfa11.csv"))
    function() {
      fit <- cfa(model, data = d)  # lavaan::cfa(model, data), ML
      c(chisq = fitMeasures(fit, "chisq")[["chisq"]])
    }
  },
  mlr11 = {
    d <- read.csv(file.path(dir, "cfa11.csv"))
    function() {
      fit <- cfa(model, data = d, estimator = "MLR")
      fm <- fitMeasures(fit, c("chisq", "chisq.scaled"))
      c(chisq = fm[["chisq"]], chisq_scaled = fm[["chisq.scaled"]])
    }
  },
  inv3 = {
    d <- read.csv(file.path(dir, "inv3.csv"))
    function() {
      fits <- lapply(levels, function(eq) cfa(model, data = d, group = "g", group.equal = eq))
      lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
      sapply(fits, function(f) fitMeasures(f, "chisq")[["chisq"]])
    }
  },
  instrument = {
    groups <- readLines(file.path(dir, "instrument.groups"))
    covs <- lapply(groups, function(g) as.matrix(read.csv(file.path(dir, paste0("cov_", g, ".csv")), row.names = 1)))
    means <- lapply(groups, function(g) {
      m <- read.csv(file.path(dir, paste0("mean_", g, ".csv")))
      setNames(m$mean, m$item)
    })
    nobs <- as.integer(readLines(file.path(dir, "instrument.nobs")))
    names(covs) <- names(means) <- groups
    function() {
      fits <- lapply(levels, function(eq) {
        cfa(model, sample.cov = covs, sample.mean = means, sample.nobs = nobs, group.equal = eq)
      })
      lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
      sapply(fits, function(f) fitMeasures(f, "chisq")[["chisq"]])
    }
  },
  instrument_fiml_mlr = {
    d <- read.csv(file.path(dir, "instrument_fiml_mlr.csv"))
    function() {
      fits <- lapply(levels, function(eq) {
        cfa(model, data = d, group = "case", missing = "ml", estimator = "MLR", group.equal = eq)
      })
      lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
      chisq <- sapply(fits, function(f) fitMeasures(f, "chisq")[["chisq"]])
      scaled <- sapply(fits, function(f) fitMeasures(f, "chisq.scaled")[["chisq.scaled"]])
      names(scaled) <- paste0(names(scaled), "_scaled")
      c(chisq, scaled)
    }
  },
  parallel = {
    suppressPackageStartupMessages(library(psych))
    d <- read.csv(file.path(dir, "parallel.csv"))
    function() {
      pa <- psych::fa.parallel(d, fa = "both", n.iter = 20, plot = FALSE)  # prints its suggestion
      c(nfact = pa$nfact, ncomp = pa$ncomp)
    }
  },
  stop("unknown task ", task)
)

times <- numeric(0)
for (i in seq_len(repeats)) {
  t <- system.time(out <- run())[["elapsed"]]
  times <- c(times, t)
}
cat("\n@@JSON@@", toJSON(list(
  seconds = times,
  values = as.list(out),
  r = R.version.string,
  r_blas = sessionInfo()$BLAS,
  lavaan = as.character(packageVersion("lavaan")),
  blas = extSoftVersion()[["BLAS"]],
  lapack = La_library()
), auto_unbox = TRUE, digits = NA), "\n")
