"""The study's reports: one per case (:func:`case_report`) and the cross-case summary (:func:`summary_report`),
in English and Chinese, with the synthetic-data banner on their first screen."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

import pandas as pd

from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.interviews import TITLE as INTERVIEWS_TITLE
from emstudy.reporting.interviews import interview_tables
from emstudy.reporting.text import TEXT
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.privacy import retag


class CaseFindings(Protocol):
    """What a report reads of :class:`emstudy.steps.findings.CaseFindings` (the reporting layer does not
    import the steps)."""

    case: Case
    synthetic: bool
    findings: Sequence
    priorities: pd.DataFrame
    recommendations: Sequence
    tables: Mapping[str, pd.DataFrame]
    case_recommendations: Sequence


__all__ = ["case_report", "summary_report", "count_word", "from_thesis", "LANGS", "SYNTHETIC_NOTICE"]

LANGS = ("en", "zh")
"""The languages every report is written in."""

SYNTHETIC_NOTICE = {
    "en": (
        "SYNTHETIC DATA: these results come from emstudy's seeded synthetic study built on the shared "
        "instrument, not from the thesis's questionnaires, whose raw responses are not public."
    ),
    "zh": "合成数据：以下结果来自emstudy基于统一问卷生成的可复现合成数据，并非原论文的问卷数据（原始数据未公开）。",
}
"""First line of every notebook and report on synthetic data."""

_TEXT = TEXT  # the reports' fixed words, by language (emstudy.reporting.text)


_NUMBER_WORDS = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    "zh": tuple("零一二三四五六七八九十"),
}


def count_word(n: int, lang: str) -> str:
    """``n`` as a word for the reports' sentences ("four", "四"); digits above twelve (English) or ten (Chinese).

    Examples
    --------
    >>> count_word(4, "en"), count_word(5, "zh"), count_word(11, "en"), count_word(13, "en")
    ('four', '五', 'eleven', '13')
    """
    if lang not in _NUMBER_WORDS:
        raise ValueError(f"lang: expected 'en' or 'zh', got {lang!r}")
    words = _NUMBER_WORDS[lang]
    return words[n] if 0 <= n < len(words) else str(n)


_OPEN_SHOWN = 5
"""How many of the most frequent open answers a case report quotes."""


def _banner(lang: str, synthetic: bool) -> list[str]:
    return [SYNTHETIC_NOTICE[lang]] if synthetic else []


_ABSTRACT_FILE = re.compile(r"[\w.-]+\.txt")
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def from_thesis(case: Case, *, synthetic: bool) -> bool:
    """True when the case reconstructs a thesis: its data are synthetic, or its ``source_abstract`` names the
    thesis's abstract file (``004_dde9e4339aefea6c.txt``). A case from a user's own survey is neither, and its
    reports say that it analyses that survey instead of naming a thesis.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from_thesis(NS(source_abstract="004_dde9e4339aefea6c.txt"), synthetic=False)
    True
    >>> from_thesis(NS(source_abstract="Student's own survey, 2024"), synthetic=False)
    False
    """
    return synthetic or bool(_ABSTRACT_FILE.fullmatch(case.source_abstract.strip()))


def _opening(cf: CaseFindings, lang: str) -> list[str]:
    """The report's first lines: the synthetic notice and the thesis, or what a user's own case analyses."""
    t = _TEXT[lang]
    case = cf.case
    framework = case.framework.en if lang == "en" else case.framework.zh
    if from_thesis(case, synthetic=cf.synthetic):
        return _banner(lang, cf.synthetic) + [
            t["banner_source"].format(abstract=case.source_abstract, framework=framework)
        ]
    name = case.name.en if lang == "en" else case.name.zh
    opening = t["banner_own"].format(name=name, framework=framework)
    source = case.source_abstract.strip().rstrip(".。")
    # the Chinese report quotes the source only when it is written in Chinese (no English pasted into it)
    if source and (lang == "en" or _CJK.search(source)):
        opening += (" " if lang == "en" else "") + t["banner_own_source"].format(source=source)
    return [opening]


def _open_answer_tables(cf: CaseFindings, lang: str) -> list[Table]:
    """The most frequent open answers of a case (none when nobody answered)."""
    t = _TEXT[lang]
    counts = cf.tables.get("open_answers")
    if counts is None or not len(counts):
        return []
    top = counts.head(_OPEN_SHOWN)
    answers = top["answer"] if lang == "en" else top["answer"].map(lambda a: retag(a, replacement_style="zh"))
    return [
        Table(
            t["open_caption"],
            pd.DataFrame({t["answer"]: answers, t["n"]: top["n"], t["share"]: top["share"]}),
            digits=3,
        )
    ]


def _reliability_tables(cf: CaseFindings, codebook: Codebook, lang: str) -> list[Table]:
    """The reliability table of notebook 02 with construct labels (none when the step has not run)."""
    t = _TEXT[lang]
    if "reliability" not in cf.tables:
        return []
    cols = t["reliability_table_cols"]
    frame = cf.tables["reliability"]
    keep = [c for c in cols if c in frame.columns]
    shown = frame[keep].copy()
    if "construct" in shown.columns:
        shown["construct"] = [
            codebook.label(c, lang) if c in codebook.construct_ids or c == codebook.outcome.id else c
            for c in shown["construct"]
        ]
    return [Table(t["rel_caption"], shown.rename(columns=cols), digits=3)]


def case_report(
    cf: CaseFindings,
    codebook: Codebook,
    *,
    lang: str,
    figure_path: str | None = None,
    ipa_figure_path: str | None = None,
) -> Report:
    """The report of one case from its :class:`emstudy.steps.findings.CaseFindings`.

    ``figure_path`` and ``ipa_figure_path`` (relative to ``reports/``) are the construct profile and the
    importance-performance map, shown when given.
    """
    t = _TEXT[lang]
    case = cf.case
    name = case.name.en if lang == "en" else case.name.zh
    banner = _opening(cf, lang)
    by_kind: dict[str, list] = {}
    for f in cf.findings:
        by_kind.setdefault(f.kind, []).append(f)

    def section(
        title: str, kinds: Sequence[str], fallback: Sequence[str] = (), *, lead: Sequence[str] = (), **parts
    ) -> Section:
        """The findings of ``kinds`` in order; ``lead`` replaces the first kind's (a summary of a table)."""
        paragraphs = list(lead) or [f.text(lang) for f in by_kind.get(kinds[0], [])] or list(fallback)
        paragraphs += [f.text(lang) for kind in kinds[1:] for f in by_kind.get(kind, [])]
        sources = [s for kind in kinds for s in sorted({f.source for f in by_kind.get(kind, [])})]
        return Section(title, paragraphs=paragraphs, source=", ".join(sources), **parts)

    not_run = lambda step: [t["not_run"].format(step=step)]  # noqa: E731
    sections = [_case_section(cf, codebook, lang), section(t["quality"], ["data"])]
    if "open" in by_kind:
        sections.append(section(t["open"], ["open"], tables=_open_answer_tables(cf, lang)))
    sections.append(
        section(
            t["reliability"], ["reliability"], not_run("02_reliability"), tables=_reliability_tables(cf, codebook, lang)
        )
    )
    sections.append(section(t["structure"], ["structure"], not_run("03_structure")))
    sections.append(_profile_section(cf, codebook, lang, figure_path))
    ipa_figures = [FigureRef(t["ipa_caption"], ipa_figure_path)] if ipa_figure_path else []
    priorities = _priority_summary(cf, codebook, lang)
    sections.append(
        section(t["priorities"], ["priority", "drivers"], [t["no_priority"]], lead=priorities, figures=ipa_figures)
    )
    if "paths" in by_kind:
        sections.append(section(t["paths"], ["paths"]))
    lead, tables = _comparison(cf, codebook, lang)
    sections.append(section(t["comparison"], ["comparison"], not_run("05_compare"), lead=lead, tables=tables))
    if "interviews" in by_kind:  # a case with coded interviews (issue 17): agreement and triangulation
        tables = interview_tables(cf.tables, synthetic=cf.synthetic, lang=lang)
        sections.append(section(INTERVIEWS_TITLE[lang], ["interviews"], tables=tables))
    sections.append(_recommendations_section(cf, lang))
    sections += _own_recommendations_sections(cf, codebook, lang)
    return Report(t["case_title"].format(name=name), lang, banner, sections)


