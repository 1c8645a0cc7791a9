"""What a small or unusual case cannot support: the rules (emstudy.survey.limits), `emstudy validate`'s warnings,
and a case with one role, an all-missing item and a constant item run through every notebook end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import new_case_in_copy
from emstudy.cli import main
from emstudy.project import Project
from emstudy.survey import limits
from emstudy.survey.simulate import simulate_case


def _items(n: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    x = np.clip(np.round(3 + f + rng.normal(scale=0.8, size=(n, 4))), 1, 5)
    return pd.DataFrame(x, columns=["A1", "A2", "A3", "A4"])


def test_screen_items_names_all_missing_and_constant_items() -> None:
    x = _items()
    x["A2"] = np.nan
    x["A3"] = 3.0
    assert limits.screen_items(x) == {"A2": "every answer is missing", "A3": "every answer is 3 (zero variance)"}
    assert limits.screen_items(_items()) == {}


def test_screen_scales_leaves_out_items_and_says_what_is_not_computed() -> None:
    x = _items()
    x["A2"] = np.nan
    x["A3"] = 3.0
    x["B1"], x["B2"] = x["A1"], 4.0
    s = limits.screen_scales(x, {"A": ["A1", "A2", "A3", "A4"], "B": ["B1", "B2"]})
    assert s.scales == {"A": ["A1", "A4"], "B": ["B1"]}
    assert set(s.excluded_items) == {"A2", "A3", "B2"}
    assert list(s.not_computed) == ["B"] and s.not_computed["B"].en == "only 1 usable item(s) (B1)"
    assert s.not_computed["B"].zh == "仅有1个可用题项（B1）"
    assert s.excluded_items["A3"].zh == "所有回答均为3（方差为零）"
    assert s.computable() == {"A": ["A1", "A4"]}
    assert any("scale A: two usable items; reliability is the Spearman-Brown coefficient" in n.en for n in s.notes)
    assert any(n.en.startswith("scale B: reliability not computed") for n in s.notes)
    assert "量表B未计算信度：仅有1个可用题项（B1）" in [n.zh for n in s.notes]
    assert "题项A2未纳入所属量表和因子分析：所有回答均缺失" in [n.zh for n in s.notes]
    assert all(_reads_chinese(n.zh) for n in s.notes)


def test_duplicate_items_names_the_earlier_item_and_validate_warns_of_them() -> None:
    x = _items(n=60)
    x["A5"] = 6 - x["A2"]  # the same answers, reversed: correlation -1
    x.loc[3, "A5"] = np.nan
    x["A6"] = x["A1"] + np.where(np.arange(60) == 0, 1, 0)  # one answer differs: not a duplicate
    found = limits.duplicate_items(x)
    assert list(found) == ["A5"]
    assert (
        found["A5"].en
        == "its answers duplicate those of A2 (correlation -1 among the 59 respondents who answered both)"
    )
    assert found["A5"].zh == "其回答与A2完全相关（59名两题都作答的受访者中相关系数为-1）"
    roles = pd.Series(["res", "gov"] * 30)
    said = limits.case_limitations(x, roles, {"A": list(x.columns)}, n_predictors=1)
    assert [m.en for m in said] == [
        "item A5 left out of the factor analyses: its answers duplicate those of A2 (correlation -1 among the 59 "
        "respondents who answered both)"
    ]


def test_screen_scales_needs_three_complete_respondents() -> None:
    x = pd.DataFrame({"A1": [np.nan, 2.0, 3.0], "A2": [1.0, 3.0, 2.0], "A3": [2.0, 2.0, 4.0]})
    s = limits.screen_scales(x, {"A": ["A1", "A2", "A3"]})
    assert s.scales == {"A": ["A1", "A2", "A3"]}
    assert "only 2 respondent(s) answered all of" in s.not_computed["A"].en
    assert s.not_computed["A"].zh == "仅2名受访者答完了A1, A2, A3，至少需要3名"


def _one_answer_among_the_complete(enc):
    """Wencheng's answers with the first scale's first item set to 3 for every respondent who answered the whole
    scale, while it still varies among the others (a small case can do this by chance)."""
    scale, cols = next(iter(enc.codebook.scales().items()))
    items = enc.items.copy()
    complete = items[cols].notna().all(axis=1)
    items.loc[complete, cols[0]] = 3.0
    partial = items.index[~complete & items[cols[0]].notna()]
    assert len(partial) >= 2  # the item still varies overall
    items.loc[partial[0], cols[0]], items.loc[partial[1], cols[0]] = 1.0, 5.0
    return scale, cols, items, int(complete.sum())


def test_an_item_with_one_answer_among_the_complete_respondents_is_a_limitation(project) -> None:
    from dataclasses import replace

    from emstudy.steps import reliability
    from emstudy.steps.context import load_encoded

    enc = load_encoded(project.root, "wencheng")
    scale, cols, items, n = _one_answer_among_the_complete(enc)
    assert items[cols[0]].nunique() > 1  # not constant overall: screen_items does not catch it
    s = limits.screen_scales(items, {scale: cols})
    assert s.scales == {scale: cols} and s.excluded_items == {}
    listed = ", ".join(cols)
    assert s.not_computed[scale].en == (
        f"item {cols[0]} has a single answer (3) among the {n} respondents who answered all of {listed}; "
        f"more complete answers are needed, or leave {cols[0]} out of the scale in the codebook"
    )
    assert s.not_computed[scale].zh.startswith(f"题项{cols[0]}在答完{listed}的{n}名受访者中只有一种回答（3）")
    # the step runs on (it stopped with "item(s) with zero variance" before) and reports the scale as not computed
    res = reliability.run(replace(enc, items=items))
    assert res.table.loc[scale, "verdict"] == "not computed"
    assert res.table.loc[scale, "reliability_note"] == s.not_computed[scale].en
    assert f"scale {scale}: reliability not computed: item {cols[0]} has a single answer" in " ".join(
        m.en for m in res.limitations
    )
    assert res.table.drop(index=scale)["verdict"].ne("not computed").all()  # the other scales are unaffected
    assert scale not in set(res.items["construct"])


def test_role_factor_model_and_group_limits() -> None:
    assert limits.role_limit(pd.Series(["res"] * 5), labels_zh={"res": "居民"}) == limits.Limitation(
        "role comparison skipped: only one role (res) among the respondents", "受访者仅有一类身份（居民），未做身份比较"
    )
    few = limits.role_limit(pd.Series(["res", "res", "gov"]), labels_zh={"gov": "政府工作人员"})
    assert (
        "gov have fewer than two respondents" in few.en and few.zh == "身份为政府工作人员的受访者不足两人，未做身份比较"
    )
    assert limits.role_limit(pd.Series(["res", "res", "gov", "gov"])) is None
    assert limits.model_role_limit(pd.Series(["res", "gov"])) is None
    assert limits.model_role_limit(pd.Series(["ent"])).zh == "作答完整的受访者仅有一类身份（ent），回归模型未纳入身份"
    fa = limits.factor_analysis_limit(48, 48)
    assert fa and "48名受访者、48个题项" in fa.zh and limits.factor_analysis_limit(49, 48) is None
    m = limits.model_limit(13, 13, what="m", what_zh="模型M")
    assert m.en.startswith("m not fitted: 13") and m.zh.startswith("未拟合模型M：仅13名")
    assert limits.model_limit(14, 13) is None
    x = _items()
    y = x.assign(A2=2.0)
    assert limits.group_exclusions({"x": x, "y": y, "z": x.head(4)}, ["A1", "A2", "A3", "A4"]) == {
        "y": limits.Limitation("item A2: every answer is 2 (zero variance)", "题项A2：所有回答均为2（方差为零）"),
        "z": limits.Limitation("4 respondents for 4 items", "仅4名受访者、4个题项"),
    }
    z = limits.Limitation("4 respondents for 4 items", "仅4名受访者、4个题项")
    assert limits.case_exclusions({"z": z}) == [
        {
            "en": "case z left out: 4 respondents for 4 items",
            "zh": "案例z未纳入跨案例测量等值性模型：仅4名受访者、4个题项",
        }
    ]


def _reads_chinese(text: str) -> bool:
    """Mostly Chinese: no run of three English words (ids such as PLN2 and numbers are fine)."""
    import re

    return re.search(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}", text) is None and bool(
        re.search(r"[\u4e00-\u9fff]", text)
    )


CASE = "oddplace"


def _odd_survey(project: Project, codebook) -> pd.DataFrame:
    """160 synthetic respondents, all residents, PLN2 never answered and PLN3 always '一般' (3)."""
    yima = project.case("yima", codebook)
    case = yima.model_copy(update={"id": CASE, "sample": yima.sample.model_copy(update={"n": 160})})
    raw, _truth = simulate_case(case, codebook)
    h = codebook.export_headers
    res = next(lvl.zh for d in codebook.demographics if d.id == "role" for lvl in d.levels if lvl.code == "res")
    raw[h["role"]] = res
    raw[h["PLN2"]] = ""
    raw[h["PLN3"]] = "一般"
    return raw


def test_validate_warns_about_what_the_run_will_leave_out(project, codebook, tmp_path, capsys) -> None:
    path = tmp_path / "odd.csv"
    _odd_survey(project, codebook).to_csv(path, index=False)
    assert main(["--root", str(project.root), "validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "analysis limitations: 4" in out
    assert "warning: scale plan: two usable items; reliability is the Spearman-Brown coefficient" in out
    assert "warning: item PLN2 left out of its scale and of the factor analyses: every answer is missing" in out
    assert "warning: item PLN3 left out of its scale and of the factor analyses: every answer is 3" in out
    assert "warning: role comparison skipped: only one role (res) among the respondents" in out


def test_validate_finds_no_limitation_in_a_study_case(project, capsys) -> None:
    assert main(["--root", str(project.root), "validate", str(project.raw_file("yima"))]) == 0
    assert "analysis limitations: none" in capsys.readouterr().out


def test_odd_case_runs_through_every_notebook_and_reports_its_limitations(tmp_path, project, codebook) -> None:
    root = tmp_path
    cli = new_case_in_copy(project, root, CASE)
    _odd_survey(Project(root), codebook).to_csv(root / "data" / "raw" / f"{CASE}.csv", index=False)
    assert main([*cli, "checksum", CASE]) == 0

    assert main([*cli, "run", "--case", CASE, "--jobs", "2"]) == 0

    from emstudy.runner.pipeline import discover_templates, template_parameters

    for template in discover_templates(Project(root)):
        where = CASE if "case_id" in template_parameters(template) else "all"
        assert (root / "analysis" / where / template.name).is_file(), template.name
    results = root / "analysis" / CASE / "results"
    rel = json.loads((results / "reliability.json").read_text(encoding="utf-8"))
    assert any("item PLN2 left out" in m["en"] for m in rel["limitations"])
    assert any("item PLN3 left out" in m["en"] for m in rel["limitations"])
    assert any("scale plan: two usable items" in m["en"] for m in rel["limitations"])
    assert all(_reads_chinese(m["zh"]) for m in rel["limitations"])
    table = pd.read_csv(results / "reliability.csv", index_col="construct")
    assert table.loc["plan", "n_items"] == 2
    assert table.loc["plan", "spearman_brown"] == pytest.approx(table.loc["plan", "std_alpha"], abs=1e-6)
    structure = json.loads((results / "structure_summary.json").read_text(encoding="utf-8"))
    assert {"en": "item PLN2 left out: every answer is missing", "zh": "题项PLN2未纳入模型：所有回答均缺失"} in (
        structure["limitations"]
    )
    assert "PLN2" not in json.loads((results / "cfa_fit.json").read_text(encoding="utf-8"))["model"]
    drivers = json.loads((results / "drivers.json").read_text(encoding="utf-8"))
    assert {
        "en": "role comparison skipped: only one role (res) among the respondents",
        "zh": "受访者仅有一类身份（居民），未做身份比较",
    } in drivers["limitations"]
    assert pd.read_csv(results / "roles.csv").empty
    notebook = (root / "analysis" / CASE / "02_reliability.ipynb").read_text(encoding="utf-8")
    assert "limitation: item PLN2 left out" in notebook
    report = (root / "reports" / f"{CASE}.md").read_text(encoding="utf-8")
    assert "Limitation: role comparison skipped: only one role (res)" in report
    assert "Limitation: item PLN2 left out" in report
    report_zh = (root / "reports" / f"{CASE}.zh.md").read_text(encoding="utf-8")
    assert "局限：受访者仅有一类身份（居民），未做身份比较。" in report_zh
    assert "局限：题项PLN2未纳入所属量表和因子分析：所有回答均缺失。" in report_zh
    assert "role comparison skipped" not in report_zh and "left out" not in report_zh


TINY = "tinyplace"


def test_five_respondent_case_runs_through_every_notebook_and_reports_its_limitations(tmp_path, project) -> None:
    root = tmp_path
    cli = new_case_in_copy(project, root, TINY)
    raw = pd.read_csv(project.raw_file("yima"), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    raw.head(5).to_csv(root / "data" / "raw" / f"{TINY}.csv", index=False)
    assert main([*cli, "checksum", TINY]) == 0

    assert main([*cli, "run", "--case", TINY, "--jobs", "2"]) == 0

    from emstudy.runner.pipeline import discover_templates, template_parameters

    for template in discover_templates(Project(root)):
        where = TINY if "case_id" in template_parameters(template) else "all"
        assert (root / "analysis" / where / template.name).is_file(), template.name
    results = root / "analysis" / TINY / "results"
    rel = json.loads((results / "reliability.json").read_text(encoding="utf-8"))
    assert rel["kmo"] is None and rel["bartlett"] is None
    assert any(m["en"].startswith("KMO and Bartlett not computed") for m in rel["limitations"])
    structure = json.loads((results / "structure_summary.json").read_text(encoding="utf-8"))
    fa = [m for m in structure["limitations"] if m["en"].startswith("factor analyses (parallel analysis, EFA, CFA)")]
    assert len(fa) == 1 and "5名受访者" in fa[0]["zh"]
    drivers = json.loads((results / "drivers.json").read_text(encoding="utf-8"))
    assert any(m["en"].startswith("the drivers models not fitted: 5 complete") for m in drivers["limitations"])
    assert all(_reads_chinese(m["zh"]) for m in rel["limitations"] + structure["limitations"])
    for name in ("02_reliability.ipynb", "03_structure.ipynb", "04_drivers.ipynb"):
        assert "not computed: " in (root / "analysis" / TINY / name).read_text(encoding="utf-8"), name
    report = (root / "reports" / f"{TINY}.md").read_text(encoding="utf-8")
    assert "Limitation: KMO and Bartlett not computed" in report
    assert "Limitation: factor analyses (parallel analysis, EFA, CFA) not run: 5 respondents" in report
    assert "Limitation: the drivers models not fitted: 5 complete respondents" in report
    report_zh = (root / "reports" / f"{TINY}.zh.md").read_text(encoding="utf-8")
    assert "局限：未做因子分析（平行分析、探索性因子分析、验证性因子分析）：仅5名受访者" in report_zh
    assert "局限：未拟合驱动因素回归模型：仅5名受访者作答完整" in report_zh
    assert "not fitted" not in report_zh and "not run" not in report_zh
