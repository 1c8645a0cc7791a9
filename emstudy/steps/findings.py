"""From results to findings and recommendations.

Findings are statements that cite their numbers and record the result they came from (file and key). The
rules read the results that the notebooks wrote under ``analysis/<case>/results/``; they never recompute a
statistic. Recommendations come from the catalogue ``data/recommendations.yml``: a case receives the
entries of its priority constructs, ranked, phrased through the dimension of its own framework. The case
file's own ``recommendations`` (the thesis's, or a user's study's) are reported beside them, each with the
constructs it addresses and which of those are priorities in the survey.

Priority rule. A construct is a *priority* of a case when the upper end of its 95% confidence interval lies
below the mean of the case's construct means (it is rated clearly worse than the case's system as a whole).
Priorities are ranked by their mean, lowest first. Importance (the standardized driver weight of
notebook 04) does not change the ranking; it is reported beside each priority, because a weak construct
that does not drive perceived effectiveness in the survey may still be a weakness the thesis documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import Field

from emstudy.errors import EmstudyError
from emstudy.project import Project
from emstudy.reporting.interviews import InterviewResults, interview_sentences
from emstudy.reporting.pages import count_word, from_thesis
from emstudy.steps import files
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.privacy import retag
from emstudy.survey.schema import StrictModel, load_yaml_model

__all__ = [
    "Finding",
    "Recommendation",
    "CaseRecommendation",
    "case_recommendations",
    "Catalogue",
    "load_catalogue",
    "priorities",
    "recommend",
    "shared_priorities",
    "CaseFindings",
    "run",
    "write_results",
    "write_reports",
]


class CatalogueEntry(StrictModel):
    id: str
    constructs: tuple[str, ...] = Field(min_length=1)
    theses: tuple[str, ...] = Field(min_length=1)
    en: str
    zh: str


class Catalogue(StrictModel):
    """The recommendation catalogue (``data/recommendations.yml``)."""

    version: int
    entries: tuple[CatalogueEntry, ...] = Field(min_length=1)

    def for_construct(self, construct: str) -> list[CatalogueEntry]:
        return [e for e in self.entries if construct in e.constructs]


def load_catalogue(
    path: str | Path, *, codebook: Codebook | None = None, case_ids: Sequence[str] | None = None
) -> Catalogue:
    """Load the catalogue; with a codebook and case ids, also check the constructs and theses it names."""
    catalogue = load_yaml_model(path, Catalogue)
    for k, entry in enumerate(catalogue.entries):
        if codebook is not None:
            for c in entry.constructs:
                if c not in codebook.construct_ids:
                    raise EmstudyError(f"{path}: entries.{k}.constructs: unknown construct {c!r}")
        if case_ids is not None:
            for t in entry.theses:
                if t not in case_ids:
                    raise EmstudyError(f"{path}: entries.{k}.theses: unknown case {t!r}")
    if codebook is not None:
        uncovered = [c for c in codebook.construct_ids if not catalogue.for_construct(c)]
        if uncovered:
            raise EmstudyError(f"{path}: no recommendation for construct(s) {', '.join(uncovered)}")
    return catalogue


@dataclass(frozen=True)
class Finding:
    """A statement with its numbers and where they came from."""

    id: str
    kind: str
    en: str
    zh: str
    source: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "en": self.en,
            "zh": self.zh,
            "source": self.source,
            "values": dict(self.values),
        }


@dataclass(frozen=True)
class Recommendation:
    """A catalogue entry given to a case for one of its priority constructs."""

    rank: int
    construct: str
    entry_id: str
    dimension_en: str
    dimension_zh: str
    en: str
    zh: str
    made_by_thesis: bool

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CaseRecommendation:
    """A recommendation of the case file itself, with the constructs it addresses that are priorities of the
    case in the survey (a subset of ``constructs``, possibly empty)."""

    rank: int
    en: str
    zh: str
    constructs: tuple[str, ...]
    priority_constructs: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "en": self.en,
            "zh": self.zh,
            "constructs": list(self.constructs),
            "priority_constructs": list(self.priority_constructs),
        }


def case_recommendations(case: Case, priority_constructs: Sequence[str]) -> list[CaseRecommendation]:
    """The case file's own ``recommendations``, in their order, each marked with its priority constructs."""
    chosen = set(priority_constructs)
    return [
        CaseRecommendation(k, r.en, r.zh, tuple(r.constructs), tuple(c for c in r.constructs if c in chosen))
        for k, r in enumerate(case.recommendations, start=1)
    ]