def _count(k: int, key: str, lang: str) -> str:
    """``"Three constructs are"`` (``"有三个构念"``): a count of constructs opening a summary sentence."""
    one, more = _TEXT[lang][key]
    word = "两" if lang == "zh" and k == 2 else count_word(k, lang)  # 两个, not 二个
    text = (one if k == 1 else more).format(k=word)
    return text[:1].upper() + text[1:]


def _joined(names: Sequence[str], lang: str) -> str:
    """``"a, b and c"`` (``"a、b和c"``)."""
    t = _TEXT[lang]
    return names[0] if len(names) == 1 else t["list_sep"].join(names[:-1]) + t["and"] + names[-1]


def _priority_summary(cf: CaseFindings, codebook: Codebook, lang: str) -> list[str]:
    """One sentence on the constructs rated clearly below the case's average (its priorities, lowest first),
    instead of one per priority: their means are in the table of construct means above. None without priorities."""
    t, prio = _TEXT[lang], cf.priorities
    if not len(prio):
        return []
    items = [
        t["priority_item"].format(label=codebook.label(c, lang), mean=f"{m:.2f}")
        for c, m in zip(prio["construct"], prio["mean"], strict=True)
    ]
    n = len(cf.tables["means"]) if "means" in cf.tables else len(codebook.construct_ids)
    return [
        t["priority_summary"].format(
            count=_count(len(prio), "priority_count", lang),
            mean=f"{float(prio['case_mean'].iloc[0]):.2f}",
            n=count_word(n, lang),
            constructs=_joined(items, lang),
        )
    ]


