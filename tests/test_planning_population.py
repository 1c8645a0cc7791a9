"""Populations of a planning study: the synthetic generator as designed, the study as fitted, lavaan syntax.

ModelPopulation's moments are checked against lavaan::simulateData's (tests/reference/planning_population.R,
lavaan 0.6.14; the R call is quoted beside each check); CasePopulation against the study's own encoding
(notebook 01: emstudy.survey.encode) and the generator's exact expected construct means.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from emstudy.errors import EmstudyError
from emstudy.planning.population import (
    CasePopulation,
    ModelPopulation,
    MultiGroupPopulation,
    PlacesPopulation,
    ScorePopulation,
)
from emstudy.survey.encode import construct_scores, encode
from emstudy.survey.simulate import SimulationSettings, draw_responses, expected_construct_means

REF = json.loads((Path(__file__).parent / "reference" / "planning_population.json").read_text(encoding="utf-8"))


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed))


# ------------------------------------------------------------------------------------- ModelPopulation


@pytest.mark.parametrize("name", sorted(REF["models"]))
def test_model_population_moments_are_simulatedata_s(name):
    """R: d <- simulateData(model, standardized = std, return.fit = TRUE); lavInspect(attr(d, "fit"),
    "implied")$cov and $mean (defaults: unvalued loadings 1 (0.7 standardized), variances 1, others 0)."""
    ref = REF["models"][name]
    pop = ModelPopulation(ref["syntax"], standardized=ref["standardized"])
    assert sorted(pop.names) == sorted(ref["names"])
    order = [pop.names.index(v) for v in ref["names"]]
    np.testing.assert_allclose(pop.cov[np.ix_(order, order)], np.array(ref["cov"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(pop.mean[order], np.array(ref["mean"]), rtol=0, atol=1e-12)


def test_model_population_draws_have_the_implied_moments():
    ref = REF["models"]["defaults"]
    pop = ModelPopulation(ref["syntax"])
    data = pop.draw(40000, _rng(1))
    assert list(data.columns) == list(pop.names)
    se_mean = np.sqrt(np.diag(pop.cov) / len(data))
    assert np.all(np.abs(data.mean().to_numpy() - pop.mean) < 4 * se_mean)
    np.testing.assert_allclose(data.cov().to_numpy(), pop.cov, atol=0.05)


def test_model_population_cuts_ordered_items_as_simulatedata():
    """R: as.integer(cut(values, c(-Inf, -1, 0, 1, Inf))) (right-closed), and the category shares of
    simulateData("f =~ 0.7*x1 + ...; x1 | -1*t1 + 0*t2 + 1*t3", sample.nobs = 200000): the ordered item's
    latent response has unit variance (lavaan's delta parameterization)."""
    cut = REF["cut"]
    ordered = REF["ordered"]
    pop = ModelPopulation("x ~~ 1*x", ordered={"x": cut["thresholds"]})
    codes = 1 + np.searchsorted(np.array(cut["thresholds"], dtype=float), np.array(cut["values"]), side="left")
    assert codes.tolist() == cut["codes"]
    pop = ModelPopulation(ordered["syntax"], ordered={ordered["item"]: ordered["thresholds"]})
    x = pop.draw(ordered["n"], _rng(2))[ordered["item"]]
    shares = x.value_counts(normalize=True).reindex([1.0, 2.0, 3.0, 4.0]).to_numpy()
    r_shares = np.array(ordered["shares"])
    se = np.sqrt(2 * r_shares * (1 - r_shares) / ordered["n"])  # two independent samples
    assert np.all(np.abs(shares - r_shares) < 4 * se)
    order = [pop.names.index(v) for v in ordered["names"]]  # lavInspect(attr(d, "fit"), "implied")$cov
    np.testing.assert_allclose(pop.cov[np.ix_(order, order)], np.array(ordered["cov"]), rtol=0, atol=1e-12)
    exact = np.diff(stats.norm.cdf(np.r_[-np.inf, ordered["thresholds"], np.inf]))  # unit variance (delta)
    assert np.all(np.abs(shares - exact) < 4 * np.sqrt(exact * (1 - exact) / ordered["n"]))


def test_model_population_bad_input_is_one_line():
    with pytest.raises(EmstudyError, match=r"^syntax: .*line 1"):
        ModelPopulation("f =~ 0.7*x1 + x2 | t1")
    with pytest.raises(EmstudyError, match=r"^syntax: the model's implied covariance matrix is not positive"):
        ModelPopulation("x1 ~~ 1*x1; x2 ~~ 1*x2; x1 ~~ 2*x2")
    with pytest.raises(EmstudyError, match=r"^ordered: 'z' is not an observed variable"):
        ModelPopulation("f =~ x1 + x2 + x3", ordered={"z": [0.0]})
    with pytest.raises(EmstudyError, match=r"^ordered: the thresholds of 'x1' must be increasing"):
        ModelPopulation("f =~ x1 + x2 + x3", ordered={"x1": [1.0, 0.0]})
    pop = ModelPopulation("f =~ x1 + x2 + x3")
    with pytest.raises(EmstudyError, match=r"^n: expected a whole number"):
        pop.draw(1, _rng(1))
    with pytest.raises(EmstudyError, match=r"^rng: expected a numpy.random.Generator"):
        pop.draw(10, 1)


def test_populations_pickle_and_draw_the_same():
    pop = ModelPopulation("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3", ordered={"x1": [0.0]})
    again = pickle.loads(pickle.dumps(pop))
    pd.testing.assert_frame_equal(again.draw(50, _rng(3)), pop.draw(50, _rng(3)))


# ------------------------------------------------------------------------------------- as designed


def test_case_population_encodes_as_notebook_01(project):
    """The same respondents through the study's encoding (encode(...).valid(), construct_scores) give the
    same frame, value for value: reverse keys, missing answers, careless respondents dropped, scores."""
    cb = project.codebook()
    case = project.case("wencheng", cb)
    raw = draw_responses(case, cb, n=400, rng=_rng(3))
    export = raw.reset_index().rename(columns={"respondent_id": cb.id_column.name})
    enc = encode(export, cb).valid()
    expected = pd.concat([enc.background, enc.items, construct_scores(enc.items, cb)], axis=1)
    got = CasePopulation.from_case(case, cb).draw(400, _rng(3))
    assert (got["case"] == "wencheng").all()
    got = got.drop(columns="case").set_axis(got.index.astype(str))
    assert len(got) < 400  # the careless respondents are gone
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_index_type=False)


