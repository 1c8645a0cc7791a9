# Reference values for tests/test_stats_efa.py (emstudy.stats.efa, emstudy.stats.correlation), computed with R psych.
# Run from the repository root:  Rscript tests/reference/efa.R
# Writes tests/reference/efa.json (and tests/reference/data/bfi.csv if it does not exist yet).
suppressPackageStartupMessages({
  library(psych)
  library(psychTools)
  library(GPArotation)
  library(jsonlite)
})

csv <- "tests/reference/data/bfi.csv"
if (!file.exists(csv)) {
  # psychTools::bfi, all 28 columns, NA written as empty fields
  write.csv(psychTools::bfi, csv, row.names = FALSE, na = "")
}
bfi <- read.csv(csv)
items <- bfi[, 1:25]

fa_out <- function(f) {
  L <- unclass(f$loadings)
  out <- list(
    loadings = lapply(seq_len(ncol(L)), function(j) unname(L[, j])),
    factor_names = colnames(L),
    items = rownames(L),
    communality = unname(f$communality),
    uniquenesses = unname(f$uniquenesses),
    values = unname(f$values),
    e_values = unname(f$e.values),
    Vaccounted = lapply(seq_len(nrow(f$Vaccounted)), function(i) unname(f$Vaccounted[i, ])),
    Vaccounted_rows = rownames(f$Vaccounted)
  )
  if (!is.null(f$Phi)) out$Phi <- lapply(seq_len(ncol(f$Phi)), function(j) unname(f$Phi[, j]))
  out
}

res <- list()
res$versions <- list(psych = as.character(packageVersion("psych")),
                     GPArotation = as.character(packageVersion("GPArotation")),
                     R = R.version.string)
res$cor_pairwise_first_row <- unname(cor(items, use = "pairwise")[1, ])
# fa(bfi[,1:25], 5, fm = "minres", rotate = "oblimin")
res$minres_oblimin <- fa_out(fa(items, 5, fm = "minres", rotate = "oblimin"))
# fa(bfi[,1:25], 5, fm = "ml", rotate = "varimax")
res$ml_varimax <- fa_out(fa(items, 5, fm = "ml", rotate = "varimax"))
# fa(bfi[,1:25], 5, fm = "pa", rotate = "promax")
res$pa_promax <- fa_out(fa(items, 5, fm = "pa", rotate = "promax"))
# fa(bfi[,1:25], 5, fm = "minres", rotate = "quartimax")
res$minres_quartimax <- fa_out(fa(items, 5, fm = "minres", rotate = "quartimax"))
# fa(bfi[,1:25], 5, fm = "minres", rotate = "geominQ")
res$minres_geominQ <- fa_out(fa(items, 5, fm = "minres", rotate = "geominQ"))
# fa(bfi[,1:25], 5, fm = "minres", rotate = "none")
res$minres_none <- fa_out(fa(items, 5, fm = "minres", rotate = "none"))
# fa(bfi[,1:25], 5, fm = "ml", rotate = "oblimin")
res$ml_oblimin <- fa_out(fa(items, 5, fm = "ml", rotate = "oblimin"))
# fa(bfi[,1:25], 5, fm = "pa", rotate = "varimax")
res$pa_varimax <- fa_out(fa(items, 5, fm = "pa", rotate = "varimax"))
# fa(bfi[,1:25], 1, fm = "minres")
res$minres_1 <- fa_out(fa(items, 1, fm = "minres"))

# polychoric(bfi[, c("A1","A2","A3","A4","A5")])
pc <- polychoric(items[, paste0("A", 1:5)])
res$polychoric_A <- list(rho = lapply(1:5, function(j) unname(pc$rho[, j])),
                         tau = lapply(1:5, function(i) unname(pc$tau[i, ])))
# polychoric(bfi[, c("C1".."C5","E1".."E5")])
pc2 <- polychoric(items[, c(paste0("C", 1:5), paste0("E", 1:5))])
res$polychoric_CE <- list(rho = lapply(1:10, function(j) unname(pc2$rho[, j])))

# fa(bfi[,1:10], 2, fm = "minres", rotate = "oblimin", cor = "poly")
res$minres_oblimin_poly10 <- fa_out(fa(items[, 1:10], 2, fm = "minres", rotate = "oblimin", cor = "poly"))
# fa(na.omit(bfi[,1:25]), 5, fm = "minres", rotate = "oblimin")   (listwise deletion)
res$minres_oblimin_listwise <- fa_out(fa(na.omit(items), 5, fm = "minres", rotate = "oblimin"))
res$n_complete <- nrow(na.omit(items))
# x <- bfi[, c("A1","A2","A3","A4")]; x$A1 <- pmin(x$A1, 4); polychoric(x)
#   (unequal numbers of categories: psych sets global = FALSE, per-pair thresholds, correct = 0.5)
x <- items[, paste0("A", 1:4)]; x$A1 <- pmin(x$A1, 4)
pc3 <- suppressWarnings(polychoric(x))
res$polychoric_unequal <- list(rho = lapply(1:4, function(j) unname(pc3$rho[, j])))

# set.seed(42); fa.parallel(bfi[,1:25], n.iter = 20, plot = FALSE)
set.seed(42)
pa <- fa.parallel(items, n.iter = 20, plot = FALSE)
res$parallel <- list(nfact = pa$nfact, ncomp = pa$ncomp,
                     pc_values = unname(pa$pc.values), fa_values = unname(pa$fa.values),
                     pc_sim = unname(pa$pc.sim), fa_sim = unname(pa$fa.sim))
seeds <- c(1, 2, 3, 4, 5)
res$parallel_other_seeds <- lapply(seeds, function(s) {
  set.seed(s); p <- fa.parallel(items, n.iter = 20, plot = FALSE); c(p$nfact, p$ncomp)
})
res$parallel_seeds <- seeds

write_json(res, "tests/reference/efa.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