def _p_text(p: float) -> str:
    return "< .001" if p < 0.001 else f"{p:.3f}"


def _comparison(cf: CaseFindings, codebook: Codebook, lang: str) -> tuple[list[str], list[Table]]:
    """One sentence on the constructs the case rates significantly lower than the other places pooled (notebook
    05's ``below_others.csv``, ``cf.tables["below_others"]``) and the table of every construct; nothing (the
    findings' own sentences then) when the findings carry no such table."""
    t = _TEXT[lang]
    below = cf.tables.get("below_others")
    if below is None or not len(below) or cf.case.id not in set(below["case"]):
        return [], []
    others = count_word(int(below["case"].nunique()) - 1, lang)
    rows = below[below["case"] == cf.case.id]
    lower = rows[rows["below"].astype(bool)].sort_values("diff", kind="mergesort")
    names = [
        t["below_item"].format(label=codebook.label(c, lang), diff=f"{d:+.2f}")
        for c, d in zip(lower["construct"], lower["diff"], strict=True)
    ]
    if names:
        count = _count(len(names), "priority_count", lang)
        lead = t["below_summary"].format(count=count, others=others, constructs=_joined(names, lang))
    else:
        lead = t["below_none"].format(others=others)
    cols = t["below_cols"]
    shown = pd.DataFrame(
        {
            cols[0]: [codebook.label(c, lang) for c in rows["construct"]],
            cols[1]: rows["mean_case"].to_numpy(float),
            cols[2]: rows["mean_others"].to_numpy(float),
            cols[3]: rows["diff"].to_numpy(float),
            cols[4]: rows["t"].to_numpy(float),
            cols[5]: rows["df"].to_numpy(float),
            cols[6]: [_p_text(float(p)) for p in rows["pvalue_holm"]],
            cols[7]: [t["yes"] if bool(b) else t["no"] for b in rows["below"]],
        }
    )
    return [lead], [Table(t["below_caption"].format(others=others), shown)]


def _case_section(cf: CaseFindings, codebook: Codebook, lang: str) -> Section:
    """The case itself: place, event, the thesis's problems and its framework mapped onto constructs."""
    t = _TEXT[lang]
    case = cf.case
    dims = pd.DataFrame(
        {
            t["dimension"]: [d.en if lang == "en" else d.zh for d in case.framework.dimensions],
            t["constructs"]: [
                t["list_sep"].join(codebook.label(c, lang) for c in d.constructs) for d in case.framework.dimensions
            ],
        }
    )
    place = case.place.en if lang == "en" else case.place.zh
    event = case.event.en if lang == "en" else case.event.zh
    problems = (" " if lang == "en" else "").join(p.en if lang == "en" else p.zh for p in case.problems)
    problems_key = "problems" if from_thesis(case, synthetic=cf.synthetic) else "problems_own"
    paragraphs = [place, event, t[problems_key].format(problems=problems)]
    if codebook.extension_ids:
        own = [
            t["own_construct"].format(label=codebook.label(c, lang), n=len(codebook.construct(c).items))
            for c in codebook.extension_ids
        ]
        paragraphs.append(t["own_constructs"].format(constructs=t["list_sep"].join(own)))
    return Section(t["the_case"], paragraphs=paragraphs, tables=[Table(t["framework_table"], dims)])


def _profile_section(cf: CaseFindings, codebook: Codebook, lang: str, figure_path: str | None) -> Section:
    """Construct means with their intervals, and the profile figure when given."""
    t = _TEXT[lang]
    means = cf.tables["means"]
    shown = pd.DataFrame(
        {
            t["construct"]: [codebook.label(c, lang) for c in means["construct"]],
            t["mean"]: means["mean"],
            t["ci_lower"]: means["ci_lower"],
            t["ci_upper"]: means["ci_upper"],
            t["n"]: means["n"],
        }
    )
    figures = [FigureRef(t["profile_caption"], figure_path)] if figure_path else []
    return Section(t["profile"], tables=[Table(t["means_caption"], shown)], figures=figures)


