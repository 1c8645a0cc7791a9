"""Tests of emstudy.stats.agreement (Cohen's and Fleiss' kappa, Krippendorff's alpha, Gwet's AC1, percent agreement).

R's irr and irrCAC are not among Debian's packages, so the references are independent implementations and
published worked examples (issue 17):

* statsmodels ``statsmodels.stats.inter_rater.cohens_kappa`` / ``fleiss_kappa`` and the ``krippendorff`` package
  (0.9.0, a test-only dependency), to 1e-9;
* Krippendorff (2011), "Computing Krippendorff's alpha-reliability" (University of Pennsylvania, ASC papers 43):
  the 4 observers x 12 units example with missing values and its printed alphas;
* Gwet (2014), *Handbook of Inter-Rater Reliability*, 4th ed.: the example data sets that Gwet ships with his R
  package irrCAC 1.0 (``cac.raw4raters`` -- the same 12 units as Krippendorff's example, units x raters --
  ``distrib.6raters`` and ``cont3x3abstractors``), with the values printed in irrCAC's README / vignette
  ("Calculating Chance-corrected Agreement Coefficients", K. L. Gwet; github.com/kgwet/irrCAC README.md),
  compared to their printed digits. The book's own tables were not available to check; where a printed value
  is irrCAC's, the test says so.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats import inter_rater

from emstudy.errors import DataWarning, MissingDataWarning
from emstudy.stats import agreement
from emstudy.stats.agreement import (
    cohen_kappa,
    counts_to_ratings,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

N = np.nan
REF = json.loads((Path(__file__).parent / "reference" / "agreement.json").read_text())

# Krippendorff (2011), section C ("nominal data, any number of observers, missing values"), reused in D-F for
# the ordinal, interval and ratio metrics: observers A-D (rows) x units 1-12 (columns).
KRIPP_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# irrCAC::cac.raw4raters (Gwet 2014): the same data as units x raters.
RAW4RATERS = np.array(KRIPP_2011, dtype=float).T

# irrCAC::distrib.6raters (Gwet 2014): 15 patients x 5 diagnoses, number of the 6 psychiatrists per cell.
DISTRIB_6RATERS = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
]

# irrCAC::cont3x3abstractors (Gwet 2014): 100 pregnant women by type (Ectopic, AIU, NIU), abstractor 1 x 2.
CONT3X3 = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])


def _pairs_from_table(table: np.ndarray) -> tuple[list[int], list[int]]:
    r1, r2 = [], []
    for i in range(table.shape[0]):
        for j in range(table.shape[1]):
            r1 += [i] * int(table[i, j])
            r2 += [j] * int(table[i, j])
    return r1, r2


def _random_ratings(seed: int, n: int, raters: int, q: int, agree: float = 0.6) -> np.ndarray:
    """Synthetic ratings: a true category per unit, each rater keeps it with probability `agree`."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, size=n)
    noise = rng.integers(0, q, size=(n, raters))
    keep = rng.random((n, raters)) < agree
    return np.where(keep, truth[:, None], noise)


# ------------------------------------------------------------------------------- Krippendorff's alpha


@pytest.mark.parametrize(
    ("level", "printed"),
    [
        # Krippendorff (2011), section C: "alpha_nominal = 0.743" (also irrCAC README: krippen.alpha.raw(
        # cac.raw4raters) coeff.val 0.74342)
        ("nominal", 0.743),
        # Krippendorff (2011), section D (ordinal metric): alpha = 0.815
        ("ordinal", 0.815),
        # Krippendorff (2011), section E (interval metric): alpha = 0.849
        ("interval", 0.849),
        # Krippendorff (2011), section F (ratio metric): alpha = 0.797
        ("ratio", 0.797),
    ],
)
def test_alpha_reproduces_krippendorff_2011_and_the_krippendorff_package(level, printed):
    res = krippendorff_alpha(KRIPP_2011, level=level)
    assert round(res.estimate, 3) == printed
    # krippendorff.alpha(reliability_data, level_of_measurement=level), krippendorff 0.9.0
    ref = krippendorff.alpha(np.array(KRIPP_2011, dtype=float), level_of_measurement=level)
    assert res.estimate == pytest.approx(ref, abs=1e-9)
    assert res.estimate == pytest.approx(1 - res.observed / res.expected, abs=1e-15)
    assert res.n_units == 11 and res.n_raters == 4  # unit 12 has one value only: not pairable