def priorities(
    means: pd.DataFrame, *, construct_col: str = "construct", mean_col: str = "mean", upper_col: str = "ci_upper"
) -> pd.DataFrame:
    """Priority constructs of a case (see the module docstring for the rule).

    Parameters
    ----------
    means : DataFrame
        One row per core construct with its mean and the upper end of its 95% CI.

    Returns
    -------
    DataFrame
        The priority constructs, lowest mean first, with ``rank``, ``mean``, ``ci_upper`` and the reference
        ``case_mean`` (mean of the construct means).
    """
    for col in (construct_col, mean_col, upper_col):
        if col not in means.columns:
            raise ValueError(f"means must have a column {col!r}; got {list(means.columns)}")
    if means.empty:
        raise ValueError("means is empty: expected one row per core construct")
    reference = float(means[mean_col].mean())
    chosen = means[means[upper_col] < reference].sort_values(mean_col, kind="mergesort")
    out = (
        chosen[[construct_col, mean_col, upper_col]]
        .rename(columns={construct_col: "construct", mean_col: "mean", upper_col: "ci_upper"})
        .reset_index(drop=True)
    )
    out.insert(0, "rank", range(1, len(out) + 1))
    out["case_mean"] = reference
    return out


def recommend(
    case: Case, codebook: Codebook, catalogue: Catalogue, priority_constructs: Sequence[str], *, thesis: bool = True
) -> list[Recommendation]:
    """Catalogue entries for the priority constructs, in priority order, phrased in the case's framework.

    An entry that serves several priority constructs is given once, at its first (highest) priority.
    ``thesis=False`` (a user's own case) names the case's framework instead of the thesis's.
    """
    given: set[str] = set()
    out: list[Recommendation] = []
    for construct in priority_constructs:
        try:
            dim = case.dimension_of(construct)
            dim_en, dim_zh = f"{dim.en} ({case.framework.en})", f"{dim.zh}（{case.framework.zh}）"
        except KeyError:
            label = codebook.construct(construct)
            dim_en = f"outside the {'thesis' if thesis else 'case'}'s framework: {label.en} (shared instrument)"
            dim_zh = f"{'论文' if thesis else '本案例'}框架之外：{label.zh}（统一问卷）"
        for entry in catalogue.for_construct(construct):
            if entry.id in given:
                continue
            given.add(entry.id)
            out.append(
                Recommendation(
                    len(out) + 1, construct, entry.id, dim_en, dim_zh, entry.en, entry.zh, case.id in entry.theses
                )
            )
    return out


