# Reference values for tests/test_steps_reliability.py: reliability of the project's own synthetic data.
# Reads analysis/<case>/results/encoded.csv (written by notebook 01: kept respondents, reverse-keyed items
# already reversed) for two cases and writes tests/reference/reliability_synthetic.json.
# Run from the project root: Rscript tests/reference/reliability_synthetic.R
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

constructs <- list(
  plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN", rules = "RUL",
  warning = "WRN", response = "RSP", information = "INF", participation = "SOC", recovery = "REC",
  effectiveness = "EFF"
)
out <- list(
  psych_version = as.character(packageVersion("psych")),
  r_version = R.version.string,
  cases = list()
)
for (case in c("wencheng", "yima")) {
  d <- read.csv(file.path("analysis", case, "results", "encoded.csv"), check.names = FALSE)
  all_items <- unlist(lapply(constructs, function(p) paste0(p, 1:4)), use.names = FALSE)
  scales <- list()
  for (s in names(constructs)) {
    cols <- paste0(constructs[[s]], 1:4)
    x <- na.omit(d[, cols])
    a <- psych::alpha(x, check.keys = FALSE, warnings = FALSE)
    scales[[s]] <- list(
      n = nrow(x),
      raw_alpha = a$total$raw_alpha,             # psych::alpha(na.omit(x))$total$raw_alpha
      std_alpha = a$total$std.alpha,             # psych::alpha(na.omit(x))$total$std.alpha
      r_drop = as.list(setNames(a$item.stats$r.drop, cols)),  # $item.stats$r.drop
      alpha_if_deleted = as.list(setNames(a$alpha.drop$raw_alpha, cols))  # $alpha.drop$raw_alpha
    )
  }
  x <- na.omit(d[, all_items])
  r <- cor(x)
  k <- psych::KMO(r)
  b <- psych::cortest.bartlett(r, n = nrow(x))
  out$cases[[case]] <- list(
    n_kept = nrow(d),
    scales = scales,
    complete_all = nrow(x),
    kmo = k$MSA,                                 # psych::KMO(cor(na.omit(items)))$MSA
    # sensitivity check: KMO on the raw items with their missing values; on raw data psych::KMO uses
    # pairwise-complete Pearson correlations, cor(d[, all_items], use = "pairwise")
    kmo_pairwise = psych::KMO(d[, all_items])$MSA,
    bartlett = list(chisq = b$chisq, df = b$df, p = b$p.value),  # psych::cortest.bartlett(r, n)
    # headline factorability of notebook 02: Bartlett on the pairwise correlations, with n the smallest number
    # of respondents behind any correlation (psych::cortest.bartlett(d[, all_items]) itself would use nrow(d))
    n_pairwise_min = min(crossprod(!is.na(d[, all_items]))),
    bartlett_pairwise = with(psych::cortest.bartlett(cor(d[, all_items], use = "pairwise"),
                                                     n = min(crossprod(!is.na(d[, all_items])))),
                             list(chisq = chisq, df = df, p = p.value))
  )
}
write_json(out, "tests/reference/reliability_synthetic.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
