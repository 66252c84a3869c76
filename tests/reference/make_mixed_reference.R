# Regenerate tests/reference/mixed_lmertest_*.csv: R lme4 + lmerTest fits of the data sets in
# mixed_datasets.csv (random intercept per donor, REML, Satterthwaite df), written
# independently of qpcr so that tests/test_stats_mixed.py can compare against them.
# Factor a has control level "ctrl", factor b (empty in one-factor data sets) "v". The data
# set t17_bmp2_d3_ht_missing is methods.md T17 (BMP2, y = −ΔCq; a = oxygen, ctrl = normoxia;
# b = treatment, v = vehicle) without D3-HT; the others were drawn at random (donor SD 0.6,
# residual SD 0.3), rounded to 3 decimals.
# Run from tests/reference: Rscript make_mixed_reference.R
suppressMessages({library(lme4); library(lmerTest)})
data <- read.csv("mixed_datasets.csv", stringsAsFactors = FALSE, na.strings = "")
times <- "\u00d7"
contrasts_out <- list(); anova_out <- list(); vc_out <- list()
for (ds in unique(data$dataset)) {
  d <- data[data$dataset == ds, ]
  two <- !all(is.na(d$b))
  d$cell <- if (two) paste(d$a, d$b, sep = ":") else d$a
  d$cell <- factor(d$cell)
  m <- lmer(y ~ 0 + cell + (1 | donor), data = d, REML = TRUE)
  cn <- levels(d$cell)
  lvec <- function(w) { v <- setNames(rep(0, length(cn)), cn); v[names(w)] <- w; v }
  specs <- list()
  la <- unique(d$a)
  if (!two) {
    for (al in setdiff(la, "ctrl"))
      specs[[sprintf("a: %s vs ctrl", al)]] <- lvec(setNames(c(1, -1), c(al, "ctrl")))
  } else {
    lb <- unique(d$b)
    for (bl in lb) for (al in setdiff(la, "ctrl"))
      specs[[sprintf("a: %s vs ctrl | b=%s", al, bl)]] <-
        lvec(setNames(c(1, -1), c(paste(al, bl, sep = ":"), paste("ctrl", bl, sep = ":"))))
    for (al in la) for (bl in setdiff(lb, "v"))
      specs[[sprintf("b: %s vs v | a=%s", bl, al)]] <-
        lvec(setNames(c(1, -1), c(paste(al, bl, sep = ":"), paste(al, "v", sep = ":"))))
    pairs <- expand.grid(al = setdiff(la, "ctrl"), bl = setdiff(lb, "v"), stringsAsFactors = FALSE)
    for (i in seq_len(nrow(pairs))) {
      al <- pairs$al[i]; bl <- pairs$bl[i]
      label <- if (nrow(pairs) == 1) sprintf("interaction a %s b", times) else
        sprintf("interaction a %s b: (%s vs ctrl) %s (%s vs v)", times, al, times, bl)
      specs[[label]] <- lvec(setNames(c(1, -1, -1, 1),
        c(paste(al, bl, sep = ":"), paste("ctrl", bl, sep = ":"), paste(al, "v", sep = ":"),
          "ctrl:v")))
    }
  }
  for (label in names(specs)) {
    ct <- contest1D(m, specs[[label]], ddf = "Satterthwaite")
    contrasts_out[[length(contrasts_out) + 1]] <- data.frame(
      dataset = ds, contrast = label, estimate = ct$Estimate, se = ct$`Std. Error`,
      df = ct$df, t = ct$`t value`, p_value = ct$`Pr(>|t|)`)
  }
  vc <- as.data.frame(VarCorr(m))
  vc_out[[ds]] <- data.frame(dataset = ds, sigma2_donor = vc$vcov[1], sigma2_resid = vc$vcov[2])
  form <- if (two) y ~ a * b + (1 | donor) else y ~ a + (1 | donor)
  d$a <- factor(d$a); if (two) d$b <- factor(d$b)
  options(contrasts = c("contr.sum", "contr.poly"))
  m2 <- lmer(form, data = d, REML = TRUE)
  an <- anova(m2, type = 3, ddf = "Satterthwaite")
  anova_out[[ds]] <- data.frame(dataset = ds, term = gsub(":", paste0(" ", times, " "), rownames(an)),
    sum_sq = an$`Sum Sq`, num_df = an$NumDF, den_df = an$DenDF, F = an$`F value`,
    p_value = an$`Pr(>F)`)
  options(contrasts = c("contr.treatment", "contr.poly"))
}
opts <- function(x, f) write.csv(do.call(rbind, x), f, row.names = FALSE, fileEncoding = "UTF-8")
opts(contrasts_out, "mixed_lmertest_contrasts.csv")
opts(anova_out, "mixed_lmertest_anova.csv")
opts(vc_out, "mixed_lmertest_variances.csv")
cat(R.version.string, "lme4", as.character(packageVersion("lme4")),
    "lmerTest", as.character(packageVersion("lmerTest")), "\n")