def test_alpha_nominal_printed_by_irrcac():
    # irrCAC README: krippen.alpha.raw(cac.raw4raters) -> coeff.val 0.74342
    assert round(krippendorff_alpha(RAW4RATERS.T).estimate, 5) == 0.74342


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [1, 2])
def test_alpha_matches_the_krippendorff_package_on_synthetic_data(level, seed):
    data = _random_ratings(seed, 60, 4, 5).astype(float).T + 1  # raters x units, values 1..5
    rng = np.random.default_rng(seed + 10)
    data[rng.random(data.shape) < 0.2] = np.nan  # synthetic missing values
    ref = krippendorff.alpha(data, level_of_measurement=level)
    assert krippendorff_alpha(data, level=level).estimate == pytest.approx(ref, abs=1e-9)


def test_alpha_with_labels_and_an_ordered_domain():
    # the krippendorff package's own examples (tests/test_krippendorff.py), compared to the package itself
    labels = [["pos", "neg", "neu", N], ["pos", "neg", "neu", "pos"], ["pos", "neg", "pos", "pos"]]
    ref = krippendorff.alpha(labels, level_of_measurement="nominal")
    assert round(ref, 6) == 0.722222  # as the package's test prints it
    assert krippendorff_alpha(labels).estimate == pytest.approx(ref, abs=1e-9)
    domain = ["very low", "low", "mid", "high", "very high"]
    named = [[None if pd.isna(v) else domain[int(v) - 1] for v in row] for row in KRIPP_2011]
    res = krippendorff_alpha(named, level="ordinal", categories=domain)
    assert res.estimate == pytest.approx(krippendorff_alpha(KRIPP_2011, level="ordinal").estimate, abs=1e-12)
    # an unused category changes nothing for nominal data
    wider = krippendorff_alpha(KRIPP_2011, categories=[1, 2, 3, 4, 5, 6]).estimate
    assert wider == pytest.approx(krippendorff_alpha(KRIPP_2011).estimate, abs=1e-12)
    frame = pd.DataFrame(KRIPP_2011)
    assert krippendorff_alpha(frame).estimate == pytest.approx(0.743421052631579, abs=1e-12)


def test_alpha_bootstrap_follows_hayes_and_krippendorff():
    a = krippendorff_alpha(KRIPP_2011, level="interval", n_boot=4000, seed=7)
    b = krippendorff_alpha(KRIPP_2011, level="interval", n_boot=4000, seed=7)
    assert np.array_equal(a.boot, b.boot) and a.ci_lower == b.ci_lower  # seeded: the same replicates
    assert len(a.boot) == 4000 and a.ci_lower < a.estimate < a.ci_upper
    # Each replicate is 1 - mean(delta^2 of M cells drawn with probabilities o_ck / n..) / De with De fixed and
    # M = the 55 pairable pairs of the data (sum over units of m_u (m_u - 1) / 2), so its mean is alpha
    # and its sd is sd(delta^2 under o_ck / n..) / (sqrt(M) De): checked against that closed form.
    counts = np.array(KRIPP_2011, dtype=float).T
    m_u = (~np.isnan(counts)).sum(axis=1)
    pairs = int((m_u * (m_u - 1)).sum() / 2)
    assert pairs == 3 + 8 * 6 + 3 + 1  # units 1 and 10 have 3 values, units 2-9 have 4, unit 11 has 2
    values = np.arange(1, 6, dtype=float)
    o = _coincidences(counts, values)
    p = o / o.sum()
    d2 = np.subtract.outer(values, values) ** 2
    mean_d2 = (p * d2).sum()
    sd_d2 = np.sqrt((p * d2**2).sum() - mean_d2**2)
    assert mean_d2 == pytest.approx(a.observed, abs=1e-12)
    assert a.boot.mean() == pytest.approx(a.estimate, abs=4 * sd_d2 / np.sqrt(pairs) / a.expected / np.sqrt(4000))
    assert a.se == pytest.approx(sd_d2 / np.sqrt(pairs) / a.expected, rel=0.05)
    q = a.prob_below(0.8)
    assert q == pytest.approx(np.mean(a.boot < 0.8)) and 0 < q < 1
    assert np.isnan(krippendorff_alpha(KRIPP_2011).ci_lower)  # no interval without n_boot