def _recommendations_section(cf: CaseFindings, lang: str) -> Section:
    """The ranked recommendations, marking those the thesis itself made."""
    t = _TEXT[lang]
    recs = [
        t["rec_line"].format(
            rank=r.rank,
            dimension=r.dimension_en if lang == "en" else r.dimension_zh,
            text=r.en if lang == "en" else r.zh,
            thesis=t["thesis_mark"] if r.made_by_thesis else "",
        )
        for r in cf.recommendations
    ]
    return Section(t["recommendations"], paragraphs=recs or [t["no_priority"]], source="data/recommendations.yml")


def _own_recommendations_sections(cf: CaseFindings, codebook: Codebook, lang: str) -> list[Section]:
    """The case file's own ``recommendations`` (the thesis's, or the user's study's), each with the constructs
    it addresses and which of them are priorities in the survey; none when the case file lists none."""
    t = _TEXT[lang]
    lines = []
    for rank, rec in enumerate(cf.case_recommendations, start=1):
        priority = [codebook.label(c, lang) for c in rec.constructs if c in rec.priority_constructs]
        lines.append(
            t["own_rec_line"].format(
                rank=rank,
                text=rec.en if lang == "en" else rec.zh,
                constructs=t["list_sep"].join(codebook.label(c, lang) for c in rec.constructs),
                priority=t["own_rec_priority"].format(constructs=t["list_sep"].join(priority)) if priority else "",
            )
        )
    if not lines:
        return []
    title = t["own_recs_thesis"] if from_thesis(cf.case, synthetic=cf.synthetic) else t["own_recs_case"]
    return [Section(title, paragraphs=lines, source=f"data/cases/{cf.case.id}.yml")]


def summary_report(
    case_findings: Sequence[CaseFindings],
    codebook: Codebook,
    *,
    lang: str,
    shared: pd.DataFrame,
    invariance_verdict: str | None,
    figures: Sequence[tuple[str, str]] = (),
    invariance_text: str | None = None,
    planning: Mapping[str, Mapping] | None = None,
) -> Report:
    """The cross-case summary from every case's findings and the comparison results.

    ``invariance_verdict`` is the English verdict of notebook 05 (``invariance.json``); the Chinese report
    states it in Chinese. ``invariance_text``, notebook 05's paragraph in the report's language (the level
    reached, freed intercepts and latent mean differences; ``text`` in ``invariance.json``), replaces the
    verdict when given. ``figures`` holds (caption key, relative path) pairs, the caption key one of
    ``heatmap_caption`` or ``profiles_caption``. ``planning`` maps case ids to notebook 06's ``planning.json``;
    the section "Planning a repeat survey" lists the places that have one.
    """
    t = _TEXT[lang]
    if lang == "zh":
        invariance_verdict = _zh_verdict(invariance_verdict)
    if invariance_text:
        invariance_verdict = invariance_text
    label = lambda c: codebook.label(c, lang)  # noqa: E731
    name_of = lambda cf: cf.case.name.en if lang == "en" else cf.case.name.zh  # noqa: E731
    synthetic = [name_of(cf) for cf in case_findings if cf.synthetic]
    banner = _banner(lang, bool(synthetic))
    if synthetic and len(synthetic) < len(case_findings):  # a user's own case beside the synthetic study
        real = [name_of(cf) for cf in case_findings if not cf.synthetic]
        banner.append(t["mixed_data"].format(synthetic=t["list_sep"].join(synthetic), real=t["list_sep"].join(real)))
    n_thesis = sum(from_thesis(cf.case, synthetic=cf.synthetic) for cf in case_findings)
    reconstructed = (
        "reconstructed_all"
        if n_thesis == len(case_findings)
        else "reconstructed_none"
        if n_thesis == 0
        else "reconstructed_some"
    )
    banner.append(t[reconstructed])
    rows = []
    for cf in case_findings:
        quality = next((f for f in cf.findings if f.kind == "data"), None)
        rows.append(
            {
                t["case"]: cf.case.name.en if lang == "en" else cf.case.name.zh,
                t["framework"]: cf.case.framework.en if lang == "en" else cf.case.framework.zh,
                t["n_valid"]: "" if quality is None else str(quality.values["n_valid"]),
                t["top"]: t["list_sep"].join(label(c) for c in cf.priorities["construct"].head(3)),
            }
        )
    shared_shown = shared.copy()
    shared_shown["construct"] = [label(c) for c in shared_shown["construct"]]
    names = {cf.case.id: name_of(cf) for cf in case_findings}  # the places by name, in the report's language
    shared_shown["cases"] = [
        t["list_sep"].join(names.get(c.strip(), c.strip()) for c in str(cases).split(","))
        for cases in shared_shown["cases"]
    ]
    shared_shown["pattern"] = [t["patterns"].get(p, p) for p in shared_shown["pattern"]]
    shared_shown = shared_shown.rename(
        columns={"construct": t["construct"], "cases": t["cases_col"], "pattern": t["pattern"]}
    )[[t["construct"], t["cases_col"], t["pattern"]]]
    sections = [
        Section(t["cases"], tables=[Table(t["cases"], pd.DataFrame(rows))]),
        Section(
            t["shared"],
            tables=[Table(t["shared"], shared_shown)],
            figures=[FigureRef(t[key].format(n=count_word(len(case_findings), lang)), path) for key, path in figures],
        ),
        Section(t["invariance"], paragraphs=[invariance_verdict or t["not_run"].format(step="05_compare")]),
    ]
    sections += _planning_sections(case_findings, planning or {}, lang)
    for cf in case_findings:
        name = cf.case.name.en if lang == "en" else cf.case.name.zh
        recs = [
            t["rec_line"].format(
                rank=r.rank,
                dimension=r.dimension_en if lang == "en" else r.dimension_zh,
                text=r.en if lang == "en" else r.zh,
                thesis="",
            )
            for r in cf.recommendations[:3]
        ]
        sections.append(Section(f"{t['recommendations']}: {name}", paragraphs=recs or [t["no_priority"]]))
    title = t["summary_title"].format(n=count_word(len(case_findings), lang))
    return Report(title[:1].upper() + title[1:], lang, banner, sections)