def shared_priorities(priorities_by_case: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Which priority constructs several places share and which are particular to one.

    Returns one row per construct that is a priority somewhere: the cases, their count, and ``shared``
    (two or more cases) or ``particular``.
    """
    rows: dict[str, list[str]] = {}
    for case_id, constructs in priorities_by_case.items():
        for c in constructs:
            rows.setdefault(c, []).append(case_id)
    table = pd.DataFrame(
        [
            {
                "construct": c,
                "cases": ", ".join(sorted(v)),
                "n_cases": len(v),
                "pattern": "shared" if len(v) > 1 else "particular",
            }
            for c, v in rows.items()
        ]
    )
    if table.empty:
        return pd.DataFrame(columns=["construct", "cases", "n_cases", "pattern"])
    return table.sort_values(["n_cases", "construct"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


# -- collecting a case's findings from the results of notebooks 01-05 ---------------------------------------
@dataclass(frozen=True)
class CaseFindings:
    """Everything a case report says, with the results each statement came from."""

    case: Case
    synthetic: bool
    findings: tuple[Finding, ...]
    means: pd.DataFrame
    priorities: pd.DataFrame
    recommendations: tuple[Recommendation, ...]
    tables: Mapping[str, pd.DataFrame]
    missing_steps: tuple[str, ...]
    case_recommendations: tuple[CaseRecommendation, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "case": self.case.id,
            "synthetic": self.synthetic,
            "findings": [f.to_dict() for f in self.findings],
            "priorities": [
                {
                    "rank": int(r["rank"]),
                    "construct": r["construct"],
                    "mean": round(float(r["mean"]), 4),
                    "ci_upper": round(float(r["ci_upper"]), 4),
                    "case_mean": round(float(r["case_mean"]), 4),
                }
                for _, r in self.priorities.iterrows()
            ],
            "recommendations": [r.to_dict() for r in self.recommendations],
            "case_recommendations": [r.to_dict() for r in self.case_recommendations],
            "missing_steps": list(self.missing_steps),
        }

    def recommendations_frame(self) -> pd.DataFrame:
        """The catalogue recommendations as a table, one row each (no rows, same columns, when the case has no
        priority constructs)."""
        from dataclasses import fields

        return pd.DataFrame(
            [r.to_dict() for r in self.recommendations], columns=[f.name for f in fields(Recommendation)]
        )


def _read_json(path: Path) -> dict | None:
    import json

    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _step_sentences(path: Path, kind: str, source: str) -> list[Finding]:
    """Sentences a step wrote into its JSON result as ``{"sentences": {"en": [...], "zh": [...]}}``."""
    data = _read_json(path)
    if not data or "sentences" not in data:
        return []
    en, zh = data["sentences"].get("en", []), data["sentences"].get("zh", [])
    if len(en) != len(zh):
        raise EmstudyError(f"{path}: sentences.en and sentences.zh differ in length ({len(en)} vs {len(zh)})")
    out = [Finding(f"{kind}-{k + 1}", kind, e, z, source) for k, (e, z) in enumerate(zip(en, zh))]
    # what the data could not support (emstudy.survey.limits), as the step wrote it: {"en": ..., "zh": ...}
    lims = data.get("limitations", [])
    if not all(isinstance(m, dict) and isinstance(m.get("en"), str) and isinstance(m.get("zh"), str) for m in lims):
        raise EmstudyError(f"{path}: limitations must be objects with 'en' and 'zh'; rerun the step that wrote it")
    return out + [
        Finding(f"{kind}-limit-{k + 1}", kind, f"Limitation: {m['en']}.", f"局限：{m['zh']}。", source)
        for k, m in enumerate(lims)
    ]


def run(
    project: Project, case_id: str, *, catalogue: Catalogue | None = None, interviews: InterviewResults | None = None
) -> CaseFindings:
    """Read the results of notebooks 01-05 for a case and turn them into findings and recommendations.

    Needs ``analysis/<case>/results/data_quality.json`` and ``analysis/all/results/construct_means_by_case.csv``;
    the other steps' results are used when present and listed in ``missing_steps`` when not. ``interviews``
    (:func:`emstudy.steps.interviews.run` of the case, when it has coded interviews) adds the findings of kind
    ``"interviews"`` (coder agreement and triangulation, citing ``interviews.json``) and their tables.
    """
    codebook = project.codebook()
    case = project.case(case_id, codebook)
    catalogue = catalogue or load_catalogue(project.root / "data" / "recommendations.yml", codebook=codebook)
    results = project.results_dir(case_id)
    cross = files.cross_case_results_dir(project)
    rel = lambda p: p.relative_to(project.root).as_posix()  # noqa: E731
    findings: list[Finding] = []
    missing: list[str] = []
    tables: dict[str, pd.DataFrame] = {}

    quality_path = results / files.DATA_QUALITY
    quality = _read_json(quality_path)
    if quality is None:
        raise EmstudyError(f"{quality_path}: not found; run notebook 01_data_quality for case {case_id} first")
    findings.append(_quality_finding(quality, rel(quality_path)))
    for name, kind in (
        (files.RELIABILITY_SUMMARY, "reliability"),
        (files.STRUCTURE_SUMMARY, "structure"),
        (files.DRIVERS_SUMMARY, "drivers"),
        (files.PATH_MODEL_SUMMARY, "paths"),
    ):
        path = results / name
        if path.is_file():
            findings += _step_sentences(path, kind, rel(path))
        elif kind != "paths":  # written by notebook 04 with drivers.json: missing when that is
            missing.append(kind)
    open_path = results / files.OPEN_ANSWER_COUNTS
    if open_path.is_file():
        counts = pd.read_csv(open_path, dtype={"answer": str}, keep_default_na=False)
        tables["open_answers"] = counts
        findings.append(_open_answer_finding(counts, quality["n_valid"], rel(open_path)))
    else:
        missing.append("open answers")
    for name, key in ((files.IPA, "ipa"), (files.RELIABILITY_TABLE, "reliability")):
        table = pd.read_csv(results / name) if (results / name).is_file() else None
        if table is not None and not table.empty:  # 04 writes an empty ipa.csv when the models were not fitted
            tables[key] = table

    means_path = cross / files.CONSTRUCT_MEANS_BY_CASE
    means = _case_means(means_path, case_id, codebook)
    tables["means"] = means
    prio = priorities(means, mean_col="mean", upper_col="ci_upper")
    findings += _priority_findings(prio, means, codebook, rel(means_path))
    below_path = cross / files.BELOW_OTHERS
    if below_path.is_file():
        below = pd.read_csv(below_path)
        tables["below_others"] = below  # the report's sentence and table count the other places from it
        findings += _below_others_findings(below, case_id, codebook, rel(below_path))
    else:
        missing.append("comparison")

    if interviews is not None:
        source = rel(results / files.INTERVIEWS)
        said = interview_sentences(interviews)
        findings += [Finding(f"interviews-{k + 1}", "interviews", en, zh, source) for k, (en, zh) in enumerate(said)]
        tables |= {"interview_agreement": interviews.agreement, "triangulation": interviews.triangulation}

    synthetic = project.is_synthetic(case_id)
    chosen = list(prio["construct"])
    recs = recommend(case, codebook, catalogue, chosen, thesis=from_thesis(case, synthetic=synthetic))
    own = tuple(case_recommendations(case, chosen))
    return CaseFindings(case, synthetic, tuple(findings), means, prio, tuple(recs), tables, tuple(missing), own)


def _quality_finding(quality: Mapping, source: str) -> Finding:
    """What notebook 01 kept and excluded (``data_quality.json``)."""
    flagged = quality["n_flagged"]
    return Finding(
        "quality",
        "data",
        f"Of {quality['n_rows']} questionnaires, {quality['n_excluded']} were excluded (straight-lining "
        f"{flagged['straightlining']}, speeding {flagged['speeding']}, duplicate submissions {flagged['duplicate']}); "
        f"{quality['n_valid']} were analysed, with {quality['missing_share']:.1%} of item answers missing.",
        f"共回收问卷{quality['n_rows']}份，剔除{quality['n_excluded']}份（直线作答{flagged['straightlining']}份、"
        f"作答过快{flagged['speeding']}份、重复提交{flagged['duplicate']}份），有效问卷{quality['n_valid']}份，"
        f"题项缺失率为{quality['missing_share']:.1%}。",
        source,
        {"n_rows": quality["n_rows"], "n_valid": quality["n_valid"]},
    )


def _open_answer_finding(counts: pd.DataFrame, n_valid: int, source: str) -> Finding:
    """How many answered the open question and the most frequent answer (``open_answer_counts.csv``)."""
    n_answered = int(counts["n"].sum())
    share = n_answered / n_valid if n_valid else float("nan")
    if not len(counts):
        return Finding(
            "open",
            "open",
            "No respondent answered the open question.",
            "没有受访者回答开放题。",
            source,
            {"n_answered": 0},
        )
    top = counts.iloc[0]
    return Finding(
        "open",
        "open",
        f"{n_answered} of {n_valid} respondents ({share:.0%}) answered the open question with "
        f"{len(counts)} different suggestions; the most frequent, given by {int(top['n'])}, was "
        f"\u201c{top['answer']}\u201d (quoted after scrubbing personal data).",
        f"{n_valid}名有效受访者中有{n_answered}人（{share:.0%}）回答了开放题，共{len(counts)}种不同建议；"
        f"最常见的建议（{int(top['n'])}人）为“{retag(top['answer'], replacement_style='zh')}”（已去除个人信息）。",
        source,
        {"n_answered": n_answered, "n_different": int(len(counts))},
    )


def _case_means(means_path: Path, case_id: str, codebook: Codebook) -> pd.DataFrame:
    """The case's rows of ``construct_means_by_case.csv`` (notebook 05), in codebook order."""
    if not means_path.is_file():
        raise EmstudyError(f"{means_path}: not found; run notebook 05_compare first")
    all_means = pd.read_csv(means_path)
    means = all_means[(all_means["case"] == case_id) & all_means["construct"].isin(codebook.construct_ids)]
    return means.set_index("construct").loc[codebook.construct_ids].reset_index()


def _priority_findings(prio: pd.DataFrame, means: pd.DataFrame, codebook: Codebook, source: str) -> list[Finding]:
    """One sentence per priority construct, citing its mean and CI against the case's average."""
    out = []
    for _, row in prio.iterrows():
        c = codebook.construct(row["construct"])
        m = means.set_index("construct").loc[row["construct"]]
        out.append(
            Finding(
                f"priority-{int(row['rank'])}",
                "priority",
                f"Priority {int(row['rank'])}: {c.en} is rated {m['mean']:.2f} (95% CI {m['ci_lower']:.2f}-{m['ci_upper']:.2f}), "
                f"clearly below this place's average of {row['case_mean']:.2f} over the "
                f"{count_word(len(codebook.construct_ids), 'en')} constructs.",
                f"优先事项{int(row['rank'])}：{c.zh}得分为{m['mean']:.2f}（95%置信区间{m['ci_lower']:.2f}-{m['ci_upper']:.2f}），"
                f"明显低于本地{len(codebook.construct_ids)}个构念的平均分{row['case_mean']:.2f}。",
                source,
                {"construct": row["construct"], "mean": round(float(m["mean"]), 4)},
            )
        )
    return out


def _below_others_findings(below: pd.DataFrame, case_id: str, codebook: Codebook, source: str) -> list[Finding]:
    """One sentence per construct the case rates lower than the other places (``below_others.csv``)."""
    out = []
    n_others = below["case"].nunique() - 1
    below = below[(below["case"] == case_id) & below["below"].astype(bool)].sort_values("diff", kind="mergesort")
    for _, row in below.iterrows():
        c = codebook.construct(row["construct"])
        p_text = "< .001" if row["pvalue_holm"] < 0.001 else f"= {row['pvalue_holm']:.3f}"
        out.append(
            Finding(
                f"below-{row['construct']}",
                "comparison",
                f"{c.en} is rated lower than in the other {count_word(n_others, 'en')} places ({row['mean_case']:.2f} vs {row['mean_others']:.2f}; "
                f"Welch t = {row['t']:.2f}, Holm-adjusted p {p_text}).",
                f"与其他{count_word(n_others, 'zh')}地相比，{c.zh}得分更低（{row['mean_case']:.2f}对{row['mean_others']:.2f}；"
                f"Welch t = {row['t']:.2f}，Holm校正p {p_text}）。",
                source,
                {"construct": row["construct"], "diff": round(float(row["diff"]), 4)},
            )
        )
    return out


# -- writing (notebook 07) -----------------------------------------------------------------------------------
def write_results(results: CaseFindings, results_dir: str | Path) -> list[Path]:
    """Write ``findings.json`` (the findings, priorities and recommendations of :func:`run`) atomically."""
    from emstudy.fileio import write_json

    if not isinstance(results, CaseFindings):
        raise TypeError(
            f"results: expected the CaseFindings of emstudy.steps.findings.run, got {type(results).__name__}"
        )
    return [write_json(Path(results_dir) / files.FINDINGS, results.to_dict())]


def write_reports(results: CaseFindings, project: Project) -> list[Path]:
    """Write the case's profile and importance-performance figures in every report language
    (``reports/figures/<case>_profile[.zh].png``, ``<case>_ipa[.zh].png``: titles, axes and construct labels in that
    language) and its reports in each language and format (``reports/<case>[.zh].md|html|docx|pdf``), each
    showing the figures of its own language.

    The importance-performance figure is drawn when notebook 04 wrote ``ipa.csv``.
    """
    from emstudy.reporting.pages import LANGS, case_report
    from emstudy.reporting.render import write_report

    case_id = results.case.id
    codebook = project.codebook(case_id)  # the report names the case's own constructs too
    written: list[Path] = []
    for lang in LANGS:
        paths = _case_figures(results, codebook, project.reports_dir, lang=lang)
        written += [project.reports_dir / path for path in paths.values()]
        report = case_report(
            results, codebook, lang=lang, figure_path=paths["profile"], ipa_figure_path=paths.get("ipa")
        )
        written += write_report(report, project.reports_dir, case_id)
    return written


_FIGURE_TITLES = {
    "en": {"synthetic": " (synthetic data)", "ipa": "{name}: importance-performance"},
    "zh": {"synthetic": "（合成数据）", "ipa": "{name}：重要性-表现分析"},
}
"""The titles the case figures get, by language (the plotting functions draw their own axis texts)."""


def _case_figures(results: CaseFindings, codebook: Codebook, reports_dir: Path, *, lang: str) -> dict[str, str]:
    """Draw the case's figures in ``lang``; returns their paths relative to ``reports/`` by kind."""
    from emstudy.reporting.figures import plot_construct_means, plot_ipa, save_figure

    words, case = _FIGURE_TITLES[lang], results.case
    labels = {c: codebook.label(c, lang) for c in codebook.construct_ids}
    name = case.name.en if lang == "en" else case.name.zh
    mark = words["synthetic"] if results.synthetic else ""
    paths = {"profile": files.case_profile_figure(case.id, lang)}
    fig = plot_construct_means(results.tables["means"], labels, title=f"{name}{mark}", lang=lang)
    save_figure(fig, reports_dir / paths["profile"])
    if "ipa" in results.tables:
        ipa = results.tables["ipa"].assign(predictor=lambda f: f["predictor"].map(lambda c: labels.get(c, c)))
        paths["ipa"] = files.case_ipa_figure(case.id, lang)
        fig = plot_ipa(ipa, title=words["ipa"].format(name=f"{name}{mark}"), lang=lang)
        save_figure(fig, reports_dir / paths["ipa"])
    return paths
