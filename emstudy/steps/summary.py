"""Write each case's findings and reports, and the cross-case summary (called by notebooks 06 and 07).

Every file is written atomically; the reports carry the synthetic-data banner on their first screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from emstudy.fileio import write_csv, write_json
from emstudy.steps.findings import CaseFindings, collect_case, shared_and_particular
from emstudy.project import Project
from emstudy.reporting.render import case_report, profile_figure, save_figure, summary_report, write_report

__all__ = ["publish_case", "publish_summary", "LANGS"]

LANGS = ("en", "zh")


def publish_case(project_root: str | Path, case_id: str) -> tuple[CaseFindings, list[Path]]:
    """Findings of one case -> ``analysis/<case>/results/findings.json``, its profile figure and reports."""
    project = Project.find(project_root)
    codebook = project.codebook()
    cf = collect_case(project, case_id)
    written = [write_json(project.results_dir(case_id) / "findings.json", cf.to_dict())]
    figure = f"figures/{case_id}_profile.png"
    labels = {c: codebook.label(c, "en") for c in codebook.construct_ids}
    fig = profile_figure(cf.tables["means"], labels, title=f"{cf.case.name.en} (synthetic data)" if cf.synthetic
                         else cf.case.name.en)
    written.append(save_figure(fig, project.reports_dir / figure))
    ipa_figure = None
    if "ipa" in cf.tables:
        from emstudy.reporting.figures import plot_ipa

        ipa = cf.tables["ipa"].assign(predictor=lambda f: f["predictor"].map(lambda c: labels.get(c, c)))
        ipa_figure = f"figures/{case_id}_ipa.png"
        title = f"{cf.case.name.en}: importance-performance" + (" (synthetic data)" if cf.synthetic else "")
        written.append(save_figure(plot_ipa(ipa, title=title), project.reports_dir / ipa_figure))
    for lang in LANGS:
        report = case_report(cf, codebook, lang=lang, figure_path=figure, ipa_figure_path=ipa_figure)
        written += write_report(report, project.reports_dir, case_id)
    return cf, written


def publish_summary(project_root: str | Path, case_ids: Sequence[str]) -> tuple[pd.DataFrame, list[Path]]:
    """The cross-case summary: shared vs particular priorities and ``reports/summary[.zh].md|html``."""
    import json

    project = Project.find(project_root)
    codebook = project.codebook()
    findings = [collect_case(project, c) for c in case_ids]
    shared = shared_and_particular({cf.case.id: list(cf.priorities["construct"]) for cf in findings})
    out_dir = project.analysis_dir / "all" / "results"
    written = [write_csv(out_dir / "priorities_shared.csv", shared, index=False)]
    invariance_path = out_dir / "invariance.json"
    verdict = None
    if invariance_path.is_file():
        verdict = json.loads(invariance_path.read_text(encoding="utf-8")).get("verdict")
    figures = [(key, f"figures/{name}") for key, name in (("heatmap_caption", "heatmap.png"),
                                                          ("profiles_caption", "profiles.png"))
               if (project.reports_dir / "figures" / name).is_file()]
    for lang in LANGS:
        report = summary_report(findings, codebook, lang=lang, shared=shared,
                                invariance_verdict=verdict if lang == "en" else _zh_verdict(verdict), figures=figures)
        written += write_report(report, project.reports_dir, "summary")
    return shared, written


def _zh_verdict(verdict: str | None) -> str | None:
    if verdict is None:
        return None
    for level, text in (("Scalar", "标量等值成立：各地的载荷与截距相等，可以比较各地的构念均值。"),
                        ("Metric", "仅度量等值成立：各地载荷相等，可比较变量间关系，但不宜直接比较均值。"),
                        ("Configural", "仅形态等值成立：各地因子结构相同，但不宜比较载荷或均值。")):
        if verdict.startswith(level):
            return text
    return f"测量等值性检验结论（英文）：{verdict}"