def _planning_sections(case_findings: Sequence[CaseFindings], planning: Mapping[str, Mapping], lang: str) -> list:
    """The respondents a repeat survey of each place needs (notebook 06's plans), labelled synthetic when a
    plan was computed from synthetic data; no section when no place has a plan."""
    t = _TEXT[lang]
    plans = [(cf, planning[cf.case.id]) for cf in case_findings if cf.case.id in planning]
    if not plans:
        return []
    settings = plans[0][1]["settings"]
    power = float(plans[0][1]["target_power"])
    rows = []
    for cf, plan in plans:
        needed = plan["needed"]
        if not plan["findings"]:
            needed = t["planning_none"]
        elif needed is None:
            needed = t["planning_more"].format(n=max(plan["settings"]["ns"]))
        hardest = plan.get("hardest")
        rmsea = plan.get("rmsea") or {}
        values = (
            cf.case.name.en if lang == "en" else cf.case.name.zh,
            str(plan["n_study"]),
            str(len(plan["findings"])),
            str(needed),
            "" if hardest is None else hardest[f"label_{lang}"],
            "" if rmsea.get("n") is None else str(rmsea["n"]),
        )
        rows.append(dict(zip(t["planning_cols"], values)))
    intro = t["planning_intro"].format(
        power=power, replications=settings["replications"], n_min=min(settings["ns"]), n_max=max(settings["ns"])
    )
    paragraphs = [intro] + ([t["planning_synthetic"]] if any(plan["synthetic"] for _, plan in plans) else [])
    table = Table(t["planning_caption"].format(power=power), pd.DataFrame(rows))
    return [Section(t["planning"], paragraphs=paragraphs, tables=[table])]


def _zh_verdict(verdict: str | None) -> str | None:
    """The Chinese of notebook 05's invariance verdict (:func:`emstudy.steps.compare.means_verdict`); a verdict
    it does not know is not pasted in English but pointed to."""
    if verdict is None:
        return None
    for level, text in (
        ("Scalar", "标量等值成立：各地的载荷与截距相等，可以比较各地的构念均值。"),
        (
            "Partial scalar",
            "部分标量等值成立：在部分等值模型下可以比较各地的潜变量均值；观测量表均值只能近似比较（部分截距不等）。",
        ),
        ("Only metric", "仅度量等值成立：各地载荷相等，可比较变量间关系，但不宜直接比较均值。"),
        ("Metric invariance does not hold", "度量等值不成立：各地这些构念的均值和变量间关系都不宜比较。"),
        ("Metric", "仅度量等值成立：各地载荷相等，可比较变量间关系，但不宜直接比较均值。"),
        ("Configural", "仅形态等值成立：各地因子结构相同，但不宜比较载荷或均值。"),
    ):
        if verdict.startswith(level):
            return text
    return "测量等值性检验的结论见第05号笔记本的结果（analysis/all/results/invariance.json）。"