def _coincidences(units_x_raters: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Coincidence matrix by its definition in Krippendorff (2011): pairs within units weighted 1 / (m_u - 1)."""
    o = np.zeros((len(values), len(values)))
    for row in units_x_raters:
        vals = row[~np.isnan(row)]
        if len(vals) < 2:
            continue
        for i, a in enumerate(vals):
            for j, b in enumerate(vals):
                if i != j:
                    o[int(np.flatnonzero(values == a)[0]), int(np.flatnonzero(values == b)[0])] += 1 / (len(vals) - 1)
    return o


def test_alpha_undefined_and_bad_input():
    with pytest.warns(DataWarning):
        assert np.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]).estimate)
    with pytest.raises(ValueError, match="^level:"):
        krippendorff_alpha(KRIPP_2011, level="circular")
    with pytest.raises(ValueError, match="^n_boot:"):
        krippendorff_alpha(KRIPP_2011, n_boot=-1)
    with pytest.raises(ValueError, match="^reliability_data: no unit"):
        krippendorff_alpha([[1, N], [N, 2]])
    with pytest.raises(ValueError, match="^reliability_data: level='interval' needs numeric"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], level="interval")
    with pytest.raises(ValueError, match="^reliability_data: level='ratio' needs non-negative"):
        krippendorff_alpha([[-1, 2], [1, 2]], level="ratio")
    with pytest.raises(ValueError, match="^reliability_data: value 7 at row"):
        krippendorff_alpha([[1, 2], [7, 2]], categories=[1, 2])
    with pytest.raises(ValueError, match="^reliability_data: expected a 2-D table"):
        krippendorff_alpha([[1, 2, 3]])
    with pytest.raises(ValueError, match="^conf_level:"):
        krippendorff_alpha(KRIPP_2011, conf_level=95)


# --------------------------------------------------------------------------------------- Cohen's kappa


def test_cohen_kappa_printed_by_irrcac():
    r1, r2 = _pairs_from_table(CONT3X3)
    res = cohen_kappa(r1, r2)
    # irrCAC README: kappa2.table(cont3x3abstractors) -> Cohen's Kappa 0.7964094 0.05891072 (0.68,0.913)
    assert round(res.estimate, 7) == 0.7964094
    assert round(res.se, 8) == 0.05891072
    assert (round(res.ci_lower, 2), round(res.ci_upper, 3)) == (0.68, 0.912)  # irrCAC: t quantile -> 0.913
    assert res.n_units == 100 and res.observed == pytest.approx(0.89, abs=1e-15)


def test_weighted_coefficients_printed_by_irrcac():
    # irrCAC vignette "Weighted Chance-corrected Agreement Coefficients" (K. L. Gwet, 2019-09-01;
    # github.com/kgwet/irrCAC vignettes/weighting.html), quadratic weights 1 - (k - l)^2 / (q - 1)^2:
    r1, r2 = _pairs_from_table(CONT3X3)
    # kappa2.table(cont3x3abstractors, weights = quadratic.weights(1:q)) -> 0.8921569 0.03535151
    res = cohen_kappa(r1, r2, weights="quadratic")
    assert round(res.estimate, 7) == 0.8921569 and round(res.se, 8) == 0.03535151
    # gwet.ac1.table(cont3x3abstractors, weights = quadratic.weights(1:q)) -> AC2 0.9402369 0.01792019 (the table
    # version divides by n, ours by n - 1: see test_gwet_ac1_printed_by_irrcac)
    res = gwet_ac1(np.column_stack([r1, r2]), weights="quadratic")
    assert round(res.estimate, 7) == 0.9402369 and round(res.se * np.sqrt(99 / 100), 8) == 0.01792019
    # pa.coeff.raw(cac.raw4raters, weights = "quadratic")$est -> pa 0.9753788, coeff.se 0.09062, conf.int (0.776,1)
    res = percent_agreement(RAW4RATERS, weights="quadratic")
    assert round(res.estimate, 7) == 0.9753788 and round(res.se, 5) == 0.09062
    assert (round(res.ci_lower, 3), res.ci_upper) == (0.776, 1.0)
    # gwet.ac1.raw(cac.raw4raters, weights = "quadratic")$est -> AC2 pe 0.7137044, 0.914, 0.10396, (0.685,1),
    # p.value 2.634438e-06
    res = gwet_ac1(RAW4RATERS, weights="quadratic")
    assert round(res.expected, 7) == 0.7137044 and round(res.estimate, 5) == 0.914 and round(res.se, 5) == 0.10396
    assert round(res.ci_lower, 3) == 0.685 and float(f"{res.pvalue:.7g}") == 2.634438e-06
    # fleiss.kappa.raw(cac.raw4raters, weights = "quadratic")$est -> pe 0.8177083, 0.86494, 0.14603, (0.544,1),
    # p.value 9.976081e-05
    res = fleiss_kappa(RAW4RATERS, weights="quadratic")
    assert round(res.expected, 7) == 0.8177083 and round(res.estimate, 5) == 0.86494 and round(res.se, 5) == 0.14603
    assert round(res.ci_lower, 3) == 0.544 and float(f"{res.pvalue:.7g}") == 9.976081e-05
    # gwet.ac1.dist(distrib.6raters, weights = quadratic.weights(1:q)) -> 0.4837438 0.1058227 (0.257,0.711)
    # 0.0004356618, pa 0.8544444, pe 0.7180556
    six = counts_to_ratings(DISTRIB_6RATERS)
    res = gwet_ac1(six, weights="quadratic")
    assert round(res.estimate, 7) == 0.4837438 and round(res.se, 7) == 0.1058227
    assert (round(res.ci_lower, 3), round(res.ci_upper, 3)) == (0.257, 0.711)
    assert float(f"{res.pvalue:.7g}") == 0.0004356618
    assert round(res.observed, 7) == 0.8544444 and round(res.expected, 7) == 0.7180556
    # fleiss.kappa.dist(distrib.6raters, weights = quadratic.weights(1:q)) -> 0.2511909 0.1457381 (-0.061,0.564)
    # 0.1067865, pe 0.8056173
    res = fleiss_kappa(six, weights="quadratic")
    assert round(res.estimate, 7) == 0.2511909 and round(res.se, 7) == 0.1457381
    assert (round(res.ci_lower, 3), round(res.ci_upper, 3)) == (-0.061, 0.564)
    assert float(f"{res.pvalue:.7g}") == 0.1067865 and round(res.expected, 7) == 0.8056173


@pytest.mark.parametrize("name", ["cont3x3abstractors", "synthetic4x4"])
def test_cohen_kappa_matches_r_psych(name):
    ref = REF["cohen_kappa"][name]  # tests/reference/agreement.R (psych 2.2.9)
    r1, r2 = _pairs_from_table(np.array(ref["table"]))
    res = cohen_kappa(r1, r2)
    # psych::cohen.kappa(x): kappa, sqrt(var.kappa), confid["unweighted kappa", c("lower", "upper")]
    assert res.estimate == pytest.approx(ref["kappa"], abs=1e-9)
    assert res.se == pytest.approx(ref["se"], abs=1e-9)
    assert res.ci_lower == pytest.approx(ref["ci_lower"], abs=1e-9)
    assert res.ci_upper == pytest.approx(ref["ci_upper"], abs=1e-9)
    # psych::cohen.kappa(x)$weighted.kappa (quadratic) and cohen.kappa(x, w = |i - j| / (q - 1))$weighted.kappa
    assert cohen_kappa(r1, r2, weights="quadratic").estimate == pytest.approx(ref["weighted_quadratic"], abs=1e-9)
    assert cohen_kappa(r1, r2, weights="linear").estimate == pytest.approx(ref["weighted_linear"], abs=1e-9)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels(weights):
    r1, r2 = _pairs_from_table(CONT3X3)
    x = _random_ratings(3, 150, 2, 5)
    for a, b, q in ((r1, r2, 3), (x[:, 0], x[:, 1], 5)):
        res = cohen_kappa(a, b, weights=weights, categories=list(range(q)))
        table = pd.crosstab(pd.Categorical(a, categories=range(q)), pd.Categorical(b, categories=range(q)))
        # statsmodels.stats.inter_rater.cohens_kappa(table, wt=weights): kappa, std_kappa, std_kappa0 (Fleiss,
        # Cohen & Everitt 1969), z_value, pvalue_two_sided, kappa_low, kappa_upp
        ref = inter_rater.cohens_kappa(table.to_numpy(), wt=weights)
        assert res.estimate == pytest.approx(ref.kappa, abs=1e-9)
        assert res.se == pytest.approx(ref.std_kappa, abs=1e-9)
        assert res.se_h0 == pytest.approx(ref.std_kappa0, abs=1e-9)
        assert res.statistic == pytest.approx(ref.z_value, abs=1e-9)
        assert res.pvalue == pytest.approx(ref.pvalue_two_sided, abs=1e-9)
        assert res.ci_lower == pytest.approx(ref.kappa_low, abs=1e-9)
        assert res.ci_upper == pytest.approx(min(1.0, ref.kappa_upp), abs=1e-9)


def test_cohen_kappa_missing_unused_categories_and_bad_input():
    a = ["x", "y", None, "y", "z", "x"]
    b = ["x", "y", "y", np.nan, "z", "y"]
    with pytest.warns(MissingDataWarning):
        res = cohen_kappa(a, b)
    assert res.n_units == 4 and res.observed == pytest.approx(0.75)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingDataWarning)
        wide = cohen_kappa(a, b, categories=["x", "y", "z", "w"])
    assert wide.estimate == pytest.approx(res.estimate, abs=1e-15) and len(wide.categories) == 4
    with pytest.raises(ValueError, match="^r2: expected as many"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="^weights:"):
        cohen_kappa([1, 2], [1, 2], weights="cubic")
    with pytest.raises(ValueError, match="^ratings: value 'q' at row 1, column 'r2'"):
        cohen_kappa(["a", "b"], ["a", "q"], categories=["a", "b"])
    with pytest.raises(ValueError, match="^categories:"):
        cohen_kappa(["a", "b"], ["a", "b"], categories=["a", "a"])
    with pytest.raises(ValueError, match="^ratings: labels of mixed types"):
        cohen_kappa(["a", 1], ["a", 1])
    with pytest.warns(DataWarning):
        assert np.isnan(cohen_kappa([1, 1], [1, 1]).estimate)


# ------------------------------------------------------------------------------------------ Fleiss' kappa


def test_fleiss_kappa_printed_by_irrcac():
    # irrCAC README: fleiss.kappa.raw(cac.raw4raters) -> pa 0.8181818, pe 0.2387153, coeff.val 0.76117,
    # coeff.se 0.15302, conf.int (0.424,1), p.value 0.000419173
    res = fleiss_kappa(RAW4RATERS)
    assert round(res.observed, 7) == 0.8181818 and round(res.expected, 7) == 0.2387153
    assert round(res.estimate, 5) == 0.76117 and round(res.se, 5) == 0.15302
    assert (round(res.ci_lower, 3), res.ci_upper) == (0.424, 1.0)
    assert float(f"{res.pvalue:.6g}") == 0.000419173
    assert np.isnan(res.se_h0)  # unequal numbers of ratings: no Fleiss-Nee-Landis se
    # irrCAC README: fleiss.kappa.dist(distrib.6raters) -> coeff 0.4139265, stderr 0.08119291, conf.int
    # (0.24,0.588), pa 0.5511111, pe 0.2340741
    res = fleiss_kappa(counts_to_ratings(DISTRIB_6RATERS))
    assert round(res.estimate, 7) == 0.4139265 and round(res.se, 8) == 0.08119291
    assert (round(res.ci_lower, 2), round(res.ci_upper, 3)) == (0.24, 0.588)
    assert round(res.observed, 7) == 0.5511111 and round(res.expected, 7) == 0.2340741


@pytest.mark.parametrize(("seed", "raters", "q"), [(1, 3, 3), (2, 6, 5), (3, 10, 2)])
def test_fleiss_kappa_matches_statsmodels(seed, raters, q):
    x = _random_ratings(seed, 80, raters, q)
    table, _ = inter_rater.aggregate_raters(x, n_cat=q)
    # statsmodels.stats.inter_rater.fleiss_kappa(table, method="fleiss")
    assert fleiss_kappa(x).estimate == pytest.approx(inter_rater.fleiss_kappa(table, method="fleiss"), abs=1e-9)
    assert fleiss_kappa(counts_to_ratings(table)).estimate == pytest.approx(fleiss_kappa(x).estimate, abs=1e-12)


def test_fleiss_se_under_no_agreement_matches_its_sampling_distribution():
    # Fleiss, Nee & Landis (1979): the se of kappa when raters agree by chance only. Checked against the sd of
    # kappa over 400 synthetic studies of 100 units x 5 raters drawing categories independently (p = .5/.3/.2);
    # the sd of 400 draws is within 10% of the true sd with probability > 0.99.
    rng = np.random.default_rng(20261130)
    kappas, ses = [], []
    for _ in range(400):
        res = fleiss_kappa(rng.choice(3, size=(100, 5), p=[0.5, 0.3, 0.2]))
        kappas.append(res.estimate)
        ses.append(res.se_h0)
    assert np.mean(ses) == pytest.approx(np.std(kappas, ddof=1), rel=0.10)
    assert abs(np.mean(kappas)) < 3 * np.mean(ses) / np.sqrt(400)


def test_two_raters_fleiss_is_scott_and_weights_reduce_to_unweighted():
    x = _random_ratings(4, 120, 2, 4)
    p = np.bincount(x.ravel(), minlength=4) / x.size
    pa = np.mean(x[:, 0] == x[:, 1])
    scott = (pa - (p**2).sum()) / (1 - (p**2).sum())  # Scott's (1955) pi
    assert fleiss_kappa(x).estimate == pytest.approx(scott, abs=1e-12)
    two = _random_ratings(5, 50, 3, 2)  # two categories: linear and quadratic weights are the identity
    for w in ("linear", "quadratic"):
        assert fleiss_kappa(two, weights=w).estimate == pytest.approx(fleiss_kappa(two).estimate, abs=1e-12)
        assert gwet_ac1(two, weights=w).estimate == pytest.approx(gwet_ac1(two).estimate, abs=1e-12)


# --------------------------------------------------------------------------------- Gwet's AC1, agreement


def test_gwet_ac1_printed_by_irrcac():
    # irrCAC README: gwet.ac1.raw(cac.raw4raters) -> pa 0.8181818, pe 0.1903212, coeff.val 0.77544,
    # coeff.se 0.14295, conf.int (0.461,1), p.value 0.000208721
    res = gwet_ac1(RAW4RATERS)
    assert round(res.expected, 7) == 0.1903212
    assert round(res.estimate, 5) == 0.77544 and round(res.se, 5) == 0.14295
    assert (round(res.ci_lower, 3), res.ci_upper) == (0.461, 1.0)
    assert float(f"{res.pvalue:.6g}") == 0.000208721
    # irrCAC README: gwet.ac1.dist(distrib.6raters) -> coeff 0.4448007, stderr 0.08418757, conf.int
    # (0.264,0.625), p.value 0.0001155927, pe 0.1914815
    res = gwet_ac1(counts_to_ratings(DISTRIB_6RATERS))
    assert round(res.estimate, 7) == 0.4448007 and round(res.se, 8) == 0.08418757
    assert (round(res.ci_lower, 3), round(res.ci_upper, 3)) == (0.264, 0.625)
    assert float(f"{res.pvalue:.7g}") == 0.0001155927 and round(res.expected, 7) == 0.1914815
    # irrCAC README: gwet.ac1.table(cont3x3abstractors) -> Gwet's AC1 0.8493305, se 0.04321747. The table
    # version's variance divides by n where the raw-ratings version (ours, as gwet.ac1.raw) divides by n - 1:
    # the same data as 100 units x 2 raters give 0.04321747 * sqrt(100 / 99) to the printed digits.
    res = gwet_ac1(np.column_stack(_pairs_from_table(CONT3X3)))
    assert round(res.estimate, 7) == 0.8493305
    assert round(res.se * np.sqrt(99 / 100), 8) == 0.04321747


def test_percent_agreement_printed_by_irrcac():
    # irrCAC README: pa.coeff.raw(cac.raw4raters) -> coeff.val 0.8181818, coeff.se 0.12561, conf.int (0.542,1)
    res = percent_agreement(RAW4RATERS)
    assert round(res.estimate, 7) == 0.8181818 and round(res.se, 5) == 0.12561
    assert (round(res.ci_lower, 3), res.ci_upper) == (0.542, 1.0)
    assert np.isnan(res.pvalue)
    # irrCAC README: pa2.table(cont3x3abstractors) -> 0.89, se 0.03128898 (divides by n; ours by n - 1)
    res = percent_agreement(np.column_stack(_pairs_from_table(CONT3X3)))
    assert res.estimate == pytest.approx(0.89, abs=1e-15)
    assert round(res.se * np.sqrt(99 / 100), 8) == 0.03128898


def test_results_are_frozen_tables_and_bad_input_names_the_parameter():
    res = gwet_ac1(RAW4RATERS, weights="quadratic", categories=[1, 2, 3, 4, 5])
    assert res.coefficient == "gwet_ac2" and res.weights == "quadratic"
    frame = res.to_frame()
    assert list(frame.columns[:9]) == [
        "coefficient", "weights", "estimate", "se", "se_h0", "statistic", "pvalue", "ci_lower", "ci_upper",
    ]  # fmt: skip
    assert "gwet_ac2 (quadratic)" in res.summary()
    with pytest.raises(AttributeError):
        res.estimate = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="^ratings: expected a 2-D table"):
        fleiss_kappa([1, 2, 3])
    with pytest.raises(ValueError, match="^ratings: no unit is rated by two"):
        gwet_ac1([[1, N], [N, 2]])
    with pytest.raises(ValueError, match="^categories: AC1 needs at least two"):
        gwet_ac1([[1, 1], [1, 1]])
    with pytest.raises(ValueError, match="^counts:"):
        counts_to_ratings([[1, -1]])
    with pytest.raises(ValueError, match="^minimum:"):
        res.prob_below(0.8)
    with pytest.warns(MissingDataWarning):
        assert fleiss_kappa([[1, 1], [N, N], [2, 2], [1, 2]]).n_units == 3


def test_every_public_name_is_in_the_index():
    import emstudy.stats

    assert set(agreement.__all__) <= set(emstudy.stats.__all__)
