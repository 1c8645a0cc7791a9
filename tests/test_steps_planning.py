"""Notebook 06: the plan for a repeat survey of a place (findings, Monte Carlo power, the CFA's analytic n),
its files and figure, and the summary report's section on it."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from emstudy.errors import EmstudyError
from emstudy.project import Project
from emstudy.reporting.figures import figure_png, plot_power_curve
from emstudy.reporting.pages import summary_report
from emstudy.stats import rmsea_power, rmsea_sample_size
from emstudy.steps import files, planning, summary

CASE = "yima"
NS = (50, 400)
REPLICATIONS = 20


@pytest.fixture(scope="module")
def plan(project):
    return planning.run(project, CASE, ns=NS, replications=REPLICATIONS, seed=7)


def _below(rows):
    return pd.DataFrame(rows, columns=["case", "construct", "diff", "pvalue_holm", "below"])


def test_the_findings_are_the_places_weaknesses_then_its_significant_drivers(codebook):
    below = _below(
        [
            ("a", "warning", -0.3, 0.001, True),
            ("a", "plan", -0.2, 0.01, True),
            ("a", "teams", -0.1, 0.2, False),
            ("b", "rules", -0.4, 0.0, True),
        ]
    )
    drivers = pd.DataFrame(
        {
            "term": ["Intercept", "plan", "information", "role[T.gov]", "recovery"],
            "coef": [1.0, 0.2, -0.3, 0.5, 0.1],
            "pvalue": [0.0, 0.04, 0.001, 0.0, 0.05],
        }
    )
    found = planning.study_findings(below, drivers, "a", codebook)
    # weaknesses in codebook order (plan before warning), drivers at p < .05 among the constructs only
    assert list(found["target"]) == ["below:plan", "below:warning", "driver:plan", "driver:information"]
    assert list(found["kind"]) == ["below_others"] * 2 + ["driver"] * 2
    assert found.set_index("target").loc["driver:information", "estimate"] == -0.3
    assert found.set_index("target").loc["below:warning", "pvalue"] == 0.001
    assert planning.study_findings(below, None, "b", codebook)["target"].tolist() == ["below:rules"]


def test_the_cfa_plan_tests_the_rmsea_found_against_close_fit():
    close = planning.rmsea_plan({"converged": True, "fit": {"df": 40, "rmsea": 0.02, "npar": 30, "ntotal": 200}})
    assert close["test"] == "not-close fit" and close["rmsea_a"] == 0.02
    assert close["n"] == rmsea_sample_size(df=40, rmsea0=0.05, rmsea_a=0.02)
    # the smallest n: power 0.8 reached there, not one respondent earlier
    assert rmsea_power(df=40, n=close["n"], rmsea0=0.05, rmsea_a=0.02).power >= 0.8
    assert rmsea_power(df=40, n=close["n"] - 1, rmsea0=0.05, rmsea_a=0.02).power < 0.8
    assert close["close_fit_n"] == rmsea_sample_size(df=40, rmsea0=0.05, rmsea_a=0.08)
    poor = planning.rmsea_plan({"converged": True, "fit": {"df": 40, "rmsea": 0.09, "npar": 30, "ntotal": 200}})
    assert poor["test"] == "close fit" and poor["n"] == rmsea_sample_size(df=40, rmsea0=0.05, rmsea_a=0.09)
    assert planning.rmsea_plan({"converged": False, "fit": {"df": 40, "rmsea": 0.02}}) is None
    assert planning.rmsea_plan({"converged": True, "fit": {"df": 40, "rmsea": 0.05}})["n"] is None


def test_a_plan_covers_every_finding_of_the_study(plan, project):
    below = pd.read_csv(files.cross_case_results_dir(project) / files.BELOW_OTHERS)
    weak = below[(below["case"] == CASE) & below["below"]]["construct"]
    assert set(plan.findings.query("kind == 'below_others'")["construct"]) == set(weak)
    drivers = pd.read_csv(project.results_dir(CASE) / files.DRIVERS_TABLE).set_index("term")
    significant = [c for c in project.codebook().construct_ids if drivers.loc[c, "pvalue"] < 0.05]
    assert list(plan.findings.query("kind == 'driver'")["construct"]) == significant
    assert set(plan.power["target"]) == set(plan.findings["target"])
    assert sorted(set(plan.power["n"])) == list(NS) and (plan.power["replications"] == REPLICATIONS).all()
    assert plan.n_study == len(pd.read_csv(project.results_dir(CASE) / files.ENCODED))
    assert plan.synthetic and plan.text["en"][-1].startswith("Computed from synthetic data")


def test_the_smallest_n_is_where_the_power_table_reaches_the_target_for_good(plan):
    for _, finding in plan.findings.iterrows():
        curve = plan.power[plan.power["target"] == finding["target"]].sort_values("n")
        reached = curve["power"].to_numpy() >= 0.8
        expected = next((int(n) for k, n in enumerate(curve["n"]) if reached[k:].all()), None)
        assert (None if pd.isna(finding["smallest_n"]) else int(finding["smallest_n"])) == expected
        assert finding["power_max"] == curve["power"].iloc[-1]
    reached = plan.findings["smallest_n"]
    assert plan.needed == (None if reached.isna().any() else int(reached.max()))


def test_a_strong_weakness_is_found_more_often_by_a_larger_survey(plan):
    strongest = plan.findings.query("kind == 'below_others'").sort_values("estimate").iloc[0]["target"]
    curve = plan.power[plan.power["target"] == strongest].set_index("n")["power"]
    assert curve[400] == 1.0 and curve[50] < curve[400]


def test_the_files_and_figure_are_byte_stable(plan, project, tmp_path, saved_figure_texts):
    again = planning.run(project, CASE, ns=NS, replications=REPLICATIONS, seed=7)
    first = planning.write_results(plan, tmp_path / "a") + planning.write_figures(
        plan, tmp_path / "a", codebook=project.codebook()
    )
    second = planning.write_results(again, tmp_path / "b") + planning.write_figures(
        again, tmp_path / "b", codebook=project.codebook()
    )
    assert [p.relative_to(tmp_path / "a").as_posix() for p in first] == [
        files.PLANNING_TABLE,
        files.PLANNING,
        files.case_power_figure(CASE),
        "figures/yima_power.zh.png",
    ]
    # the figure in each language: title with the place's name and the synthetic mark, a legend label per finding
    en, zh = saved_figure_texts["yima_power.png"], saved_figure_texts["yima_power.zh.png"]
    assert "YimaCity(syntheticdata):powerofarepeatsurvey" in en and "义马市（合成数据）：重复调查的统计功效" in zh
    assert first[2].read_bytes() != first[3].read_bytes()
    codebook = project.codebook()
    for kind, construct in zip(plan.findings["kind"], plan.findings["construct"]):
        zh_label = codebook.label(construct, "zh") + ("（低于其他地区）" if kind == "below_others" else "（驱动因素）")
        assert zh_label in zh and "".join(codebook.label(construct, "en").split()) in en
        assert "".join(codebook.label(construct, "en").split()) not in zh
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = planning.run(project, CASE, ns=NS, replications=REPLICATIONS, seed=8)
    assert planning.write_results(other, tmp_path / "c")[0].read_bytes() != first[0].read_bytes()
    table = pd.read_csv(first[0])
    assert list(table.columns) == [
        "target",
        "kind",
        "construct",
        "n",
        "power",
        "mc_se",
        "ci_lower",
        "ci_upper",
        "replications",
        "converged",
        "improper",
        "failed",
    ]


def test_the_power_curve_png_is_byte_stable_and_draws_an_empty_plan():
    table = pd.DataFrame(
        {"n": [50, 100, 50, 100], "target": ["a", "a", "b", "b"], "power": [0.2, 0.6, 0.7, 0.95]}
    ).assign(ci_lower=lambda f: f["power"] - 0.05, ci_upper=lambda f: f["power"] + 0.04)
    one = figure_png(plot_power_curve(table, labels={"a": "weakness"}, n_study=80, title="t"))
    assert one == figure_png(plot_power_curve(table, labels={"a": "weakness"}, n_study=80, title="t"))
    assert one != figure_png(plot_power_curve(table, n_study=80, title="t"))
    assert figure_png(plot_power_curve(table.iloc[:0])).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="power"):
        plot_power_curve(table.drop(columns="power"))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"ns": []}, "ns"),
        ({"ns": [50, 50]}, "ns"),
        ({"ns": [1]}, "ns"),
        ({"replications": 0}, "replications"),
        ({"seed": -1}, "seed"),
        ({"power": 1.0}, "power"),
        ({"alpha": 0}, "alpha"),
    ],
)
def test_bad_settings_are_named(project, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}: "):
        planning.run(project, CASE, **kwargs)


def test_a_plan_needs_the_comparison(project, tmp_path):
    for name in ("data", "analysis"):
        shutil.copytree(project.root / name, tmp_path / name)
    (tmp_path / "notebooks").mkdir()
    copy = Project(tmp_path)
    (files.cross_case_results_dir(copy) / files.BELOW_OTHERS).unlink()
    with pytest.raises(EmstudyError, match=r"below_others\.csv: not found; run notebook 05_compare"):
        planning.run(copy, CASE, ns=NS, replications=2)


def test_the_summary_states_each_places_plan_in_both_languages(plan, project, tmp_path):
    codebook = project.codebook()
    results = planning.write_results(plan, tmp_path)
    stored = json.loads(results[1].read_text(encoding="utf-8"))
    other = {**stored, "case": "wencheng", "needed": None, "findings": stored["findings"][:1]}
    other["hardest"] = other["findings"][0]
    study = summary.run(project, project.case_ids())
    plans = {CASE: stored, "wencheng": other}
    pages = {
        lang: summary_report(
            study.findings, codebook, lang=lang, shared=study.shared, invariance_verdict=None, planning=plans
        )
        for lang in ("en", "zh")
    }
    en = next(s for s in pages["en"].sections if s.heading == "Planning a repeat survey")
    zh = next(s for s in pages["zh"].sections if s.heading == "重复调查的样本量规划")
    frame_en, frame_zh = en.tables[0].frame, zh.tables[0].frame
    assert list(frame_en.iloc[:, 0]) == ["Wencheng County", "Yima City"]  # the places in the study's order
    yima = frame_en.set_index(frame_en.columns[0]).loc["Yima City"]
    needed = str(plan.needed) if plan.needed is not None else f"more than {max(NS)}"
    assert yima.iloc[0] == str(plan.n_study) and yima.iloc[2] == needed
    assert frame_zh.set_index(frame_zh.columns[0]).loc["文成县"].iloc[2] == f"超过{max(NS)}"
    assert any("synthetic data" in p for p in en.paragraphs) and any("合成数据" in p for p in zh.paragraphs)
    # the Chinese section names constructs in Chinese: no construct id, no English label
    text = "\n".join([*zh.paragraphs, frame_zh.to_string()])
    for c in codebook.construct_ids:
        assert not re.search(rf"\b{c}\b", text) and codebook.label(c, "en") not in text, c
    # without plans, no section
    none = summary_report(study.findings, codebook, lang="en", shared=study.shared, invariance_verdict=None)
    assert all(s.heading != "Planning a repeat survey" for s in none.sections)