def test_case_population_reaches_the_designed_construct_means(project):
    """Attentive respondents, no non-response: the mean construct scores at a large n are the generator's
    exact expectation (emstudy.survey.simulate.expected_construct_means)."""
    cb = project.codebook()
    case = project.case("yima", cb)
    pop = CasePopulation.from_case(case, cb, missing_rate=0.0, careless_rate=0.0)
    data = pop.draw(20000, _rng(4))
    expected = expected_construct_means(case, cb, SimulationSettings())
    for construct, mean in expected.items():
        se = data[construct].std() / np.sqrt(data[construct].notna().sum())
        assert abs(data[construct].mean() - mean) < 4.5 * se, construct


def test_case_population_rates(project):
    cb = project.codebook()
    case = project.case("yima", cb)
    data = CasePopulation.from_case(case, cb, missing_rate=0.1, careless_rate=0.1).draw(1000, _rng(5))
    assert 890 <= len(data) <= 900  # 100 careless respondents dropped (an attentive speeder is possible)
    share = data[list(cb.item_ids)].isna().to_numpy().mean()
    assert abs(share - 0.1) < 4 * np.sqrt(0.1 * 0.9 / data[list(cb.item_ids)].size)
    study = CasePopulation.from_case(case, cb).draw(1000, _rng(5))
    assert 945 <= len(study) <= 950  # the study's 3% straight-liners and 2% speeders dropped
    with pytest.raises(EmstudyError, match=r"^missing_rate: expected a share in \[0, 1\)"):
        CasePopulation.from_case(case, cb, missing_rate=1.5)
    with pytest.raises(EmstudyError, match=r"^case: expected an emstudy.survey.cases.Case"):
        CasePopulation.from_case("yima", cb)


