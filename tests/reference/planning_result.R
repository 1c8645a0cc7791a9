# Reference values for emstudy/planning/result.py (tests/test_planning_result.py reads planning_result.json):
# Wilson's score interval of a Monte Carlo power k / R, as prop.test computes it without continuity correction.
#
# Run from the repository root:  Rscript tests/reference/planning_result.R
# Produced with R 4.2.2 (stats), jsonlite 1.8.4.

suppressPackageStartupMessages(library(jsonlite))

cases <- list(
  list(successes = 170, replications = 200, conf_level = 0.95),
  list(successes = 0, replications = 200, conf_level = 0.95),
  list(successes = 200, replications = 200, conf_level = 0.95),
  list(successes = 37, replications = 50, conf_level = 0.90),
  list(successes = 1, replications = 1000, conf_level = 0.99),
  list(successes = 801, replications = 1000, conf_level = 0.95)
)
out <- lapply(cases, function(x) {
  ci <- prop.test(x$successes, x$replications, conf.level = x$conf_level, correct = FALSE)$conf.int
  c(x, list(
    call = sprintf("prop.test(%d, %d, conf.level = %s, correct = FALSE)$conf.int",
                   x$successes, x$replications, format(x$conf_level)),
    ci_lower = ci[1], ci_upper = ci[2]
  ))
})
write_json(list(wilson = out), "tests/reference/planning_result.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
