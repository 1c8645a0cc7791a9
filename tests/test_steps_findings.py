"""Findings rules and the recommendation catalogue."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from emstudy.errors import EmstudyError
from emstudy.steps.findings import load_catalogue, priorities, recommend, shared_priorities

ROOT_ANALYSIS = Path(__file__).resolve().parents[1] / "analysis"


@pytest.fixture(scope="module")
def catalogue(project, codebook):
    return load_catalogue(project.root / "data" / "recommendations.yml", codebook=codebook, case_ids=project.case_ids())


def test_catalogue_covers_every_construct_in_both_languages(catalogue, codebook):
    for construct in codebook.construct_ids:
        entries = catalogue.for_construct(construct)
        assert entries, construct
        assert all(e.en and e.zh for e in entries)


def test_catalogue_with_unknown_construct_is_rejected(tmp_path, project, codebook):
    data = yaml.safe_load((project.root / "data" / "recommendations.yml").read_text(encoding="utf-8"))
    data["entries"][0]["constructs"] = ["morale"]
    path = tmp_path / "recommendations.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"entries\.0\.constructs: unknown construct 'morale'"):
        load_catalogue(path, codebook=codebook)


def test_priorities_are_constructs_clearly_below_the_case_mean():
    means = pd.DataFrame(
        {"construct": ["a", "b", "c", "d"], "mean": [3.0, 3.6, 2.5, 3.5], "ci_upper": [3.1, 3.7, 2.7, 3.6]}
    )
    # case mean = 3.15: a (upper 3.1) and c (upper 2.7) are below it; c is lower, so it ranks first
    table = priorities(means)
    assert list(table["construct"]) == ["c", "a"]
    assert list(table["rank"]) == [1, 2]
    assert table["case_mean"].iloc[0] == pytest.approx(3.15)


def test_priorities_name_a_missing_column():
    with pytest.raises(ValueError, match="column 'ci_upper'"):
        priorities(pd.DataFrame({"construct": ["a"], "mean": [3.0]}))


def test_recommendations_speak_the_cases_framework(project, codebook, catalogue):
    wencheng = project.case("wencheng", codebook)
    recs = recommend(wencheng, codebook, catalogue, ["information", "recovery"])
    assert [r.construct for r in recs][:1] == ["information"]
    assert recs[0].dimension_en.startswith("Response (Heath's 4R")
    assert "反应" in recs[0].dimension_zh
    assert all(r.made_by_thesis for r in recs)  # Wencheng's thesis recommends both
    h = project.case("h_district", codebook)
    outside = recommend(h, codebook, catalogue, ["information"])
    assert outside[0].dimension_en.startswith("outside the thesis's framework")


def test_an_entry_serving_two_priorities_is_given_once(project, codebook, catalogue):
    case = project.case("chaoyang", codebook)
    recs = recommend(case, codebook, catalogue, codebook.construct_ids)
    ids = [r.entry_id for r in recs]
    assert len(ids) == len(set(ids))
    assert [r.rank for r in recs] == list(range(1, len(recs) + 1))


def test_shared_priorities():
    table = shared_priorities({"x": ["a", "b"], "y": ["a"], "z": ["c"]})
    assert table.set_index("construct")["pattern"].to_dict() == {"a": "shared", "b": "particular", "c": "particular"}
    assert table.iloc[0]["cases"] == "x, y"


def test_run_and_write_a_case_and_the_summary(project_copy, saved_figure_texts):
    import shutil

    from emstudy.steps import files, findings, summary

    shutil.copytree(ROOT_ANALYSIS, project_copy.analysis_dir)
    # without notebook 05's comparison with the other places, the case reports say that it has not run
    (files.cross_case_results_dir(project_copy) / files.BELOW_OTHERS).unlink()
    cf = findings.run(project_copy, "yima")
    assert "comparison" in cf.missing_steps
    written = findings.write_results(cf, project_copy.results_dir("yima"))
    written += findings.write_reports(cf, project_copy)
    names = sorted(p.relative_to(project_copy.root).as_posix() for p in written)
    assert names == [
        "analysis/yima/results/findings.json",
        "reports/figures/yima_ipa.png",
        "reports/figures/yima_ipa.zh.png",
        "reports/figures/yima_profile.png",
        "reports/figures/yima_profile.zh.png",
        "reports/yima.docx",
        "reports/yima.html",
        "reports/yima.md",
        "reports/yima.pdf",
        "reports/yima.zh.docx",
        "reports/yima.zh.html",
        "reports/yima.zh.md",
        "reports/yima.zh.pdf",
    ]
    codebook = project_copy.codebook("yima")
    for lang, suffix, title in (("en", "", "YimaCity(syntheticdata)"), ("zh", ".zh", "义马市（合成数据）")):
        profile, ipa = saved_figure_texts[f"yima_profile{suffix}.png"], saved_figure_texts[f"yima_ipa{suffix}.png"]
        assert title in profile and title in ipa  # the place by name, the data marked synthetic
        for c in codebook.construct_ids:  # every construct in the profile, by its label in the figure's language
            assert "".join(codebook.label(c, lang).split()) in profile, (lang, c)
        english = [c for c in codebook.construct_ids if "".join(codebook.label(c, "en").split()) in profile + ipa]
        assert english == ([] if lang == "zh" else list(codebook.construct_ids)), lang
    assert "重要性" in saved_figure_texts["yima_ipa.zh.png"]
    # each language's report shows the figures of its language
    assert "](figures/yima_ipa.zh.png)" in (project_copy.reports_dir / "yima.zh.md").read_text(encoding="utf-8")
    assert '<img src="figures/yima_profile.zh.png"' in (project_copy.reports_dir / "yima.zh.html").read_text("utf-8")
    assert ".zh.png" not in (project_copy.reports_dir / "yima.md").read_text(encoding="utf-8")
    for lang in ("en", "zh"):  # stand-ins for notebook 05's heatmaps, which the summary shows (any PNG will do)
        reports = project_copy.reports_dir
        shutil.copy(reports / files.case_profile_figure("yima", lang), reports / files.heatmap_figure(lang))
    res = summary.run(project_copy, project_copy.case_ids())
    assert [f.case.id for f in res.findings] == project_copy.case_ids()
    written = summary.write_results(res, files.cross_case_results_dir(project_copy))
    written += summary.write_reports(res, project_copy)
    assert sorted(p.relative_to(project_copy.reports_dir.parent).as_posix() for p in written) == [
        "analysis/all/results/priorities_shared.csv",
        "reports/fonts/EmstudySansSC-Regular.ttf",
        "reports/fonts/OFL.txt",
        "reports/index.html",
        "reports/index.zh.html",
        "reports/summary.docx",
        "reports/summary.html",
        "reports/summary.md",
        "reports/summary.pdf",
        "reports/summary.zh.docx",
        "reports/summary.zh.html",
        "reports/summary.zh.md",
        "reports/summary.zh.pdf",
    ]
    summary_zh = (project_copy.reports_dir / "summary.zh.md").read_text(encoding="utf-8")
    assert "](figures/heatmap.zh.png)" in summary_zh and "](figures/heatmap.png)" not in summary_zh
    index_zh = (project_copy.reports_dir / "index.zh.html").read_text(encoding="utf-8")
    for cf in res.findings:  # every place by its Chinese name, its framework, and its report in every format
        assert cf.case.name.zh in index_zh and cf.case.framework.zh in index_zh
        assert all(f'href="{cf.case.id}.zh.{ext}"' in index_zh for ext in ("html", "pdf", "docx", "md"))
    assert 'href="summary.zh.pdf"' in index_zh and "合成数据" in index_zh
    with pytest.raises(TypeError, match="results"):
        findings.write_results(res, project_copy.root)
    with pytest.raises(TypeError, match="results"):
        summary.write_results(cf, project_copy.root)


def test_limitations_become_findings_in_both_languages(tmp_path):
    import json

    from emstudy.steps.findings import _step_sentences

    path = tmp_path / "drivers.json"
    lim = {
        "en": "role comparison skipped: only one role (res) among the respondents",
        "zh": "受访者仅有一类身份（居民），未做身份比较",
    }
    path.write_text(json.dumps({"sentences": {"en": ["A."], "zh": ["甲。"]}, "limitations": [lim]}), encoding="utf-8")
    found = _step_sentences(path, "drivers", "drivers.json")
    assert [(f.en, f.zh) for f in found] == [("A.", "甲。"), (f"Limitation: {lim['en']}.", f"局限：{lim['zh']}。")]
    # a limitation written as one English string (before both languages were written) is refused, not pasted
    path.write_text(json.dumps({"sentences": {"en": [], "zh": []}, "limitations": [lim["en"]]}), encoding="utf-8")
    with pytest.raises(EmstudyError, match="drivers.json: limitations must be objects with 'en' and 'zh'"):
        _step_sentences(path, "drivers", "drivers.json")


def test_path_model_sentences_become_a_report_section(project_copy):
    """Notebook 04's path_model.json sentences are findings of kind "paths", in their own report section."""
    import json
    import shutil

    from emstudy.reporting.pages import case_report
    from emstudy.steps import files, findings

    shutil.copytree(ROOT_ANALYSIS, project_copy.analysis_dir)
    path = project_copy.results_dir("yima") / files.PATH_MODEL_SUMMARY
    sentences = {
        "en": ["Prevention -> Response -> effectiveness (b = 0.281)."],
        "zh": ["预防控制 -> 成效感知（b = 0.281）。"],
    }
    path.write_text(json.dumps({"sentences": sentences}), encoding="utf-8")
    cf = findings.run(project_copy, "yima")
    got = [f for f in cf.findings if f.kind == "paths"]
    assert [(f.en, f.zh) for f in got] == [(sentences["en"][0], sentences["zh"][0])]
    assert got[0].source == "analysis/yima/results/path_model.json"
    codebook = project_copy.codebook("yima")
    for lang, title in (("en", "The framework's path model"), ("zh", "分析框架的路径模型")):
        section = [s for s in case_report(cf, codebook, lang=lang).sections if s.heading == title]
        assert len(section) == 1 and section[0].paragraphs == [sentences[lang][0]]
    path.unlink()  # notebook 04 not run: no section, and "paths" is not listed as a missing step
    cf = findings.run(project_copy, "yima")
    assert not any(f.kind == "paths" for f in cf.findings) and "paths" not in cf.missing_steps


def test_the_summary_gives_the_ordinal_check_after_the_invariance_verdict(project_copy):
    import json
    import shutil

    from emstudy.steps import files, summary

    shutil.copytree(ROOT_ANALYSIS, project_copy.analysis_dir)
    cross = files.cross_case_results_dir(project_copy)
    inv = json.loads((cross / files.INVARIANCE).read_text(encoding="utf-8"))
    inv["text"] = {"en": "Scalar holds.", "zh": "标量不变性成立。"}
    (cross / files.INVARIANCE).write_text(json.dumps(inv), encoding="utf-8")
    (cross / files.INVARIANCE_ORDINAL).write_text(json.dumps({"text": {"en": "WLSMV agrees."}}), encoding="utf-8")
    res = summary.run(project_copy, project_copy.case_ids())
    assert res.invariance_text == {"en": "Scalar holds.\n\nWLSMV agrees.", "zh": "标量不变性成立。"}
    (cross / files.INVARIANCE_ORDINAL).unlink()  # notebook 05 without the ordinal step: the verdict alone
    assert summary.run(project_copy, project_copy.case_ids()).invariance_text["en"] == "Scalar holds."