def test_places_population_keeps_the_other_places_fixed(project):
    cb = project.codebook()
    pop = PlacesPopulation.from_cases(project.cases(), cb, place="yima")
    a, b = pop.draw(60, _rng(6)), pop.draw(120, _rng(6))
    others_a = a[a["case"] != "yima"].reset_index(drop=True)
    others_b = b[b["case"] != "yima"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others_a, others_b)
    assert list(a["case"].cat.categories) == [c.id for c in project.cases()]
    assert (b["case"] == "yima").sum() <= 120
    with pytest.raises(EmstudyError, match=r"^place: 'nowhere' is not among the places"):
        PlacesPopulation.from_cases(project.cases(), cb, place="nowhere")


# ------------------------------------------------------------------------------------- as fitted


def _scores(seed: int = 7) -> pd.DataFrame:
    rng = _rng(seed)
    cov_a = np.array([[0.64, 0.3], [0.3, 0.81]])
    cov_b = np.array([[0.36, 0.1], [0.1, 0.49]])
    a = rng.multivariate_normal([3.0, 3.5], cov_a, size=150)
    b = rng.multivariate_normal([3.3, 3.4], cov_b, size=400)
    frame = pd.DataFrame(np.vstack([a, b]), columns=["x", "y"])
    frame.loc[rng.random(len(frame)) < 0.1, "y"] = np.nan
    frame["case"] = pd.Categorical(["a"] * 150 + ["b"] * 400, categories=["b", "a"])
    return frame


def test_score_population_draws_the_observed_moments():
    scores = _scores()
    pop = ScorePopulation.from_scores(scores, place="a")
    assert pop.places == ("b", "a") and pop.sizes == (400, 150) and pop.columns == ("x", "y")
    data = pop.draw(50000, _rng(8))
    mine = data[data["case"] == "a"]
    observed = scores[scores["case"] == "a"][["x", "y"]]
    assert len(mine) == 50000 and (data["case"] == "b").sum() == 400
    np.testing.assert_allclose(mine[["x", "y"]].mean(), observed.mean(), atol=0.02)
    np.testing.assert_allclose(mine[["x", "y"]].cov(), observed.cov(), atol=0.03)  # pairwise complete
    np.testing.assert_allclose(mine[["x", "y"]].isna().mean(), observed.isna().mean(), atol=0.01)


def test_score_population_other_places_do_not_depend_on_n():
    pop = ScorePopulation.from_scores(_scores(), place="a")
    a, b = pop.draw(30, _rng(9)), pop.draw(300, _rng(9))
    pd.testing.assert_frame_equal(a[a["case"] == "b"], b[b["case"] == "b"])
    with pytest.raises(EmstudyError, match=r"^place: 'c' is not among the places"):
        ScorePopulation.from_scores(_scores(), place="c")
    with pytest.raises(EmstudyError, match=r"^columns: \['z'\] not in scores"):
        ScorePopulation.from_scores(_scores(), place="a", columns=["z"])


def test_multigroup_population_stacks_groups():
    pop = MultiGroupPopulation(
        (ModelPopulation("f =~ 0.7*x1 + 0.7*x2 + 0.7*x3"), ModelPopulation("f =~ 0.7*x1 + 0.4*x2 + 0.7*x3"))
    )
    data = pop.draw(25, _rng(10))
    assert data["group"].value_counts().to_dict() == {"g1": 25, "g2": 25}
    with pytest.raises(EmstudyError, match=r"^populations: expected at least two"):
        MultiGroupPopulation((ModelPopulation("f =~ x1 + x2 + x3"),))


def test_draw_responses_checks_its_arguments(project):
    cb = project.codebook()
    case = project.case("yima", cb)
    with pytest.raises(EmstudyError, match=r"^n: expected a whole number of respondents from 2 upwards"):
        draw_responses(case, cb, n=1, rng=_rng(1))
    with pytest.raises(EmstudyError, match=r"^careless_rate: expected a share in \[0, 1\)"):
        draw_responses(case, cb, n=10, rng=_rng(1), careless_rate=1.0)
    raw = draw_responses(case, cb, n=10, rng=_rng(1), missing_rate=0.0, careless_rate=0.0)
    assert raw.shape == (10, len(cb.item_ids) + 3) and not raw.isna().any().any()
