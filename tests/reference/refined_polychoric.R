# refined(x), sourced by tests/reference/ordinal_reliability.R and polychoric_categories.R (not a fixture itself).
# psych's polychoric stops its optimize() at the default tolerance (about 1e-4 in rho), so its correlations are
# within about 3e-5 of the maximum of its own likelihood. refined() maximises the same likelihood
# (psych:::polyF, psych's global thresholds, pairwise-complete tables) to 1e-10, for the tests that check the
# estimator to rounding level.
refined <- function(x) {
  x <- as.matrix(x) - min(x, na.rm = TRUE)
  ncat <- max(x, na.rm = TRUE) + 1
  tau <- apply(x, 2, function(v) qnorm(cumsum(tabulate(v[!is.na(v)] + 1, ncat)) / sum(!is.na(v)))[-ncat])
  p <- ncol(x)
  rho <- diag(p)
  for (i in 2:p) for (j in 1:(i - 1)) {
    ok <- !is.na(x[, i]) & !is.na(x[, j])
    tab <- table(factor(x[ok, i], 0:(ncat - 1)), factor(x[ok, j], 0:(ncat - 1)))
    tab <- unclass(tab) / sum(ok)
    rho[i, j] <- rho[j, i] <- optimize(psych:::polyF, interval = c(-1, 1), rc = tau[, i], cc = tau[, j],
                                       tab = tab, tol = 1e-10)$minimum
  }
  rho
}
