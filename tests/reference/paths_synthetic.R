# Reference values for tests/test_steps_paths.py (notebook 04, the framework's path model) on the synthetic Wencheng data.
# Run from the project root: Rscript tests/reference/paths_synthetic.R
# Reads analysis/wencheng/results/encoded.csv (written by notebook 01: kept respondents, reverse keys applied).
library(lavaan); library(jsonlite)
d <- read.csv("analysis/wencheng/results/encoded.csv", stringsAsFactors = FALSE)
prefix <- c(plan = "PLN", organisation = "ORG", resources = "RES", teams = "TEA", training = "TRN",
            rules = "RUL", warning = "WRN", response = "RSP", information = "INF", participation = "SOC",
            recovery = "REC")
# construct score = mean of the construct's 4 items when at least 3 are answered (emstudy.encode.construct_scores)
s <- list()
for (cn in names(prefix)) {
  block <- d[, paste0(prefix[[cn]], 1:4)]
  v <- rowMeans(block, na.rm = TRUE)
  v[rowSums(!is.na(block)) < 3] <- NA
  s[[cn]] <- v
}
# data/cases/wencheng.yml framework (Heath's 4R): dimension score = mean of its constructs' scores (NA if any is)
dims <- list(reduction = c("plan", "rules", "warning"), readiness = c("resources", "teams", "training"),
             response = c("organisation", "response", "information", "participation"), recovery = "recovery")
x <- data.frame(lapply(dims, function(cs) rowMeans(as.data.frame(s[cs]))))
names(x) <- paste0(names(dims), "_score")
x <- cbind(x, d[, paste0("EFF", 1:4)])
x <- x[rowSums(!is.na(x)) > 0, ]
model <- "
reduction =~ 1*reduction_score
reduction_score ~~ 0*reduction_score
readiness =~ 1*readiness_score
readiness_score ~~ 0*readiness_score
response =~ 1*response_score
response_score ~~ 0*response_score
recovery =~ 1*recovery_score
recovery_score ~~ 0*recovery_score
effectiveness =~ EFF1 + EFF2 + EFF3 + EFF4
readiness ~ a1*reduction
response ~ a2*readiness
recovery ~ a3*response
effectiveness ~ c1*reduction + c2*readiness + c3*response + c4*recovery
ind_reduction_readiness := a1*c2
ind_reduction_response := a1*a2*c3
ind_reduction_recovery := a1*a2*a3*c4
total_reduction := c1 + a1*c2 + a1*a2*c3 + a1*a2*a3*c4
ind_readiness_response := a2*c3
ind_readiness_recovery := a2*a3*c4
total_readiness := c2 + a2*c3 + a2*a3*c4
ind_response_recovery := a3*c4
total_response := c3 + a3*c4
total_recovery := c4
"
fiml <- sem(model, data = x, missing = "ml")
cc <- sem(model, data = na.omit(x))
pick <- function(fit) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[pe$op %in% c("~", ":="), ]
  list(label = pe$label, est = pe$est, se = pe$se, std_all = pe$std.all)
}
measures <- c("chisq", "df", "cfi", "rmsea", "srmr")
out <- list(model = model, n = lavInspect(fiml, "nobs"), n_complete = lavInspect(cc, "nobs"),
            fiml = c(pick(fiml), list(fit = as.list(fitMeasures(fiml, measures)))),
            complete = c(pick(cc), list(fit = as.list(fitMeasures(cc, measures)))),
            calls = list(fiml = "sem(model, data = x, missing = 'ml'); x = the respondents with any model variable",
                         complete = "sem(model, data = na.omit(x))",
                         params = "parameterEstimates(fit, standardized = TRUE)[op %in% c('~', ':='), ]"))
write_json(out, "tests/reference/paths_synthetic.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
