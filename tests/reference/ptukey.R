# Reference values for emstudy/stats/distributions.py (tests/test_stats_distributions.py reads ptukey.json).
#
# Run from the repository root:  Rscript tests/reference/ptukey.R
# Produced with R 4.2.2 (stats::ptukey, stats::qtukey), jsonlite 1.8.4.
#
# R's ptukey implements Copenhaver & Holland (1988) and requires df >= 2; qtukey iterates until successive
# quantiles differ by less than 1e-4, so its quantiles are accurate to about that (in practice much better).

suppressPackageStartupMessages(library(jsonlite))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
ref_dir <- if (length(script)) dirname(normalizePath(script)) else "tests/reference"

grid <- expand.grid(q = c(0.5, 1.5, 2.5, 3.5, 4.5, 6, 9), k = c(2, 3, 5, 8, 12),
                    df = c(2, 5, 12.5, 30, 117.3, 1000, Inf))
# ptukey(q, nmeans = k, df = df) and ptukey(..., lower.tail = FALSE)
grid$cdf <- ptukey(grid$q, grid$k, grid$df)
grid$sf <- ptukey(grid$q, grid$k, grid$df, lower.tail = FALSE)

quant <- expand.grid(p = c(0.9, 0.95, 0.99), k = c(2, 3, 5, 8, 12), df = c(2, 5, 12.5, 30, 117.3, 1000, Inf))
# qtukey(p, nmeans = k, df = df)
quant$q <- qtukey(quant$p, quant$k, quant$df)

out <- list(
  r_version = R.version.string,
  ptukey = lapply(seq_len(nrow(grid)), function(i) as.list(grid[i, ])),
  qtukey = lapply(seq_len(nrow(quant)), function(i) as.list(quant[i, ]))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path(ref_dir, "ptukey.json"))
